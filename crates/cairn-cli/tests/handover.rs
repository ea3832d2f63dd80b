//! Handover to HQ through the real binary, by USB stick: `case ready`, HQ's receipt on the
//! way back, the purge on the field device (`handover status`, `handover receipts`), and the
//! refusals (a missing consent not confirmed, HQ handing over).
mod support;

use std::path::{Path, PathBuf};

use support::*;

fn stick(site: &Site, name: &str) -> PathBuf {
    let dir = site.path(name);
    std::fs::create_dir_all(&dir).expect("stick folder");
    dir
}

fn state(vault: &Path, case: &str) -> Option<String> {
    let status = json(vault, &["handover", "status", "--json"]);
    status["cases"]
        .as_array()
        .expect("cases")
        .iter()
        .find(|c| c["id"] == case)
        .map(|c| c["state"].as_str().expect("state").to_owned())
}

#[test]
fn a_case_carried_to_hq_on_a_stick_is_purged_after_the_receipt_comes_back() {
    let site = Site::new();
    let (hq, devices) = team(&site, &["field"]);
    let field = &devices[0];
    ok(&hq, &["handover", "policy", "immediately"]);
    distribute_roster(&site, &hq, &[field.as_path()], "policy.roster");

    let case = ok(field, &["case", "new", "--title", "온성 Onsong handover"]).trim().to_owned();
    let person =
        json(field, &["person", "add", &case, "--pseudonym", "ON-1", "--real-name", "REALNAME-CLI-77", "--json"])["id"]
            .as_str()
            .expect("id")
            .to_owned();
    let narrative = site.path("narrative.txt");
    std::fs::write(&narrative, "NARRATIVE-CLI-31 강을 건넜다").expect("narrative");
    ok(
        field,
        &["testimony", "add", &case, "--person", &person, "--narrative-file", s(&narrative), "--consent", "documentation"],
    );
    assert_eq!(state(field, &case).as_deref(), Some("draft"));
    // The testimony's consent lacks sharing with HQ: refused (exit 2) until confirmed.
    let refused = fails(field, &["case", "ready", &case], 2);
    assert!(refused.contains("[handover_consent_unconfirmed]"), "{refused}");
    ok(field, &["case", "ready", &case, "--confirm-consent"]);
    assert_eq!(state(field, &case).as_deref(), Some("ready"));
    // HQ's vault does not hand over.
    fails(&hq, &["case", "ready", &case], 7);

    let to_hq = stick(&site, "to-hq");
    ok(field, &["bundle", "export", "--out", s(&to_hq)]);
    ok(&hq, &["bundle", "import", s(&to_hq)]);
    assert_eq!(state(&hq, &case).as_deref(), Some("received"));

    let to_field = stick(&site, "to-field");
    ok(&hq, &["bundle", "export", "--out", s(&to_field), "--to", &device_id(field)]);
    let imported = json(field, &["bundle", "import", s(&to_field), "--json"]);
    assert_eq!(imported["imported"], 1);
    let status = json(field, &["handover", "status", "--json"]);
    assert_eq!(status["policy"]["kind"], "immediately");
    assert!(status["cases"].as_array().expect("cases").is_empty(), "{status}");
    assert_eq!(status["purged"][0]["id"], case.as_str());
    assert!(titles(field).is_empty());
    fails(field, &["case", "show", &case], 1);
    // HQ still has the case, with the real name it alone opens.
    let shown = json(&hq, &["case", "show", &case, "--show-sensitive", "--json"]);
    assert_eq!(shown["persons"][0]["identity"]["real_name"], "REALNAME-CLI-77");
    let receipts = json(&hq, &["handover", "receipts", "--json"]);
    assert_eq!(receipts["receipts"][0]["verdict"], "covers");
    // Nothing of the case is left in the field vault's files.
    for entry in std::fs::read_dir(field).expect("vault folder") {
        let bytes = std::fs::read(entry.expect("entry").path()).expect("read");
        for marker in ["Onsong", "ON-1", "REALNAME-CLI-77", "NARRATIVE-CLI-31"] {
            assert!(!bytes.windows(marker.len()).any(|w| w == marker.as_bytes()), "{marker}");
        }
    }
}
