//! Creating, unlocking, re-keying and locking a vault.

use std::{
    fs,
    path::{Path, PathBuf},
    time::Duration,
};

use cairn_crypto::{
    CaseKey, CryptoError, DeviceWrapKey, KdfParams, KdfProfile, RecoveryCode, SlotKind, UnlockGuard, VaultHeader,
    VaultMasterKey, WrapKey, calibrate_kdf,
};
use rusqlite::{Connection, OpenFlags, OptionalExtension, Transaction, TransactionBehavior, params};
use secrecy::{ExposeSecret, SecretString};
use zeroize::Zeroizing;

use crate::{
    DATABASE_FILE, DECOY_FILE, HEADER_FILE, Id, StoreError, duress,
    erasure::{self, Erasure, WrapState},
    fsutil, rekey, schema,
    wipe::{self, WipeReport},
};

/// How to choose Argon2id parameters for a new vault.
#[derive(Debug, Clone, Copy)]
pub enum KdfChoice {
    /// Calibrate on this machine to about 0.5–1 s (DESIGN §3).
    Calibrate,
    /// Use these parameters (at least [`KdfParams::FLOOR`]).
    Fixed(KdfParams),
    /// Tiny parameters for automated tests; recorded in the header and reported by status.
    InsecureTestOnly,
}

/// Facts about an unlocked vault that are safe to show.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VaultInfo {
    /// Version of the header format.
    pub header_format: u16,
    /// Version of the database schema.
    pub schema_version: u32,
    /// Argon2id parameters.
    pub kdf: KdfParams,
    /// Whether the insecure test profile is in use.
    pub kdf_profile: KdfProfile,
    /// The vault's random identifier.
    pub vault_id: Id,
    /// This device's random identifier.
    pub device_id: Id,
    /// Failed unlocks after which the keys are destroyed; 0 when off (see `wipe.rs`).
    pub unlock_limit: u32,
    /// Whether a duress passphrase is set (see `duress.rs`; recorded inside the database,
    /// since the header cannot tell).
    pub duress: bool,
}

/// An unlocked vault. Dropping it (or [`Vault::lock`]) closes the database and zeroizes keys.
pub struct Vault {
    pub(crate) dir: PathBuf,
    pub(crate) header: VaultHeader,
    pub(crate) passphrase_slot: Option<usize>,
    pub(crate) master_key: VaultMasterKey,
    /// The K_wrap of the database's current generation (see `erasure.rs`).
    pub(crate) wrap: WrapState,
    /// Whether `vault.keys` may still hold a wrapping key other than the current one (a
    /// rotation committed but not yet settled, or a crash in the middle of one).
    pub(crate) settle_owed: bool,
    /// Whether deleted content may still sit in the WAL (a checkpoint was busy).
    pub(crate) checkpoint_owed: bool,
    /// K_dev sealed under the master key, kept in the database once the vault was re-keyed
    /// (see `rekey.rs`); `None` while K_dev is derived from the master key.
    pub(crate) carried_device_wrap_key: Option<Vec<u8>>,
    /// The keys were zeroized because the vault is being locked (see
    /// [`VaultTx::end_session_on_failure`]): nothing more may run on this handle.
    keys_forgotten: bool,
    /// Told when the keys are forgotten, before the transaction is undone (tests only).
    #[cfg(feature = "testing")]
    pub(crate) key_loss_probe: Option<Box<dyn FnMut(KeyLoss) + Send>>,
    pub(crate) connection: Connection,
}

/// What a test sees at the moment a locking vault has zeroized its keys (feature `testing`).
#[cfg(feature = "testing")]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KeyLoss {
    /// The master key and the case-key wrapping key are all zeros.
    pub keys_zeroized: bool,
    /// The failing write transaction is still open: it has not been rolled back yet.
    pub transaction_open: bool,
}

impl std::fmt::Debug for Vault {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Vault").finish_non_exhaustive()
    }
}

/// Key-derivation calibration target: the low end of DESIGN's 0.5–1 s.
const CALIBRATION_TARGET: Duration = Duration::from_millis(500);

impl Vault {
    /// Whether `dir` holds a vault.
    pub fn exists(dir: &Path) -> bool {
        dir.join(HEADER_FILE).is_file()
    }

    /// Whether the vault in `dir` was made with the insecure test-only key derivation, read
    /// from its header without unlocking it (the parameters are not secret), so a front end
    /// can warn before anyone types a passphrase.
    pub fn uses_insecure_kdf(dir: &Path) -> Result<bool, StoreError> {
        Ok(read_header(dir)?.kdf_profile() == cairn_crypto::KdfProfile::InsecureTestOnly)
    }

    /// Creates a new vault in `dir` (created if missing) opened by `passphrase`, and returns
    /// it unlocked together with the recovery code, which is shown once and never stored.
    pub fn create(dir: &Path, passphrase: &SecretString, kdf: KdfChoice) -> Result<(Vault, RecoveryCode), StoreError> {
        if Self::exists(dir) {
            return Err(StoreError::VaultExists);
        }
        fsutil::create_private_dir(dir)?;
        fsutil::remove_stale_temporaries(dir);
        // A database without a header is the remains of an interrupted create: nothing in
        // it can ever be opened, so it is safe to remove.
        for leftover in database_files(dir) {
            if leftover.exists() {
                fs::remove_file(&leftover)?;
            }
        }
        let (params, profile) = match kdf {
            KdfChoice::Calibrate => (calibrate_kdf(CALIBRATION_TARGET), KdfProfile::Standard),
            KdfChoice::Fixed(params) => (params, KdfProfile::Standard),
            KdfChoice::InsecureTestOnly => (KdfParams::INSECURE_TEST, KdfProfile::InsecureTestOnly),
        };
        let recovery = RecoveryCode::generate();
        let (header, master_key) = VaultHeader::create(passphrase.expose_secret(), &recovery, params, profile)?;
        // The database first, the header last: the header's presence marks a finished vault.
        let connection = open_database(&dir.join(DATABASE_FILE), &header.vault_id(), &master_key, true)?;
        connection.execute(
            "INSERT INTO meta (key, value) VALUES ('device_id', ?1)",
            params![cairn_crypto::random_id().as_slice()],
        )?;
        // Every vault has a decoy database from the start, so one with a duress passphrase
        // looks the same on disk as one without (see `duress.rs`).
        duress::write_decoy(dir, &header.vault_id(), &VaultMasterKey::generate(), None)?;
        let mut wrap_keys = header.case_wrap_keys(&master_key);
        let wrap = WrapState::Held(wrap_keys.pop().ok_or(StoreError::Damaged { what: "vault header" })?);
        erasure::set_generation(&connection, wrap.generation())?;
        fsutil::write_atomically(&dir.join(HEADER_FILE), &header.to_bytes())?;
        let vault = Vault {
            dir: dir.to_owned(),
            header,
            passphrase_slot: Some(0),
            master_key,
            wrap,
            settle_owed: false,
            checkpoint_owed: false,
            carried_device_wrap_key: None,
            keys_forgotten: false,
            #[cfg(feature = "testing")]
            key_loss_probe: None,
            connection,
        };
        Ok((vault, recovery))
    }

    /// Unlocks the vault in `dir` with its passphrase. The attempt counts against the
    /// failed-unlock limit when one is set, and a failure that reaches it destroys the keys
    /// while answering [`StoreError::WrongPassphrase`] like any other (see `wipe.rs`). The
    /// recovery code is refused here (it is for [`Vault::recover`]).
    ///
    /// The duress passphrase, when one is set, is accepted here like the passphrase: it
    /// destroys the vault's own keys and opens the decoy in its place (see `duress.rs`).
    pub fn unlock(dir: &Path, passphrase: &SecretString) -> Result<Vault, StoreError> {
        let (header, unlocked) =
            wipe::unlock_guarded(dir, SlotKind::Passphrase, |header| header.unlock(passphrase.expose_secret()))?;
        if unlocked.kind == SlotKind::Duress {
            let (header, master_key) = duress::turn_into_decoy(dir, header, unlocked)?;
            return Self::open(dir, header, master_key, Some(VaultHeader::PASSPHRASE_SLOT));
        }
        Self::open(dir, header, unlocked.master_key, Some(unlocked.slot))
    }

    /// Opens the vault with its recovery code and sets a new passphrase. Counts against the
    /// failed-unlock limit as [`Vault::unlock`] does.
    pub fn recover(dir: &Path, code: &RecoveryCode, new_passphrase: &SecretString) -> Result<Vault, StoreError> {
        let (header, unlocked) =
            wipe::unlock_guarded(dir, SlotKind::Recovery, |header| header.unlock_with_recovery_code(code))?;
        let mut vault = Self::open(dir, header, unlocked.master_key, Some(VaultHeader::PASSPHRASE_SLOT))?;
        vault.change_passphrase(new_passphrase)?;
        Ok(vault)
    }

    pub(crate) fn open(
        dir: &Path,
        header: VaultHeader,
        master_key: VaultMasterKey,
        slot: Option<usize>,
    ) -> Result<Vault, StoreError> {
        fsutil::remove_stale_temporaries(dir);
        let database = dir.join(DATABASE_FILE);
        let connection = match open_database(&database, &header.vault_id(), &master_key, false) {
            // A re-key cut off after its new header, before the database was under the new
            // key: finish it (see `rekey.rs`).
            Err(StoreError::Damaged { what: "database" }) if rekey::journal_exists(dir) => {
                rekey::finish_interrupted(dir, &header.vault_id(), &master_key)?
            }
            // A duress unlock cut off after the header was rewritten, before the decoy was
            // moved into place: finish it.
            Err(StoreError::Damaged { what: "database" }) if duress::decoy_opens(dir, &header.vault_id(), &master_key) => {
                duress::move_decoy_into_place(dir)?;
                open_database(&database, &header.vault_id(), &master_key, false)?
            }
            other => other?,
        };
        rekey::remove_stale_journal(dir, &header, &master_key)?;
        let carried_device_wrap_key = rekey::carried_device_wrap_key(&connection, &header.vault_id(), &master_key)?;
        // A vault made before decoys existed, or a duress unlock cut off before the next
        // decoy was written.
        if !dir.join(DECOY_FILE).exists() {
            duress::write_decoy(dir, &header.vault_id(), &VaultMasterKey::generate(), None)?;
        }
        // Generation 0 until the first transaction reads the database's own generation.
        let wrap = WrapState::Derived(master_key.wrap_key(&header.vault_id()));
        let mut vault = Vault {
            dir: dir.to_owned(),
            header,
            passphrase_slot: slot,
            master_key,
            wrap,
            // A crash may have left a rotation unsettled or deleted content in the WAL.
            settle_owed: true,
            checkpoint_owed: true,
            carried_device_wrap_key,
            keys_forgotten: false,
            #[cfg(feature = "testing")]
            key_loss_probe: None,
            connection,
        };
        // Settles what an interrupted rotation left in `vault.keys`, and upgrades a v1 vault
        // (K_wrap derived from the VMK) to a random K_wrap kept in a v2 header.
        vault.transaction(|_| Ok(()))?;
        // A v2 header gains the unlock guard (off) of v3, and a v3 header the checksum of v4.
        if vault.header.format_version() < VaultHeader::FORMAT {
            vault.replace_header(|current| Ok(current.with_unlock_guard(current.unlock_guard())?.upgraded()?))?;
        }
        Ok(vault)
    }

    /// Replaces `vault.keys` with `edit` of the file as it is now, under the database's write
    /// lock (another process's rotation may have replaced the wrapping keys since this one
    /// read the header), atomically.
    pub(crate) fn replace_header(
        &mut self,
        edit: impl FnOnce(&VaultHeader) -> Result<VaultHeader, StoreError>,
    ) -> Result<(), StoreError> {
        let tx = self.connection.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let current = erasure::read_own_header(&self.dir, &self.header.vault_id())?;
        let next = edit(&current)?;
        fsutil::write_atomically(&self.dir.join(HEADER_FILE), &next.to_bytes())?;
        tx.commit()?;
        self.header = next;
        Ok(())
    }

    /// Sets the failed-unlock limit (`UnlockGuard::MIN_LIMIT..=UnlockGuard::MAX_LIMIT`), or
    /// turns it off with 0, and resets the counter. Stored in the clear in `vault.keys`:
    /// setting it needs the vault unlocked, but anyone who can write the file can change it
    /// (see `wipe.rs`).
    pub fn set_unlock_limit(&mut self, limit: u32) -> Result<(), StoreError> {
        if !UnlockGuard::limit_is_valid(limit) {
            return Err(CryptoError::Malformed { what: "unlock limit" }.into());
        }
        self.replace_header(|current| Ok(current.with_unlock_guard(UnlockGuard { limit, failures: 0 })?))
    }

    /// Destroys every keyslot in place, then removes the vault's files and folder: the panic
    /// wipe of `wipe.rs`, from an unlocked vault. The keys go first, before the database is
    /// closed (closing may checkpoint the WAL, which takes time the wipe does not wait for).
    pub fn wipe(self) -> Result<WipeReport, StoreError> {
        let dir = self.dir.clone();
        let start = std::time::Instant::now();
        let destroyed = wipe::destroy_keys(&dir);
        let unrecoverable_after = start.elapsed();
        drop(self);
        destroyed?;
        let report = wipe::wipe(&dir)?;
        Ok(WipeReport { unrecoverable_after, total: start.elapsed(), folder_removed: report.folder_removed })
    }

    /// Replaces the passphrase. Only the keyslot is re-wrapped; the header file is replaced
    /// atomically, so after a crash exactly one of the old and new passphrases works.
    pub fn change_passphrase(&mut self, new_passphrase: &SecretString) -> Result<(), StoreError> {
        let slot = self.passphrase_slot.ok_or(StoreError::NotFound { what: "passphrase keyslot" })?;
        let dir = self.dir.clone();
        let master_key = &self.master_key;
        let vault_id = self.header.vault_id();
        // Under the database's write lock, from the file as it is now: another process's
        // rotation may have replaced the wrapping keys since this one read the header.
        let tx = self.connection.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let current = erasure::read_own_header(&dir, &vault_id)?;
        let next = current.rewrap(slot, SlotKind::Passphrase, master_key, new_passphrase.expose_secret())?;
        fsutil::write_atomically(&dir.join(HEADER_FILE), &next.to_bytes())?;
        tx.commit()?;
        self.header = next;
        Ok(())
    }

    /// Replaces the recovery code with a new one, returned to be shown once: the old code stops
    /// opening the vault at once (the header file is replaced atomically, so after a crash
    /// exactly one of the two works). For a code that may have been seen, or used by `recover`.
    /// An old copy of `vault.keys` (a backup, or blocks an SSD kept) still opens with the old
    /// code: rotation protects against a later look at this laptop, not a copy taken before.
    pub fn rotate_recovery_code(&mut self) -> Result<RecoveryCode, StoreError> {
        let code = RecoveryCode::generate();
        let dir = self.dir.clone();
        let master_key = &self.master_key;
        let vault_id = self.header.vault_id();
        let tx = self.connection.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let current = erasure::read_own_header(&dir, &vault_id)?;
        let next = current.rewrap_recovery_code(master_key, &code)?;
        fsutil::write_atomically(&dir.join(HEADER_FILE), &next.to_bytes())?;
        tx.commit()?;
        self.header = next;
        Ok(code)
    }

    /// Locks the vault: closes the database and zeroizes every key.
    pub fn lock(self) {
        drop(self);
    }

    /// Facts about this vault that are safe to display.
    pub fn info(&self) -> Result<VaultInfo, StoreError> {
        let device_id = self.meta_id("device_id")?;
        let schema_version = self.connection.query_row("PRAGMA user_version", [], |row| row.get(0))?;
        Ok(VaultInfo {
            header_format: self.header.format_version(),
            schema_version,
            kdf: self.header.kdf_params(),
            kdf_profile: self.header.kdf_profile(),
            vault_id: self.header.vault_id(),
            device_id,
            unlock_limit: self.header.unlock_guard().limit,
            duress: duress::is_set(&self.connection)?,
        })
    }

    fn meta_id(&self, key: &str) -> Result<Id, StoreError> {
        let value: Vec<u8> = self.connection.query_row("SELECT value FROM meta WHERE key = ?1", [key], |row| row.get(0))?;
        value.try_into().map_err(|_| StoreError::Damaged { what: "vault metadata" })
    }

    /// K_dev, which wraps this device's private keys: derived from the master key, or after a
    /// re-key kept in the database sealed under it (see `rekey.rs`).
    pub fn device_wrap_key(&self) -> Result<DeviceWrapKey, StoreError> {
        self.refuse_if_keys_forgotten()?;
        let vault_id = self.header.vault_id();
        match &self.carried_device_wrap_key {
            Some(sealed) => Ok(self
                .master_key
                .open_device_wrap_key(&vault_id, sealed)
                .map_err(|_| StoreError::Damaged { what: "device key wrapping key" })?),
            None => Ok(self.master_key.device_wrap_key(&vault_id)),
        }
    }

    /// Number of cases that have a key in this vault.
    pub fn case_count(&self) -> Result<u64, StoreError> {
        let count: i64 = self.connection.query_row("SELECT count(DISTINCT case_id) FROM case_keys", [], |row| row.get(0))?;
        Ok(count as u64)
    }

    /// Runs `work` in one write transaction: all of it is committed, or none. When `work`
    /// deleted a case's keys or content, the same call also makes them unrecoverable: the
    /// case-key wrapping key is replaced and the WAL checkpointed (see `erasure.rs`).
    pub fn transaction<T>(&mut self, work: impl FnOnce(&mut VaultTx<'_>) -> Result<T, StoreError>) -> Result<T, StoreError> {
        self.transaction_with(work)
    }

    /// [`Vault::transaction`] for work that fails with the caller's own error type (which
    /// must take in storage errors): any error rolls everything back and is returned as is.
    pub fn transaction_with<T, E: From<StoreError>>(
        &mut self,
        work: impl FnOnce(&mut VaultTx<'_>) -> Result<T, E>,
    ) -> Result<T, E> {
        self.refuse_if_keys_forgotten()?;
        // Take the write lock up front: a deferred transaction that reads first and writes
        // later fails with SQLITE_BUSY when another process wrote in between.
        let tx = self.connection.transaction_with_behavior(TransactionBehavior::Immediate).map_err(StoreError::from)?;
        // Holding the write lock, the generation cannot change under us, and `vault.keys`
        // (written only under this lock) holds its key.
        let generation = erasure::generation(&tx)?;
        if generation != self.wrap.generation() {
            self.wrap = erasure::load_wrap(&self.dir, &self.master_key, &self.header.vault_id(), generation)?;
        }
        if self.settle_owed {
            self.settle_owed = false;
            self.header = erasure::settle(&self.dir, &self.master_key, &self.header.vault_id(), generation)?;
        }
        let (value, erased, rotation) = {
            let mut vault_tx = VaultTx::new(tx, self.wrap.key());
            // On error `vault_tx` is dropped uncommitted, which rolls back.
            let value = match work(&mut vault_tx) {
                Ok(value) => value,
                Err(error) if vault_tx.session_ending => {
                    // The vault is being locked: the keys go before the transaction is undone.
                    // Dropping the transaction would roll back now; it is forgotten instead (it
                    // holds only references: nothing leaks) and the rollback is issued after
                    // the keys are zeroed.
                    std::mem::forget(vault_tx);
                    self.forget_keys();
                    #[cfg(feature = "testing")]
                    self.report_key_loss();
                    self.connection.execute_batch("ROLLBACK").map_err(StoreError::from)?;
                    return Err(error);
                }
                Err(error) => return Err(error),
            };
            let erased = vault_tx.erasure;
            // A deleted case key (or a v1 vault's derived K_wrap) means a new K_wrap.
            let rotation = if erased == Erasure::Keys || generation == 0 {
                let vault_id = self.header.vault_id();
                Some(erasure::begin_rotation(&self.dir, &self.master_key, &vault_id, &self.wrap, &mut vault_tx)?)
            } else {
                None
            };
            let VaultTx { tx, .. } = vault_tx;
            tx.commit().map_err(StoreError::from)?;
            (value, erased, rotation)
        };
        if let Some((next, header)) = rotation {
            self.wrap = WrapState::Held(next);
            self.header = header;
            self.settle_owed = true;
            self.settle_now();
        }
        if erased != Erasure::None || generation == 0 {
            self.checkpoint_owed = true;
        }
        if self.checkpoint_owed {
            self.checkpoint_now();
        }
        Ok(value)
    }

    /// Runs `read` against a consistent snapshot (no writes).
    pub fn read<T>(&mut self, read: impl FnOnce(&VaultTx<'_>) -> Result<T, StoreError>) -> Result<T, StoreError> {
        self.read_with(read)
    }

    /// [`Vault::read`] for work that fails with the caller's own error type.
    pub fn read_with<T, E: From<StoreError>>(&mut self, read: impl FnOnce(&VaultTx<'_>) -> Result<T, E>) -> Result<T, E> {
        self.refuse_if_keys_forgotten()?;
        // Another process may have replaced the wrapping key since this one last looked. Its
        // key is in `vault.keys` before its generation commits, but may leave it again before
        // this snapshot ends (a second rotation): then a fresh snapshot has the newer one.
        let mut attempts = 0;
        let tx = loop {
            let tx = self.connection.transaction().map_err(StoreError::from)?;
            let generation = erasure::generation(&tx)?;
            if generation == self.wrap.generation() {
                break tx;
            }
            match erasure::load_wrap(&self.dir, &self.master_key, &self.header.vault_id(), generation) {
                Ok(wrap) => {
                    self.wrap = wrap;
                    break tx;
                }
                Err(_) if attempts < 3 => attempts += 1,
                Err(error) => return Err(error.into()),
            }
        };
        let vault_tx = VaultTx::new(tx, self.wrap.key());
        read(&vault_tx)
    }

    /// Zeroizes the master key and the case-key wrapping key in place. The handle is of no
    /// further use: every transaction is refused with [`StoreError::Locked`]. SQLCipher's own
    /// copy of K_db goes when the connection closes, with the handle.
    pub(crate) fn forget_keys(&mut self) {
        use zeroize::Zeroize;
        self.master_key.zeroize();
        match &mut self.wrap {
            WrapState::Derived(key) => key.zeroize(),
            WrapState::Held(key) => key.zeroize(),
        }
        self.keys_forgotten = true;
    }

    fn refuse_if_keys_forgotten(&self) -> Result<(), StoreError> {
        if self.keys_forgotten { Err(StoreError::Locked) } else { Ok(()) }
    }

    #[cfg(feature = "testing")]
    fn report_key_loss(&mut self) {
        let Some(mut probe) = self.key_loss_probe.take() else { return };
        probe(KeyLoss {
            keys_zeroized: self.master_key.is_zeroized() && self.wrap.key().is_zeroized(),
            transaction_open: !self.connection.is_autocommit(),
        });
    }

    /// Checks every page of the database (SQLCipher HMACs and SQLite structure).
    pub fn check_integrity(&self) -> Result<(), StoreError> {
        let mut statement = self.connection.prepare("PRAGMA cipher_integrity_check")?;
        let mut rows = statement.query([])?;
        if rows.next()?.is_some() {
            return Err(StoreError::Damaged { what: "database pages" });
        }
        let verdict: String = self.connection.query_row("PRAGMA integrity_check", [], |row| row.get(0))?;
        if verdict != "ok" {
            return Err(StoreError::Damaged { what: "database structure" });
        }
        Ok(())
    }
}

/// A write (or read) transaction over an unlocked vault.
pub struct VaultTx<'v> {
    pub(crate) tx: Transaction<'v>,
    pub(crate) wrap_key: &'v WrapKey,
    /// What this transaction destroyed, so the commit can make it unrecoverable.
    pub(crate) erasure: Erasure,
    /// The work fails because the vault is being locked (see [`VaultTx::end_session_on_failure`]).
    session_ending: bool,
}

impl<'v> VaultTx<'v> {
    pub(crate) fn new(tx: Transaction<'v>, wrap_key: &'v WrapKey) -> Self {
        VaultTx { tx, wrap_key, erasure: Erasure::None, session_ending: false }
    }

    /// The work is about to fail because the vault is being locked (the panic lock stopped a
    /// long import). The vault's keys are then zeroized *before* the transaction is rolled
    /// back, so a lock never waits for a rollback to take the keys, and the vault handle
    /// refuses all further work ([`StoreError::Locked`]). Without a failure it changes nothing.
    pub fn end_session_on_failure(&mut self) {
        self.session_ending = true;
    }

    /// Creates the first key (version 1) of a new case, named by a random key id.
    pub fn create_case_key(&mut self, case_id: &Id) -> Result<(u32, CaseKey), StoreError> {
        let key = CaseKey::generate();
        let wrapped = cairn_crypto::wrap_case_key(self.wrap_key, case_id, 1, &key);
        self.tx.execute(
            "INSERT INTO case_keys (case_id, key_version, wrapped, key_id) VALUES (?1, 1, ?2, ?3)",
            params![case_id.as_slice(), wrapped, cairn_crypto::random_id().as_slice()],
        )?;
        Ok((1, key))
    }

    /// Starts a new key version for every case this vault holds (after a team epoch change:
    /// what is written from now on is sealed under keys a revoked device never had). Each new
    /// key gets a random key id. Returns how many cases were given a new key.
    pub fn rotate_case_keys(&mut self) -> Result<usize, StoreError> {
        let cases = self.case_ids()?;
        for case_id in &cases {
            let version: u32 = self
                .tx
                .prepare_cached("SELECT COALESCE(MAX(key_version), 0) + 1 FROM case_keys WHERE case_id = ?1")?
                .query_row([case_id.as_slice()], |row| row.get(0))?;
            let key = CaseKey::generate();
            let wrapped = cairn_crypto::wrap_case_key(self.wrap_key, case_id, version, &key);
            self.tx.execute(
                "INSERT INTO case_keys (case_id, key_version, wrapped, key_id) VALUES (?1, ?2, ?3, ?4)",
                params![case_id.as_slice(), version, wrapped, cairn_crypto::random_id().as_slice()],
            )?;
        }
        Ok(cases.len())
    }

    /// The newest key of a case with its key id (what sync seals changes under and shares).
    pub fn case_key_with_id(&self, case_id: &Id) -> Result<(Id, CaseKey), StoreError> {
        let row: Option<(u32, Vec<u8>, Vec<u8>)> = self
            .tx
            .prepare_cached(
                "SELECT key_version, wrapped, key_id FROM case_keys WHERE case_id = ?1 ORDER BY key_version DESC LIMIT 1",
            )?
            .query_row([case_id.as_slice()], |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)))
            .optional()?;
        let (version, wrapped, key_id) = row.ok_or(StoreError::NotFound { what: "case" })?;
        let key_id = key_id.try_into().map_err(|_| StoreError::Damaged { what: "case key id" })?;
        Ok((key_id, cairn_crypto::unwrap_case_key(self.wrap_key, case_id, version, &wrapped)?))
    }

    /// The key of a case named `key_id`, if this vault holds it.
    pub fn case_key_by_id(&self, case_id: &Id, key_id: &Id) -> Result<Option<CaseKey>, StoreError> {
        let row: Option<(u32, Vec<u8>)> = self
            .tx
            .prepare_cached("SELECT key_version, wrapped FROM case_keys WHERE case_id = ?1 AND key_id = ?2")?
            .query_row([case_id.as_slice(), key_id.as_slice()], |row| Ok((row.get(0)?, row.get(1)?)))
            .optional()?;
        row.map(|(version, wrapped)| Ok(cairn_crypto::unwrap_case_key(self.wrap_key, case_id, version, &wrapped)?))
            .transpose()
    }

    /// Keeps a case key received from a peer (named `key_id`), wrapped under this vault's own
    /// wrapping key as the case's next local version. Idempotent: a key already held is not
    /// stored twice. Returns whether it was new.
    pub fn import_case_key(&mut self, case_id: &Id, key_id: &Id, key: &CaseKey) -> Result<bool, StoreError> {
        if self.case_key_by_id(case_id, key_id)?.is_some() {
            return Ok(false);
        }
        let version: u32 = self
            .tx
            .prepare_cached("SELECT COALESCE(MAX(key_version), 0) + 1 FROM case_keys WHERE case_id = ?1")?
            .query_row([case_id.as_slice()], |row| row.get(0))?;
        let wrapped = cairn_crypto::wrap_case_key(self.wrap_key, case_id, version, key);
        self.tx.execute(
            "INSERT INTO case_keys (case_id, key_version, wrapped, key_id) VALUES (?1, ?2, ?3, ?4)",
            params![case_id.as_slice(), version, wrapped, key_id.as_slice()],
        )?;
        Ok(true)
    }

    /// The newest key of a case and its version.
    pub fn case_key(&self, case_id: &Id) -> Result<(u32, CaseKey), StoreError> {
        let row: Option<(u32, Vec<u8>)> = self
            .tx
            .prepare_cached(
                "SELECT key_version, wrapped FROM case_keys WHERE case_id = ?1 ORDER BY key_version DESC LIMIT 1",
            )?
            .query_row([case_id.as_slice()], |row| Ok((row.get(0)?, row.get(1)?)))
            .optional()?;
        let (version, wrapped) = row.ok_or(StoreError::NotFound { what: "case" })?;
        Ok((version, cairn_crypto::unwrap_case_key(self.wrap_key, case_id, version, &wrapped)?))
    }

    /// Checks that every key version of a case still unwraps (damage is reported as it is
    /// when a chunk is opened). For reads answered from documents already in memory, which
    /// open no chunk and would otherwise not notice a damaged key.
    pub fn check_case_keys(&self, case_id: &Id) -> Result<(), StoreError> {
        let mut statement = self.tx.prepare_cached("SELECT key_version, wrapped FROM case_keys WHERE case_id = ?1")?;
        let mut rows = statement.query([case_id.as_slice()])?;
        let mut versions = 0;
        while let Some(row) = rows.next()? {
            let (version, wrapped): (u32, Vec<u8>) = (row.get(0)?, row.get(1)?);
            drop(cairn_crypto::unwrap_case_key(self.wrap_key, case_id, version, &wrapped)?);
            versions += 1;
        }
        if versions == 0 {
            return Err(StoreError::NotFound { what: "case" });
        }
        Ok(())
    }

    /// A specific key version of a case.
    pub fn case_key_version(&self, case_id: &Id, version: u32) -> Result<CaseKey, StoreError> {
        let wrapped: Option<Vec<u8>> = self
            .tx
            .query_row(
                "SELECT wrapped FROM case_keys WHERE case_id = ?1 AND key_version = ?2",
                params![case_id.as_slice(), version],
                |row| row.get(0),
            )
            .optional()?;
        let wrapped = wrapped.ok_or(StoreError::NotFound { what: "case key" })?;
        Ok(cairn_crypto::unwrap_case_key(self.wrap_key, case_id, version, &wrapped)?)
    }

    /// Every case id in the vault.
    pub fn case_ids(&self) -> Result<Vec<Id>, StoreError> {
        let mut statement = self.tx.prepare("SELECT DISTINCT case_id FROM case_keys ORDER BY case_id")?;
        let ids = statement.query_map([], |row| row.get::<_, Vec<u8>>(0))?;
        ids.map(|id| id?.try_into().map_err(|_| StoreError::Damaged { what: "case id" })).collect()
    }

    /// Crypto-shreds a case: its keys, records and blobs are deleted in one transaction
    /// (with `secure_delete` the freed pages are zeroed inside the encrypted file). When the
    /// transaction commits, the vault also replaces the key that wrapped the case's keys and
    /// checkpoints the WAL, so neither a stale page nor the passphrase brings the key back
    /// (see `erasure.rs` for what remains on an SSD).
    pub fn delete_case(&mut self, case_id: &Id) -> Result<(), StoreError> {
        let id = case_id.as_slice();
        let deleted = self.tx.execute("DELETE FROM case_keys WHERE case_id = ?1", [id])?;
        if deleted == 0 {
            return Err(StoreError::NotFound { what: "case" });
        }
        self.erasure = Erasure::Keys;
        self.tx.execute("DELETE FROM records WHERE case_id = ?1", [id])?;
        self.tx.execute("DELETE FROM blob_chunks WHERE blob_id IN (SELECT blob_id FROM blobs WHERE case_id = ?1)", [id])?;
        self.tx.execute("DELETE FROM blobs WHERE case_id = ?1", [id])?;
        self.tx.execute(
            "DELETE FROM blob_chunks WHERE blob_id IN (SELECT blob_id FROM blob_uploads WHERE case_id = ?1)",
            [id],
        )?;
        self.tx.execute("DELETE FROM blob_uploads WHERE case_id = ?1", [id])?;
        Ok(())
    }
}

fn database_files(dir: &Path) -> [PathBuf; 8] {
    wipe::database_files(dir)
}

pub(crate) fn read_header(dir: &Path) -> Result<VaultHeader, StoreError> {
    let bytes = match fs::read(dir.join(HEADER_FILE)) {
        Ok(bytes) => bytes,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Err(StoreError::VaultNotFound),
        Err(error) => return Err(error.into()),
    };
    VaultHeader::parse(&bytes).map_err(|error| match error {
        // A small higher number is a newer Cairn; anything else is damage.
        CryptoError::UnsupportedVersion { version, .. } if (5..=64).contains(&version) => {
            StoreError::NewerFormat { what: "vault header", version: version.into() }
        }
        _ => StoreError::Damaged { what: "vault header" },
    })
}

/// Makes SQLite wipe everything it frees, for the whole process, once, before any vault
/// connection exists: from then on no plaintext SQLite held (pages, rows, its copies of the key
/// statement) stays in freed memory. SQLite allocates through `cairn-sqlite-memory`, which
/// overwrites each block with zeros before freeing it. Only if SQLite was already initialised
/// in this process (something opened a connection before the first vault) is that too late;
/// then SQLCipher's own memory security wipes instead (with pseudo-random bytes, slower: issue
/// 14).
///
/// Either way the first connection of the process is opened here, while other threads wait:
/// SQLite marks itself initialised before SQLCipher's own initialisation has finished, and a
/// connection keyed by another thread in that window fails its `PRAGMA key` (seen as about one
/// vault creation in a hundred and fifty in parallel tests; also why memory security, when
/// needed, is switched on here and not while other threads open and key connections).
pub(crate) fn wipe_freed_memory() -> Result<(), StoreError> {
    static ENABLED: std::sync::OnceLock<Result<(), String>> = std::sync::OnceLock::new();
    let outcome = ENABLED.get_or_init(|| {
        let zeroing = cairn_sqlite_memory::install();
        Connection::open_in_memory()
            .and_then(|connection| {
                if !zeroing {
                    connection.execute_batch("PRAGMA cipher_memory_security = ON;")?;
                }
                Ok(())
            })
            .map_err(|error| error.to_string())
    });
    outcome.clone().map_err(|_| StoreError::Damaged { what: "SQLCipher initialisation" })
}

/// Prepared statements a vault connection keeps: more than the write path of an edit, a
/// sync or a bundle import runs.
const STATEMENT_CACHE_CAPACITY: usize = 96;

/// How long a vault connection waits for another one's write lock.
pub(crate) const BUSY_TIMEOUT: Duration = Duration::from_secs(10);

/// Opens (or creates) the SQLCipher database with K_db and the pragmas of DESIGN §3.
pub(crate) fn open_database(
    path: &Path,
    vault_id: &Id,
    master_key: &VaultMasterKey,
    create: bool,
) -> Result<Connection, StoreError> {
    if !create && !path.is_file() {
        return Err(StoreError::Damaged { what: "database file missing" });
    }
    let mut flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    if create {
        flags |= OpenFlags::SQLITE_OPEN_CREATE;
    }
    wipe_freed_memory()?;
    let mut connection = Connection::open_with_flags(path, flags)?;
    // SQLCipher logs decryption failures to stderr; the app reports them itself.
    connection.execute_batch("PRAGMA cipher_log_level = NONE;")?;
    connection.execute_batch(&keyed_statement("PRAGMA key = ", master_key, vault_id, ";"))?;
    // The first read proves K_db opens the file; the header already proved the passphrase.
    connection
        .query_row("SELECT count(*) FROM sqlite_master", [], |row| row.get::<_, i64>(0))
        .map_err(|_| StoreError::Damaged { what: "database" })?;
    // cache_size: 8 MiB of decrypted pages instead of SQLite's 2 MiB; at 10,000 cases what a
    // case list reads (summaries, digests) no longer fit in 2 MiB and each list decrypted them
    // again (BENCHMARKS.md, issue 14). The cache is wiped when it is freed (`wipe_freed_memory`).
    connection.execute_batch(
        "PRAGMA journal_mode = WAL;
         PRAGMA synchronous = FULL;
         PRAGMA temp_store = MEMORY;
         PRAGMA secure_delete = ON;
         PRAGMA foreign_keys = ON;
         PRAGMA journal_size_limit = 16777216;
         PRAGMA cache_size = -8192;",
    )?;
    // Another process (the CLI beside the desktop app) may hold the write lock briefly.
    connection.busy_timeout(BUSY_TIMEOUT)?;
    // One edit runs more distinct statements than rusqlite's default cache of 16 holds, so
    // each was prepared again every time (6 % of an edit's time; BENCHMARKS.md, issue 14).
    connection.set_prepared_statement_cache_capacity(STATEMENT_CACHE_CAPACITY);
    let journal: String = connection.query_row("PRAGMA journal_mode", [], |row| row.get(0))?;
    if journal != "wal" {
        return Err(StoreError::Damaged { what: "database journal" });
    }
    if !create {
        // An existing vault always has a schema. SQLCipher would happily treat an emptied
        // file as a new database, which would silently replace a vault with an empty one.
        let version: u32 = connection.query_row("PRAGMA user_version", [], |row| row.get(0))?;
        if version == 0 {
            return Err(StoreError::Damaged { what: "database empty" });
        }
    }
    schema::migrate(&mut connection)?;
    #[cfg(unix)]
    for file in [path.to_owned(), sqlite_companion(path, "-wal"), sqlite_companion(path, "-shm")] {
        use std::os::unix::fs::PermissionsExt;
        if file.exists() {
            fs::set_permissions(&file, fs::Permissions::from_mode(0o600))?;
        }
    }
    Ok(connection)
}

/// `before` ‖ `"K_db"` ‖ `after`: a statement that hands SQLCipher the vault's raw key
/// (`PRAGMA key`, `PRAGMA rekey`, `ATTACH … KEY`). Built here, in memory that is zeroized when
/// dropped, not by rusqlite's pragma helper (whose SQL string is freed without being wiped).
pub(crate) fn keyed_statement(before: &str, master_key: &VaultMasterKey, vault_id: &Id, after: &str) -> Zeroizing<String> {
    let key = master_key.db_key(vault_id);
    let mut statement = Zeroizing::new(String::with_capacity(before.len() + 72 + after.len()));
    statement.push_str(before);
    statement.push('"');
    statement.push_str(&key.sqlcipher_pragma_value());
    statement.push('"');
    statement.push_str(after);
    statement
}

/// `path` with SQLite's `suffix` (`-wal`, `-shm`) appended.
pub(crate) fn sqlite_companion(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}
