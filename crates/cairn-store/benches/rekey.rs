//! Full re-key (`Vault::rekey`): the whole database re-encrypted under a new key, against the
//! baseline of copying the same `vault.db` to a new file and flushing it (`std::fs::copy` +
//! fsync, what `cp` and `sync` do), on the same disk in the same run. Vaults of 0 (one case),
//! `CAIRN_BENCH_MB` / 4 and `CAIRN_BENCH_MB` (default 256) MiB of records; median of 3 each.
//! The test-only key derivation is used, so the times are the database's work: a real re-key
//! adds two key derivations (the passphrase's and the new recovery code's slots), 0.5–1 s each
//! as calibrated at creation.
#![allow(missing_docs, clippy::print_stdout, clippy::unwrap_used)]

use std::{
    path::Path,
    time::{Duration, Instant},
};

use cairn_crypto::RecoveryCode;
use cairn_store::{KdfChoice, Vault};
use secrecy::SecretString;

const PASSPHRASE: &str = "bench passphrase";

fn make_vault(dir: &Path, megabytes: usize) -> Vault {
    let (mut vault, _) = Vault::create(dir, &SecretString::from(PASSPHRASE), KdfChoice::InsecureTestOnly).unwrap();
    let record = vec![0x5au8; 256 * 1024];
    vault
        .transaction(|tx| {
            tx.create_case_key(&[1; 16])?;
            for _ in 0..megabytes * 4 {
                tx.append_record(&[1; 16], &[2; 16], &record)?;
            }
            Ok(())
        })
        .unwrap();
    // As a vault that has been closed and opened again: the WAL written back.
    vault.lock();
    Vault::unlock(dir, &SecretString::from(PASSPHRASE)).unwrap()
}

fn copy_and_flush(from: &Path, to: &Path) -> Duration {
    let start = Instant::now();
    std::fs::copy(from, to).unwrap();
    std::fs::File::open(to).unwrap().sync_all().unwrap();
    start.elapsed()
}

fn median(mut times: Vec<Duration>) -> Duration {
    times.sort();
    times[times.len() / 2]
}

fn main() {
    let large: usize = std::env::var("CAIRN_BENCH_MB").ok().and_then(|value| value.parse().ok()).unwrap_or(256);
    let root = tempfile::tempdir().unwrap();
    println!("| vault.db | copy + fsync (baseline) | re-key | re-key / copy |");
    println!("|---|---|---|---|");
    for megabytes in [0, large / 4, large] {
        let (mut copies, mut rekeys, mut size) = (Vec::new(), Vec::new(), 0);
        for round in 0..3 {
            let dir = root.path().join(format!("vault-{megabytes}-{round}"));
            let mut vault = make_vault(&dir, megabytes);
            let database = dir.join("vault.db");
            size = std::fs::metadata(&database).unwrap().len();
            copies.push(copy_and_flush(&database, &root.path().join(format!("copy-{megabytes}-{round}"))));
            let start = Instant::now();
            vault.rekey(&SecretString::from("another bench passphrase"), &RecoveryCode::generate()).unwrap();
            rekeys.push(start.elapsed());
            vault.lock();
            std::fs::remove_dir_all(&dir).unwrap();
            std::fs::remove_file(root.path().join(format!("copy-{megabytes}-{round}"))).unwrap();
        }
        let (copy, rekey) = (median(copies), median(rekeys));
        println!(
            "| {:.1} MiB | {:.1} ms | {:.1} ms | {:.2}× |",
            size as f64 / (1024.0 * 1024.0),
            copy.as_secs_f64() * 1e3,
            rekey.as_secs_f64() * 1e3,
            rekey.as_secs_f64() / copy.as_secs_f64(),
        );
    }
}
