//! Long work (importing or exporting a large attachment, a live sync): progress for the window,
//! and Cancel.
//!
//! The file's bytes pass through a [`Tracked`] reader or writer on their way into or out of
//! cairn-core. It counts them, reports the count at most ten times a second (the window
//! draws a progress bar from the `work-progress` event), and, once the worker pressed Cancel,
//! fails the next read or write with [`Cancelled::io_error`]. Core then rolls the import's
//! transaction back, or removes the export's temporary file, and answers `cancelled`.

use std::{
    io::{Read, Write},
    sync::{
        Arc, Mutex, PoisonError,
        atomic::{AtomicBool, Ordering},
    },
    time::{Duration, Instant},
};

use cairn_core::cases::Cancelled;
use serde::Serialize;
use ts_rs::TS;

/// The shortest time between two progress reports, so a fast disk does not flood the IPC.
const REPORT_EVERY: Duration = Duration::from_millis(100);

/// The Cancel switch of the work under way. There is at most one piece of long work at a
/// time: each holds the session for its whole run.
#[derive(Debug, Default)]
pub(crate) struct WorkControl {
    cancel: AtomicBool,
    /// The Cancel comes from a lock: the work ends the session's keys before it rolls back.
    locking: AtomicBool,
}

impl WorkControl {
    /// Starts a new piece of work: a Cancel meant for an earlier one no longer counts.
    pub(crate) fn begin(&self) {
        self.locking.store(false, Ordering::SeqCst);
        self.cancel.store(false, Ordering::SeqCst);
    }

    /// Asks the work under way to stop at its next read or write (the worker's Cancel).
    pub(crate) fn cancel(&self) {
        self.cancel.store(true, Ordering::SeqCst);
    }

    /// Asks the work under way to stop because the vault is being locked: an import then
    /// zeroizes the session's keys before its transaction is rolled back
    /// ([`Cancelled::locking_io_error`]), so the lock does not wait for the rollback.
    pub(crate) fn cancel_for_lock(&self) {
        self.locking.store(true, Ordering::SeqCst);
        self.cancel.store(true, Ordering::SeqCst);
    }

    /// The error that stops the work's next read or write, if it was asked to stop.
    fn stop(&self) -> Option<std::io::Error> {
        if !self.cancelled() {
            None
        } else if self.locking.load(Ordering::SeqCst) {
            Some(Cancelled::locking_io_error())
        } else {
            Some(Cancelled::io_error())
        }
    }

    /// Whether Cancel was asked since the work began.
    pub(crate) fn cancelled(&self) -> bool {
        self.cancel.load(Ordering::SeqCst)
    }
}

/// The Cancel switch of a live sync (`commands/sync.rs`). The sync runs as a task on Tauri's
/// async runtime; Cancel, Lock, the auto-lock and sleep abort that task. An abort drops the
/// connection at once; a message the vault is applying at that moment is applied whole or not
/// at all (one transaction), and nothing after it is.
#[derive(Debug, Default)]
pub(crate) struct SyncControl {
    current: Mutex<SyncSlot>,
}

#[derive(Debug, Default)]
enum SyncSlot {
    /// No sync.
    #[default]
    Idle,
    /// A sync was admitted and its task is being started; `cancelled` if Cancel came meanwhile.
    Starting { cancelled: bool },
    /// The task under way.
    Running(tokio::task::AbortHandle),
}

/// Why a sync could not start: another one is under way.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct SyncBusy;

impl SyncControl {
    fn slot(&self) -> std::sync::MutexGuard<'_, SyncSlot> {
        self.current.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Admits one sync at a time (each holds the session for every message it applies, and
    /// one listener or connection is what the worker sees).
    pub(crate) fn admit(&self) -> Result<(), SyncBusy> {
        let mut slot = self.slot();
        if !matches!(*slot, SyncSlot::Idle) {
            return Err(SyncBusy);
        }
        *slot = SyncSlot::Starting { cancelled: false };
        Ok(())
    }

    /// The admitted sync's task started; a Cancel that came before aborts it now.
    pub(crate) fn started(&self, task: tokio::task::AbortHandle) {
        let mut slot = self.slot();
        if matches!(*slot, SyncSlot::Starting { cancelled: true }) {
            task.abort();
        }
        *slot = SyncSlot::Running(task);
    }

    /// The sync ended (done, failed or aborted).
    pub(crate) fn finished(&self) {
        *self.slot() = SyncSlot::Idle;
    }

    /// Aborts the sync under way, if any.
    pub(crate) fn cancel(&self) {
        match &mut *self.slot() {
            SyncSlot::Idle => {}
            SyncSlot::Starting { cancelled } => *cancelled = true,
            SyncSlot::Running(task) => task.abort(),
        }
    }
}

/// How far the work is, as the window sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[ts(rename = "WorkProgress")]
pub(crate) struct Progress {
    /// Bytes read or written so far.
    pub(crate) done: u64,
    /// Bytes in all, when the shell knows (the file to import); the window knows an export's.
    pub(crate) total: Option<u64>,
}

/// Where progress reports go (the window, or a test).
pub(crate) type Report = Arc<dyn Fn(Progress) + Send + Sync>;

/// A reader or writer that counts the bytes passing through, reports them, and stops on Cancel.
pub(crate) struct Tracked<T> {
    inner: T,
    control: Arc<WorkControl>,
    report: Report,
    total: Option<u64>,
    done: u64,
    last_report: Option<Instant>,
}

impl<T> Tracked<T> {
    /// Wraps `inner`. The first read or write is reported at once, then at most every
    /// [`REPORT_EVERY`], and the last one whenever `total` is reached.
    pub(crate) fn new(inner: T, control: Arc<WorkControl>, report: Report, total: Option<u64>) -> Self {
        Tracked { inner, control, report, total, done: 0, last_report: None }
    }

    fn check(&self) -> std::io::Result<()> {
        self.control.stop().map_or(Ok(()), Err)
    }

    fn advance(&mut self, bytes: usize) {
        self.done += bytes as u64;
        let finished = self.total.is_some_and(|total| self.done >= total) && bytes > 0;
        let due = self.last_report.is_none_or(|last| last.elapsed() >= REPORT_EVERY);
        if due || finished {
            self.last_report = Some(Instant::now());
            (self.report)(Progress { done: self.done, total: self.total });
        }
    }
}

impl<R: Read> Read for Tracked<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        self.check()?;
        let read = self.inner.read(buf)?;
        self.advance(read);
        Ok(read)
    }
}

impl<W: Write> Write for Tracked<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.check()?;
        let written = self.inner.write(buf)?;
        self.advance(written);
        Ok(written)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.check()?;
        self.inner.flush()
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use super::*;

    fn recorder() -> (Report, Arc<Mutex<Vec<Progress>>>) {
        let seen = Arc::new(Mutex::new(Vec::new()));
        let sink = seen.clone();
        (Arc::new(move |progress| sink.lock().expect("reports").push(progress)), seen)
    }

    #[test]
    fn progress_is_counted_and_reported_at_most_ten_times_a_second() {
        let (report, seen) = recorder();
        let content = vec![7u8; 1_000_000];
        let mut tracked = Tracked::new(&content[..], Arc::new(WorkControl::default()), report, Some(1_000_000));
        let mut copy = Vec::new();
        // Small reads in a tight loop: thousands of them, but only a few reports.
        let mut buffer = [0u8; 100];
        loop {
            let read = tracked.read(&mut buffer).expect("read");
            if read == 0 {
                break;
            }
            copy.extend_from_slice(&buffer[..read]);
        }
        assert_eq!(copy, content);
        let seen = seen.lock().expect("reports");
        assert_eq!(seen.first(), Some(&Progress { done: 100, total: Some(1_000_000) }));
        assert_eq!(seen.last(), Some(&Progress { done: 1_000_000, total: Some(1_000_000) }));
        assert!(seen.len() <= 4, "{} reports for a copy that took well under a second", seen.len());
        assert!(seen.windows(2).all(|pair| pair[0].done <= pair[1].done));
    }

    #[test]
    fn cancel_fails_the_next_read_or_write_until_the_next_work_begins() {
        let control = Arc::new(WorkControl::default());
        let (report, _) = recorder();
        let mut reader = Tracked::new(&b"abcdef"[..], control.clone(), report.clone(), None);
        let mut writer = Tracked::new(Vec::new(), control.clone(), report, None);
        let mut buffer = [0u8; 3];
        assert_eq!(reader.read(&mut buffer).expect("read"), 3);
        writer.write_all(b"abc").expect("write");
        control.cancel();
        let error = reader.read(&mut buffer).expect_err("cancelled");
        assert!(Cancelled::caused(&error));
        assert!(Cancelled::caused(&writer.write(b"def").expect_err("cancelled")));
        assert_eq!(writer.inner, b"abc");
        control.begin();
        assert_eq!(reader.read(&mut buffer).expect("read again"), 3);
    }
}
