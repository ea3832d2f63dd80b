//! The vault as a sync store (`Session::sync_store`), driven by hand the way the engine drives
//! it: what leaves is sealed, what arrives is applied all or nothing through the write path.

use cairn_core::{
    CoreError, Session,
    cases::{NewPerson, NewTestimony, ObjectId, id_to_hex},
    sync::SyncRefusal,
    testing::{TestTeam, TestVault},
};
use cairn_sync::{DocRef, Incoming, ItemKind, SyncStore};

/// Everything `from` holds that `to` lacks, as one message, applied on `to`.
fn push(from: &mut Session, to: &mut Session) -> Result<(), CoreError> {
    let mut incoming = Incoming::default();
    let to_items = to.sync_items()?;
    let mut sender = from.sync_store()?;
    let mut cases = Vec::new();
    for item in sender.items()? {
        if to_items.contains(&item) {
            continue;
        }
        let ItemKind::Document(doc) = item.kind else { continue };
        let their_heads = to.document_heads(&doc)?.unwrap_or_default();
        if !cases.contains(&doc.case_id) {
            cases.push(doc.case_id);
            incoming.case_keys.push(sender.export_case_key(&doc.case_id)?);
        }
        incoming.changes.push((doc, sender.changes_since(&doc, &their_heads)?));
    }
    to.sync_store()?.apply(&incoming)
}

fn sample_case(session: &mut Session) -> (ObjectId, ObjectId) {
    let case = session.create_case("탈북 경로 Route").expect("case");
    let person = session.add_person(&case, &NewPerson { pseudonym: "R-1".into(), ..NewPerson::default() }).expect("p");
    let testimony = NewTestimony {
        source_person: id_to_hex(&person),
        language: "ko".into(),
        narrative: "강을 건넜습니다.".into(),
        ..NewTestimony::default()
    };
    let testimony = session.add_testimony(&case, &testimony).expect("testimony");
    (case, testimony)
}

#[test]
fn a_case_travels_sealed_and_arrives_whole() {
    let mut team = TestTeam::new(2);
    let (case, testimony) = sample_case(team.device(0));
    let [a, b] = team.devices.get_disjoint_mut([0, 1]).expect("two devices");
    push(&mut a.session, &mut b.session).expect("push");
    let (on_a, on_b) = (a.session.open_case(&case).expect("a"), b.session.open_case(&case).expect("b"));
    assert_eq!(on_b.record, on_a.record);
    assert_eq!(on_b.testimonies, on_a.testimonies);
    // Same documents at the same heads: the same reconciliation items on both devices.
    let (mut items_a, mut items_b) = (a.session.sync_items().expect("a"), b.session.sync_items().expect("b"));
    items_a.sort_by_key(|item| item.id);
    items_b.sort_by_key(|item| item.id);
    assert_eq!(items_a, items_b);
    assert_eq!(b.session.search("강을", 10).expect("search").len(), 1);
    // Both edit; each side's push brings only what the other lacks, and they converge.
    b.session.set_narrative(&testimony, "강을 건넜습니다. 밤이었습니다.").expect("edit on b");
    a.session.set_case_field(&case, cairn_core::cases::CaseField::Risk, "low").expect("edit on a");
    push(&mut b.session, &mut a.session).expect("b to a");
    push(&mut a.session, &mut b.session).expect("a to b");
    let (on_a, on_b) = (a.session.open_case(&case).expect("a"), b.session.open_case(&case).expect("b"));
    assert_eq!((on_a.record.risk.as_str(), on_b.record.risk.as_str()), ("low", "low"));
    assert_eq!(on_a.testimonies, on_b.testimonies);
    assert_eq!(on_a.testimonies[0].1.narrative.as_str(), "강을 건넜습니다. 밤이었습니다.");
    // Converged: the same items on both sides, so a reconciliation finds nothing to send.
    let (mut items_a, mut items_b) = (a.session.sync_items().expect("a"), b.session.sync_items().expect("b"));
    items_a.sort_by_key(|item| item.id);
    items_b.sort_by_key(|item| item.id);
    assert_eq!(items_a, items_b);
}

#[test]
fn a_message_that_does_not_open_changes_nothing() {
    let mut team = TestTeam::new(2);
    let (case, _) = sample_case(team.device(0));
    let [a, b] = team.devices.get_disjoint_mut([0, 1]).expect("two devices");
    let mut sender = a.session.sync_store().expect("store");
    let doc = DocRef { case_id: case, doc_id: case };
    let key = sender.export_case_key(&case).expect("key");
    let mut changes = sender.changes_since(&doc, &[]).expect("changes");
    // One flipped byte in the last change of an otherwise valid message: refused whole.
    let last = changes.len() - 1;
    let middle = changes[last].0.len() / 2;
    changes[last].0[middle] ^= 0x20;
    let incoming = Incoming { case_keys: vec![key.clone()], changes: vec![(doc, changes)], tombstones: Vec::new() };
    let error = b.session.sync_store().expect("store").apply(&incoming).expect_err("refused");
    assert_eq!(error.code(), "sync_peer_data_refused");
    assert!(b.session.list_cases().expect("list").is_empty());
    assert_eq!(b.session.open_case(&case).expect_err("nothing").code(), "not_found");
    // A case key presented for another case does not open either.
    let other = cairn_sync::CaseKeyWrap { case_id: [7; 16], ..key };
    let incoming = Incoming { case_keys: vec![other], ..Incoming::default() };
    assert_eq!(
        b.session.sync_store().expect("store").apply(&incoming).expect_err("refused").code(),
        "sync_peer_data_refused"
    );
}

#[test]
fn a_device_outside_the_team_cannot_sync() {
    let (_vault, mut stranger) = TestVault::create();
    let error = stranger.sync_store().expect_err("no roster");
    assert!(matches!(error, CoreError::Sync(SyncRefusal::NotInTeam)), "{error:?}");
}

#[test]
fn the_last_session_with_each_peer_is_kept() {
    let mut team = TestTeam::new(1);
    let summary = cairn_sync::SyncSummary { documents_sent: 3, bytes_sent: 1200, round_trips: 2, ..Default::default() };
    team.device(0).sync_store().expect("store").record_session(&[9; 16], &summary).expect("record");
    let peers = team.device(0).sync_peers().expect("peers");
    assert_eq!(peers.len(), 1);
    assert_eq!((peers[0].peer_id, peers[0].documents_sent, peers[0].bytes_sent), ([9; 16], 3, 1200));
}
