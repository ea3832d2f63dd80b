//! kill -9 loops for the wipes of issue 13 (`wipe-writer`):
//!
//! - a panic wipe killed at any moment leaves the vault either whole (it opens with the
//!   passphrase and the recovery code, and passes its integrity check) or opened by nothing;
//!   never one secret working and not the other, never an openable vault with a missing file;
//! - failed unlocks killed at any moment are counted before the key derivation: N − 1 of them
//!   (killed or not) leave the vault opening with the passphrase; N wipe it, and the attempt
//!   after one cut off at the limit destroys the keys before deriving.
//!
//! Rounds: `CAIRN_KILL_ROUNDS` (default [`DEFAULT_ROUNDS`]).

use std::{
    path::Path,
    process::{Command, ExitStatus, Stdio},
    time::Duration,
};

use cairn_crypto::{RecoveryCode, UnlockGuard, VaultHeader};
use cairn_scenarios::{PASSPHRASE_A, Rng};
use cairn_store::{HEADER_FILE, KdfChoice, StoreError, Vault};
use secrecy::SecretString;

const DEFAULT_ROUNDS: u64 = 40;

fn rounds() -> u64 {
    std::env::var("CAIRN_KILL_ROUNDS").ok().and_then(|value| value.parse().ok()).unwrap_or(DEFAULT_ROUNDS)
}

fn create_vault(dir: &Path) -> RecoveryCode {
    let (mut vault, code) =
        Vault::create(dir, &SecretString::from(PASSPHRASE_A), KdfChoice::InsecureTestOnly).expect("create");
    vault.transaction(|tx| tx.create_case_key(&[0x77; 16]).map(|_| ())).expect("a case");
    vault.lock();
    code
}

/// Runs `wipe-writer MODE DIR` and kills it after `delay` (unless it finished first).
fn run_and_kill(mode: &str, dir: &Path, passphrase: &str, delay: Duration) -> Option<ExitStatus> {
    let mut child = Command::new(env!("CARGO_BIN_EXE_wipe-writer"))
        .args([mode, dir.to_str().expect("utf-8 path")])
        .env("CAIRN_PASSPHRASE", passphrase)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn");
    let deadline = std::time::Instant::now() + delay;
    let mut finished = child.try_wait().expect("try_wait");
    while finished.is_none() && std::time::Instant::now() < deadline {
        std::thread::sleep(Duration::from_micros(200).min(deadline.saturating_duration_since(std::time::Instant::now())));
        finished = child.try_wait().expect("try_wait");
    }
    if finished.is_none() {
        child.kill().expect("kill -9");
        child.wait().expect("wait");
    }
    finished
}

/// Whether the keyslots on disk open with the passphrase and with the recovery code, looked
/// at directly (no attempt is counted); `None` when there is no `vault.keys`.
fn keys_open(dir: &Path, code: &RecoveryCode) -> Option<(bool, bool)> {
    let bytes = std::fs::read(dir.join(HEADER_FILE)).ok()?;
    let header = VaultHeader::parse(&bytes).expect("a wipe never leaves a header that does not parse");
    Some((header.unlock(PASSPHRASE_A).is_ok(), header.unlock_with_recovery_code(code).is_ok()))
}

fn guard(dir: &Path) -> UnlockGuard {
    VaultHeader::parse(&std::fs::read(dir.join(HEADER_FILE)).expect("header")).expect("parse").unlock_guard()
}

#[test]
fn a_panic_wipe_killed_at_any_moment_leaves_the_vault_whole_or_unopenable() {
    let parent = tempfile::tempdir().expect("tempdir");
    let mut rng = Rng::new(13);
    let (mut whole, mut destroyed, mut gone) = (0, 0, 0);
    for round in 0..rounds() {
        let dir = parent.path().join(format!("vault-{round}"));
        let code = create_vault(&dir);
        run_and_kill("wipe", &dir, "", Duration::from_micros(rng.between(500, 4_000)));
        match keys_open(&dir, &code) {
            Some((true, true)) => {
                whole += 1;
                let vault = Vault::unlock(&dir, &SecretString::from(PASSPHRASE_A)).expect("a whole vault opens");
                vault.check_integrity().expect("and is intact");
                vault.lock();
            }
            Some((false, false)) => {
                destroyed += 1;
                assert!(matches!(Vault::unlock(&dir, &SecretString::from(PASSPHRASE_A)), Err(StoreError::WrongPassphrase)));
            }
            Some(other) => panic!("round {round}: one secret opens and not the other: {other:?}"),
            None => {
                gone += 1;
                assert!(matches!(Vault::unlock(&dir, &SecretString::from(PASSPHRASE_A)), Err(StoreError::VaultNotFound)));
            }
        }
        // Running the wipe again finishes it (a folder with no vault file left is not a vault:
        // a kill between the last file and the folder leaves it to the worker).
        if dir.exists() && (whole + destroyed + gone) % 2 == 0 {
            match cairn_store::wipe(&dir) {
                Ok(report) => assert!(report.folder_removed && !dir.exists(), "round {round}: the folder is gone"),
                Err(StoreError::VaultNotFound) => {
                    let left = std::fs::read_dir(&dir)
                        .expect("list")
                        .flatten()
                        .filter(|entry| entry.file_name().to_string_lossy().starts_with("vault."));
                    assert_eq!(left.count(), 0, "round {round}: vault files left");
                }
                Err(error) => panic!("round {round}: wipe again: {error:?}"),
            }
        }
    }
    assert!(
        whole > 0 && destroyed + gone > 0,
        "the kills never landed on both sides of the wipe: {whole} whole, {destroyed} keys destroyed, {gone} header gone"
    );
}

#[test]
fn failed_unlocks_count_across_kills_n_minus_one_keep_the_vault_and_n_wipe_it() {
    const LIMIT: u32 = 4;
    let parent = tempfile::tempdir().expect("tempdir");
    let mut rng = Rng::new(4);
    for round in 0..(rounds() / 10).max(2) {
        let dir = parent.path().join(format!("vault-{round}"));
        let code = create_vault(&dir);
        let mut vault = Vault::unlock(&dir, &SecretString::from(PASSPHRASE_A)).expect("unlock");
        vault.set_unlock_limit(LIMIT).expect("limit");
        vault.lock();
        // Wrong attempts, killed at varied moments, up to N - 1 counted.
        let mut counted = 0;
        while counted < LIMIT - 1 {
            let finished = run_and_kill("unlock", &dir, "a wrong guess", Duration::from_micros(rng.between(0, 15_000)));
            let now = guard(&dir).failures;
            assert!(now == counted || now == counted + 1, "round {round}: one attempt counted {now} after {counted}");
            if finished.is_some() {
                assert_eq!(finished.and_then(|status| status.code()), Some(3), "a wrong passphrase");
                assert_eq!(now, counted + 1, "a finished attempt was counted");
            }
            counted = now;
            assert_eq!(keys_open(&dir, &code), Some((true, true)), "round {round}: {counted} < N failures keep the keys");
        }
        // N - 1: the passphrase opens, and the count starts again.
        let finished = run_and_kill("unlock", &dir, PASSPHRASE_A, Duration::from_secs(30));
        assert_eq!(finished.and_then(|status| status.code()), Some(0), "round {round}: N - 1 failures then the passphrase");
        assert_eq!(guard(&dir).failures, 0);
        // N counted failures (killed or not), then any attempt, even the right one, finds nothing.
        while guard(&dir).failures < LIMIT {
            run_and_kill("unlock", &dir, "a wrong guess", Duration::from_micros(rng.between(0, 15_000)));
            if guard(&dir).failures < LIMIT {
                assert_eq!(keys_open(&dir, &code), Some((true, true)));
            }
        }
        let finished = run_and_kill("unlock", &dir, PASSPHRASE_A, Duration::from_secs(30));
        assert_eq!(finished.and_then(|status| status.code()), Some(3), "round {round}: wiped, an ordinary wrong passphrase");
        assert_eq!(keys_open(&dir, &code), Some((false, false)), "round {round}: no secret opens it");
        assert!(matches!(
            Vault::recover(&dir, &code, &SecretString::from("a new passphrase after")),
            Err(StoreError::WrongRecoveryCode)
        ));
    }
}
