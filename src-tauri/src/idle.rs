//! The idle auto-lock. It lives here, in Rust, not in the webview: a watcher thread checks the
//! clock twice a second and locks the vault (dropping the `Session`, which zeroizes the keys)
//! once no activity was reported for the chosen number of minutes. It needs nothing from the
//! webview, so it locks even if the page hangs or never answers again.
//!
//! A recording or a playback is not the worker's activity: a laptop left recording on a table
//! must still lock. While audio flows, the idle limit is stretched to [`MEDIA_IDLE_LIMIT`]
//! (an interview is rarely shorter than the usual limit, and cutting it would end the
//! recording), and no further: then the vault locks, and the recording up to its last whole
//! piece comes back at the next unlock, marked interrupted.

use std::{
    sync::{Arc, Mutex, PoisonError},
    thread,
    time::{Duration, Instant},
};

use crate::state::{Desktop, LockReason};

/// How often the watcher looks at the clock.
const TICK: Duration = Duration::from_millis(500);

/// The idle limit while a recording or playback is under way (the user's own limit when that
/// is longer): counted from the worker's last input, not from the audio.
pub(crate) const MEDIA_IDLE_LIMIT: Duration = Duration::from_secs(60 * 60);

/// Audio counts as under way until this long after its last piece (the recorder sends one a
/// second; a player reads ahead in larger steps).
const MEDIA_GAP: Duration = Duration::from_secs(30);

/// When the user last did something, and how long they may stay idle.
#[derive(Debug)]
pub(crate) struct IdleClock {
    inner: Mutex<Clock>,
}

#[derive(Debug, Clone, Copy)]
struct Clock {
    last_activity: Instant,
    timeout: Duration,
    /// The last piece of audio recorded or played, if any.
    last_media: Option<Instant>,
}

impl IdleClock {
    /// A clock whose last activity is now.
    pub(crate) fn new(timeout: Duration) -> Self {
        IdleClock { inner: Mutex::new(Clock { last_activity: Instant::now(), timeout, last_media: None }) }
    }

    /// Records activity now.
    pub(crate) fn touch(&self) {
        self.clock().last_activity = Instant::now();
    }

    /// Records a piece of audio recorded or played now: not activity, but while it goes on the
    /// idle limit is [`MEDIA_IDLE_LIMIT`].
    pub(crate) fn touch_media(&self) {
        self.clock().last_media = Some(Instant::now());
    }

    /// Sets how long the user may stay idle (counted from the last activity).
    pub(crate) fn set_timeout(&self, timeout: Duration) {
        self.clock().timeout = timeout;
    }

    /// Whether the idle limit has passed at `now`.
    pub(crate) fn expired_at(&self, now: Instant) -> bool {
        let clock = *self.clock();
        let media = clock.last_media.is_some_and(|last| now.saturating_duration_since(last) < MEDIA_GAP);
        let limit = if media { clock.timeout.max(MEDIA_IDLE_LIMIT) } else { clock.timeout };
        now.saturating_duration_since(clock.last_activity) >= limit
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

    #[test]
    fn audio_stretches_the_limit_to_an_hour_of_no_input_and_no_further() {
        let clock = IdleClock::new(Duration::from_secs(5 * 60));
        let start = clock.clock().last_activity;
        let minutes = |n: u64| start + Duration::from_secs(n * 60);
        let audio_at = |n: u64| clock.clock().last_media = Some(minutes(n));
        assert!(clock.expired_at(minutes(6)), "no audio: the worker's five minutes");
        audio_at(6);
        assert!(!clock.expired_at(minutes(6)), "recording: no lock after five minutes without input");
        audio_at(59);
        assert!(!clock.expired_at(minutes(59)), "nor after 59");
        audio_at(60);
        assert!(clock.expired_at(minutes(60)), "an hour without input locks, audio or not");
        // Once the audio stopped, the worker's own limit applies again.
        audio_at(3);
        assert!(clock.expired_at(minutes(6)));
        clock.touch_media();
        assert!(clock.clock().last_media.is_some());
    }
}
