//! The duress passphrase and its decoy (issue 13.3).
//!
//! Every vault folder holds `decoy.db` beside `vault.db`: a SQLCipher database of the same
//! schema. Without a duress passphrase it is an empty vault database keyed by a master key
//! that was thrown away at once; with one, it is keyed by the *decoy master key* that the
//! duress slot of `vault.keys` wraps (see `cairn_crypto::keyslots`), and holds the cases the
//! worker prepared for it (or none).
//!
//! ## A duress unlock
//!
//! The duress passphrase is typed where the passphrase is. [`turn_into_decoy`]:
//!
//! 1. checks that `decoy.db` opens with the decoy key (if it does not, an empty decoy takes
//!    its place);
//! 2. overwrites `vault.keys` **in place** (same length and layout) with a header whose
//!    passphrase slot holds the decoy key under the typed secret and whose every other slot is
//!    random: from the flush on, neither the passphrase nor the recovery code opens the
//!    vault's own database, whose key existed only in those slots;
//! 3. removes the vault's WAL and renames `decoy.db` over `vault.db`;
//! 4. writes a new unused `decoy.db`, so the folder looks as before.
//!
//! The vault then opens as usual: the decoy is an ordinary vault whose passphrase is the
//! duress passphrase. A kill between 2 and 3 is finished at the next unlock (the database
//! does not open with the key, the decoy does); a kill before 2 leaves the vault as it was.
//!
//! Time and screen: the same key derivation runs whichever slot opens (every slot is tried),
//! and what follows is small beside it: two database opens, one in-place write, a rename and
//! the creation of an empty database (measured in BENCHMARKS.md). The answer is an ordinary
//! unlocked vault.
//!
//! ## What someone with a disk image can still tell
//!
//! Said plainly (README, "Duress passphrase"):
//! - That `decoy.db` exists tells nothing: every vault has one. Its size does: an unused or
//!   empty decoy is the size of an empty vault database; a decoy prepared with cases is larger.
//! - File times: setting a duress passphrase rewrites `decoy.db` and `vault.keys`.
//! - After a duress unlock: the old `vault.db`'s blocks may remain on the disk until they are
//!   reused (encrypted under a key that no longer exists anywhere); an SSD may keep an old copy
//!   of `vault.keys` (see `wipe.rs`): someone who carves one *and* learns the real passphrase
//!   gets the old master key, and with it whatever old database blocks they also carved.
//!   Full-disk encryption is the defence against carving.
//! - The decoy has no recovery code, no team membership and no sync history: someone who
//!   knows Cairn vaults well may find that thin.
//! - The app's own settings and the desktop's recently-used list are not part of the vault.

use std::{fs, path::Path};

use cairn_crypto::{SlotKind, UnlockedHeader, VaultHeader, VaultMasterKey, WrapKey};
use rusqlite::{Connection, OptionalExtension, params};
use secrecy::{ExposeSecret, SecretString};

use crate::{
    DATABASE_FILE, DECOY_FILE, HEADER_FILE, Id, StoreError, Vault, fsutil, search,
    vault::{keyed_statement, open_database, sqlite_companion},
    wipe,
};

/// The key in `meta` that records, inside the vault's own database, that a duress
/// passphrase is set (the header cannot tell: an unused slot looks like a used one).
const DURESS_MARK: &str = "duress_set";

/// Tables a prepared decoy takes from its source vault as they are: case content (sealed
/// under the case keys, which are re-wrapped for the decoy) and what the case list and search
/// read.
const COPIED_TABLES: &[&str] = &[
    "records",
    "doc_digests",
    "case_summaries",
    "case_objects",
    "case_settings",
    "search_docs",
    "blobs",
    "blob_chunks",
    "attachment_blobs",
];

/// Tables a decoy starts without: the source device's identity and team membership, sync,
/// bundle and handover state, custody signed by the source device, deletions, unfinished
/// uploads, and what the copy rebuilds (case keys, the search indexes, the sequence).
#[cfg(test)]
const LEFT_TABLES: &[&str] = &[
    "meta",
    "case_keys",
    "change_sequence",
    "search_fts",
    "search_pairs",
    "device_identity",
    "organisation",
    "team_pin",
    "roster",
    "team_keys",
    "identity_sealing_key",
    "sync_peers",
    "bundle_peers",
    "tombstones",
    "blob_uploads",
    "change_custody",
    "handover_covered",
    "purged_cases",
    "purged_documents",
    "purged_attachments",
];

/// Writes `dir/decoy.db`: a vault database keyed by `key` (its case keys wrapped under the
/// key derived from it, generation 0, which the vault replaces by a random one at its first
/// unlock), holding a fresh device id and the cases of `source` when given. Written under a
/// temporary name and renamed into place, so a kill leaves the old decoy or the new one.
pub(crate) fn write_decoy(
    dir: &Path,
    vault_id: &Id,
    key: &VaultMasterKey,
    source: Option<&mut Vault>,
) -> Result<(), StoreError> {
    let temp = dir.join(format!(".{}.tmp", hex::encode(cairn_crypto::random_array::<8>())));
    let written = (|| {
        let mut connection = open_database(&temp, vault_id, key, true)?;
        connection.execute(
            "INSERT INTO meta (key, value) VALUES ('device_id', ?1)",
            params![cairn_crypto::random_id().as_slice()],
        )?;
        if let Some(source) = source {
            copy_cases(&mut connection, source, &key.wrap_key(vault_id))?;
        }
        // Closing the last connection checkpoints the WAL into the file and removes it.
        connection.close().map_err(|(_, error)| error)?;
        fs::File::open(&temp)?.sync_all()?;
        fs::rename(&temp, dir.join(DECOY_FILE))?;
        fsutil::sync_dir(dir)?;
        Ok(())
    })();
    if written.is_err() {
        for file in [temp.clone(), sqlite_companion(&temp, "-wal"), sqlite_companion(&temp, "-shm")] {
            let _ = fs::remove_file(file);
        }
    }
    written
}

/// A `case_keys` row: case id, key version, wrapped key, key id.
type StoredCaseKey = (Vec<u8>, u32, Vec<u8>, Vec<u8>);

/// Copies every case of `source` into the decoy database `target` (see [`COPIED_TABLES`]),
/// its case keys re-wrapped under `target_wrap`, in one transaction.
fn copy_cases(target: &mut Connection, source: &mut Vault, target_wrap: &WrapKey) -> Result<(), StoreError> {
    let keys = source.read(|tx| {
        let rows: Vec<StoredCaseKey> = tx
            .tx
            .prepare("SELECT case_id, key_version, wrapped, key_id FROM case_keys")?
            .query_map([], |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?)))?
            .collect::<Result<_, _>>()?;
        rows.into_iter()
            .map(|(case_id, version, wrapped, key_id)| {
                let id: Id = case_id.as_slice().try_into().map_err(|_| StoreError::Damaged { what: "case id" })?;
                let key = cairn_crypto::unwrap_case_key(tx.wrap_key, &id, version, &wrapped)?;
                Ok((id, version, cairn_crypto::wrap_case_key(target_wrap, &id, version, &key), key_id))
            })
            .collect::<Result<Vec<_>, StoreError>>()
    })?;
    // The source's pages are read through an attachment keyed with its K_db; the statement
    // is built in memory that is wiped, as the vault's own key statement is.
    let source_path = source.dir.join(DATABASE_FILE);
    let attach = keyed_statement("ATTACH DATABASE ?1 AS source KEY ", &source.master_key, &source.header.vault_id(), "");
    let path = source_path.to_str().ok_or(StoreError::Damaged { what: "vault folder name" })?;
    target.execute(&attach, [path])?;
    drop(attach);
    let copied = (|| {
        let tx = target.transaction()?;
        for table in COPIED_TABLES {
            tx.execute(&format!("INSERT INTO main.{table} SELECT * FROM source.{table}"), [])?;
        }
        tx.execute("UPDATE main.change_sequence SET seq = (SELECT seq FROM source.change_sequence WHERE id = 1)", [])?;
        {
            let mut insert =
                tx.prepare("INSERT INTO case_keys (case_id, key_version, wrapped, key_id) VALUES (?1, ?2, ?3, ?4)")?;
            for (case_id, version, wrapped, key_id) in &keys {
                insert.execute(params![case_id.as_slice(), version, wrapped, key_id])?;
            }
        }
        search::fill_search_pairs(&tx)?;
        tx.commit()?;
        Ok::<_, StoreError>(())
    })();
    target.execute("DETACH DATABASE source", [])?;
    copied
}

/// Whether `dir/decoy.db` opens with `key`.
pub(crate) fn decoy_opens(dir: &Path, vault_id: &Id, key: &VaultMasterKey) -> bool {
    let path = dir.join(DECOY_FILE);
    match open_database(&path, vault_id, key, false) {
        Ok(connection) => connection.close().is_ok(),
        Err(_) => false,
    }
}

/// Step 3 of a duress unlock: the decoy becomes the vault's database.
pub(crate) fn move_decoy_into_place(dir: &Path) -> Result<(), StoreError> {
    let database = dir.join(DATABASE_FILE);
    for companion in [sqlite_companion(&database, "-wal"), sqlite_companion(&database, "-shm")] {
        match fs::remove_file(&companion) {
            Ok(()) => {}
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => {}
            Err(error) => return Err(error.into()),
        }
    }
    fs::rename(dir.join(DECOY_FILE), &database)?;
    fsutil::sync_dir(dir)?;
    Ok(())
}

/// A duress unlock (see the module documentation): destroys the vault's own keys, moves the
/// decoy into place and returns the header and master key to open it with.
pub(crate) fn turn_into_decoy(
    dir: &Path,
    header: VaultHeader,
    unlocked: UnlockedHeader,
) -> Result<(VaultHeader, VaultMasterKey), StoreError> {
    let vault_id = header.vault_id();
    let decoy_header = header.to_decoy(&unlocked)?;
    if !decoy_opens(dir, &vault_id, &unlocked.master_key) {
        write_decoy(dir, &vault_id, &unlocked.master_key, None)?;
    }
    let bytes = decoy_header.to_bytes();
    let path = dir.join(HEADER_FILE);
    if !wipe::write_in_place(&path, bytes.len(), 0..bytes.len(), &bytes)? {
        // Not the length the duress slot was read from (another process replaced the file
        // meanwhile): destroy whatever keys it holds in place, then write the decoy's.
        wipe::destroy_keys(dir)?;
        fsutil::write_atomically(&path, &bytes)?;
    }
    move_decoy_into_place(dir)?;
    write_decoy(dir, &vault_id, &VaultMasterKey::generate(), None)?;
    Ok((decoy_header, unlocked.master_key))
}

/// Whether the database records a duress passphrase.
pub(crate) fn is_set(connection: &Connection) -> Result<bool, StoreError> {
    Ok(connection
        .prepare_cached("SELECT 1 FROM meta WHERE key = ?1")?
        .query_row([DURESS_MARK], |_| Ok(()))
        .optional()?
        .is_some())
}

impl Vault {
    /// Sets (or replaces) the duress passphrase. The decoy it opens holds the cases of
    /// `decoy_source` (another vault, unlocked; it is wiped afterwards, so nothing of it stays
    /// behind), or nothing. Refused with [`StoreError::DuressNotDistinct`] when `duress` opens
    /// this vault already (it is the passphrase or the recovery code).
    pub fn set_duress(&mut self, duress: &SecretString, decoy_source: Option<Vault>) -> Result<(), StoreError> {
        let vault_id = self.header.vault_id();
        match self.header.unlock(duress.expose_secret()) {
            Ok(unlocked) if unlocked.kind != SlotKind::Duress => return Err(StoreError::DuressNotDistinct),
            _ => {}
        }
        // The recovery code as a worker would type it (grouped, any case).
        if let Ok(code) = cairn_crypto::RecoveryCode::parse(duress.expose_secret())
            && self.header.unlock_with_recovery_code(&code).is_ok()
        {
            return Err(StoreError::DuressNotDistinct);
        }
        if let Some(source) = &decoy_source
            && source.header.vault_id() == vault_id
        {
            return Err(StoreError::DuressNotDistinct);
        }
        let decoy_key = VaultMasterKey::generate();
        let mut decoy_source = decoy_source;
        // The decoy first, the slot that opens it second: a kill in between leaves the
        // previous duress passphrase (if any) opening an empty decoy, never the vault.
        write_decoy(&self.dir, &vault_id, &decoy_key, decoy_source.as_mut())?;
        self.replace_header(|current| Ok(current.with_duress(duress.expose_secret(), &decoy_key)?))?;
        self.connection.execute("INSERT OR REPLACE INTO meta (key, value) VALUES (?1, x'01')", [DURESS_MARK])?;
        if let Some(source) = decoy_source {
            source.wipe()?;
        }
        Ok(())
    }

    /// Removes the duress passphrase: its slot becomes random filler again and the decoy an
    /// unused empty database.
    pub fn remove_duress(&mut self) -> Result<(), StoreError> {
        self.replace_header(|current| Ok(current.without_duress()))?;
        self.connection.execute("DELETE FROM meta WHERE key = ?1", [DURESS_MARK])?;
        write_decoy(&self.dir, &self.header.vault_id(), &VaultMasterKey::generate(), None)
    }
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use super::*;
    use crate::{KdfChoice, test_support};

    const PASSPHRASE: &str = "correct horse battery staple";
    const DURESS: &str = "duress horse battery staple";

    fn secret(text: &str) -> SecretString {
        SecretString::from(text)
    }

    /// A vault with one case (its key) in `dir/name`, locked; returns its recovery code.
    fn vault_with_case(dir: &Path, name: &str, case_id: Id, title: &str) -> (PathBuf, cairn_crypto::RecoveryCode) {
        let path = dir.join(name);
        let (mut vault, recovery) = Vault::create(&path, &secret(PASSPHRASE), KdfChoice::InsecureTestOnly).expect("create");
        vault
            .transaction(|tx| {
                tx.create_case_key(&case_id)?;
                tx.put_case_summary(&crate::CaseSummaryRow { title: title.into(), ..test_support::summary(case_id, 5) })
            })
            .expect("case");
        vault.lock();
        (path, recovery)
    }

    fn titles(vault: &mut Vault) -> Vec<String> {
        vault.read(|tx| Ok(tx.case_summaries()?.into_iter().map(|row| row.title).collect())).expect("titles")
    }

    fn listing(dir: &Path) -> Vec<(String, u64)> {
        let mut files: Vec<(String, u64)> = fs::read_dir(dir)
            .expect("dir")
            .map(|entry| {
                let entry = entry.expect("entry");
                (entry.file_name().to_string_lossy().into_owned(), entry.metadata().expect("meta").len())
            })
            .collect();
        files.sort();
        files
    }

    #[test]
    fn the_duress_passphrase_opens_an_empty_decoy_and_nothing_opens_the_vault_afterwards() {
        let dir = tempfile::tempdir().expect("dir");
        let (path, recovery) = vault_with_case(dir.path(), "v", [1; 16], "real case");
        let before = listing(&path);
        assert_eq!(
            before.iter().map(|(name, _)| name.as_str()).collect::<Vec<_>>(),
            [DECOY_FILE, DATABASE_FILE, HEADER_FILE]
        );
        let header_without = fs::read(path.join(HEADER_FILE)).expect("header");

        let mut vault = Vault::unlock(&path, &secret(PASSPHRASE)).expect("unlock");
        assert!(!vault.info().expect("info").duress);
        assert!(matches!(vault.set_duress(&secret(PASSPHRASE), None), Err(StoreError::DuressNotDistinct)));
        assert!(matches!(vault.set_duress(&secret(&recovery.display_grouped()), None), Err(StoreError::DuressNotDistinct)));
        vault.set_duress(&secret(DURESS), None).expect("set");
        assert!(vault.info().expect("info").duress);
        vault.lock();
        let after = listing(&path);
        assert_eq!(after, before, "the same files of the same sizes with and without a duress passphrase");
        let header_with = fs::read(path.join(HEADER_FILE)).expect("header");
        assert_eq!(header_with.len(), header_without.len());

        let mut decoy = Vault::unlock(&path, &secret(DURESS)).expect("the duress passphrase unlocks");
        assert!(titles(&mut decoy).is_empty(), "the decoy holds none of the vault's cases");
        assert!(!decoy.info().expect("info").duress, "the decoy shows no duress passphrase");
        assert_eq!(decoy.case_count().expect("count"), 0);
        decoy.lock();
        assert!(matches!(Vault::unlock(&path, &secret(PASSPHRASE)), Err(StoreError::WrongPassphrase)));
        assert!(matches!(
            Vault::recover(&path, &recovery, &secret("a new passphrase here")),
            Err(StoreError::WrongRecoveryCode)
        ));
        assert_eq!(
            listing(&path).iter().map(|(name, _)| name.clone()).collect::<Vec<_>>(),
            [DECOY_FILE, DATABASE_FILE, HEADER_FILE]
        );
        // The decoy is now an ordinary vault of the duress passphrase, again and again.
        let mut again = Vault::unlock(&path, &secret(DURESS)).expect("again");
        assert!(titles(&mut again).is_empty());
    }

    #[test]
    fn a_prepared_decoy_holds_the_source_cases_and_the_source_is_wiped() {
        let dir = tempfile::tempdir().expect("dir");
        let (path, _) = vault_with_case(dir.path(), "v", [1; 16], "real case");
        let (source_path, _) = vault_with_case(dir.path(), "decoy-source", [2; 16], "market stall dispute");
        let mut vault = Vault::unlock(&path, &secret(PASSPHRASE)).expect("unlock");
        let source = Vault::unlock(&source_path, &secret(PASSPHRASE)).expect("source");
        vault.set_duress(&secret(DURESS), Some(source)).expect("set");
        assert!(!source_path.exists(), "the source vault is wiped");
        // The copied title is encrypted in the decoy's file like in any vault's.
        let decoy_bytes = fs::read(path.join(DECOY_FILE)).expect("decoy");
        assert!(!decoy_bytes.windows(b"market stall".len()).any(|w| w == b"market stall"), "plaintext in decoy.db");
        assert_eq!(titles(&mut vault), ["real case"]);
        vault.lock();

        let mut decoy = Vault::unlock(&path, &secret(DURESS)).expect("duress");
        assert_eq!(titles(&mut decoy), ["market stall dispute"]);
        // The copied case key opens under the decoy's own (rotated) wrapping key.
        decoy.transaction(|tx| tx.case_key(&[2; 16]).map(|_| ())).expect("case key");
        decoy.check_integrity().expect("integrity");
        decoy.lock();
        assert!(matches!(Vault::unlock(&path, &secret(PASSPHRASE)), Err(StoreError::WrongPassphrase)));
    }

    #[test]
    fn removing_the_duress_passphrase_makes_it_wrong() {
        let dir = tempfile::tempdir().expect("dir");
        let (path, _) = vault_with_case(dir.path(), "v", [1; 16], "real case");
        let mut vault = Vault::unlock(&path, &secret(PASSPHRASE)).expect("unlock");
        vault.set_duress(&secret(DURESS), None).expect("set");
        vault.remove_duress().expect("remove");
        assert!(!vault.info().expect("info").duress);
        vault.lock();
        assert!(matches!(Vault::unlock(&path, &secret(DURESS)), Err(StoreError::WrongPassphrase)));
        let mut vault = Vault::unlock(&path, &secret(PASSPHRASE)).expect("still opens");
        assert_eq!(titles(&mut vault), ["real case"]);
    }

    #[test]
    fn a_duress_unlock_cut_off_before_the_decoy_moved_is_finished_at_the_next_unlock() {
        let dir = tempfile::tempdir().expect("dir");
        let (path, recovery) = vault_with_case(dir.path(), "v", [1; 16], "real case");
        let mut vault = Vault::unlock(&path, &secret(PASSPHRASE)).expect("unlock");
        vault.set_duress(&secret(DURESS), None).expect("set");
        vault.lock();
        // Steps 1 and 2 of a duress unlock, then a kill: the header is the decoy's, the
        // database still the vault's.
        let header = crate::vault::read_header(&path).expect("header");
        let unlocked = header.unlock(DURESS).expect("duress");
        let decoy_header = header.to_decoy(&unlocked).expect("decoy header");
        let bytes = decoy_header.to_bytes();
        assert!(wipe::write_in_place(&path.join(HEADER_FILE), bytes.len(), 0..bytes.len(), &bytes).expect("write"));
        assert!(matches!(Vault::unlock(&path, &secret(PASSPHRASE)), Err(StoreError::WrongPassphrase)));
        assert!(matches!(
            Vault::recover(&path, &recovery, &secret("a new passphrase here")),
            Err(StoreError::WrongRecoveryCode)
        ));
        let mut decoy = Vault::unlock(&path, &secret(DURESS)).expect("finished");
        assert!(titles(&mut decoy).is_empty());
        decoy.lock();
        assert!(path.join(DECOY_FILE).exists(), "a new unused decoy takes the old one's place");
    }

    #[test]
    fn every_table_is_either_copied_into_a_decoy_or_left_out() {
        let (_dir, vault) = test_support::vault();
        let tables: Vec<String> = vault
            .connection
            .prepare(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' \
                 AND name NOT LIKE 'search_fts_%' AND name NOT LIKE 'search_pairs_%'",
            )
            .expect("prepare")
            .query_map([], |row| row.get(0))
            .expect("query")
            .collect::<Result<_, _>>()
            .expect("names");
        for table in &tables {
            let copied = COPIED_TABLES.contains(&table.as_str());
            let left = LEFT_TABLES.contains(&table.as_str());
            assert!(copied != left, "table {table} must be in exactly one of COPIED_TABLES and LEFT_TABLES");
        }
        assert_eq!(tables.len(), COPIED_TABLES.len() + LEFT_TABLES.len(), "a listed table no longer exists");
    }
}
