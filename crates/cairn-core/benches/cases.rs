//! Cases at scale: the vault grows to 200, 2,000 and 10,000 generated cases (a few persons,
//! one testimony of 2–20 KB, notes), and at each size the bench measures listing, opening one
//! case, saving one edit (fsync included), searching, unlocking to the first screen and peak
//! memory. One edit's save is compared, in the same run, with writing the same bytes (a sealed
//! chunk of that size) through plain SQLite and through SQLCipher alone; growth is each
//! measure at the largest size over the smallest.
//!
//! The app's own flow is measured too: a case opened, then its first edit saved, then opened
//! again (the app shows what was stored after every save).
//!
//! `cargo bench -p cairn-core --bench cases` (`CAIRN_BENCH_SIZES=200,500` for a quick run;
//! `CAIRN_BENCH_PROFILE_EDITS=SECONDS` to only save edits at the last size, for a profiler, of
//! random cases or, with `CAIRN_BENCH_PROFILE_TYPING=1`, of one case again and again, or with
//! `CAIRN_BENCH_PROFILE_OPENED=1`, of random cases each opened first).
//! All databases use WAL and synchronous=FULL on the same disk.
#![allow(missing_docs, clippy::print_stdout, clippy::print_stderr, clippy::unwrap_used, clippy::expect_used)]

use std::{
    path::Path,
    time::{Duration, Instant},
};

use cairn_core::{
    KdfChoice, SecretString, Session,
    cases::{CaseField, NewPerson, NewTestimony, ObjectId, id_to_hex},
    create_vault, unlock_vault,
};
use rusqlite::{Connection, params};

mod support;
use support::Rng;

const EDIT_SAMPLES: usize = 300;
const OPEN_SAMPLES: usize = 200;
const SEARCH_RUNS: usize = 20;

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

/// A baseline database (plain SQLite, or SQLCipher with a raw key) that takes one envelope of
/// `len` bytes per transaction, the way the vault's records table does.
struct Baseline {
    connection: Connection,
    rng: Rng,
    len: usize,
    written: i64,
}

impl Baseline {
    fn new(path: &Path, key: Option<&str>, len: usize) -> Baseline {
        let connection = support::baseline_db(
            path,
            key,
            "CREATE TABLE records (case_id BLOB, doc_id BLOB, chunk_id INTEGER, envelope BLOB,
                                   PRIMARY KEY (case_id, doc_id, chunk_id)) WITHOUT ROWID;",
        );
        Baseline { connection, rng: Rng(7), len, written: 0 }
    }

    /// Inserts one envelope in its own transaction; the commit's time.
    fn write_one(&mut self) -> Duration {
        let envelope: Vec<u8> = (0..self.len).map(|_| self.rng.next() as u8).collect();
        let case: [u8; 16] = [(self.written % 251) as u8; 16];
        let started = Instant::now();
        let tx = self.connection.unchecked_transaction().unwrap();
        tx.execute("INSERT INTO records VALUES (?1, ?1, ?2, ?3)", params![case.as_slice(), self.written, envelope]).unwrap();
        tx.commit().unwrap();
        self.written += 1;
        started.elapsed()
    }
}

/// Search queries: a long Korean word (trigram index), a two-syllable Korean word (pair index),
/// an English word in nearly every case, two terms, a two-syllable word no case holds, a
/// pseudonym prefix in about 1 % of the cases (`P-77-…`, `P-770-…`, `P-7700-…`) and a title
/// phrase in about 11 % (`사건 1…`), so that rare and middling terms are measured too.
const QUERIES: &[&str] = &["보위부에서", "고문", "interrogation", "강제송환 winter", "평양", "P-77", "\"사건 1\""];

/// One size's figures.
struct Stage {
    cases: usize,
    generation: Duration,
    vault_mb: f64,
    list: (Duration, Duration),
    open: (Duration, Duration),
    edit: (Duration, Duration),
    plain: (Duration, Duration),
    cipher: (Duration, Duration),
    opened_edit: (Duration, Duration),
    reopen: (Duration, Duration),
    opened_cipher: (Duration, Duration),
    typing: (Duration, Duration),
    typing_plain: (Duration, Duration),
    typing_cipher: (Duration, Duration),
    search: Vec<(Duration, Duration, usize)>,
    unlock: (Duration, Duration),
    rss_kib: u64,
}

fn p50_p99(mut samples: Vec<Duration>) -> (Duration, Duration) {
    (percentile(&mut samples, 0.5), percentile(&mut samples, 0.99))
}

/// Adds cases until the vault holds `target`.
fn generate(session: &mut Session, rng: &mut Rng, ids: &mut Vec<ObjectId>, target: usize) {
    let started = Instant::now();
    while ids.len() < target {
        let i = ids.len();
        let case = session.create_case(&format!("사건 {i}: {}", text(rng, 30).replace('\n', " "))).unwrap();
        let mut first_person = None;
        for p in 0..3 {
            let person = NewPerson { pseudonym: format!("P-{i}-{p}"), roles: vec!["victim".into()], ..NewPerson::default() };
            let id = session.add_person(&case, &person).unwrap();
            first_person.get_or_insert(id);
        }
        let size = 2_048 + rng.below(18 * 1024);
        let testimony = NewTestimony {
            source_person: id_to_hex(&first_person.unwrap()),
            language: "ko".into(),
            narrative: text(rng, size),
            ..NewTestimony::default()
        };
        session.add_testimony(&case, &testimony).unwrap();
        for _ in 0..2 {
            session.add_note(&case, &text(rng, 200), None).unwrap();
        }
        ids.push(case);
        if ids.len().is_multiple_of(1000) {
            eprintln!("generated {} cases ({:.0} s for this size)", ids.len(), started.elapsed().as_secs_f64());
        }
    }
}

fn measure(
    vault_dir: &Path,
    scratch: &Path,
    session: &mut Session,
    rng: &mut Rng,
    ids: &[ObjectId],
    generation: Duration,
) -> Stage {
    let n = ids.len();
    let mut list = Vec::new();
    for _ in 0..LIST_RUNS {
        let started = Instant::now();
        let cases = session.list_cases().unwrap();
        list.push(started.elapsed());
        assert_eq!(cases.len(), n);
    }
    let mut open = Vec::new();
    for _ in 0..OPEN_SAMPLES {
        let id = ids[rng.below(n)];
        let started = Instant::now();
        let view = session.open_case(&id).unwrap();
        open.push(started.elapsed());
        assert_eq!(view.testimonies.len(), 1);
    }
    // Save one edit: a title change (load, change, sign, seal, append, digest, summary, index,
    // commit with fsync), each followed by the same bytes written through plain SQLite and
    // through SQLCipher alone, so that all three see the disk in the same state.
    let envelope_len = title_edit_envelope_len();
    let mut plain_db = Baseline::new(&scratch.join(format!("plain-{n}.db")), None, envelope_len);
    let mut cipher_db = Baseline::new(
        &scratch.join(format!("sqlcipher-{n}.db")),
        Some("x'2DD29CA851E7B56E4697B0E1F08507293D761A05CE4D1B628663F411A8086D99'"),
        envelope_len,
    );
    let (mut edit, mut plain, mut cipher) = (Vec::new(), Vec::new(), Vec::new());
    for i in 0..EDIT_SAMPLES {
        let id = ids[rng.below(n)];
        let started = Instant::now();
        session.set_case_field(&id, CaseField::Title, &format!("사건 제목 수정 {n} {i}")).unwrap();
        edit.push(started.elapsed());
        plain.push(plain_db.write_one());
        cipher.push(cipher_db.write_one());
    }
    // The app's flow: a worker opens a case, then edits it; the app opens it again after each
    // save to show what was stored. The first save after the open and that reopening are timed.
    let (mut opened_edit, mut reopen, mut opened_cipher) = (Vec::new(), Vec::new(), Vec::new());
    for i in 0..EDIT_SAMPLES {
        let id = ids[rng.below(n)];
        session.open_case(&id).unwrap();
        let started = Instant::now();
        session.set_case_field(&id, CaseField::Title, &format!("사건 제목 열고 수정 {n} {i}")).unwrap();
        opened_edit.push(started.elapsed());
        let started = Instant::now();
        let view = session.open_case(&id).unwrap();
        reopen.push(started.elapsed());
        assert_eq!(view.record.title, format!("사건 제목 열고 수정 {n} {i}"));
        opened_cipher.push(cipher_db.write_one());
    }
    // The same, editing one case again and again, as the app's autosave does while a worker
    // types into one of its fields (the session keeps that document loaded between saves).
    let typed_case = ids[rng.below(n)];
    session.set_case_field(&typed_case, CaseField::Title, "사건 제목").unwrap();
    let (mut typing, mut typing_plain, mut typing_cipher) = (Vec::new(), Vec::new(), Vec::new());
    for i in 0..EDIT_SAMPLES {
        let started = Instant::now();
        session.set_case_field(&typed_case, CaseField::Title, &format!("사건 제목 {i}")).unwrap();
        typing.push(started.elapsed());
        typing_plain.push(plain_db.write_one());
        typing_cipher.push(cipher_db.write_one());
    }
    let mut search = Vec::new();
    for query in QUERIES {
        let mut times = Vec::new();
        let mut hits = 0;
        for _ in 0..SEARCH_RUNS {
            let started = Instant::now();
            hits = session.search(query, 50).unwrap().len();
            times.push(started.elapsed());
        }
        let (p50, p99) = p50_p99(times);
        search.push((p50, p99, hits));
    }
    // Unlock to the first screen (the case list), after the key derivation: the vault uses
    // the test-only KDF, so what is timed is everything else.
    let vault_mb =
        std::fs::read_dir(vault_dir).unwrap().map(|e| e.unwrap().metadata().unwrap().len()).sum::<u64>() as f64 / 1e6;
    let passphrase = SecretString::from(PASSPHRASE);
    let mut unlock = Vec::new();
    let placeholder =
        create_vault(&scratch.join(format!("placeholder-{n}")), &passphrase, KdfChoice::InsecureTestOnly).unwrap().0;
    let mut current = std::mem::replace(session, placeholder);
    for _ in 0..UNLOCK_RUNS {
        current.lock();
        let started = Instant::now();
        current = unlock_vault(vault_dir, &passphrase).unwrap();
        let cases = current.list_cases().unwrap();
        unlock.push(started.elapsed());
        assert_eq!(cases.len(), n);
    }
    std::mem::replace(session, current).lock();
    Stage {
        cases: n,
        generation,
        vault_mb,
        list: p50_p99(list),
        open: p50_p99(open),
        edit: p50_p99(edit),
        plain: p50_p99(plain),
        cipher: p50_p99(cipher),
        opened_edit: p50_p99(opened_edit),
        reopen: p50_p99(reopen),
        opened_cipher: p50_p99(opened_cipher),
        typing: p50_p99(typing),
        typing_plain: p50_p99(typing_plain),
        typing_cipher: p50_p99(typing_cipher),
        search,
        unlock: p50_p99(unlock),
        rss_kib: peak_rss_kib(),
    }
}

const PASSPHRASE: &str = "bench passphrase long";
const LIST_RUNS: usize = 20;
const UNLOCK_RUNS: usize = 10;

fn main() {
    let sizes: Vec<usize> = std::env::var("CAIRN_BENCH_SIZES")
        .ok()
        .map(|sizes| sizes.split(',').map(|size| size.trim().parse().expect("CAIRN_BENCH_SIZES: numbers")).collect())
        .unwrap_or_else(|| vec![200, 2_000, 10_000]);
    // `CAIRN_BENCH_PROFILE_EDITS=30`: after generating the last size, only save edits for
    // that many seconds, for a profiler.
    let profile_seconds: Option<u64> = std::env::var("CAIRN_BENCH_PROFILE_EDITS").ok().and_then(|v| v.parse().ok());
    let dir = tempfile::tempdir().unwrap();
    let vault_dir = dir.path().join("vault");
    let (mut session, _) = create_vault(&vault_dir, &SecretString::from(PASSPHRASE), KdfChoice::InsecureTestOnly).unwrap();
    let mut rng = Rng(0x1234_5678_9abc_def1);
    let mut ids: Vec<ObjectId> = Vec::new();
    let mut stages = Vec::new();
    for (index, &size) in sizes.iter().enumerate() {
        let profile_seconds = profile_seconds.filter(|_| index + 1 == sizes.len());
        let started = Instant::now();
        generate(&mut session, &mut rng, &mut ids, size);
        let generation = started.elapsed();
        if std::env::var_os("CAIRN_BENCH_COMPACT").is_some() {
            let started = Instant::now();
            let compacted = session.compact_cases().unwrap();
            eprintln!(
                "compacted {compacted} documents and merged the search index in {:.1} s",
                started.elapsed().as_secs_f64()
            );
        }
        if let Some(seconds) = profile_seconds {
            // For a profiler attached now (`perf record -p PID`): edits only, then stop.
            eprintln!("profiling: saving edits for {seconds} s at {size} cases, pid {}", std::process::id());
            let started = Instant::now();
            let mut edits = 0;
            // `CAIRN_BENCH_PROFILE_TYPING=1`: the same case every time, as typing saves it.
            let typing = std::env::var_os("CAIRN_BENCH_PROFILE_TYPING").is_some();
            // `CAIRN_BENCH_PROFILE_OPENED=1`: each case opened before its edit, as the app does.
            let opened = std::env::var_os("CAIRN_BENCH_PROFILE_OPENED").is_some();
            while started.elapsed().as_secs() < seconds {
                let id = if typing { ids[0] } else { ids[rng.below(ids.len())] };
                if opened {
                    session.open_case(&id).unwrap();
                }
                session.set_case_field(&id, CaseField::Title, &format!("사건 제목 수정 {edits}")).unwrap();
                edits += 1;
            }
            eprintln!("profiling: {edits} edits, {:.2} ms each", started.elapsed().as_secs_f64() * 1000.0 / edits as f64);
            return;
        }
        stages.push(measure(&vault_dir, dir.path(), &mut session, &mut rng, &ids, generation));
    }
    report(&stages);
    session.lock();
}

fn ratio(a: Duration, b: Duration) -> String {
    format!("{:.2}×", a.as_secs_f64() / b.as_secs_f64())
}

/// `a / b` at p50 and at p99.
fn ratios(a: (Duration, Duration), b: (Duration, Duration)) -> String {
    format!("{} / {}", ratio(a.0, b.0), ratio(a.1, b.1))
}

fn report(stages: &[Stage]) {
    let (first, last) = (&stages[0], &stages[stages.len() - 1]);
    let header: Vec<String> = stages.iter().map(|stage| format!("{} cases", stage.cases)).collect();
    println!("cases benchmark: 3 persons, 1 testimony of 2–20 KB and 2 notes a case; sizes {}", header.join(", "));
    println!();
    println!("| measure | {} | growth {} → {} |", header.join(" | "), first.cases, last.cases);
    println!("|---|{}---|", "---|".repeat(stages.len()));
    let row = |name: &str, cell: &dyn Fn(&Stage) -> String, growth: String| {
        let cells: Vec<String> = stages.iter().map(cell).collect();
        println!("| {name} | {} | {growth} |", cells.join(" | "));
    };
    let pair = |value: (Duration, Duration)| format!("{} / {}", ms(value.0), ms(value.1));
    row("generation (each write fsynced)", &|s| format!("{:.1} s", s.generation.as_secs_f64()), String::new());
    row("vault folder", &|s| format!("{:.1} MB", s.vault_mb), String::new());
    row("list every case, p50 / p99", &|s| pair(s.list), ratio(last.list.0, first.list.0));
    row("open one case, p50 / p99", &|s| pair(s.open), ratio(last.open.0, first.open.0));
    row("save one edit (fsync), p50 / p99", &|s| pair(s.edit), ratios(last.edit, first.edit));
    row("same bytes, plain SQLite, p50 / p99", &|s| pair(s.plain), String::new());
    row("same bytes, SQLCipher alone, p50 / p99", &|s| pair(s.cipher), String::new());
    row("edit / plain SQLite, p50 / p99", &|s| ratios(s.edit, s.plain), String::new());
    row("edit / SQLCipher alone, p50 / p99", &|s| ratios(s.edit, s.cipher), String::new());
    row(
        "save the first edit of a case just opened (the app's flow), p50 / p99",
        &|s| pair(s.opened_edit),
        ratios(last.opened_edit, first.opened_edit),
    );
    row("same bytes meanwhile, SQLCipher alone, p50 / p99", &|s| pair(s.opened_cipher), String::new());
    row("first edit after an open / SQLCipher alone, p50 / p99", &|s| ratios(s.opened_edit, s.opened_cipher), String::new());
    row("open the case again after that save, p50 / p99", &|s| pair(s.reopen), ratios(last.reopen, first.reopen));
    row(
        "save one more edit of the case just edited (typing), p50 / p99",
        &|s| pair(s.typing),
        ratios(last.typing, first.typing),
    );
    row(
        "same bytes meanwhile, plain SQLite / SQLCipher alone, p50",
        &|s| format!("{} / {}", ms(s.typing_plain.0), ms(s.typing_cipher.0)),
        String::new(),
    );
    row("typing edit / SQLCipher alone, p50 / p99", &|s| ratios(s.typing, s.typing_cipher), String::new());
    for (index, query) in QUERIES.iter().enumerate() {
        row(
            &format!("search `{query}`, p50 / p99 (hits shown, limit 50)"),
            &|s| format!("{} ({})", pair((s.search[index].0, s.search[index].1)), s.search[index].2),
            ratio(last.search[index].1, first.search[index].1),
        );
    }
    row("unlock to the case list, after the KDF, p50 / p99", &|s| pair(s.unlock), ratio(last.unlock.0, first.unlock.0));
    row("peak RSS (whole process so far)", &|s| format!("{:.1} MB", s.rss_kib as f64 / 1024.0), String::new());
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
