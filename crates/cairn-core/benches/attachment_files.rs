//! One large attachment (default 500 MB of random bytes) attached to a case from a file and
//! exported back to a file, compared in the same run with `cp` of the same file on the same
//! disk (each followed by an fsync, as the vault's commits are). Peak memory is this process's
//! high-water mark (`VmHWM`), which the random source file never raises (it is written in
//! 1 MiB pieces).
//!
//! `cargo bench -p cairn-core --bench attachment_files` (`CAIRN_BENCH_MB` to change the size).
//! Progress goes to stderr, the figures to stdout.
#![allow(missing_docs, clippy::print_stdout, clippy::print_stderr, clippy::unwrap_used, clippy::expect_used)]

use std::{
    fs,
    io::Write,
    path::Path,
    process::Command,
    time::{Duration, Instant},
};

use cairn_core::{KdfChoice, SecretString, create_vault};

mod support;
use support::Rng;

fn peak_rss_mib() -> f64 {
    let status = fs::read_to_string("/proc/self/status").unwrap();
    let line = status.lines().find(|line| line.starts_with("VmHWM:")).unwrap();
    line.split_whitespace().nth(1).unwrap().parse::<f64>().unwrap() / 1024.0
}

/// `cp from to`, then an fsync of the copy.
fn copy(from: &Path, to: &Path) -> Duration {
    let _ = fs::remove_file(to);
    let started = Instant::now();
    let status = Command::new("cp").arg(from).arg(to).status().unwrap();
    assert!(status.success());
    fs::File::open(to).unwrap().sync_all().unwrap();
    started.elapsed()
}

fn main() {
    let mb: usize = std::env::var("CAIRN_BENCH_MB").ok().and_then(|v| v.parse().ok()).unwrap_or(500);
    let dir = tempfile::tempdir().unwrap();
    let source = dir.path().join("source.bin");
    {
        let mut file = fs::File::create(&source).unwrap();
        let mut rng = Rng(0x5eed_1234_5678_9abc);
        let mut piece = vec![0u8; 1 << 20];
        for _ in 0..mb {
            for word in piece.chunks_exact_mut(8) {
                word.copy_from_slice(&rng.next().to_le_bytes());
            }
            file.write_all(&piece).unwrap();
        }
        file.sync_all().unwrap();
    }
    let bytes = (mb as f64) * (1 << 20) as f64;
    eprintln!("source: {mb} MB of random bytes");
    // The baseline: the best of three copies (the first also warms the page cache, as the
    // vault's import finds the file warm too).
    let cp = (0..3).map(|n| copy(&source, &dir.path().join(format!("copy-{n}.bin")))).min().unwrap();
    for n in 0..3 {
        fs::remove_file(dir.path().join(format!("copy-{n}.bin"))).unwrap();
    }
    let rss_before = peak_rss_mib();

    let (mut session, _) =
        create_vault(&dir.path().join("vault"), &SecretString::from("bench passphrase long"), KdfChoice::InsecureTestOnly)
            .unwrap();
    let case = session.create_case("attachment bench").unwrap();
    eprintln!("attaching…");
    let started = Instant::now();
    let info = session.attach_file(&case, &source, true).unwrap();
    let import = started.elapsed();
    let rss_import = peak_rss_mib();
    eprintln!("exporting…");
    let target = dir.path().join("exported.bin");
    let started = Instant::now();
    session.export_attachment_to(&info.id, &target, false).unwrap();
    let export = started.elapsed();
    let rss_export = peak_rss_mib();
    assert_eq!(fs::metadata(&target).unwrap().len(), fs::metadata(&source).unwrap().len());
    let vault_mb: u64 = fs::read_dir(dir.path().join("vault")).unwrap().map(|e| e.unwrap().metadata().unwrap().len()).sum();
    session.lock();

    let row = |name: &str, time: Duration| {
        println!(
            "| {name} | {:.2} s | {:.0} MB/s | {:.2}× |",
            time.as_secs_f64(),
            bytes / 1e6 / time.as_secs_f64(),
            time.as_secs_f64() / cp.as_secs_f64()
        );
    };
    println!("attachment files benchmark: one attachment of {mb} MB (random bytes)");
    println!();
    println!("| | time | throughput | / `cp` |");
    println!("|---|---|---|---|");
    row("`cp` (+ fsync), best of 3", cp);
    row("attach the file to a case (import)", import);
    row("export it to a file", export);
    println!();
    println!(
        "vault folder after the import: {:.1} MB; peak RSS {:.1} MiB before the vault, {:.1} MiB after the import, {:.1} MiB after the export",
        vault_mb as f64 / 1e6,
        rss_before,
        rss_import,
        rss_export
    );
}
