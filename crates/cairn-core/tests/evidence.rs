//! Evidence packages (issue 11): a field device documents a case, it reaches HQ, HQ exports it
//! as an evidence package, and `verify_evidence` accepts it offline against the organisation
//! fingerprint alone, and refuses each kind of tampering with its own finding code: a flipped
//! byte in an attachment, in case.json or in report.html, a change removed from a changes
//! file, a change signed by a device on no roster, a wrong fingerprint.

use std::path::{Path, PathBuf};

use cairn_core::{
    CoreError, Session,
    cases::{Identity, NewAct, NewEvent, NewPerson, NewTestimony, ObjectId, Sensitive, id_to_hex},
    evidence::{EvidenceOptions, EvidenceReport, ReportLanguage, verify_evidence},
    export::ExportError,
    testing::{TestTeam, TestVault, reseal_change, resign_evidence_manifest, sync_pair},
};
use cairn_sync::{DocRef, Incoming, SyncStore};
use serde_json::Value;

const REAL_NAME: &str = "김진짜이름";
const CONTACT: &str = "+82-10-5555-0199";
const HOSTILE_TITLE: &str = "<img src=x onerror=alert(1)> 혜산 \"구류장\"";

/// A case documented on `session`: a person with identity fields, a testimony, an event
/// with an act, a note and an attachment. Returns the case and the attachment's bytes.
fn documented_case(session: &mut Session) -> (ObjectId, Vec<u8>) {
    let case = session.create_case(HOSTILE_TITLE).expect("case");
    let identity =
        Identity { real_name: Sensitive(REAL_NAME.into()), contact: Sensitive(CONTACT.into()), ..Identity::default() };
    let person = session
        .add_person(&case, &NewPerson { pseudonym: "HS-7".into(), roles: vec!["victim".into()], identity })
        .expect("person");
    let testimony = NewTestimony {
        source_person: id_to_hex(&person),
        language: "ko".into(),
        consent_given: true,
        consent_scopes: vec!["share_with_hq".into()],
        narrative: "밤에 강을 건넜습니다. <b>굵게</b>".into(),
        ..NewTestimony::default()
    };
    session.add_testimony(&case, &testimony).expect("testimony");
    let event = NewEvent {
        title: "구금".into(),
        description: "3주 동안 조사.".into(),
        date_start: "2019-03".into(),
        place: "양강도 혜산".into(),
        ..NewEvent::default()
    };
    let event = session.add_event(&case, &event).expect("event");
    let act = NewAct {
        act_type: "torture".into(),
        victim: id_to_hex(&person),
        agency: "kp_state_security".into(),
        consequences: "갈비뼈 골절".into(),
        ..NewAct::default()
    };
    session.add_act(&event, &act).expect("act");
    session.add_note(&case, "후속 면담 필요", None).expect("note");
    let attachment: Vec<u8> = (0..200_000u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8).collect();
    session.attach_reader(&case, "면담 <1>.ogg", &mut attachment.as_slice(), true).expect("attach");
    (case, attachment)
}

/// A team whose field device documented a case that reached HQ.
fn team_with_case() -> (TestTeam, ObjectId, Vec<u8>) {
    let mut team = TestTeam::new(1);
    let (case, attachment) = documented_case(team.device(0));
    sync_pair(&mut team.devices[0].session, &mut team.hq.session, None).expect("sync to HQ");
    (team, case, attachment)
}

fn verify(path: &Path, fingerprint: &str) -> EvidenceReport {
    verify_evidence(path, fingerprint).expect("a package to verify")
}

/// The failure codes, sorted and without duplicates.
fn failures(report: &EvidenceReport) -> Vec<&'static str> {
    let mut codes: Vec<&'static str> = report.failures.iter().map(|finding| finding.code.as_str()).collect();
    codes.sort_unstable();
    codes.dedup();
    codes
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("create the copy");
    for entry in std::fs::read_dir(from).expect("read the folder") {
        let entry = entry.expect("entry");
        let target = to.join(entry.file_name());
        if entry.file_type().expect("type").is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).expect("copy");
        }
    }
}

fn only_file_in(dir: &Path) -> PathBuf {
    let files: Vec<PathBuf> = std::fs::read_dir(dir).expect("list").map(|entry| entry.expect("entry").path()).collect();
    assert_eq!(files.len(), 1, "{files:?}");
    files.into_iter().next().expect("one file")
}

fn flip_byte(path: &Path, at: usize) {
    let mut bytes = std::fs::read(path).expect("read");
    bytes[at] ^= 0x01;
    std::fs::write(path, bytes).expect("write");
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|window| window == needle)
}

/// Every byte of every file of a folder package.
fn all_bytes(dir: &Path) -> Vec<u8> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).expect("list") {
        let path = entry.expect("entry").path();
        if path.is_dir() {
            out.extend(all_bytes(&path));
        } else {
            out.extend(std::fs::read(&path).expect("read"));
        }
    }
    out
}

/// The page holds no script, no event-handler attribute, no URL, and a strict CSP.
fn assert_inert_html(html: &str) {
    let lower = html.to_ascii_lowercase();
    assert!(!lower.contains("<script"), "no script element");
    assert!(!lower.contains("http://") && !lower.contains("https://"), "no URL");
    for tag in html.split('<').skip(1) {
        let tag = &tag[..tag.find('>').expect("every < opens a tag: content is escaped")];
        for attribute in tag.split_whitespace().skip(1) {
            assert!(!attribute.to_ascii_lowercase().starts_with("on"), "event handler in <{tag}>");
        }
        assert!(!tag.contains("//") && !tag.to_ascii_lowercase().contains("src="), "a resource in <{tag}>");
    }
    assert!(html.contains("<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'sha256-"));
}

#[test]
fn hq_exports_a_field_case_and_it_verifies_offline_identity_left_out() {
    let (mut team, case, attachment) = team_with_case();
    let scratch = tempfile::tempdir().expect("scratch");
    let package = scratch.path().join("evidence");
    let exported = team.hq.session.export_evidence(&case, &package, EvidenceOptions::default()).expect("export");
    assert_eq!((exported.documents, exported.attachments, exported.flagged_changes), (2, 1, 0));
    assert_eq!(exported.attachment_bytes, attachment.len() as u64);
    assert_eq!(exported.organisation_fingerprint.as_deref(), Some(team.fingerprint.as_str()));
    assert!(!exported.zip && !exported.identity_included);

    let report = verify(&package, &team.fingerprint);
    assert!(report.verified(), "{:?}", report.failures);
    assert!(report.warnings.is_empty(), "{:?}", report.warnings);
    assert_eq!(report.case_id.as_deref(), Some(id_to_hex(&case).as_str()));
    assert_eq!((report.documents, report.attachments), (2, 1));
    assert_eq!(report.changes, exported.changes);
    assert!(report.changes >= 8, "every edit of both documents: {}", report.changes);
    assert_eq!(report.attachment_bytes, attachment.len() as u64);

    // The attachment is there as attached; the layout is the documented one.
    let attached = only_file_in(&package.join("attachments"));
    assert_eq!(std::fs::read(&attached).expect("attachment"), attachment);
    assert!(attached.file_name().expect("name").to_string_lossy().ends_with("-면담__1_.ogg"));
    for file in ["manifest.json", "manifest.sig", "roster.bin", "case.json", "report.html"] {
        assert!(package.join(file).is_file(), "{file}");
    }
    assert_eq!(std::fs::read_dir(package.join("documents")).expect("documents").count(), 2);
    let manifest: Value = serde_json::from_slice(&std::fs::read(package.join("manifest.json")).expect("m")).expect("json");
    assert_eq!(manifest["format"], "cairn-evidence/1");
    assert_eq!(manifest["report"]["identity_included"], false);
    let field_id = team.device(0).device_identity().expect("identity").device_id;
    let signers: Vec<&str> =
        manifest["changes"].as_array().expect("changes").iter().filter_map(|c| c["signer"].as_str()).collect();
    assert!(signers.iter().all(|signer| *signer == field_id), "HQ wrote nothing of this case");
    let devices = manifest["devices"].as_array().expect("devices");
    assert!(devices.iter().any(|d| d["id"] == field_id.as_str() && d["role"] == "field" && d["name"] == "field-1"));

    // No identity value in any byte of the package; the case JSON has the case.
    let bytes = all_bytes(&package);
    assert!(!contains(&bytes, REAL_NAME.as_bytes()) && !contains(&bytes, CONTACT.as_bytes()), "identity exported");
    let case_json: Value = serde_json::from_slice(&std::fs::read(package.join("case.json")).expect("case")).expect("json");
    assert_eq!(case_json["cases"][0]["title"], HOSTILE_TITLE);
    assert_eq!(case_json["cases"][0]["persons"][0]["pseudonym"], "HS-7");

    // The report: escaped, inert, in English, with the custody trail.
    let html = std::fs::read_to_string(package.join("report.html")).expect("report");
    assert_inert_html(&html);
    assert!(html.contains("<html lang=\"en\">"));
    assert!(html.contains("&lt;img src=x onerror=alert(1)&gt; 혜산 &quot;구류장&quot;"));
    assert!(!html.contains("<img") && !html.contains("<b>굵게"));
    assert!(html.contains("Chain of custody") && html.contains("Torture") && html.contains(&field_id));
    assert!(html.contains("Identity fields are not part of this report."));

    // Exporting again over it needs overwrite.
    let again = team.hq.session.export_evidence(&case, &package, EvidenceOptions::default());
    assert_eq!(again.expect_err("exists").code(), "target_exists");
    let options = EvidenceOptions { overwrite: true, ..EvidenceOptions::default() };
    team.hq.session.export_evidence(&case, &package, options).expect("replace");
    assert!(verify(&package, &team.fingerprint).verified());
}

#[test]
fn every_kind_of_tampering_is_refused_with_its_code() {
    let (mut team, case, _) = team_with_case();
    let scratch = tempfile::tempdir().expect("scratch");
    let package = scratch.path().join("evidence");
    team.hq.session.export_evidence(&case, &package, EvidenceOptions::default()).expect("export");
    let tampered = |name: &str| {
        let copy = scratch.path().join(name);
        copy_dir(&package, &copy);
        copy
    };

    // (a) A flipped byte in the attachment.
    let copy = tampered("attachment");
    flip_byte(&only_file_in(&copy.join("attachments")), 1000);
    let report = verify(&copy, &team.fingerprint);
    assert_eq!(failures(&report), ["attachment_hash_mismatch"]);
    assert_eq!(report.failures[0].attachment.as_deref().map(str::len), Some(32), "names the attachment");

    // (b) A change removed from the case document's changes file: caught by its file hash, and,
    // with the manifest re-signed over the new file hash, by rebuilding the document.
    let copy = tampered("removed-change");
    let changes_file = copy.join("documents").join(format!("{}.changes", id_to_hex(&case)));
    let mut frames = unframe(&std::fs::read(&changes_file).expect("changes"));
    assert!(frames.len() >= 4);
    frames.remove(2);
    let shortened: Vec<u8> = frames.iter().flat_map(|change| frame(change)).collect();
    std::fs::write(&changes_file, &shortened).expect("write");
    let report = verify(&copy, &team.fingerprint);
    assert!(failures(&report).contains(&"file_hash_mismatch"), "{:?}", report.failures);
    let case_hex = id_to_hex(&case);
    resign_evidence_manifest(&mut team.hq.session, &copy, |manifest| {
        let documents = manifest["documents"].as_array_mut().expect("documents");
        let document = documents.iter_mut().find(|d| d["id"] == case_hex.as_str()).expect("case document");
        document["size"] = shortened.len().into();
        document["sha256"] = sha256_hex(&shortened).into();
    });
    let report = verify(&copy, &team.fingerprint);
    let codes = failures(&report);
    assert!(codes.contains(&"change_missing") && codes.contains(&"document_incomplete"), "{codes:?}");
    assert!(!codes.contains(&"file_hash_mismatch") && !codes.contains(&"manifest_signature_bad"), "{codes:?}");
    let missing = report.failures.iter().find(|f| f.code.as_str() == "change_missing").expect("named");
    assert_eq!(missing.document.as_deref(), Some(case_hex.as_str()));
    assert_eq!(missing.change.as_deref().map(str::len), Some(64));

    // (d) A flipped byte in case.json, in report.html.
    let copy = tampered("case-json");
    flip_byte(&copy.join("case.json"), 40);
    let report = verify(&copy, &team.fingerprint);
    assert_eq!(failures(&report), ["case_json_mismatch", "file_hash_mismatch"]);
    assert!(report.failures.iter().all(|finding| finding.file.as_deref() == Some("case.json")));
    let copy = tampered("report");
    flip_byte(&copy.join("report.html"), 500);
    let report = verify(&copy, &team.fingerprint);
    assert_eq!(failures(&report), ["file_hash_mismatch"]);
    assert_eq!(report.failures[0].file.as_deref(), Some("report.html"));

    // (e) Another organisation's fingerprint.
    let other = TestTeam::new(0);
    assert_eq!(failures(&verify(&package, &other.fingerprint)), ["fingerprint_mismatch"]);
    let malformed = verify_evidence(&package, "12345");
    assert_eq!(malformed.expect_err("malformed").code(), "evidence_fingerprint_malformed");

    // The manifest edited without its signature; the signature gone; an unlisted file.
    let copy = tampered("manifest");
    let text = std::fs::read_to_string(copy.join("manifest.json")).expect("manifest");
    std::fs::write(copy.join("manifest.json"), text.replacen("\"case_deleted\": false", "\"case_deleted\": true", 1))
        .expect("write");
    assert_eq!(failures(&verify(&copy, &team.fingerprint)), ["case_json_mismatch", "manifest_signature_bad"]);
    let copy = tampered("signature");
    std::fs::remove_file(copy.join("manifest.sig")).expect("remove");
    assert_eq!(failures(&verify(&copy, &team.fingerprint)), ["manifest_signature_missing"]);
    let copy = tampered("extra");
    std::fs::write(copy.join("notes.txt"), b"added later").expect("write");
    let report = verify(&copy, &team.fingerprint);
    assert!(report.verified());
    assert_eq!(report.codes(), ["file_unlisted"]);

    // A custody signature altered in the manifest (re-signed): the change's signature fails.
    let copy = tampered("signature-of-a-change");
    resign_evidence_manifest(&mut team.hq.session, &copy, |manifest| {
        let change = &mut manifest["changes"][1];
        let signature = change["signature"].as_str().expect("signed").to_owned();
        let flipped = if signature.starts_with('0') { "1" } else { "0" };
        change["signature"] = format!("{flipped}{}", &signature[1..]).into();
    });
    let report = verify(&copy, &team.fingerprint);
    assert_eq!(failures(&report), ["change_bad_signature", "custody_verdict_mismatch"]);

    // Nothing at all, and a file that is no package.
    assert_eq!(
        verify_evidence(&scratch.path().join("nothing"), &team.fingerprint).expect_err("none").code(),
        "evidence_not_found"
    );
    let junk = scratch.path().join("junk.zip");
    std::fs::write(&junk, b"not a zip").expect("write");
    assert_eq!(failures(&verify(&junk, &team.fingerprint)), ["package_unreadable"]);
}

/// Everything `from` holds of one case, sealed as it would send it, each envelope passed
/// through `edit`; applied on `to` in one message.
fn send_case(
    from: &mut Session,
    to: &mut Session,
    case: &ObjectId,
    mut edit: impl FnMut(&mut Session, &DocRef, cairn_sync::SealedChange) -> cairn_sync::SealedChange,
) {
    let docs: Vec<DocRef> = from
        .case_digests(case)
        .expect("digests")
        .into_iter()
        .map(|digest| DocRef { case_id: digest.case_id, doc_id: digest.doc_id })
        .collect();
    let mut incoming = Incoming::default();
    {
        let mut store = from.sync_store().expect("store");
        incoming.case_keys.push(store.export_case_key(case).expect("key"));
        for doc in &docs {
            incoming.changes.push((*doc, store.changes_since(doc, &[]).expect("changes")));
        }
    }
    for (doc, changes) in &mut incoming.changes {
        *changes = std::mem::take(changes).into_iter().map(|sealed| edit(from, doc, sealed)).collect();
    }
    to.sync_store().expect("store").apply(&incoming).expect("applied");
}

#[test]
fn a_change_signed_by_a_device_not_on_the_roster_is_refused() {
    let mut team = TestTeam::new(1);
    let case = team.device(0).create_case("Outsider").expect("case");
    team.device(0).add_note(&case, "first", None).expect("note");
    team.device(0).add_note(&case, "second", None).expect("note");
    // The last change reaches HQ signed by a device no roster lists (its own, valid signature).
    let outsider = cairn_crypto::SigningSecretKey::generate();
    let written = team.device(0).custody_trail(&case).expect("trail");
    let (count, last_hash) = (written.len(), written.last().expect("last").change_hash);
    assert!(count >= 3);
    let [device] = team.devices.get_disjoint_mut([0]).expect("device");
    let mut index = 0;
    send_case(&mut device.session, &mut team.hq.session, &case, |from, doc, sealed| {
        index += 1;
        if index < count {
            return sealed;
        }
        reseal_change(from, doc, &sealed, |_| {
            Some(cairn_crypto::ChangeCustody::sign(&outsider, [0x77; 16], &case, &doc.doc_id, &last_hash))
        })
    });
    let trail = team.hq.session.custody_trail(&case).expect("trail");
    assert_eq!(trail.iter().filter(|entry| entry.verdict.is_flagged()).count(), 1, "{trail:?}");

    let scratch = tempfile::tempdir().expect("scratch");
    let package = scratch.path().join("evidence");
    let exported = team.hq.session.export_evidence(&case, &package, EvidenceOptions::default()).expect("export");
    assert_eq!(exported.flagged_changes, 1);
    let report = verify(&package, &team.fingerprint);
    assert_eq!(failures(&report), ["change_unknown_signer"], "only this defect");
    assert_eq!(report.failures.len(), 1);
    assert_eq!(report.failures[0].device.as_deref(), Some("77".repeat(16).as_str()));
    assert_eq!(report.failures[0].change.as_deref(), Some(hex(&trail.last().expect("last").change_hash).as_str()));
}

#[test]
fn a_change_first_received_after_its_signers_revocation_is_a_warning() {
    let mut team = TestTeam::new(2);
    let case = team.device(0).create_case("Before and after").expect("case");
    sync_pair(&mut team.devices[0].session, &mut team.hq.session, None).expect("to HQ before");
    team.device(0).add_note(&case, "written before the revocation", None).expect("note");
    let [a, b] = team.devices.get_disjoint_mut([0, 1]).expect("two devices");
    sync_pair(&mut a.session, &mut b.session, None).expect("to a colleague");
    team.revoke(0);
    sync_pair(&mut team.devices[1].session, &mut team.hq.session, None).expect("the colleague relays it");

    let scratch = tempfile::tempdir().expect("scratch");
    let package = scratch.path().join("evidence.zip");
    let exported = team.hq.session.export_evidence(&case, &package, EvidenceOptions::default()).expect("export");
    assert!(exported.zip && exported.flagged_changes == 1);
    let report = verify(&package, &team.fingerprint);
    assert!(report.verified(), "HQ's honest record verifies: {:?}", report.failures);
    assert_eq!(report.codes(), ["change_received_after_revocation"]);
    let revoked = team.devices[0].session.device_identity().expect("identity").device_id;
    assert_eq!(report.warnings[0].device.as_deref(), Some(revoked.as_str()));
}

#[test]
fn identity_only_from_hq_on_request_and_a_korean_zip_verifies() {
    let (mut team, case, attachment) = team_with_case();
    let scratch = tempfile::tempdir().expect("scratch");
    let package = scratch.path().join("증거.zip");
    let options = EvidenceOptions { language: ReportLanguage::Korean, include_identity: true, ..EvidenceOptions::default() };
    let exported = team.hq.session.export_evidence(&case, &package, options).expect("export");
    assert!(exported.zip && exported.identity_included);
    let report = verify(&package, &team.fingerprint);
    assert!(report.verified(), "{:?}", report.failures);
    assert_eq!((report.documents, report.attachments), (2, 1));

    let mut archive = zip::ZipArchive::new(std::fs::File::open(&package).expect("zip")).expect("a zip");
    let read = |archive: &mut zip::ZipArchive<std::fs::File>, name: &str| {
        let mut bytes = Vec::new();
        std::io::Read::read_to_end(&mut archive.by_name(name).expect(name), &mut bytes).expect("read");
        bytes
    };
    let html = String::from_utf8(read(&mut archive, "report.html")).expect("utf-8");
    assert_inert_html(&html);
    assert!(html.contains("<html lang=\"ko\">") && html.contains("증거 보고서") && html.contains("고문"));
    assert!(html.contains(REAL_NAME) && html.contains(CONTACT), "identity in the report, as asked");
    let case_json = read(&mut archive, "case.json");
    assert!(!contains(&case_json, REAL_NAME.as_bytes()), "never in case.json");
    let manifest: Value = serde_json::from_slice(&read(&mut archive, "manifest.json")).expect("json");
    assert_eq!(manifest["report"]["identity_included"], true);
    assert_eq!(manifest["report"]["language"], "ko");
    drop(archive);

    // A flipped byte in the zip's (stored) attachment does not verify.
    let mut bytes = std::fs::read(&package).expect("zip bytes");
    let at = bytes.windows(64).position(|window| window == &attachment[5000..5064]).expect("stored as it is");
    bytes[at] ^= 1;
    let tampered = scratch.path().join("tampered.zip");
    std::fs::write(&tampered, bytes).expect("write");
    let report = verify(&tampered, &team.fingerprint);
    assert!(!report.verified());
    assert_eq!(failures(&report), ["attachment_hash_mismatch"]);

    // A field device exports nothing; identity only from HQ's vault.
    let refused = team.device(0).export_evidence(&case, &scratch.path().join("field"), EvidenceOptions::default());
    assert!(matches!(refused, Err(CoreError::Export(ExportError::NotAllowed))), "{refused:?}");
    assert!(!scratch.path().join("field").exists());
    let (_vault, mut solo) = TestVault::create();
    let (solo_case, _) = documented_case(&mut solo);
    let options = EvidenceOptions { include_identity: true, ..EvidenceOptions::default() };
    let refused = solo.export_evidence(&solo_case, &scratch.path().join("solo"), options);
    assert_eq!(refused.expect_err("identity").code(), "export_identity_not_allowed");
}

#[test]
fn a_vault_outside_any_organisation_exports_and_verifies_with_its_device_fingerprint() {
    let (_vault, mut solo) = TestVault::create();
    let (case, _) = documented_case(&mut solo);
    let scratch = tempfile::tempdir().expect("scratch");
    let package = scratch.path().join("solo");
    let exported = solo.export_evidence(&case, &package, EvidenceOptions::default()).expect("export");
    assert_eq!(exported.organisation_fingerprint, None);
    let device = solo.device_identity().expect("identity").fingerprint;
    assert_eq!(exported.device_fingerprint, device);
    assert!(!package.join("roster.bin").exists());
    let report = verify(&package, &device);
    assert!(report.verified() && report.warnings.is_empty(), "{:?}", report.failures);
    let other = TestTeam::new(0);
    assert_eq!(failures(&verify(&package, &other.fingerprint)), ["fingerprint_mismatch"]);
}

fn unframe(mut bytes: &[u8]) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    while !bytes.is_empty() {
        let length = u32::from_le_bytes(bytes[..4].try_into().expect("4")) as usize;
        out.push(bytes[4..4 + length].to_vec());
        bytes = &bytes[4 + length..];
    }
    out
}

fn frame(change: &[u8]) -> Vec<u8> {
    let mut out = (change.len() as u32).to_le_bytes().to_vec();
    out.extend_from_slice(change);
    out
}

fn sha256_hex(bytes: &[u8]) -> String {
    let mut hasher = cairn_crypto::ContentHasher::new();
    hasher.update(bytes);
    hex(&hasher.finish())
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}

#[test]
fn a_handed_over_case_carries_hqs_receipt_and_an_altered_one_is_refused() {
    let (mut team, case, _) = team_with_case();
    team.device(0).set_ready_for_handover(&case, true, true).expect("ready");
    sync_pair(&mut team.devices[0].session, &mut team.hq.session, None).expect("sync");
    team.hq.session.settle_handovers().expect("settle");
    let scratch = tempfile::tempdir().expect("scratch");
    let package = scratch.path().join("evidence");
    let exported = team.hq.session.export_evidence(&case, &package, EvidenceOptions::default()).expect("export");
    assert_eq!(exported.documents, 3, "the case, the testimony and the receipts document");
    let report = verify(&package, &team.fingerprint);
    assert!(report.verified() && report.warnings.is_empty(), "{:?} {:?}", report.failures, report.warnings);
    let manifest: Value = serde_json::from_slice(&std::fs::read(package.join("manifest.json")).expect("m")).expect("json");
    let receipts = manifest["receipts"].as_array().expect("receipts");
    assert_eq!(receipts.len(), 1);
    assert_eq!(receipts[0]["signer"], team.hq.session.device_identity().expect("identity").device_id.as_str());

    // A receipt altered in the manifest (re-signed): it does not verify, and it is not the one
    // the signed receipts document holds.
    resign_evidence_manifest(&mut team.hq.session, &package, |manifest| {
        let bytes = manifest["receipts"][0]["bytes"].as_str().expect("hex").to_owned();
        let last = if bytes.ends_with('0') { "1" } else { "0" };
        manifest["receipts"][0]["bytes"] = format!("{}{last}", &bytes[..bytes.len() - 1]).into();
    });
    assert_eq!(failures(&verify(&package, &team.fingerprint)), ["receipt_invalid", "receipt_mismatch"]);
}
