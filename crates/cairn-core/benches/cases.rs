//! Cases at scale: N generated cases (a few persons, one testimony of 2–20 KB, notes), then
//! the time to list, to open one case, to save one edit (fsync included), to search, and the
//! peak memory; one edit's save is compared, in the same run, with writing the same bytes
//! (a sealed chunk of that size) through plain SQLite and through SQLCipher alone.
//!
//! `cargo bench -p cairn-core --bench cases` (N = 10,000; `CAIRN_BENCH_CASES=500` for a
//! quick run). All databases use WAL and synchronous=FULL on the same disk.
#![allow(missing_docs, clippy::print_stdout, clippy::print_stderr, clippy::unwrap_used, clippy::expect_used)]

use std::{
    path::Path,
    time::{Duration, Instant},
};

use cairn_core::{
    KdfChoice, SecretString,
    cases::{CaseField, NewPerson, NewTestimony, ObjectId, id_to_hex},
    create_vault,
};
use rusqlite::{Connection, params};

mod support;
use support::Rng;

const EDIT_SAMPLES: usize = 300;
const OPEN_SAMPLES: usize = 200;
const SEARCH_RUNS: usize = 5;

const WORDS: &[&str] = &[
    "그는",
    "보위부에서",
    "조사를",
    "받았다",
    "국경을",
    "건넜다",
    "공안에",
    "체포되어",
    "강제송환",
    "되었다",
    "구류장에서",
    "고문을",
    "당했다고",
    "증언했다",
    "가족과",
    "헤어졌다",
    "브로커가",
    "마을에",
    "팔아넘겼다",
    "벌목장",
    "강제노동",
    "the",
    "border",
    "was",
    "crossed",
    "at",
    "night",
    "in",
    "winter",
    "police",
    "detained",
    "her",
    "for",
    "three",
    "months",
    "interrogation",
    "camp",
];

fn text(rng: &mut Rng, bytes: usize) -> String {
    let mut out = String::with_capacity(bytes + 16);
    while out.len() < bytes {
        out.push_str(WORDS[rng.below(WORDS.len())]);
        out.push(if rng.below(12) == 0 { '\n' } else { ' ' });
    }
    out
}

fn percentile(samples: &mut [Duration], p: f64) -> Duration {
    samples.sort();
    let index = ((samples.len() as f64 - 1.0) * p).round() as usize;
    samples[index]
}

fn ms(duration: Duration) -> String {
    format!("{:.3} ms", duration.as_secs_f64() * 1000.0)
}

fn peak_rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            status
                .lines()
                .find(|line| line.starts_with("VmHWM:"))
                .and_then(|line| line.split_whitespace().nth(1)?.parse().ok())
        })
        .unwrap_or(0)
}

/// Inserts `samples` envelopes of `len` bytes, one transaction each, into a fresh database
/// (plain SQLite, or SQLCipher with a raw key), and returns the per-commit times.
fn baseline(dir: &Path, name: &str, key: Option<&str>, len: usize, samples: usize) -> Vec<Duration> {
    let connection = Connection::open(dir.join(name)).unwrap();
    if let Some(key) = key {
        connection.pragma_update(None, "key", key).unwrap();
        connection.execute_batch("PRAGMA cipher_memory_security = ON;").unwrap();
    }
    connection
        .execute_batch(
            "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA temp_store = MEMORY;
             CREATE TABLE records (case_id BLOB, doc_id BLOB, chunk_id INTEGER, envelope BLOB,
                                   PRIMARY KEY (case_id, doc_id, chunk_id)) WITHOUT ROWID;",
        )
        .unwrap();
    let mut rng = Rng(7);
    let mut times = Vec::with_capacity(samples);
    for i in 0..samples {
        let envelope: Vec<u8> = (0..len).map(|_| rng.next() as u8).collect();
        let case: [u8; 16] = [(i % 251) as u8; 16];
        let started = Instant::now();
        let tx = connection.unchecked_transaction().unwrap();
        tx.execute("INSERT INTO records VALUES (?1, ?1, ?2, ?3)", params![case.as_slice(), i as i64, envelope]).unwrap();
        tx.commit().unwrap();
        times.push(started.elapsed());
    }
    times
}

fn main() {
    let n: usize = std::env::var("CAIRN_BENCH_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(10_000);
    let dir = tempfile::tempdir().unwrap();
    let (mut session, _) =
        create_vault(&dir.path().join("vault"), &SecretString::from("bench passphrase long"), KdfChoice::InsecureTestOnly)
            .unwrap();
    let mut rng = Rng(0x1234_5678_9abc_def1);
    let mut ids: Vec<ObjectId> = Vec::with_capacity(n);
    let mut testimony_bytes = 0usize;
    let started = Instant::now();
    for i in 0..n {
        let case = session.create_case(&format!("사건 {i}: {}", text(&mut rng, 30).replace('\n', " "))).unwrap();
        let mut first_person = None;
        for p in 0..3 {
            let person = NewPerson { pseudonym: format!("P-{i}-{p}"), roles: vec!["victim".into()], ..NewPerson::default() };
            let id = session.add_person(&case, &person).unwrap();
            first_person.get_or_insert(id);
        }
        let size = 2_048 + rng.below(18 * 1024);
        let narrative = text(&mut rng, size);
        testimony_bytes += narrative.len();
        let testimony = NewTestimony {
            source_person: id_to_hex(&first_person.unwrap()),
            language: "ko".into(),
            narrative,
            ..NewTestimony::default()
        };
        session.add_testimony(&case, &testimony).unwrap();
        for _ in 0..2 {
            session.add_note(&case, &text(&mut rng, 200), None).unwrap();
        }
        ids.push(case);
        if (i + 1) % 1000 == 0 {
            eprintln!("generated {} cases in {:.0} s", i + 1, started.elapsed().as_secs_f64());
        }
    }
    let generation = started.elapsed();
    let rss_after_generation = peak_rss_kib();

    // List.
    let mut list_times = Vec::new();
    for _ in 0..5 {
        let started = Instant::now();
        let cases = session.list_cases().unwrap();
        list_times.push(started.elapsed());
        assert_eq!(cases.len(), n);
    }
    // Open one case (its document and testimony).
    let mut open_times = Vec::new();
    for _ in 0..OPEN_SAMPLES {
        let id = ids[rng.below(n)];
        let started = Instant::now();
        let view = session.open_case(&id).unwrap();
        open_times.push(started.elapsed());
        assert_eq!(view.testimonies.len(), 1);
    }
    // Save one edit (a title change: load, change, seal, append, digest, summary, index, fsync).
    let mut edit_times = Vec::new();
    for i in 0..EDIT_SAMPLES {
        let id = ids[rng.below(n)];
        let started = Instant::now();
        session.set_case_field(&id, CaseField::Title, &format!("사건 제목 수정 {i}")).unwrap();
        edit_times.push(started.elapsed());
    }
    // Search: a 3+ character Korean term (trigram index), a 2-character Korean term
    // (substring scan), an English word, and two terms.
    let mut search_rows = Vec::new();
    for query in ["보위부에서", "고문", "interrogation", "강제송환 winter", "평양"] {
        let mut times = Vec::new();
        let mut hits = 0;
        for _ in 0..SEARCH_RUNS {
            let started = Instant::now();
            hits = session.search(query, 50).unwrap().len();
            times.push(started.elapsed());
        }
        search_rows.push((query, percentile(&mut times, 0.5), hits));
    }
    // The bytes of one edit: a title change's Automerge chunk, sealed.
    let envelope_len = title_edit_envelope_len();
    let plain = baseline(dir.path(), "plain.db", None, envelope_len, EDIT_SAMPLES);
    let cipher = baseline(
        dir.path(),
        "sqlcipher.db",
        Some("x'2DD29CA851E7B56E4697B0E1F08507293D761A05CE4D1B628663F411A8086D99'"),
        envelope_len,
        EDIT_SAMPLES,
    );

    let (mut edits, mut plain, mut cipher) = (edit_times, plain, cipher);
    let (e50, e99) = (percentile(&mut edits, 0.5), percentile(&mut edits, 0.99));
    let (p50, p99) = (percentile(&mut plain, 0.5), percentile(&mut plain, 0.99));
    let (c50, c99) = (percentile(&mut cipher, 0.5), percentile(&mut cipher, 0.99));
    let vault_size: u64 =
        std::fs::read_dir(dir.path().join("vault")).unwrap().map(|e| e.unwrap().metadata().unwrap().len()).sum();

    println!(
        "cases benchmark: N = {n} cases (3 persons, 1 testimony of 2–20 KB, 2 notes each; {:.1} MB of narrative)",
        testimony_bytes as f64 / 1e6
    );
    println!("generation: {:.1} s ({} transactions, each fsynced)", generation.as_secs_f64(), n * 7);
    println!("vault folder after generation: {:.1} MB", vault_size as f64 / 1e6);
    println!("list all cases:        p50 {}", ms(percentile(&mut list_times, 0.5)));
    println!(
        "open one case:         p50 {}  p99 {}",
        ms(percentile(&mut open_times.clone(), 0.5)),
        ms(percentile(&mut open_times, 0.99))
    );
    println!("save one edit:         p50 {}  p99 {}", ms(e50), ms(e99));
    println!("  same bytes ({envelope_len} B) plain SQLite:  p50 {}  p99 {}", ms(p50), ms(p99));
    println!("  same bytes SQLCipher alone:        p50 {}  p99 {}", ms(c50), ms(c99));
    println!(
        "  ratio vault/plain SQLite: p50 {:.2}x  p99 {:.2}x;  vault/SQLCipher: p50 {:.2}x  p99 {:.2}x",
        e50.as_secs_f64() / p50.as_secs_f64(),
        e99.as_secs_f64() / p99.as_secs_f64(),
        e50.as_secs_f64() / c50.as_secs_f64(),
        e99.as_secs_f64() / c99.as_secs_f64()
    );
    for (query, time, hits) in search_rows {
        println!("search {query:<18} p50 {}  ({hits} hits shown, limit 50)", ms(time));
    }
    println!("peak RSS: {} KiB after generation, {} KiB at the end", rss_after_generation, peak_rss_kib());
    session.lock();
}

/// The size of one title edit's sealed chunk, computed with the same model and envelope code.
fn title_edit_envelope_len() -> usize {
    let mut doc = cairn_model::CaseDoc::new_case("사건", "bench", 1).unwrap();
    doc.take_changes();
    doc.set_field(CaseField::Title, "사건 제목 수정 1", 2).unwrap();
    let chunk = doc.take_changes().unwrap();
    let context = cairn_crypto::RecordContext { case_id: [1; 16], doc_id: [1; 16], chunk_id: 1, key_version: 1 };
    cairn_crypto::seal_record(&cairn_crypto::CaseKey::generate(), &context, &chunk).unwrap().len()
}
