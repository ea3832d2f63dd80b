//! SQLCipher is built without its per-allocation memory locking (`OMIT_MEMLOCK` in
//! `.cargo/config.toml`): one mlock/munlock pair per malloc/free was most of an edit's cost. A
//! process of its own, so that nothing else here locks memory.
#![allow(clippy::expect_used)]

#[cfg(target_os = "linux")]
#[test]
fn an_open_vault_holds_no_locked_memory() {
    use cairn_store::{KdfChoice, Vault};
    use secrecy::SecretString;

    let locked_kib = || -> u64 {
        let status = std::fs::read_to_string("/proc/self/status").expect("status");
        let line = status.lines().find(|line| line.starts_with("VmLck:")).expect("VmLck");
        line.split_whitespace().nth(1).expect("value").parse().expect("number")
    };
    let dir = tempfile::tempdir().expect("tempdir");
    let (mut vault, _) =
        Vault::create(&dir.path().join("v"), &SecretString::from("correct horse battery"), KdfChoice::InsecureTestOnly)
            .expect("create");
    vault
        .transaction(|tx| {
            for n in 0..200 {
                tx.put_case_setting(&format!("key {n}"), &"value ".repeat(100))?;
            }
            Ok(())
        })
        .expect("write");
    // SQLite's page cache and statements are live now; with per-allocation locking on, their
    // pages would be counted here.
    assert_eq!(locked_kib(), 0, "SQLCipher was built with its memory locking (LIBSQLITE3_FLAGS lost?)");
    drop(vault);
}
