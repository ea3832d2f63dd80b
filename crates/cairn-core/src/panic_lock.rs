//! Where the running desktop app answers `cairn lock` on the user's session D-Bus: the one
//! definition both front ends use (the app owns the name; the command line calls `Lock`).
//! Any process of the same user may call it; it can only lock.

/// The well-known name the desktop app owns on the session bus.
pub const BUS_NAME: &str = "org.cairn.Desktop";
/// The object it serves.
pub const OBJECT_PATH: &str = "/org/cairn/Desktop";
/// The interface of its `Lock` method (no arguments; answered once the keys are gone).
pub const INTERFACE: &str = "org.cairn.Desktop1";
/// The method.
pub const LOCK_METHOD: &str = "Lock";
