//! Panic lock with a large import or a recording under way (issue 13.1): the time from the key press to the
//! keys gone, measured on the path the desktop app takes (`src-tauri/src/state.rs`): the session
//! sits behind one mutex; the lock sets the import's Cancel switch for a lock, and waits for the
//! mutex. The import's next read fails; it zeroizes the master and wrapping keys, then rolls its
//! transaction back and releases the session; the lock drops the session (database closed,
//! SQLCipher's copy of K_db with it). A recording appends one second of audio
//! (8 KiB, 64 kbit/s) per call, each call taking the mutex as an app command does; the lock
//! waits for at most the append under way. The baseline is the same lock with nothing under
//! way, in the same run.
//!
//! `cargo bench -p cairn-core --bench panic_lock` (`CAIRN_BENCH_MB` sets the import's size,
//! default 200; the lock comes once a quarter of it has been read). Median of 5 each.
#![allow(missing_docs, clippy::print_stdout, clippy::unwrap_used, clippy::expect_used)]

use std::{
    io::Read,
    sync::{
        Arc, Mutex,
        atomic::{AtomicBool, AtomicU64, Ordering},
    },
    time::{Duration, Instant},
};

use cairn_core::{KdfChoice, SecretString, Session, cases::Cancelled, create_vault, testing::watch_key_loss, unlock_vault};

mod support;
use support::Rng;

const PASSPHRASE: &str = "bench passphrase long";

/// An endless source of random bytes that stops with [`Cancelled::locking_io_error`] once
/// `cancel` is set, as the app's tracked reader does when the vault is being locked.
struct Source {
    rng: Rng,
    read: Arc<AtomicU64>,
    limit: u64,
    cancel: Arc<AtomicBool>,
}

impl Read for Source {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if self.cancel.load(Ordering::SeqCst) {
            return Err(Cancelled::locking_io_error());
        }
        let done = self.read.load(Ordering::SeqCst);
        let n = buf.len().min((self.limit - done) as usize) & !7;
        for word in buf[..n].chunks_exact_mut(8) {
            word.copy_from_slice(&self.rng.next().to_le_bytes());
        }
        self.read.fetch_add(n as u64, Ordering::SeqCst);
        Ok(n)
    }
}

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

/// Seconds of audio recorded before the lock, in the recording scenario.
const RECORDED_SECONDS: u64 = 120;

/// Appends one-second pieces to a recording until the session is gone.
fn record(phase: Arc<Mutex<Option<Session>>>, case: cairn_core::cases::ObjectId, appended: Arc<AtomicU64>) {
    let recording = phase.lock().unwrap().as_mut().unwrap().start_recording(&case, None, "audio/webm;codecs=opus").unwrap();
    let mut rng = Rng(0x0dd5_eed5_0000_0001);
    let mut offset = 0u64;
    loop {
        let mut piece = vec![0u8; 8192];
        for word in piece.chunks_exact_mut(8) {
            word.copy_from_slice(&rng.next().to_le_bytes());
        }
        let mut guard = phase.lock().unwrap();
        let Some(session) = guard.as_mut() else { return };
        offset = session.append_recording(&recording, offset, &piece).unwrap();
        drop(guard);
        appended.fetch_add(1, Ordering::SeqCst);
    }
}

/// What one lock took, from the key press.
struct Timings {
    /// The master and wrapping keys zeroized (by the import, before its rollback; else by the
    /// session's drop).
    keys_zeroized: Duration,
    /// The session dropped: the database closed, SQLCipher's copy of K_db gone.
    session_closed: Duration,
    /// The import's rollback finished (with an import).
    rollback: Option<Duration>,
}

/// One lock; with `import_bytes`, while an import of that size is a quarter read; with
/// `recording`, after [`RECORDED_SECONDS`] of audio.
fn lock_once(root: &std::path::Path, round: usize, import_bytes: Option<u64>, recording: bool) -> Timings {
    let path = root.join(format!("vault-{round}-{}-{recording}", import_bytes.is_some()));
    let (mut session, _) = create_vault(&path, &SecretString::from(PASSPHRASE), KdfChoice::InsecureTestOnly).unwrap();
    let case = session.create_case("panic lock bench").unwrap();
    let zeroized_at: Arc<Mutex<Option<Instant>>> = Arc::default();
    let seen = zeroized_at.clone();
    watch_key_loss(&mut session, move |moment| {
        assert!(moment.keys_zeroized && moment.transaction_open);
        *seen.lock().unwrap() = Some(Instant::now());
    });
    let phase: Arc<Mutex<Option<Session>>> = Arc::new(Mutex::new(Some(session)));
    let cancel = Arc::new(AtomicBool::new(false));
    let read = Arc::new(AtomicU64::new(0));
    let importer = import_bytes.map(|limit| {
        let (phase, cancel, read) = (phase.clone(), cancel.clone(), read.clone());
        std::thread::spawn(move || {
            let mut guard = phase.lock().unwrap();
            let session = guard.as_mut().unwrap();
            let mut source = Source { rng: Rng(0x5eed_0bad_cafe_f00d), read, limit, cancel };
            let outcome = session.attach_reader(&case, "interview.wav", &mut source, true);
            let rolled_back_at = Instant::now();
            assert!(outcome.is_err(), "the import was not cut off");
            drop(guard);
            rolled_back_at
        })
    });
    let appended = Arc::new(AtomicU64::new(0));
    let recorder = recording.then(|| {
        let (phase, appended) = (phase.clone(), appended.clone());
        std::thread::spawn(move || record(phase, case, appended))
    });
    if let Some(limit) = import_bytes {
        while read.load(Ordering::SeqCst) < limit / 4 {
            std::thread::sleep(Duration::from_millis(2));
        }
    }
    while recording && appended.load(Ordering::SeqCst) < RECORDED_SECONDS {
        std::thread::sleep(Duration::from_millis(2));
    }
    // The key press.
    let pressed = Instant::now();
    cancel.store(true, Ordering::SeqCst);
    let session = phase.lock().unwrap().take().unwrap();
    session.lock();
    let session_closed = pressed.elapsed();
    let rollback = importer.map(|thread| thread.join().unwrap().duration_since(pressed));
    let zeroized_at = *zeroized_at.lock().unwrap();
    assert_eq!(zeroized_at.is_some(), import_bytes.is_some(), "only an import zeroizes the keys before it ends");
    let keys_zeroized = zeroized_at.map_or(session_closed, |at| at.duration_since(pressed));
    if let Some(rollback) = rollback {
        assert!(keys_zeroized < rollback, "the keys went after the rollback");
    }
    if let Some(thread) = recorder {
        thread.join().unwrap();
    }
    // Nothing of the import was kept, the recording's complete pieces come back, and the
    // vault opens whole.
    let mut session = unlock_vault(&path, &SecretString::from(PASSPHRASE)).unwrap();
    session.check_integrity().unwrap();
    assert_eq!(session.status().unwrap().case_count, 1);
    assert_eq!(session.recover_recordings().unwrap().len(), usize::from(recording), "the recording is salvaged");
    session.lock();
    Timings { keys_zeroized, session_closed, rollback }
}

fn main() {
    let mb: u64 = std::env::var("CAIRN_BENCH_MB").ok().and_then(|value| value.parse().ok()).unwrap_or(200);
    let root = tempfile::tempdir().unwrap();
    let mut runs: [Vec<Timings>; 3] = Default::default();
    for round in 0..5 {
        runs[0].push(lock_once(root.path(), round, None, false));
        runs[1].push(lock_once(root.path(), round, Some(mb << 20), false));
        runs[2].push(lock_once(root.path(), round, None, true));
    }
    let ms = |duration: Duration| duration.as_secs_f64() * 1e3;
    let medians = |timings: &[Timings]| {
        (
            median(timings.iter().map(|t| t.keys_zeroized).collect()),
            median(timings.iter().map(|t| t.session_closed).collect()),
            timings.iter().map(|t| t.rollback).collect::<Option<Vec<_>>>().map(median),
        )
    };
    let (idle_keys, idle_closed, _) = medians(&runs[0]);
    println!("panic lock: from the key press, median of 5");
    println!(
        "| under way | master and wrapping keys zeroized | ratio to idle | import rolled back | session closed (SQLCipher's key) |"
    );
    println!("|---|---|---|---|---|");
    let names = [
        "nothing (baseline)".to_owned(),
        format!("import of {mb} MB, a quarter read"),
        format!("recording, {RECORDED_SECONDS} s recorded"),
    ];
    for (name, timings) in names.iter().zip(&runs) {
        let (keys, closed, rollback) = medians(timings);
        println!(
            "| {name} | {:.2} ms | {:.1}× | {} | {:.2} ms ({:.1}×) |",
            ms(keys),
            keys.as_secs_f64() / idle_keys.as_secs_f64(),
            rollback.map_or(String::new(), |rollback| format!("{:.2} ms", ms(rollback))),
            ms(closed),
            closed.as_secs_f64() / idle_closed.as_secs_f64()
        );
    }
}
