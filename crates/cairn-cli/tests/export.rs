//! `cairn export json|uwazi` through the real binary: HQ (and a vault outside any
//! organisation) export, a field device is refused with exit 7 and `export_not_allowed`, an
//! existing target needs `--force`, the plaintext warning is printed, and no identity value
//! reaches a file.
mod support;

use std::path::Path;

use support::*;

const REAL_NAME: &str = "리진짜";

fn contains(haystack: &[u8], needle: &str) -> bool {
    haystack.windows(needle.len()).any(|window| window == needle.as_bytes())
}

fn documented_case(vault: &Path) -> String {
    let case = ok(vault, &["case", "new", "--title", "무산, \"2020\""]).trim().to_owned();
    ok(vault, &["person", "add", &case, "--pseudonym", "MS-3", "--real-name", REAL_NAME, "--contact", "010-9999-0000"]);
    case
}

#[test]
fn hq_exports_json_and_uwazi_and_a_field_device_is_refused() {
    let site = Site::new();
    let (hq, devices) = team(&site, &["field"]);
    let field = &devices[0];

    let case = documented_case(&hq);
    let out = site.path("case.json");
    let output = cairn(&hq, &["export", "json", &case, "--out", s(&out), "--json"]);
    assert_eq!(exit_code(&output), 0, "{}", stderr(&output));
    assert!(stderr(&output).contains("NOT encrypted"));
    let report: serde_json::Value = serde_json::from_str(&stdout(&output)).expect("report");
    assert_eq!(report["cases"], 1);
    let exported: serde_json::Value = serde_json::from_slice(&std::fs::read(&out).expect("file")).expect("JSON");
    assert_eq!(exported["cases"][0]["id"], case.as_str());
    assert_eq!(exported["cases"][0]["title"], "무산, \"2020\"");
    assert_eq!(exported["cases"][0]["persons"][0]["pseudonym"], "MS-3");

    // An existing file needs --force.
    let refused = fails(&hq, &["export", "json", "--out", s(&out)], 1);
    assert!(refused.contains("[target_exists]"), "{refused}");
    ok(&hq, &["export", "json", "--out", s(&out), "--force"]);

    let dir = site.path("uwazi");
    ok(&hq, &["export", "uwazi", "--out", s(&dir)]);
    let persons = std::fs::read_to_string(dir.join("2_persons/import.csv")).expect("persons");
    assert!(persons.starts_with("title,cairn_id,case,roles__en,roles__ko\r\n"));
    assert!(persons.contains("MS-3,"));
    assert!(fails(&hq, &["export", "uwazi", "--out", s(&dir)], 1).contains("[target_exists]"));

    for file in [out.clone(), dir.join("1_cases/import.csv"), dir.join("2_persons/import.csv")] {
        let bytes = std::fs::read(&file).expect("exported file");
        assert!(!contains(&bytes, REAL_NAME) && !contains(&bytes, "010-9999-0000"), "identity exported");
    }

    // A field device exports nothing, whatever it holds.
    documented_case(field);
    let target = site.path("field.json");
    let refused = fails(field, &["export", "json", "--out", s(&target)], 7);
    assert!(refused.contains("[export_not_allowed]"), "{refused}");
    assert!(!target.exists());
    fails(field, &["export", "uwazi", "--out", s(&site.path("field-uwazi"))], 7);
    assert!(!site.path("field-uwazi").exists());
}

#[test]
fn a_vault_outside_any_organisation_exports() {
    let site = Site::new();
    let vault = site.vault("solo");
    documented_case(&vault);
    let dir = site.path("solo-uwazi");
    let report = json(&vault, &["export", "uwazi", "--out", s(&dir), "--json"]);
    assert_eq!(report["cases"], 1);
    assert_eq!(report["files"].as_array().map(Vec::len), Some(7));
    // A bad case id is a usage error.
    fails(&vault, &["export", "json", "nothex", "--out", s(&site.path("x.json"))], 2);
}
