//! The `cairn` vault commands through the real binary: output, exit codes, messages.

mod support;

use std::{path::Path, process::Output};

const PASSPHRASE: &str = "correct horse battery staple";

/// Runs `cairn` on the vault in `dir` with the given environment; no terminal attached.
fn cairn(dir: &Path, env: &[(&str, &str)], args: &[&str]) -> Output {
    let mut command = support::cairn_binary();
    command.arg("--vault").arg(dir).args(args).env_remove("CAIRN_PASSPHRASE").env_remove("CAIRN_VAULT");
    command.stdin(std::process::Stdio::null());
    for (key, value) in env {
        command.env(key, value);
    }
    command.output().expect("run cairn")
}

fn exit_code(output: &Output) -> i32 {
    output.status.code().expect("exited normally")
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// A fresh vault (insecure test KDF) and the recovery code `init` printed.
fn init(dir: &Path) -> String {
    let output = cairn(dir, &[("CAIRN_PASSPHRASE", PASSPHRASE)], &["init", "--insecure-fast-kdf"]);
    assert_eq!(exit_code(&output), 0, "{}", stderr(&output));
    stdout(&output)
        .lines()
        .map(str::trim)
        .find(|line| line.len() == 39 && line.matches('-').count() == 7)
        .expect("recovery code printed")
        .to_owned()
}

fn status_json(dir: &Path, passphrase: &str) -> serde_json::Value {
    let output = cairn(dir, &[("CAIRN_PASSPHRASE", passphrase)], &["status", "--json", "--check"]);
    assert_eq!(exit_code(&output), 0, "{}", stderr(&output));
    serde_json::from_str(&stdout(&output)).expect("json")
}

#[test]
fn init_then_status_reports_the_test_profile() {
    let dir = tempfile::tempdir().expect("tempdir");
    init(dir.path());
    let status = status_json(dir.path(), PASSPHRASE);
    assert_eq!(status["format_version"], 4, "vault header v4: K_wrap, a checksum and the unlock guard kept in vault.keys");
    assert_eq!(status["unlock_limit"], serde_json::Value::Null);
    assert_eq!(status["kdf"]["algorithm"], "argon2id");
    assert_eq!(status["kdf"]["insecure_test_profile"], true);
    assert_eq!(status["cases"], 0);
    assert_eq!(status["integrity_checked"], true);
    assert_eq!(status["device_id"].as_str().expect("device id").len(), 32);
    let text = cairn(dir.path(), &[("CAIRN_PASSPHRASE", PASSPHRASE)], &["status"]);
    assert!(stdout(&text).contains("INSECURE TEST PROFILE"));
    // Every command that opens the vault warns, from the vault's own header, on standard error.
    let listed = cairn(dir.path(), &[("CAIRN_PASSPHRASE", PASSPHRASE)], &["case", "list", "--json"]);
    assert_eq!(exit_code(&listed), 0, "{}", stderr(&listed));
    assert!(stderr(&listed).contains("insecure test-only key derivation"), "{}", stderr(&listed));
    assert!(!stdout(&listed).contains("WARNING"), "the JSON a script reads stays clean");
}

#[test]
fn passphrase_from_a_file() {
    let dir = tempfile::tempdir().expect("tempdir");
    init(dir.path());
    let file = dir.path().join("pass.txt");
    std::fs::write(&file, format!("{PASSPHRASE}\n")).expect("write");
    let output = cairn(dir.path(), &[], &["--passphrase-file", file.to_str().expect("utf-8"), "status"]);
    assert_eq!(exit_code(&output), 0, "{}", stderr(&output));
}

#[test]
fn exit_codes_are_distinct_and_messages_carry_no_secrets() {
    let dir = tempfile::tempdir().expect("tempdir");
    let code = init(dir.path());

    let wrong = cairn(dir.path(), &[("CAIRN_PASSPHRASE", "not the passphrase")], &["status"]);
    assert_eq!(exit_code(&wrong), 3);
    assert!(stderr(&wrong).contains("wrong_passphrase"));
    assert!(!stderr(&wrong).contains("not the passphrase"));

    // The recovery code is not accepted as a passphrase.
    assert_eq!(exit_code(&cairn(dir.path(), &[("CAIRN_PASSPHRASE", &code)], &["status"])), 3);

    let none = tempfile::tempdir().expect("tempdir");
    let missing = cairn(none.path(), &[("CAIRN_PASSPHRASE", PASSPHRASE)], &["status"]);
    assert_eq!(exit_code(&missing), 5);
    assert!(!stderr(&missing).contains(&none.path().display().to_string()), "paths are not echoed");

    assert_eq!(exit_code(&cairn(dir.path(), &[("CAIRN_PASSPHRASE", PASSPHRASE)], &["init"])), 5);
    let weak = tempfile::tempdir().expect("tempdir");
    assert_eq!(exit_code(&cairn(weak.path(), &[("CAIRN_PASSPHRASE", "short")], &["init", "--insecure-fast-kdf"])), 6);
    assert!(!weak.path().join("vault.keys").exists(), "a refused init leaves no vault");

    // No terminal and no passphrase source: a usage error, not a hang.
    assert_eq!(exit_code(&cairn(dir.path(), &[], &["status"])), 2);
    assert_eq!(exit_code(&cairn(dir.path(), &[], &["no-such-command"])), 2);

    std::fs::write(dir.path().join("vault.keys"), b"garbage").expect("write");
    let damaged = cairn(dir.path(), &[("CAIRN_PASSPHRASE", PASSPHRASE)], &["status"]);
    assert_eq!(exit_code(&damaged), 4);
    assert!(stderr(&damaged).contains("vault_damaged"));
}

#[test]
fn passphrase_change_then_recover() {
    let dir = tempfile::tempdir().expect("tempdir");
    let code = init(dir.path());
    let changed = cairn(
        dir.path(),
        &[("CAIRN_PASSPHRASE", PASSPHRASE), ("CAIRN_NEW_PASSPHRASE", "압록강 건너 새벽 세시")],
        &["passphrase", "change"],
    );
    assert_eq!(exit_code(&changed), 0, "{}", stderr(&changed));
    assert_eq!(exit_code(&cairn(dir.path(), &[("CAIRN_PASSPHRASE", PASSPHRASE)], &["status"])), 3);
    status_json(dir.path(), "압록강 건너 새벽 세시");

    let too_weak = cairn(
        dir.path(),
        &[("CAIRN_PASSPHRASE", "압록강 건너 새벽 세시"), ("CAIRN_NEW_PASSPHRASE", "weak")],
        &["passphrase", "change"],
    );
    assert_eq!(exit_code(&too_weak), 6);

    let wrong_code = cairn(
        dir.path(),
        &[
            ("CAIRN_RECOVERY_CODE", "0000-0000-0000-0000-0000-0000-0000-0000"),
            ("CAIRN_NEW_PASSPHRASE", "after recovery 2026"),
        ],
        &["recover"],
    );
    assert_eq!(exit_code(&wrong_code), 3, "{}", stderr(&wrong_code));

    // Typed sloppily: lower case, spaces instead of dashes.
    let sloppy = code.to_lowercase().replace('-', " ");
    let recovered = cairn(
        dir.path(),
        &[("CAIRN_RECOVERY_CODE", &sloppy), ("CAIRN_NEW_PASSPHRASE", "after recovery 2026")],
        &["recover"],
    );
    assert_eq!(exit_code(&recovered), 0, "{}", stderr(&recovered));
    assert_eq!(exit_code(&cairn(dir.path(), &[("CAIRN_PASSPHRASE", "압록강 건너 새벽 세시")], &["status"])), 3);
    status_json(dir.path(), "after recovery 2026");
}

#[test]
fn output_that_cannot_be_written_is_a_clean_error_not_a_crash() {
    // /dev/full refuses every write with "no space left on device", like a full disk behind
    // a redirection.
    let Ok(full) = std::fs::OpenOptions::new().write(true).open("/dev/full") else { return };
    let dir = tempfile::tempdir().expect("tempdir");
    let output = support::cairn_binary()
        .arg("--vault")
        .arg(dir.path())
        .args(["vocab", "list", "--json"])
        .stdin(std::process::Stdio::null())
        .stdout(full)
        .output()
        .expect("run cairn");
    assert_eq!(exit_code(&output), 1, "{}", stderr(&output));
    assert!(stderr(&output).contains("[output_unwritable]"), "{}", stderr(&output));
    assert!(!stderr(&output).contains("panicked"));
}

#[test]
fn a_failed_unlock_wipe_looks_exactly_like_a_wrong_passphrase() {
    let dir = tempfile::tempdir().expect("tempdir");
    let vault = dir.path().join("vault");
    let code = init(&vault);
    // A well-formed code that is not this vault's: another vault's.
    let wrong_code = init(&dir.path().join("other"));
    fn with(passphrase: &str) -> [(&'static str, &str); 1] {
        [("CAIRN_PASSPHRASE", passphrase)]
    }
    // The limit needs the passphrase, and a sensible value.
    let refused = cairn(&vault, &with("wrong passphrase here"), &["unlock-limit", "set", "3"]);
    assert_eq!(exit_code(&refused), 3);
    for bad in ["2", "101"] {
        let refused = cairn(&vault, &with(PASSPHRASE), &["unlock-limit", "set", bad]);
        assert_eq!(exit_code(&refused), 2, "{bad}");
        assert!(stderr(&refused).contains("[unlock_limit_out_of_range]"), "{}", stderr(&refused));
    }
    let ordinary = cairn(&vault, &with("wrong passphrase here"), &["status"]);
    assert_eq!(exit_code(&ordinary), 3);
    let set = cairn(&vault, &with(PASSPHRASE), &["unlock-limit", "set", "3"]);
    assert_eq!(exit_code(&set), 0, "{}", stderr(&set));
    assert!(stdout(&set).contains("not on a copy of the files"));
    assert_eq!(status_json(&vault, PASSPHRASE)["unlock_limit"], 3);
    // N - 1 failures, then the passphrase still opens (and the count starts again).
    for _ in 0..2 {
        let failed = cairn(&vault, &with("wrong passphrase here"), &["status"]);
        assert_eq!((exit_code(&failed), stderr(&failed)), (3, stderr(&ordinary)));
    }
    status_json(&vault, PASSPHRASE);
    // N failures (a wrong recovery code counts too): every answer is the ordinary one.
    let recover = |code: &str| {
        cairn(&vault, &[("CAIRN_RECOVERY_CODE", code), ("CAIRN_NEW_PASSPHRASE", "another long passphrase")], &["recover"])
    };
    let ordinary_recovery = recover(&wrong_code);
    assert_eq!(exit_code(&ordinary_recovery), 3);
    for _ in 0..2 {
        let failed = cairn(&vault, &with("wrong passphrase here"), &["status"]);
        assert_eq!((exit_code(&failed), stderr(&failed)), (3, stderr(&ordinary)));
    }
    // Wiped: the right passphrase and the recovery code now fail exactly as wrong ones do.
    let after = cairn(&vault, &with(PASSPHRASE), &["status"]);
    assert_eq!((exit_code(&after), stderr(&after)), (3, stderr(&ordinary)));
    let after = recover(&code);
    assert_eq!((exit_code(&after), stderr(&after)), (3, stderr(&ordinary_recovery)));
    assert!(vault.join("vault.keys").exists(), "a failed-unlock wipe keeps vault.keys");
}

#[test]
fn wipe_asks_for_confirmation_and_then_leaves_nothing_that_opens() {
    let dir = tempfile::tempdir().expect("tempdir");
    let vault = dir.path().join("vault");
    let code = init(&vault);
    // No terminal to confirm on, no --yes: refused, nothing touched.
    let refused = cairn(&vault, &[], &["wipe"]);
    assert_eq!(exit_code(&refused), 2, "{}", stderr(&refused));
    status_json(&vault, PASSPHRASE);
    let wiped = cairn(&vault, &[], &["wipe", "--yes"]);
    assert_eq!(exit_code(&wiped), 0, "{}", stderr(&wiped));
    assert!(stdout(&wiped).contains("Vault wiped"));
    assert!(!vault.exists(), "the vault folder is gone");
    let status = cairn(&vault, &[("CAIRN_PASSPHRASE", PASSPHRASE)], &["status"]);
    assert_eq!(exit_code(&status), 5);
    let recover =
        cairn(&vault, &[("CAIRN_RECOVERY_CODE", &code), ("CAIRN_NEW_PASSPHRASE", "another long passphrase")], &["recover"]);
    assert_eq!(exit_code(&recover), 5);
    assert_eq!(exit_code(&cairn(&vault, &[], &["wipe", "--yes"])), 5, "nothing left to wipe");
}

#[test]
fn a_duress_unlock_looks_exactly_like_an_ordinary_one_and_opens_the_prepared_decoy() {
    const DURESS: &str = "duress horse battery staple";
    let dir = tempfile::tempdir().expect("tempdir");
    let vault = dir.path().join("vault");
    let code = init(&vault);
    let with = |passphrase: &str| [("CAIRN_PASSPHRASE", passphrase.to_owned())];
    let run = |dir: &Path, env: &[(&str, String)], args: &[&str]| {
        let env: Vec<(&str, &str)> = env.iter().map(|(key, value)| (*key, value.as_str())).collect();
        cairn(dir, &env, args)
    };
    let created = run(&vault, &with(PASSPHRASE), &["case", "new", "--title", "Hoeryong detention"]);
    assert_eq!(exit_code(&created), 0, "{}", stderr(&created));
    // The decoy's source: another vault with a believable case.
    let source = dir.path().join("decoy-source");
    init(&source);
    let made = run(&source, &with(PASSPHRASE), &["case", "new", "--title", "Rice price notes"]);
    assert_eq!(exit_code(&made), 0, "{}", stderr(&made));

    // The duress passphrase must be new, and strong like a passphrase.
    let same = run(
        &vault,
        &[("CAIRN_PASSPHRASE", PASSPHRASE.into()), ("CAIRN_DURESS_PASSPHRASE", PASSPHRASE.into())],
        &["duress", "set"],
    );
    assert_eq!(exit_code(&same), 2, "{}", stderr(&same));
    assert!(stderr(&same).contains("[duress_not_distinct]"), "{}", stderr(&same));
    let as_code = run(
        &vault,
        &[("CAIRN_PASSPHRASE", PASSPHRASE.into()), ("CAIRN_DURESS_PASSPHRASE", code.clone())],
        &["duress", "set"],
    );
    assert_eq!(exit_code(&as_code), 2, "{}", stderr(&as_code));
    let weak = run(
        &vault,
        &[("CAIRN_PASSPHRASE", PASSPHRASE.into()), ("CAIRN_DURESS_PASSPHRASE", "short".into())],
        &["duress", "set"],
    );
    assert_eq!(exit_code(&weak), 6, "{}", stderr(&weak));

    let keys_before = std::fs::metadata(vault.join("vault.keys")).expect("keys").len();
    let set = run(
        &vault,
        &[
            ("CAIRN_PASSPHRASE", PASSPHRASE.into()),
            ("CAIRN_DURESS_PASSPHRASE", DURESS.into()),
            ("CAIRN_DECOY_PASSPHRASE", PASSPHRASE.into()),
        ],
        &["duress", "set", "--decoy", source.to_str().expect("utf-8")],
    );
    assert_eq!(exit_code(&set), 0, "{}", stderr(&set));
    assert!(stdout(&set).contains("a decoy with 1 case."), "{}", stdout(&set));
    assert!(!source.exists(), "the decoy's source vault is wiped");
    assert_eq!(std::fs::metadata(vault.join("vault.keys")).expect("keys").len(), keys_before);
    assert_eq!(status_json(&vault, PASSPHRASE)["duress"], true);

    // What the caller sees of a duress unlock is an ordinary unlock: exit 0, no notice.
    let ordinary = run(&vault, &with(PASSPHRASE), &["case", "list"]);
    let listed = run(&vault, &with(DURESS), &["case", "list", "--json"]);
    assert_eq!(exit_code(&listed), 0, "{}", stderr(&listed));
    assert_eq!(stderr(&listed), stderr(&ordinary));
    let listed: serde_json::Value = serde_json::from_str(&stdout(&listed)).expect("json");
    let titles: Vec<&str> =
        listed["cases"].as_array().expect("cases").iter().map(|case| case["title"].as_str().expect("title")).collect();
    assert_eq!(titles, ["Rice price notes"]);
    assert_eq!(status_json(&vault, DURESS)["duress"], false, "the decoy shows no duress passphrase");

    // The vault's own passphrase and recovery code now answer exactly as wrong ones do.
    let wrong = run(&vault, &with("not the passphrase at all"), &["status"]);
    let after = run(&vault, &with(PASSPHRASE), &["status"]);
    assert_eq!((exit_code(&after), stderr(&after)), (3, stderr(&wrong)));
    let recovered = run(
        &vault,
        &[("CAIRN_RECOVERY_CODE", code), ("CAIRN_NEW_PASSPHRASE", "another long passphrase".into())],
        &["recover"],
    );
    assert_eq!(exit_code(&recovered), 3, "{}", stderr(&recovered));
    let mut files: Vec<String> = std::fs::read_dir(&vault)
        .expect("dir")
        .map(|entry| entry.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    files.sort();
    assert_eq!(files, ["decoy.db", "vault.db", "vault.keys"], "the folder looks as before");
}

#[test]
fn a_rotated_recovery_code_replaces_the_old_one() {
    let dir = tempfile::tempdir().expect("tempdir");
    let old = init(dir.path());
    let recover = |code: &str, passphrase: &str| {
        cairn(dir.path(), &[("CAIRN_RECOVERY_CODE", code), ("CAIRN_NEW_PASSPHRASE", passphrase)], &["recover"])
    };
    let recovered = recover(&old, "a passphrase after recovery");
    assert_eq!(exit_code(&recovered), 0, "{}", stderr(&recovered));
    assert!(stdout(&recovered).contains("cairn recovery-code rotate"));
    let refused = cairn(dir.path(), &[("CAIRN_PASSPHRASE", "not the passphrase at all")], &["recovery-code", "rotate"]);
    assert_eq!(exit_code(&refused), 3);
    let rotated = cairn(dir.path(), &[("CAIRN_PASSPHRASE", "a passphrase after recovery")], &["recovery-code", "rotate"]);
    assert_eq!(exit_code(&rotated), 0, "{}", stderr(&rotated));
    let new = stdout(&rotated)
        .lines()
        .map(str::trim)
        .find(|line| line.len() == 39 && line.matches('-').count() == 7)
        .expect("new code printed")
        .to_owned();
    assert_ne!(new, old);
    assert_eq!(exit_code(&recover(&old, "another passphrase here")), 3, "the old code opens nothing");
    let with_new = recover(&new, "another passphrase here");
    assert_eq!(exit_code(&with_new), 0, "{}", stderr(&with_new));
    status_json(dir.path(), "another passphrase here");
}

#[test]
fn a_damaged_header_is_reported_as_damage_not_as_a_wrong_passphrase() {
    let dir = tempfile::tempdir().expect("tempdir");
    init(dir.path());
    let path = dir.path().join("vault.keys");
    let good = std::fs::read(&path).expect("header");
    // One flipped bit in the passphrase's keyslot, as a failing stick or disk gives.
    let mut damaged = good.clone();
    damaged[100] ^= 0x04;
    std::fs::write(&path, &damaged).expect("write");
    let outcome = cairn(dir.path(), &[("CAIRN_PASSPHRASE", PASSPHRASE)], &["status"]);
    assert_eq!(exit_code(&outcome), 4, "{}", stderr(&outcome));
    assert!(stderr(&outcome).contains("[vault_damaged]"), "{}", stderr(&outcome));
    std::fs::write(&path, &good).expect("restore");
    status_json(dir.path(), PASSPHRASE);
}
