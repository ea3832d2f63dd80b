//! When SQLite was started before the first vault opened (something else in the process opened
//! a connection), the zeroing allocator can no longer be installed, and the vault falls back to
//! SQLCipher's memory security: what SQLite frees is still wiped. A process of its own.
#![allow(clippy::expect_used)]

use cairn_store::{KdfChoice, Vault};
use secrecy::SecretString;

#[test]
fn a_vault_opened_after_sqlite_started_wipes_with_sqlciphers_memory_security() {
    let early = rusqlite::Connection::open_in_memory().expect("a connection before any vault");
    early.query_row("SELECT 1", [], |row| row.get::<_, i64>(0)).expect("query");
    let dir = tempfile::tempdir().expect("tempdir");
    let (mut vault, _) =
        Vault::create(&dir.path().join("v"), &SecretString::from("correct horse battery"), KdfChoice::InsecureTestOnly)
            .expect("create");
    assert!(!cairn_sqlite_memory::install(), "too late for the allocator");
    vault
        .transaction(|tx| {
            for n in 0..200 {
                tx.put_case_setting(&format!("key {n}"), &"value ".repeat(100))?;
            }
            Ok(())
        })
        .expect("write");
    let random_wipe: String = early.query_row("PRAGMA cipher_memory_security", [], |row| row.get(0)).expect("pragma");
    assert_eq!(random_wipe, "1", "SQLCipher wipes what SQLite frees");
    // SQLCipher is built without its per-allocation memory locking (`OMIT_MEMLOCK` in
    // `.cargo/config.toml`): one mlock/munlock pair per malloc/free was most of an edit's cost.
    // SQLite's page cache and statements are live now; with that locking on, their pages
    // would be counted here.
    #[cfg(target_os = "linux")]
    assert_eq!(locked_kib(), 0, "SQLCipher was built with its memory locking (LIBSQLITE3_FLAGS lost?)");
    drop(vault);
}

#[cfg(target_os = "linux")]
fn locked_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").expect("status");
    let line = status.lines().find(|line| line.starts_with("VmLck:")).expect("VmLck");
    line.split_whitespace().nth(1).expect("value").parse().expect("number")
}
