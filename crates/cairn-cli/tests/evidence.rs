//! `cairn export evidence` and `cairn verify` through the real binary: a field device's case
//! reaches HQ by stick, HQ exports it as an evidence package (folder and .zip), `cairn verify`
//! accepts it with no vault and no passphrase (exit 0) and refuses a tampered copy (exit 10,
//! each failure printed with its code); a field device may not export (exit 7).
mod support;

use std::{path::Path, process::Output};

use support::*;

const REAL_NAME: &str = "리진짜";

/// `cairn verify PATH --org-fingerprint F [--json]` with no vault, no passphrase and a home
/// folder of its own (so no default vault exists either).
fn verify(package: &Path, fingerprint: &str, home: &Path) -> Output {
    cairn_binary()
        .args(["verify", s(package), "--org-fingerprint", fingerprint, "--json"])
        .env_remove("CAIRN_VAULT")
        .env_remove("CAIRN_PASSPHRASE")
        .env("HOME", home)
        .env("XDG_DATA_HOME", home)
        .stdin(std::process::Stdio::null())
        .output()
        .expect("run cairn verify")
}

fn codes(output: &Output) -> Vec<String> {
    let report: serde_json::Value = serde_json::from_str(&stdout(output)).expect("a JSON report");
    report["failures"].as_array().expect("failures").iter().map(|f| f["code"].as_str().expect("code").to_owned()).collect()
}

#[test]
fn hq_exports_evidence_and_verify_needs_no_vault_and_refuses_tampering() {
    let site = Site::new();
    let (hq, devices) = team(&site, &["field"]);
    let field = &devices[0];
    let fingerprint = identity(&hq)["organisation_fingerprint"].as_str().expect("pinned").to_owned();

    // The field device documents a case and carries it to HQ on a stick.
    let case = ok(field, &["case", "new", "--title", "<script>alert(1)</script> 무산"]).trim().to_owned();
    ok(field, &["person", "add", &case, "--pseudonym", "MS-3", "--real-name", REAL_NAME]);
    let recording = site.path("interview.ogg");
    let content: Vec<u8> = (0..120_000u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 11) as u8).collect();
    std::fs::write(&recording, &content).expect("attachment source");
    ok(field, &["attach", &case, s(&recording)]);
    let stick = site.path("stick");
    std::fs::create_dir(&stick).expect("stick");
    ok(field, &["bundle", "export", "--out", s(&stick), "--to", &device_id(&hq)]);
    ok(&hq, &["bundle", "import", s(&stick)]);

    // HQ exports the evidence package: the plaintext warning, the summary as JSON.
    let package = site.path("evidence");
    let output = cairn(&hq, &["export", "evidence", &case, "--out", s(&package), "--json"]);
    assert_eq!(exit_code(&output), 0, "{}", stderr(&output));
    assert!(stderr(&output).contains("NOT encrypted"));
    let exported: serde_json::Value = serde_json::from_str(&stdout(&output)).expect("JSON");
    assert_eq!((exported["documents"].as_u64(), exported["attachments"].as_u64()), (Some(1), Some(1)));
    assert_eq!(exported["organisation_fingerprint"], fingerprint.as_str());
    assert_eq!(exported["flagged_changes"], 0);
    let html = std::fs::read_to_string(package.join("report.html")).expect("report");
    assert!(!html.contains("<script") && html.contains("&lt;script&gt;alert(1)&lt;/script&gt; 무산"));
    assert!(!html.contains(REAL_NAME), "no identity without --with-identity");

    // Verified anywhere: no vault, no passphrase.
    let home = site.path("verifier-home");
    std::fs::create_dir(&home).expect("home");
    let output = verify(&package, &fingerprint, &home);
    assert_eq!(exit_code(&output), 0, "{}{}", stdout(&output), stderr(&output));
    let report: serde_json::Value = serde_json::from_str(&stdout(&output)).expect("report");
    assert_eq!(report["verified"], true);
    assert_eq!(report["case_id"], case.as_str());
    assert_eq!(report["attachments"], 1);
    let text = cairn_binary()
        .args(["verify", s(&package), "--org-fingerprint", &fingerprint])
        .env_remove("CAIRN_VAULT")
        .env_remove("CAIRN_PASSPHRASE")
        .output()
        .expect("run");
    assert!(stdout(&text).starts_with("VERIFIED: case "), "{}", stdout(&text));

    // A flipped byte in the attachment: exit 10, the failure named.
    let tampered = site.path("tampered");
    copy_dir(&package, &tampered);
    let attachment = std::fs::read_dir(tampered.join("attachments")).expect("list").next().expect("one").expect("entry");
    let mut bytes = std::fs::read(attachment.path()).expect("read");
    bytes[4242] ^= 0x80;
    std::fs::write(attachment.path(), bytes).expect("write");
    let output = verify(&tampered, &fingerprint, &home);
    assert_eq!(exit_code(&output), 10, "{}", stderr(&output));
    assert!(stderr(&output).contains("[evidence_not_verified]"), "{}", stderr(&output));
    assert_eq!(codes(&output), ["attachment_hash_mismatch"]);

    // Another organisation's fingerprint: exit 10; a fingerprint not in the right form, or
    // nothing at the path: exit 2.
    let (_other, other_fingerprint) = site.hq("other-hq");
    let output = verify(&package, &other_fingerprint, &home);
    assert_eq!(exit_code(&output), 10);
    assert_eq!(codes(&output), ["fingerprint_mismatch"]);
    let output = verify(&package, "1234", &home);
    assert_eq!(exit_code(&output), 2);
    assert!(stderr(&output).contains("[evidence_fingerprint_malformed]"));
    assert_eq!(exit_code(&verify(&site.path("nothing"), &fingerprint, &home)), 2);

    // A zip, in Korean, with identity (HQ, on request), verifies too.
    let zip = site.path("evidence.zip");
    ok(&hq, &["export", "evidence", &case, "--out", s(&zip), "--lang", "ko", "--with-identity"]);
    assert_eq!(exit_code(&verify(&zip, &fingerprint, &home)), 0);
    assert!(fails(&hq, &["export", "evidence", &case, "--out", s(&zip)], 1).contains("[target_exists]"));
    ok(&hq, &["export", "evidence", &case, "--out", s(&zip), "--force"]);
    fails(&hq, &["export", "evidence", &case, "--out", s(&zip), "--lang", "fr"], 2);

    // The field device exports nothing.
    let refused = fails(field, &["export", "evidence", &case, "--out", s(&site.path("field-evidence"))], 7);
    assert!(refused.contains("[export_not_allowed]"), "{refused}");
    assert!(!site.path("field-evidence").exists());
}
