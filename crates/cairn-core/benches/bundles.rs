//! USB bundles (issue 10): export and import of ~1 GB of attachments spread over cases, in one
//! run, against `cp` of the same plaintext and `age` encrypting (and decrypting) the same data
//! to one recipient.
//!
//! Device A holds `CAIRN_BENCH_BUNDLE_CASES` cases (default 100, each with a person and a short
//! testimony) and `CAIRN_BENCH_BUNDLE_MB` MB of attachments (default 1024, in 4 MB files spread
//! over the cases); device B is empty. Our export (A writes B's bundle into a folder, as onto a
//! stick) and our import (B applies it) each run in a child process, this same binary, under
//! GNU time (`/usr/bin/time -f %M`), so their peak memory is theirs alone; the child times the
//! export or import call itself (the vault is already unlocked).
//!
//! Baselines, on the same disk and the same bytes (one file of M MB, in the page cache like the
//! vault): `cp` to a fresh file, `age -r` (one X25519 recipient) to a fresh file, `age -d` of
//! that back; each followed by `sync`, as our export and import flush to disk. Ratios are of
//! throughput: above 1.00 our side is faster. One more row isolates the bundle format from the
//! vault: the same bytes, from the plaintext file, sealed as 64 KiB items with
//! `cairn_crypto::BundleWriter` into a file (fsync), then read back through both passes.
//!
//! `cargo bench -p cairn-core --bench bundles` (`CAIRN_BENCH_BUNDLE_MB`, e.g. 100 for a quick
//! run; `CAIRN_BENCH_BUNDLE_CASES`). Needs `age` and `age-keygen` (`scripts/setup`). Temporary
//! files go to `TMPDIR`. Progress goes to stderr, the figures to stdout.
#![allow(missing_docs, clippy::print_stdout, clippy::print_stderr, clippy::unwrap_used, clippy::expect_used)]

use std::{
    io::Write,
    path::{Path, PathBuf},
    process::Command,
    time::{Duration, Instant},
};

use cairn_core::{
    Session,
    cases::{NewPerson, NewTestimony, id_to_hex, parse_id},
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

/// The child: unlocks `CAIRN_BENCH_VAULT`, runs the export (to `CAIRN_BENCH_TO`) or the import
/// into or from `CAIRN_BENCH_DIR`, and prints the seconds it took and its own peak memory.
fn child(role: &str) {
    let vault = PathBuf::from(std::env::var("CAIRN_BENCH_VAULT").expect("vault"));
    let dir = PathBuf::from(std::env::var("CAIRN_BENCH_DIR").expect("dir"));
    let mut session = unlock_vault(&vault, &cairn_core::SecretString::from(TEST_PASSPHRASE)).expect("unlock");
    let started = Instant::now();
    match role {
        "export" => {
            let to = parse_id(&std::env::var("CAIRN_BENCH_TO").expect("to")).expect("device id");
            let written = session.export_bundles(&dir, &[to], &mut ()).expect("export");
            assert_eq!(written.len(), 1);
        }
        "import" => {
            let report = session.import_bundles(&dir, &mut ()).expect("import");
            assert_eq!(report.imported, 1);
        }
        other => panic!("unknown role {other}"),
    }
    println!("{} {}", started.elapsed().as_secs_f64(), peak_kib());
}

/// Runs this binary as a child in `role`; returns its own timing, and its peak memory in KiB
/// as GNU time saw it (or as the child read it, without GNU time).
fn run_child(role: &str, vault: &Path, dir: &Path, to: &str, scratch: &Path) -> (Duration, u64) {
    let rss_file = scratch.join(format!("{role}.rss"));
    let gnu_time = Path::new("/usr/bin/time").exists();
    let mut command = if gnu_time {
        let mut command = Command::new("/usr/bin/time");
        command.arg("-f").arg("%M").arg("-o").arg(&rss_file).arg(std::env::current_exe().expect("exe"));
        command
    } else {
        Command::new(std::env::current_exe().expect("exe"))
    };
    let output = command
        .env("CAIRN_BENCH_BUNDLE_CHILD", role)
        .env("CAIRN_BENCH_VAULT", vault)
        .env("CAIRN_BENCH_DIR", dir)
        .env("CAIRN_BENCH_TO", to)
        .output()
        .expect("run the child");
    eprint!("{}", String::from_utf8_lossy(&output.stderr));
    assert!(output.status.success(), "{role} failed");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let mut fields = stdout.split_whitespace();
    let seconds: f64 = fields.next().and_then(|value| value.parse().ok()).expect("seconds");
    let own_peak: u64 = fields.next().and_then(|value| value.parse().ok()).expect("peak");
    let peak = if gnu_time {
        std::fs::read_to_string(&rss_file).ok().and_then(|text| text.trim().parse().ok()).unwrap_or(own_peak)
    } else {
        own_peak
    };
    (Duration::from_secs_f64(seconds), peak)
}

/// Runs a baseline command followed by `sync`, and returns the time both took.
fn timed(program: &str, args: &[&std::ffi::OsStr]) -> Duration {
    let started = Instant::now();
    let status = Command::new(program).args(args).status().unwrap_or_else(|_| panic!("run {program}"));
    assert!(status.success(), "{program} failed");
    let status = Command::new("sync").status().expect("sync");
    assert!(status.success());
    started.elapsed()
}

fn fill(session: &mut Session, cases: usize, megabytes: usize, all: &Path) -> u64 {
    let mut case_ids = Vec::with_capacity(cases);
    for n in 0..cases {
        let case = session.create_case(&format!("Case {n}")).expect("case");
        let person =
            session.add_person(&case, &NewPerson { pseudonym: format!("P-{n}"), ..NewPerson::default() }).expect("p");
        let testimony = NewTestimony {
            source_person: id_to_hex(&person),
            language: "ko".into(),
            narrative: format!("{n}번째 증언: 국경을 건넜다."),
            ..NewTestimony::default()
        };
        session.add_testimony(&case, &testimony).expect("testimony");
        case_ids.push(case);
    }
    let mut plain = std::io::BufWriter::new(std::fs::File::create(all).expect("plaintext file"));
    let files = megabytes.div_ceil(FILE_MB).max(1);
    let mut bytes = 0;
    for index in 0..files {
        let len = (megabytes * MB - index * FILE_MB * MB).min(FILE_MB * MB);
        let file = content(index, len);
        let case = &case_ids[index * case_ids.len() / files];
        session.attach_reader(case, &format!("recording-{index}.m4a"), &mut file.as_slice(), true).expect("attach");
        plain.write_all(&file).expect("write plaintext");
        bytes += file.len() as u64;
        if (index + 1) % 32 == 0 {
            eprintln!("  {} MB attached", bytes / MB as u64);
        }
    }
    plain.flush().expect("flush");
    bytes
}

/// Bundle parts written as plain files in a folder, each flushed to disk when complete.
struct PlainParts(PathBuf);

impl cairn_crypto::BundlePartSink for PlainParts {
    type Part = std::io::BufWriter<std::fs::File>;

    fn start_part(&mut self, index: u32) -> std::io::Result<Self::Part> {
        Ok(std::io::BufWriter::with_capacity(256 * 1024, std::fs::File::create(self.0.join(index.to_string()))?))
    }

    fn end_part(&mut self, _index: u32, part: Self::Part) -> std::io::Result<()> {
        part.into_inner().map_err(|error| error.into_error())?.sync_all()
    }
}

/// The bundle format alone: `all` sealed as 64 KiB items into `dir`, then read back (pass 1,
/// signature, pass 2). Returns the two times.
fn format_alone(all: &Path, dir: &Path) -> (Duration, Duration) {
    use std::io::Read;
    let recipient = cairn_crypto::AgreementSecretKey::generate();
    let signing = cairn_crypto::SigningSecretKey::generate();
    let sender = cairn_crypto::BundleSender { device_id: [1; 16], signing: &signing, counter: 1 };
    let len = std::fs::metadata(all).expect("plaintext").len() as usize;
    let piece = 64 * 1024;
    let started = Instant::now();
    let mut source = std::fs::File::open(all).expect("open");
    let mut writer = cairn_crypto::BundleWriter::new(
        PlainParts(dir.to_path_buf()),
        &[recipient.public_key()],
        &sender,
        len.div_ceil(piece),
        cairn_crypto::MAX_BUNDLE_PART_LEN,
    )
    .expect("writer");
    let mut buffer = vec![0; piece];
    let mut left = len;
    while left > 0 {
        let take = left.min(piece);
        source.read_exact(&mut buffer[..take]).expect("read");
        writer.write_item(7, &buffer[..take]).expect("item");
        left -= take;
    }
    writer.finish().expect("finish");
    let sealed = started.elapsed();
    let started = Instant::now();
    let mut names: Vec<PathBuf> = std::fs::read_dir(dir).expect("list").map(|entry| entry.expect("entry").path()).collect();
    names.sort();
    let files = DiskFiles(names);
    let bundle = cairn_crypto::open_bundle_stream(&recipient, &files, 0).expect("pass 1").expect("addressed");
    let bundle = bundle.verify(&signing.public_key()).expect("verify");
    let mut read = 0;
    for item in bundle.items(&files) {
        read += item.expect("item").bytes.len();
    }
    assert_eq!(read, len);
    (sealed, started.elapsed())
}

struct DiskFiles(Vec<PathBuf>);

impl cairn_crypto::BundleFiles for DiskFiles {
    type File<'a> = std::fs::File;

    fn count(&self) -> usize {
        self.0.len()
    }

    fn open(&self, index: usize) -> std::io::Result<std::fs::File> {
        std::fs::File::open(&self.0[index])
    }
}

fn folder_len(dir: &Path) -> u64 {
    std::fs::read_dir(dir).expect("list").map(|entry| entry.expect("entry").metadata().expect("meta").len()).sum()
}

fn main() {
    if let Ok(role) = std::env::var("CAIRN_BENCH_BUNDLE_CHILD") {
        child(&role);
        return;
    }
    let megabytes = env_usize("CAIRN_BENCH_BUNDLE_MB", 1024);
    let cases = env_usize("CAIRN_BENCH_BUNDLE_CASES", 100);
    let scratch = tempfile::tempdir().expect("scratch");
    let all = scratch.path().join("attachments.bin");
    eprintln!("setting up: {cases} cases, {megabytes} MB of attachments on A");
    let mut team = TestTeam::new(2);
    let bytes = fill(team.device(0), cases, megabytes, &all);
    let b_id = team.device(1).device_identity().expect("identity").device_id;
    let mb = bytes as f64 / MB as f64;

    eprintln!("baselines: cp, age -r, age -d");
    let copy = scratch.path().join("copy.bin");
    let cp = timed("cp", &[all.as_os_str(), copy.as_os_str()]);
    std::fs::remove_file(&copy).expect("remove copy");
    let key = scratch.path().join("age.key");
    let status = Command::new("age-keygen").arg("-o").arg(&key).stderr(std::process::Stdio::null()).status();
    assert!(status.is_ok_and(|status| status.success()), "age-keygen (install age: scripts/setup)");
    let recipient = Command::new("age-keygen").arg("-y").arg(&key).output().expect("age-keygen -y");
    let recipient = String::from_utf8(recipient.stdout).expect("recipient").trim().to_owned();
    let sealed = scratch.path().join("attachments.age");
    let age_encrypt = timed("age", &["-r".as_ref(), recipient.as_ref(), "-o".as_ref(), sealed.as_os_str(), all.as_os_str()]);
    let opened = scratch.path().join("opened.bin");
    let age_decrypt = timed(
        "age",
        &["-d".as_ref(), "-i".as_ref(), key.as_os_str(), "-o".as_ref(), opened.as_os_str(), sealed.as_os_str()],
    );
    let age_len = std::fs::metadata(&sealed).expect("age output").len();
    for file in [&sealed, &opened] {
        std::fs::remove_file(file).expect("remove");
    }

    eprintln!("the bundle format alone");
    let format_dir = scratch.path().join("format");
    std::fs::create_dir(&format_dir).expect("format folder");
    let (format_seal, format_open) = format_alone(&all, &format_dir);
    std::fs::remove_dir_all(&format_dir).expect("remove");

    eprintln!("our export (child process)");
    let stick = scratch.path().join("stick");
    std::fs::create_dir(&stick).expect("stick");
    let a_vault = team.devices[0].vault.path().to_path_buf();
    let b_vault = team.devices[1].vault.path().to_path_buf();
    let (export, export_peak) = run_child("export", &a_vault, &stick, &b_id, scratch.path());
    let bundle_len = folder_len(&stick);
    let parts = std::fs::read_dir(&stick).expect("list").count();
    eprintln!("our import (child process)");
    let (import, import_peak) = run_child("import", &b_vault, &stick, &b_id, scratch.path());
    let b = team.device(1);
    assert!(b.attachments_arriving().expect("arriving").is_empty(), "every attachment arrived");
    assert_eq!(b.list_cases().expect("list").len(), cases);

    let throughput = |time: Duration| mb / time.as_secs_f64();
    println!(
        "USB bundle of {cases} cases and {} attachments ({mb:.0} MB): {bundle_len} bytes in {parts} file(s) (age: {age_len})",
        megabytes.div_ceil(FILE_MB).max(1)
    );
    println!("| | time | throughput | ours / cp | ours / age | peak RSS |");
    println!("|---|---|---|---|---|---|");
    println!("| `cp` (+ `sync`) | {:.2} s | {:.0} MB/s | | | |", cp.as_secs_f64(), throughput(cp));
    println!("| `age -r` (+ `sync`) | {:.2} s | {:.0} MB/s | | | |", age_encrypt.as_secs_f64(), throughput(age_encrypt));
    println!("| `age -d` (+ `sync`) | {:.2} s | {:.0} MB/s | | | |", age_decrypt.as_secs_f64(), throughput(age_decrypt));
    println!(
        "| bundle format alone: seal 64 KiB items from the file (+ fsync) | {:.2} s | {:.0} MB/s | {:.2} | {:.2} (vs `age -r`) | |",
        format_seal.as_secs_f64(),
        throughput(format_seal),
        cp.as_secs_f64() / format_seal.as_secs_f64(),
        age_encrypt.as_secs_f64() / format_seal.as_secs_f64()
    );
    println!(
        "| bundle format alone: open (both passes) | {:.2} s | {:.0} MB/s | {:.2} | {:.2} (vs `age -d`) | |",
        format_open.as_secs_f64(),
        throughput(format_open),
        cp.as_secs_f64() / format_open.as_secs_f64(),
        age_decrypt.as_secs_f64() / format_open.as_secs_f64()
    );
    println!(
        "| Cairn export (vault → bundle) | {:.2} s | {:.0} MB/s | {:.2} | {:.2} (vs `age -r`) | {:.1} MiB |",
        export.as_secs_f64(),
        throughput(export),
        cp.as_secs_f64() / export.as_secs_f64(),
        age_encrypt.as_secs_f64() / export.as_secs_f64(),
        export_peak as f64 / 1024.0
    );
    println!(
        "| Cairn import (bundle → vault) | {:.2} s | {:.0} MB/s | {:.2} | {:.2} (vs `age -d`) | {:.1} MiB |",
        import.as_secs_f64(),
        throughput(import),
        cp.as_secs_f64() / import.as_secs_f64(),
        age_decrypt.as_secs_f64() / import.as_secs_f64(),
        import_peak as f64 / 1024.0
    );
}
