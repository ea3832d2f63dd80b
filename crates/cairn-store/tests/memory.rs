//! What SQLite frees is wiped: through `cairn-sqlite-memory`'s zeroing allocator, installed
//! before the first vault opens. A process of its own, so that nothing else here starts SQLite
//! first (`memory_fallback.rs` is the process where something does).
#![allow(clippy::expect_used)]

use cairn_store::{KdfChoice, Vault};
use secrecy::SecretString;

#[test]
fn what_sqlite_frees_under_an_open_vault_is_wiped_with_zeros() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (mut vault, _) =
        Vault::create(&dir.path().join("v"), &SecretString::from("correct horse battery"), KdfChoice::InsecureTestOnly)
            .expect("create");
    assert!(cairn_sqlite_memory::install(), "the vault installed the allocator before SQLite started");
    let before = cairn_sqlite_memory::wiped_bytes();
    let text = "증언 testimony ".repeat(2_000);
    vault
        .transaction(|tx| {
            for n in 0..50 {
                tx.put_case_setting(&format!("key {n}"), &text)?;
            }
            Ok(())
        })
        .expect("write");
    let wiped = cairn_sqlite_memory::wiped_bytes() - before;
    assert!(wiped as usize >= 50 * text.len(), "SQLite's copies of the rows were wiped as freed ({wiped} bytes)");
    // SQLCipher's own wipe is not also on: it would wipe everything a second time.
    let side = rusqlite::Connection::open_in_memory().expect("side connection");
    let random_wipe: String = side.query_row("PRAGMA cipher_memory_security", [], |row| row.get(0)).expect("pragma");
    assert_eq!(random_wipe, "0");
    drop(vault);
}
