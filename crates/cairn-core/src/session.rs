use std::path::Path;

use cairn_crypto::{KdfParams, KdfProfile, RecoveryCode, UnlockGuard};
use cairn_store::{KdfChoice, Vault, WipeReport};
use secrecy::{ExposeSecret, SecretString};

use crate::{CoreError, check_new_passphrase};

/// An unlocked vault. Dropping it, or [`Session::lock`], closes the database and zeroizes keys.
#[derive(Debug)]
pub struct Session {
    vault: Vault,
    /// Recordings being written (see [`crate::recordings`]); dropped with the session, which
    /// zeroizes their pending plaintext.
    recordings: crate::recordings::ActiveRecordings,
    /// HQ: the organisation's root key opened from a root key file for this session, while the
    /// vault keeps it offline (see [`crate::team::root`]); zeroized with the session.
    pub(crate) offline_root: Option<cairn_crypto::SigningSecretKey>,
    /// The documents last opened or edited, kept loaded for their next use (see
    /// [`crate::cases::pipeline::HotDoc`]).
    pub(crate) hot_docs: crate::cases::pipeline::HotDocs,
}

/// What `status` reports: format versions, KDF parameters, identities and counts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VaultStatus {
    /// Vault header format version.
    pub format_version: u16,
    /// Database schema version.
    pub schema_version: u32,
    /// Argon2id parameters.
    pub kdf: KdfParams,
    /// True if the vault uses the insecure test-only KDF profile.
    pub insecure_kdf: bool,
    /// Vault id, hex.
    pub vault_id: String,
    /// Device id, hex.
    pub device_id: String,
    /// Number of cases in the vault.
    pub case_count: u64,
    /// Failed unlocks (passphrase or recovery code) after which the keys are destroyed, when
    /// that is on.
    pub unlock_limit: Option<u32>,
    /// Whether a duress passphrase is set (see [`Session::set_duress`]).
    pub duress: bool,
}

/// How the worker confirms the panic wipe in the desktop app, chosen when it is turned on
/// (the second gesture after the first: opening the wipe dialog).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WipeGesture {
    /// Type a fixed word (WIPE, or 삭제 in Korean).
    TypeWord,
    /// Hold the wipe button down for three seconds.
    HoldButton,
}

impl WipeGesture {
    fn as_str(self) -> &'static str {
        match self {
            WipeGesture::TypeWord => "type_word",
            WipeGesture::HoldButton => "hold_button",
        }
    }
}

/// Where the panic wipe's gesture is kept: inside the vault (so nothing outside it says the
/// wipe is armed), in the settings the case feature keeps on this device.
const SETTING_PANIC_WIPE: &str = "panic_wipe_gesture";

/// The smallest failed-unlock limit [`Session::set_unlock_limit`] accepts.
pub const UNLOCK_LIMIT_MIN: u32 = UnlockGuard::MIN_LIMIT;
/// The largest failed-unlock limit [`Session::set_unlock_limit`] accepts.
pub const UNLOCK_LIMIT_MAX: u32 = UnlockGuard::MAX_LIMIT;

/// Whether `dir` holds a vault.
pub fn vault_exists(dir: &Path) -> bool {
    Vault::exists(dir)
}

/// Whether the vault in `dir` uses the insecure test-only key derivation (read from its
/// header, without unlocking): every front end warns from the vault itself, not from how it
/// was launched.
pub fn vault_uses_insecure_kdf(dir: &Path) -> Result<bool, CoreError> {
    Ok(Vault::uses_insecure_kdf(dir)?)
}

/// Whether this build may create vaults with the insecure test-only key derivation: debug
/// builds only (the automated tests'), never a release build a field worker runs. The library
/// API (`KdfChoice::InsecureTestOnly`) stays available to tests and benchmarks.
pub const INSECURE_KDF_ALLOWED: bool = cfg!(debug_assertions);

/// Creates a vault, returns it unlocked and the recovery code to show once.
pub fn create_vault(dir: &Path, passphrase: &SecretString, kdf: KdfChoice) -> Result<(Session, RecoveryCode), CoreError> {
    check_new_passphrase(passphrase.expose_secret())?;
    let (vault, recovery) = Vault::create(dir, passphrase, kdf)?;
    let mut session = Session { vault, recordings: Default::default(), offline_root: None, hot_docs: Default::default() };
    crate::team::on_vault_created(&mut session)?;
    Ok((session, recovery))
}

/// Unlocks the vault in `dir`. With a failed-unlock limit set, the attempt is counted (on
/// disk, before the key derivation) and the failure that reaches the limit destroys every
/// keyslot; it answers [`CoreError::WrongPassphrase`] exactly as any wrong passphrase does.
/// The duress passphrase, when one is set, opens the decoy here and answers like an
/// ordinary unlock (see [`Session::set_duress`]).
pub fn unlock_vault(dir: &Path, passphrase: &SecretString) -> Result<Session, CoreError> {
    Session::opened(Vault::unlock(dir, passphrase)?)
}

/// Opens the vault with the recovery code (as typed) and sets `new_passphrase`. Counts
/// against the failed-unlock limit as [`unlock_vault`] does.
pub fn recover_vault(dir: &Path, recovery_code: &SecretString, new_passphrase: &SecretString) -> Result<Session, CoreError> {
    let code = RecoveryCode::parse(recovery_code.expose_secret()).map_err(|_| CoreError::MalformedRecoveryCode)?;
    check_new_passphrase(new_passphrase.expose_secret())?;
    Session::opened(Vault::recover(dir, &code, new_passphrase)?)
}

/// Panic wipe of the vault in `dir`, without any secret: every keyslot is overwritten in place
/// and flushed (from then on neither the passphrase nor the recovery code opens anything),
/// then the vault's files and folder are removed. Asking for a secret would slow a worker
/// under pressure and protect nothing: whoever can run this could delete the files anyway.
/// Cases already handed over are safe at HQ; nothing else survives.
pub fn wipe_vault(dir: &Path) -> Result<WipeReport, CoreError> {
    Ok(cairn_store::wipe(dir)?)
}

impl Session {
    /// Panic wipe of this session's vault (see [`wipe_vault`]): the keyslots are destroyed
    /// before the database is closed, then the files are removed.
    pub fn wipe(self) -> Result<WipeReport, CoreError> {
        let Session { vault, recordings, .. } = self;
        let report = vault.wipe();
        drop(recordings);
        Ok(report?)
    }

    /// Sets the failed-unlock limit ([`UNLOCK_LIMIT_MIN`]..=[`UNLOCK_LIMIT_MAX`]), or turns it
    /// off with `None`; the counter starts again at 0. The limit is stored in the clear in
    /// `vault.keys`: it takes the unlocked vault to set here, but anyone who can write the
    /// files can reset it, and someone who copies them first is not limited at all.
    pub fn set_unlock_limit(&mut self, limit: Option<u32>) -> Result<(), CoreError> {
        let limit = limit.unwrap_or(0);
        if limit != 0 && !(UNLOCK_LIMIT_MIN..=UNLOCK_LIMIT_MAX).contains(&limit) {
            return Err(CoreError::UnlockLimitOutOfRange { min: UNLOCK_LIMIT_MIN, max: UNLOCK_LIMIT_MAX });
        }
        Ok(self.vault.set_unlock_limit(limit)?)
    }

    /// Sets (or replaces) the duress passphrase: typed at unlock like the passphrase, it
    /// destroys this vault's keys and opens a decoy in its place. The decoy holds the cases
    /// of `decoy_source` (another vault, unlocked; it is wiped once they are copied, so
    /// nothing of it stays behind), or none. The duress passphrase must meet the rules of a
    /// passphrase and differ from this vault's passphrase and recovery code.
    pub fn set_duress(&mut self, duress: &SecretString, decoy_source: Option<Session>) -> Result<(), CoreError> {
        check_new_passphrase(duress.expose_secret())?;
        let source = decoy_source.map(|Session { vault, recordings, .. }| {
            drop(recordings);
            vault
        });
        Ok(self.vault.set_duress(duress, source)?)
    }

    /// The panic wipe's confirmation gesture in the desktop app, or `None` when the worker has
    /// not turned the app's wipe on (it is opt-in; `cairn wipe` needs no setting).
    pub fn panic_wipe_gesture(&mut self) -> Result<Option<WipeGesture>, CoreError> {
        let stored = self.vault.read(|tx| tx.case_setting(SETTING_PANIC_WIPE))?;
        Ok(match stored.as_deref() {
            Some("type_word") => Some(WipeGesture::TypeWord),
            Some("hold_button") => Some(WipeGesture::HoldButton),
            _ => None,
        })
    }

    /// Turns the desktop app's panic wipe on with `gesture`, or off with `None`.
    pub fn set_panic_wipe_gesture(&mut self, gesture: Option<WipeGesture>) -> Result<(), CoreError> {
        Ok(self.vault.transaction(|tx| match gesture {
            Some(gesture) => tx.put_case_setting(SETTING_PANIC_WIPE, gesture.as_str()),
            None => tx.delete_case_setting(SETTING_PANIC_WIPE),
        })?)
    }

    /// Removes the duress passphrase (and empties the decoy).
    pub fn remove_duress(&mut self) -> Result<(), CoreError> {
        Ok(self.vault.remove_duress()?)
    }

    /// A session over a vault just opened: brings derived data up to date after an upgrade.
    fn opened(vault: Vault) -> Result<Session, CoreError> {
        let mut session =
            Session { vault, recordings: Default::default(), offline_root: None, hot_docs: Default::default() };
        // A decoy opened by a duress passphrase starts without a device identity.
        crate::team::on_vault_created(&mut session)?;
        let author = session.worker_name()?;
        crate::cases::rebuild_stale_summaries(&mut session.vault, &author)?;
        // Identity text from before sealing, or an enrollment interrupted before its reseal.
        session.settle_identity_sealing()?;
        // Receipts that arrived while the vault was closed, or a purge the policy made due.
        session.settle_handovers()?;
        Ok(session)
    }

    /// Format, KDF, identity and counts.
    pub fn status(&self) -> Result<VaultStatus, CoreError> {
        let info = self.vault.info()?;
        Ok(VaultStatus {
            format_version: info.header_format,
            schema_version: info.schema_version,
            kdf: info.kdf,
            insecure_kdf: info.kdf_profile == KdfProfile::InsecureTestOnly,
            vault_id: hex_id(&info.vault_id),
            device_id: hex_id(&info.device_id),
            case_count: self.vault.case_count()?,
            unlock_limit: Some(info.unlock_limit).filter(|&limit| limit > 0),
            duress: info.duress,
        })
    }

    /// Replaces the passphrase (the old one stops working at once).
    pub fn change_passphrase(&mut self, new_passphrase: &SecretString) -> Result<(), CoreError> {
        check_new_passphrase(new_passphrase.expose_secret())?;
        Ok(self.vault.change_passphrase(new_passphrase)?)
    }

    /// Replaces the recovery code; the new one is returned to be shown once, and the old one
    /// opens nothing from now on (an old copy of `vault.keys` made before still does).
    pub fn rotate_recovery_code(&mut self) -> Result<RecoveryCode, CoreError> {
        Ok(self.vault.rotate_recovery_code()?)
    }

    /// A full re-key (see `cairn_store`'s `rekey.rs`): a new master key, the database
    /// re-encrypted under a new key, `new_passphrase` and `new_code` the only secrets that open
    /// it, and a new case-key wrapping key. Show `new_code` before calling: a kill once the new
    /// header is written leaves the new passphrase and code in force. Refused with
    /// [`CoreError::VaultInUse`] while another window or command has the vault open.
    pub fn rekey(&mut self, new_passphrase: &SecretString, new_code: &RecoveryCode) -> Result<(), CoreError> {
        check_new_passphrase(new_passphrase.expose_secret())?;
        Ok(self.vault.rekey(new_passphrase, new_code)?)
    }

    /// Checks every page of the encrypted database.
    pub fn check_integrity(&self) -> Result<(), CoreError> {
        Ok(self.vault.check_integrity()?)
    }

    /// Locks: closes the database and zeroizes keys.
    pub fn lock(self) {
        self.vault.lock();
    }

    /// The underlying vault, for the other modules of this crate.
    #[allow(dead_code)]
    pub(crate) fn vault_mut(&mut self) -> &mut Vault {
        &mut self.vault
    }

    /// The vault and the root key opened for this session (HQ), borrowed apart.
    pub(crate) fn hq_parts(&mut self) -> (&mut Vault, Option<&cairn_crypto::SigningSecretKey>) {
        (&mut self.vault, self.offline_root.as_ref())
    }

    /// The active recordings.
    pub(crate) fn recordings_ref(&self) -> &crate::recordings::ActiveRecordings {
        &self.recordings
    }

    /// The vault and the active recordings, borrowed together.
    pub(crate) fn vault_and_recordings(&mut self) -> (&mut Vault, &mut crate::recordings::ActiveRecordings) {
        (&mut self.vault, &mut self.recordings)
    }

    /// The underlying vault, read-only, for the test support.
    #[cfg(any(test, feature = "testing"))]
    pub(crate) fn vault(&self) -> &Vault {
        &self.vault
    }
}

fn hex_id(id: &[u8; 16]) -> String {
    hex::encode(id)
}
