//! `cairn sync` through the real binary: two processes over loopback converge both ways, a
//! third device gets the first's cases through the second, a deletion spreads, and a stranger
//! or a revoked device is refused with a specific error on both sides.

mod support;

use std::{
    io::{BufRead, BufReader},
    path::Path,
    process::{Child, Stdio},
};

use support::*;

/// `cairn sync serve --once` on a free loopback port, started in the background; returns the
/// child and the address it listens on (read from its first line on standard error).
fn serve_once(vault: &Path) -> (Child, String) {
    spawn(vault, &["sync", "serve", "--listen", "127.0.0.1:0", "--once"])
}

/// Runs `cairn` with `args` in the background; returns the child and the address at the end of
/// its first line on standard error.
fn spawn(vault: &Path, args: &[&str]) -> (Child, String) {
    let mut child = cairn_binary()
        .arg("--vault")
        .arg(vault)
        .args(args)
        .env("CAIRN_PASSPHRASE", PASSPHRASE)
        .env_remove("CAIRN_VAULT")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start the server");
    let mut stderr = BufReader::new(child.stderr.take().expect("stderr"));
    // The first line naming a loopback address (a test vault's warning may come before it).
    let mut addr = String::new();
    for _ in 0..5 {
        let mut line = String::new();
        stderr.read_line(&mut line).expect("a line from the child");
        if let Some(word) = line.split_whitespace().find(|word| word.starts_with("127.0.0.1:")) {
            addr = word.to_owned();
            break;
        }
    }
    assert!(addr.starts_with("127.0.0.1:"), "no address on the child's standard error");
    // Keep draining standard error so the server never blocks on a full pipe.
    std::thread::spawn(move || {
        let mut rest = String::new();
        while stderr.read_line(&mut rest).unwrap_or(0) > 0 {}
    });
    (child, addr)
}

/// Waits for a `serve --once` child and returns its exit code and standard output.
fn finish(child: Child) -> (i32, String) {
    let output = child.wait_with_output().expect("the server ends");
    (output.status.code().expect("exited normally"), String::from_utf8_lossy(&output.stdout).into_owned())
}

/// Syncs `from` (connecting) with `to` (serving); both must succeed.
fn sync(from: &Path, to: &Path) -> serde_json::Value {
    let (server, addr) = serve_once(to);
    let summary = json(from, &["sync", "connect", &addr, "--json"]);
    let (code, _) = finish(server);
    assert_eq!(code, 0, "the serving side failed");
    summary
}

#[test]
fn two_processes_converge_and_a_third_device_gets_the_first_ones_cases_through_the_second() {
    let site = Site::new();
    let (_hq, devices) = team(&site, &["a", "b", "c"]);
    let (a, b, c) = (&devices[0], &devices[1], &devices[2]);
    let case_a = ok(a, &["case", "new", "--title", "회령 구류장 Hoeryong"]).trim().to_owned();
    ok(a, &["person", "add", &case_a, "--pseudonym", "HR-1"]);
    ok(b, &["case", "new", "--title", "Sinuiju crossing"]);
    let summary = sync(a, b);
    assert_eq!(summary["summary"]["documents_sent"], 1);
    assert_eq!(summary["summary"]["documents_received"], 1);
    assert!(summary["summary"]["round_trips"].as_u64().expect("round trips") <= 4);
    assert_eq!(summary["fingerprint"].as_str().map(|f| f.split(' ').count()), Some(6), "the peer's fingerprint is shown");
    assert_eq!(titles(a), titles(b));
    assert_eq!(titles(a).len(), 2);
    // C never meets A: it gets A's case from B.
    sync(c, b);
    assert_eq!(titles(c), titles(a));
    let shown = json(c, &["case", "show", &case_a, "--json"]);
    assert_eq!(shown["persons"][0]["pseudonym"], "HR-1");
    // An edit on C reaches A through B, and nothing moves once all agree.
    ok(c, &["case", "set", &case_a, "title", "회령 구류장 Hoeryong (checked)"]);
    sync(c, b);
    sync(a, b);
    assert!(titles(a).contains(&"회령 구류장 Hoeryong (checked)".to_owned()));
    let idle = sync(a, b);
    assert_eq!(
        (idle["summary"]["documents_sent"].as_u64(), idle["summary"]["documents_received"].as_u64()),
        (Some(0), Some(0))
    );
    let peers = json(a, &["sync", "peers", "--json"]);
    assert_eq!(peers["peers"].as_array().map(Vec::len), Some(1), "A has met B only");
    // A deletion on A spreads to B and then C, and does not come back.
    ok(a, &["case", "delete", &case_a]);
    sync(a, b);
    sync(c, b);
    for vault in [a, b, c] {
        assert_eq!(titles(vault), ["Sinuiju crossing"], "{}", vault.display());
    }
}

#[test]
fn strangers_and_revoked_devices_are_refused_on_both_sides() {
    let site = Site::new();
    let (hq, devices) = team(&site, &["a", "b"]);
    let (a, b) = (&devices[0], &devices[1]);
    ok(a, &["case", "new", "--title", "Not for strangers"]);
    // A device of another organisation: the server closes without a word.
    let other_site = Site::new();
    let (_other_hq, strangers) = team(&other_site, &["stranger"]);
    let (server, addr) = serve_once(a);
    let refused = fails(&strangers[0], &["sync", "connect", &addr], 8);
    assert!(refused.contains("[closed_by_peer]"), "{refused}");
    assert_eq!(finish(server).0, 8);
    // B is revoked at HQ; A learns it from the new roster and refuses B (B is one epoch behind).
    let b_id = json(b, &["device", "fingerprint", "--json"])["device_id"].as_str().expect("id").to_owned();
    ok(&hq, &["org", "revoke", &b_id]);
    distribute_roster(&site, &hq, &[a], "revoked.roster");
    let (server, addr) = serve_once(a);
    let refused = fails(b, &["sync", "connect", &addr], 8);
    assert!(refused.contains("[closed_by_peer]"), "{refused}");
    let (code, _) = finish(server);
    assert_eq!(code, 7, "the refusing side names the revocation (exit 7)");
    assert!(titles(b).is_empty(), "B received nothing");
}

#[test]
fn attachments_travel_between_processes_both_ways_and_only_once() {
    let site = Site::new();
    let (_hq, devices) = team(&site, &["a", "b"]);
    let (a, b) = (&devices[0], &devices[1]);
    let case_a = ok(a, &["case", "new", "--title", "Recording from A"]).trim().to_owned();
    let case_b = ok(b, &["case", "new", "--title", "Scan from B"]).trim().to_owned();
    let recording: Vec<u8> = (0..1_500_000u32).map(|i| (i % 253) as u8).collect();
    let scan: Vec<u8> = (0..90_000u32).map(|i| (i % 241) as u8).collect();
    let (recording_file, scan_file) = (site.path("recording.bin"), site.path("scan.bin"));
    std::fs::write(&recording_file, &recording).expect("write");
    std::fs::write(&scan_file, &scan).expect("write");
    let on_a = json(a, &["attach", &case_a, &recording_file.to_string_lossy(), "--json"]);
    let on_b = json(b, &["attach", &case_b, &scan_file.to_string_lossy(), "--json"]);
    let summary = sync(a, b);
    assert_eq!(summary["summary"]["attachments_sent"], 1);
    assert_eq!(summary["summary"]["attachments_received"], 1);
    let get = |vault: &Path, id: &serde_json::Value, name: &str| {
        let out = site.path(name);
        ok(vault, &["attachment", "get", id.as_str().expect("id"), "--out", &out.to_string_lossy()]);
        std::fs::read(out).expect("exported")
    };
    assert_eq!(get(b, &on_a["id"], "recording-on-b.bin"), recording);
    assert_eq!(get(a, &on_b["id"], "scan-on-a.bin"), scan);
    // Nothing travels again.
    let idle = sync(b, a);
    assert_eq!(
        (idle["summary"]["attachments_sent"].as_u64(), idle["summary"]["attachments_received"].as_u64()),
        (Some(0), Some(0))
    );
    assert!(idle["summary"]["bytes_received"].as_u64().expect("bytes") < 10_000);
}

#[test]
fn a_device_announcing_itself_is_found_on_the_lan_only_when_it_asks_to_be() {
    let site = Site::new();
    let (_hq, devices) = team(&site, &["a", "b"]);
    let (a, b) = (&devices[0], &devices[1]);
    ok(a, &["case", "new", "--title", "Found on the LAN"]);
    let discover = |wait: &str| spawn(b, &["sync", "discover", "--listen-on", "127.0.0.1", "--wait", wait, "--json"]);
    // Serving without --announce: nothing is sent, nothing is found.
    let (listener, udp) = discover("2");
    let (server, _) = serve_once(a);
    let (code, out) = finish(listener);
    assert_eq!(code, 0);
    let found: serde_json::Value = serde_json::from_str(&out).expect("json");
    assert_eq!(found["devices"].as_array().map(Vec::len), Some(0), "nothing announced: {out}");
    // With --announce-to the listener's address: A is found, with its name and fingerprint.
    let (listener, _) = discover("6");
    let (announcer, _) = spawn(a, &["sync", "serve", "--listen", "127.0.0.1:0", "--once", "--announce-to", &udp]);
    let (code, out) = finish(listener);
    assert_eq!(code, 0);
    let found: serde_json::Value = serde_json::from_str(&out).expect("json");
    let device = &found["devices"][0];
    assert_eq!(device["name"], "a", "{out}");
    let a_identity = json(a, &["device", "fingerprint", "--json"]);
    assert_eq!(device["fingerprint"], a_identity["fingerprint"]);
    // B connects to the address it found; the first server (never announced) is still waiting.
    let summary = json(b, &["sync", "connect", device["address"].as_str().expect("address"), "--json"]);
    assert_eq!(summary["summary"]["documents_received"], 1);
    assert_eq!(finish(announcer).0, 0);
    let mut server = server;
    let _ = server.kill();
    let _ = server.wait();
    assert_eq!(titles(b), ["Found on the LAN"]);
}
