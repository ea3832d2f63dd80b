//! Panic wipe: time until the vault is unrecoverable (every keyslot overwritten in place and
//! flushed) and until its files are gone, for a small and a large vault, against the baseline
//! of writing and fsyncing a 500-byte file. `CAIRN_BENCH_MB` sets the large vault's size
//! (default 64 MiB of records). Best of 3 for each.
#![allow(missing_docs, clippy::print_stdout, clippy::unwrap_used)]

use std::{
    io::Write,
    path::Path,
    time::{Duration, Instant},
};

use cairn_store::{KdfChoice, Vault};
use secrecy::SecretString;

fn make_vault(dir: &Path, megabytes: usize) {
    let (mut vault, _) = Vault::create(dir, &SecretString::from("bench passphrase"), KdfChoice::InsecureTestOnly).unwrap();
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
    vault.lock();
}

fn fsync_baseline(dir: &Path) -> Duration {
    (0..20)
        .map(|i| {
            let start = Instant::now();
            let mut file = std::fs::File::create(dir.join(format!("baseline-{i}"))).unwrap();
            file.write_all(&[7u8; 500]).unwrap();
            file.sync_all().unwrap();
            start.elapsed()
        })
        .min()
        .unwrap()
}

fn main() {
    let large: usize = std::env::var("CAIRN_BENCH_MB").ok().and_then(|value| value.parse().ok()).unwrap_or(64);
    let root = tempfile::tempdir().unwrap();
    let baseline = fsync_baseline(root.path());
    println!("baseline: write + fsync a 500-byte file: {:.2} ms (best of 20)", baseline.as_secs_f64() * 1e3);
    println!("| vault | size on disk | unrecoverable after | ratio to baseline | files removed after |");
    println!("|---|---|---|---|---|");
    for megabytes in [0, large] {
        let mut best: Option<(Duration, Duration, u64)> = None;
        for round in 0..3 {
            let dir = root.path().join(format!("vault-{megabytes}-{round}"));
            make_vault(&dir, megabytes);
            let size: u64 = std::fs::read_dir(&dir).unwrap().map(|entry| entry.unwrap().metadata().unwrap().len()).sum();
            let report = cairn_store::wipe(&dir).unwrap();
            assert!(!dir.exists());
            if best.is_none_or(|(unrecoverable, _, _)| report.unrecoverable_after < unrecoverable) {
                best = Some((report.unrecoverable_after, report.total, size));
            }
        }
        let (unrecoverable, total, size) = best.unwrap();
        println!(
            "| {} | {:.1} MiB | {:.2} ms | {:.2}× | {:.2} ms |",
            if megabytes == 0 { "small (one case)" } else { "large" },
            size as f64 / (1024.0 * 1024.0),
            unrecoverable.as_secs_f64() * 1e3,
            unrecoverable.as_secs_f64() / baseline.as_secs_f64(),
            total.as_secs_f64() * 1e3,
        );
    }
}
