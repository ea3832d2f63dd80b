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
        let doc = match item.kind {
            ItemKind::Document(doc) => doc,
            ItemKind::Tombstone { case_id } => {
                incoming.tombstones.extend(sender.tombstone(&case_id)?);
                continue;
            }
        };
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

#[test]
fn a_deleted_case_is_destroyed_on_field_devices_archived_at_hq_and_never_comes_back() {
    let mut team = TestTeam::new(2);
    let (case, testimony) = sample_case(team.device(0));
    {
        let [a, b] = team.devices.get_disjoint_mut([0, 1]).expect("two devices");
        push(&mut a.session, &mut b.session).expect("share");
        push(&mut a.session, &mut team.hq.session).expect("hand to HQ");
        // B edits while A deletes: B's edit must not bring the case back.
        b.session.set_narrative(&testimony, "B가 나중에 고친 내용").expect("edit on b");
        a.session.delete_case(&case).expect("delete on a");
        push(&mut a.session, &mut b.session).expect("deletion to b");
        assert_eq!(b.session.open_case(&case).expect_err("gone").code(), "not_found");
        assert!(b.session.list_cases().expect("list").is_empty());
        push(&mut b.session, &mut a.session).expect("b to a");
        assert_eq!(a.session.open_case(&case).expect_err("still gone").code(), "not_found");
        assert!(b.session.search("고친", 10).expect("search").is_empty());
    }
    // HQ keeps the evidence, archived and marked deleted; it offers none of it again.
    push(&mut team.devices[0].session, &mut team.hq.session).expect("deletion to HQ");
    let archived = team.hq.session.list_cases().expect("list");
    assert_eq!((archived.len(), archived[0].deleted), (1, true));
    assert_eq!(team.hq.session.open_case(&case).expect("archived").record.title, "탈북 경로 Route");
    let offered = team.hq.session.sync_items().expect("items");
    assert!(offered.iter().all(|item| matches!(item.kind, ItemKind::Tombstone { .. })), "{offered:?}");
}

#[test]
fn a_deletion_signed_by_a_revoked_device_is_refused() {
    let mut team = TestTeam::new(3);
    let (case, _) = sample_case(team.device(0));
    for to in [1, 2] {
        let [a, other] = team.devices.get_disjoint_mut([0, to]).expect("devices");
        push(&mut a.session, &mut other.session).expect("share");
    }
    // Device 2 deletes its copy, then HQ revokes it (it was captured) before its deletion spreads.
    team.device(2).delete_case(&case).expect("delete on the captured device");
    team.revoke(2);
    let [b, captured] = team.devices.get_disjoint_mut([1, 2]).expect("devices");
    let before = b.session.open_case(&case).expect("held").record;
    let error = push(&mut captured.session, &mut b.session).expect_err("refused");
    assert_eq!(error.code(), "device_revoked");
    assert_eq!(b.session.open_case(&case).expect("still held").record, before);
}

#[test]
fn live_links_check_peers_against_the_roster() {
    use cairn_core::sync::PeerRefusal;
    let mut team = TestTeam::new(3);
    let key_of = |session: &mut Session| session.sync_credentials().expect("credentials").local_static.public_key();
    let (b_key, c_key) = (key_of(team.device(1)), key_of(team.device(2)));
    let own_key = key_of(team.device(0));
    let credentials = team.device(0).sync_credentials().expect("credentials");
    let (peer, _fingerprint) = credentials.check_peer(&b_key).expect("b is a member");
    assert_eq!(id_to_hex(&peer), team.device(1).device_identity().expect("identity").device_id);
    assert_eq!(credentials.check_peer(&own_key).err(), Some(PeerRefusal::Unknown), "not itself");
    assert_eq!(credentials.psks.len(), 1, "one epoch so far");
    // After C is revoked: refused as revoked, and the previous epoch's psk is offered too.
    team.revoke(2);
    let credentials = team.device(0).sync_credentials().expect("credentials");
    assert_eq!(credentials.check_peer(&c_key).err(), Some(PeerRefusal::Revoked));
    assert_eq!(credentials.psks.len(), 2);
    let (_vault, mut stranger) = TestVault::create();
    assert_eq!(stranger.sync_credentials().expect_err("stranger").code(), "sync_not_in_team");
}

#[test]
fn after_a_revocation_what_is_written_is_sealed_under_keys_the_revoked_device_never_had() {
    let mut team = TestTeam::new(3);
    let (case, testimony) = sample_case(team.device(0));
    for to in [1, 2] {
        let [a, other] = team.devices.get_disjoint_mut([0, to]).expect("devices");
        push(&mut a.session, &mut other.session).expect("share");
    }
    team.revoke(2);
    team.device(0).set_narrative(&testimony, "철폐 이후에 쓴 내용").expect("written after the revocation");
    // What A sends now: the case key under the new epoch, changes under a new case key.
    let mut sender = team.devices[0].session.sync_store().expect("store");
    let doc = DocRef { case_id: case, doc_id: testimony };
    let incoming = Incoming {
        case_keys: vec![sender.export_case_key(&case).expect("key")],
        changes: vec![(doc, sender.changes_since(&doc, &[]).expect("changes"))],
        tombstones: Vec::new(),
    };
    // The revoked device holds every old key and still cannot open any of it.
    let error = team.devices[2].session.sync_store().expect("its old store").apply(&incoming).expect_err("unreadable");
    assert_eq!(error.code(), "sync_peer_data_refused");
    let without_key = Incoming { case_keys: Vec::new(), ..incoming.clone() };
    let error = team.devices[2].session.sync_store().expect("store").apply(&without_key).expect_err("unreadable");
    assert_eq!(error.code(), "sync_peer_data_refused");
    // A current member reads it.
    team.devices[1].session.sync_store().expect("store").apply(&incoming).expect("B reads it");
    let view = team.devices[1].session.open_case(&case).expect("open");
    assert_eq!(view.testimonies[0].1.narrative.as_str(), "철폐 이후에 쓴 내용");
}

#[test]
fn lan_beacons_are_recognised_by_team_members_only() {
    let mut team = TestTeam::new(3);
    let now = 1_800_000_000_000;
    let beacon = team.device(0).discovery().expect("discovery").beacon(4242, now);
    let announcer = team.device(0).device_identity().expect("identity");
    let found = team.device(1).discovery().expect("discovery").recognise(&beacon, now + 1_000).expect("recognised");
    assert_eq!((found.device_id.as_str(), found.port), (announcer.device_id.as_str(), 4242));
    assert_eq!(found.name.as_deref(), Some("field-1"));
    assert_eq!(found.fingerprint, announcer.fingerprint);
    assert_eq!(team.device(0).discovery().expect("d").udp_ports(), team.device(1).discovery().expect("d").udp_ports());
    // Not its own beacon, not a stale one, not from another team, not from a revoked device.
    assert!(team.device(0).discovery().expect("d").recognise(&beacon, now).is_none());
    assert!(team.device(1).discovery().expect("d").recognise(&beacon, now + 10 * 60_000).is_none());
    let mut strangers = TestTeam::new(1);
    assert!(strangers.device(0).discovery().expect("d").recognise(&beacon, now).is_none());
    assert_ne!(strangers.device(0).discovery().expect("d").udp_ports(), team.device(1).discovery().expect("d").udp_ports());
    let from_revoked = team.device(2).discovery().expect("d").beacon(4343, now);
    team.revoke(2);
    assert!(team.device(1).discovery().expect("d").recognise(&from_revoked, now).is_none());
    assert!(team.device(1).discovery().expect("d").recognise(&b"not a beacon"[..], now).is_none());
    // A device outside any team cannot announce or listen.
    let (_vault, mut loner) = TestVault::create();
    assert_eq!(loner.discovery().expect_err("refused").code(), "sync_not_in_team");
}
