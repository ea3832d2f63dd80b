//! `kill -9` during `cairn bundle import` and `cairn bundle export` (issue 10), many times at
//! delays spread over one whole run: the importing vault always opens and holds only whole
//! documents and whole attachments of the sender's, and one more import completes it; the
//! stick always holds the earlier bundle or a whole new one under the bundle's name, never a
//! partial one, and whatever a killed export leaves behind is hidden and ignored by import.
mod support;

use std::{
    collections::{BTreeMap, BTreeSet},
    os::unix::process::ExitStatusExt,
    path::{Path, PathBuf},
    process::Stdio,
    time::{Duration, Instant},
};

use serde_json::Value;
use support::*;

/// xorshift64*: the same pseudo-random delays and contents on every run.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    /// In [0, 1).
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// `count` points spread over 0 to 1.15 (a whole run is 1): one at a random point of each of
/// `count` equal slices, in a shuffled order.
fn spread(seed: u64, count: usize) -> Vec<f64> {
    let mut rng = Rng(seed);
    let mut points: Vec<f64> = (0..count).map(|slice| 1.15 * (slice as f64 + rng.unit()) / count as f64).collect();
    for i in (1..count).rev() {
        let j = (rng.next() % (i as u64 + 1)) as usize;
        points.swap(i, j);
    }
    points
}

/// Runs `cairn ARGS…` on `vault` in the background and sends it SIGKILL `delay` after it
/// started, unless it ended before: then it must have succeeded, and its run time is returned.
fn run_and_kill(vault: &Path, args: &[&str], delay: Duration) -> Option<Duration> {
    let start = Instant::now();
    let mut child = command(vault, args).stdout(Stdio::null()).stderr(Stdio::null()).spawn().expect("start cairn");
    // The kill delay, cut short (to within a millisecond) when the run ends first.
    while let Some(left) = (start + delay).checked_duration_since(Instant::now()) {
        if let Some(status) = child.try_wait().expect("cairn's status") {
            assert!(status.success(), "cairn {args:?} ended before the kill, and failed: {status}");
            return Some(start.elapsed());
        }
        std::thread::sleep(left.min(Duration::from_millis(1)));
    }
    child.kill().expect("kill cairn");
    let status = child.wait().expect("reap cairn");
    if status.signal() == Some(9) {
        return None;
    }
    assert!(status.success(), "cairn {args:?} ended before the kill, and failed: {status}");
    Some(start.elapsed())
}

/// The names of the hidden files of `dir` (a killed export's temporary files).
fn hidden_files(dir: &Path) -> BTreeSet<String> {
    std::fs::read_dir(dir)
        .expect("read the folder")
        .map(|entry| entry.expect("entry").file_name().to_string_lossy().into_owned())
        .filter(|name| name.starts_with('.'))
        .collect()
}

/// Runs `cairn ARGS…` on `vault` in the background and sends it SIGKILL the moment a new hidden
/// file appears in `dir` (its temporary file); returns that file's name if the run was killed
/// with it there, `None` if the run ended first.
fn kill_when_hidden_file_appears(vault: &Path, args: &[&str], dir: &Path) -> Option<String> {
    let before = hidden_files(dir);
    let mut child = command(vault, args).stdout(Stdio::null()).stderr(Stdio::null()).spawn().expect("start cairn");
    loop {
        if let Some(name) = hidden_files(dir).difference(&before).next().cloned() {
            child.kill().expect("kill cairn");
            let status = child.wait().expect("reap cairn");
            return (status.signal() == Some(9) && dir.join(&name).exists()).then_some(name);
        }
        if let Some(status) = child.try_wait().expect("cairn's status") {
            assert!(status.success(), "cairn {args:?} failed: {status}");
            return None;
        }
        std::thread::sleep(Duration::from_micros(200));
    }
}

fn timed(vault: &Path, args: &[&str]) -> Duration {
    let start = Instant::now();
    ok(vault, args);
    start.elapsed()
}

/// The one file of a folder.
fn only_file(dir: &Path) -> PathBuf {
    let files: Vec<PathBuf> = std::fs::read_dir(dir).expect("read").map(|entry| entry.expect("entry").path()).collect();
    assert_eq!(files.len(), 1, "{files:?}");
    files[0].clone()
}

/// A's work: cases, notes, a few persons and testimonies, and attachments of 1 to 4 MB.
struct Work {
    /// `case show --json` on A, by case id.
    cases: BTreeMap<String, Value>,
    /// Each attachment's content as A exports it, by attachment id.
    attachments: BTreeMap<String, Vec<u8>>,
}

/// Fills `a` with `cases` cases (two notes each, a person and a testimony on every eighth) and
/// one attachment per size in `sizes`, on cases spread over the rest.
fn fill(site: &Site, a: &Path, cases: usize, sizes: &[usize]) -> Work {
    let mut rng = Rng(0x0c41_12f0_5eed_0001);
    let with_attachment: Vec<usize> = (0..sizes.len()).map(|k| (k * cases / sizes.len() + 3) % cases).collect();
    for i in 0..cases {
        let case = ok(a, &["case", "new", "--title", &format!("사건 {i:02} — case {i}")]).trim().to_owned();
        ok(a, &["note", "add", &case, &format!("첫 메모 {i}: 가족 연락 필요"), "--by", "Worker Kim"]);
        ok(a, &["note", "add", &case, &format!("Second note on case {i}: follow up at the crossing.")]);
        if i % 8 == 0 {
            let person = json(a, &["person", "add", &case, "--pseudonym", &format!("A-{i}"), "--json"]);
            let narrative = site.path(&format!("narrative-{i}.txt"));
            std::fs::write(&narrative, format!("2019년 3월, 투먼 {i}.\nI was arrested in Tumen ({i}).")).expect("write");
            let person = person["id"].as_str().expect("person id");
            ok(a, &["testimony", "add", &case, "--person", person, "--narrative-file", s(&narrative)]);
        }
        for (k, _) in with_attachment.iter().enumerate().filter(|(_, on)| **on == i) {
            let source = site.path(&format!("evidence-{k}.bin"));
            let words = sizes[k].div_ceil(8);
            let mut bytes: Vec<u8> = (0..words).flat_map(|_| rng.next().to_le_bytes()).collect();
            bytes.truncate(sizes[k]);
            std::fs::write(&source, &bytes).expect("attachment source");
            ok(a, &["attach", &case, s(&source)]);
        }
    }
    let mut work = Work { cases: BTreeMap::new(), attachments: BTreeMap::new() };
    let list = json(a, &["case", "list", "--json"]);
    for case in list["cases"].as_array().expect("cases") {
        let id = case["id"].as_str().expect("id");
        let shown = json(a, &["case", "show", id, "--json"]);
        for attachment in shown["attachments"].as_array().expect("attachments") {
            let attachment = attachment["id"].as_str().expect("id");
            let out = site.path("from-a.bin");
            ok(a, &["attachment", "get", attachment, "--out", s(&out), "--overwrite"]);
            work.attachments.insert(attachment.to_owned(), std::fs::read(&out).expect("exported"));
        }
        work.cases.insert(id.to_owned(), shown);
    }
    assert_eq!((work.cases.len(), work.attachments.len()), (cases, sizes.len()));
    work
}

/// A case as shown, without what is this device's own (when it last changed here) and without
/// the testimonies in `arriving` (documents not here yet).
fn comparable(shown: &Value, arriving: &BTreeSet<String>) -> Value {
    let mut shown = shown.clone();
    let object = shown.as_object_mut().expect("a case");
    object.remove("updated_at");
    object.remove("arriving_testimonies");
    if let Some(Value::Array(testimonies)) = object.get_mut("testimonies") {
        testimonies.retain(|testimony| !arriving.contains(testimony["id"].as_str().expect("id")));
    }
    shown
}

/// What B holds of A's work.
#[derive(Debug, Default, PartialEq, Eq)]
struct Held {
    cases: usize,
    arriving_testimonies: usize,
    attachments: usize,
    arrived: usize,
}

/// Checks that `b` opens and holds only whole parts of `work`: every case it lists is one of
/// A's, equal to A's (testimonies whose document has not arrived aside), and every attachment
/// it shows is either not arrived or byte-identical to A's.
fn check_whole_parts(site: &Site, b: &Path, work: &Work, context: &str) -> Held {
    let list = json(b, &["case", "list", "--json"]);
    let mut held = Held::default();
    for case in list["cases"].as_array().expect("cases") {
        let id = case["id"].as_str().expect("id");
        let theirs = work.cases.get(id).unwrap_or_else(|| panic!("{context}: case {id} is not A's"));
        let shown = json(b, &["case", "show", id, "--json"]);
        let arriving: BTreeSet<String> = shown["arriving_testimonies"]
            .as_array()
            .expect("arriving testimonies")
            .iter()
            .map(|testimony| testimony.as_str().expect("id").to_owned())
            .collect();
        let known: BTreeSet<&str> = theirs["testimonies"]
            .as_array()
            .expect("testimonies")
            .iter()
            .map(|testimony| testimony["id"].as_str().expect("id"))
            .collect();
        assert!(arriving.iter().all(|id| known.contains(id.as_str())), "{context}: arriving {arriving:?}");
        assert_eq!(comparable(&shown, &arriving), comparable(theirs, &arriving), "{context}: case {id}");
        held.cases += 1;
        held.arriving_testimonies += arriving.len();
        for attachment in shown["attachments"].as_array().expect("attachments") {
            let attachment = attachment["id"].as_str().expect("id");
            let out = site.path("from-b.bin");
            let _ = std::fs::remove_file(&out);
            let got = cairn(b, &["attachment", "get", attachment, "--out", s(&out)]);
            held.attachments += 1;
            if exit_code(&got) == 0 {
                let bytes = std::fs::read(&out).expect("exported");
                assert!(bytes == work.attachments[attachment], "{context}: attachment {attachment} differs from A's");
                held.arrived += 1;
            } else {
                assert!(stderr(&got).contains("[attachment_not_arrived]"), "{context}: {}", stderr(&got));
                assert!(!out.exists(), "{context}: a refused export left a file");
            }
        }
    }
    held
}

#[test]
#[allow(clippy::print_stderr)] // how many runs were cut off, and where, is worth seeing
fn an_import_killed_at_any_moment_leaves_whole_documents_and_attachments_and_completes_later() {
    let site = Site::new();
    let (_hq, devices) = team(&site, &["a", "b"]);
    let (a, b) = (&devices[0], &devices[1]);
    let work = fill(&site, a, 40, &[1_000_003, 2_000_029, 3_000_017, 4_000_037]);
    let stick = site.path("stick");
    std::fs::create_dir(&stick).expect("stick");
    ok(a, &["bundle", "export", "--out", s(&stick), "--to", &device_id(b)]);
    let bundle = only_file(&stick);
    let import = ["bundle", "import", s(&bundle)];

    // Whole imports on two copies of B tell how long one takes (the quicker counts).
    let mut full = Duration::MAX;
    for copy in ["b-calibration-1", "b-calibration-2"] {
        let copy = site.path(copy);
        copy_dir(b, &copy);
        full = full.min(timed(&copy, &import));
    }
    let everything = check_whole_parts(&site, &site.path("b-calibration-1"), &work, "a whole import");
    assert_eq!((everything.cases, everything.arrived, everything.arriving_testimonies), (40, 4, 0));

    // One B keeps whatever each cut-off import left, as a device whose imports keep being cut
    // off. Each run is killed a little later than the one before (at a pseudo-random point of
    // its slice of the whole import): in a random order, the first run to end would leave
    // nothing for the later ones to be cut off in.
    let mut delays: Vec<Duration> = spread(0x6b69_6c6c_2d39, 28).into_iter().map(|point| full.mul_f64(point)).collect();
    delays.sort();
    let (mut killed, mut partial) = (0, 0);
    for (round, delay) in delays.iter().enumerate() {
        let was_killed = run_and_kill(b, &import, *delay).is_none();
        let context = format!("round {round}, cut after {delay:?} (killed: {was_killed})");
        let held = check_whole_parts(&site, b, &work, &context);
        assert!(was_killed || held == everything, "{context}: an import that ended left {held:?}");
        killed += usize::from(was_killed);
        partial += usize::from(held != Held::default() && held != everything);
    }
    eprintln!("import: {full:?} whole; {killed} of {} runs killed, {partial} left B partly imported", delays.len());
    assert!(partial >= 2, "some runs are cut off while applying ({partial})");

    ok(b, &import);
    assert_eq!(check_whole_parts(&site, b, &work, "after the last import"), everything);
    assert_eq!(titles(b), titles(a));
}

#[test]
#[allow(clippy::print_stderr)] // how many runs were cut off, and where, is worth seeing
fn an_export_killed_at_any_moment_leaves_the_old_bundle_or_a_whole_new_one() {
    let site = Site::new();
    let (_hq, devices) = team(&site, &["a", "b"]);
    let (a, b) = (&devices[0], &devices[1]);
    let work = fill(&site, a, 10, &[1_000_003, 2_000_029, 4_000_037]);
    let b_id = device_id(b);
    let a_id = device_id(a);
    let stick = site.path("stick");
    std::fs::create_dir(&stick).expect("stick");
    let export = ["bundle", "export", "--out", s(&stick), "--to", &b_id];

    // Two whole exports tell how long one takes (the quicker counts, and so does every later run
    // that ends before its kill: the other tests' load on the machine comes and goes); the
    // second one's file is the complete bundle the killed runs may replace.
    let mut full = timed(a, &export).min(timed(a, &export));
    let target = only_file(&stick);
    let name = target.file_name().expect("name").to_string_lossy().into_owned();
    let mut current = std::fs::read(&target).expect("bundle");
    let counter = |inspected: &Value| inspected["counter"].as_u64().expect("counter");
    let first = json(b, &["bundle", "inspect", s(&target), "--json"]);
    let mut last_counter = counter(&first);

    let points = spread(0x6578_706f_7274, 28);
    let (mut killed, mut replaced) = (0, 0);
    let mut temporaries = BTreeSet::new();
    for (round, point) in points.iter().enumerate() {
        let ended = run_and_kill(a, &export, full.mul_f64(*point));
        let was_killed = ended.is_none();
        killed += usize::from(was_killed);
        full = full.min(ended.unwrap_or(Duration::MAX));
        for entry in std::fs::read_dir(&stick).expect("read the stick") {
            let entry_name = entry.expect("entry").file_name().to_string_lossy().into_owned();
            assert!(entry_name == name || entry_name.starts_with('.'), "round {round}: {entry_name} on the stick");
            if entry_name != name {
                temporaries.insert(entry_name);
            }
        }
        let bytes = std::fs::read(&target).unwrap_or_else(|_| panic!("round {round}: the bundle is gone"));
        if bytes != current {
            let inspected = json(b, &["bundle", "inspect", s(&target), "--json"]);
            assert_eq!(inspected["for_this_device"], true, "round {round}");
            assert_eq!(inspected["sender"].as_str(), Some(a_id.as_str()), "round {round}");
            for what in ["documents", "changes", "case_keys", "attachments"] {
                assert_eq!(inspected[what], first[what], "round {round}: {what} (B acknowledged nothing)");
            }
            assert!(counter(&inspected) > last_counter, "round {round}: a new bundle counts up");
            last_counter = counter(&inspected);
            (current, replaced) = (bytes, replaced + 1);
        } else {
            assert!(was_killed, "round {round}: an export that ended left the old bundle");
        }
    }
    // One export killed while it writes, for sure: its temporary file stays.
    let left_behind = (0..5)
        .find_map(|_| kill_when_hidden_file_appears(a, &export, &stick))
        .expect("an export killed while its temporary file is there");
    assert_eq!(std::fs::read(&target).expect("bundle"), current, "the bundle is untouched while a new one is written");
    temporaries.insert(left_behind);
    // One more export, to its end: does it clear what the killed ones left?
    ok(a, &export);
    let left: Vec<&String> = temporaries.iter().filter(|temporary| stick.join(temporary).exists()).collect();
    eprintln!(
        "export: {full:?} whole; {killed} of {} runs killed, {replaced} replaced the bundle; {} temporaries left by killed runs, {} still there after a whole export",
        points.len(),
        temporaries.len(),
        left.len()
    );
    assert!(killed >= points.len() / 2, "most runs are killed before they end ({killed})");

    // Import reads the bundle and nothing else of the folder.
    let scratch = site.path("b-scratch");
    copy_dir(b, &scratch);
    let imported = json(&scratch, &["bundle", "import", s(&stick), "--json"]);
    assert_eq!(
        (imported["files"].as_u64(), imported["imported"].as_u64(), imported["refused"].as_u64()),
        (Some(1), Some(1), Some(0)),
        "{imported}"
    );
    let held = check_whole_parts(&site, &scratch, &work, "after importing the stick");
    assert_eq!((held.cases, held.arrived, held.arriving_testimonies), (10, 3, 0));
    assert_eq!(titles(&scratch), titles(a));
}
