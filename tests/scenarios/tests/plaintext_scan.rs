//! DESIGN §1 T1: nothing readable without the passphrase. Write content with marker strings,
//! then search every file in the vault folder (database, -wal, -shm, keyslots) for them.

use std::{io::Cursor, path::Path};

use cairn_store::{KdfChoice, Vault};
use secrecy::SecretString;

const PASSPHRASE: &str = "scan test passphrase 2026";
const MARKERS: &[&str] = &[
    "MARKER-TESTIMONY-Kim-Hyesan-1998",
    "혜산 보위부 구류장에서 맞았다",
    "MARKER-ATTACHMENT-audio-bytes",
    "신의주-증언-표식",
];

/// Every file under `dir` and the markers (UTF-8 and UTF-16LE) found in it.
fn find_markers(dir: &Path, markers: &[&str]) -> Vec<(String, String)> {
    let mut found = Vec::new();
    for entry in walk(dir) {
        let bytes = std::fs::read(&entry).expect("read");
        for marker in markers {
            let utf16: Vec<u8> = marker.encode_utf16().flat_map(u16::to_le_bytes).collect();
            for needle in [marker.as_bytes(), &utf16] {
                if bytes.windows(needle.len()).any(|window| window == needle) {
                    found.push((entry.display().to_string(), (*marker).to_owned()));
                }
            }
        }
    }
    found
}

fn walk(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).expect("list").flatten() {
        let path = entry.path();
        if path.is_dir() { files.extend(walk(&path)) } else { files.push(path) }
    }
    files
}

#[test]
fn no_marker_is_readable_in_any_vault_file() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (mut vault, recovery) =
        Vault::create(dir.path(), &SecretString::from(PASSPHRASE), KdfChoice::InsecureTestOnly).expect("create");
    let case_id = cairn_crypto::random_id();
    vault
        .transaction(|tx| {
            tx.create_case_key(&case_id)?;
            for marker in MARKERS {
                tx.append_record(&case_id, &cairn_crypto::random_id(), marker.as_bytes())?;
            }
            let attachment: Vec<u8> =
                MARKERS.iter().flat_map(|m| m.as_bytes().iter().copied()).cycle().take(300_000).collect();
            tx.import_blob(&case_id, &mut Cursor::new(attachment))?;
            Ok(())
        })
        .expect("write");
    vault.change_passphrase(&SecretString::from("changed passphrase for the scan")).expect("change");

    let secrets = [PASSPHRASE, "changed passphrase for the scan", recovery.display_grouped().as_str()].map(str::to_owned);
    let secret_refs: Vec<&str> = secrets.iter().map(String::as_str).collect();
    let mut all: Vec<&str> = MARKERS.to_vec();
    all.extend(&secret_refs);

    // While unlocked, with the write-ahead log holding the new pages.
    assert!(dir.path().join("vault.db-wal").exists(), "expected a WAL file to scan");
    let found = find_markers(dir.path(), &all);
    assert!(found.is_empty(), "plaintext found while unlocked: {found:?}");

    vault.lock();
    let found = find_markers(dir.path(), &all);
    assert!(found.is_empty(), "plaintext found after lock: {found:?}");

    // The scan itself must be able to fail: a plain file with a marker is found.
    std::fs::write(dir.path().join("control.txt"), MARKERS[1]).expect("write");
    assert_eq!(find_markers(dir.path(), MARKERS).len(), 1, "the scanner does not see plaintext");
}
