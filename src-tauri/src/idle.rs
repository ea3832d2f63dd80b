//! The idle auto-lock. It lives here, in Rust, not in the webview: a watcher thread checks the
//! clock twice a second and locks the vault (dropping the `Session`, which zeroizes the keys)
//! once no activity was reported for the chosen number of minutes. It needs nothing from the
//! webview, so it locks even if the page hangs or never answers again.

use std::{
    sync::{Arc, Mutex, PoisonError},
    thread,
    time::{Duration, Instant},
};

use crate::state::{Desktop, LockReason};

/// How often the watcher looks at the clock.
const TICK: Duration = Duration::from_millis(500);

/// When the user last did something, and how long they may stay idle.
#[derive(Debug)]
pub(crate) struct IdleClock {
    inner: Mutex<Clock>,
}

#[derive(Debug, Clone, Copy)]
struct Clock {
    last_activity: Instant,
    timeout: Duration,
}

impl IdleClock {
    /// A clock whose last activity is now.
    pub(crate) fn new(timeout: Duration) -> Self {
        IdleClock { inner: Mutex::new(Clock { last_activity: Instant::now(), timeout }) }
    }

    /// Records activity now.
    pub(crate) fn touch(&self) {
        self.clock().last_activity = Instant::now();
    }

    /// Sets how long the user may stay idle (counted from the last activity).
    pub(crate) fn set_timeout(&self, timeout: Duration) {
        self.clock().timeout = timeout;
    }

    /// Whether the idle limit has passed at `now`.
    pub(crate) fn expired_at(&self, now: Instant) -> bool {
        let clock = *self.clock();
        now.saturating_duration_since(clock.last_activity) >= clock.timeout
    }

    fn clock(&self) -> std::sync::MutexGuard<'_, Clock> {
        // The clock holds two plain values: a panic elsewhere cannot leave it inconsistent.
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// Starts the watcher thread. `on_lock` runs (on the watcher thread) after each idle lock.
pub(crate) fn spawn_watcher(desktop: Arc<Desktop>, on_lock: impl Fn(LockReason) + Send + 'static) -> std::io::Result<()> {
    thread::Builder::new().name("cairn-idle-lock".into()).spawn(move || {
        loop {
            thread::sleep(TICK);
            if desktop.idle.expired_at(Instant::now()) && desktop.lock_if_idle() {
                on_lock(LockReason::Idle);
            }
        }
    })?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_clock_expires_after_the_timeout_and_activity_resets_it() {
        let clock = IdleClock::new(Duration::from_secs(60));
        let start = Instant::now();
        assert!(!clock.expired_at(start));
        assert!(clock.expired_at(start + Duration::from_secs(61)));
        clock.touch();
        assert!(!clock.expired_at(start + Duration::from_secs(30)));
        clock.set_timeout(Duration::from_secs(10));
        assert!(clock.expired_at(Instant::now() + Duration::from_secs(11)));
    }
}
