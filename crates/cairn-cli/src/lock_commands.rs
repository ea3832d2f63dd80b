//! `cairn lock`: the panic lock from outside the app. It asks the running desktop app over the
//! user's session D-Bus to lock now (the window disappears, the keys are zeroized, the page
//! reloads) and returns once it has. Bind it to a keyboard shortcut in the desktop's settings:
//! that works on X11 and Wayland alike, whether or not the app has the focus. It needs no
//! vault and no passphrase, and it can only lock.

use std::time::Duration;

use cairn_core::panic_lock::{BUS_NAME, INTERFACE, LOCK_METHOD, OBJECT_PATH};

use crate::output;

/// How long the app may take to lock (a running import is cancelled and rolled back first).
const ANSWER_TIMEOUT: Duration = Duration::from_secs(30);

/// Why the app could not be asked to lock.
#[derive(Debug, thiserror::Error)]
pub(crate) enum LockFailed {
    /// No session bus (not in a desktop session).
    #[error("no desktop session bus: cannot reach the Cairn app")]
    NoSessionBus,
    /// The app did not answer, or answered with an error.
    #[error("the Cairn app did not confirm the lock")]
    NoAnswer,
}

impl LockFailed {
    /// Stable code.
    pub(crate) fn code(&self) -> &'static str {
        match self {
            LockFailed::NoSessionBus => "lock_no_session_bus",
            LockFailed::NoAnswer => "lock_no_answer",
        }
    }
}

/// `cairn lock`.
pub(crate) fn lock() -> anyhow::Result<()> {
    let connection = dbus::blocking::Connection::new_session().map_err(|_| LockFailed::NoSessionBus)?;
    let proxy = connection.with_proxy(BUS_NAME, OBJECT_PATH, ANSWER_TIMEOUT);
    let answer: Result<(), dbus::Error> = proxy.method_call(INTERFACE, LOCK_METHOD, ());
    match answer {
        Ok(()) => {
            output::line("Locked.");
            Ok(())
        }
        // Nobody owns the name: the app is not running, so nothing is open to lock.
        Err(error)
            if matches!(
                error.name(),
                Some("org.freedesktop.DBus.Error.ServiceUnknown" | "org.freedesktop.DBus.Error.NameHasNoOwner")
            ) =>
        {
            output::line("The Cairn app is not running: nothing to lock.");
            Ok(())
        }
        Err(_) => Err(LockFailed::NoAnswer.into()),
    }
}
