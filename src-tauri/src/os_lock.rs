//! Locks the vault when the computer is about to sleep or the screen locks, as the desktop
//! announces over D-Bus:
//!
//! - system bus, from systemd-logind (`org.freedesktop.login1`): `Manager.PrepareForSleep(true)`
//!   and `Session.Lock` on this process's own session;
//! - session bus, from the desktop's screensaver: `org.freedesktop.ScreenSaver.ActiveChanged(true)`
//!   and `org.gnome.ScreenSaver.ActiveChanged(true)`.
//!
//! The session-bus thread also answers `cairn lock` (the panic lock from outside the app, e.g.
//! bound to a desktop keyboard shortcut, which works on X11 and Wayland alike): it owns the name
//! [`PANIC_LOCK_NAME`] and on its `Lock` method hides the window, locks and reloads the page (the
//! `on_panic` callback) before it answers. Any process of this user may call it: it can only lock.
//!
//! Each bus has its own thread holding its connection, like the idle watcher it needs nothing
//! from the webview. A missing bus (a headless machine, a container without logind) is not an
//! error: the thread tries again now and then, and the idle lock works regardless.
//!
//! While awake, the system-bus thread holds a logind "delay" inhibitor, so that logind waits
//! (a few seconds at most) for the vault to be locked before the machine sleeps; it lets go as
//! soon as the vault is locked and takes a new one after waking.

use std::{
    sync::{Arc, mpsc},
    thread,
    time::Duration,
};

use dbus::{
    Path,
    arg::OwnedFd,
    blocking::Connection,
    channel::{BusType, Channel},
    message::MatchRule,
};

use crate::state::{Desktop, LockReason};

/// logind's well-known name; only root's logind can own it on the system bus, so filtering on
/// it keeps other users' processes from locking this vault.
const LOGIND: &str = "org.freedesktop.login1";
const LOGIND_PATH: &str = "/org/freedesktop/login1";
const LOGIND_MANAGER: &str = "org.freedesktop.login1.Manager";
const LOGIND_SESSION: &str = "org.freedesktop.login1.Session";
/// The screensaver interfaces whose `ActiveChanged(true)` locks. Not filtered on sender:
/// desktops own these names from different processes, and a false alarm can only lock.
const SCREENSAVERS: [&str; 2] = ["org.freedesktop.ScreenSaver", "org.gnome.ScreenSaver"];

#[cfg(test)]
use cairn_core::panic_lock::OBJECT_PATH as PANIC_LOCK_PATH;
/// The session-bus name the app owns for `cairn lock`, its object and interface.
use cairn_core::panic_lock::{BUS_NAME as PANIC_LOCK_NAME, INTERFACE as PANIC_LOCK_INTERFACE, LOCK_METHOD};

/// How long to wait for logind to answer a method call.
const CALL_TIMEOUT: Duration = Duration::from_secs(5);
/// How long one wait for a message lasts (any message, or none, ends it).
const WAIT: Duration = Duration::from_secs(60);
/// How long to wait before connecting again to a bus that is missing or went away.
const RETRY: Duration = Duration::from_secs(30);

/// A bus to listen on.
#[derive(Debug, Clone)]
pub(crate) enum Bus {
    /// The system bus (`DBUS_SYSTEM_BUS_ADDRESS`, or the standard socket).
    System,
    /// The user's session bus (`DBUS_SESSION_BUS_ADDRESS`).
    Session,
    /// A bus at this address (tests start their own).
    #[cfg_attr(not(test), allow(dead_code))]
    Address(String),
}

/// Which announcements to listen for on a bus.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Announcements {
    /// logind's: sleep, and the lock of this process's session.
    Logind,
    /// The screensaver's.
    ScreenSaver,
}

/// What the lock callback is.
type OnLock = Arc<dyn Fn(LockReason) + Send + Sync>;

/// The panic lock: hide the window, lock, reload (the desktop's `main.rs`).
pub(crate) type OnPanic = Arc<dyn Fn() + Send + Sync>;

/// An announcement heard, decoded by a match callback and acted on by the listening loop.
#[derive(Debug)]
enum Heard {
    /// `cairn lock` called `Lock`: lock, then answer this call.
    PanicLock(dbus::Message),
    /// `PrepareForSleep`: true before sleeping, false after waking.
    PrepareForSleep(bool),
    /// The session or screen was locked, or the screensaver started.
    ScreenLocked,
}

/// Starts listening on the system and session buses. `on_lock` runs (on a listener thread)
/// after each lock this caused, like the idle watcher's.
pub(crate) fn spawn_watchers(
    desktop: Arc<Desktop>,
    on_lock: impl Fn(LockReason) + Send + Sync + 'static,
    on_panic: OnPanic,
) -> std::io::Result<()> {
    let on_lock: OnLock = Arc::new(on_lock);
    let hooks = Hooks { on_lock: on_lock.clone(), on_panic: on_panic.clone() };
    spawn_listener(Bus::System, Announcements::Logind, desktop.clone(), hooks, None)?;
    spawn_listener(Bus::Session, Announcements::ScreenSaver, desktop, Hooks { on_lock, on_panic }, None)?;
    Ok(())
}

/// What a listener calls: after a lock, and for the panic lock.
#[derive(Clone)]
pub(crate) struct Hooks {
    /// Called after the vault was locked by an announcement (if anything was open).
    pub(crate) on_lock: OnLock,
    /// Called for `cairn lock`.
    pub(crate) on_panic: OnPanic,
}

/// Starts one listener thread. Once it listens, it sends its connection's unique bus name to
/// `ready` (for tests, which must not announce anything before that).
pub(crate) fn spawn_listener(
    bus: Bus,
    announcements: Announcements,
    desktop: Arc<Desktop>,
    hooks: Hooks,
    mut ready: Option<mpsc::Sender<String>>,
) -> std::io::Result<thread::JoinHandle<()>> {
    let name = match announcements {
        Announcements::Logind => "cairn-logind-lock",
        Announcements::ScreenSaver => "cairn-screen-lock",
    };
    thread::Builder::new().name(name.into()).spawn(move || {
        loop {
            // Errors are not reported: there is nothing to tell the worker, and nothing to
            // log that would help (the bus is missing, or went away).
            if let Ok(connection) = connect(&bus) {
                let _ = listen(&connection, announcements, &desktop, &hooks, &mut ready);
            }
            thread::sleep(RETRY);
        }
    })
}

/// Opens a private connection to `bus` (private: the listener's matches and blocking waits
/// must not share a connection with anything else in the process).
fn connect(bus: &Bus) -> Result<Connection, dbus::Error> {
    let channel = match bus {
        Bus::System => Channel::get_private(BusType::System)?,
        Bus::Session => Channel::get_private(BusType::Session)?,
        Bus::Address(address) => {
            let mut channel = Channel::open_private(address)?;
            channel.register()?;
            channel
        }
    };
    Ok(Connection::from(channel))
}

/// Subscribes, then acts on what is heard until the connection fails.
fn listen(
    connection: &Connection,
    announcements: Announcements,
    desktop: &Desktop,
    hooks: &Hooks,
    ready: &mut Option<mpsc::Sender<String>>,
) -> Result<(), dbus::Error> {
    let on_lock = &hooks.on_lock;
    let (heard, hearing) = mpsc::channel();
    let mut inhibitor = None;
    match announcements {
        Announcements::Logind => {
            let sleep = MatchRule::new_signal(LOGIND_MANAGER, "PrepareForSleep").with_sender(LOGIND).with_path(LOGIND_PATH);
            let sender = heard.clone();
            connection.add_match(sleep, move |(starting,): (bool,), _, _| {
                let _ = sender.send(Heard::PrepareForSleep(starting));
                true
            })?;
            // Without a session (started outside a login session) there is no session lock
            // to hear; sleep still locks.
            if let Some(session) = own_session(connection) {
                let lock = MatchRule::new_signal(LOGIND_SESSION, "Lock").with_sender(LOGIND).with_path(session);
                let sender = heard.clone();
                connection.add_match(lock, move |(): (), _, _| {
                    let _ = sender.send(Heard::ScreenLocked);
                    true
                })?;
            }
            inhibitor = delay_sleep(connection);
        }
        Announcements::ScreenSaver => {
            // `cairn lock`: owning the name is best effort (a second app instance keeps
            // listening for the screensaver without it).
            if connection.request_name(PANIC_LOCK_NAME, false, true, false).is_ok() {
                let sender = heard.clone();
                dbus::channel::MatchingReceiver::start_receive(
                    connection,
                    MatchRule::new_method_call().with_interface(PANIC_LOCK_INTERFACE).with_member(LOCK_METHOD),
                    Box::new(move |call: dbus::Message, _: &Connection| {
                        let _ = sender.send(Heard::PanicLock(call));
                        true
                    }),
                );
            }
            for interface in SCREENSAVERS {
                let sender = heard.clone();
                connection.add_match(
                    MatchRule::new_signal(interface, "ActiveChanged"),
                    move |(active,): (bool,), _, _| {
                        if active {
                            let _ = sender.send(Heard::ScreenLocked);
                        }
                        true
                    },
                )?;
            }
        }
    }
    if let Some(ready) = ready.take() {
        let _ = ready.send(connection.unique_name().to_string());
    }
    loop {
        connection.process(WAIT)?;
        if !connection.channel().is_connected() {
            return Ok(());
        }
        for event in hearing.try_iter() {
            match event {
                Heard::PrepareForSleep(true) => {
                    lock(desktop, on_lock, LockReason::Sleep);
                    // Locked: logind may go ahead.
                    drop(inhibitor.take());
                }
                Heard::PrepareForSleep(false) => {
                    if inhibitor.is_none() {
                        inhibitor = delay_sleep(connection);
                    }
                }
                Heard::ScreenLocked => lock(desktop, on_lock, LockReason::ScreenLocked),
                Heard::PanicLock(call) => {
                    (hooks.on_panic)();
                    // Answered once the keys are gone, so `cairn lock` reports what happened.
                    let _ = dbus::channel::Sender::send(connection, call.method_return());
                }
            }
        }
    }
}

/// Locks, and tells the window if anything was open.
fn lock(desktop: &Desktop, on_lock: &OnLock, reason: LockReason) {
    if desktop.lock(reason) {
        on_lock(reason);
    }
}

/// The object path of this process's logind session: by process id, else by
/// `XDG_SESSION_ID`. `None` when logind knows of none.
fn own_session(connection: &Connection) -> Option<Path<'static>> {
    let logind = connection.with_proxy(LOGIND, LOGIND_PATH, CALL_TIMEOUT);
    let by_pid: Result<(Path<'static>,), _> = logind.method_call(LOGIND_MANAGER, "GetSessionByPID", (std::process::id(),));
    if let Ok((path,)) = by_pid {
        return Some(path);
    }
    let id = std::env::var("XDG_SESSION_ID").ok()?;
    let by_id: Result<(Path<'static>,), _> = logind.method_call(LOGIND_MANAGER, "GetSession", (id,));
    by_id.ok().map(|(path,)| path)
}

/// Asks logind to wait for us before sleeping; the wait lasts while the returned descriptor is
/// open. `None` if logind refuses or is not there (then sleep may outrun the lock).
fn delay_sleep(connection: &Connection) -> Option<OwnedFd> {
    let logind = connection.with_proxy(LOGIND, LOGIND_PATH, CALL_TIMEOUT);
    let inhibit: Result<(OwnedFd,), _> =
        logind.method_call(LOGIND_MANAGER, "Inhibit", ("sleep", "Cairn", "Lock the case vault before sleeping", "delay"));
    inhibit.ok().map(|(fd,)| fd)
}

#[cfg(test)]
mod tests {
    use std::{
        io::{BufRead, BufReader},
        process::{Child, Command, Stdio},
        sync::Mutex,
    };

    use cairn_core::{KdfChoice, SecretString, create_vault};
    use dbus::{Message, channel::MatchingReceiver};

    use super::*;
    use crate::{options::Options, settings::Settings, state::PhaseName};

    const OUR_SESSION: &str = "/org/freedesktop/login1/session/_33";
    const OTHER_SESSION: &str = "/org/freedesktop/login1/session/_34";

    /// A private message bus, stopped when dropped.
    struct PrivateBus {
        daemon: Child,
        address: String,
    }

    impl PrivateBus {
        fn start() -> Self {
            let mut daemon = Command::new("dbus-daemon")
                .args(["--session", "--nofork", "--print-address"])
                .stdout(Stdio::piped())
                // It complains it may not raise its file limit when not root: not our concern.
                .stderr(Stdio::null())
                .spawn()
                .expect("dbus-daemon (Debian package dbus-daemon, installed by scripts/setup-desktop)");
            let mut address = String::new();
            BufReader::new(daemon.stdout.take().expect("stdout")).read_line(&mut address).expect("the bus address");
            PrivateBus { daemon, address: address.trim().to_owned() }
        }
    }

    impl Drop for PrivateBus {
        fn drop(&mut self) {
            let _ = self.daemon.kill();
            let _ = self.daemon.wait();
        }
    }

    /// What the fake desktop's thread is asked to do.
    enum Order {
        /// Send this message.
        Send(Message),
        /// Ping this connection; signal when it answered.
        Ping(String, mpsc::Sender<()>),
    }

    /// A ping sent (its serial) and whom to tell when it is answered.
    type PendingPing = (u32, mpsc::Sender<()>);

    /// Plays logind (owning its name, answering its methods) and the screensaver, on a thread
    /// of its own, so that it answers while the listeners call logind.
    struct FakeDesktop {
        commands: mpsc::Sender<Order>,
        /// The method calls logind received: member and first argument, as text.
        calls: Arc<Mutex<Vec<String>>>,
    }

    impl FakeDesktop {
        /// A logind that refuses every sleep delay.
        fn on(address: &str) -> Self {
            Self::granting(address, None)
        }

        /// A logind that grants one sleep delay: the write end of `delay` (the test keeps the
        /// read end, which reaches end-of-file once the last holder closes it).
        fn granting(address: &str, delay: Option<std::io::PipeWriter>) -> Self {
            let delay = Mutex::new(delay);
            let connection = connect(&Bus::Address(address.to_owned())).expect("connect");
            connection.request_name(LOGIND, false, false, true).expect("own logind's name");
            let calls = Arc::new(Mutex::new(Vec::new()));
            let seen = calls.clone();
            connection.start_receive(
                MatchRule::new_method_call(),
                Box::new(move |call: Message, connection: &Connection| {
                    let member = call.member().map(|member| member.to_string()).unwrap_or_default();
                    let granted = if member == "Inhibit" { delay.lock().expect("delay").take() } else { None };
                    let reply = if member == "GetSessionByPID" {
                        seen.lock().expect("calls").push(format!("{member} {}", call.read1::<u32>().unwrap_or(0)));
                        call.method_return().append1(Path::from(OUR_SESSION))
                    } else if let Some(writer) = granted {
                        seen.lock().expect("calls").push(format!("{member} {} granted", call.read1::<&str>().unwrap_or("")));
                        let raw = std::os::fd::IntoRawFd::into_raw_fd(std::os::fd::OwnedFd::from(writer));
                        // SAFETY: `raw` was just released by an `OwnedFd`, so the descriptor is
                        // open and owned by nothing else; dbus's `OwnedFd` takes that ownership.
                        #[allow(unsafe_code)]
                        let fd = unsafe { <OwnedFd as std::os::fd::FromRawFd>::from_raw_fd(raw) };
                        call.method_return().append1(fd)
                    } else {
                        seen.lock().expect("calls").push(format!("{member} {}", call.read1::<&str>().unwrap_or("")));
                        call.error(&"org.freedesktop.DBus.Error.NotSupported".into(), c"not in this test")
                    };
                    let _ = dbus::channel::Sender::send(connection, reply);
                    true
                }),
            );
            let pending: Arc<Mutex<Vec<PendingPing>>> = Arc::default();
            let answered = pending.clone();
            let mut returns = MatchRule::new();
            returns.msg_type = Some(dbus::MessageType::MethodReturn);
            connection.start_receive(
                returns,
                Box::new(move |reply: Message, _: &Connection| {
                    let mut pending = answered.lock().expect("pending");
                    if let Some(at) = pending.iter().position(|(serial, _)| Some(*serial) == reply.get_reply_serial()) {
                        let _ = pending.remove(at).1.send(());
                    }
                    true
                }),
            );
            let (commands, orders) = mpsc::channel();
            thread::spawn(move || {
                loop {
                    // The bus goes away when the test ends.
                    if connection.process(Duration::from_millis(20)).is_err() {
                        return;
                    }
                    loop {
                        match orders.try_recv() {
                            Ok(Order::Send(message)) => {
                                dbus::channel::Sender::send(&connection, message).expect("send");
                            }
                            Ok(Order::Ping(listener, done)) => {
                                let ping = Message::new_method_call(listener, "/", "org.freedesktop.DBus.Peer", "Ping")
                                    .expect("ping");
                                let serial = dbus::channel::Sender::send(&connection, ping).expect("send");
                                pending.lock().expect("pending").push((serial, done));
                            }
                            Err(mpsc::TryRecvError::Empty) => break,
                            Err(mpsc::TryRecvError::Disconnected) => return,
                        }
                    }
                }
            });
            FakeDesktop { commands, calls }
        }

        fn announce(&self, path: &str, interface: &str, member: &str, argument: Option<bool>) {
            let mut signal = Message::new_signal(path, interface, member).expect("signal");
            if let Some(argument) = argument {
                signal = signal.append1(argument);
            }
            self.commands.send(Order::Send(signal)).expect("fake desktop");
        }

        /// Returns once `listener` has handled everything announced so far: messages from one
        /// connection arrive in order, and a listener answers a ping only after what came before.
        fn barrier(&self, listener: &str) {
            let (done, answered) = mpsc::channel();
            self.commands.send(Order::Ping(listener.to_owned(), done)).expect("fake desktop");
            answered.recv_timeout(Duration::from_secs(20)).expect("the listener answered");
        }

        fn calls(&self) -> Vec<String> {
            self.calls.lock().expect("calls").clone()
        }
    }

    fn open_desktop(dir: &std::path::Path) -> Arc<Desktop> {
        let options = Options {
            vault_dir: dir.join("vault"),
            settings_file: dir.join("settings.json"),
            insecure_fast_kdf: true,
            folder_for_tests: None,
        };
        let desktop = Arc::new(Desktop::new(options, Settings::default()));
        let passphrase = SecretString::from("river crossing at dawn");
        let (session, _code) =
            create_vault(&desktop.options.vault_dir, &passphrase, KdfChoice::InsecureTestOnly).expect("vault");
        desktop.open(session);
        desktop
    }

    fn reopen(desktop: &Desktop) {
        let session = cairn_core::unlock_vault(&desktop.options.vault_dir, &SecretString::from("river crossing at dawn"))
            .expect("unlock");
        desktop.open(session);
    }

    #[test]
    fn sleep_and_screen_locks_announced_on_the_bus_lock_the_vault() {
        let bus = PrivateBus::start();
        let fake = FakeDesktop::on(&bus.address);
        let dir = tempfile::tempdir().expect("tempdir");
        let desktop = open_desktop(dir.path());
        let (locked, locks) = mpsc::channel();
        let on_lock: OnLock = Arc::new(move |reason| locked.send(reason).expect("send"));
        // Both listeners on the one private bus, through the same code as the real buses.
        let mut listeners = Vec::new();
        for announcements in [Announcements::Logind, Announcements::ScreenSaver] {
            let (ready, started) = mpsc::channel();
            let bus = Bus::Address(bus.address.clone());
            let hooks = Hooks { on_lock: on_lock.clone(), on_panic: Arc::new(|| {}) };
            spawn_listener(bus, announcements, desktop.clone(), hooks, Some(ready)).expect("spawn");
            listeners.push(started.recv_timeout(Duration::from_secs(20)).expect("the listener started"));
        }
        let (session, inhibit) = (format!("GetSessionByPID {}", std::process::id()), "Inhibit sleep".to_owned());
        assert_eq!(fake.calls(), [session.clone(), inhibit.clone()]);
        let barrier = || listeners.iter().for_each(|listener| fake.barrier(listener));

        // Waking, the screensaver stopping, and another session's lock: nothing locks.
        fake.announce(LOGIND_PATH, LOGIND_MANAGER, "PrepareForSleep", Some(false));
        fake.announce("/org/freedesktop/ScreenSaver", SCREENSAVERS[0], "ActiveChanged", Some(false));
        fake.announce("/org/gnome/ScreenSaver", SCREENSAVERS[1], "ActiveChanged", Some(false));
        fake.announce(OTHER_SESSION, LOGIND_SESSION, "Lock", None);
        barrier();
        assert_eq!(locks.try_recv(), Err(mpsc::TryRecvError::Empty));
        assert_eq!(desktop.phase_name(), PhaseName::Unlocked);
        // Awake again, the listener asked for a new sleep delay (this logind refuses them).
        assert_eq!(fake.calls(), [session, inhibit.clone(), inhibit]);

        // Each of these locks.
        let locking = [
            (LOGIND_PATH, LOGIND_MANAGER, "PrepareForSleep", Some(true), LockReason::Sleep),
            ("/org/freedesktop/ScreenSaver", SCREENSAVERS[0], "ActiveChanged", Some(true), LockReason::ScreenLocked),
            ("/org/gnome/ScreenSaver", SCREENSAVERS[1], "ActiveChanged", Some(true), LockReason::ScreenLocked),
            (OUR_SESSION, LOGIND_SESSION, "Lock", None, LockReason::ScreenLocked),
        ];
        for (path, interface, member, argument, reason) in locking {
            fake.announce(path, interface, member, argument);
            assert_eq!(locks.recv_timeout(Duration::from_secs(10)), Ok(reason), "{interface}.{member}");
            assert_eq!(desktop.phase_name(), PhaseName::Locked);
            assert_eq!(desktop.last_lock(), Some(reason));
            reopen(&desktop);
        }
        // Already locked: a second announcement changes nothing and tells the window nothing.
        assert!(desktop.lock(LockReason::User));
        fake.announce(LOGIND_PATH, LOGIND_MANAGER, "PrepareForSleep", Some(true));
        barrier();
        assert_eq!(locks.try_recv(), Err(mpsc::TryRecvError::Empty));
        assert_eq!(desktop.last_lock(), Some(LockReason::User));
    }

    #[test]
    fn the_sleep_delay_is_held_until_the_vault_is_locked_and_a_spoofed_logind_is_ignored() {
        let bus = PrivateBus::start();
        let (mut delay_read, delay_write) = std::io::pipe().expect("pipe");
        let fake = FakeDesktop::granting(&bus.address, Some(delay_write));
        let dir = tempfile::tempdir().expect("tempdir");
        let desktop = open_desktop(dir.path());
        let (locked, locks) = mpsc::channel();
        let on_lock: OnLock = Arc::new(move |reason| locked.send(reason).expect("send"));
        let (ready, started) = mpsc::channel();
        let address = Bus::Address(bus.address.clone());
        let hooks = Hooks { on_lock, on_panic: Arc::new(|| {}) };
        spawn_listener(address, Announcements::Logind, desktop.clone(), hooks, Some(ready)).expect("spawn");
        let listener = started.recv_timeout(Duration::from_secs(20)).expect("the listener started");
        assert_eq!(fake.calls(), [format!("GetSessionByPID {}", std::process::id()), "Inhibit sleep granted".to_owned()]);
        // The delay ends when its last holder closes it: note the phase the vault was in then.
        let (released, release) = mpsc::channel();
        let watched = desktop.clone();
        thread::spawn(move || {
            let mut rest = Vec::new();
            let _ = std::io::Read::read_to_end(&mut delay_read, &mut rest);
            let _ = released.send(watched.phase_name());
        });

        // Another process on the bus (not logind's name owner) announcing sleep or this
        // session's lock: nothing locks and the delay is kept.
        let spoofer = connect(&Bus::Address(bus.address.clone())).expect("connect");
        for (path, interface, member, argument) in
            [(LOGIND_PATH, LOGIND_MANAGER, "PrepareForSleep", Some(true)), (OUR_SESSION, LOGIND_SESSION, "Lock", None)]
        {
            let mut signal = Message::new_signal(path, interface, member).expect("signal");
            if let Some(argument) = argument {
                signal = signal.append1(argument);
            }
            dbus::channel::Sender::send(&spoofer, signal).expect("send");
        }
        // Answered only after the listener handled what the spoofer sent before.
        let ping: Result<(), dbus::Error> = spoofer.with_proxy(listener.as_str(), "/", Duration::from_secs(20)).method_call(
            "org.freedesktop.DBus.Peer",
            "Ping",
            (),
        );
        ping.expect("the listener answered");
        assert_eq!(locks.try_recv(), Err(mpsc::TryRecvError::Empty));
        assert_eq!(desktop.phase_name(), PhaseName::Unlocked);
        assert_eq!(release.try_recv(), Err(mpsc::TryRecvError::Empty), "the delay is still held");

        // logind announces sleep: the vault locks, and only then is the delay let go.
        fake.announce(LOGIND_PATH, LOGIND_MANAGER, "PrepareForSleep", Some(true));
        assert_eq!(locks.recv_timeout(Duration::from_secs(10)), Ok(LockReason::Sleep));
        assert_eq!(release.recv_timeout(Duration::from_secs(10)), Ok(PhaseName::Locked));
    }

    #[test]
    fn cairn_lock_over_the_session_bus_runs_the_panic_lock_before_it_answers() {
        let bus = PrivateBus::start();
        let dir = tempfile::tempdir().expect("tempdir");
        let desktop = open_desktop(dir.path());
        let (panicked, panics) = mpsc::channel();
        let locking = desktop.clone();
        let on_panic: OnPanic = Arc::new(move || {
            locking.lock(LockReason::Panic);
            panicked.send(locking.phase_name()).expect("send");
        });
        let (ready, started) = mpsc::channel();
        let hooks = Hooks { on_lock: Arc::new(|_| {}), on_panic };
        spawn_listener(Bus::Address(bus.address.clone()), Announcements::ScreenSaver, desktop.clone(), hooks, Some(ready))
            .expect("spawn");
        started.recv_timeout(Duration::from_secs(20)).expect("the listener started");
        assert_eq!(desktop.phase_name(), PhaseName::Unlocked);
        // What `cairn lock` does, from another connection: the answer comes after the lock.
        let caller = connect(&Bus::Address(bus.address.clone())).expect("connect");
        let answer: Result<(), dbus::Error> = caller
            .with_proxy(PANIC_LOCK_NAME, PANIC_LOCK_PATH, Duration::from_secs(20))
            .method_call(PANIC_LOCK_INTERFACE, LOCK_METHOD, ());
        answer.expect("the app answered");
        assert_eq!(panics.try_recv(), Ok(PhaseName::Locked), "the panic lock ran before the answer");
        assert_eq!(desktop.last_lock(), Some(LockReason::Panic));
    }

    #[test]
    fn a_missing_bus_is_tolerated() {
        assert!(connect(&Bus::Address("unix:path=/nonexistent/cairn-test-bus".to_owned())).is_err());
        let dir = tempfile::tempdir().expect("tempdir");
        let desktop = open_desktop(dir.path());
        let bus = Bus::Address("unix:path=/nonexistent/cairn-test-bus".to_owned());
        let (ready, started) = mpsc::channel();
        let listener = spawn_listener(
            bus,
            Announcements::Logind,
            desktop.clone(),
            Hooks { on_lock: Arc::new(|_| {}), on_panic: Arc::new(|| {}) },
            Some(ready),
        )
        .expect("spawn");
        assert_eq!(started.recv_timeout(Duration::from_millis(500)), Err(mpsc::RecvTimeoutError::Timeout));
        assert!(!listener.is_finished(), "the listener waits to try again; it did not panic");
        assert_eq!(desktop.phase_name(), PhaseName::Unlocked);
    }
}
