//! `cairn bundle` through the real binary: A → folder → B → folder → A converges and the
//! acknowledged next bundle is smaller; the same and older bundles import harmlessly; a device
//! a bundle is not for skips it; a damaged file is refused with exit 9 and the vault unchanged;
//! the folder holds nothing readable of the cases.
mod support;

use std::path::{Path, PathBuf};

use support::*;

/// Everything the vault shows: the case list and every case.
fn everything(vault: &Path) -> String {
    let list = json(vault, &["case", "list", "--json"]);
    let mut out = list.to_string();
    for case in list["cases"].as_array().expect("cases") {
        out.push_str(&json(vault, &["case", "show", case["id"].as_str().expect("id"), "--json"]).to_string());
    }
    out
}

fn stick(site: &Site, name: &str) -> PathBuf {
    let dir = site.path(name);
    std::fs::create_dir_all(&dir).expect("stick folder");
    dir
}

fn files_in(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir).expect("read").map(|entry| entry.expect("entry").path()).collect();
    files.sort();
    files
}

#[test]
fn a_stick_carries_cases_both_ways_and_acknowledgements_shrink_the_next_bundle() {
    let site = Site::new();
    let (_hq, devices) = team(&site, &["a", "b", "c"]);
    let (a, b, c) = (&devices[0], &devices[1], &devices[2]);
    let case_a = ok(a, &["case", "new", "--title", "회령 구류장 Hoeryong"]).trim().to_owned();
    ok(a, &["person", "add", &case_a, "--pseudonym", "HR-1"]);
    let photo = site.path("river-crossing-photo.bin");
    std::fs::write(&photo, vec![0x5a; 150_000]).expect("attachment source");
    ok(a, &["attach", &case_a, s(&photo)]);
    ok(b, &["case", "new", "--title", "Sinuiju crossing"]);

    let to_b = stick(&site, "stick-1");
    let b_id = device_id(b);
    let exported = json(a, &["bundle", "export", "--out", s(&to_b), "--to", &b_id, "--json"]);
    let first_size = exported["bundles"][0]["size"].as_u64().expect("size");
    assert_eq!(exported["bundles"][0]["attachments"], 1);

    // Nothing on the stick names the app, the cases, people or files.
    for file in files_in(&to_b) {
        let name = file.file_name().expect("name").to_string_lossy().into_owned();
        assert!(name.len() == 32 && name.bytes().all(|c| c.is_ascii_hexdigit()), "{name}");
        let bytes = std::fs::read(&file).expect("bundle");
        for marker in ["회령", "Hoeryong", "HR-1", "river-crossing", "cairn", "Sinuiju"] {
            assert!(!bytes.windows(marker.len()).any(|window| window == marker.as_bytes()), "{marker}");
        }
    }

    // C cannot read it: skipped, nothing changes, no error.
    let before_c = everything(c);
    let skipped = json(c, &["bundle", "import", s(&to_b), "--json"]);
    assert_eq!((skipped["imported"].as_u64(), skipped["skipped"].as_u64()), (Some(0), Some(1)));
    assert_eq!(everything(c), before_c);
    let file = &files_in(&to_b)[0];
    let inspected = json(c, &["bundle", "inspect", s(file), "--json"]);
    assert_eq!(inspected["for_this_device"], false);

    let inspected = json(b, &["bundle", "inspect", s(file), "--json"]);
    assert_eq!(inspected["for_this_device"], true);
    assert_eq!(inspected["sender"].as_str(), Some(device_id(a).as_str()));
    let imported = json(b, &["bundle", "import", s(&to_b), "--json"]);
    assert_eq!((imported["imported"].as_u64(), imported["attachments"].as_u64()), (Some(1), Some(1)));
    // The same bundle again: harmless.
    let again = json(b, &["bundle", "import", s(file), "--json"]);
    assert_eq!(again["imported"], 1);

    let to_a = stick(&site, "stick-2");
    ok(b, &["bundle", "export", "--out", s(&to_a)]);
    assert_eq!(files_in(&to_a).len(), 3, "one bundle per other roster device (HQ, A, C)");
    ok(a, &["bundle", "import", s(&to_a)]);
    assert_eq!(titles(a), titles(b));
    assert_eq!(titles(a).len(), 2);

    // B acknowledged A's first bundle: the next one for B is smaller, under the same name.
    let second = json(a, &["bundle", "export", "--out", s(&to_b), "--to", &b_id, "--json"]);
    assert!(second["bundles"][0]["size"].as_u64().expect("size") < first_size / 10);
    assert_eq!(second["bundles"][0]["documents"], 0);
    assert_eq!(files_in(&to_b).len(), 1, "the later bundle replaced the earlier");
}

#[test]
fn damaged_or_foreign_bundles_are_refused_with_the_vault_unchanged() {
    let site = Site::new();
    let (hq, devices) = team(&site, &["a", "b", "d"]);
    let (a, b, d) = (&devices[0], &devices[1], &devices[2]);
    ok(a, &["case", "new", "--title", "Not to be damaged"]);
    let dir = stick(&site, "stick");
    ok(a, &["bundle", "export", "--out", s(&dir), "--to", &device_id(b)]);
    let file = files_in(&dir)[0].clone();
    let bytes = std::fs::read(&file).expect("bundle");
    let before = everything(b);
    let damaged = site.path("damaged");
    let chunk = 64 * 1024 + 16;
    let mut variants: Vec<Vec<u8>> = (1..=bytes.len() / chunk).map(|i| bytes[..85 + i * chunk - 1].to_vec()).collect();
    variants.push(bytes[..bytes.len() - 1].to_vec());
    variants.push(bytes[..200].to_vec());
    for at in [100, bytes.len() / 2, bytes.len() - 1] {
        let mut flipped = bytes.clone();
        flipped[at] ^= 0x40;
        variants.push(flipped);
    }
    for variant in variants {
        std::fs::write(&damaged, &variant).expect("write");
        let message = fails(b, &["bundle", "import", s(&damaged)], 9);
        assert!(message.contains("[bundle_damaged]"), "{message}");
    }
    assert_eq!(everything(b), before);

    // From a device revoked since: refused.
    let from_d = stick(&site, "from-d");
    ok(d, &["case", "new", "--title", "From the revoked"]);
    ok(d, &["bundle", "export", "--out", s(&from_d), "--to", &device_id(b)]);
    ok(&hq, &["org", "revoke", &device_id(d)]);
    distribute_roster(&site, hq.as_path(), &[a.as_path(), b.as_path()], "after-revocation.roster");
    let message = fails(b, &["bundle", "import", s(&from_d)], 9);
    assert!(message.contains("[bundle_revoked_sender]"), "{message}");
    assert_eq!(everything(b), before);
    // The intact bundle still imports.
    ok(b, &["bundle", "import", s(&file)]);
    assert!(titles(b).contains(&"Not to be damaged".to_owned()));
}

/// `cairn bundle export` with parts of at most `part_len` bytes (a debug build reads it).
fn export_in_parts(vault: &Path, out: &Path, to: &str, part_len: u64) -> serde_json::Value {
    let output = cairn_binary()
        .arg("--vault")
        .arg(vault)
        .args(["bundle", "export", "--out", s(out), "--to", to, "--json"])
        .env("CAIRN_PASSPHRASE", PASSPHRASE)
        .env("CAIRN_DEBUG_BUNDLE_PART_LEN", part_len.to_string())
        .env_remove("CAIRN_VAULT")
        .stdin(std::process::Stdio::null())
        .output()
        .expect("run cairn");
    assert_eq!(exit_code(&output), 0, "{}", stderr(&output));
    serde_json::from_str(&stdout(&output)).expect("json")
}

#[test]
fn a_bundle_split_into_parts_round_trips_and_a_truncated_part_is_refused_with_the_vault_unchanged() {
    let site = Site::new();
    let (_hq, devices) = team(&site, &["a", "b"]);
    let (a, b) = (&devices[0], &devices[1]);
    let case = ok(a, &["case", "new", "--title", "Carried in parts"]).trim().to_owned();
    let recording = site.path("long-recording.bin");
    let content: Vec<u8> = (0..900_000u32).map(|i| (i % 251) as u8).collect();
    std::fs::write(&recording, &content).expect("attachment source");
    ok(a, &["attach", &case, s(&recording)]);
    let b_id = device_id(b);
    // Three sealed chunks a part (the first after its stanza).
    let part_len = 85 + 3 * (64 * 1024 + 16);

    // A truncated part: refused (exit 9), nothing applied.
    let damaged = stick(&site, "damaged");
    let exported = export_in_parts(a, &damaged, &b_id, part_len);
    let parts: Vec<String> = exported["bundles"][0]["files"]
        .as_array()
        .expect("files")
        .iter()
        .map(|name| name.as_str().expect("name").to_owned())
        .collect();
    assert!(parts.len() >= 4, "{parts:?}");
    assert_eq!(files_in(&damaged).len(), parts.len());
    for file in files_in(&damaged) {
        assert!(std::fs::metadata(&file).expect("part").len() <= part_len);
    }
    let second = damaged.join(&parts[1]);
    let bytes = std::fs::read(&second).expect("part");
    std::fs::write(&second, &bytes[..bytes.len() - 100]).expect("truncate");
    let before = everything(b);
    let message = fails(b, &["bundle", "import", s(&damaged)], 9);
    assert!(message.contains("[bundle_damaged]"), "{message}");
    let message = fails(b, &["bundle", "import", s(&damaged.join(&parts[0]))], 9);
    assert!(message.contains("[bundle_damaged]"), "{message}");
    assert_eq!(everything(b), before);

    // Intact parts, in a folder with other files: B gets everything.
    let intact = stick(&site, "intact");
    std::fs::write(intact.join("0000-notes"), b"not a bundle").expect("other file");
    let exported = export_in_parts(a, &intact, &b_id, part_len);
    let size = exported["bundles"][0]["size"].as_u64().expect("size");
    let inspected = json(
        b,
        &["bundle", "inspect", s(&intact.join(exported["bundles"][0]["files"][0].as_str().expect("name"))), "--json"],
    );
    assert_eq!((inspected["for_this_device"].as_bool(), inspected["size"].as_u64()), (Some(true), Some(size)));
    let imported = json(b, &["bundle", "import", s(&intact), "--json"]);
    assert_eq!(
        (imported["imported"].as_u64(), imported["skipped"].as_u64(), imported["attachments"].as_u64()),
        (Some(1), Some(1), Some(1)),
        "{imported}"
    );
    assert_eq!(titles(b), titles(a));
    let shown = json(b, &["case", "show", &case, "--json"]);
    let attachment = shown["attachments"][0]["id"].as_str().expect("attachment id").to_owned();
    let copy = site.path("copy.bin");
    ok(b, &["attachment", "get", &attachment, "--out", s(&copy)]);
    assert_eq!(std::fs::read(&copy).expect("copy"), content);
}

#[test]
fn hq_sees_who_signed_every_change_that_came_by_stick() {
    let site = Site::new();
    let (hq, devices) = team(&site, &["a"]);
    let a = &devices[0];
    let case = ok(a, &["case", "new", "--title", "Custody by stick"]).trim().to_owned();
    ok(a, &["person", "add", &case, "--pseudonym", "CS-1"]);
    let own = json(a, &["case", "custody", &case, "--json"]);
    let changes = own["changes"].as_array().expect("changes").len();
    assert!(changes >= 2, "{own}");

    let to_hq = stick(&site, "custody-stick");
    ok(a, &["bundle", "export", "--out", s(&to_hq), "--to", &device_id(&hq)]);
    ok(&hq, &["bundle", "import", s(&to_hq)]);
    let trail = json(&hq, &["case", "custody", &case, "--json"]);
    assert_eq!((trail["case_id"].as_str(), trail["flagged"].as_u64()), (Some(case.as_str()), Some(0)));
    let entries = trail["changes"].as_array().expect("changes");
    assert_eq!(entries.len(), changes);
    let a_id = device_id(a);
    for entry in entries {
        assert_eq!(entry["verdict"], "signed", "{entry}");
        assert_eq!(entry["flagged"], false);
        assert_eq!(entry["signer"].as_str(), Some(a_id.as_str()));
        assert_eq!(entry["signer_name"], "a");
        assert_eq!(entry["change_hash"].as_str().map(str::len), Some(64));
        assert!(entry["first_seen_ms"].as_i64().is_some() && entry["first_roster_version"].as_u64().is_some());
    }
    let text = ok(&hq, &["case", "custody", &case]);
    assert!(text.starts_with(&format!("{changes} changes, 0 flagged")), "{text}");
    // An unknown case is refused like every case command refuses it.
    let unknown = "0".repeat(32);
    assert_ne!(exit_code(&cairn(&hq, &["case", "custody", &unknown])), 0);
}
