//! `cairn lock` through the real binary, on a private session bus: it asks whoever owns the
//! app's name to lock and waits for the answer; with no app running it says so and succeeds;
//! without a session bus it fails with a clear code.
mod support;

use std::{
    io::{BufRead, BufReader},
    process::{Child, Command, Stdio},
    sync::{Arc, Mutex},
    thread,
    time::Duration,
};

use cairn_core::panic_lock::{BUS_NAME, INTERFACE, LOCK_METHOD, OBJECT_PATH};
use dbus::{blocking::Connection, channel::MatchingReceiver, message::MatchRule};
use support::*;

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
            .stderr(Stdio::null())
            .spawn()
            .expect("dbus-daemon (installed by scripts/setup-desktop)");
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

fn lock_on(address: &str) -> std::process::Output {
    let dir = tempfile::tempdir().expect("tempdir");
    command(&dir.path().join("no-vault"), &["lock"]).env("DBUS_SESSION_BUS_ADDRESS", address).output().expect("run cairn")
}

#[test]
fn cairn_lock_asks_the_running_app_and_waits_for_its_answer() {
    let bus = PrivateBus::start();
    // No app: nothing to lock, and no vault or passphrase is needed to say so.
    let alone = lock_on(&bus.address);
    assert_eq!(exit_code(&alone), 0, "{}", stderr(&alone));
    assert!(stdout(&alone).contains("not running"), "{}", stdout(&alone));

    // An app owning the name: it receives Lock (as the desktop's listener does) and answers.
    let app = Connection::from({
        let mut channel = dbus::channel::Channel::open_private(&bus.address).expect("open");
        channel.register().expect("register");
        channel
    });
    app.request_name(BUS_NAME, false, true, false).expect("own the name");
    let calls = Arc::new(Mutex::new(Vec::new()));
    let seen = calls.clone();
    app.start_receive(
        MatchRule::new_method_call(),
        Box::new(move |call: dbus::Message, connection: &Connection| {
            seen.lock().expect("calls").push(format!(
                "{} {} {}",
                call.path().map(|p| p.to_string()).unwrap_or_default(),
                call.interface().map(|i| i.to_string()).unwrap_or_default(),
                call.member().map(|m| m.to_string()).unwrap_or_default()
            ));
            let _ = dbus::channel::Sender::send(connection, call.method_return());
            true
        }),
    );
    let serving = thread::spawn(move || {
        for _ in 0..200 {
            let _ = app.process(Duration::from_millis(50));
        }
    });
    let locked = lock_on(&bus.address);
    assert_eq!(exit_code(&locked), 0, "{}", stderr(&locked));
    assert!(stdout(&locked).contains("Locked."), "{}", stdout(&locked));
    assert_eq!(*calls.lock().expect("calls"), [format!("{OBJECT_PATH} {INTERFACE} {LOCK_METHOD}")]);
    drop(serving);
}

#[test]
fn without_a_session_bus_it_fails_clearly() {
    let output = lock_on("unix:path=/nonexistent/cairn-test-bus");
    assert_eq!(exit_code(&output), 1);
    assert!(stderr(&output).contains("[lock_no_session_bus]"), "{}", stderr(&output));
}
