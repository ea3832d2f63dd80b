//! The `cairn` team commands through the real binary: enrollment, roster import, revocation,
//! refusals (exit 7) that leave the held roster unchanged, and data-free error messages.

mod support;

use std::path::{Path, PathBuf};

use support::*;

/// Asserts that importing `file` fails with exit 7 and `code`, and changes nothing.
fn refused_import(vault: &Path, file: &Path, extra: &[&str], code: &str) -> String {
    let before = show(vault);
    let mut args = vec!["roster", "import", s(file)];
    args.extend_from_slice(extra);
    let message = fails(vault, &args, 7);
    assert!(message.contains(&format!("[{code}]")), "expected {code}: {message}");
    assert_eq!(show(vault), before, "a refused import ({code}) changed the roster");
    message
}

fn altered(site: &Site, file: &Path, name: &str, edit: impl FnOnce(&mut Vec<u8>)) -> PathBuf {
    let mut bytes = std::fs::read(file).expect("read");
    edit(&mut bytes);
    let out = site.path(name);
    std::fs::write(&out, bytes).expect("write");
    out
}

#[test]
fn every_vault_has_a_device_identity_and_a_request_round_trips_as_qr_text() {
    let site = Site::new();
    let (hq, hq_fingerprint) = site.hq("hq");
    let vault = site.vault("laptop");
    let id = identity(&vault);
    assert_eq!(id["device_id"].as_str().map(str::len), Some(32));
    assert_eq!(id["organisation_fingerprint"], serde_json::Value::Null);
    let fingerprint = device_fingerprint(&vault);
    assert_eq!(fingerprint.split(' ').count(), 6);
    assert!(fingerprint.split(' ').all(|group| group.len() == 5 && group.bytes().all(|b| b.is_ascii_digit())));
    let printed = ok(&vault, &["device", "request", "--out", s(&site.path("req.bin")), "--name", "laptop 3"]);
    assert!(printed.contains(&fingerprint));
    // HQ enrolls from the QR text alone (written to a file as a scanner would).
    let text = printed.lines().find(|line| line.starts_with("CAIRN-ENROLL1:")).expect("QR text");
    std::fs::write(site.path("req.txt"), format!("{text}\n")).expect("write");
    let output = ok(
        &hq,
        &[
            "org",
            "enroll",
            s(&site.path("req.txt")),
            "--role",
            "coordinator",
            "--name",
            "코디 laptop",
            "--expect-fingerprint",
            &fingerprint,
        ],
    );
    assert!(output.contains(&device_id(&vault)));
    let roster = site.roster(&hq, "roster");
    ok(&vault, &["roster", "import", s(&roster), "--expect-fingerprint", &hq_fingerprint.replace(' ', "")]);
    let view = show(&vault);
    assert_eq!(view["this_device"]["standing"]["status"], "member");
    assert_eq!(view["this_device"]["standing"]["role"], "coordinator");
    assert_eq!(view["organisation"]["name"], "압록강 지원 Yalu support");
    assert_eq!(view["organisation"]["fingerprint"], hq_fingerprint.as_str());
    assert_eq!(identity(&vault)["organisation_fingerprint"], hq_fingerprint.as_str());
    let names: Vec<&str> = view["members"].as_array().expect("members").iter().filter_map(|m| m["name"].as_str()).collect();
    assert!(names.contains(&"코디 laptop") && names.contains(&"HQ"), "{names:?}");
}

#[test]
fn enroll_import_revoke_end_to_end() {
    let site = Site::new();
    let (hq, fingerprint) = site.hq("hq");
    let devices: Vec<PathBuf> = (0..3).map(|i| member(&site, &hq, &fingerprint, &format!("field{i}"))).collect();
    let roster = site.roster(&hq, "v4.roster");
    for device in &devices[..2] {
        ok(device, &["roster", "import", s(&roster)]);
    }
    let revoked = device_id(&devices[1]);
    let output = ok(&hq, &["org", "revoke", &revoked]);
    assert!(output.contains("epoch 2"), "{output}");
    let after = site.roster(&hq, "v5.roster");
    for (i, device) in devices.iter().enumerate() {
        let output = ok(device, &["roster", "import", s(&after)]);
        let view = show(device);
        assert_eq!(view["version"], 5);
        assert_eq!(view["epoch"], 2);
        if i == 1 {
            assert!(output.contains("REVOKED"), "{output}");
            assert_eq!(view["this_device"]["standing"]["status"], "revoked");
            assert_eq!(view["held_epochs"], serde_json::json!([1]), "the revoked device got the new epoch");
            assert_eq!(view["organisation"]["name"], serde_json::Value::Null);
        } else {
            assert_eq!(view["this_device"]["standing"]["status"], "member");
            assert_eq!(view["held_epochs"], serde_json::json!([1, 2]));
            assert_eq!(view["revoked"][0]["device_id"], revoked.as_str());
            assert_eq!(view["revoked"][0]["name"], "field1");
            assert_eq!(view["members"].as_array().map(Vec::len), Some(3));
        }
    }
    // Revoking again, revoking HQ itself, or an unknown or mistyped id is refused.
    fails(&hq, &["org", "revoke", &revoked], 7);
    fails(&hq, &["org", "revoke", &device_id(&hq)], 7);
    fails(&hq, &["org", "revoke", &"ab".repeat(16)], 7);
    assert!(fails(&hq, &["org", "revoke", "not-an-id"], 2).contains("invalid_device_id"));
    // A revoked device is never enrolled again.
    let request = site.path("again.request");
    ok(&devices[1], &["device", "request", "--out", s(&request)]);
    let again = fails(
        &hq,
        &[
            "org",
            "enroll",
            s(&request),
            "--role",
            "field",
            "--name",
            "x",
            "--expect-fingerprint",
            &device_fingerprint(&devices[1]),
        ],
        7,
    );
    assert!(again.contains("[device_revoked]"), "{again}");
}

#[test]
fn refused_rosters_exit_7_with_a_specific_error_and_leave_the_roster_unchanged() {
    let site = Site::new();
    let (hq, fingerprint) = site.hq("hq");
    let device = member(&site, &hq, &fingerprint, "field");
    member(&site, &hq, &fingerprint, "other");
    let good = site.roster(&hq, "good.roster");
    // Bad signature: the last byte (in the signature), or one inside the signed body.
    let bad_signature = altered(&site, &good, "bad-sig.roster", |bytes| {
        let last = bytes.len() - 1;
        bytes[last] ^= 0x01;
    });
    refused_import(&device, &bad_signature, &[], "bad_roster_signature");
    let bad_body = altered(&site, &good, "bad-body.roster", |bytes| bytes[120] ^= 0x01);
    refused_import(&device, &bad_body, &[], "bad_roster_signature");
    // Truncated, at several places.
    for (i, keep) in [0usize, 1, 150, 400].into_iter().enumerate() {
        let truncated = altered(&site, &good, &format!("truncated{i}.roster"), |bytes| bytes.truncate(keep));
        refused_import(&device, &truncated, &[], "truncated");
    }
    let short = altered(&site, &good, "short.roster", |bytes| {
        bytes.pop();
    });
    refused_import(&device, &short, &[], "truncated");
    // Another organisation, that enrolled a copy of this device's request.
    let (other_hq, other_fingerprint) = site.hq("other-hq");
    let request = site.path("copy.request");
    ok(&device, &["device", "request", "--out", s(&request)]);
    ok(
        &other_hq,
        &[
            "org",
            "enroll",
            s(&request),
            "--role",
            "field",
            "--name",
            "copy",
            "--expect-fingerprint",
            &device_fingerprint(&device),
        ],
    );
    let foreign = site.roster(&other_hq, "foreign.roster");
    refused_import(&device, &foreign, &[], "wrong_organisation");
    refused_import(&device, &foreign, &["--expect-fingerprint", &other_fingerprint], "wrong_organisation");
    // The genuine roster imports; replaying it, or an older one, is refused.
    let first = site.path("field.first.roster");
    ok(&device, &["roster", "import", s(&good)]);
    refused_import(&device, &good, &[], "roster_replay");
    refused_import(&device, &first, &[], "roster_replay");
    // A wrong organisation fingerprint is refused even when the roster is genuine.
    ok(&hq, &["org", "revoke", &device_id(&site.path("other"))]);
    let newer = site.roster(&hq, "newer.roster");
    refused_import(&device, &newer, &["--expect-fingerprint", &other_fingerprint], "fingerprint_mismatch");
    ok(&device, &["roster", "import", s(&newer)]);
    assert_eq!(show(&device)["version"], 4);
}

#[test]
fn the_first_import_needs_the_organisation_fingerprint() {
    let site = Site::new();
    let (hq, fingerprint) = site.hq("hq");
    let (_, other_fingerprint) = site.hq("other-hq");
    let device = site.vault("field");
    site.enroll(&hq, &device, "field", "field");
    let roster = site.roster(&hq, "roster");
    // Without a terminal and without the flag: a usage error, nothing imported.
    let message = fails(&device, &["roster", "import", s(&roster)], 2);
    assert!(message.contains("fingerprint"), "{message}");
    let message = fails(&device, &["roster", "import", s(&roster), "--expect-fingerprint", &other_fingerprint], 7);
    assert!(message.contains("[fingerprint_mismatch]"), "{message}");
    let message = fails(&device, &["roster", "import", s(&roster), "--expect-fingerprint", "1234"], 2);
    assert!(message.contains("[malformed_fingerprint]"), "{message}");
    assert!(fails(&device, &["roster", "show"], 7).contains("[no_roster]"));
    ok(&device, &["roster", "import", s(&roster), "--expect-fingerprint", &fingerprint]);
    // A vault not on the roster refuses it.
    let stranger = site.vault("stranger");
    let message = fails(&stranger, &["roster", "import", s(&roster), "--expect-fingerprint", &fingerprint], 7);
    assert!(message.contains("[not_on_roster]"), "{message}");
}

#[test]
fn an_enrollment_request_whose_self_signature_does_not_match_is_refused() {
    let site = Site::new();
    let (hq, _) = site.hq("hq");
    let device = site.vault("field");
    let request = site.path("field.request");
    ok(&device, &["device", "request", "--out", s(&request), "--name", "field"]);
    let fingerprint = device_fingerprint(&device);
    let roster_before = show(&hq);
    let enroll = |file: &Path, expect: &str| {
        cairn(&hq, &["org", "enroll", s(file), "--role", "field", "--name", "field", "--expect-fingerprint", expect])
    };
    // The X25519 key swapped (say, for an attacker's, to receive the team key).
    let swapped = altered(&site, &request, "swapped.request", |bytes| bytes[55] ^= 0x04);
    let output = enroll(&swapped, &fingerprint);
    assert_eq!(exit_code(&output), 7);
    assert!(
        stderr(&output).contains("[bad_request_signature]") || stderr(&output).contains("[malformed]"),
        "{}",
        stderr(&output)
    );
    // The signature itself altered.
    let forged = altered(&site, &request, "forged.request", |bytes| {
        let last = bytes.len() - 1;
        bytes[last] ^= 0x01;
    });
    let output = enroll(&forged, &fingerprint);
    assert_eq!(exit_code(&output), 7);
    assert!(stderr(&output).contains("[bad_request_signature]"), "{}", stderr(&output));
    // The requested name altered (it is signed too).
    let renamed = altered(&site, &request, "renamed.request", |bytes| bytes[83] = b'F');
    assert!(stderr(&enroll(&renamed, &fingerprint)).contains("[bad_request_signature]"));
    // Truncated.
    let truncated = altered(&site, &request, "truncated.request", |bytes| bytes.truncate(100));
    assert!(stderr(&enroll(&truncated, &fingerprint)).contains("[truncated]"));
    // A genuine request with a fingerprint that does not match the device's screen.
    let other = device_fingerprint(&site.vault("other"));
    let output = enroll(&request, &other);
    assert_eq!(exit_code(&output), 7);
    assert!(stderr(&output).contains("[fingerprint_mismatch]"));
    // Without a terminal or --expect-fingerprint, HQ is not allowed to skip the comparison.
    assert_eq!(exit_code(&cairn(&hq, &["org", "enroll", s(&request), "--role", "field", "--name", "field"])), 2);
    assert_eq!(show(&hq), roster_before, "a refused enrollment changed the roster");
    let output = enroll(&request, &fingerprint);
    assert_eq!(exit_code(&output), 0, "{}", stderr(&output));
    assert_eq!(show(&hq)["version"], 2);
}

#[test]
fn hq_commands_on_a_field_vault_are_refused_and_messages_carry_no_user_data() {
    let site = Site::new();
    let (hq, fingerprint) = site.hq("hq");
    let device = member(&site, &hq, &fingerprint, "secret-name-field");
    let id = device_id(&device);
    let request = site.path("r.request");
    ok(&device, &["device", "request", "--out", s(&request)]);
    for args in [
        vec!["org", "enroll", s(&request), "--role", "field", "--name", "x", "--expect-fingerprint", &fingerprint],
        vec!["org", "revoke", &id],
        vec!["org", "init", "--name", "second org"],
    ] {
        let message = fails(&device, &args, 7);
        for secret in
            [id.as_str(), "secret-name-field", "Yalu", fingerprint.as_str(), site.dir.path().to_str().expect("utf-8")]
        {
            assert!(!message.contains(secret), "message leaks user data: {message}");
        }
    }
    // `org roster` works on any vault holding a roster (it is signed; devices pass it on).
    let copy = site.roster(&device, "copy.roster");
    assert_eq!(std::fs::read(&copy).expect("read"), std::fs::read(site.roster(&hq, "hq.roster")).expect("read"));
    // The help documents the new exit code.
    let help = ok(&hq, &["--help"]);
    assert!(help.contains("7  refused by the team rules"), "{help}");
}

#[test]
fn hq_sets_the_roster_validity_and_devices_warn_before_it_ends() {
    let site = Site::new();
    let (hq, devices) = team(&site, &["field"]);
    let field = &devices[0];
    // Without a setting, rosters have no end and nothing warns.
    assert_eq!(show(field)["valid_until"], serde_json::Value::Null);
    assert_eq!(show(field)["expiry"]["status"], "valid");
    assert!(ok(&hq, &["org", "validity"]).contains("without an end"));
    let version = show(&hq)["version"].as_u64().expect("version");
    // `org roster --valid-days N` issues the next roster valid for N days and keeps N.
    let renewed = site.path("renewed.roster");
    let printed = ok(&hq, &["org", "roster", "--out", s(&renewed), "--valid-days", "3"]);
    assert!(printed.contains(&format!("Roster version {} issued.", version + 1)), "{printed}");
    assert!(printed.contains("Valid until ") && printed.contains(" UTC."), "{printed}");
    assert!(ok(&hq, &["org", "validity"]).contains("valid for 3 days"));
    ok(field, &["roster", "import", s(&renewed)]);
    let view = show(field);
    assert_eq!(view["version"].as_u64(), Some(version + 1));
    let (from, until) = (view["valid_from"].as_u64().expect("from"), view["valid_until"].as_u64().expect("until"));
    assert_eq!(until - from, 4 * 24 * 3_600_000, "3 days from issue, valid from a day before");
    // Three days is within the week's notice: every command that opens the vault warns, on
    // standard error only, and `roster show` says so.
    assert_eq!(view["expiry"]["status"], "expires_soon");
    assert_eq!(view["expiry"]["at"].as_u64(), Some(until));
    let output = cairn(field, &["case", "list", "--json"]);
    assert_eq!(exit_code(&output), 0);
    let warning = stderr(&output);
    assert!(warning.contains("this device's roster expires") && warning.contains("[roster_expires_soon]"), "{warning}");
    assert!(!stdout(&output).contains("roster"), "the warning stays off standard output");
    assert!(ok(field, &["roster", "show"]).contains("EXPIRES SOON"));
    let hq_warning = stderr(&cairn(&hq, &["status"]));
    assert!(hq_warning.contains("the roster this HQ issued expires") && hq_warning.contains("--renew"), "{hq_warning}");
    // --renew issues the next version under the same setting; `org validity off` ends expiry.
    ok(&hq, &["org", "roster", "--out", s(&site.path("again.roster")), "--renew"]);
    assert_eq!(show(&hq)["version"].as_u64(), Some(version + 2));
    assert!(show(&hq)["valid_until"].as_u64().is_some());
    assert!(ok(&hq, &["org", "validity", "off"]).contains("without an end"));
    let last = site.roster(&hq, "off.roster");
    ok(field, &["roster", "import", s(&last)]);
    assert_eq!(show(field)["valid_until"], serde_json::Value::Null);
    let quiet = cairn(field, &["case", "list"]);
    assert!(!stderr(&quiet).contains("roster"), "{}", stderr(&quiet));
    // Bad values and a field device are refused.
    fails(&hq, &["org", "validity", "0"], 2);
    fails(&hq, &["org", "roster", "--out", s(&site.path("x")), "--valid-days", "3", "--renew"], 2);
    let refused = fails(field, &["org", "validity", "30"], 7);
    assert!(refused.contains("[not_organisation]"), "{refused}");
}
