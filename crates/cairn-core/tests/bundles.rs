//! Store-and-forward bundles between vaults (DESIGN §5): what one device writes for another
//! arrives whole, acknowledgements shrink the next bundle, and anything damaged, replayed,
//! misaddressed or from a stranger leaves the vault exactly as it was.

use cairn_core::{
    CoreError, Session,
    bundle::{BundleObserver, BundleOut, BundleRefusal, BundleStep},
    cases::{NewPerson, NewTestimony, ObjectId, id_to_hex},
    testing::TestTeam,
};
use cairn_model::parse_id;

fn id_of(session: &mut Session) -> [u8; 16] {
    parse_id(&session.device_identity().expect("identity").device_id).expect("id")
}

/// The bundle `from` makes for `to`, recorded as written (as the CLI does after its rename).
fn bundle(from: &mut Session, to: &mut Session) -> BundleOut {
    let recipient = id_of(to);
    let out = from.export_bundle(&recipient).expect("export");
    from.record_bundle_written(&out).expect("record");
    out
}

fn import(session: &mut Session, bytes: &[u8]) -> Result<bool, CoreError> {
    match session.read_bundle(bytes)? {
        Some(bundle) => {
            session.apply_bundle(&bundle, |_, _| true)?;
            Ok(true)
        }
        None => Ok(false),
    }
}

fn sample_case(session: &mut Session, title: &str) -> ObjectId {
    let case = session.create_case(title).expect("case");
    let person = session.add_person(&case, &NewPerson { pseudonym: "R-7".into(), ..NewPerson::default() }).expect("person");
    let testimony = NewTestimony {
        source_person: id_to_hex(&person),
        language: "ko".into(),
        narrative: "두만강을 밤에 건넜습니다.".into(),
        ..NewTestimony::default()
    };
    session.add_testimony(&case, &testimony).expect("testimony");
    case
}

fn attach(session: &mut Session, case: &ObjectId, name: &str, len: usize) -> (ObjectId, Vec<u8>) {
    let content: Vec<u8> = (0..len).map(|i| (i as u8).wrapping_mul(31).wrapping_add(7)).collect();
    let info = session.attach_reader(case, name, &mut content.as_slice(), true).expect("attach");
    (info.id, content)
}

/// Everything a person could see of the vault: the case list and every case opened.
fn snapshot(session: &mut Session) -> String {
    let cases = session.list_cases().expect("list");
    let mut out = format!("{cases:?}");
    for case in &cases {
        out.push_str(&format!("{:?}", session.open_case(&case.id).expect("open")));
    }
    out
}

/// What two devices must agree on once converged (local timestamps and list order aside).
fn shared_view(session: &mut Session) -> Vec<String> {
    let mut cases: Vec<String> = session
        .list_cases()
        .expect("list")
        .iter()
        .map(|case| {
            let view = session.open_case(&case.id).expect("open");
            format!("{:?} {:?} {:?} {:?}", view.id, view.record, view.testimonies, view.document_heads)
        })
        .collect();
    cases.sort();
    cases
}

fn exported(session: &mut Session, attachment: &ObjectId) -> Vec<u8> {
    let mut out = Vec::new();
    session.export_attachment(attachment, &mut out).expect("export attachment");
    out
}

#[test]
fn a_to_b_to_a_converges_and_acknowledgements_shrink_the_next_bundle() {
    let mut team = TestTeam::new(2);
    let case_a = sample_case(team.device(0), "강 건너기 River crossing");
    let (attachment, content) = attach(team.device(0), &case_a, "map-of-route.jpg", 200_000);
    let case_b = sample_case(team.device(1), "국경 Border interview");
    let [a, b] = team.devices.get_disjoint_mut([0, 1]).expect("two devices");

    let first = bundle(&mut a.session, &mut b.session);
    assert_eq!(first.contents.attachments, 1);
    assert!(first.contents.documents >= 2);
    assert!(import(&mut b.session, &first.bytes).expect("import on b"));
    assert_eq!(exported(&mut b.session, &attachment), content);

    let reply = bundle(&mut b.session, &mut a.session);
    assert!(import(&mut a.session, &reply.bytes).expect("import on a"));
    // Converged: same cases, same content on both.
    assert_eq!(shared_view(&mut a.session), shared_view(&mut b.session));
    assert_eq!(shared_view(&mut a.session).len(), 2);
    assert!(a.session.open_case(&case_b).is_ok());

    // B acknowledged everything A sent: A's next bundle carries only A's own state.
    let second = bundle(&mut a.session, &mut b.session);
    assert_eq!((second.contents.documents, second.contents.attachments, second.contents.case_keys), (0, 0, 0));
    assert!(!second.contents.roster);
    assert!(second.bytes.len() < first.bytes.len() / 10, "{} vs {}", second.bytes.len(), first.bytes.len());
    // Until acknowledged, the same content is sent again.
    a.session.set_case_field(&case_a, cairn_core::cases::CaseField::Risk, "low").expect("edit");
    let third = bundle(&mut a.session, &mut b.session);
    let fourth = bundle(&mut a.session, &mut b.session);
    assert_eq!((third.contents.documents, fourth.contents.documents), (1, 1));
    assert_eq!(third.file_name, fourth.file_name, "a later bundle for the same peer replaces the earlier");
    assert_eq!(third.file_name.len(), 32);
}

#[test]
fn the_same_bundle_twice_and_bundles_out_of_order_are_harmless() {
    let mut team = TestTeam::new(2);
    let case = sample_case(team.device(0), "Case one");
    let [a, b] = team.devices.get_disjoint_mut([0, 1]).expect("two devices");
    let older = bundle(&mut a.session, &mut b.session);
    a.session.set_case_field(&case, cairn_core::cases::CaseField::Risk, "high").expect("edit");
    let newer = bundle(&mut a.session, &mut b.session);
    // Newer first, then the older one (out of order), then both again.
    assert!(import(&mut b.session, &newer.bytes).expect("newer"));
    let after_newer = snapshot(&mut b.session);
    assert!(import(&mut b.session, &older.bytes).expect("older"));
    assert!(import(&mut b.session, &newer.bytes).expect("newer again"));
    assert!(import(&mut b.session, &older.bytes).expect("older again"));
    assert_eq!(snapshot(&mut b.session), after_newer);
    assert_eq!(b.session.open_case(&case).expect("case").record.risk.as_str(), "high");
    // The older bundle did not move B's record of A's state backwards.
    let reread = b.session.read_bundle(&older.bytes).expect("read").expect("addressed");
    assert!(!b.session.apply_bundle(&reread, |_, _| true).expect("apply").state_updated);
}

#[test]
fn a_third_device_skips_a_bundle_it_cannot_read() {
    let mut team = TestTeam::new(3);
    sample_case(team.device(0), "Not for C");
    let [a, b, c] = team.devices.get_disjoint_mut([0, 1, 2]).expect("three devices");
    let out = bundle(&mut a.session, &mut b.session);
    let before = snapshot(&mut c.session);
    assert!(!import(&mut c.session, &out.bytes).expect("skipped without error"));
    assert_eq!(snapshot(&mut c.session), before);
    // C carried it on; B still reads it.
    assert!(import(&mut b.session, &out.bytes).expect("b"));
}

#[test]
fn damaged_bundles_are_refused_and_change_nothing() {
    let mut team = TestTeam::new(2);
    sample_case(team.device(0), "Damage test");
    let case = team.device(0).list_cases().expect("list")[0].id;
    attach(team.device(0), &case, "photo.png", 300_000);
    let [a, b] = team.devices.get_disjoint_mut([0, 1]).expect("two devices");
    let out = bundle(&mut a.session, &mut b.session);
    let bytes = &out.bytes;
    let before = snapshot(&mut b.session);
    let stanza = cairn_crypto::BUNDLE_STANZA_LEN;
    let chunk = cairn_crypto::BUNDLE_CHUNK_LEN + 16;
    let mut cuts: Vec<usize> =
        (0..=bytes.len() / chunk).flat_map(|i| [stanza + i * chunk, stanza + i * chunk + 1]).collect();
    let mut state = 0x9e37_79b9_7f4a_7c15u64;
    let mut random = |bound: usize| {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state % bound as u64) as usize
    };
    cuts.extend((0..20).map(|_| random(bytes.len())));
    for cut in cuts.into_iter().filter(|cut| *cut < bytes.len()) {
        match import(&mut b.session, &bytes[..cut]) {
            Err(CoreError::Bundle(BundleRefusal::Damaged)) => {}
            // Cut inside the stanza: not recognisably addressed to B at all.
            Ok(false) if cut < stanza => {}
            other => panic!("cut at {cut}: {other:?}"),
        }
    }
    for _ in 0..20 {
        let mut flipped = bytes.clone();
        let at = random(bytes.len());
        flipped[at] ^= 1 << random(8);
        match import(&mut b.session, &flipped) {
            Err(CoreError::Bundle(BundleRefusal::Damaged)) => {}
            Ok(false) if at < stanza => {}
            other => panic!("flip at {at}: {other:?}"),
        }
    }
    // A stanza from another bundle for B: the payload does not open under its file key.
    let other = bundle(&mut a.session, &mut b.session);
    let mut swapped = bytes.clone();
    swapped[..stanza].copy_from_slice(&other.bytes[..stanza]);
    assert!(matches!(import(&mut b.session, &swapped), Err(CoreError::Bundle(BundleRefusal::Damaged))));
    assert_eq!(snapshot(&mut b.session), before, "nothing of a refused bundle was applied");
    assert!(import(&mut b.session, bytes).expect("the intact bundle still imports"));
}

#[test]
fn bundles_from_revoked_devices_or_strangers_are_refused() {
    let mut team = TestTeam::new(3);
    sample_case(team.device(2), "From the revoked");
    let b_id = id_of(team.device(1));
    let from_revoked = team.device(2).export_bundle(&b_id).expect("export before revocation");
    team.revoke(2);
    let before = snapshot(team.device(1));
    assert!(matches!(import(team.device(1), &from_revoked.bytes), Err(CoreError::Bundle(BundleRefusal::RevokedSender))));
    // A device of another organisation, addressing B's key: not on B's roster.
    let mut stranger_team = TestTeam::new(1);
    sample_case(stranger_team.device(0), "Stranger");
    assert!(stranger_team.device(0).export_bundle(&b_id).is_err(), "B is not on the stranger's roster");
    // Signed by a key not on the roster, claiming to come from A (a member).
    let a_id = id_of(team.device(0));
    let forged = cairn_core::testing::forged_bundle(team.device(0), &b_id, a_id);
    assert!(matches!(import(team.device(1), &forged), Err(CoreError::Bundle(BundleRefusal::BadSignature))));
    assert_eq!(snapshot(team.device(1)), before);
}

#[test]
fn nothing_of_the_cases_is_readable_in_a_bundle() {
    let mut team = TestTeam::new(2);
    let title = "Sinuiju detention 신의주";
    let case = sample_case(team.device(0), title);
    attach(team.device(0), &case, "witness-statement.pdf", 5000);
    let [a, b] = team.devices.get_disjoint_mut([0, 1]).expect("two devices");
    let out = bundle(&mut a.session, &mut b.session);
    for marker in [title.as_bytes(), "신의주".as_bytes(), b"R-7", "두만강".as_bytes(), b"witness-statement", b"cairn"]
    {
        assert!(!out.bytes.windows(marker.len()).any(|window| window == marker));
        assert!(!out.file_name.as_bytes().windows(marker.len()).any(|window| window == marker));
    }
    assert!(out.file_name.bytes().all(|c| c.is_ascii_hexdigit()));
}

#[test]
fn an_import_stopped_after_any_unit_leaves_whole_units_and_importing_again_completes_it() {
    let mut stop_after = 1;
    loop {
        let mut team = TestTeam::new(2);
        sample_case(team.device(0), "First case");
        let second = sample_case(team.device(0), "Second case");
        let (attachment, content) = attach(team.device(0), &second, "scan.pdf", 150_000);
        let [a, b] = team.devices.get_disjoint_mut([0, 1]).expect("two devices");
        let out = bundle(&mut a.session, &mut b.session);
        let expected = shared_view(&mut a.session);
        let verified = b.session.read_bundle(&out.bytes).expect("read").expect("addressed");
        let units = 1 + verified.contents.documents + verified.contents.tombstones + verified.contents.attachments;
        if stop_after >= units {
            break;
        }
        // Cancel between two units: everything before it committed, nothing after.
        let stopped = b.session.apply_bundle(&verified, |done, _| done < stop_after).expect_err("stopped");
        assert_eq!(stopped.code(), "cancelled", "the import was stopped after {stop_after} units");
        // Every case that shows opens: whole documents, or marked as still arriving.
        for case in b.session.list_cases().expect("list") {
            b.session.open_case(&case.id).expect("opens");
        }
        assert!(import(&mut b.session, &out.bytes).expect("import again"));
        assert_eq!(shared_view(&mut b.session), expected, "completed after a stop at {stop_after}");
        assert_eq!(exported(&mut b.session, &attachment), content);
        stop_after += 1;
    }
    assert!(stop_after > 4, "the bundle had several units");
}

#[test]
fn changes_after_a_revocation_arrive_with_the_new_case_key() {
    let mut team = TestTeam::new(3);
    let case = sample_case(team.device(0), "Before the revocation");
    {
        let [a, b] = team.devices.get_disjoint_mut([0, 1]).expect("two devices");
        let out = bundle(&mut a.session, &mut b.session);
        assert!(import(&mut b.session, &out.bytes).expect("b"));
        let ack = bundle(&mut b.session, &mut a.session);
        assert!(import(&mut a.session, &ack.bytes).expect("a"));
    }
    team.revoke(2);
    let [a, b] = team.devices.get_disjoint_mut([0, 1]).expect("two devices");
    a.session.set_case_field(&case, cairn_core::cases::CaseField::Risk, "low").expect("edit under the new key");
    let out = bundle(&mut a.session, &mut b.session);
    assert_eq!(out.contents.documents, 1);
    assert!(import(&mut b.session, &out.bytes).expect("b imports"));
    assert_eq!(b.session.open_case(&case).expect("case").record.risk.as_str(), "low");
}

/// Counts steps and presses Cancel once `cancel_at` steps were seen.
#[derive(Default)]
struct Watcher {
    steps: Vec<BundleStep>,
    cancel_at: Option<usize>,
}

impl BundleObserver for Watcher {
    fn step(&mut self, step: BundleStep) {
        self.steps.push(step);
    }
    fn cancelled(&self) -> bool {
        self.cancel_at.is_some_and(|at| self.steps.len() >= at)
    }
}

#[test]
fn a_folder_on_a_stick_carries_bundles_for_several_devices_and_import_skips_refuses_and_applies() {
    let mut team = TestTeam::new(3);
    sample_case(team.device(0), "Carried on a stick");
    let stick = tempfile::tempdir().expect("stick");
    let mut watcher = Watcher::default();
    let recipients = [id_of(team.device(1)), id_of(team.device(2))];
    let written = team.device(0).export_bundles(stick.path(), &recipients, &mut watcher).expect("export");
    assert_eq!(written.len(), 2, "one bundle for each device asked for");
    assert_eq!([written[0].recipient, written[1].recipient], recipients);
    assert!(matches!(watcher.steps[..], [BundleStep::Writing { index: 0, of: 2 }, BundleStep::Writing { index: 1, of: 2 }]));
    let on_stick = std::fs::read_dir(stick.path()).expect("list").count();
    assert_eq!(on_stick, 2, "no temporary file is left");
    // A file that is not a bundle at all sits on the stick too.
    std::fs::write(stick.path().join("notes"), b"shopping list").expect("other file");

    let expected = shared_view(team.device(0));
    let report = team.device(1).import_bundles(stick.path(), &mut ()).expect("import");
    assert_eq!((report.files, report.imported, report.skipped), (3, 1, 2), "its own bundle; the other two are not for it");
    assert!(report.refused.is_empty(), "a file that is not addressed to it is skipped, not refused");
    assert_eq!(shared_view(team.device(1)), expected);

    // A damaged bundle in a folder is reported, and the others still apply.
    let for_third = stick.path().join(&written[1].file_names[0]);
    let mut bytes = std::fs::read(&for_third).expect("read");
    let middle = bytes.len() / 2;
    bytes[middle] ^= 1;
    std::fs::write(&for_third, &bytes).expect("damage");
    let before = shared_view(team.device(2));
    let report = team.device(2).import_bundles(stick.path(), &mut ()).expect("folder import");
    assert_eq!(report.refused.len(), 1);
    assert_eq!(report.refused[0].error.code(), "bundle_damaged");
    assert_eq!(report.refused[0].file_name, written[1].file_names[0]);
    assert_eq!(shared_view(team.device(2)), before, "nothing of it was applied");
    // The same file alone is an error.
    let error = team.device(2).import_bundles(&for_third, &mut ()).expect_err("single file");
    assert_eq!(error.code(), "bundle_damaged");
    let inspection = team.device(1).inspect_bundle(&stick.path().join(&written[0].file_names[0])).expect("inspect");
    assert_eq!(inspection.size, written[0].size);
    assert!(inspection.verified.is_some_and(|(_, _, contents)| contents.documents > 0));
}

#[test]
fn cancel_stops_an_export_within_a_bundle_and_an_import_between_units() {
    let mut team = TestTeam::new(3);
    sample_case(team.device(0), "Cancelled halfway");
    let stick = tempfile::tempdir().expect("stick");
    let recipients = [id_of(team.device(1)), id_of(team.device(2))];
    // Cancel while the first bundle is being written: nothing at all is left.
    let mut watcher = Watcher { cancel_at: Some(1), ..Watcher::default() };
    let error = team.device(0).export_bundles(stick.path(), &recipients, &mut watcher).expect_err("cancelled");
    assert_eq!(error.code(), "cancelled");
    assert_eq!(std::fs::read_dir(stick.path()).expect("list").count(), 0, "no partial or temporary file");
    // Cancel during the second: the first is whole, the second left nothing.
    let mut watcher = Watcher { cancel_at: Some(2), ..Watcher::default() };
    let error = team.device(0).export_bundles(stick.path(), &recipients, &mut watcher).expect_err("cancelled");
    assert_eq!(error.code(), "cancelled");
    assert_eq!(std::fs::read_dir(stick.path()).expect("list").count(), 1, "the first bundle is whole; no partial file");

    let expected = shared_view(team.device(0));
    let mut watcher = Watcher { cancel_at: Some(3), ..Watcher::default() };
    let error = team.device(1).import_bundles(stick.path(), &mut watcher).expect_err("cancelled");
    assert_eq!(error.code(), "cancelled");
    assert_ne!(shared_view(team.device(1)), expected, "stopped before everything was applied");
    team.device(1).import_bundles(stick.path(), &mut ()).expect("import again");
    assert_eq!(shared_view(team.device(1)), expected, "importing again completes it");
}

/// Parts of three sealed chunks (the first after its stanza): a few hundred kilobytes make a
/// bundle of several parts, as a multi-gigabyte one is cut below FAT32's 4 GiB.
const SMALL_PART: u64 = (cairn_crypto::BUNDLE_STANZA_LEN + 3 * cairn_crypto::BUNDLE_SEALED_CHUNK_LEN) as u64;

fn files_on(stick: &std::path::Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(stick)
        .expect("list")
        .map(|entry| entry.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[test]
fn a_bundle_longer_than_a_part_travels_in_parts_and_a_damaged_part_is_refused_whole() {
    let mut team = TestTeam::new(2);
    let case = sample_case(team.device(0), "Split across parts");
    let (attachment, content) = attach(team.device(0), &case, "long-recording.wav", 700_000);
    let b_id = id_of(team.device(1));
    let stick = tempfile::tempdir().expect("stick");
    let written =
        team.device(0).export_bundles_in_parts(stick.path(), &[b_id], &mut (), SMALL_PART).expect("export in parts");
    let names = &written[0].file_names;
    assert!(names.len() >= 4, "{} parts", names.len());
    let mut sorted_names = names.clone();
    sorted_names.sort();
    assert_eq!(files_on(stick.path()), sorted_names, "every part in place, nothing else");
    let sizes: Vec<u64> = names.iter().map(|name| std::fs::metadata(stick.path().join(name)).expect("part").len()).collect();
    assert!(sizes.iter().all(|size| *size <= SMALL_PART));
    assert_eq!(sizes.iter().sum::<u64>(), written[0].size);
    assert!(names.iter().all(|name| name.len() == 32 && name.bytes().all(|c| c.is_ascii_hexdigit())));

    // One part cut short: the whole bundle is refused, from the folder or from its first file.
    let expected = shared_view(team.device(0));
    let before = shared_view(team.device(1));
    let third = stick.path().join(&names[2]);
    let intact = std::fs::read(&third).expect("part");
    for cut in [intact.len() / 2, cairn_crypto::BUNDLE_SEALED_CHUNK_LEN] {
        std::fs::write(&third, &intact[..cut]).expect("truncate");
        let report = team.device(1).import_bundles(stick.path(), &mut ()).expect("folder import");
        assert_eq!((report.imported, report.refused.len()), (0, 1));
        assert_eq!(report.refused[0].error.code(), "bundle_damaged");
        assert_eq!(report.refused[0].file_name, names[0]);
        let error = team.device(1).import_bundles(&stick.path().join(&names[0]), &mut ()).expect_err("single file");
        assert_eq!(error.code(), "bundle_damaged");
        assert_eq!(shared_view(team.device(1)), before, "nothing of it was applied");
    }
    std::fs::remove_file(&third).expect("remove a part");
    let report = team.device(1).import_bundles(stick.path(), &mut ()).expect("folder import");
    assert_eq!(report.refused[0].error.code(), "bundle_damaged", "a missing part");
    assert_eq!(shared_view(team.device(1)), before);

    // Intact again: its first file alone finds the others beside it.
    std::fs::write(&third, &intact).expect("restore");
    let inspection = team.device(1).inspect_bundle(&stick.path().join(&names[0])).expect("inspect");
    assert_eq!(inspection.size, written[0].size);
    assert!(inspection.verified.is_some_and(|(_, _, contents)| contents.attachments == 1));
    let report = team.device(1).import_bundles(&stick.path().join(&names[0]), &mut ()).expect("import");
    assert_eq!((report.files, report.imported, report.skipped, report.applied.attachments), (1, 1, 0, 1));
    assert_eq!(shared_view(team.device(1)), expected);
    assert_eq!(exported(team.device(1), &attachment), content);
    // From the folder, the later parts are not counted as files for other devices.
    let report = team.device(1).import_bundles(stick.path(), &mut ()).expect("again");
    assert_eq!((report.files, report.imported, report.skipped), (names.len() as u64, 1, 0));

    // A later, shorter bundle for the same device replaces the parts of the longer one.
    let later = team.device(0).export_bundles(stick.path(), &[b_id], &mut ()).expect("later export");
    assert_eq!(later[0].file_names, vec![names[0].clone()]);
    assert_eq!(files_on(stick.path()), vec![names[0].clone()], "the earlier bundle's other parts are gone");
}

#[test]
fn an_import_of_parts_cancelled_midway_leaves_no_half_attachment_and_importing_again_completes_it() {
    let mut team = TestTeam::new(2);
    let case = sample_case(team.device(0), "Cancelled in the middle of an attachment");
    let (attachment, content) = attach(team.device(0), &case, "interview.ogg", 6_000_000);
    let b_id = id_of(team.device(1));
    let stick = tempfile::tempdir().expect("stick");
    let part_len = 20 * SMALL_PART;
    team.device(0).export_bundles_in_parts(stick.path(), &[b_id], &mut (), part_len).expect("export");
    assert!(files_on(stick.path()).len() >= 2);
    let expected = shared_view(team.device(0));
    // Stop after the documents and some of the attachment's parts (more than one transaction).
    let mut watcher = Watcher { cancel_at: Some(80), ..Watcher::default() };
    let error = team.device(1).import_bundles(stick.path(), &mut watcher).expect_err("cancelled");
    assert_eq!(error.code(), "cancelled");
    let arriving = team.device(1).attachments_arriving().expect("arriving");
    assert_eq!(arriving.len(), 1);
    assert!(arriving[0].parts_received > 0 && arriving[0].parts_received < arriving[0].parts, "{arriving:?}");
    let mut out = Vec::new();
    assert!(team.device(1).export_attachment(&attachment, &mut out).is_err(), "not shown before it is whole");
    let report = team.device(1).import_bundles(stick.path(), &mut ()).expect("import again");
    assert_eq!(report.applied.attachments, 1);
    assert!(team.device(1).attachments_arriving().expect("arriving").is_empty());
    assert_eq!(shared_view(team.device(1)), expected);
    assert_eq!(exported(team.device(1), &attachment), content);
}
