//! Helpers shared by the `cairn` integration tests that need several vaults: running the real
//! binary, and a site of vaults enrolled in one organisation.
#![allow(dead_code, unreachable_pub)]

use std::{
    path::{Path, PathBuf},
    process::Output,
};

pub const PASSPHRASE: &str = "correct horse battery staple";

/// The command line that runs the `cairn` binary under test: the binary alone, or, when
/// `CAIRN_TEST_RUNNER` names a command (words split on spaces), that command followed by the
/// binary. A cross build needs its emulator there, since a machine without binfmt_misc cannot
/// exec a foreign binary (scripts/test-arm64 runs the arm64 build under qemu-user).
pub fn cairn_command_line() -> Vec<std::ffi::OsString> {
    let runner = std::env::var("CAIRN_TEST_RUNNER").unwrap_or_default();
    let mut line: Vec<std::ffi::OsString> = runner.split_whitespace().map(Into::into).collect();
    line.push(env!("CARGO_BIN_EXE_cairn").into());
    line
}

/// Whether the binary runs through `CAIRN_TEST_RUNNER` (see [`cairn_command_line`]): then what
/// is measured from outside the process, such as its peak memory, includes the emulator's.
pub fn emulated() -> bool {
    cairn_command_line().len() > 1
}

/// The `cairn` binary under test (see [`cairn_command_line`]), to be given arguments and run.
pub fn cairn_binary() -> std::process::Command {
    let line = cairn_command_line();
    let mut command = std::process::Command::new(&line[0]);
    command.args(&line[1..]);
    command
}

/// `cairn --vault DIR ARGS…` with the passphrase in the environment and no terminal, to be run.
pub fn command(vault: &Path, args: &[&str]) -> std::process::Command {
    let mut command = cairn_binary();
    command.arg("--vault").arg(vault).args(args).env("CAIRN_PASSPHRASE", PASSPHRASE).env_remove("CAIRN_VAULT");
    command.stdin(std::process::Stdio::null());
    command
}

/// Runs `cairn --vault DIR ARGS…` (see [`command`]) to its end.
pub fn cairn(vault: &Path, args: &[&str]) -> Output {
    command(vault, args).output().expect("run cairn")
}

pub fn exit_code(output: &Output) -> i32 {
    output.status.code().expect("exited normally")
}

pub fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

pub fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// Runs a command that must succeed.
pub fn ok(vault: &Path, args: &[&str]) -> String {
    let output = cairn(vault, args);
    assert_eq!(exit_code(&output), 0, "cairn {args:?}: {}", stderr(&output));
    stdout(&output)
}

/// Runs a command that must fail with `code`, and returns its stderr.
pub fn fails(vault: &Path, args: &[&str], code: i32) -> String {
    let output = cairn(vault, args);
    assert_eq!(exit_code(&output), code, "cairn {args:?}: {}{}", stdout(&output), stderr(&output));
    stderr(&output)
}

pub fn json(vault: &Path, args: &[&str]) -> serde_json::Value {
    serde_json::from_str(&ok(vault, args)).expect("json")
}

pub fn s(path: &Path) -> &str {
    path.to_str().expect("utf-8 path")
}

/// Copies the folder `from` (a vault at rest, or a stick) to the new folder `to`, recursively.
pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir(to).expect("create the copy");
    for entry in std::fs::read_dir(from).expect("read the folder") {
        let entry = entry.expect("entry");
        let target = to.join(entry.file_name());
        if entry.file_type().expect("file type").is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).expect("copy a file");
        }
    }
}

/// A temp folder holding vaults and the files carried between them.
pub struct Site {
    pub dir: tempfile::TempDir,
}

impl Site {
    pub fn new() -> Site {
        Site { dir: tempfile::tempdir().expect("tempdir") }
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// A fresh vault (insecure test KDF).
    pub fn vault(&self, name: &str) -> PathBuf {
        let vault = self.path(name);
        ok(&vault, &["init", "--insecure-fast-kdf"]);
        vault
    }

    /// A fresh HQ vault and its organisation fingerprint.
    pub fn hq(&self, name: &str) -> (PathBuf, String) {
        let vault = self.vault(name);
        ok(&vault, &["org", "init", "--name", "압록강 지원 Yalu support"]);
        let fingerprint = identity(&vault)["organisation_fingerprint"].as_str().expect("pinned").to_owned();
        (vault, fingerprint)
    }

    /// Writes `vault`'s enrollment request and has `hq` enroll it, confirming the fingerprint
    /// read from the device.
    pub fn enroll(&self, hq: &Path, vault: &Path, role: &str, name: &str) {
        let request = self.path(&format!("{name}.request"));
        ok(vault, &["device", "request", "--out", s(&request)]);
        let fingerprint = device_fingerprint(vault);
        ok(hq, &["org", "enroll", s(&request), "--role", role, "--name", name, "--expect-fingerprint", &fingerprint]);
    }

    /// Exports `hq`'s current roster to a new file.
    pub fn roster(&self, hq: &Path, name: &str) -> PathBuf {
        let file = self.path(name);
        ok(hq, &["org", "roster", "--out", s(&file)]);
        file
    }
}

pub fn identity(vault: &Path) -> serde_json::Value {
    json(vault, &["device", "fingerprint", "--json"])
}

pub fn device_fingerprint(vault: &Path) -> String {
    identity(vault)["fingerprint"].as_str().expect("fingerprint").to_owned()
}

pub fn device_id(vault: &Path) -> String {
    identity(vault)["device_id"].as_str().expect("device id").to_owned()
}

pub fn show(vault: &Path) -> serde_json::Value {
    json(vault, &["roster", "show", "--json"])
}

/// A device enrolled at `hq` that imported its first roster.
pub fn member(site: &Site, hq: &Path, hq_fingerprint: &str, name: &str) -> PathBuf {
    let vault = site.vault(name);
    site.enroll(hq, &vault, "field", name);
    let roster = site.roster(hq, &format!("{name}.first.roster"));
    ok(&vault, &["roster", "import", s(&roster), "--expect-fingerprint", hq_fingerprint]);
    vault
}

/// Imports `hq`'s current roster on every vault of `members` that does not hold it yet.
pub fn distribute_roster(site: &Site, hq: &Path, members: &[&Path], name: &str) {
    let roster = site.roster(hq, name);
    for member in members {
        let output = cairn(member, &["roster", "import", s(&roster)]);
        let held = exit_code(&output) == 7 && stderr(&output).contains("[roster_replay]");
        assert!(exit_code(&output) == 0 || held, "roster import: {}", stderr(&output));
    }
}

/// HQ and field devices named `names`, every one holding the roster that lists them all.
pub fn team(site: &Site, names: &[&str]) -> (PathBuf, Vec<PathBuf>) {
    let (hq, fingerprint) = site.hq("hq");
    let devices: Vec<PathBuf> = names.iter().map(|name| member(site, &hq, &fingerprint, name)).collect();
    let refs: Vec<&Path> = devices.iter().map(PathBuf::as_path).collect();
    distribute_roster(site, &hq, &refs, "all.roster");
    (hq, devices)
}

/// The titles of every case in `vault`, sorted.
pub fn titles(vault: &Path) -> Vec<String> {
    let list = json(vault, &["case", "list", "--json"]);
    let mut titles: Vec<String> = list["cases"]
        .as_array()
        .expect("cases")
        .iter()
        .map(|case| case["title"].as_str().expect("title").to_owned())
        .collect();
    titles.sort();
    titles
}
