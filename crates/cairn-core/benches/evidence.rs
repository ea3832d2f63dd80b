//! Evidence packages (issue 11): export and offline verify of one case holding 100 MB of
//! attachments, against `sha256sum` of the same bytes.
//!
//! HQ's vault holds one case (a person, a testimony) with `CAIRN_BENCH_EVIDENCE_MB` MB of
//! incompressible attachments (default 100, in 4 MB files). Each of our four runs (export to a
//! folder, export to a `.zip`, verify of each) is a child process, this same binary, under GNU
//! time (`/usr/bin/time -f %M`), so its peak memory is its own; the child times the call
//! itself (the vault already unlocked for an export; nothing opened for a verify, which needs
//! no vault). The baseline, on the same disk: `sha256sum` of one file holding the same bytes (in
//! the page cache like the vault), best of three, also under GNU time. An export must at least
//! read, hash and write every byte, a verify read and hash it: `sha256sum` is the floor of the
//! hashing part. Ratios are of time (ours / `sha256sum`: below is better) and of peak memory
//! (ours / `sha256sum`'s, and ours per MB of attachments).
//!
//! One more row isolates the hash: the same file through `cairn_crypto::ContentHasher` (the
//! SHA-256 every Cairn hash goes through; it uses the CPU's SHA extensions where there are
//! some, which GNU coreutils' `sha256sum` does not), in this process.
//!
//! `cargo bench -p cairn-core --bench evidence` (`CAIRN_BENCH_EVIDENCE_MB`). Temporary files go
//! to `TMPDIR`. Progress goes to stderr, the figures to stdout.
#![allow(missing_docs, clippy::print_stdout, clippy::print_stderr, clippy::unwrap_used, clippy::expect_used)]

use std::{
    io::Write,
    path::{Path, PathBuf},
    process::Command,
    time::{Duration, Instant},
};

use cairn_core::{
    cases::{NewPerson, NewTestimony, id_to_hex, parse_id},
    evidence::{EvidenceOptions, verify_evidence},
    testing::{TEST_PASSPHRASE, TestTeam},
    unlock_vault,
};

const FILE_MB: usize = 4;
const MB: usize = 1024 * 1024;

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name).ok().and_then(|value| value.parse().ok()).unwrap_or(default)
}

/// This process's peak resident memory so far, in KiB.
fn peak_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmHWM:"))
        .and_then(|value| value.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

/// Attachment `index`: not compressible and not all alike (a cheap generator per file).
fn content(index: usize, len: usize) -> Vec<u8> {
    let mut x = (index as u64 + 1).wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1;
    let mut out = Vec::with_capacity(len);
    while out.len() < len {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        out.extend_from_slice(&x.to_le_bytes());
    }
    out.truncate(len);
    out
}

/// The child: exports the case (`export-dir`, `export-zip`) from `CAIRN_BENCH_VAULT` to
/// `CAIRN_BENCH_OUT`, or verifies `CAIRN_BENCH_OUT` (`verify`) against
/// `CAIRN_BENCH_FINGERPRINT`; prints the seconds it took and its own peak memory.
fn child(role: &str) {
    let out = PathBuf::from(std::env::var("CAIRN_BENCH_OUT").expect("out"));
    let started;
    match role {
        "export" => {
            let vault = PathBuf::from(std::env::var("CAIRN_BENCH_VAULT").expect("vault"));
            let case = parse_id(&std::env::var("CAIRN_BENCH_CASE").expect("case")).expect("case id");
            let mut session = unlock_vault(&vault, &cairn_core::SecretString::from(TEST_PASSPHRASE)).expect("unlock");
            started = Instant::now();
            session.export_evidence(&case, &out, EvidenceOptions::default()).expect("export");
        }
        "verify" => {
            let fingerprint = std::env::var("CAIRN_BENCH_FINGERPRINT").expect("fingerprint");
            started = Instant::now();
            let report = verify_evidence(&out, &fingerprint).expect("verify");
            assert!(report.verified(), "{:?}", report.failures);
            let bytes: u64 = std::env::var("CAIRN_BENCH_BYTES").expect("bytes").parse().expect("a number");
            assert_eq!(report.attachment_bytes, bytes, "every attachment byte read and hashed");
        }
        other => panic!("unknown role {other}"),
    }
    println!("{} {}", started.elapsed().as_secs_f64(), peak_kib());
}

/// Runs `program` under GNU time (when there is one); returns its output, the wall time of the
/// whole run and its peak memory in KiB (0 without GNU time).
fn under_time(
    program: &Path,
    args: &[&std::ffi::OsStr],
    env: &[(&str, &std::ffi::OsStr)],
    scratch: &Path,
) -> (String, Duration, u64) {
    let rss_file = scratch.join("peak.rss");
    let gnu_time = Path::new("/usr/bin/time").exists();
    let mut command = if gnu_time {
        let mut command = Command::new("/usr/bin/time");
        command.arg("-f").arg("%M").arg("-o").arg(&rss_file).arg(program);
        command
    } else {
        Command::new(program)
    };
    command.args(args);
    for (name, value) in env {
        command.env(name, value);
    }
    let started = Instant::now();
    let output = command.output().expect("run");
    let elapsed = started.elapsed();
    eprint!("{}", String::from_utf8_lossy(&output.stderr));
    assert!(output.status.success(), "{} failed", program.display());
    let peak = if gnu_time {
        std::fs::read_to_string(&rss_file).ok().and_then(|text| text.trim().parse().ok()).unwrap_or(0)
    } else {
        0
    };
    (String::from_utf8_lossy(&output.stdout).into_owned(), elapsed, peak)
}

/// One of our runs in a child process: the time of the call (as the child measured it) and the
/// child's peak memory.
fn run_child(role: &str, env: &[(&str, &std::ffi::OsStr)], scratch: &Path) -> (Duration, u64) {
    let exe = std::env::current_exe().expect("exe");
    let mut env = env.to_vec();
    env.push(("CAIRN_BENCH_EVIDENCE_CHILD", role.as_ref()));
    let (stdout, _, peak) = under_time(&exe, &[], &env, scratch);
    let mut fields = stdout.split_whitespace();
    let seconds: f64 = fields.next().and_then(|value| value.parse().ok()).expect("seconds");
    let own_peak: u64 = fields.next().and_then(|value| value.parse().ok()).expect("peak");
    (Duration::from_secs_f64(seconds), if peak > 0 { peak } else { own_peak })
}

fn main() {
    if let Ok(role) = std::env::var("CAIRN_BENCH_EVIDENCE_CHILD") {
        child(&role);
        return;
    }
    let megabytes = env_usize("CAIRN_BENCH_EVIDENCE_MB", 100);
    let scratch = tempfile::tempdir().expect("scratch");
    let all = scratch.path().join("attachments.bin");
    eprintln!("setting up: one case with {megabytes} MB of attachments at HQ");
    let mut team = TestTeam::new(0);
    let hq = &mut team.hq.session;
    let case = hq.create_case("Evidence bench").expect("case");
    let person = hq.add_person(&case, &NewPerson { pseudonym: "EB-1".into(), ..NewPerson::default() }).expect("person");
    let testimony = NewTestimony {
        source_person: id_to_hex(&person),
        language: "ko".into(),
        narrative: "국경을 건넜다.".into(),
        ..NewTestimony::default()
    };
    hq.add_testimony(&case, &testimony).expect("testimony");
    let mut plain = std::io::BufWriter::new(std::fs::File::create(&all).expect("plaintext file"));
    let files = megabytes.div_ceil(FILE_MB).max(1);
    let mut bytes = 0u64;
    for index in 0..files {
        let len = (megabytes * MB - index * FILE_MB * MB).min(FILE_MB * MB);
        let file = content(index, len);
        hq.attach_reader(&case, &format!("recording-{index}.m4a"), &mut file.as_slice(), true).expect("attach");
        plain.write_all(&file).expect("write plaintext");
        bytes += file.len() as u64;
    }
    plain.flush().expect("flush");
    drop(plain);
    let mb = bytes as f64 / MB as f64;
    let vault = team.hq.vault.path().to_path_buf();
    let case_hex = id_to_hex(&case);
    let fingerprint = team.fingerprint.clone();
    let bytes_text = bytes.to_string();

    eprintln!("baseline: sha256sum (best of 3)");
    let sha256sum = Path::new("/usr/bin/sha256sum");
    let mut baseline = (Duration::MAX, 0);
    for _ in 0..3 {
        let (_, time, peak) = under_time(sha256sum, &[all.as_os_str()], &[], scratch.path());
        if time < baseline.0 {
            baseline = (time, peak);
        }
    }

    eprintln!("the same SHA-256 as Cairn's (cairn_crypto::ContentHasher) over the file (best of 3)");
    let mut ours_hash = Duration::MAX;
    for _ in 0..3 {
        use std::io::Read;
        let started = Instant::now();
        let mut file = std::fs::File::open(&all).expect("open");
        let mut hasher = cairn_crypto::ContentHasher::new();
        let mut buffer = vec![0u8; 64 * 1024];
        loop {
            let read = file.read(&mut buffer).expect("read");
            if read == 0 {
                break;
            }
            hasher.update(&buffer[..read]);
        }
        std::hint::black_box(hasher.finish());
        ours_hash = ours_hash.min(started.elapsed());
    }

    let mut rows = Vec::new();
    for (name, out) in [("folder", scratch.path().join("package")), ("zip", scratch.path().join("package.zip"))] {
        eprintln!("our export to a {name} (child process)");
        let env: Vec<(&str, &std::ffi::OsStr)> = vec![
            ("CAIRN_BENCH_VAULT", vault.as_os_str()),
            ("CAIRN_BENCH_CASE", case_hex.as_ref()),
            ("CAIRN_BENCH_OUT", out.as_os_str()),
        ];
        let export = run_child("export", &env, scratch.path());
        eprintln!("our verify of the {name} (child process)");
        let env: Vec<(&str, &std::ffi::OsStr)> = vec![
            ("CAIRN_BENCH_OUT", out.as_os_str()),
            ("CAIRN_BENCH_FINGERPRINT", fingerprint.as_ref()),
            ("CAIRN_BENCH_BYTES", bytes_text.as_ref()),
        ];
        let verify = run_child("verify", &env, scratch.path());
        rows.push((format!("export to a {name}"), export));
        rows.push((format!("verify the {name}"), verify));
    }

    let throughput = |time: Duration| mb / time.as_secs_f64();
    let mib = |kib: u64| kib as f64 / 1024.0;
    println!("Evidence package of one case with {files} attachments ({mb:.0} MB)");
    println!("| | time | throughput | time / `sha256sum` | peak RSS | RSS / `sha256sum`'s | RSS per MB of attachments |");
    println!("|---|---|---|---|---|---|---|");
    println!(
        "| `sha256sum` of the same bytes | {:.2} s | {:.0} MB/s | 1.00 | {:.1} MiB | 1.00 | {:.3} |",
        baseline.0.as_secs_f64(),
        throughput(baseline.0),
        mib(baseline.1),
        mib(baseline.1) / mb
    );
    println!(
        "| SHA-256 as Cairn computes it (`ContentHasher`, in process) | {:.2} s | {:.0} MB/s | {:.2} | | | |",
        ours_hash.as_secs_f64(),
        throughput(ours_hash),
        ours_hash.as_secs_f64() / baseline.0.as_secs_f64()
    );
    for (name, (time, peak)) in rows {
        println!(
            "| Cairn: {name} | {:.2} s | {:.0} MB/s | {:.2} | {:.1} MiB | {:.1} | {:.3} |",
            time.as_secs_f64(),
            throughput(time),
            time.as_secs_f64() / baseline.0.as_secs_f64(),
            mib(peak),
            peak as f64 / baseline.1.max(1) as f64,
            mib(peak) / mb
        );
    }
}
