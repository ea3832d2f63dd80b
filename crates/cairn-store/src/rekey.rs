//! A full re-key: a new vault master key (issue 12, item 8).
//!
//! Changing the passphrase rewraps one keyslot: the master key (VMK) stays, and with it K_db.
//! So an old copy of `vault.keys` (a backup, blocks an SSD kept) with the old passphrase or
//! recovery code still opens the current `vault.db`. [`Vault::rekey`] replaces the VMK:
//!
//! 1. Takes the database for this connection alone: it leaves WAL mode, which SQLite refuses
//!    while any other connection has the database open (the desktop app, another command:
//!    [`StoreError::VaultInUse`]), and holds an exclusive lock until the end.
//! 2. Writes the re-key journal `vault.rekey`: the old VMK sealed under the new one
//!    (`cairn_crypto::carried_key`), flushed.
//! 3. Replaces `vault.keys` atomically: the passphrase slot (under the new passphrase) and the
//!    recovery slot (under a new code) wrap VMK', and the case-key wrapping keys are sealed
//!    under VMK'. The duress slot wraps the decoy's key, not the vault's, and is kept.
//! 4. Keeps K_dev (which wraps the device, team and organisation keys inside the database) in
//!    `meta`, sealed under VMK'.
//! 5. Re-encrypts every page under the new K_db (`PRAGMA rekey`: one transaction, made atomic
//!    by SQLite's rollback journal).
//! 6. Returns to WAL mode, releases the lock and removes the journal.
//! 7. Replaces the case-key wrapping key, as a deletion does (`erasure.rs`), so that key is
//!    new too and every case key is rewrapped.
//!
//! A kill at any moment leaves a vault that opens. Before 3 the old passphrase and code open
//! it as before (a journal left behind opens with nothing anyone holds and is removed at the
//! next unlock). From 3 on, the new passphrase and code open VMK'; when the database does not
//! open under the new K_db, the unlock opens the previous VMK from the journal and finishes
//! 4 to 6 ([`finish_interrupted`]). After 5 the journal is stale and is removed.
//!
//! What stays true after a re-key (README, "What protects what"): the old secrets with an old
//! copy of `vault.keys` open old copies of the database (blocks an SSD kept, the rollback
//! journal's freed blocks) and nothing written since; the device's own keys are not replaced
//! (that is re-enrolment).

use std::{fs, path::Path, time::Duration};

use crate::{
    DATABASE_FILE, HEADER_FILE, Id, StoreError, Vault,
    erasure::{self, Erasure},
    fsutil,
    vault::{BUSY_TIMEOUT, keyed_statement, open_database, read_header},
};
use cairn_crypto::{RecoveryCode, SlotKind, VaultHeader, VaultMasterKey};
use rusqlite::{Connection, OptionalExtension, params};
use secrecy::{ExposeSecret, SecretString};

/// The re-key journal inside a vault folder, present only while a re-key is under way.
pub(crate) const JOURNAL_FILE: &str = "vault.rekey";
/// The `meta` row holding K_dev sealed under the current VMK (only after a re-key).
const CARRIED_DEVICE_WRAP_KEY: &str = "device_wrap_key";
/// How long a re-key waits for another connection to let the database go.
const EXCLUSIVE_WAIT: Duration = Duration::from_millis(500);

impl Vault {
    /// Gives the vault a new master key (see the module documentation): the database is
    /// re-encrypted under a new K_db, `new_passphrase` and `new_code` open the new master key
    /// and nothing else does, and the case-key wrapping key is replaced. The caller shows
    /// `new_code` before calling, so the worker holds it whenever it takes effect (a kill
    /// after the new header leaves the new passphrase and code in force).
    ///
    /// Refused with [`StoreError::VaultInUse`] while another connection has the vault open.
    /// An error after the new header was written ([`StoreError::RekeyUnfinished`]) ends this
    /// handle: the next unlock, with the new passphrase, finishes the re-key.
    pub fn rekey(&mut self, new_passphrase: &SecretString, new_code: &RecoveryCode) -> Result<(), StoreError> {
        let slot = self.passphrase_slot.ok_or(StoreError::NotFound { what: "passphrase keyslot" })?;
        // Settle a rotation of the wrapping key left unsettled, so the header holds exactly
        // the keys the database expects.
        self.transaction(|_| Ok(()))?;
        take_exclusively(&self.connection)?;
        let vault_id = self.header.vault_id();
        let next_key = VaultMasterKey::generate();
        let journal = self.dir.join(JOURNAL_FILE);
        let mut next_header = None;
        let swapped = (|| {
            fsutil::write_atomically(&journal, &next_key.seal_previous_master_key(&vault_id, &self.master_key))?;
            let current = erasure::read_own_header(&self.dir, &vault_id)?;
            let wrap_keys = current.case_wrap_keys(&self.master_key);
            let next = next_header.insert(
                current
                    .rewrap(slot, SlotKind::Passphrase, &next_key, new_passphrase.expose_secret())?
                    .rewrap_recovery_code(&next_key, new_code)?
                    .with_case_wrap_keys(&next_key, &wrap_keys.iter().collect::<Vec<_>>())?,
            );
            // From this write on, the new passphrase and code are the ones in force.
            fsutil::write_atomically(&self.dir.join(HEADER_FILE), &next.to_bytes())?;
            Ok::<_, StoreError>(())
        })();
        if let Err(error) = swapped {
            // The header write can fail after its rename (flushing the folder): then the new
            // header is in force and the journal is the only way to this database. Only a
            // header still holding the old keyslots lets the re-key be abandoned.
            let in_force = next_header.as_ref().is_some_and(|next| holds_keyslots_of(&self.dir, next));
            if in_force {
                self.forget_keys();
                return Err(StoreError::RekeyUnfinished);
            }
            let _ = remove_journal(&self.dir);
            release(&self.connection)?;
            return Err(error);
        }
        let next_header = next_header.ok_or(StoreError::Damaged { what: "vault header" })?;
        let finished = carry_device_wrap_key(&self.connection, &vault_id, &self.master_key, &next_key).and_then(|carried| {
            reencrypt(&self.connection, &vault_id, &next_key)?;
            release(&self.connection)?;
            remove_journal(&self.dir)?;
            Ok(carried)
        });
        match finished {
            Ok(carried) => {
                self.master_key = next_key;
                self.header = next_header;
                self.carried_device_wrap_key = Some(carried);
            }
            Err(_) => {
                // The database is under one key or the other and the journal says which; the
                // next unlock sorts it out. This handle holds the old key: it must not go on.
                self.forget_keys();
                return Err(StoreError::RekeyUnfinished);
            }
        }
        // The case-key wrapping key last, as after a deletion: every case key is rewrapped
        // under a new one, and the WAL is checkpointed.
        self.transaction(|tx| {
            tx.erasure = Erasure::Keys;
            Ok(())
        })
    }
}

/// Whether a re-key journal is present in `dir`.
pub(crate) fn journal_exists(dir: &Path) -> bool {
    dir.join(JOURNAL_FILE).exists()
}

/// Opens the database of a re-key cut off after its new header (steps 4 to 6, see the module
/// documentation): `master_key` is the new VMK, read from that header.
pub(crate) fn finish_interrupted(dir: &Path, vault_id: &Id, master_key: &VaultMasterKey) -> Result<Connection, StoreError> {
    let sealed = fs::read(dir.join(JOURNAL_FILE))?;
    let previous = master_key
        .open_previous_master_key(vault_id, &sealed)
        .map_err(|_| StoreError::Damaged { what: "re-key journal" })?;
    let connection = open_database(&dir.join(DATABASE_FILE), vault_id, &previous, false)?;
    take_exclusively(&connection)?;
    let finished = carry_device_wrap_key(&connection, vault_id, &previous, master_key)
        .and_then(|_| reencrypt(&connection, vault_id, master_key));
    release(&connection)?;
    finished?;
    remove_journal(dir)?;
    Ok(connection)
}

/// Removes what a re-key that was cut off no longer needs: a rollback journal SQLite left and
/// did not need (a kill between creating it and writing its header: SQLite rolls back a hot one
/// at the first read, before this), and the re-key journal when it is stale. Called with the
/// database open in WAL mode under `header`'s `master_key`, beside which no re-key can be under
/// way (it would hold the database alone) and SQLite uses no rollback journal.
///
/// The re-key journal is stale when it opens with `master_key` (the database is already under
/// the new key), or when `vault.keys` still holds the keyslots `header` was read from (the
/// re-key was cut off before its new header). Otherwise `vault.keys` changed since this process
/// read it: a re-key wrote its new header and stopped, and this process had read the old one
/// before; the journal is the only way from the new key to this database and stays.
pub(crate) fn remove_stale_journal(dir: &Path, header: &VaultHeader, master_key: &VaultMasterKey) -> Result<(), StoreError> {
    let rollback_journal = dir.join(format!("{DATABASE_FILE}-journal"));
    if rollback_journal.exists() {
        fs::remove_file(&rollback_journal)?;
        fsutil::sync_dir(dir)?;
    }
    let sealed = match fs::read(dir.join(JOURNAL_FILE)) {
        Ok(sealed) => sealed,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(error) => return Err(error.into()),
    };
    let finished = master_key.open_previous_master_key(&header.vault_id(), &sealed).is_ok();
    if finished || holds_keyslots_of(dir, header) { remove_journal(dir) } else { Ok(()) }
}

/// Whether `dir/vault.keys` holds the keyslots and wrap slots of `header` (its unlock
/// counter aside, which changes in place at every attempt).
fn holds_keyslots_of(dir: &Path, header: &VaultHeader) -> bool {
    let range = header.key_material();
    read_header(dir).is_ok_and(|on_disk| on_disk.to_bytes().get(range.clone()) == header.to_bytes().get(range))
}

/// K_dev as this database keeps it, sealed under `master_key`, checked to open; `None` for a
/// vault never re-keyed (K_dev is then derived from the master key).
pub(crate) fn carried_device_wrap_key(
    connection: &Connection,
    vault_id: &Id,
    master_key: &VaultMasterKey,
) -> Result<Option<Vec<u8>>, StoreError> {
    let sealed = read_carried(connection)?;
    if let Some(sealed) = &sealed {
        master_key
            .open_device_wrap_key(vault_id, sealed)
            .map_err(|_| StoreError::Damaged { what: "device key wrapping key" })?;
    }
    Ok(sealed)
}

fn read_carried(connection: &Connection) -> Result<Option<Vec<u8>>, StoreError> {
    Ok(connection
        .query_row("SELECT value FROM meta WHERE key = ?1", [CARRIED_DEVICE_WRAP_KEY], |row| row.get(0))
        .optional()?)
}

/// Step 4: keeps K_dev sealed under `next`. Idempotent: a re-key finished at unlock may find it
/// already done. Returns what is stored.
fn carry_device_wrap_key(
    connection: &Connection,
    vault_id: &Id,
    previous: &VaultMasterKey,
    next: &VaultMasterKey,
) -> Result<Vec<u8>, StoreError> {
    let stored = read_carried(connection)?;
    if let Some(sealed) = &stored
        && next.open_device_wrap_key(vault_id, sealed).is_ok()
    {
        return Ok(sealed.clone());
    }
    let device_wrap_key = match &stored {
        Some(sealed) => previous
            .open_device_wrap_key(vault_id, sealed)
            .map_err(|_| StoreError::Damaged { what: "device key wrapping key" })?,
        None => previous.device_wrap_key(vault_id),
    };
    let sealed = next.seal_device_wrap_key(vault_id, &device_wrap_key);
    connection.execute(
        "INSERT INTO meta (key, value) VALUES (?1, ?2) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        params![CARRIED_DEVICE_WRAP_KEY, sealed],
    )?;
    Ok(sealed)
}

/// Step 1: out of WAL mode (refused while another connection is open) and an exclusive lock
/// that stays until [`release`].
fn take_exclusively(connection: &Connection) -> Result<(), StoreError> {
    connection.busy_timeout(EXCLUSIVE_WAIT)?;
    // Another connection makes this fail with SQLITE_BUSY (`VaultInUse`) once the wait is over.
    let mode = connection.query_row("PRAGMA journal_mode = DELETE", [], |row| row.get::<_, String>(0));
    if !matches!(mode.as_deref(), Ok("delete")) {
        connection.busy_timeout(BUSY_TIMEOUT)?;
        return Err(mode.map_or_else(StoreError::from, |_| StoreError::VaultInUse));
    }
    if let Err(error) = connection.execute_batch("PRAGMA locking_mode = EXCLUSIVE; BEGIN EXCLUSIVE; COMMIT;") {
        release(connection)?;
        return Err(error.into());
    }
    Ok(())
}

/// Step 6: the lock released and WAL mode back, as every vault connection has it.
fn release(connection: &Connection) -> Result<(), StoreError> {
    // The lock goes with the next read after the mode changes; WAL mode must be entered in
    // normal locking mode, or SQLite keeps the WAL index private to this connection.
    connection.execute_batch("PRAGMA locking_mode = NORMAL;")?;
    connection.query_row("SELECT count(*) FROM sqlite_master", [], |row| row.get::<_, i64>(0))?;
    connection.busy_timeout(BUSY_TIMEOUT)?;
    let journal: String = connection.query_row("PRAGMA journal_mode = WAL", [], |row| row.get(0))?;
    if journal != "wal" {
        return Err(StoreError::Damaged { what: "database journal" });
    }
    Ok(())
}

/// Step 5: every page re-encrypted under `next`'s K_db, in one transaction.
fn reencrypt(connection: &Connection, vault_id: &Id, next: &VaultMasterKey) -> Result<(), StoreError> {
    connection.execute_batch(&keyed_statement("PRAGMA rekey = ", next, vault_id, ";"))?;
    // The first read under the new key proves the pages were rewritten with it.
    connection
        .query_row("SELECT count(*) FROM sqlite_master", [], |row| row.get::<_, i64>(0))
        .map_err(|_| StoreError::Damaged { what: "database" })?;
    Ok(())
}

fn remove_journal(dir: &Path) -> Result<(), StoreError> {
    match fs::remove_file(dir.join(JOURNAL_FILE)) {
        Ok(()) => {}
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(error) => return Err(error.into()),
    }
    fsutil::sync_dir(dir)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use cairn_crypto::{SQLCIPHER_PAGE_LEN, bundle_file_name, decrypt_sqlcipher_page};

    use super::*;
    use crate::KdfChoice;

    const OLD: &str = "correct horse battery staple";
    const NEW: &str = "new horse battery staple";

    fn secret(text: &str) -> SecretString {
        SecretString::from(text)
    }

    /// A vault with two cases, a record each, and its recovery code.
    fn vault_with_cases(dir: &Path) -> (Vault, RecoveryCode, [Id; 2]) {
        let (mut vault, code) = Vault::create(dir, &secret(OLD), KdfChoice::InsecureTestOnly).expect("create");
        let cases = [cairn_crypto::random_id(), cairn_crypto::random_id()];
        vault
            .transaction(|tx| {
                for case in &cases {
                    tx.create_case_key(case)?;
                    tx.append_record(case, case, b"2019, Sinuiju: the testimony")?;
                }
                Ok(())
            })
            .expect("fill");
        (vault, code, cases)
    }

    fn holds_both(vault: &mut Vault, cases: &[Id; 2]) -> bool {
        vault
            .read(|tx| {
                let mut all = true;
                for case in cases {
                    let records = tx.records(case, case)?;
                    all &= records.len() == 1 && records[0].plaintext.as_slice() == b"2019, Sinuiju: the testimony";
                }
                Ok(all)
            })
            .expect("read")
    }

    /// What K_dev names a bundle file (a stand-in for K_dev itself, which is not comparable).
    fn k_dev_name(vault: &Vault) -> String {
        bundle_file_name(&vault.device_wrap_key().expect("K_dev"), &[1; 16], &[2; 16])
    }

    /// Pages of `vault.db` that decrypt under `master_key`'s K_db to what SQLite wrote: page 1's
    /// header, and the schema's text (the decryption checks no HMAC, so a wrong key yields
    /// noise, not an error).
    fn pages_readable_with(dir: &Path, vault_id: &Id, master_key: &VaultMasterKey) -> (bool, usize) {
        let key = master_key.db_key(vault_id);
        let database = fs::read(dir.join(DATABASE_FILE)).expect("read");
        let pages: Vec<Vec<u8>> = database
            .chunks(SQLCIPHER_PAGE_LEN)
            .enumerate()
            .map(|(index, page)| decrypt_sqlcipher_page(&key, page, index == 0).expect("decrypt"))
            .collect();
        let header = pages[0][16..18] == [0x10, 0x00] && pages[0][20] == 80;
        let schema = pages.iter().filter(|page| page.windows(12).any(|window| window == b"CREATE TABLE")).count();
        (header, schema)
    }

    #[test]
    fn a_rekey_replaces_every_key_and_only_the_new_secrets_open_the_vault() {
        let dir = tempfile::tempdir().expect("dir");
        let path = dir.path().join("v");
        let (mut vault, old_code, cases) = vault_with_cases(&path);
        let k_dev = k_dev_name(&vault);
        let old_header_bytes = fs::read(path.join(HEADER_FILE)).expect("header");
        let old_wrap_generation = vault.wrap.generation();
        let new_code = RecoveryCode::generate();
        vault.rekey(&secret(NEW), &new_code).expect("rekey");
        assert!(!journal_exists(&path));
        assert_eq!(vault.wrap.generation(), old_wrap_generation + 1, "the case-key wrapping key was replaced");
        assert_eq!(k_dev_name(&vault), k_dev, "K_dev is carried over");
        assert!(holds_both(&mut vault, &cases));
        vault.check_integrity().expect("integrity");
        let vault_id = vault.header.vault_id();
        vault.lock();

        assert!(matches!(Vault::unlock(&path, &secret(OLD)), Err(StoreError::WrongPassphrase)));
        assert!(Vault::recover(&path, &old_code, &secret("another horse battery")).is_err());
        let mut vault = Vault::unlock(&path, &secret(NEW)).expect("the new passphrase");
        assert!(holds_both(&mut vault, &cases));
        assert_eq!(k_dev_name(&vault), k_dev);
        vault.lock();
        let mut vault = Vault::recover(&path, &new_code, &secret(NEW)).expect("the new code");
        assert!(holds_both(&mut vault, &cases));
        vault.lock();

        // An old copy of vault.keys with the old passphrase opens the old master key, whose
        // K_db decrypts no page of the database as it is now.
        let old_master = VaultHeader::parse(&old_header_bytes).expect("parse").unlock(OLD).expect("old").master_key;
        assert_eq!(pages_readable_with(&path, &vault_id, &old_master), (false, 0), "the old K_db reads no page");
        let current = read_header(&path).expect("header").unlock(NEW).expect("new").master_key;
        let (header, schema) = pages_readable_with(&path, &vault_id, &current);
        assert!(header && schema > 0, "the new K_db reads them");
        fs::write(path.join(HEADER_FILE), &old_header_bytes).expect("put the old header back");
        assert!(matches!(Vault::unlock(&path, &secret(OLD)), Err(StoreError::Damaged { .. })));
    }

    #[test]
    fn a_second_rekey_carries_k_dev_again() {
        let dir = tempfile::tempdir().expect("dir");
        let path = dir.path().join("v");
        let (mut vault, _, cases) = vault_with_cases(&path);
        let k_dev = k_dev_name(&vault);
        vault.rekey(&secret(NEW), &RecoveryCode::generate()).expect("first");
        vault.rekey(&secret(OLD), &RecoveryCode::generate()).expect("second");
        vault.lock();
        let mut vault = Vault::unlock(&path, &secret(OLD)).expect("unlock");
        assert_eq!(k_dev_name(&vault), k_dev);
        assert!(holds_both(&mut vault, &cases));
    }

    #[test]
    fn a_vault_open_elsewhere_is_not_rekeyed() {
        let dir = tempfile::tempdir().expect("dir");
        let path = dir.path().join("v");
        let (mut vault, code, cases) = vault_with_cases(&path);
        let other = Vault::unlock(&path, &secret(OLD)).expect("a second window");
        assert!(matches!(vault.rekey(&secret(NEW), &RecoveryCode::generate()), Err(StoreError::VaultInUse)));
        assert!(!journal_exists(&path));
        // Both handles go on working, and nothing changed.
        assert!(holds_both(&mut vault, &cases));
        other.lock();
        vault.lock();
        let mut vault = Vault::recover(&path, &code, &secret(OLD)).expect("the old code still opens");
        assert!(holds_both(&mut vault, &cases));
        vault.rekey(&secret(NEW), &RecoveryCode::generate()).expect("alone now");
    }

    /// Steps 1 to `last` of a re-key, then a kill (the handle is dropped, as a crash drops
    /// everything but the files). Returns the new recovery code.
    fn kill_after(vault: Vault, last: u8) -> RecoveryCode {
        let code = RecoveryCode::generate();
        let vault_id = vault.header.vault_id();
        let next_key = VaultMasterKey::generate();
        take_exclusively(&vault.connection).expect("1");
        fsutil::write_atomically(
            &vault.dir.join(JOURNAL_FILE),
            &next_key.seal_previous_master_key(&vault_id, &vault.master_key),
        )
        .expect("2");
        if last >= 3 {
            let current = read_header(&vault.dir).expect("header");
            let keys = current.case_wrap_keys(&vault.master_key);
            let next = current
                .rewrap(0, SlotKind::Passphrase, &next_key, NEW)
                .and_then(|header| header.rewrap_recovery_code(&next_key, &code))
                .and_then(|header| header.with_case_wrap_keys(&next_key, &keys.iter().collect::<Vec<_>>()))
                .expect("3");
            fsutil::write_atomically(&vault.dir.join(HEADER_FILE), &next.to_bytes()).expect("3");
        }
        if last >= 4 {
            carry_device_wrap_key(&vault.connection, &vault_id, &vault.master_key, &next_key).expect("4");
        }
        if last >= 5 {
            reencrypt(&vault.connection, &vault_id, &next_key).expect("5");
        }
        drop(vault);
        code
    }

    #[test]
    fn a_rekey_killed_at_any_step_leaves_a_vault_that_opens_whole() {
        for last in 2..=5 {
            let dir = tempfile::tempdir().expect("dir");
            let path = dir.path().join("v");
            let (vault, old_code, cases) = vault_with_cases(&path);
            let k_dev = k_dev_name(&vault);
            let new_code = kill_after(vault, last);
            assert!(journal_exists(&path));
            let (passphrase, code) = if last >= 3 { (NEW, &new_code) } else { (OLD, &old_code) };
            let mut vault =
                Vault::unlock(&path, &secret(passphrase)).unwrap_or_else(|error| panic!("step {last}: {error:?}"));
            assert!(!journal_exists(&path), "step {last}: the journal is gone once the unlock finished");
            assert!(holds_both(&mut vault, &cases), "step {last}");
            assert_eq!(k_dev_name(&vault), k_dev, "step {last}");
            vault.check_integrity().expect("integrity");
            // Writing and reopening work as ever.
            vault.transaction(|tx| tx.append_record(&cases[0], &cases[1], b"after")).expect("write");
            vault.lock();
            let other = if last >= 3 { OLD } else { NEW };
            assert!(matches!(Vault::unlock(&path, &secret(other)), Err(StoreError::WrongPassphrase)), "step {last}");
            let vault = Vault::recover(&path, code, &secret(passphrase)).expect("the code in force");
            assert!(!path.join(format!("{DATABASE_FILE}-journal")).exists());
            vault.lock();
        }
    }

    /// A process that read `vault.keys` before a re-key replaced it, and opened the database
    /// once the re-key stopped (killed before re-encrypting), must not remove the journal: it
    /// is the only way from the new passphrase to the database. (That process may fail to open
    /// the vault, since the header it holds is gone; it must not destroy anything.)
    #[test]
    fn a_process_holding_the_old_header_leaves_the_journal_of_a_cut_off_rekey() {
        for last in [3, 4] {
            let dir = tempfile::tempdir().expect("dir");
            let path = dir.path().join("v");
            let (vault, _, cases) = vault_with_cases(&path);
            let old_header = read_header(&path).expect("header");
            kill_after(vault, last);
            let old_master = old_header.unlock(OLD).expect("old").master_key;
            if let Ok(waiting) = Vault::open(&path, old_header, old_master, Some(0)) {
                waiting.lock();
            }
            assert!(journal_exists(&path), "step {last}: the journal stays");
            let mut vault = Vault::unlock(&path, &secret(NEW)).expect("the new passphrase finishes the re-key");
            assert!(!journal_exists(&path));
            assert!(holds_both(&mut vault, &cases), "step {last}: nothing lost");
        }
    }

    #[test]
    fn a_damaged_journal_is_reported_as_damage() {
        let dir = tempfile::tempdir().expect("dir");
        let path = dir.path().join("v");
        let (vault, _, _) = vault_with_cases(&path);
        kill_after(vault, 3);
        let mut journal = fs::read(path.join(JOURNAL_FILE)).expect("journal");
        journal[40] ^= 0x01;
        fs::write(path.join(JOURNAL_FILE), &journal).expect("write");
        assert!(matches!(Vault::unlock(&path, &secret(NEW)), Err(StoreError::Damaged { what: "re-key journal" })));
    }
}
