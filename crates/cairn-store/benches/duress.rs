//! Duress unlock against an ordinary unlock of the same vault: the whole `Vault::unlock` call
//! (key derivation included, at the parameters given), so the difference is what someone
//! timing the unlock could see. Each round makes a fresh vault with 50 cases, sets a duress
//! passphrase, unlocks it once with the passphrase (the baseline) and once with the duress
//! passphrase; rounds are interleaved, median of `CAIRN_BENCH_ROUNDS` (default 7).
//! `CAIRN_BENCH_KDF_MIB` sets Argon2id's memory (default 64 MiB, the floor; 3 passes, 1 lane).
#![allow(missing_docs, clippy::print_stdout, clippy::unwrap_used)]

use std::time::{Duration, Instant};

use cairn_crypto::KdfParams;
use cairn_store::{KdfChoice, Vault};
use secrecy::SecretString;

const PASSPHRASE: &str = "bench passphrase of some length";
const DURESS: &str = "bench duress passphrase of some length";

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

fn main() {
    let rounds: usize = std::env::var("CAIRN_BENCH_ROUNDS").ok().and_then(|value| value.parse().ok()).unwrap_or(7);
    let mib: u32 = std::env::var("CAIRN_BENCH_KDF_MIB").ok().and_then(|value| value.parse().ok()).unwrap_or(64);
    let kdf = KdfChoice::Fixed(KdfParams { memory_kib: mib * 1024, iterations: 3, parallelism: 1 });
    let root = tempfile::tempdir().unwrap();
    let (mut ordinary, mut duress) = (Vec::new(), Vec::new());
    for round in 0..rounds {
        let dir = root.path().join(format!("vault-{round}"));
        let (mut vault, _) = Vault::create(&dir, &SecretString::from(PASSPHRASE), kdf).unwrap();
        vault
            .transaction(|tx| {
                for case in 0..50u8 {
                    tx.create_case_key(&[case; 16])?;
                    tx.append_record(&[case; 16], &[2; 16], &[0x5a; 4096])?;
                }
                Ok(())
            })
            .unwrap();
        vault.set_duress(&SecretString::from(DURESS), None).unwrap();
        vault.lock();
        let start = Instant::now();
        let vault = Vault::unlock(&dir, &SecretString::from(PASSPHRASE)).unwrap();
        ordinary.push(start.elapsed());
        vault.lock();
        let start = Instant::now();
        let decoy = Vault::unlock(&dir, &SecretString::from(DURESS)).unwrap();
        duress.push(start.elapsed());
        assert_eq!(decoy.case_count().unwrap(), 0);
        decoy.lock();
    }
    let (ordinary, duress) = (median(ordinary), median(duress));
    println!("Argon2id {mib} MiB, 3 passes, 1 lane; median of {rounds} interleaved rounds");
    println!("| unlock | time | ratio to ordinary | difference |");
    println!("|---|---|---|---|");
    println!("| ordinary (passphrase) | {:.1} ms | 1.00× | |", ordinary.as_secs_f64() * 1e3);
    println!(
        "| duress (decoy opens, vault's keys destroyed) | {:.1} ms | {:.2}× | {:+.1} ms |",
        duress.as_secs_f64() * 1e3,
        duress.as_secs_f64() / ordinary.as_secs_f64(),
        (duress.as_secs_f64() - ordinary.as_secs_f64()) * 1e3
    );
}
