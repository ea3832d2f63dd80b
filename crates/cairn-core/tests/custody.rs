//! Chain of custody (issue 11.3): every change a device writes is signed by its device key and
//! the signature travels with the change (inside its envelope), over live links and bundles,
//! relayed unchanged; HQ keeps what arrives and flags a change that has no valid signature from
//! a device on its roster, or that first arrived after its signer was revoked.

use std::collections::BTreeSet;

use cairn_core::{
    Session,
    cases::{CustodyEntry, CustodyVerdict, NewPerson, NewTestimony, ObjectId, id_to_hex},
    testing::{TestTeam, TestVault, custody_records, decrypted_vault_pages, reseal_change, reseal_change_v1, sync_pair},
};
use cairn_sync::{DocRef, Incoming, SyncStore};

fn device_id(session: &mut Session) -> String {
    session.device_identity().expect("identity").device_id
}

/// A case with a person and a testimony: changes in two documents.
fn sample_case(session: &mut Session, title: &str) -> (ObjectId, ObjectId) {
    let case = session.create_case(title).expect("case");
    let person = session.add_person(&case, &NewPerson { pseudonym: "R-1".into(), ..NewPerson::default() }).expect("p");
    let testimony = NewTestimony {
        source_person: id_to_hex(&person),
        language: "ko".into(),
        narrative: "강을 건넜습니다.".into(),
        ..NewTestimony::default()
    };
    let testimony = session.add_testimony(&case, &testimony).expect("testimony");
    session.set_narrative(&testimony, "강을 건넜습니다. 밤이었습니다.").expect("narrative");
    (case, testimony)
}

/// The verdicts of a trail, with how many changes each.
fn verdicts(trail: &[CustodyEntry]) -> Vec<(CustodyVerdict, usize)> {
    let kinds: BTreeSet<&str> = trail.iter().map(|entry| entry.verdict.as_str()).collect();
    kinds
        .into_iter()
        .map(|kind| {
            let entries: Vec<_> = trail.iter().filter(|entry| entry.verdict.as_str() == kind).collect();
            (entries[0].verdict, entries.len())
        })
        .collect()
}

/// The signers a trail names.
fn signers(trail: &[CustodyEntry]) -> BTreeSet<Option<String>> {
    trail.iter().map(|entry| entry.signer.clone()).collect()
}

/// Everything `from` holds of one case, sealed as it would send it, with each envelope passed
/// through `edit` (index in the document, envelope); applied on `to` in one message.
fn send_case(
    from: &mut Session,
    to: &mut Session,
    case: &ObjectId,
    mut edit: impl FnMut(&mut Session, &DocRef, usize, cairn_sync::SealedChange) -> cairn_sync::SealedChange,
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
        *changes = std::mem::take(changes).into_iter().enumerate().map(|(i, sealed)| edit(from, doc, i, sealed)).collect();
    }
    to.sync_store().expect("store").apply(&incoming).expect("applied");
}

#[test]
fn what_a_field_device_writes_reaches_hq_signed_by_that_device() {
    let mut team = TestTeam::new(1);
    let field = device_id(team.device(0));
    let (case, testimony) = sample_case(team.device(0), "서명된 사건");
    // On the device itself, every change it wrote is signed by it, from the moment it wrote it.
    let own = team.device(0).custody_trail(&case).expect("own trail");
    assert!(own.len() >= 5, "{own:?}");
    assert_eq!(verdicts(&own), [(CustodyVerdict::Signed, own.len())]);
    assert_eq!(signers(&own), BTreeSet::from([Some(field.clone())]));
    assert!(own.iter().all(|entry| entry.first_seen_ms.is_some()));

    sync_pair(&mut team.devices[0].session, &mut team.hq.session, None).expect("sync");
    let hq_version = team.hq.session.roster().expect("roster").expect("held").version;
    let trail = team.hq.session.custody_trail(&case).expect("trail");
    assert_eq!(trail.len(), own.len(), "every change of every document");
    assert_eq!(verdicts(&trail), [(CustodyVerdict::Signed, trail.len())]);
    assert_eq!(signers(&trail), BTreeSet::from([Some(field.clone())]));
    assert!(trail.iter().all(|entry| entry.signer_name.as_deref() == Some("field-1")), "{trail:?}");
    assert!(trail.iter().all(|entry| entry.first_roster_version == Some(hq_version)));
    let documents: BTreeSet<ObjectId> = trail.iter().map(|entry| entry.document_id).collect();
    assert_eq!(documents, BTreeSet::from([case, testimony]));
    assert_eq!(trail[0].document_id, case, "the case document first");

    // HQ's own edit is signed by HQ, and reaches the field device so.
    team.hq.session.set_narrative(&testimony, "HQ가 고친 진술").expect("HQ edits");
    sync_pair(&mut team.devices[0].session, &mut team.hq.session, None).expect("sync back");
    let hq = device_id(&mut team.hq.session);
    let back = team.device(0).custody_trail(&case).expect("trail");
    assert_eq!(verdicts(&back), [(CustodyVerdict::Signed, own.len() + 1)]);
    assert_eq!(signers(&back), BTreeSet::from([Some(field), Some(hq)]));
}

#[test]
fn a_relayed_change_keeps_its_authors_signature() {
    let mut team = TestTeam::new(2);
    let (author, relay) = (device_id(team.device(0)), device_id(team.device(1)));
    let (case, _) = sample_case(team.device(0), "Relayed");
    let [a, b] = team.devices.get_disjoint_mut([0, 1]).expect("two devices");
    sync_pair(&mut a.session, &mut b.session, None).expect("field to field");
    // The relay never met HQ's author: HQ gets the case only through it.
    sync_pair(&mut b.session, &mut team.hq.session, None).expect("relay to HQ");
    let trail = team.hq.session.custody_trail(&case).expect("trail");
    assert_eq!(verdicts(&trail), [(CustodyVerdict::Signed, trail.len())]);
    assert_eq!(signers(&trail), BTreeSet::from([Some(author.clone())]), "the relay signed nothing it did not write");
    // What the relay writes itself is signed by it, beside the author's changes.
    team.devices[1].session.add_note(&case, "relay note", None).expect("note");
    sync_pair(&mut team.devices[1].session, &mut team.hq.session, None).expect("again");
    let trail = team.hq.session.custody_trail(&case).expect("trail");
    assert_eq!(verdicts(&trail), [(CustodyVerdict::Signed, trail.len())]);
    assert_eq!(signers(&trail), BTreeSet::from([Some(author), Some(relay)]));
}

#[test]
fn a_change_with_an_altered_signature_is_kept_and_flagged() {
    let mut team = TestTeam::new(1);
    let (case, _) = sample_case(team.device(0), "Altered signature");
    let [device] = team.devices.get_disjoint_mut([0]).expect("device");
    // The case document's second change arrives with one bit of its signature flipped.
    send_case(&mut device.session, &mut team.hq.session, &case, |from, doc, index, sealed| {
        if doc.doc_id != case || index != 1 {
            return sealed;
        }
        reseal_change(from, doc, &sealed, |custody| {
            let mut custody = custody.expect("signed");
            let mut bytes = custody.signature.to_bytes();
            bytes[10] ^= 0x04;
            custody.signature = cairn_crypto::Signature::from_bytes(bytes);
            Some(custody)
        })
    });
    // Applied and kept (HQ keeps the evidence), and flagged.
    assert_eq!(team.hq.session.open_case(&case).expect("applied").record.title, "Altered signature");
    let trail = team.hq.session.custody_trail(&case).expect("trail");
    assert_eq!(trail[1].verdict, CustodyVerdict::BadSignature, "{trail:?}");
    assert_eq!(trail[1].signer, Some(device_id(&mut device.session)), "it still names its claimed signer");
    assert!(trail[1].verdict.is_flagged());
    assert_eq!(verdicts(&trail), [(CustodyVerdict::BadSignature, 1), (CustodyVerdict::Signed, trail.len() - 1)]);
}

#[test]
fn unsigned_changes_and_unknown_signers_are_flagged() {
    let mut team = TestTeam::new(1);
    let (case, testimony) = sample_case(team.device(0), "Old device");
    let [device] = team.devices.get_disjoint_mut([0]).expect("device");
    // The case document arrives in v1 envelopes (a device from before custody); the testimony
    // names a signer no roster lists.
    send_case(&mut device.session, &mut team.hq.session, &case, |from, doc, _, sealed| {
        if doc.doc_id == case {
            reseal_change_v1(from, doc, &sealed)
        } else {
            reseal_change(from, doc, &sealed, |custody| {
                custody.map(|custody| cairn_crypto::ChangeCustody { signer: [0x77; 16], ..custody })
            })
        }
    });
    let trail = team.hq.session.custody_trail(&case).expect("trail");
    for entry in &trail {
        if entry.document_id == case {
            assert_eq!((entry.verdict, &entry.signer), (CustodyVerdict::Unsigned, &None));
            assert!(entry.first_seen_ms.is_some(), "when it arrived is kept all the same");
        } else {
            assert_eq!(entry.document_id, testimony);
            assert_eq!(entry.verdict, CustodyVerdict::UnknownSigner);
            assert_eq!((entry.signer.as_deref(), entry.signer_name.as_deref()), (Some("77".repeat(16).as_str()), None));
        }
    }
    assert_eq!(verdicts(&trail).len(), 2, "{trail:?}");
    // A later, properly signed copy of the same changes does not rewrite what first arrived.
    sync_pair(&mut team.devices[0].session, &mut team.hq.session, None).expect("sync");
    assert_eq!(team.hq.session.custody_trail(&case).expect("trail"), trail);
}

#[test]
fn a_change_first_received_after_its_signer_was_revoked_is_flagged() {
    let mut team = TestTeam::new(2);
    let (case, _) = sample_case(team.device(0), "Before and after");
    sync_pair(&mut team.devices[0].session, &mut team.hq.session, None).expect("to HQ before");
    let before: BTreeSet<[u8; 32]> =
        team.hq.session.custody_trail(&case).expect("trail").iter().map(|entry| entry.change_hash).collect();
    // Written before the revocation, it reaches a colleague but not HQ.
    team.device(0).add_note(&case, "written before the revocation", None).expect("note");
    let [a, b] = team.devices.get_disjoint_mut([0, 1]).expect("two devices");
    sync_pair(&mut a.session, &mut b.session, None).expect("to a colleague");
    team.revoke(0);
    let revoked_at = team.hq.session.roster().expect("roster").expect("held").version;
    sync_pair(&mut team.devices[1].session, &mut team.hq.session, None).expect("the colleague syncs after it");
    let trail = team.hq.session.custody_trail(&case).expect("trail");
    assert_eq!(trail.len(), before.len() + 1);
    let (in_time, late): (Vec<_>, Vec<_>) = trail.iter().partition(|entry| before.contains(&entry.change_hash));
    assert!(in_time.iter().all(|entry| entry.verdict == CustodyVerdict::Signed), "received before the revocation");
    let late = late[0];
    assert_eq!(late.verdict, CustodyVerdict::ReceivedAfterRevocation);
    assert_eq!(late.signer, Some(device_id(team.device(0))));
    assert_eq!(late.first_roster_version, Some(revoked_at));
    assert_eq!(verdicts(&trail).len(), 2);
}

#[test]
fn bundles_carry_custody() {
    let mut team = TestTeam::new(1);
    let field = device_id(team.device(0));
    let (case, _) = sample_case(team.device(0), "By USB stick");
    let hq = cairn_model::parse_id(&device_id(&mut team.hq.session)).expect("id");
    let out = team.device(0).export_bundle(&hq).expect("export");
    let bundle = team.hq.session.read_bundle(&out.bytes).expect("read").expect("addressed to HQ");
    team.hq.session.apply_bundle(&bundle, |_, _| true).expect("import");
    let trail = team.hq.session.custody_trail(&case).expect("trail");
    assert_eq!(trail.len(), team.device(0).custody_trail(&case).expect("own").len());
    assert_eq!(verdicts(&trail), [(CustodyVerdict::Signed, trail.len())]);
    assert_eq!(signers(&trail), BTreeSet::from([Some(field)]));
}

#[test]
fn a_vault_outside_any_team_signs_its_own_changes() {
    let (_vault, mut session) = TestVault::create();
    let own = device_id(&mut session);
    let (case, _) = sample_case(&mut session, "Alone");
    let trail = session.custody_trail(&case).expect("trail");
    assert_eq!(verdicts(&trail), [(CustodyVerdict::Signed, trail.len())]);
    assert_eq!(signers(&trail), BTreeSet::from([Some(own)]));
    assert!(trail.iter().all(|entry| entry.first_roster_version.is_none()), "no roster yet");
    assert_eq!(session.custody_trail(&[9; 16]).expect_err("no such case").code(), "not_found");
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|window| window == needle)
}

#[test]
fn deleting_a_case_removes_its_custody_but_hq_keeps_it_archived() {
    let mut team = TestTeam::new(1);
    let (case, _) = sample_case(team.device(0), "Deleted");
    let (kept, _) = sample_case(team.device(0), "Kept");
    sync_pair(&mut team.devices[0].session, &mut team.hq.session, None).expect("to HQ");
    let signatures: Vec<Vec<u8>> = custody_records(team.device(0), &case)
        .iter()
        .map(|row| row.custody.expect("signed").signature.to_bytes().to_vec())
        .collect();
    assert!(!signatures.is_empty());
    let in_pages = |session: &Session| {
        decrypted_vault_pages(session)
            .iter()
            .filter(|page| signatures.iter().any(|signature| contains(&page.plaintext, signature)))
            .count()
    };
    assert!(in_pages(&team.devices[0].session) > 0, "the scan sees the signatures before");

    team.device(0).delete_case(&case).expect("delete");
    assert!(custody_records(team.device(0), &case).is_empty());
    assert_eq!(team.device(0).custody_trail(&case).expect_err("gone").code(), "not_found");
    assert_eq!(in_pages(&team.devices[0].session), 0, "no page keeps a signature of the deleted case");
    assert!(!custody_records(team.device(0), &kept).is_empty(), "the other case keeps its own");

    // HQ keeps the deleted case archived, and its chain of custody with it.
    sync_pair(&mut team.devices[0].session, &mut team.hq.session, None).expect("the tombstone travels");
    let trail = team.hq.session.custody_trail(&case).expect("archived trail");
    assert_eq!(verdicts(&trail), [(CustodyVerdict::Signed, signatures.len())]);
}
