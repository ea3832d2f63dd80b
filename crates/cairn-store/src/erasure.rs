//! Making a deleted case unrecoverable, even to someone who later has the passphrase.
//!
//! Deleting rows is not enough. With `secure_delete` SQLite zeroes what it frees, but in WAL
//! mode the zeroed pages go to the WAL first, and until a checkpoint copies them back the
//! database file keeps the old pages and the WAL keeps every earlier frame of them. Those
//! pages are under K_db, and K_db comes from the VMK, which the passphrase opens. So:
//!
//! 1. **Checkpoint.** A transaction that deleted a case's keys or derived rows (title,
//!    summary, search text: under K_db only) ends with `PRAGMA wal_checkpoint(TRUNCATE)`:
//!    the zeroed pages overwrite the old ones in `vault.db` and the WAL is cut to nothing.
//!    A checkpoint held up by a reader in another process is retried after every later
//!    commit and at the next unlock ([`Vault::erasure_pending`]).
//! 2. **Rotate K_wrap.** Case keys are wrapped under K_wrap, which a v2 vault header keeps
//!    (random, sealed under a key derived from the VMK) instead of deriving it from the VMK.
//!    Every deletion of a case key replaces K_wrap with a new generation, re-wraps the
//!    remaining case keys under it, and then removes the old one from `vault.keys`. A copy of
//!    the deleted case's wrapped key left anywhere (a stale page, a WAL frame, a block the
//!    file system or SSD freed but did not erase) was wrapped under a key that no longer
//!    exists, so the case's sealed content never opens again.
//!
//! What remains (documented in README.md): `vault.keys` is replaced by writing a new file
//! and renaming it, and an SSD or a copy-on-write file system may keep the old file's blocks,
//! so someone who carves an old `vault.keys` and has the passphrase gets an old K_wrap back.
//! Likewise freed blocks of `vault.db` or its WAL may keep K_db-encrypted titles and search
//! text of a deleted case. Neither is reachable through any file; full-disk encryption is
//! the defence against carving.
//!
//! ## Crash safety
//!
//! The database records the generation it is wrapped under (`meta.case_wrap_generation`;
//! absent means 0, the VMK-derived K_wrap of a v1 header). `vault.keys` is only written
//! while holding the database's write lock, so processes sharing the vault (the desktop app
//! and the CLI) never interleave these steps. A rotation from generation n:
//!
//! 1. write `vault.keys` holding K_wrap(n) and K_wrap(n+1) (atomic replace);
//! 2. in the deleting transaction, re-wrap every remaining case key under K_wrap(n+1) and set
//!    the generation to n+1; commit;
//! 3. under the write lock again, write `vault.keys` holding K_wrap(n+1) alone ("settle").
//!
//! A crash before 1 changes nothing. Between 1 and the commit, the database rolls back to n
//! and `vault.keys` holds n. Between the commit and 3, the database says n+1 and `vault.keys`
//! holds it. Every unlock settles first (keeps exactly the key the database names), so an
//! interrupted deletion finishes its erasure at the next unlock, and an interrupted
//! transaction loses nothing but itself. A v1 vault is upgraded by the same rotation (with
//! nothing deleted) at unlock.

use std::path::Path;

use cairn_crypto::{CaseWrapKey, VaultHeader, VaultMasterKey, WrapKey};
use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};

use crate::{HEADER_FILE, Id, StoreError, Vault, VaultTx, fsutil, vault::read_header};

/// The `meta` row naming the generation of K_wrap the case keys are wrapped under.
const GENERATION_KEY: &str = "case_wrap_generation";

/// What a transaction destroyed, in increasing order of what its commit must do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Erasure {
    /// Nothing: commit as usual.
    None,
    /// Rows readable with K_db (titles, search text): checkpoint the WAL.
    Content,
    /// A case key: rotate K_wrap, then checkpoint.
    Keys,
}

/// The K_wrap the database's case keys are wrapped under.
pub(crate) enum WrapState {
    /// Generation 0: derived from the VMK (a vault whose header is still v1).
    Derived(WrapKey),
    /// Generation 1 and later: random, kept in the v2 header.
    Held(CaseWrapKey),
}

impl WrapState {
    pub(crate) fn generation(&self) -> u64 {
        match self {
            WrapState::Derived(_) => 0,
            WrapState::Held(key) => key.generation(),
        }
    }

    pub(crate) fn key(&self) -> &WrapKey {
        match self {
            WrapState::Derived(key) => key,
            WrapState::Held(key) => key.key(),
        }
    }
}

/// The generation the database's case keys are wrapped under (0 when never set).
pub(crate) fn generation(connection: &Connection) -> Result<u64, StoreError> {
    let value: Option<Vec<u8>> = connection
        .prepare_cached("SELECT value FROM meta WHERE key = ?1")?
        .query_row([GENERATION_KEY], |row| row.get(0))
        .optional()?;
    match value {
        None => Ok(0),
        Some(bytes) => {
            let bytes: [u8; 8] = bytes.try_into().map_err(|_| StoreError::Damaged { what: "vault metadata" })?;
            Ok(u64::from_le_bytes(bytes))
        }
    }
}

/// Records the generation (inside the caller's transaction).
pub(crate) fn set_generation(connection: &Connection, generation: u64) -> Result<(), StoreError> {
    connection
        .prepare_cached("INSERT OR REPLACE INTO meta (key, value) VALUES (?1, ?2)")?
        .execute(params![GENERATION_KEY, generation.to_le_bytes().as_slice()])?;
    Ok(())
}

/// `vault.keys` as it is on disk now, checked to be this vault's.
pub(crate) fn read_own_header(dir: &Path, vault_id: &Id) -> Result<VaultHeader, StoreError> {
    let header = read_header(dir)?;
    if header.vault_id() != *vault_id {
        return Err(StoreError::Damaged { what: "vault header" });
    }
    Ok(header)
}

/// The K_wrap of `generation`, from `vault.keys` (or derived, for generation 0).
pub(crate) fn load_wrap(
    dir: &Path,
    master_key: &VaultMasterKey,
    vault_id: &Id,
    generation: u64,
) -> Result<WrapState, StoreError> {
    if generation == 0 {
        return Ok(WrapState::Derived(master_key.wrap_key(vault_id)));
    }
    let header = read_own_header(dir, vault_id)?;
    header
        .case_wrap_keys(master_key)
        .into_iter()
        .find(|key| key.generation() == generation)
        .map(WrapState::Held)
        .ok_or(StoreError::Damaged { what: "case key wrapping key" })
}

/// Leaves in `vault.keys` exactly the K_wrap of `generation` (none for generation 0), which
/// the caller read under the write lock it still holds. Returns the header as now on disk.
pub(crate) fn settle(
    dir: &Path,
    master_key: &VaultMasterKey,
    vault_id: &Id,
    generation: u64,
) -> Result<VaultHeader, StoreError> {
    let header = read_own_header(dir, vault_id)?;
    let held = header.case_wrap_keys(master_key);
    let keep: Vec<&CaseWrapKey> = held.iter().filter(|key| key.generation() == generation).collect();
    if generation != 0 && keep.is_empty() {
        return Err(StoreError::Damaged { what: "case key wrapping key" });
    }
    if keep.len() == held.len() {
        return Ok(header);
    }
    let settled = header.with_case_wrap_keys(master_key, &keep)?;
    fsutil::write_atomically(&dir.join(HEADER_FILE), &settled.to_bytes())?;
    Ok(settled)
}

/// Steps 1 and 2 of a rotation, inside `tx` (which holds the write lock and has not
/// committed): `vault.keys` gets the next K_wrap beside the current one, and every case key
/// is re-wrapped under the next one. Returns the next key and the header now on disk.
pub(crate) fn begin_rotation(
    dir: &Path,
    master_key: &VaultMasterKey,
    vault_id: &Id,
    current: &WrapState,
    tx: &mut VaultTx<'_>,
) -> Result<(CaseWrapKey, VaultHeader), StoreError> {
    let next = CaseWrapKey::generate(current.generation() + 1);
    let header = read_own_header(dir, vault_id)?;
    let held = header.case_wrap_keys(master_key);
    // The current key stays until the database names the next one (a crash before the
    // commit rolls the database back to it).
    let mut keys: Vec<&CaseWrapKey> = held.iter().filter(|key| key.generation() == current.generation()).collect();
    if current.generation() != 0 && keys.is_empty() {
        return Err(StoreError::Damaged { what: "case key wrapping key" });
    }
    keys.push(&next);
    let pending = header.with_case_wrap_keys(master_key, &keys)?;
    fsutil::write_atomically(&dir.join(HEADER_FILE), &pending.to_bytes())?;
    tx.rewrap_case_keys(next.key())?;
    set_generation(&tx.tx, next.generation())?;
    Ok((next, pending))
}

impl Vault {
    /// Whether the erasure of something deleted is not finished yet: an old K_wrap may still
    /// be in `vault.keys`, or deleted rows in the WAL (another process was reading). It is
    /// retried after every later transaction and at the next unlock.
    pub fn erasure_pending(&self) -> bool {
        self.settle_owed || self.checkpoint_owed
    }

    /// Step 3 of a rotation, under the write lock. On failure (another process holds the lock
    /// past the busy timeout, or the disk is full) the next transaction retries it.
    pub(crate) fn settle_now(&mut self) {
        let vault_id = self.header.vault_id();
        let outcome = (|| {
            let tx = self.connection.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let generation = generation(&tx)?;
            let header = settle(&self.dir, &self.master_key, &vault_id, generation)?;
            tx.commit()?;
            Ok::<_, StoreError>(header)
        })();
        match outcome {
            Ok(header) => {
                self.header = header;
                self.settle_owed = false;
            }
            Err(_) => self.settle_owed = true,
        }
    }

    /// Copies every WAL frame into `vault.db` and truncates the WAL. SQLite reports "busy"
    /// (first column) when a reader still needs old frames; then it is retried later.
    pub(crate) fn checkpoint_now(&mut self) {
        let busy: Result<i64, rusqlite::Error> =
            self.connection.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |row| row.get(0));
        self.checkpoint_owed = !matches!(busy, Ok(0));
    }
}

impl VaultTx<'_> {
    /// Re-wraps every case key of the vault under `next` (a rotation of K_wrap). A key that
    /// no longer opens (its row damaged) is left as it is: it was unreadable already, and it
    /// must not stop the worker from erasing another case.
    pub(crate) fn rewrap_case_keys(&mut self, next: &WrapKey) -> Result<(), StoreError> {
        let rows: Vec<(Vec<u8>, u32, Vec<u8>)> = self
            .tx
            .prepare("SELECT case_id, key_version, wrapped FROM case_keys")?
            .query_map([], |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)))?
            .collect::<Result<_, _>>()?;
        let mut update = self.tx.prepare("UPDATE case_keys SET wrapped = ?3 WHERE case_id = ?1 AND key_version = ?2")?;
        for (case_id, version, wrapped) in rows {
            let id: Id = case_id.as_slice().try_into().map_err(|_| StoreError::Damaged { what: "case id" })?;
            let key = match cairn_crypto::unwrap_case_key(self.wrap_key, &id, version, &wrapped) {
                Ok(key) => key,
                Err(
                    cairn_crypto::CryptoError::Tampered
                    | cairn_crypto::CryptoError::Malformed { .. }
                    | cairn_crypto::CryptoError::UnsupportedVersion { .. },
                ) => continue,
                Err(other) => return Err(other.into()),
            };
            let rewrapped = cairn_crypto::wrap_case_key(next, &id, version, &key);
            update.execute(params![case_id, version, rewrapped])?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use std::fs;

    use cairn_crypto::RecoveryCode;
    use secrecy::SecretString;

    use super::*;
    use crate::KdfChoice;

    const PASSPHRASE: &str = "correct horse battery staple";

    fn unlock(dir: &Path) -> Vault {
        Vault::unlock(dir, &SecretString::from(PASSPHRASE)).expect("unlock")
    }

    /// A vault with two cases, each with a key and a record.
    fn vault_with_cases(dir: &Path) -> (Vault, RecoveryCode, Id, Id) {
        let (mut vault, recovery) =
            Vault::create(dir, &SecretString::from(PASSPHRASE), KdfChoice::InsecureTestOnly).expect("create");
        let (one, two) = (cairn_crypto::random_id(), cairn_crypto::random_id());
        vault
            .transaction(|tx| {
                for case in [&one, &two] {
                    tx.create_case_key(case)?;
                    tx.append_record(case, case, b"sealed change")?;
                }
                Ok(())
            })
            .expect("fill");
        (vault, recovery, one, two)
    }

    /// The generations `vault.keys` holds, opened with the vault's master key.
    fn held(vault: &Vault) -> Vec<u64> {
        let header = read_header(&vault.dir).expect("header");
        header.case_wrap_keys(&vault.master_key).iter().map(CaseWrapKey::generation).collect()
    }

    fn db_generation(vault: &mut Vault) -> u64 {
        vault.read(|tx| generation(&tx.tx)).expect("generation")
    }

    /// A case's wrapped key as the database holds it.
    fn wrapped_key(vault: &mut Vault, case: &Id) -> Vec<u8> {
        vault
            .read(|tx| {
                tx.tx
                    .query_row("SELECT wrapped FROM case_keys WHERE case_id = ?1", [case.as_slice()], |row| row.get(0))
                    .map_err(StoreError::from)
            })
            .expect("wrapped")
    }

    fn opens(vault: &mut Vault, case: &Id) -> bool {
        vault.read(|tx| Ok(tx.case_key(case).is_ok() && !tx.records(case, case)?.is_empty())).expect("read")
    }

    /// Steps 1 and 2 of a rotation that deletes `case`, then a crash: committed or not.
    fn crash_mid_rotation(mut vault: Vault, case: &Id, committed: bool) {
        let vault_id = vault.header.vault_id();
        let tx = vault.connection.transaction_with_behavior(TransactionBehavior::Immediate).expect("begin");
        let mut vault_tx = VaultTx::new(tx, vault.wrap.key());
        vault_tx.delete_case(case).expect("delete");
        begin_rotation(&vault.dir, &vault.master_key, &vault_id, &vault.wrap, &mut vault_tx).expect("rotate");
        if committed {
            vault_tx.tx.commit().expect("commit");
        }
        // Dropped here: an uncommitted transaction rolls back, as a crash would.
    }

    #[test]
    fn a_deletion_replaces_k_wrap_and_keeps_every_other_case() {
        let dir = tempfile::tempdir().expect("dir");
        let (mut vault, _, one, two) = vault_with_cases(dir.path());
        assert_eq!((held(&vault), db_generation(&mut vault)), (vec![1], 1));
        vault.transaction(|tx| tx.delete_case(&one)).expect("delete");
        assert_eq!((held(&vault), db_generation(&mut vault)), (vec![2], 2), "generation 1 is gone from vault.keys");
        assert!(!vault.erasure_pending());
        assert!(opens(&mut vault, &two));
        // Work that destroys nothing leaves the key alone.
        vault.transaction(|tx| tx.append_record(&two, &two, b"more")).expect("write");
        assert_eq!(held(&vault), [2]);
        vault.lock();
        let mut vault = unlock(dir.path());
        assert!(opens(&mut vault, &two) && !opens(&mut vault, &one));
    }

    #[test]
    fn a_crash_before_the_deletion_commits_loses_nothing() {
        let dir = tempfile::tempdir().expect("dir");
        let (vault, _, one, two) = vault_with_cases(dir.path());
        crash_mid_rotation(vault, &one, false);
        let mut vault = unlock(dir.path());
        assert_eq!((held(&vault), db_generation(&mut vault)), (vec![1], 1), "the unused next key is dropped");
        assert!(opens(&mut vault, &one) && opens(&mut vault, &two));
    }

    #[test]
    fn a_crash_after_the_deletion_commits_finishes_the_erasure_at_unlock() {
        let dir = tempfile::tempdir().expect("dir");
        let (mut vault, _, one, two) = vault_with_cases(dir.path());
        let wrapped_one = wrapped_key(&mut vault, &one);
        crash_mid_rotation(vault, &one, true);
        let header = read_header(dir.path()).expect("header");
        let master_key = header.unlock(PASSPHRASE).expect("passphrase").master_key;
        assert_eq!(header.case_wrap_keys(&master_key).len(), 2, "both keys until settled");
        let mut vault = unlock(dir.path());
        assert_eq!((held(&vault), db_generation(&mut vault)), (vec![2], 2));
        assert!(opens(&mut vault, &two) && !opens(&mut vault, &one));
        // The deleted case's wrapped key, wherever a copy survived, opens under no key the
        // passphrase now reaches.
        let header = read_header(dir.path()).expect("header");
        for key in header.case_wrap_keys(&master_key) {
            assert!(cairn_crypto::unwrap_case_key(key.key(), &one, 1, &wrapped_one).is_err());
        }
        assert!(cairn_crypto::unwrap_case_key(&master_key.wrap_key(&header.vault_id()), &one, 1, &wrapped_one).is_err());
    }

    #[test]
    fn a_v1_vault_is_upgraded_at_unlock_and_its_recovery_code_still_works() {
        let dir = tempfile::tempdir().expect("dir");
        let (mut vault, recovery, one, two) = vault_with_cases(dir.path());
        // Turn it into what an earlier build wrote: case keys under the VMK-derived K_wrap,
        // no generation in the database, a v1 header.
        let legacy = vault.master_key.wrap_key(&vault.header.vault_id());
        {
            let tx = vault.connection.transaction().expect("begin");
            let mut vault_tx = VaultTx::new(tx, vault.wrap.key());
            vault_tx.rewrap_case_keys(&legacy).expect("rewrap");
            vault_tx.tx.execute("DELETE FROM meta WHERE key = ?1", [GENERATION_KEY]).expect("forget");
            vault_tx.tx.commit().expect("commit");
        }
        drop(vault);
        let path = dir.path().join(HEADER_FILE);
        let mut bytes = fs::read(&path).expect("read");
        bytes.truncate(VaultHeader::LEN_V1);
        bytes[0] = 1;
        fs::write(&path, &bytes).expect("write v1");
        assert_eq!(read_header(dir.path()).expect("v1").format_version(), 1);

        let mut vault = unlock(dir.path());
        assert_eq!(vault.info().expect("info").header_format, 4);
        assert_eq!((held(&vault), db_generation(&mut vault)), (vec![1], 1));
        assert!(opens(&mut vault, &one) && opens(&mut vault, &two));
        let wrapped = wrapped_key(&mut vault, &one);
        assert!(cairn_crypto::unwrap_case_key(&legacy, &one, 1, &wrapped).is_err(), "no longer under the derived key");
        vault.lock();
        let mut vault =
            Vault::recover(dir.path(), &recovery, &SecretString::from("a new passphrase for later")).expect("recover");
        assert!(opens(&mut vault, &two));
    }

    #[test]
    fn a_reader_in_another_process_follows_a_rotation() {
        let dir = tempfile::tempdir().expect("dir");
        let (mut desktop, _, one, two) = vault_with_cases(dir.path());
        let kept = cairn_crypto::random_id();
        desktop.transaction(|tx| tx.create_case_key(&kept).map(|_| ())).expect("a third case");
        let mut cli = unlock(dir.path());
        cli.transaction(|tx| tx.delete_case(&one)).expect("delete in the other process");
        cli.transaction(|tx| tx.delete_case(&two)).expect("and again");
        assert_eq!(held(&cli), [3]);
        // The desktop still holds generation 1 in memory; it finds generation 3 on disk.
        assert!(opens_key(&mut desktop, &kept));
        let four = cairn_crypto::random_id();
        desktop.transaction(|tx| tx.create_case_key(&four).map(|_| ())).expect("write from the desktop");
        assert!(opens_key(&mut cli, &four), "written under the key the other process reads");
    }

    fn opens_key(vault: &mut Vault, case: &Id) -> bool {
        vault.read(|tx| Ok(tx.case_key(case).is_ok())).expect("read")
    }
}
