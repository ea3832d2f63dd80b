//! Sync at scale (issue 9): two enrolled devices, N cases created on A (two persons, a short
//! testimony, two notes each: two documents per case) and synced to B, then 10 cases changed
//! on A and synced again through Cairn's engine (`cairn_sync::Initiator`/`Responder`) over the
//! two vault stores, in memory (no transport: the messages are handed over, their bytes
//! counted). Compared in the same run with
//! - (a) sending every document: the bytes of every document's full Automerge `save()`;
//! - (b) Automerge's own sync protocol run per document (the automerge-repo model): for every
//!   document, A's and B's copies with a fresh `sync::State` each, messages exchanged until
//!   neither side has anything to send.
//!
//! The first `CAIRN_BENCH_FIRST_SYNC` cases (default 1,000) are synced to the empty B on
//! their own first, which measures a first full sync; the rest follow in a second sync.
//!
//! `cargo bench -p cairn-core --bench sync` (`CAIRN_BENCH_CASES`, default 10,000; 500 for a
//! quick run). Progress goes to stderr, the figures to stdout.
#![allow(missing_docs, clippy::print_stdout, clippy::print_stderr, clippy::unwrap_used, clippy::expect_used)]

use std::{
    collections::VecDeque,
    time::{Duration, Instant},
};

use automerge::{
    Automerge,
    sync::{self, SyncDoc},
};
use cairn_core::{
    Session,
    cases::{CaseField, NewPerson, NewTestimony, ObjectId, id_to_hex},
    testing::TestTeam,
};
use cairn_sync::{DocRef, Initiator, ItemKind, PeerId, Responder, Step, SyncSummary};

mod support;
use support::Rng;

const CHANGED: usize = 10;
const PEER_A: PeerId = [0xA; 16];
const PEER_B: PeerId = [0xB; 16];

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
    "the",
    "border",
    "was",
    "crossed",
    "at",
    "night",
    "police",
    "detained",
    "her",
    "interrogation",
];

fn text(rng: &mut Rng, bytes: usize) -> String {
    let mut out = String::with_capacity(bytes + 16);
    while out.len() < bytes {
        out.push_str(WORDS[rng.below(WORDS.len())]);
        out.push(' ');
    }
    out
}

fn env_count(name: &str, default: usize) -> usize {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

fn status_kib(field: &str) -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            status.lines().find(|line| line.starts_with(field)).and_then(|line| line.split_whitespace().nth(1)?.parse().ok())
        })
        .unwrap_or(0)
}

fn secs(duration: Duration) -> String {
    format!("{:.2} s", duration.as_secs_f64())
}

/// Creates `count` cases on `session` (numbered from `first`), printing progress.
fn create_cases(session: &mut Session, rng: &mut Rng, first: usize, count: usize, ids: &mut Vec<ObjectId>) -> Duration {
    let started = Instant::now();
    for i in first..first + count {
        let case = session.create_case(&format!("사건 {i}: {}", text(rng, 30))).expect("create a case");
        let mut first_person = None;
        for p in 0..2 {
            let person = NewPerson { pseudonym: format!("P-{i}-{p}"), roles: vec!["victim".into()], ..NewPerson::default() };
            let id = session.add_person(&case, &person).expect("add a person");
            first_person.get_or_insert(id);
        }
        let narrative_len = 600 + rng.below(600);
        let testimony = NewTestimony {
            source_person: id_to_hex(&first_person.expect("a person")),
            language: "ko".into(),
            narrative: text(rng, narrative_len),
            ..NewTestimony::default()
        };
        session.add_testimony(&case, &testimony).expect("add a testimony");
        for _ in 0..2 {
            session.add_note(&case, &text(rng, 150), None).expect("add a note");
        }
        ids.push(case);
        let done = i + 1 - first;
        if done.is_multiple_of(500) || done == count {
            eprintln!("created {done} of {count} cases in {:.0} s", started.elapsed().as_secs_f64());
        }
    }
    started.elapsed()
}

/// One Cairn sync session, A initiating, messages handed over in memory.
struct CairnRun {
    a_to_b: u64,
    b_to_a: u64,
    messages: u64,
    /// Batches A sent and B answered (a batch is everything one side sends before waiting).
    round_trips: u64,
    time: Duration,
    summary: SyncSummary,
}

/// Feeds one step's messages into `out`, resuming while the engine asks to.
fn pump(mut step: Step, mut resume: impl FnMut() -> Step, out: &mut VecDeque<Vec<u8>>, done: &mut Option<SyncSummary>) {
    loop {
        match step {
            Step::Send(messages) => {
                out.extend(messages);
                return;
            }
            Step::SendAndResume(messages) => {
                out.extend(messages);
                step = resume();
            }
            Step::Wait => return,
            Step::Done { send, summary } => {
                out.extend(send);
                *done = Some(summary);
                return;
            }
        }
    }
}

fn cairn_sync(a: &mut Session, b: &mut Session) -> CairnRun {
    let started = Instant::now();
    let mut store_a = a.sync_store().expect("A's sync store");
    let mut store_b = b.sync_store().expect("B's sync store");
    let (mut initiator, hello) = Initiator::start(&mut store_a, PEER_B).expect("start");
    let mut responder = Responder::new(PEER_A);
    let mut to_b = VecDeque::from([hello]);
    let mut to_a = VecDeque::new();
    let (mut a_to_b, mut b_to_a, mut messages, mut round_trips) = (0u64, 0u64, 0u64, 0u64);
    let (mut done_a, mut done_b) = (None, None);
    while !to_b.is_empty() || !to_a.is_empty() {
        if !to_b.is_empty() {
            round_trips += 1;
        }
        while let Some(message) = to_b.pop_front() {
            a_to_b += message.len() as u64;
            messages += 1;
            let step = responder.receive(&mut store_b, &message).expect("B receives");
            pump(step, || responder.resume(&mut store_b).expect("B resumes"), &mut to_a, &mut done_b);
        }
        while let Some(message) = to_a.pop_front() {
            b_to_a += message.len() as u64;
            messages += 1;
            let step = initiator.receive(&mut store_a, &message).expect("A receives");
            pump(step, || initiator.resume(&mut store_a).expect("A resumes"), &mut to_b, &mut done_a);
        }
    }
    let summary = done_a.expect("A finished");
    done_b.expect("B finished");
    CairnRun { a_to_b, b_to_a, messages, round_trips, time: started.elapsed(), summary }
}

fn item_ids(session: &mut Session) -> Vec<[u8; 32]> {
    let mut ids: Vec<_> = session.sync_items().expect("items").into_iter().map(|item| item.id).collect();
    ids.sort_unstable();
    ids
}

fn documents(session: &mut Session) -> Vec<DocRef> {
    session
        .sync_items()
        .expect("items")
        .into_iter()
        .filter_map(|item| match item.kind {
            ItemKind::Document(doc) => Some(doc),
            ItemKind::Tombstone { .. } => None,
        })
        .collect()
}

fn load(session: &mut Session, doc: &DocRef) -> Automerge {
    let changes = session.document_changes_since(doc, &[]).expect("the document's changes");
    Automerge::load(&changes.concat()).expect("load the changes")
}

#[derive(Default)]
struct Baselines {
    documents: u64,
    /// (a): every document's `save()`.
    save_bytes: u64,
    /// (b): Automerge's sync protocol per document.
    sync_a_to_b: u64,
    sync_b_to_a: u64,
    sync_messages: u64,
    /// The most round trips one document needed (= the round trips of all documents run in
    /// lock-step, every document's messages of one step sent as one batch).
    max_round_trips: u64,
    /// Round trips summed over documents (one connection per document, one after another).
    total_round_trips: u64,
    /// Documents that needed more than one round trip (the changed ones).
    docs_beyond_one: u64,
    sync_time: Duration,
    load_time: Duration,
}

fn baselines(a: &mut Session, b: &mut Session) -> Baselines {
    let mut out = Baselines::default();
    let docs = documents(a);
    for (n, doc) in docs.iter().enumerate() {
        let started = Instant::now();
        let mut on_a = load(a, doc);
        let mut on_b = load(b, doc);
        out.load_time += started.elapsed();
        let started = Instant::now();
        out.documents += 1;
        out.save_bytes += on_a.save().len() as u64;
        let (mut state_a, mut state_b) = (sync::State::new(), sync::State::new());
        let mut round_trips = 0u64;
        loop {
            let mut sent = false;
            if let Some(message) = on_a.generate_sync_message(&mut state_a) {
                let bytes = message.encode();
                out.sync_a_to_b += bytes.len() as u64;
                out.sync_messages += 1;
                sent = true;
                let message = sync::Message::decode(&bytes).expect("decode");
                on_b.receive_sync_message(&mut state_b, message).expect("B receives");
            }
            if let Some(message) = on_b.generate_sync_message(&mut state_b) {
                let bytes = message.encode();
                out.sync_b_to_a += bytes.len() as u64;
                out.sync_messages += 1;
                sent = true;
                let message = sync::Message::decode(&bytes).expect("decode");
                on_a.receive_sync_message(&mut state_a, message).expect("A receives");
            }
            if !sent {
                break;
            }
            round_trips += 1;
        }
        assert_eq!(on_a.get_heads(), on_b.get_heads(), "the per-document sync converged");
        out.max_round_trips = out.max_round_trips.max(round_trips);
        out.total_round_trips += round_trips;
        out.docs_beyond_one += u64::from(round_trips > 1);
        out.sync_time += started.elapsed();
        if (n + 1).is_multiple_of(2000) {
            eprintln!("baseline: {} of {} documents", n + 1, docs.len());
        }
    }
    out
}

fn ratio(numerator: u64, denominator: u64) -> String {
    if denominator == 0 {
        return "n/a".into();
    }
    let r = numerator as f64 / denominator as f64;
    format!("{r:.5} (1/{:.0})", 1.0 / r)
}

fn main() {
    let n = env_count("CAIRN_BENCH_CASES", 10_000).max(CHANGED);
    let first = env_count("CAIRN_BENCH_FIRST_SYNC", 1_000).min(n);
    let mut team = TestTeam::new(2);
    let [a, b] = team.devices.get_disjoint_mut([0, 1]).expect("two devices");
    let (a, b) = (&mut a.session, &mut b.session);
    let mut rng = Rng(0x1234_5678_9abc_def1);
    let mut ids = Vec::with_capacity(n);

    // A first full sync: `first` cases into the empty B.
    let mut creation = create_cases(a, &mut rng, 0, first, &mut ids);
    eprintln!("first full sync of {first} cases");
    let full = cairn_sync(a, b);
    assert_eq!(item_ids(a), item_ids(b), "B holds what A holds");

    // The rest of the archive, then B brought level.
    creation += create_cases(a, &mut rng, first, n - first, &mut ids);
    eprintln!("syncing the remaining {} cases", n - first);
    let rest = cairn_sync(a, b);
    assert_eq!(item_ids(a), item_ids(b), "B holds what A holds");
    let rss_before = status_kib("VmHWM:");

    // Ten cases changed on A (a title each), spread over the archive.
    for (k, case) in ids.iter().step_by(n / CHANGED).take(CHANGED).enumerate() {
        a.set_case_field(case, CaseField::Title, &format!("사건 제목 수정 {k}")).expect("edit");
    }
    // The baselines first (they only read): B still lacks the 10 changes.
    eprintln!("baselines over every document");
    let base = baselines(a, b);
    let rss_baselines = status_kib("VmHWM:");
    eprintln!("syncing {CHANGED} changed cases");
    let changed = cairn_sync(a, b);
    assert_eq!(item_ids(a), item_ids(b), "B holds what A holds");
    assert_eq!(changed.summary.documents_sent, CHANGED as u64);
    let rss_end = status_kib("VmHWM:");

    let cairn_bytes = changed.a_to_b + changed.b_to_a;
    let base_bytes = base.sync_a_to_b + base.sync_b_to_a;
    println!("\n## Sync: {n} cases ({} documents) on both devices, {CHANGED} cases changed on A\n", base.documents);
    println!("| measure | Cairn engine | (a) every document's save() | (b) Automerge sync per document |");
    println!("|---|---|---|---|");
    println!("| bytes A → B | {} | {} | {} |", changed.a_to_b, base.save_bytes, base.sync_a_to_b);
    println!("| bytes B → A | {} | – | {} |", changed.b_to_a, base.sync_b_to_a);
    println!("| bytes, both ways | {cairn_bytes} | {} | {base_bytes} |", base.save_bytes);
    println!("| messages | {} | {} | {} |", changed.messages, base.documents, base.sync_messages);
    println!(
        "| round trips | {} (engine: {}) | 1 (one-way) | {} in lock-step; {} summed over documents; {} documents needed more than 1 |",
        changed.round_trips, changed.summary.round_trips, base.max_round_trips, base.total_round_trips, base.docs_beyond_one
    );
    println!(
        "| wall time | {} | – | {} (Automerge sync and save only; loading both copies of every document from the vaults: {}) |",
        secs(changed.time),
        secs(base.sync_time),
        secs(base.load_time)
    );
    println!();
    println!("Cairn bytes / (a): {}", ratio(cairn_bytes, base.save_bytes));
    println!("Cairn bytes / (b): {}", ratio(cairn_bytes, base_bytes));
    println!("Cairn round trips: {}", changed.round_trips);
    let summary = &changed.summary;
    println!(
        "Cairn, A's summary: {} documents and {} changes sent, {} documents and {} changes received",
        summary.documents_sent, summary.changes_sent, summary.documents_received, summary.changes_received
    );
    println!();
    println!(
        "archive creation on A: {} for {n} cases ({:.1} ms a case: create, 2 persons, a testimony, 2 notes; each its own fsynced transaction)",
        secs(creation),
        creation.as_secs_f64() * 1000.0 / n as f64
    );
    println!(
        "first full sync, {first} cases into an empty vault: {} bytes A → B, {} bytes B → A, {} round trips, {} ({:.0} bytes and {:.1} ms a case)",
        full.a_to_b,
        full.b_to_a,
        full.round_trips,
        secs(full.time),
        (full.a_to_b + full.b_to_a) as f64 / first.max(1) as f64,
        full.time.as_secs_f64() * 1000.0 / first.max(1) as f64
    );
    if n > first {
        println!(
            "second sync, the other {} cases into B (holding {first}): {} bytes A → B, {} bytes B → A, {} round trips, {} ({:.0} bytes and {:.1} ms a case)",
            n - first,
            rest.a_to_b,
            rest.b_to_a,
            rest.round_trips,
            secs(rest.time),
            (rest.a_to_b + rest.b_to_a) as f64 / (n - first) as f64,
            rest.time.as_secs_f64() * 1000.0 / (n - first) as f64
        );
    }
    println!(
        "peak RSS (VmHWM): {:.1} MB once the archive was created and synced, {:.1} MB after the baselines, {:.1} MB at the end",
        rss_before as f64 / 1024.0,
        rss_baselines as f64 / 1024.0,
        rss_end as f64 / 1024.0
    );
}
