//! The vault on disk: lifecycle, sealed records and blobs, crypto-shredding, damage.

use std::{fs, io::Cursor, path::Path};

use cairn_store::{DATABASE_FILE, HEADER_FILE, KdfChoice, StoreError, Vault};
use secrecy::SecretString;

const PASSPHRASE: &str = "correct horse battery staple";

fn secret(text: &str) -> SecretString {
    SecretString::from(text)
}

fn new_vault(dir: &Path) -> (Vault, cairn_crypto::RecoveryCode) {
    Vault::create(dir, &secret(PASSPHRASE), KdfChoice::InsecureTestOnly).expect("create")
}

fn unlock(dir: &Path, passphrase: &str) -> Result<Vault, StoreError> {
    Vault::unlock(dir, &secret(passphrase))
}

/// Creates a vault holding one case with one record and one blob; returns their ids.
fn vault_with_content(dir: &Path) -> ([u8; 16], [u8; 16], [u8; 16]) {
    let (mut vault, _) = new_vault(dir);
    let case_id = cairn_crypto::random_id();
    let doc_id = cairn_crypto::random_id();
    let blob_id = vault
        .transaction(|tx| {
            tx.create_case_key(&case_id)?;
            tx.append_record(&case_id, &doc_id, b"first change")?;
            tx.append_record(&case_id, &doc_id, b"second change")?;
            Ok(tx.import_blob(&case_id, &mut Cursor::new(vec![7u8; 200_000]))?.blob_id)
        })
        .expect("write");
    (case_id, doc_id, blob_id)
}

#[test]
fn create_unlock_and_wrong_passphrase() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (vault, _) = new_vault(dir.path());
    let info = vault.info().expect("info");
    vault.lock();
    let again = unlock(dir.path(), PASSPHRASE).expect("unlock");
    assert_eq!(again.info().expect("info"), info);
    assert!(matches!(unlock(dir.path(), "wrong horse battery staple"), Err(StoreError::WrongPassphrase)));
    assert!(matches!(
        Vault::create(dir.path(), &secret(PASSPHRASE), KdfChoice::InsecureTestOnly),
        Err(StoreError::VaultExists)
    ));
    let empty = tempfile::tempdir().expect("tempdir");
    assert!(matches!(unlock(empty.path(), PASSPHRASE), Err(StoreError::VaultNotFound)));
}

#[test]
fn passphrase_change_and_recovery() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (mut vault, recovery) = new_vault(dir.path());
    vault.change_passphrase(&secret("압록강 건너 새벽 세시")).expect("change");
    vault.lock();
    assert!(matches!(unlock(dir.path(), PASSPHRASE), Err(StoreError::WrongPassphrase)));
    unlock(dir.path(), "압록강 건너 새벽 세시").expect("new passphrase opens").lock();

    // The recovery code is not a passphrase: it only works through `recover`.
    let code_text = recovery.display_grouped();
    assert!(matches!(unlock(dir.path(), &code_text), Err(StoreError::WrongPassphrase)));
    let code = cairn_crypto::RecoveryCode::parse(&code_text).expect("parse");
    Vault::recover(dir.path(), &code, &secret("new after recovery 2026")).expect("recover").lock();
    assert!(matches!(unlock(dir.path(), "압록강 건너 새벽 세시"), Err(StoreError::WrongPassphrase)));
    unlock(dir.path(), "new after recovery 2026").expect("recovered passphrase opens").lock();

    let wrong_code = cairn_crypto::RecoveryCode::generate();
    assert!(matches!(
        Vault::recover(dir.path(), &wrong_code, &secret("whatever passphrase 1")),
        Err(StoreError::WrongRecoveryCode)
    ));
}

#[test]
fn records_and_blobs_round_trip_across_unlocks() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (case_id, doc_id, blob_id) = vault_with_content(dir.path());
    let mut vault = unlock(dir.path(), PASSPHRASE).expect("unlock");
    assert_eq!(vault.case_count().expect("count"), 1);
    vault
        .read(|tx| {
            let records = tx.records(&case_id, &doc_id)?;
            assert_eq!(records.len(), 2);
            assert_eq!((records[0].chunk_id, records[0].plaintext.as_slice()), (0, b"first change".as_slice()));
            assert_eq!((records[1].chunk_id, records[1].plaintext.as_slice()), (1, b"second change".as_slice()));
            let mut exported = Vec::new();
            let info = tx.export_blob(&blob_id, &mut exported)?;
            assert_eq!(exported, vec![7u8; 200_000]);
            assert_eq!(info.chunk_count, 4);
            assert_eq!(tx.blob_chunk(&blob_id, 3)?.len(), 200_000 - 3 * 65_536);
            Ok(())
        })
        .expect("read");

    // Compaction replaces the log with one snapshot, at a fresh chunk position.
    vault
        .transaction(|tx| {
            tx.compact_records(&case_id, &doc_id, 1, b"snapshot")?;
            let records = tx.records(&case_id, &doc_id)?;
            assert_eq!(records.len(), 1);
            assert_eq!((records[0].chunk_id, records[0].plaintext.as_slice()), (2, b"snapshot".as_slice()));
            Ok(())
        })
        .expect("compact");
    vault.check_integrity().expect("integrity");
}

#[test]
fn deleting_a_case_shreds_keys_records_and_blobs() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (case_id, doc_id, blob_id) = vault_with_content(dir.path());
    let mut vault = unlock(dir.path(), PASSPHRASE).expect("unlock");
    vault.transaction(|tx| tx.delete_case(&case_id)).expect("delete");
    assert_eq!(vault.case_count().expect("count"), 0);
    vault
        .read(|tx| {
            assert!(matches!(tx.case_key(&case_id), Err(StoreError::NotFound { .. })));
            assert!(tx.records(&case_id, &doc_id)?.is_empty());
            assert!(matches!(tx.blob_info(&blob_id), Err(StoreError::NotFound { .. })));
            Ok(())
        })
        .expect("read");
    assert!(matches!(vault.transaction(|tx| tx.delete_case(&case_id)), Err(StoreError::NotFound { .. })));
}

#[test]
fn a_failed_transaction_leaves_nothing_behind() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (mut vault, _) = new_vault(dir.path());
    let case_id = cairn_crypto::random_id();
    let outcome: Result<(), StoreError> = vault.transaction(|tx| {
        tx.create_case_key(&case_id)?;
        tx.append_record(&case_id, &cairn_crypto::random_id(), b"half of an edit")?;
        Err(StoreError::DiskFull)
    });
    assert!(outcome.is_err());
    assert_eq!(vault.case_count().expect("count"), 0);
}

#[test]
fn the_database_file_is_not_recognisable_as_sqlite() {
    let dir = tempfile::tempdir().expect("tempdir");
    vault_with_content(dir.path());
    let bytes = fs::read(dir.path().join(DATABASE_FILE)).expect("read");
    assert!(!bytes.starts_with(b"SQLite format 3\0"));
    // Opening it as plain SQLite (same library, no key) fails: every page is encrypted.
    let plain = rusqlite::Connection::open(dir.path().join(DATABASE_FILE)).expect("open");
    let error = plain.query_row("SELECT count(*) FROM sqlite_master", [], |row| row.get::<_, i64>(0)).expect_err("read");
    assert_eq!(error.sqlite_error_code(), Some(rusqlite::ErrorCode::NotADatabase));
}

#[test]
fn truncated_or_scrambled_files_give_clean_errors() {
    let dir = tempfile::tempdir().expect("tempdir");
    vault_with_content(dir.path());
    let header_path = dir.path().join(HEADER_FILE);
    let db_path = dir.path().join(DATABASE_FILE);
    let header = fs::read(&header_path).expect("read");
    let database = fs::read(&db_path).expect("read");

    let scenarios: Vec<(&str, Vec<u8>, Vec<u8>)> = vec![
        ("empty header", Vec::new(), database.clone()),
        ("truncated header", header[..header.len() / 2].to_vec(), database.clone()),
        ("scrambled header", header.iter().map(|b| b ^ 0x5a).collect(), database.clone()),
        ("empty database", header.clone(), Vec::new()),
        ("truncated database", header.clone(), database[..database.len() / 3].to_vec()),
        ("scrambled database", header.clone(), database.iter().map(|b| b.wrapping_add(1)).collect()),
    ];
    for (name, header_bytes, database_bytes) in scenarios {
        fs::write(&header_path, &header_bytes).expect("write");
        fs::write(&db_path, &database_bytes).expect("write");
        let _ = fs::remove_file(dir.path().join(format!("{DATABASE_FILE}-wal")));
        let _ = fs::remove_file(dir.path().join(format!("{DATABASE_FILE}-shm")));
        let outcome = unlock(dir.path(), PASSPHRASE).and_then(|vault| vault.check_integrity().map(|()| vault));
        match outcome {
            Err(StoreError::Damaged { .. } | StoreError::WrongPassphrase) => {}
            Err(other) => panic!("{name}: unexpected error {other:?}"),
            Ok(_) => panic!("{name}: a damaged vault opened"),
        }
    }
}

#[test]
fn flipped_database_pages_are_detected() {
    let dir = tempfile::tempdir().expect("tempdir");
    vault_with_content(dir.path());
    let db_path = dir.path().join(DATABASE_FILE);
    // Checkpoint everything into the main file first.
    unlock(dir.path(), PASSPHRASE).expect("unlock").lock();
    let database = fs::read(&db_path).expect("read");
    let page = 4096;
    for offset in (0..database.len()).step_by(page).flat_map(|start| [start + 100, start + page - 20]) {
        if offset >= database.len() {
            continue;
        }
        let mut tampered = database.clone();
        tampered[offset] ^= 0x01;
        fs::write(&db_path, &tampered).expect("write");
        let outcome = unlock(dir.path(), PASSPHRASE).and_then(|vault| vault.check_integrity());
        assert!(matches!(outcome, Err(StoreError::Damaged { .. })), "flip at {offset} went unnoticed: {outcome:?}");
    }
}

#[test]
fn a_newer_header_version_is_reported_as_such() {
    let dir = tempfile::tempdir().expect("tempdir");
    new_vault(dir.path()).0.lock();
    let header_path = dir.path().join(HEADER_FILE);
    let mut header = fs::read(&header_path).expect("read");
    header[0] = 5;
    fs::write(&header_path, &header).expect("write");
    assert!(matches!(unlock(dir.path(), PASSPHRASE), Err(StoreError::NewerFormat { .. })));
}
