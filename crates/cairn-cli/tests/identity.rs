//! Identity fields sealed for HQ, through the real binary (issue 11): a field device that
//! records a person's real name cannot show it, even with `--show-sensitive`; its vault folder
//! and the bundle it writes never hold the name; HQ, after importing the bundle, shows it. A
//! vault outside any team shows what it recorded (it seals to a key of its own).
mod support;

use std::path::Path;

use support::*;

const NAME: &str = "Kim Young-hee Q7ZX";
const NAME_KO: &str = "김영희순";

fn holds_name(bytes: &[u8]) -> bool {
    [NAME, NAME_KO].iter().any(|name| bytes.windows(name.len()).any(|window| window == name.as_bytes()))
}

/// Every file of a folder (a vault, a stick) that holds the name in the clear.
fn files_with_name(folder: &Path) -> Vec<String> {
    std::fs::read_dir(folder)
        .expect("folder")
        .map(|entry| entry.expect("entry").path())
        .filter(|path| path.is_file() && holds_name(&std::fs::read(path).expect("read")))
        .map(|path| path.display().to_string())
        .collect()
}

fn person_json(shown: &serde_json::Value) -> serde_json::Value {
    shown["persons"][0].clone()
}

#[test]
fn a_field_device_cannot_show_the_name_it_recorded_and_hq_can() {
    let site = Site::new();
    let (hq, devices) = team(&site, &["field"]);
    let field = &devices[0];
    let case = ok(field, &["case", "new", "--title", "Crossing"]).trim().to_owned();
    let real_name = format!("{NAME} {NAME_KO}");
    ok(field, &["person", "add", &case, "--pseudonym", "A-17", "--real-name", &real_name, "--home-town", "회령"]);

    let shown = json(field, &["case", "show", &case, "--show-sensitive", "--json"]);
    let person = person_json(&shown);
    assert_eq!(person["identity"]["real_name"], serde_json::Value::Null, "sealed for HQ, not shown");
    assert_eq!(person["identity"]["home_town"], serde_json::Value::Null);
    assert_eq!(person["identity"]["contact"], "", "not recorded");
    assert_eq!(person["identity_sealed"], serde_json::json!(["real_name", "home_town"]));
    assert_eq!(person["identity_recorded"], serde_json::json!(["real_name", "home_town"]));
    let text = ok(field, &["case", "show", &case, "--show-sensitive"]);
    assert!(!holds_name(text.as_bytes()));
    assert!(text.contains("real_name: sealed for HQ"), "{text}");
    assert!(files_with_name(field).is_empty(), "{:?}", files_with_name(field));

    // A bundle for HQ holds only sealed values; HQ shows them.
    let stick = site.path("stick");
    std::fs::create_dir_all(&stick).expect("stick");
    let hq_id = device_id(&hq);
    ok(field, &["bundle", "export", "--out", s(&stick), "--to", &hq_id]);
    assert!(files_with_name(&stick).is_empty());
    ok(&hq, &["bundle", "import", s(&stick)]);
    let shown = json(&hq, &["case", "show", &case, "--show-sensitive", "--json"]);
    let person = person_json(&shown);
    assert_eq!(person["identity"]["real_name"], real_name.as_str());
    assert_eq!(person["identity"]["home_town"], "회령");
    assert_eq!(person["identity_sealed"], serde_json::json!([]));
    let hidden = json(&hq, &["case", "show", &case, "--json"]);
    assert_eq!(person_json(&hidden)["identity"], serde_json::Value::Null, "hidden unless asked, at HQ too");
    assert!(files_with_name(&hq).is_empty(), "HQ's vault holds it sealed too");

    // The field worker can still replace and clear without reading.
    ok(field, &["person", "edit", person["id"].as_str().expect("id"), "--home-town", ""]);
    let shown = json(field, &["case", "show", &case, "--show-sensitive", "--json"]);
    assert_eq!(person_json(&shown)["identity_sealed"], serde_json::json!(["real_name"]));

    // HQ lets coordinators read identity fields written from now on.
    ok(&hq, &["org", "identity-readers", "coordinator"]);
    assert_eq!(show(&hq)["identity_readers"], serde_json::json!(["coordinator", "hq"]));
}
