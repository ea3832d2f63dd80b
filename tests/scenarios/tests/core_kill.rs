//! kill -9 loops through cairn-core (issue 12): a writer process (`core-writer`) makes one
//! kind of write through `Session`, printing `DO …` before and `ACK …` after each commit, and is
//! killed with SIGKILL at a pseudo-random moment from a fixed seed (see [`Killer`]): during its
//! unlock, inside a write of the kind the loop is about, or anywhere in a run. After every kill
//! the vault must open, every acknowledged write must be there, the one in flight must be there
//! whole or not at all, and everything derived (summary, digests, search rows, blobs) must agree
//! with the documents.
//!
//! Loops: case edits (`edits`), recording pieces and their salvage (`recordings`), roster
//! imports (`roster`) and case deletion (`delete`); bundle import has its own loop
//! (`crates/cairn-cli/tests/bundle_kill.rs`). Each loop kills its writer `CAIRN_KILL_ROUNDS`
//! times, by default [`DEFAULT_ROUNDS`]: with it the four loops take about two minutes in a
//! debug build on two busy cores (a round costs 0.2 to 0.5 s: the writer's unlock, its run, and
//! the checks). Set it higher for a longer local run.
//!
//! The vaults live in `/dev/shm` where it exists: a kill -9 leaves the kernel's page cache as it
//! was, so what is tested is the same, and no fsync waits for a disk.

use std::{
    collections::{BTreeMap, BTreeSet},
    io::{BufRead, BufReader, Read},
    os::unix::process::ExitStatusExt,
    path::Path,
    process::{Command, Stdio},
    sync::mpsc,
    time::{Duration, Instant},
};

use cairn_core::{
    SecretString, Session,
    cases::{CaseView, ObjectId, heads_hash, id_to_hex, parse_id},
    create_vault,
    testing::{TEST_PASSPHRASE, TestTeam, wrapped_case_keys},
    unlock_vault,
};
use cairn_scenarios::{CHUNK, PASSPHRASE_A, RecordingPlan, Rng, attachment_content};
use cairn_store::{KdfChoice, StoreError, Vault};

/// Kills per loop unless `CAIRN_KILL_ROUNDS` says otherwise (see the module docs).
const DEFAULT_ROUNDS: u64 = 120;

fn rounds() -> u64 {
    std::env::var("CAIRN_KILL_ROUNDS").ok().and_then(|value| value.parse().ok()).unwrap_or(DEFAULT_ROUNDS)
}

/// When a writer is killed.
#[derive(Debug, Clone, Copy)]
enum Kill {
    /// This long after it started (usually while it unlocks, settles or salvages).
    SinceStart(Duration),
    /// This long after it printed `READY`.
    SinceReady(Duration),
    /// This long after the `nth` line starting with `prefix` (a write of the kind a loop is
    /// about), so that many kills land inside that write.
    InWrite { prefix: &'static str, nth: u64, delay: Duration },
}

/// Picks the kill moments of one loop from a fixed seed: one in eight during the unlock (up
/// to `startup` after the start), three in eight inside a write of the loop's `target` kind
/// (up to a little longer than the longest one seen so far), the rest up to `window` after
/// `READY`.
struct Killer {
    rng: Rng,
    startup: Duration,
    window: Duration,
    /// `DO` and the kind of write, e.g. `DO delete`.
    target: &'static str,
    /// How many writes of that kind a run may start before the one to kill.
    nth: u64,
    /// The longest of those writes seen so far (from `DO` to `ACK`).
    longest: Duration,
}

impl Killer {
    fn new(seed: u64, startup: Duration, window: Duration, target: &'static str, nth: u64) -> Killer {
        Killer { rng: Rng::new(seed), startup, window, target, nth, longest: Duration::from_millis(20) }
    }

    fn within(&mut self, span: Duration) -> Duration {
        Duration::from_micros(self.rng.below(span.as_micros() as u64 + 1))
    }

    fn next(&mut self) -> Kill {
        match self.rng.below(8) {
            0 => Kill::SinceStart(self.within(self.startup)),
            1..=3 => {
                let nth = 1 + self.rng.below(self.nth);
                Kill::InWrite { prefix: self.target, nth, delay: self.within(self.longest * 5 / 4) }
            }
            _ => Kill::SinceReady(self.within(self.window)),
        }
    }

    /// Learns from a run how long its writes of the target kind took.
    fn learn(&mut self, run: &Run) {
        let kind = self.target.split(' ').nth(1).unwrap_or_default();
        for (index, words) in run.lines.iter().enumerate() {
            if words[0] != "DO" || (!kind.is_empty() && words[1] != kind) {
                continue;
            }
            let acked = run.lines[index + 1..].iter().position(|next| next[0] == "ACK" && next[1] == words[1]);
            if let Some(offset) = acked {
                self.longest = self.longest.max(run.times[index + 1 + offset] - run.times[index]);
            }
        }
    }
}

/// What a writer printed, one line split in words at a time, and when each line arrived.
struct Run {
    lines: Vec<Vec<String>>,
    times: Vec<Instant>,
    /// Whether it ended on its own (the roster writer does when nothing is left to import).
    finished: bool,
}

/// Runs `core-writer MODE DIR ROUND` and kills it as `kill` says, unless it ends first (then
/// it must have succeeded).
fn run_writer(mode: &str, dir: &Path, round: u64, passphrase: &str, env: &[(&str, &Path)], kill: Kill) -> Run {
    let mut command = Command::new(env!("CARGO_BIN_EXE_core-writer"));
    command
        .args([mode, dir.to_str().expect("utf-8 path"), &round.to_string()])
        .env("CAIRN_PASSPHRASE", passphrase)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (name, value) in env {
        command.env(name, value);
    }
    let start = Instant::now();
    let mut child = command.spawn().expect("start the writer");
    let stdout = child.stdout.take().expect("stdout");
    let mut stderr = child.stderr.take().expect("stderr");
    let (sender, receiver) = mpsc::channel();
    let reader = std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            if sender.send((Instant::now(), line)).is_err() {
                break;
            }
        }
    });
    let errors = std::thread::spawn(move || {
        let mut text = String::new();
        let _ = stderr.read_to_string(&mut text);
        text
    });
    let mut lines = Vec::new();
    // Waits for the `nth` line that starts with `prefix`; the time to kill after it.
    let mut after = |prefix: &str, nth: u64, delay: Duration| {
        let mut seen = 0;
        loop {
            match receiver.recv_timeout(Duration::from_secs(60)) {
                Ok((at, line)) => {
                    seen += u64::from(line.starts_with(prefix));
                    lines.push((at, line));
                    if seen == nth {
                        return Instant::now() + delay;
                    }
                }
                // The writer ended (or hung) first: reaped and reported below.
                Err(_) => return Instant::now(),
            }
        }
    };
    let deadline = match kill {
        Kill::SinceStart(delay) => start + delay,
        Kill::SinceReady(delay) => after("READY", 1, delay),
        Kill::InWrite { prefix, nth, delay } => after(prefix, nth, delay),
    };
    // The kill delay, cut short when the writer ends first.
    while let Some(left) = deadline.checked_duration_since(Instant::now()) {
        if child.try_wait().expect("the writer's status").is_some() {
            break;
        }
        std::thread::sleep(left.min(Duration::from_millis(2)));
    }
    let _ = child.kill();
    let status = child.wait().expect("reap the writer");
    reader.join().expect("stdout reader");
    let errors = errors.join().expect("stderr reader");
    lines.extend(receiver.try_iter());
    let killed = status.signal() == Some(9);
    assert!(killed || status.success(), "{mode} writer failed in round {round} ({status}): {errors}");
    let times = lines.iter().map(|(at, _)| *at).collect();
    let lines = lines.iter().map(|(_, line)| line.split(' ').map(str::to_owned).collect()).collect();
    Run { lines, times, finished: !killed }
}

/// A scratch folder, in memory where there is one (see the module docs).
fn scratch() -> tempfile::TempDir {
    let memory = Path::new("/dev/shm");
    let in_memory = if memory.is_dir() { tempfile::tempdir_in(memory).ok() } else { None };
    in_memory.unwrap_or_else(|| tempfile::tempdir().expect("tempdir"))
}

fn id(hex: &str) -> ObjectId {
    parse_id(hex).expect("an id the writer printed")
}

/// The `index`th word of `text`.
fn word(text: &str, index: usize) -> String {
    text.split_whitespace().nth(index).unwrap_or_default().to_owned()
}

fn open(dir: &Path, passphrase: &str, round: u64) -> Session {
    match unlock_vault(dir, &SecretString::from(passphrase)) {
        Ok(session) => session,
        Err(error) => panic!("round {round}: the vault does not open after kill -9: {} ({error})", error.code()),
    }
}

/// The cases `search` finds for `term`.
fn found(session: &mut Session, term: &str) -> BTreeSet<ObjectId> {
    session.search(term, 1000).expect("search").iter().map(|hit| hit.case_id).collect()
}

/// Every derived row of a case agrees with its documents: the listed summary, each
/// document's digest, and no testimony or attachment half there.
fn check_derived(session: &mut Session, view: &CaseView, round: u64) {
    let listed = session.list_cases().expect("list").into_iter().find(|summary| summary.id == view.id);
    let listed = listed.unwrap_or_else(|| panic!("round {round}: an opened case is not listed"));
    let record = &view.record;
    let context = format!("round {round}, case {}", id_to_hex(&view.id));
    assert_eq!(listed.title, record.title, "{context}: listed title");
    assert_eq!((&listed.status, &listed.risk), (&record.status, &record.risk), "{context}: listed status and risk");
    assert_eq!(listed.counts, record.counts(), "{context}: listed counts");
    assert_eq!(listed.tags, record.distinct_tags(), "{context}: listed tags");
    assert_eq!(listed.created_at, record.created_at, "{context}: created");
    assert_eq!(listed.conflicts, 0, "{context}: conflicts");
    assert!(view.arriving_testimonies.is_empty(), "{context}: a testimony referenced but not stored");
    assert!(view.arriving_attachments.is_empty(), "{context}: an attachment referenced but not stored");
    let digests = session.case_digests(&view.id).expect("digests");
    assert_eq!(digests.len(), view.document_heads.len(), "{context}: one digest per document");
    for (doc_id, heads) in &view.document_heads {
        let digest = digests.iter().find(|digest| digest.doc_id == *doc_id);
        let digest = digest.unwrap_or_else(|| panic!("{context}: a document without a digest"));
        assert_eq!(digest.heads_hash, heads_hash(heads), "{context}: a digest that is not its document's heads");
    }
}

// ---------------------------------------------------------------------------------------
// Case edits.

/// A case as the edit loop's checks see it: the token of each part.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct EditedCase {
    title: String,
    tags: Option<String>,
    status: String,
    notes: BTreeSet<String>,
    persons: BTreeSet<String>,
    /// Narrative token by testimony.
    testimonies: BTreeMap<ObjectId, String>,
}

type Edited = BTreeMap<ObjectId, EditedCase>;

/// One write of the edit loop. `id` is the new case's or testimony's id (`None` while in flight).
#[derive(Debug, Clone)]
struct Edit {
    kind: String,
    case: Option<ObjectId>,
    token: String,
    id: Option<ObjectId>,
}

impl Edit {
    fn parse(words: &[String]) -> Edit {
        let case = (words[2] != "-").then(|| id(&words[2]));
        let (kind, token) = (words[1].clone(), words[3].clone());
        let id = match (kind.as_str(), words[0].as_str()) {
            ("create", "ACK") => case,
            ("testimony" | "narrative", _) => words.get(4).map(|hex| id(hex)),
            _ => None,
        };
        let case = if kind == "create" { None } else { case };
        Edit { kind, case, token, id }
    }

    /// The field the search index names for this edit's token.
    fn field(&self) -> Option<&'static str> {
        Some(match self.kind.as_str() {
            "create" | "title" => "title",
            "tags" => "tags",
            "note" => "note",
            "person" => "pseudonym",
            "testimony" | "narrative" => "narrative",
            _ => return None,
        })
    }

    /// Applies the edit to `state`; returns the token it replaced, if any. An edit in flight
    /// takes the ids it created from `observed`; `None` if it cannot have been applied.
    fn apply(&self, state: &mut Edited, observed: &Edited) -> Option<Option<String>> {
        if self.kind == "create" {
            let case = self.id.or_else(|| {
                observed
                    .iter()
                    .find(|(case, seen)| !state.contains_key(*case) && seen.title == self.token)
                    .map(|(id, _)| *id)
            })?;
            let new = EditedCase { title: self.token.clone(), status: "draft".into(), ..EditedCase::default() };
            state.insert(case, new);
            return Some(None);
        }
        let case_id = self.case.expect("an edit names its case");
        let case = state.get_mut(&case_id)?;
        let token = self.token.clone();
        Some(match self.kind.as_str() {
            "title" => Some(std::mem::replace(&mut case.title, token)),
            "tags" => case.tags.replace(token),
            "status" => {
                case.status = token;
                None
            }
            "note" => {
                case.notes.insert(token);
                None
            }
            "person" => {
                case.persons.insert(token);
                None
            }
            "testimony" => {
                let id = self.id.or_else(|| {
                    let seen = observed.get(&case_id)?;
                    seen.testimonies
                        .iter()
                        .find(|(id, narrative)| !case.testimonies.contains_key(*id) && **narrative == self.token)
                        .map(|(id, _)| *id)
                })?;
                case.testimonies.insert(id, token);
                None
            }
            "narrative" => Some(case.testimonies.insert(self.id?, token)?),
            other => panic!("unknown edit {other}"),
        })
    }
}

/// Opens every case and checks its derived rows; returns what the documents hold.
fn observe_edits(session: &mut Session, round: u64) -> Edited {
    let mut observed = Edited::new();
    for summary in session.list_cases().expect("list") {
        let view = session
            .open_case(&summary.id)
            .unwrap_or_else(|error| panic!("round {round}: a listed case does not open: {}", error.code()));
        check_derived(session, &view, round);
        let record = &view.record;
        let tags = record.tags.first().cloned();
        observed.insert(
            view.id,
            EditedCase {
                title: word(&record.title, 1),
                tags,
                status: record.status.clone(),
                notes: record.notes.values().map(|note| word(&note.text, 1)).collect(),
                persons: record.persons.values().map(|person| person.pseudonym.clone()).collect(),
                testimonies: view.testimonies.iter().map(|(id, t)| (*id, word(t.narrative.as_str(), 1))).collect(),
            },
        );
    }
    observed
}

/// Where each live token is, and which field the index must name for it.
fn live_tokens(state: &Edited) -> BTreeMap<String, (ObjectId, &'static str)> {
    let mut tokens = BTreeMap::new();
    for (case, edited) in state {
        tokens.insert(edited.title.clone(), (*case, "title"));
        if let Some(tags) = &edited.tags {
            tokens.insert(tags.clone(), (*case, "tags"));
        }
        tokens.extend(edited.notes.iter().map(|note| (note.clone(), (*case, "note"))));
        tokens.extend(edited.persons.iter().map(|person| (person.clone(), (*case, "pseudonym"))));
        tokens.extend(edited.testimonies.values().map(|narrative| (narrative.clone(), (*case, "narrative"))));
    }
    tokens
}

/// `search` finds each live token in exactly its case (naming its field) and nothing for the
/// dead ones (replaced, or never applied).
fn check_search(
    session: &mut Session,
    live: &BTreeMap<String, (ObjectId, &'static str)>,
    check: &[String],
    dead: &[String],
    round: u64,
) {
    for token in check {
        let Some((case, field)) = live.get(token) else { continue };
        let hits = session.search(token, 1000).expect("search");
        let cases: BTreeSet<ObjectId> = hits.iter().map(|hit| hit.case_id).collect();
        assert_eq!(cases, BTreeSet::from([*case]), "round {round}: search for {token}");
        assert!(
            hits[0].fields.iter().any(|f| f == field),
            "round {round}: {token} found in {:?}, not {field}",
            hits[0].fields
        );
    }
    for token in dead {
        assert!(found(session, token).is_empty(), "round {round}: search finds {token}, which no document holds");
    }
}

#[test]
fn case_edits_survive_kill_9_whole() {
    let folder = scratch();
    let dir = folder.path().join("vault");
    create_vault(&dir, &SecretString::from(PASSPHRASE_A), KdfChoice::InsecureTestOnly).expect("create").0.lock();
    let mut rng = Rng::new(0x0ed1_75ee_d000_0001);
    let mut killer = Killer::new(0x0ed1_7c11_0000_0001, Duration::from_millis(100), Duration::from_millis(250), "DO ", 12);
    let (mut state, mut dead) = (Edited::new(), Vec::<String>::new());
    let mut acknowledged = 0;
    for round in 0..rounds() {
        let run = run_writer("edits", &dir, round, PASSPHRASE_A, &[], killer.next());
        killer.learn(&run);
        let mut touched = Vec::new();
        let mut in_flight = None;
        for words in run.lines.iter().filter(|words| words[0] == "DO" || words[0] == "ACK") {
            let edit = Edit::parse(words);
            if words[0] == "DO" {
                in_flight = Some(edit);
                continue;
            }
            in_flight = None;
            acknowledged += 1;
            let replaced = edit.apply(&mut state, &Edited::new()).expect("an acknowledged edit applies");
            dead.extend(replaced);
            if edit.field().is_some() {
                touched.push(edit.token.clone());
            }
        }
        let mut session = open(&dir, PASSPHRASE_A, round);
        let observed = observe_edits(&mut session, round);
        if observed != state {
            let edit = in_flight.as_ref().unwrap_or_else(|| panic!("round {round}: an acknowledged edit is missing"));
            let mut with = state.clone();
            let replaced = edit.apply(&mut with, &observed);
            assert!(
                replaced.is_some() && observed == with,
                "round {round}: the vault holds neither the acknowledged edits nor them and the one in flight \
                 ({edit:?})\nexpected {state:#?}\nfound {observed:#?}"
            );
            dead.extend(replaced.flatten());
            state = with;
        } else if let Some(edit) = in_flight.as_ref().filter(|edit| edit.kind != "status") {
            dead.push(edit.token.clone());
        }
        if let Some(edit) = in_flight.as_ref().filter(|edit| edit.field().is_some()) {
            touched.push(edit.token.clone());
        }
        // This round's tokens, a sample of older ones, and a sample of dead ones.
        let live = live_tokens(&state);
        let all: Vec<&String> = live.keys().collect();
        touched.extend((0..20.min(all.len())).map(|_| all[rng.below(all.len() as u64) as usize].clone()));
        let dead_sample: Vec<String> =
            (0..10.min(dead.len())).map(|_| dead[rng.below(dead.len() as u64) as usize].clone()).collect();
        let mut dead_now: Vec<String> = touched.iter().filter(|token| !live.contains_key(*token)).cloned().collect();
        dead_now.extend(dead_sample);
        dead_now.push(cairn_scenarios::token(round, 99_999));
        check_search(&mut session, &live, &touched, &dead_now, round);
        session.lock();
    }
    let mut session = open(&dir, PASSPHRASE_A, u64::MAX);
    let live = live_tokens(&state);
    let everything: Vec<String> = live.keys().cloned().collect();
    check_search(&mut session, &live, &everything, &dead, u64::MAX);
    session.check_integrity().expect("integrity");
    assert!(acknowledged > 2 * rounds(), "the writer barely wrote: {acknowledged} edits in {} rounds", rounds());
}

// ---------------------------------------------------------------------------------------
// Recordings.

/// A recording whose writer was killed.
#[derive(Clone)]
struct Cut {
    id: ObjectId,
    plan: RecordingPlan,
    /// Pieces acknowledged.
    acked: usize,
    /// Whether the next piece was being written.
    piece_in_flight: bool,
    /// Whether finish or discard was under way (all pieces acknowledged).
    finishing: bool,
    discarding: bool,
}

impl std::fmt::Debug for Cut {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let (surely, perhaps) = self.committed();
        write!(f, "{} ({} bytes): {surely}..={perhaps} committed", id_to_hex(&self.id), self.plan.audio.len())?;
        write!(f, ", finishing {}, discarding {}", self.finishing, self.discarding)
    }
}

impl Cut {
    /// Bytes surely committed and bytes perhaps committed, in whole chunks (the partial last
    /// chunk lives only in the writer's memory).
    fn committed(&self) -> (usize, usize) {
        let whole = |bytes: usize| bytes / CHUNK * CHUNK;
        let surely = self.plan.written_after(self.acked);
        (whole(surely), whole(self.plan.written_after(self.acked + usize::from(self.piece_in_flight))))
    }
}

/// An attachment the recording case must hold: the recording's plan and how much of it.
#[derive(Debug, Clone)]
struct Kept {
    plan: RecordingPlan,
    len: usize,
    metadata: &'static str,
    checked: bool,
}

#[test]
fn acknowledged_recording_pieces_survive_kill_9_and_are_salvaged() {
    let folder = scratch();
    let dir = folder.path().join("vault");
    let (mut session, _) =
        create_vault(&dir, &SecretString::from(PASSPHRASE_A), KdfChoice::InsecureTestOnly).expect("create");
    let case = session.create_case("녹음 사례").expect("case");
    session.lock();
    let mut killer =
        Killer::new(0x2ec0_2d00_0000_0001, Duration::from_millis(60), Duration::from_millis(400), "DO finish", 2);
    let mut kept: BTreeMap<ObjectId, Kept> = BTreeMap::new();
    let mut cut: Vec<Cut> = Vec::new();
    let (mut pieces, mut salvaged) = (0, 0);
    for round in 0..rounds() {
        let run = run_writer("recordings", &dir, round, PASSPHRASE_A, &[], killer.next());
        killer.learn(&run);
        let mut active: Option<Cut> = None;
        for words in &run.lines {
            let what = (words[0].as_str(), words.get(1).map_or("", String::as_str));
            match what {
                ("ACK", "start") => {
                    let plan = RecordingPlan::new(round, words[2].parse().expect("number"));
                    let new = Cut {
                        id: id(&words[3]),
                        plan,
                        acked: 0,
                        piece_in_flight: false,
                        finishing: false,
                        discarding: false,
                    };
                    active = Some(new);
                }
                ("DO", "piece") => active.as_mut().expect("recording").piece_in_flight = true,
                ("ACK", "piece") => {
                    let recording = active.as_mut().expect("recording");
                    recording.acked = words[3].parse().expect("piece");
                    recording.piece_in_flight = false;
                    pieces += 1;
                }
                ("DO", "finish") => active.as_mut().expect("recording").finishing = true,
                ("DO", "discard") => active.as_mut().expect("recording").discarding = true,
                ("ACK", "finish") => {
                    let done = active.take().expect("recording");
                    let len = done.plan.audio.len();
                    kept.insert(done.id, Kept { plan: done.plan, len, metadata: "recorded", checked: false });
                }
                ("ACK", "discard") => active = None,
                _ => {}
            }
        }
        cut.extend(active);
        let mut session = open(&dir, PASSPHRASE_A, round);
        // Every other round the test salvages (as the app does after an unlock); otherwise
        // the next writer does, and may be killed while it does.
        let recovers = round % 2 == 0;
        let recovered: BTreeSet<ObjectId> = if recovers {
            let recovered = session.recover_recordings().expect("salvage after kill -9");
            assert!(session.recover_recordings().expect("salvage again").is_empty(), "round {round}: salvaged twice");
            recovered.iter().map(|info| info.id).collect()
        } else {
            BTreeSet::new()
        };
        let view = session.open_case(&case).expect("open the recording case");
        check_derived(&mut session, &view, round);
        let mut attachments: BTreeMap<ObjectId, (String, u64)> = BTreeMap::new();
        for (hex, reference) in &view.record.attachments {
            attachments.insert(id(hex), (reference.metadata.clone(), reference.stored_size));
        }
        for (attachment, expected) in &kept {
            let found = attachments.remove(attachment);
            let found = found.unwrap_or_else(|| panic!("round {round}: an acknowledged recording is gone"));
            assert_eq!(
                found,
                (expected.metadata.to_owned(), expected.len as u64),
                "round {round}: a kept recording changed"
            );
        }
        // What is left must be a killed recording: finished just before the kill, or salvaged.
        for (attachment, (metadata, len)) in attachments {
            let content = export(&mut session, &attachment);
            assert_eq!(content.len() as u64, len, "round {round}: a recording's recorded size");
            let position = cut.iter().position(|recording| {
                let (surely, perhaps) = recording.committed();
                let finished = recording.finishing && attachment == recording.id && metadata == "recorded";
                let interrupted = metadata == "recorded_interrupted"
                    && content.len().is_multiple_of(CHUNK)
                    && (surely.max(CHUNK)..=perhaps).contains(&content.len());
                (finished && content == recording.plan.audio)
                    || (interrupted && content == recording.plan.audio[..content.len()])
            });
            let position = position.unwrap_or_else(|| {
                panic!("round {round}: an attachment ({metadata}, {len} bytes) that no acknowledged write explains; cut: {cut:?}")
            });
            let recording = cut.remove(position);
            salvaged += usize::from(metadata == "recorded_interrupted");
            let metadata = if metadata == "recorded" { "recorded" } else { "recorded_interrupted" };
            kept.insert(attachment, Kept { plan: recording.plan, len: content.len(), metadata, checked: true });
        }
        if recovers {
            assert!(recovered.iter().all(|attachment| kept.contains_key(attachment)), "round {round}: salvage reported");
            // Nothing committed may be left unsalvaged.
            for recording in cut.drain(..) {
                let (surely, _) = recording.committed();
                assert!(
                    surely == 0 || recording.discarding,
                    "round {round}: a recording with {surely} committed bytes was not salvaged"
                );
            }
        }
        // Each kept recording's content, once.
        for (attachment, expected) in kept.iter_mut().filter(|(_, kept)| !kept.checked) {
            assert_eq!(export(&mut session, attachment), expected.plan.audio[..expected.len], "round {round}: content");
            expected.checked = true;
        }
        session.lock();
    }
    assert!(pieces > 20 * rounds(), "the writer barely recorded: {pieces} pieces in {} rounds", rounds());
    assert!(salvaged as u64 > rounds() / 4, "few recordings were salvaged: {salvaged}");
}

fn export(session: &mut Session, attachment: &ObjectId) -> Vec<u8> {
    let mut out = Vec::new();
    session.export_attachment(attachment, &mut out).expect("export an attachment");
    out
}

// ---------------------------------------------------------------------------------------
// Roster import.

/// A roster the device imports: its version, epoch and file.
struct Issued {
    version: u64,
    epoch: u32,
}

#[test]
fn a_roster_import_is_old_or_new_after_kill_9() {
    // HQ and the device; the device holds three cases with a note each.
    let mut team = TestTeam::new(1);
    let device = team.devices.remove(0);
    let mut session = device.session;
    let cases: Vec<ObjectId> = (0..3).map(|i| session.create_case(&format!("명단 사례 {i}")).expect("case")).collect();
    let first = session.roster().expect("roster").expect("some");
    session.lock();
    let (base_version, base_epoch) = (first.version, first.epoch);
    // Then HQ issues rosters the device has not seen: enrollments, and revocations (new epochs).
    let rosters = scratch();
    let mut issued = Vec::new();
    let mut revoked = 0;
    for step in 0..12 {
        if step % 3 == 2 {
            team.revoke(revoked);
            revoked += 1;
        } else {
            team.enroll(cairn_core::team::Role::Field, &format!("extra-{step}"));
        }
        let bytes = team.hq.session.roster_bytes().expect("roster");
        let view = team.hq.session.roster().expect("roster").expect("some");
        std::fs::write(rosters.path().join(format!("{}.roster", view.version)), bytes).expect("write the roster");
        issued.push(Issued { version: view.version, epoch: view.epoch });
    }
    let last = issued.last().expect("rosters").version;
    assert!(issued.last().expect("rosters").epoch >= base_epoch + 3, "the rosters change the epoch");
    let (work, pristine) = (scratch(), scratch());
    let dir = work.path().join("vault");
    copy_folder(device.vault.path(), pristine.path());
    copy_folder(pristine.path(), &dir);

    let mut killer =
        Killer::new(0x2057_e200_0000_0001, Duration::from_millis(60), Duration::from_millis(150), "DO import", 3);
    let (mut version, mut notes) = (base_version, BTreeMap::<ObjectId, BTreeSet<String>>::new());
    let (mut imports, mut restores) = (0, 0);
    for round in 0..rounds() {
        let kill = killer.next();
        let run = run_writer("roster", &dir, round, TEST_PASSPHRASE, &[("CAIRN_ROSTERS", rosters.path())], kill);
        killer.learn(&run);
        let (mut import_in_flight, mut note_in_flight) = (None, None);
        for words in &run.lines {
            match (words[0].as_str(), words.get(1).map_or("", String::as_str)) {
                ("DO", "import") => import_in_flight = Some(words[2].parse::<u64>().expect("version")),
                ("ACK", "import") => {
                    version = words[2].parse().expect("version");
                    import_in_flight = None;
                    imports += 1;
                }
                ("DO", "note") => note_in_flight = Some((id(&words[2]), words[3].clone())),
                ("ACK", "note") => {
                    notes.entry(id(&words[2])).or_default().insert(words[3].clone());
                    note_in_flight = None;
                }
                _ => {}
            }
        }
        if run.finished {
            assert_eq!(version, last, "round {round}: the writer ended before importing every roster");
        }
        let mut session = open(&dir, TEST_PASSPHRASE, round);
        let view = session.roster().expect("roster").expect("some");
        if view.version != version {
            assert_eq!(Some(view.version), import_in_flight, "round {round}: neither the acknowledged roster nor the next");
            version = view.version;
        }
        let epoch = issued.iter().find(|roster| roster.version == version).map_or(base_epoch, |roster| roster.epoch);
        assert_eq!(view.epoch, epoch, "round {round}: the roster's epoch");
        assert_eq!(view.held_epochs, (1..=epoch).collect::<Vec<_>>(), "round {round}: team keys held");
        assert!(matches!(view.standing, cairn_core::team::Standing::Member(_)), "round {round}: standing");
        session.sync_credentials().expect("the team keys open");
        for case in &cases {
            // One case key per epoch the device went through: rotated with the roster, not apart.
            let keys = wrapped_case_keys(&mut session, case).len() as u32;
            assert_eq!(keys, 1 + epoch - base_epoch, "round {round}: case keys of epoch {epoch}");
            let opened = session.open_case(case).unwrap_or_else(|error| panic!("round {round}: {}", error.code()));
            check_derived(&mut session, &opened, round);
            let found: BTreeSet<String> = opened.record.notes.values().map(|note| word(&note.text, 1)).collect();
            let expected = notes.entry(*case).or_default();
            if found != *expected {
                let (in_flight_case, token) = note_in_flight.clone().expect("an acknowledged note is missing");
                assert_eq!(in_flight_case, *case, "round {round}: notes of another case changed");
                expected.insert(token);
                assert_eq!(found, *expected, "round {round}: notes");
            }
        }
        session.lock();
        if version == last {
            // Every roster is in: start again from the device as it was.
            std::fs::remove_dir_all(&dir).expect("remove the device vault");
            copy_folder(pristine.path(), &dir);
            (version, notes) = (base_version, BTreeMap::new());
            restores += 1;
        }
    }
    assert!(imports > rounds(), "few rosters were imported: {imports}");
    assert!(restores > 2, "the device went through every roster only {restores} times");
}

/// The first of `tokens` (all made by `cairn_scenarios::token`: one length, `t` first, `q`
/// last) found in `haystack`: one pass, fast enough in a debug build for a whole vault.
fn find_token<'a>(haystack: &[u8], tokens: &BTreeSet<&'a [u8]>) -> Option<&'a [u8]> {
    let len = cairn_scenarios::token(0, 0).len();
    let mut at = 0;
    while at + len <= haystack.len() {
        if haystack[at] == b't'
            && haystack[at + len - 1] == b'q'
            && let Some(token) = tokens.get(&haystack[at..at + len])
        {
            return Some(token);
        }
        at += 1;
    }
    None
}

fn copy_folder(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("create folder");
    for entry in std::fs::read_dir(from).expect("read folder") {
        let path = entry.expect("entry").path();
        std::fs::copy(&path, to.join(path.file_name().expect("name"))).expect("copy");
    }
}

// ---------------------------------------------------------------------------------------
// Case deletion.

/// A case of the delete loop: its tokens and attachment.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Doomed {
    title: String,
    note: Option<String>,
    /// Attachment id, blob id, and the writer's round and number that give its content.
    attachment: Option<(ObjectId, ObjectId, u64, u64)>,
}

#[test]
fn a_deleted_case_is_gone_everywhere_after_kill_9() {
    let folder = scratch();
    let dir = folder.path().join("vault");
    create_vault(&dir, &SecretString::from(PASSPHRASE_A), KdfChoice::InsecureTestOnly).expect("create").0.lock();
    let mut killer =
        Killer::new(0xde1e_7eee_d000_0001, Duration::from_millis(60), Duration::from_millis(300), "DO delete", 3);
    let mut live: BTreeMap<ObjectId, Doomed> = BTreeMap::new();
    let (mut deletions, mut in_flight_gone, mut in_flight_kept) = (0, 0, 0);
    for round in 0..rounds() {
        let run = run_writer("delete", &dir, round, PASSPHRASE_A, &[], killer.next());
        killer.learn(&run);
        let mut in_flight: Option<Vec<String>> = None;
        let mut gone: BTreeMap<ObjectId, Doomed> = BTreeMap::new();
        let mut fresh = BTreeSet::new();
        for words in &run.lines {
            if words[0] == "DO" {
                in_flight = Some(words.clone());
                continue;
            }
            if words[0] != "ACK" {
                continue;
            }
            in_flight = None;
            let case = id(&words[2]);
            match words[1].as_str() {
                "create" => {
                    live.insert(case, Doomed { title: words[3].clone(), note: None, attachment: None });
                }
                "note" => live.get_mut(&case).expect("case").note = Some(words[3].clone()),
                "attach" => {
                    let attachment = (id(&words[4]), id(&words[5]), round, words[3].parse().expect("number"));
                    live.get_mut(&case).expect("case").attachment = Some(attachment);
                    fresh.insert(case);
                }
                "delete" => {
                    gone.insert(case, live.remove(&case).expect("a deleted case was whole"));
                    deletions += 1;
                }
                other => panic!("unknown write {other}"),
            }
        }
        let mut session = open(&dir, PASSPHRASE_A, round);
        let listed: BTreeSet<ObjectId> = session.list_cases().expect("list").iter().map(|summary| summary.id).collect();
        // Resolve the write in flight from what the vault holds.
        if let Some(words) = &in_flight {
            match words[1].as_str() {
                "create" => {
                    let extra: Vec<ObjectId> = listed.iter().filter(|case| !live.contains_key(*case)).copied().collect();
                    if let [case] = extra[..] {
                        live.insert(case, Doomed { title: words[3].clone(), note: None, attachment: None });
                    }
                }
                "note" => {
                    let case = id(&words[2]);
                    let view = session.open_case(&case).expect("open");
                    if !view.record.notes.is_empty() {
                        live.get_mut(&case).expect("case").note = Some(words[3].clone());
                    }
                }
                "attach" => {
                    let case = id(&words[2]);
                    let view = session.open_case(&case).expect("open");
                    if let Some((hex, reference)) = view.record.attachments.iter().next() {
                        let attachment = (id(hex), id(&reference.blob_id), round, words[3].parse().expect("number"));
                        live.get_mut(&case).expect("case").attachment = Some(attachment);
                        fresh.insert(case);
                    }
                }
                "delete" => {
                    let case = id(&words[2]);
                    if listed.contains(&case) {
                        in_flight_kept += 1;
                        fresh.insert(case);
                    } else {
                        gone.insert(case, live.remove(&case).expect("a case being deleted was whole"));
                        in_flight_gone += 1;
                    }
                }
                other => panic!("unknown write {other}"),
            }
        }
        assert_eq!(listed, live.keys().copied().collect(), "round {round}: the listed cases");
        for (case, doomed) in &live {
            let view = session.open_case(case).unwrap_or_else(|error| panic!("round {round}: {}", error.code()));
            check_derived(&mut session, &view, round);
            let seen = Doomed {
                title: word(&view.record.title, 1),
                note: view.record.notes.values().next().map(|note| word(&note.text, 1)),
                attachment: view.record.attachments.iter().next().map(|(hex, reference)| {
                    let (_, _, from, number) = doomed.attachment.expect("an attachment the writer acknowledged");
                    (id(hex), id(&reference.blob_id), from, number)
                }),
            };
            assert_eq!(&seen, doomed, "round {round}: a case's parts");
            assert_eq!(found(&mut session, &doomed.title), BTreeSet::from([*case]), "round {round}: search");
            if fresh.contains(case)
                && let Some((attachment, _, from, number)) = doomed.attachment
            {
                assert_eq!(export(&mut session, &attachment), attachment_content(from, number), "round {round}");
            }
        }
        for (case, doomed) in &gone {
            let error = session.open_case(case).expect_err("a deleted case opens");
            assert_eq!(error.code(), "not_found", "round {round}: opening a deleted case");
            for token in [Some(&doomed.title), doomed.note.as_ref()].into_iter().flatten() {
                assert!(found(&mut session, token).is_empty(), "round {round}: search finds a deleted case");
            }
        }
        session.lock();
        // A rotation of the wrapping key cut short leaves no temporary file past the unlock.
        let mut files: Vec<String> = std::fs::read_dir(&dir)
            .expect("list the vault")
            .map(|entry| entry.expect("entry").file_name().to_string_lossy().into_owned())
            .collect();
        files.sort();
        assert_eq!(files, ["decoy.db", "vault.db", "vault.keys"], "round {round}: the vault folder");
        if !gone.is_empty() {
            check_gone(&dir, &gone, live.values().next().map(|doomed| doomed.title.as_str()), round);
        }
    }
    assert!(deletions > rounds() / 2, "few deletions were acknowledged: {deletions}");
    assert!(in_flight_gone + in_flight_kept > 0, "no kill landed during a deletion");
}

/// Nothing of the deleted cases is left in the store: key, documents, digests, blob, search
/// rows, and not one of their tokens in any decrypted page of the database or its WAL (where
/// the title of a live case, `control`, is found: the scan sees what is there).
fn check_gone(dir: &Path, gone: &BTreeMap<ObjectId, Doomed>, control: Option<&str>, round: u64) {
    let mut vault = Vault::unlock(dir, &SecretString::from(PASSPHRASE_A)).expect("unlock the store");
    vault
        .read(|tx| {
            for (case, doomed) in gone {
                assert!(matches!(tx.case_key(case), Err(StoreError::NotFound { .. })), "round {round}: case key");
                assert!(!tx.records(case, case).is_ok_and(|records| !records.is_empty()), "round {round}: documents");
                assert!(tx.case_digests(case)?.is_empty(), "round {round}: digests");
                assert!(tx.case_summary(case)?.is_none(), "round {round}: summary");
                if let Some((_, blob, _, _)) = doomed.attachment {
                    assert!(matches!(tx.blob_info(&blob), Err(StoreError::NotFound { .. })), "round {round}: blob");
                }
                for token in [Some(&doomed.title), doomed.note.as_ref()].into_iter().flatten() {
                    assert!(tx.search_rows(token, 10)?.is_empty(), "round {round}: search rows");
                }
            }
            Ok(())
        })
        .expect("read the store");
    let tokens: BTreeSet<&[u8]> = gone
        .values()
        .flat_map(|doomed| [Some(&doomed.title), doomed.note.as_ref()])
        .flatten()
        .map(|token| token.as_bytes())
        .collect();
    let pages = cairn_store::testing::decrypted_pages(&vault).expect("decrypt the pages");
    for page in &pages {
        let left = find_token(&page.plaintext, &tokens).map(String::from_utf8_lossy);
        let place = (page.source, page.page_number);
        assert!(left.is_none(), "round {round}: {left:?} of a deleted case is left in {place:?}");
    }
    if let Some(control) = control {
        let control = BTreeSet::from([control.as_bytes()]);
        assert!(pages.iter().any(|page| find_token(&page.plaintext, &control).is_some()), "the scan finds nothing");
    }
    vault.lock();
}
