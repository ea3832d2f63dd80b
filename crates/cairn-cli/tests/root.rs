//! `cairn org root …` and `--root-file` through the real binary (issue 12, item 6): the root
//! key kept offline in a root key file, the next root key committed to, and a rotation that a
//! device follows with an ordinary `roster import`; refusals have exit codes and stable codes.

mod support;

use std::path::Path;

use support::*;

const ROOT_PASSPHRASE: &str = "루트 키 금고 root key phrase";
const NEXT_PASSPHRASE: &str = "다음 루트 키 next root phrase";

/// `cairn --vault DIR ARGS…` with `env` set too.
fn run_with(vault: &Path, args: &[&str], env: &[(&str, &str)]) -> std::process::Output {
    let mut command = command(vault, args);
    for (name, value) in env {
        command.env(name, value);
    }
    command.output().expect("run cairn")
}

fn ok_with(vault: &Path, args: &[&str], env: &[(&str, &str)]) -> String {
    let output = run_with(vault, args, env);
    assert_eq!(exit_code(&output), 0, "cairn {args:?}: {}", stderr(&output));
    stdout(&output)
}

fn fails_with(vault: &Path, args: &[&str], env: &[(&str, &str)], code: i32, error: &str) {
    let output = run_with(vault, args, env);
    assert_eq!(exit_code(&output), code, "cairn {args:?}: {}{}", stdout(&output), stderr(&output));
    assert!(stderr(&output).contains(&format!("[{error}]")), "expected {error}: {}", stderr(&output));
}

fn root_status(vault: &Path, env: &[(&str, &str)], extra: &[&str]) -> serde_json::Value {
    let mut args = vec!["org", "root", "status", "--json"];
    args.extend_from_slice(extra);
    serde_json::from_str(&ok_with(vault, &args, env)).expect("json")
}

#[test]
fn the_root_leaves_the_vault_and_rosters_are_issued_with_its_file() {
    let site = Site::new();
    let (hq, fingerprint) = site.hq("hq");
    let device = member(&site, &hq, &fingerprint, "field");
    assert_eq!(root_status(&hq, &[], &[])["in_vault"], true);
    let root_file = site.path("root.key");
    let new_root = [("CAIRN_NEW_ROOT_PASSPHRASE", ROOT_PASSPHRASE)];
    ok_with(&hq, &["org", "root", "export", "--out", s(&root_file)], &new_root);
    // Never overwritten: the file may be the only copy of the key.
    let output = run_with(&hq, &["org", "root", "export", "--out", s(&root_file)], &new_root);
    assert_eq!(exit_code(&output), 2, "{}", stderr(&output));
    assert!(stderr(&output).contains("never overwritten"), "{}", stderr(&output));
    assert_eq!(root_status(&hq, &[], &[])["in_vault"], false);
    // Without the file nothing is signed; with it (and its passphrase) rosters are issued.
    fails_with(&hq, &["org", "roster", "--renew", "--out", s(&site.path("r1"))], &[], 7, "root_offline");
    let file = ["--root-file", s(&root_file)];
    let wrong = [("CAIRN_ROOT_PASSPHRASE", "not the root key phrase")];
    let r2 = site.path("r2");
    let mut args = vec!["org", "roster", "--renew", "--out", s(&r2)];
    args.extend_from_slice(&file);
    fails_with(&hq, &args, &wrong, 7, "root_file_locked");
    let right = [("CAIRN_ROOT_PASSPHRASE", ROOT_PASSPHRASE)];
    ok_with(&hq, &args, &right);
    ok(&device, &["roster", "import", s(&site.path("r2"))]);
    // Enrollment with the file given after the subcommand.
    let late = site.vault("late");
    let request = site.path("late.request");
    ok(&late, &["device", "request", "--out", s(&request)]);
    let late_fingerprint = device_fingerprint(&late);
    let enroll =
        ["org", "enroll", s(&request), "--role", "field", "--name", "late", "--expect-fingerprint", &late_fingerprint];
    let mut args = enroll.to_vec();
    args.extend_from_slice(&file);
    ok_with(&hq, &args, &right);
}

#[test]
fn an_organisation_begun_offline_commits_rotates_and_devices_follow() {
    let site = Site::new();
    let hq = site.vault("hq");
    let root_file = site.path("root.key");
    let new_root = [("CAIRN_NEW_ROOT_PASSPHRASE", ROOT_PASSPHRASE)];
    let printed = ok_with(&hq, &["org", "init", "--name", "Org", "--root-out", s(&root_file)], &new_root);
    assert!(printed.contains("never held it"), "{printed}");
    let status = root_status(&hq, &[], &[]);
    assert_eq!((status["in_vault"].clone(), status["next_committed"].clone()), (false.into(), false.into()));
    let old_fingerprint = status["fingerprint"].as_str().expect("fingerprint").to_owned();
    let right = [("CAIRN_ROOT_PASSPHRASE", ROOT_PASSPHRASE)];
    let file = ["--root-file", s(&root_file)];

    // Enroll two devices with the file; one will miss the commitment.
    let devices: Vec<_> = ["field-a", "field-b"]
        .iter()
        .map(|name| {
            let vault = site.vault(name);
            let request = site.path(&format!("{name}.request"));
            ok(&vault, &["device", "request", "--out", s(&request)]);
            let expect = device_fingerprint(&vault);
            let mut args =
                vec!["org", "enroll", s(&request), "--role", "field", "--name", name, "--expect-fingerprint", &expect];
            args.extend_from_slice(&file);
            ok_with(&hq, &args, &right);
            let roster = site.roster(&hq, &format!("{name}.roster"));
            ok(&vault, &["roster", "import", s(&roster), "--expect-fingerprint", &old_fingerprint]);
            vault
        })
        .collect();

    // Pre-rotation: the next root key in its own file, committed to.
    let next_file = site.path("next.key");
    let with_next = [("CAIRN_ROOT_PASSPHRASE", ROOT_PASSPHRASE), ("CAIRN_NEW_ROOT_PASSPHRASE", NEXT_PASSPHRASE)];
    let mut args = vec!["org", "root", "commit-next", "--out", s(&next_file)];
    args.extend_from_slice(&file);
    ok_with(&hq, &args, &with_next);
    assert_eq!(root_status(&hq, &[], &[])["next_committed"], true);
    let committed = site.roster(&hq, "committed.roster");
    ok(&devices[0], &["roster", "import", s(&committed)]);

    // Rotation with the next key's file; the key after it goes to a new file.
    let following = site.path("following.key");
    let rotate = ["org", "root", "rotate", "--next", s(&next_file), "--following-out", s(&following)];
    fails_with(
        &hq,
        &rotate,
        &[("CAIRN_NEXT_ROOT_PASSPHRASE", "a wrong next passphrase"), ("CAIRN_NEW_ROOT_PASSPHRASE", ROOT_PASSPHRASE)],
        7,
        "root_file_locked",
    );
    assert!(!following.exists(), "a failed rotation leaves no key file behind");
    let printed = ok_with(
        &hq,
        &rotate,
        &[("CAIRN_NEXT_ROOT_PASSPHRASE", NEXT_PASSPHRASE), ("CAIRN_NEW_ROOT_PASSPHRASE", ROOT_PASSPHRASE)],
    );
    let new_fingerprint = root_status(&hq, &[], &[])["fingerprint"].as_str().expect("fingerprint").to_owned();
    assert_ne!(new_fingerprint, old_fingerprint);
    assert!(printed.contains(&new_fingerprint), "{printed}");
    // The old root's file no longer opens the organisation; the next one's does.
    let x = site.path("x");
    let args = ["org", "roster", "--renew", "--out", s(&x), "--root-file", s(&root_file)];
    fails_with(&hq, &args, &right, 7, "wrong_root_key");
    let rotated = site.path("rotated.roster");
    ok_with(
        &hq,
        &["org", "roster", "--renew", "--out", s(&rotated), "--root-file", s(&next_file)],
        &[("CAIRN_ROOT_PASSPHRASE", NEXT_PASSPHRASE)],
    );

    // The device that held the commitment follows, and says so.
    let printed = ok(&devices[0], &["roster", "import", s(&rotated)]);
    assert!(printed.contains("rotated") && printed.contains(&new_fingerprint), "{printed}");
    assert_eq!(identity(&devices[0])["organisation_fingerprint"], new_fingerprint.as_str());
    // The one that missed it refuses, unchanged, until it is re-pinned in person.
    let before = show(&devices[1]);
    let output = cairn(&devices[1], &["roster", "import", s(&rotated)]);
    assert_eq!(exit_code(&output), 7);
    assert!(stderr(&output).contains("[uncommitted_root]"), "{}", stderr(&output));
    assert_eq!(show(&devices[1]), before);
}
