//! kill -9 loops: a writer is killed at varied moments; afterwards the vault must open,
//! every acknowledged write must be present, and the keyslot must be the old or the new one.

use std::{
    io::{BufRead, BufReader},
    path::Path,
    process::{Child, Command, Stdio},
    sync::mpsc,
    time::Duration,
};

use cairn_scenarios::{CRASH_CASE_ID, CRASH_DOC_ID, PASSPHRASE_A, PASSPHRASE_B, record_text};
use cairn_store::{KdfChoice, StoreError, Vault};
use secrecy::SecretString;

const ROUNDS: u64 = 12;

fn create_vault(dir: &Path) {
    Vault::create(dir, &SecretString::from(PASSPHRASE_A), KdfChoice::InsecureTestOnly).expect("create").0.lock();
}

/// Starts the writer, lets it run for a varied time, kills it with SIGKILL, and returns the
/// acknowledgement lines it printed.
fn run_and_kill(mode: &str, dir: &Path, passphrase: &str, round: u64) -> Vec<String> {
    let mut child: Child = Command::new(env!("CARGO_BIN_EXE_crash-writer"))
        .args([mode, dir.to_str().expect("utf-8 path")])
        .env("CAIRN_PASSPHRASE", passphrase)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn");
    let stdout = child.stdout.take().expect("stdout");
    let (sender, receiver) = mpsc::channel();
    let reader = std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            if sender.send(line).is_err() {
                break;
            }
        }
    });
    // Wait for the first acknowledgement, then a varied extra time, so kills land at
    // different points of the write path.
    let mut acks = vec![receiver.recv_timeout(Duration::from_secs(30)).expect("writer never acknowledged")];
    std::thread::sleep(Duration::from_millis(3 + (round * 37) % 90));
    child.kill().expect("kill -9");
    child.wait().expect("wait");
    reader.join().expect("reader");
    acks.extend(receiver.try_iter());
    acks
}

#[test]
fn acknowledged_records_survive_kill_9() {
    let dir = tempfile::tempdir().expect("tempdir");
    create_vault(dir.path());
    let mut acknowledged = 0u64;
    for round in 0..ROUNDS {
        let acks = run_and_kill("records", dir.path(), PASSPHRASE_A, round);
        acknowledged += acks.len() as u64;
        let mut vault = Vault::unlock(dir.path(), &SecretString::from(PASSPHRASE_A)).expect("vault opens after kill -9");
        vault.check_integrity().expect("integrity after kill -9");
        let stored = vault.read(|tx| tx.records(&CRASH_CASE_ID, &CRASH_DOC_ID)).expect("records");
        // Every acknowledged write is there; at most the one in flight may be there too.
        assert!(stored.len() as u64 >= acknowledged, "round {round}: lost acknowledged writes");
        assert!(stored.len() as u64 <= acknowledged + 1, "round {round}: more records than writes");
        acknowledged = stored.len() as u64;
        for (n, record) in stored.iter().enumerate() {
            assert_eq!(record.plaintext.as_slice(), record_text(n as u64).as_bytes(), "round {round}: record {n}");
        }
    }
    assert!(acknowledged > ROUNDS, "the writer barely wrote anything: {acknowledged}");
}

#[test]
fn passphrase_change_is_old_or_new_after_kill_9() {
    let dir = tempfile::tempdir().expect("tempdir");
    create_vault(dir.path());
    let mut current = PASSPHRASE_A;
    for round in 0..ROUNDS {
        let acks = run_and_kill("passphrase", dir.path(), current, round);
        let last_acked = acks.last().and_then(|line| line.splitn(3, ' ').nth(2)).map(str::to_owned);
        let in_flight = match last_acked.as_deref() {
            Some(PASSPHRASE_A) => PASSPHRASE_B,
            _ => PASSPHRASE_A,
        };
        let acked = match last_acked.as_deref() {
            Some(PASSPHRASE_A) => PASSPHRASE_A,
            Some(PASSPHRASE_B) => PASSPHRASE_B,
            _ => current,
        };
        let opens = |passphrase: &str| match Vault::unlock(dir.path(), &SecretString::from(passphrase)) {
            Ok(vault) => {
                vault.lock();
                true
            }
            Err(StoreError::WrongPassphrase) => false,
            Err(other) => panic!("round {round}: torn or damaged keyslot: {other:?}"),
        };
        let (acked_opens, in_flight_opens) = (opens(acked), opens(in_flight));
        assert!(acked_opens ^ in_flight_opens, "round {round}: exactly one passphrase must open the vault");
        current = if acked_opens { acked } else { in_flight };
        let leftovers: Vec<_> = std::fs::read_dir(dir.path())
            .expect("list")
            .flatten()
            .filter(|entry| entry.file_name().to_string_lossy().ends_with(".tmp"))
            .collect();
        assert!(leftovers.len() <= 1, "round {round}: temporary files pile up");
    }
}
