//! Argon2id alone, as an unlock and `cairn init` pay for it: one derivation at the floor and at
//! the starting parameters (best of `CAIRN_BENCH_RUNS`, default 3), and one calibration as
//! `cairn init` runs it (target 0.5 s) with the parameters it chose. Run it natively and for
//! another architecture (scripts/test-arm64's environment, `--target`) to compare the two:
//! BENCHMARKS.md, "The core on ARM64".
#![allow(missing_docs, clippy::print_stdout, clippy::unwrap_used)]

use std::time::{Duration, Instant};

use cairn_crypto::{KdfParams, calibrate_kdf, time_kdf};

fn seconds(duration: Duration) -> String {
    format!("{:.2} s", duration.as_secs_f64())
}

fn describe(params: &KdfParams) -> String {
    format!("m={} MiB, t={}, p={}", params.memory_kib / 1024, params.iterations, params.parallelism)
}

fn main() {
    let runs: usize = std::env::var("CAIRN_BENCH_RUNS").ok().and_then(|value| value.parse().ok()).unwrap_or(3).max(1);
    println!(
        "{} on {} (std::thread::available_parallelism: {})",
        std::env::consts::ARCH,
        std::env::consts::OS,
        std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1)
    );
    println!();
    println!("| Argon2id | best of {runs} | per MiB and pass |");
    println!("|---|---|---|");
    for params in [KdfParams::FLOOR, KdfParams::START] {
        let best = (0..runs).map(|_| time_kdf(&params)).min().unwrap();
        let per = best.as_secs_f64() * 1e3 / f64::from(params.memory_kib / 1024 * params.iterations);
        println!("| {} | {} | {per:.2} ms |", describe(&params), seconds(best));
    }
    // What `cairn init` does before it derives its two keyslots: several derivations, halving
    // memory from 256 MiB while one takes over twice the target.
    let started = Instant::now();
    let chosen = calibrate_kdf(Duration::from_millis(500));
    let calibration = started.elapsed();
    let one = time_kdf(&chosen);
    println!();
    println!(
        "calibration (target 0.5 s): {} in {}; one derivation with them: {}",
        describe(&chosen),
        seconds(calibration),
        seconds(one)
    );
}
