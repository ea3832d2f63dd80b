//! Handover to HQ (issue 11): a case marked ready reaches HQ over a live link or a bundle,
//! HQ answers with a signed receipt, and the field device purges the case by policy, leaving
//! nothing of it in any page of its vault while HQ keeps every change and attachment. A
//! receipt that does not cover everything the device holds purges nothing.

use cairn_core::{
    CoreError, Session,
    cases::{CaseError, Identity, NewPerson, NewTestimony, ObjectId, id_to_hex},
    handover::{HandoverState, ReceiptVerdict},
    team::HandoverPurge,
    testing::{PairOutcome, TestTeam, custody_records, decrypted_vault_pages, sync_pair, wrapped_case_keys},
};
use cairn_model::{Sensitive, parse_id};

const TITLE: &str = "HANDOVER-TITLE-5e1c77";
const REAL_NAME: &str = "REALNAME-HANDOVER-08d2aa";
const NARRATIVE: &str = "NARRATIVE-HANDOVER-b44f10 두만강을 건넌 밤";
const ATTACHMENT: &[u8] = b"ATTACHMENT-HANDOVER-ee91c3 audio bytes";

/// A team of HQ and one field device, with `purge` as the roster's policy.
fn team(purge: HandoverPurge) -> TestTeam {
    let mut team = TestTeam::new(1);
    team.hq.session.set_handover_purge(purge).expect("policy");
    team.distribute_roster().expect("roster");
    team
}

/// A case with a person (real name), a testimony (narrative, consent without sharing with
/// HQ) and an attachment; returns the case and the attachment's id.
fn fill_case(session: &mut Session) -> (ObjectId, ObjectId) {
    let case = session.create_case(TITLE).expect("case");
    let identity = Identity { real_name: Sensitive(REAL_NAME.into()), ..Identity::default() };
    let person =
        session.add_person(&case, &NewPerson { pseudonym: "R-1".into(), identity, ..NewPerson::default() }).expect("person");
    let testimony = NewTestimony {
        source_person: id_to_hex(&person),
        language: "ko".into(),
        consent_given: true,
        consent_scopes: vec!["documentation".into()],
        ..NewTestimony::default()
    };
    let testimony = session.add_testimony(&case, &testimony).expect("testimony");
    session.set_narrative(&testimony, NARRATIVE).expect("narrative");
    let attachment = session.attach_reader(&case, "interview.bin", &mut &ATTACHMENT[..], true).expect("attach").id;
    (case, attachment)
}

fn state_of(session: &mut Session, case: &ObjectId) -> Option<HandoverState> {
    session.handover_status().expect("status").cases.into_iter().find(|c| c.case_id == *case).map(|c| c.state)
}

fn purged(session: &mut Session, case: &ObjectId) -> bool {
    session.handover_status().expect("status").purged.iter().any(|p| p.case_id == *case)
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|window| window == needle)
}

/// Where any marker of the case (or a wrapped key it had) is left in the decrypted pages.
fn residue(session: &Session, needles: &[Vec<u8>]) -> Vec<String> {
    let mut found = Vec::new();
    for page in decrypted_vault_pages(session) {
        for needle in needles {
            if contains(&page.plaintext, needle) {
                found.push(format!("{} in {:?} page {}", String::from_utf8_lossy(needle), page.source, page.page_number));
            }
        }
    }
    found
}

fn markers() -> Vec<Vec<u8>> {
    vec![TITLE.as_bytes().to_vec(), NARRATIVE.as_bytes().to_vec(), REAL_NAME.as_bytes().to_vec()]
}

fn sync(a: &mut Session, b: &mut Session) -> (cairn_sync::SyncSummary, cairn_sync::SyncSummary) {
    match sync_pair(a, b, None).expect("sync") {
        PairOutcome::Done(initiator, responder) => (initiator, responder),
        PairOutcome::Cut(_) => panic!("not cut"),
    }
}

/// Checks HQ still holds the whole case: the narrative, the attachment's bytes.
fn hq_holds_everything(hq: &mut Session, case: &ObjectId, attachment: &ObjectId) {
    let view = hq.open_case(case).expect("HQ opens the case");
    assert_eq!(view.record.title, TITLE);
    assert!(view.testimonies.iter().any(|(_, t)| t.narrative.0 == NARRATIVE));
    let mut bytes = Vec::new();
    hq.export_attachment(attachment, &mut bytes).expect("HQ reads the attachment");
    assert_eq!(bytes, ATTACHMENT);
}

#[test]
fn a_case_handed_over_by_live_sync_is_purged_and_leaves_nothing() {
    let mut team = team(HandoverPurge::Immediately);
    let (case, attachment) = fill_case(team.device(0));
    assert_eq!(state_of(team.device(0), &case), Some(HandoverState::Draft));
    // The testimony's consent lacks sharing with HQ: the worker must confirm.
    let unconfirmed = team.device(0).set_ready_for_handover(&case, true, false);
    assert!(matches!(unconfirmed, Err(CoreError::Case(CaseError::HandoverConsentUnconfirmed))), "{unconfirmed:?}");
    assert_eq!(state_of(team.device(0), &case), Some(HandoverState::Draft));
    team.device(0).set_ready_for_handover(&case, true, true).expect("ready");
    assert_eq!(state_of(team.device(0), &case), Some(HandoverState::Ready));
    // The needles: the markers, the wrapped case keys and the signatures of every change.
    let signatures: Vec<Vec<u8>> = custody_records(team.device(0), &case)
        .into_iter()
        .filter_map(|row| row.custody.map(|custody| custody.signature.to_bytes().to_vec()))
        .collect();
    assert!(!signatures.is_empty());
    let needles: Vec<Vec<u8>> =
        markers().into_iter().chain(wrapped_case_keys(team.device(0), &case)).chain(signatures).collect();

    // First exchange: the case reaches HQ, which issues its receipt once the session ends.
    let TestTeam { hq, devices, .. } = &mut team;
    let field = &mut devices[0].session;
    sync(field, &mut hq.session);
    assert_eq!(state_of(&mut hq.session, &case), Some(HandoverState::ReceivedByHq), "HQ issued a receipt");
    assert_eq!(state_of(field, &case), Some(HandoverState::Ready), "the receipt has not reached the field yet");

    // Second exchange: the receipt arrives, is verified, and the case is purged.
    sync(field, &mut hq.session);
    assert!(purged(field, &case));
    assert!(field.list_cases().expect("list").is_empty(), "no title is left in the list");
    assert!(field.search("HANDOVER", 10).expect("search").is_empty());
    assert!(field.open_case(&case).is_err());
    let left = residue(field, &needles);
    assert!(left.is_empty(), "the purged case left: {left:?}");
    assert!(custody_records(field, &case).is_empty(), "nor its chain of custody");
    hq_holds_everything(&mut hq.session, &case, &attachment);
    // HQ keeps the chain of custody: the field device's changes and its own receipt, all signed.
    let trail = hq.session.custody_trail(&case).expect("HQ's trail");
    assert!(trail.iter().all(|entry| entry.verdict == cairn_core::cases::CustodyVerdict::Signed), "{trail:?}");
    let signers: std::collections::BTreeSet<_> = trail.iter().map(|entry| entry.signer.clone()).collect();
    assert_eq!(signers.len(), 2, "the field device and HQ (the receipt)");

    // A purge is not a deletion: HQ keeps the case live, and further exchanges bring nothing of
    // it back to the field device nor send anything of it.
    assert!(hq.session.list_cases().expect("list").iter().any(|c| c.id == case && !c.deleted));
    let (sent, received) = sync(field, &mut hq.session);
    assert_eq!((sent.changes_sent, sent.changes_received), (0, 0), "{sent:?} / {received:?}");
    assert!(field.list_cases().expect("list").is_empty());
    assert!(residue(field, &needles).is_empty());
}

#[test]
fn a_case_handed_over_by_bundle_is_purged_and_never_travels_again() {
    let mut team = team(HandoverPurge::Immediately);
    let (case, attachment) = fill_case(team.device(0));
    team.device(0).set_ready_for_handover(&case, true, true).expect("ready");
    let TestTeam { hq, devices, .. } = &mut team;
    let field = &mut devices[0].session;
    let hq_id = parse_id(&hq.session.device_identity().expect("id").device_id).expect("hex");
    let field_id = parse_id(&field.device_identity().expect("id").device_id).expect("hex");

    let to_hq = field.export_bundle(&hq_id).expect("export");
    field.record_bundle_written(&to_hq).expect("record");
    let bundle = hq.session.read_bundle(&to_hq.bytes).expect("read").expect("for HQ");
    hq.session.apply_bundle(&bundle, |_, _| true).expect("apply");
    assert_eq!(hq.session.settle_handovers().expect("settle").receipts_issued, 1);
    // Settling again issues nothing new.
    assert_eq!(hq.session.settle_handovers().expect("settle").receipts_issued, 0);

    let to_field = hq.session.export_bundle(&field_id).expect("export");
    hq.session.record_bundle_written(&to_field).expect("record");
    let bundle = field.read_bundle(&to_field.bytes).expect("read").expect("for the field");
    field.apply_bundle(&bundle, |_, _| true).expect("apply");
    let receipts = field.receipts().expect("receipts");
    assert_eq!(receipts.len(), 1);
    assert_eq!(receipts[0].verdict, ReceiptVerdict::Covers);
    assert_eq!(field.settle_handovers().expect("settle").cases_purged, 1);
    assert!(purged(field, &case));
    assert!(residue(field, &markers()).is_empty());
    hq_holds_everything(&mut hq.session, &case, &attachment);

    // The field's next bundle declares the purged documents, so HQ's answer carries nothing of
    // the case, and the field's carries nothing either.
    let again = field.export_bundle(&hq_id).expect("export");
    field.record_bundle_written(&again).expect("record");
    assert_eq!((again.contents.documents, again.contents.attachments, again.contents.case_keys), (0, 0, 0));
    let bundle = hq.session.read_bundle(&again.bytes).expect("read").expect("for HQ");
    hq.session.apply_bundle(&bundle, |_, _| true).expect("apply");
    let answer = hq.session.export_bundle(&field_id).expect("export");
    assert_eq!((answer.contents.documents, answer.contents.attachments), (0, 0), "{:?}", answer.contents);
}

#[test]
fn an_edit_after_the_receipt_waits_for_a_newer_receipt() {
    let mut team = team(HandoverPurge::Immediately);
    let (case, _) = fill_case(team.device(0));
    team.device(0).set_ready_for_handover(&case, true, true).expect("ready");
    let TestTeam { hq, devices, .. } = &mut team;
    let field = &mut devices[0].session;
    sync(field, &mut hq.session);
    // The worker adds a note after HQ's receipt was issued, before it arrived.
    field.add_note(&case, "late note", None).expect("note");
    sync(field, &mut hq.session);
    assert!(!purged(field, &case), "the receipt does not name the late note");
    assert_eq!(state_of(field, &case), Some(HandoverState::Ready));
    assert!(field.receipts().expect("receipts").iter().all(|r| r.verdict == ReceiptVerdict::Partial));
    // HQ received the note in that session and issued a newer receipt; it covers everything.
    sync(field, &mut hq.session);
    assert!(purged(field, &case));
    let view = hq.session.open_case(&case).expect("open");
    assert!(view.record.notes.values().any(|note| note.text == "late note"));
}

#[test]
fn under_keep_the_case_stays_and_shows_received() {
    let mut team = team(HandoverPurge::Keep);
    let (case, _) = fill_case(team.device(0));
    team.device(0).set_ready_for_handover(&case, true, true).expect("ready");
    let TestTeam { hq, devices, .. } = &mut team;
    let field = &mut devices[0].session;
    sync(field, &mut hq.session);
    sync(field, &mut hq.session);
    assert!(!purged(field, &case));
    assert_eq!(state_of(field, &case), Some(HandoverState::ReceivedByHq));
    assert!(field.open_case(&case).is_ok());
    // HQ's own vault never hands over.
    assert!(matches!(hq.session.set_ready_for_handover(&case, true, true), Err(CoreError::Case(CaseError::HandoverAtHq))));
}

#[test]
fn after_n_days_the_purge_waits() {
    let mut team = team(HandoverPurge::AfterDays(std::num::NonZeroU16::new(30).expect("30")));
    let (case, _) = fill_case(team.device(0));
    team.device(0).set_ready_for_handover(&case, true, true).expect("ready");
    let TestTeam { hq, devices, .. } = &mut team;
    let field = &mut devices[0].session;
    sync(field, &mut hq.session);
    sync(field, &mut hq.session);
    assert!(!purged(field, &case));
    let status = field.handover_status().expect("status");
    let entry = status.cases.iter().find(|c| c.case_id == case).expect("case");
    assert_eq!(entry.state, HandoverState::ReceivedByHq);
    let received = entry.received_at.expect("received");
    assert_eq!(entry.purge_due_at, Some(received + 30 * 24 * 60 * 60 * 1000));
}
