//! One large attachment (default 500 MB of random bytes) attached to a case from a file and
//! exported back to a file, compared in the same run with `cp` of the same file on the same
//! disk (each followed by an fsync, as the vault's commits are), and with SQLCipher alone
//! storing the same bytes as the vault must (inside one page-encrypted database: DESIGN §1
//! and §3), in 64 KiB rows, one transaction, WAL and `synchronous = FULL`, then reading them
//! back into a file: the floor the design sets, which `cp` is not. Peak memory is this process's
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

/// The same bytes through SQLCipher alone, as the vault would have to store them at the
/// least: 64 KiB rows in one transaction (the vault imports in one), committed with fsync; then
/// read back in order into a file, fsynced. Returns both times.
fn sqlcipher_alone(source: &Path, dir: &Path) -> (Duration, Duration) {
    let connection = support::baseline_db(
        &dir.join("sqlcipher-alone.db"),
        Some("x'2DD29CA851E7B56E4697B0E1F08507293D761A05CE4D1B628663F411A8086D99'"),
        "CREATE TABLE chunks (id INTEGER PRIMARY KEY, body BLOB NOT NULL);",
    );
    let started = Instant::now();
    {
        let mut file = fs::File::open(source).unwrap();
        let tx = connection.unchecked_transaction().unwrap();
        let mut insert = tx.prepare("INSERT INTO chunks (body) VALUES (?1)").unwrap();
        let mut chunk = vec![0u8; 64 * 1024];
        loop {
            let read = std::io::Read::read(&mut file, &mut chunk).unwrap();
            if read == 0 {
                break;
            }
            insert.execute([&chunk[..read]]).unwrap();
        }
        drop(insert);
        tx.commit().unwrap();
    }
    let import = started.elapsed();
    let target = dir.join("sqlcipher-alone.out");
    let started = Instant::now();
    {
        let mut out = fs::File::create(&target).unwrap();
        let mut select = connection.prepare("SELECT body FROM chunks ORDER BY id").unwrap();
        let mut rows = select.query([]).unwrap();
        while let Some(row) = rows.next().unwrap() {
            out.write_all(row.get_ref(0).unwrap().as_blob().unwrap()).unwrap();
        }
        out.sync_all().unwrap();
    }
    let export = started.elapsed();
    assert_eq!(fs::metadata(&target).unwrap().len(), fs::metadata(source).unwrap().len());
    drop(connection);
    for name in ["sqlcipher-alone.db", "sqlcipher-alone.db-wal", "sqlcipher-alone.db-shm", "sqlcipher-alone.out"] {
        let _ = fs::remove_file(dir.join(name));
    }
    (import, export)
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
    let (cipher_import, cipher_export) = sqlcipher_alone(&source, dir.path());
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
    row("SQLCipher alone storing the same bytes (same pragmas)", cipher_import);
    row("SQLCipher alone reading them back into a file", cipher_export);
    row("attach the file to a case (import)", import);
    row("export it to a file", export);
    println!();
    println!(
        "import / SQLCipher alone: {:.2}×; export / SQLCipher alone: {:.2}×",
        import.as_secs_f64() / cipher_import.as_secs_f64(),
        export.as_secs_f64() / cipher_export.as_secs_f64()
    );
    println!();
    println!(
        "vault folder after the import: {:.1} MB; peak RSS {:.1} MiB before the vault, {:.1} MiB after the import, {:.1} MiB after the export",
        vault_mb as f64 / 1e6,
        rss_before,
        rss_import,
        rss_export
    );
}
