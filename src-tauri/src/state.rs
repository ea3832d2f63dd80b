//! The shell's state: the vault phase (locked, awaiting recovery-code confirmation, unlocked),
//! the settings, the idle clock and the Cancel switch of long work. The `Session` never leaves this module except by
//! reference inside [`Desktop::with_session`].

use std::{
    sync::{Arc, Mutex, MutexGuard, PoisonError},
    time::Duration,
};

use cairn_core::{CoreError, RecoveryCode, Session};

use crate::{
    error::{CommandError, CommandResult},
    idle::IdleClock,
    options::Options,
    settings::Settings,
    work::{SyncControl, WorkControl},
};
use ts_rs::TS;

/// Why the vault was last locked (shown on the unlock screen).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, TS)]
#[serde(rename_all = "snake_case")]
pub(crate) enum LockReason {
    /// The user pressed Lock (or the panic shortcut).
    User,
    /// The idle auto-lock fired.
    Idle,
    /// The computer was about to sleep or hibernate (logind `PrepareForSleep`).
    Sleep,
    /// The screen was locked, or the screensaver started (logind `Lock`, `ActiveChanged`).
    ScreenLocked,
    /// The panic lock (`cairn lock`, e.g. bound to a desktop keyboard shortcut): the window
    /// was hidden first.
    Panic,
}

/// Where the vault is.
enum Phase {
    /// No session: the vault is locked, or there is no vault yet.
    Locked,
    /// A vault was just created; its recovery code was shown and must be typed back before
    /// the app opens. The code is kept only until then.
    ConfirmRecovery { session: Session, code: RecoveryCode },
    /// The vault is open.
    Unlocked(Session),
}

/// What the UI is told about the phase.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, TS)]
#[ts(rename = "Phase")]
#[serde(rename_all = "snake_case")]
pub(crate) enum PhaseName {
    /// No vault at the location: first run.
    NoVault,
    /// A vault exists and is locked.
    Locked,
    /// The recovery code must be confirmed.
    ConfirmRecovery,
    /// Unlocked.
    Unlocked,
}

/// A file read from disk and waiting for the worker to confirm a fingerprint.
pub(crate) enum PendingFile {
    /// A roster to import.
    Roster(Vec<u8>),
    /// An enrollment request (HQ).
    Request(Vec<u8>),
}

/// The managed state of the app.
pub(crate) struct Desktop {
    /// Where things live.
    pub(crate) options: Options,
    /// When the user was last active.
    pub(crate) idle: IdleClock,
    /// Cancel for the long work under way (attachment import or export).
    pub(crate) work: Arc<WorkControl>,
    /// Cancel for the live sync under way.
    pub(crate) sync: SyncControl,
    phase: Mutex<Phase>,
    settings: Mutex<Settings>,
    last_lock: Mutex<Option<LockReason>>,
    pending_file: Mutex<Option<PendingFile>>,
    /// The recovery code of a re-key the worker started: shown, and to be typed back before
    /// the re-key runs, so the worker holds it whenever it takes effect. Gone with every lock.
    pending_rekey: Mutex<Option<RecoveryCode>>,
    /// How many locks were asked for (Lock, the shortcut, sleep, lid, session lock, idle), even
    /// while nothing was open: a vault whose key was being derived when one arrived must not
    /// open after it (see [`Desktop::open_unless_locked_since`]).
    locks: std::sync::atomic::AtomicU64,
}

fn guard<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panic while the phase was held leaves either the old or the new phase in place, never
    // a half-built one (every change is a single assignment), so the value is still sound.
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Desktop {
    /// Fresh state: locked.
    pub(crate) fn new(options: Options, settings: Settings) -> Self {
        let timeout = minutes(settings.auto_lock_minutes);
        Desktop {
            options,
            idle: IdleClock::new(timeout),
            work: Arc::default(),
            sync: SyncControl::default(),
            phase: Mutex::new(Phase::Locked),
            settings: Mutex::new(settings),
            last_lock: Mutex::new(None),
            pending_file: Mutex::new(None),
            pending_rekey: Mutex::new(None),
            locks: std::sync::atomic::AtomicU64::new(0),
        }
    }

    /// The current phase as the UI sees it.
    pub(crate) fn phase_name(&self) -> PhaseName {
        match &*guard(&self.phase) {
            Phase::Unlocked(_) => PhaseName::Unlocked,
            Phase::ConfirmRecovery { .. } => PhaseName::ConfirmRecovery,
            Phase::Locked if cairn_core::vault_exists(&self.options.vault_dir) => PhaseName::Locked,
            Phase::Locked => PhaseName::NoVault,
        }
    }

    /// Why the vault was last locked, if it was locked in this run.
    pub(crate) fn last_lock(&self) -> Option<LockReason> {
        *guard(&self.last_lock)
    }

    /// The settings.
    pub(crate) fn settings(&self) -> Settings {
        *guard(&self.settings)
    }

    /// Replaces the settings (already validated and saved) and applies the auto-lock delay.
    pub(crate) fn apply_settings(&self, settings: Settings) {
        *guard(&self.settings) = settings;
        self.idle.set_timeout(minutes(settings.auto_lock_minutes));
    }

    /// The number of locks asked for so far: read it before unlocking (deriving the key takes
    /// seconds) and pass it to [`Desktop::open_unless_locked_since`].
    pub(crate) fn lock_count(&self) -> u64 {
        self.locks.load(std::sync::atomic::Ordering::SeqCst)
    }

    /// Opens the app on a freshly unlocked session.
    #[cfg(test)]
    pub(crate) fn open(&self, session: Session) {
        self.open_unless_locked_since(session, self.lock_count()).expect("no lock in between");
    }

    /// Opens the app on a session unlocked after `since` was read, unless a lock was asked
    /// for meanwhile (the lid closed right after the passphrase was typed): then the session
    /// is closed at once and the worker is told to unlock again.
    pub(crate) fn open_unless_locked_since(&self, session: Session, since: u64) -> CommandResult<()> {
        if self.phase_name() == PhaseName::ConfirmRecovery {
            // A new vault opens only once its recovery code is typed back: unlocking it with the
            // passphrase meanwhile must not skip that.
            session.lock();
            return Err(CommandError::wrong_phase());
        }
        self.enter_unless_locked_since(Phase::Unlocked(session), since)
    }

    /// Holds a just-created vault until its recovery code is confirmed, unless a lock was
    /// asked for since `since` (as [`Desktop::open_unless_locked_since`]).
    pub(crate) fn await_recovery_confirmation_unless_locked_since(
        &self,
        session: Session,
        code: RecoveryCode,
        since: u64,
    ) -> CommandResult<()> {
        self.enter_unless_locked_since(Phase::ConfirmRecovery { session, code }, since)
    }

    fn enter_unless_locked_since(&self, opened: Phase, since: u64) -> CommandResult<()> {
        // Checked under the phase lock: a lock asked for after this point finds the vault
        // open and closes it; one asked for before it is seen here.
        let mut phase = guard(&self.phase);
        if self.lock_count() != since {
            drop(phase);
            close(opened);
            return Err(CommandError::locked_while_opening());
        }
        let previous = std::mem::replace(&mut *phase, opened);
        drop(phase);
        close(previous);
        *guard(&self.last_lock) = None;
        self.idle.touch();
        Ok(())
    }

    /// Checks the recovery code typed back; on a match the vault opens and the code is dropped.
    pub(crate) fn confirm_recovery_code(&self, typed: &str) -> CommandResult<()> {
        let mut phase = guard(&self.phase);
        let Phase::ConfirmRecovery { code, .. } = &*phase else { return Err(CommandError::wrong_phase()) };
        let typed = RecoveryCode::parse(typed).map_err(|_| CommandError::from(CoreError::MalformedRecoveryCode))?;
        if !same_code(&typed, code) {
            return Err(CommandError::recovery_code_mismatch());
        }
        let Phase::ConfirmRecovery { session, code } = std::mem::replace(&mut *phase, Phase::Locked) else {
            return Err(CommandError::internal());
        };
        drop(code);
        *phase = Phase::Unlocked(session);
        drop(phase);
        self.idle.touch();
        Ok(())
    }

    /// Runs `work` on the open session and counts it as activity; `locked` if there is none.
    pub(crate) fn with_session<T>(&self, work: impl FnOnce(&mut Session) -> Result<T, CoreError>) -> CommandResult<T> {
        self.on_session(work, IdleClock::touch)
    }

    /// [`Desktop::with_session`] for a piece of audio recorded or played: not the worker's
    /// activity, only a stretch of the idle limit (see `idle.rs`), so a laptop left recording
    /// still locks.
    pub(crate) fn with_session_media<T>(&self, work: impl FnOnce(&mut Session) -> Result<T, CoreError>) -> CommandResult<T> {
        self.on_session(work, IdleClock::touch_media)
    }

    fn on_session<T>(
        &self,
        work: impl FnOnce(&mut Session) -> Result<T, CoreError>,
        count: fn(&IdleClock),
    ) -> CommandResult<T> {
        let mut phase = guard(&self.phase);
        let Phase::Unlocked(session) = &mut *phase else { return Err(CommandError::locked()) };
        let outcome = work(session).map_err(CommandError::from);
        drop(phase);
        count(&self.idle);
        outcome
    }

    /// Records activity, if the vault is open.
    pub(crate) fn activity(&self) {
        // Never waits: if a command holds the phase, the vault is in use, which is activity.
        let open = match self.phase.try_lock() {
            Ok(phase) => matches!(&*phase, Phase::Unlocked(_) | Phase::ConfirmRecovery { .. }),
            Err(std::sync::TryLockError::WouldBlock) => true,
            Err(std::sync::TryLockError::Poisoned(poisoned)) => {
                matches!(&*poisoned.into_inner(), Phase::Unlocked(_) | Phase::ConfirmRecovery { .. })
            }
        };
        if open {
            self.idle.touch();
        }
    }

    /// Holds a file until the worker confirms it (only while the vault is open).
    pub(crate) fn hold_file(&self, file: PendingFile) -> CommandResult<()> {
        if self.phase_name() != PhaseName::Unlocked {
            return Err(CommandError::locked());
        }
        *guard(&self.pending_file) = Some(file);
        Ok(())
    }

    /// Starts a re-key: a new recovery code, held until the re-key runs and returned to be
    /// shown (only while the vault is open). Starting again replaces it.
    pub(crate) fn begin_rekey(&self) -> CommandResult<String> {
        if self.phase_name() != PhaseName::Unlocked {
            return Err(CommandError::locked());
        }
        let code = RecoveryCode::generate();
        let shown = code.display_grouped().to_string();
        *guard(&self.pending_rekey) = Some(code);
        Ok(shown)
    }

    /// Forgets a re-key that was started and not run.
    pub(crate) fn cancel_rekey(&self) {
        *guard(&self.pending_rekey) = None;
    }

    /// Runs the re-key started by [`Desktop::begin_rekey`], once `typed` matches its code, with
    /// `new_passphrase`. The session holds the vault alone, so nothing else can be open; a
    /// lock asked for meanwhile waits for the re-key (seconds; the panic lock hides the window
    /// first). A re-key cut off after the new passphrase took effect leaves the session without
    /// keys: the app locks, and the next unlock (with the new passphrase) finishes it.
    pub(crate) fn rekey(&self, typed: &str, new_passphrase: &cairn_core::SecretString) -> CommandResult<()> {
        let typed = RecoveryCode::parse(typed).map_err(|_| CommandError::from(CoreError::MalformedRecoveryCode))?;
        match guard(&self.pending_rekey).as_ref() {
            None => return Err(CommandError::wrong_phase()),
            Some(code) if !same_code(&typed, code) => return Err(CommandError::recovery_code_mismatch()),
            // The code typed back is the one shown: it is what the re-key seals.
            Some(_) => {}
        }
        match self.with_session(|session| session.rekey(new_passphrase, &typed)) {
            Ok(()) => {
                self.cancel_rekey();
                Ok(())
            }
            Err(error) if error.code == CoreError::RekeyUnfinished.code() => {
                self.cancel_rekey();
                self.lock(LockReason::User);
                Err(error)
            }
            Err(error) => Err(error),
        }
    }

    /// Takes the held file, if any.
    pub(crate) fn take_file(&self) -> Option<PendingFile> {
        guard(&self.pending_file).take()
    }

    /// Locks now: drops the session (closing the database and zeroizing the keys) and any
    /// recovery code still held. Returns whether anything was open.
    ///
    /// Long work under way is cancelled first: it holds the session, and the lock must not
    /// wait for a large import to finish before the laptop sleeps. A cancelled import zeroizes
    /// the session's keys before it rolls back (`WorkControl::cancel_for_lock`).
    /// A live sync is aborted too (its connection closes; see `SyncControl`).
    pub(crate) fn lock(&self, reason: LockReason) -> bool {
        let was_open = close(self.end_phase());
        if was_open {
            *guard(&self.last_lock) = Some(reason);
        }
        was_open
    }

    /// What every lock and the wipe do first: count a lock (an unlock under way cannot reopen),
    /// cancel long work (it holds the session, and is rolled back), abort a live sync, forget a
    /// held file, and take the phase, leaving it locked. Waits for the command holding it.
    fn end_phase(&self) -> Phase {
        self.locks.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        self.work.cancel_for_lock();
        self.sync.cancel();
        let previous = std::mem::replace(&mut *guard(&self.phase), Phase::Locked);
        *guard(&self.pending_file) = None;
        *guard(&self.pending_rekey) = None;
        previous
    }

    /// The panic wipe from the app: like [`Desktop::lock`] (long work cancelled, the phase
    /// emptied), but the session is wiped instead of closed: every keyslot is overwritten in
    /// place before the database closes, then the vault's files go (see `cairn_core::wipe_vault`).
    pub(crate) fn wipe(&self) -> CommandResult<cairn_core::WipeReport> {
        let previous = self.end_phase();
        *guard(&self.last_lock) = None;
        let report = match previous {
            Phase::Unlocked(session) => session.wipe(),
            Phase::ConfirmRecovery { session, code } => {
                drop(code);
                session.wipe()
            }
            Phase::Locked => cairn_core::wipe_vault(&self.options.vault_dir),
        };
        Ok(report?)
    }

    /// The watcher's lock: like [`Desktop::lock`], but never waits for a command that is
    /// running (a running command is activity; the next tick looks again), and checks the
    /// clock once more under the phase lock so activity that just arrived wins.
    pub(crate) fn lock_if_idle(&self) -> bool {
        let Ok(mut phase) = self.phase.try_lock() else { return false };
        if matches!(&*phase, Phase::Locked) || !self.idle.expired_at(std::time::Instant::now()) {
            return false;
        }
        let previous = std::mem::replace(&mut *phase, Phase::Locked);
        drop(phase);
        // A sync waiting for a peer (or stalled) is not activity; it ends with the session.
        self.sync.cancel();
        *guard(&self.pending_file) = None;
        *guard(&self.pending_rekey) = None;
        let was_open = close(previous);
        if was_open {
            *guard(&self.last_lock) = Some(LockReason::Idle);
        }
        was_open
    }
}

fn close(phase: Phase) -> bool {
    match phase {
        Phase::Locked => false,
        Phase::Unlocked(session) => {
            session.lock();
            true
        }
        Phase::ConfirmRecovery { session, code } => {
            drop(code);
            session.lock();
            true
        }
    }
}

fn minutes(count: u32) -> Duration {
    Duration::from_secs(u64::from(count) * 60)
}

/// Compares two recovery codes in time independent of where they differ.
fn same_code(a: &RecoveryCode, b: &RecoveryCode) -> bool {
    let (a, b) = (a.display_grouped(), b.display_grouped());
    a.len() == b.len() && a.bytes().zip(b.bytes()).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use std::{sync::Arc, time::Instant};

    use cairn_core::{KdfChoice, SecretString, create_vault};

    use super::*;
    use crate::settings::Settings;

    fn desktop(dir: &std::path::Path) -> Desktop {
        let options = Options {
            vault_dir: dir.join("vault"),
            settings_file: dir.join("settings.json"),
            insecure_fast_kdf: true,
            folder_for_tests: None,
        };
        Desktop::new(options, Settings::default())
    }

    fn passphrase() -> SecretString {
        SecretString::from("river crossing at dawn")
    }

    #[test]
    fn the_panic_wipe_ends_the_session_and_the_vault_and_the_app_returns_to_first_run() {
        let dir = tempfile::tempdir().expect("tempdir");
        let desktop = desktop(dir.path());
        let (session, _code) =
            create_vault(&desktop.options.vault_dir, &passphrase(), KdfChoice::InsecureTestOnly).expect("create");
        desktop.open_unless_locked_since(session, desktop.lock_count()).expect("open");
        let before = desktop.lock_count();
        let report = desktop.wipe().expect("wipe");
        assert!(report.folder_removed);
        assert!(desktop.lock_count() > before, "a wipe counts as a lock: an unlock under way cannot reopen");
        assert_eq!(desktop.phase_name(), PhaseName::NoVault);
        assert!(!desktop.options.vault_dir.exists());
        assert_eq!(desktop.with_session(|s| s.status()).map(|_| ()), Err(CommandError::locked()));
    }

    #[test]
    fn a_new_vault_opens_only_after_its_recovery_code_is_typed_back() {
        let dir = tempfile::tempdir().expect("tempdir");
        let desktop = desktop(dir.path());
        assert_eq!(desktop.phase_name(), PhaseName::NoVault);
        let (session, code) =
            create_vault(&desktop.options.vault_dir, &passphrase(), KdfChoice::InsecureTestOnly).expect("create");
        let shown = code.display_grouped().to_string();
        desktop.await_recovery_confirmation_unless_locked_since(session, code, desktop.lock_count()).expect("hold");
        assert_eq!(desktop.phase_name(), PhaseName::ConfirmRecovery);
        // Unlocking with the passphrase meanwhile does not skip the confirmation.
        let again = cairn_core::unlock_vault(&desktop.options.vault_dir, &passphrase()).expect("unlock");
        assert_eq!(desktop.open_unless_locked_since(again, desktop.lock_count()), Err(CommandError::wrong_phase()));
        assert_eq!(desktop.phase_name(), PhaseName::ConfirmRecovery);
        assert_eq!(desktop.with_session(|s| s.status()).map(|_| ()), Err(CommandError::locked()));
        // A well-formed but different code is refused; a typo is reported as a typo.
        let other = cairn_core::RecoveryCode::generate().display_grouped().to_string();
        assert_eq!(desktop.confirm_recovery_code(&other), Err(CommandError::recovery_code_mismatch()));
        assert_eq!(desktop.confirm_recovery_code("0000-0000").map_err(|e| e.code), Err("malformed_recovery_code"));
        // The code as shown, in lower case without dashes, opens the vault.
        let typed = shown.replace('-', "").to_lowercase();
        desktop.confirm_recovery_code(&typed).expect("confirm");
        assert_eq!(desktop.phase_name(), PhaseName::Unlocked);
        assert_eq!(desktop.with_session(|s| s.status()).expect("status").case_count, 0);
        assert_eq!(desktop.confirm_recovery_code(&typed), Err(CommandError::wrong_phase()));
    }

    #[test]
    fn a_lock_that_arrives_while_the_key_is_derived_keeps_the_vault_closed() {
        let dir = tempfile::tempdir().expect("tempdir");
        let desktop = desktop(dir.path());
        let (session, _code) =
            create_vault(&desktop.options.vault_dir, &passphrase(), KdfChoice::InsecureTestOnly).expect("create");
        session.lock();
        // As `unlock` does: read the count, derive the key (seconds, outside any lock)…
        let since = desktop.lock_count();
        let session = cairn_core::unlock_vault(&desktop.options.vault_dir, &passphrase()).expect("unlock");
        // …while the lid closes: the lock finds nothing open, yet it is not lost.
        assert!(!desktop.lock(LockReason::Sleep));
        assert_eq!(desktop.open_unless_locked_since(session, since), Err(CommandError::locked_while_opening()));
        assert_eq!(desktop.phase_name(), PhaseName::Locked);
        assert_eq!(desktop.with_session(|s| s.status()).map(|_| ()), Err(CommandError::locked()));
        // The same for a new vault waiting for its recovery code.
        let other = tempfile::tempdir().expect("tempdir");
        let desktop = self::desktop(other.path());
        let since = desktop.lock_count();
        let (session, code) =
            create_vault(&desktop.options.vault_dir, &passphrase(), KdfChoice::InsecureTestOnly).expect("create");
        desktop.lock(LockReason::Sleep);
        let held = desktop.await_recovery_confirmation_unless_locked_since(session, code, since);
        assert_eq!(held, Err(CommandError::locked_while_opening()));
        assert_ne!(desktop.phase_name(), PhaseName::ConfirmRecovery);
        // Unlocking again, with no lock in between, opens it.
        let since = desktop.lock_count();
        let session = cairn_core::unlock_vault(&desktop.options.vault_dir, &passphrase()).expect("unlock");
        desktop.open_unless_locked_since(session, since).expect("open");
        assert_eq!(desktop.phase_name(), PhaseName::Unlocked);
    }

    #[test]
    fn locking_drops_the_session_and_remembers_why() {
        let dir = tempfile::tempdir().expect("tempdir");
        let desktop = desktop(dir.path());
        let (session, _code) =
            create_vault(&desktop.options.vault_dir, &passphrase(), KdfChoice::InsecureTestOnly).expect("create");
        desktop.open(session);
        assert!(desktop.lock(LockReason::User));
        assert_eq!(desktop.phase_name(), PhaseName::Locked);
        assert_eq!(desktop.last_lock(), Some(LockReason::User));
        assert!(!desktop.lock(LockReason::User), "nothing left to lock");
        assert_eq!(desktop.with_session(|s| s.status()).map(|_| ()), Err(CommandError::locked()));
    }

    #[test]
    fn the_watcher_locks_an_idle_vault_without_any_help_from_the_webview() {
        let dir = tempfile::tempdir().expect("tempdir");
        let desktop = Arc::new(desktop(dir.path()));
        let (session, _code) =
            create_vault(&desktop.options.vault_dir, &passphrase(), KdfChoice::InsecureTestOnly).expect("create");
        desktop.open(session);
        desktop.idle.set_timeout(Duration::from_millis(300));
        let (sender, receiver) = std::sync::mpsc::channel();
        crate::idle::spawn_watcher(desktop.clone(), move |reason| sender.send(reason).expect("send")).expect("spawn");
        let started = Instant::now();
        let reason = receiver.recv_timeout(Duration::from_secs(10)).expect("the watcher locked");
        assert_eq!(reason, LockReason::Idle);
        assert!(started.elapsed() >= Duration::from_millis(250));
        assert_eq!(desktop.phase_name(), PhaseName::Locked);
        assert_eq!(desktop.last_lock(), Some(LockReason::Idle));
    }

    /// `change_passphrase` proves the current passphrase by opening the vault a second time
    /// while the session is open; then the new passphrase works and the old one does not.
    #[test]
    fn the_current_passphrase_is_checked_while_the_vault_is_open() {
        let dir = tempfile::tempdir().expect("tempdir");
        let desktop = desktop(dir.path());
        let vault_dir = desktop.options.vault_dir.clone();
        let (session, _code) = create_vault(&vault_dir, &passphrase(), KdfChoice::InsecureTestOnly).expect("create");
        desktop.open(session);
        let wrong = cairn_core::unlock_vault(&vault_dir, &SecretString::from("not the passphrase at all"));
        assert_eq!(wrong.map(|_| ()).map_err(|e| e.code()), Err("wrong_passphrase"));
        cairn_core::unlock_vault(&vault_dir, &passphrase()).expect("second open").lock();
        let fresh = SecretString::from("a new passphrase for the vault");
        desktop.with_session(|session| session.change_passphrase(&fresh)).expect("change");
        assert!(desktop.lock(LockReason::User));
        assert!(cairn_core::unlock_vault(&vault_dir, &passphrase()).is_err());
        cairn_core::unlock_vault(&vault_dir, &fresh).expect("new passphrase").lock();
    }

    /// A re-key from the app runs only with its new recovery code typed back, and afterwards
    /// only the new passphrase and that code open the vault; a lock forgets a started re-key.
    #[test]
    fn a_rekey_runs_once_its_code_is_typed_back_and_a_lock_forgets_it() {
        let dir = tempfile::tempdir().expect("tempdir");
        let desktop = desktop(dir.path());
        let vault_dir = desktop.options.vault_dir.clone();
        let fresh = SecretString::from("a new passphrase for the vault");
        assert_eq!(desktop.begin_rekey().map_err(|e| e.code), Err("locked"));
        let (session, _code) = create_vault(&vault_dir, &passphrase(), KdfChoice::InsecureTestOnly).expect("create");
        desktop.open(session);
        let first = desktop.begin_rekey().expect("begin");
        assert!(desktop.lock(LockReason::User));
        desktop.open(cairn_core::unlock_vault(&vault_dir, &passphrase()).expect("unlock"));
        assert_eq!(desktop.rekey(&first, &fresh), Err(CommandError::wrong_phase()), "the lock forgot it");
        let shown = desktop.begin_rekey().expect("begin again");
        let other = RecoveryCode::generate().display_grouped().to_string();
        assert_eq!(desktop.rekey(&other, &fresh), Err(CommandError::recovery_code_mismatch()));
        // Typed back as a worker might: lower case, without the dashes.
        desktop.rekey(&shown.replace('-', "").to_lowercase(), &fresh).expect("rekey");
        assert_eq!(desktop.rekey(&shown, &fresh), Err(CommandError::wrong_phase()), "used once");
        assert!(desktop.lock(LockReason::User));
        assert!(cairn_core::unlock_vault(&vault_dir, &passphrase()).is_err());
        cairn_core::unlock_vault(&vault_dir, &fresh).expect("the new passphrase").lock();
        cairn_core::recover_vault(&vault_dir, &SecretString::from(shown), &fresh).expect("the new code").lock();
    }

    #[test]
    fn activity_keeps_the_vault_open() {
        let dir = tempfile::tempdir().expect("tempdir");
        let desktop = desktop(dir.path());
        let (session, _code) =
            create_vault(&desktop.options.vault_dir, &passphrase(), KdfChoice::InsecureTestOnly).expect("create");
        desktop.open(session);
        desktop.idle.set_timeout(Duration::from_millis(400));
        for _ in 0..6 {
            std::thread::sleep(Duration::from_millis(100));
            desktop.activity();
            assert!(!desktop.lock_if_idle());
        }
        assert_eq!(desktop.phase_name(), PhaseName::Unlocked);
        std::thread::sleep(Duration::from_millis(450));
        assert!(desktop.lock_if_idle());
        assert_eq!(desktop.phase_name(), PhaseName::Locked);
    }
}
