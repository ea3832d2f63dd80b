//! Engine tests over the in-memory store (`testing.rs`): convergence, conflicts, tombstones,
//! rosters, splitting, costs, and hostile input.

use std::collections::BTreeSet;

use automerge::{ROOT, ReadDoc};

use crate::testing::{MemError, MemStore, Outcome, PEER_I, PEER_R, roster_bytes, run};
use crate::wire::{self, Message, WIRE_VERSION};
use crate::{Initiator, ObjectId, ProtocolError, Responder, Step, SyncError, WireError};

fn id(n: u32) -> ObjectId {
    // Spread ids like random ones would be: a cheap mix of the counter into all 16 bytes.
    let mut out = [0u8; 16];
    let mut x = u64::from(n).wrapping_mul(0x9e37_79b9_7f4a_7c15) ^ 0x5151_5151;
    for chunk in out.chunks_mut(8) {
        x ^= x >> 31;
        x = x.wrapping_mul(0xbf58_476d_1ce4_e5b9);
        x ^= x >> 29;
        chunk.copy_from_slice(&x.to_le_bytes());
    }
    out
}

fn converged(a: &mut MemStore, b: &mut MemStore) {
    assert_eq!(a.all_heads(), b.all_heads(), "documents or heads differ");
    assert_eq!(a.tombstones, b.tombstones, "tombstones differ");
}

fn sync(a: &mut MemStore, b: &mut MemStore) -> Outcome {
    run(a, b).expect("sync")
}

#[test]
fn disjoint_and_overlapping_documents_converge_both_directions() {
    for a_initiates in [true, false] {
        let (mut a, mut b) = (MemStore::new(1), MemStore::new(2));
        // Disjoint: a case on each.
        a.create_case(id(1));
        a.create_doc(id(1), id(2));
        b.create_case(id(10));
        // Overlapping: a shared case, then divergent edits on both.
        a.create_case(id(20));
        a.create_doc(id(20), id(21));
        sync(&mut a, &mut b);
        converged(&mut a, &mut b);
        a.set(&id(20), "title", "from a");
        b.insert_text(&id(21), 0, "from b");
        a.insert_text(&id(21), 0, "from a ");
        b.create_doc(id(20), id(22));
        let outcome = if a_initiates { sync(&mut a, &mut b) } else { sync(&mut b, &mut a) };
        converged(&mut a, &mut b);
        assert_eq!(a.docs.len(), 6);
        let (i, r) = (&outcome.initiator, &outcome.responder);
        assert_eq!(i.documents_sent, r.documents_received);
        assert_eq!(i.changes_sent, r.changes_received);
        assert_eq!(r.changes_sent, i.changes_received);
        assert_eq!(i.bytes_sent, r.bytes_received);
        assert_eq!(r.bytes_sent, i.bytes_received);
        assert!(i.round_trips <= 4, "round trips {}", i.round_trips);
        assert_eq!(a.sessions.len(), 2);
        assert_eq!(b.sessions.len(), 2);
        // An identical pair needs two round trips and sends no change.
        let again = sync(&mut a, &mut b);
        assert_eq!(again.initiator.round_trips, 2);
        assert_eq!(again.initiator.changes_sent + again.initiator.changes_received, 0);
    }
}

#[test]
fn concurrent_edits_of_one_key_keep_the_conflict_on_both() {
    let (mut a, mut b) = (MemStore::new(1), MemStore::new(2));
    a.create_case(id(1));
    sync(&mut a, &mut b);
    a.set(&id(1), "title", "Hyesan");
    b.set(&id(1), "title", "혜산");
    sync(&mut a, &mut b);
    converged(&mut a, &mut b);
    for store in [&mut a, &mut b] {
        let doc = &store.docs[&id(1)].doc;
        let values: BTreeSet<String> =
            doc.get_all(ROOT, "title").expect("get_all").into_iter().map(|(v, _)| v.to_string()).collect();
        assert_eq!(values.len(), 2, "the conflict is preserved");
        let winner = doc.get(ROOT, "title").expect("get").map(|(v, _)| v.to_string());
        assert!(winner.is_some());
    }
    let winners: Vec<_> =
        [&a, &b].iter().map(|s| s.docs[&id(1)].doc.get(ROOT, "title").expect("get").map(|(v, _)| v.to_string())).collect();
    assert_eq!(winners[0], winners[1], "both pick the same winner");
}

#[test]
fn a_tombstone_travels_and_its_case_is_neither_sent_nor_requested() {
    let (mut a, mut b) = (MemStore::new(1), MemStore::new(2));
    a.create_case(id(1));
    a.create_doc(id(1), id(2));
    a.create_case(id(5));
    sync(&mut a, &mut b);
    // a edits the case, b deletes it meanwhile.
    a.set(&id(2), "note", "late edit");
    a.create_doc(id(1), id(3));
    b.delete_case(id(1));
    for a_initiates in [true, false] {
        let (mut a, mut b) = (clone_store(&mut a, 1), clone_store(&mut b, 2));
        let outcome = if a_initiates { sync(&mut a, &mut b) } else { sync(&mut b, &mut a) };
        converged(&mut a, &mut b);
        assert!(a.tombstones.contains_key(&id(1)));
        assert!(!a.docs.contains_key(&id(1)) && !a.docs.contains_key(&id(2)) && !a.docs.contains_key(&id(3)));
        assert_eq!(outcome.initiator.changes_sent + outcome.responder.changes_sent, 0, "no change of a deleted case");
        assert_eq!(outcome.initiator.tombstones_sent + outcome.responder.tombstones_sent, 1);
        assert_eq!(a.docs.len(), 1);
    }
}

/// A copy of a store through a sync into an empty one (the test store has no Clone: its
/// Automerge documents are copied by their changes, like a new device's first sync).
fn clone_store(source: &mut MemStore, actor: u8) -> MemStore {
    let mut copy = MemStore::new(actor);
    run(source, &mut copy).expect("copy");
    source.sessions.pop();
    copy.sessions.clear();
    copy.tombstones = source.tombstones.clone();
    copy.keys = source.keys.clone();
    copy
}

#[test]
fn the_older_roster_is_replaced_and_a_refusal_ends_the_session() {
    for (a_version, b_version) in [(Some(3), Some(2)), (Some(2), Some(3)), (None, Some(1)), (Some(1), None)] {
        let (mut a, mut b) = (MemStore::new(1), MemStore::new(2));
        a.roster = a_version.map(|v| (v, roster_bytes(v)));
        b.roster = b_version.map(|v| (v, roster_bytes(v)));
        a.create_case(id(1));
        let outcome = sync(&mut a, &mut b);
        let newest = a_version.max(b_version);
        assert_eq!(a.roster.as_ref().map(|r| r.0), newest);
        assert_eq!(b.roster.as_ref().map(|r| r.0), newest);
        assert_eq!(outcome.initiator.roster_updated, a_version < b_version);
        assert_eq!(outcome.responder.roster_updated, b_version < a_version);
        converged(&mut a, &mut b);
    }
    // A roster the store refuses (here: not a roster at all) ends the session.
    let (mut a, mut b) = (MemStore::new(1), MemStore::new(2));
    b.roster = Some((9, b"forged".to_vec()));
    let (mut initiator, hello) = Initiator::start(&mut a, PEER_R).expect("start");
    let mut responder = Responder::new(PEER_I);
    let Step::Send(reply) = responder.receive(&mut b, &hello).expect("hello") else { panic!("reply") };
    let error = initiator.receive(&mut a, &reply[0]).expect_err("refused");
    assert!(matches!(error, SyncError::RosterRefused(MemError::RosterRefused)));
    assert_eq!(error.code(), "sync_roster_refused");
    assert!(a.roster.is_none());
    let again = initiator.receive(&mut a, &reply[0]).expect_err("over");
    assert!(matches!(again, SyncError::Protocol(ProtocolError::Finished)));
}

#[test]
fn large_change_sets_are_split_and_each_message_applied_once() {
    for a_initiates in [true, false] {
        let (mut a, mut b) = (MemStore::new(1), MemStore::new(2));
        a.create_case(id(1));
        a.create_case(id(2));
        // Six changes of ~900 KB each, in two cases (pseudo-random bytes: incompressible).
        let mut x: u32 = 7;
        for n in 0..6 {
            let bytes: Vec<u8> = (0..900_000)
                .map(|_| {
                    x ^= x << 13;
                    x ^= x >> 17;
                    x ^= x << 5;
                    x as u8
                })
                .collect();
            a.set_bytes(&id(1 + n % 2), &format!("blob{n}"), bytes);
        }
        let outcome = if a_initiates { sync(&mut a, &mut b) } else { sync(&mut b, &mut a) };
        converged(&mut a, &mut b);
        let (from_a, to_b) =
            if a_initiates { (&outcome.initiator, &outcome.responder) } else { (&outcome.responder, &outcome.initiator) };
        assert_eq!(from_a.changes_received, 0);
        assert_eq!(to_b.changes_received, 8);
        assert_eq!(to_b.documents_received, 2);
        assert!(from_a.bytes_sent > wire::MAX_MESSAGE_LEN as u64);
        // The phase (Final, or Changes) took several messages, produced a few at a time and
        // each applied with one call.
        assert!(b.applies >= 2, "applies {}", b.applies);
        assert!(outcome.resumes >= 1, "resumes {}", outcome.resumes);
    }
}

#[test]
fn a_session_limited_to_the_rosters_moves_the_newer_roster_and_nothing_else() {
    use crate::SessionScope;
    for limited_initiates in [true, false] {
        for limited_holds_newer in [false, true] {
            let (mut limited, mut peer) = (MemStore::new(1), MemStore::new(2));
            limited.create_case(id(1));
            limited.create_doc(id(1), id(2));
            limited.attach(&id(1), &content(1, 70_000));
            limited.create_case(id(3));
            limited.delete_case(id(3));
            peer.create_case(id(10));
            peer.attach(&id(10), &content(2, 70_000));
            peer.create_case(id(11));
            peer.delete_case(id(11));
            let (mine, theirs) = if limited_holds_newer { (2, 1) } else { (1, 2) };
            limited.roster = Some((mine, roster_bytes(mine)));
            peer.roster = Some((theirs, roster_bytes(theirs)));
            limited.scope = SessionScope::RosterOnly;
            let held = |store: &mut MemStore| (store.all_heads(), store.tombstones.clone(), store.blobs.len());
            let (limited_before, peer_before) = (held(&mut limited), held(&mut peer));
            let outcome = if limited_initiates { sync(&mut limited, &mut peer) } else { sync(&mut peer, &mut limited) };
            let (mine, theirs) = if limited_initiates {
                (outcome.initiator, outcome.responder)
            } else {
                (outcome.responder, outcome.initiator)
            };
            // The newer roster moved, whichever side held it.
            assert_eq!(limited.roster.as_ref().map(|r| r.0), Some(2));
            assert_eq!(peer.roster.as_ref().map(|r| r.0), Some(2));
            assert_eq!((mine.roster_updated, theirs.roster_updated), (!limited_holds_newer, limited_holds_newer));
            // Nothing else did: no document, tombstone or attachment either way; the limited
            // side read no item and applied nothing.
            assert_eq!(held(&mut limited), limited_before, "the limited side received something");
            assert_eq!(held(&mut peer), peer_before, "the limited side sent something");
            assert_eq!((limited.items_calls, limited.applies), (0, 0));
            assert!(limited.parts_sent.is_empty() && peer.parts_sent.is_empty());
            assert!(mine.roster_only && !theirs.roster_only);
            for summary in [&mine, &theirs] {
                assert_eq!(summary.changes_sent + summary.changes_received, 0);
                assert_eq!(summary.attachments_sent + summary.attachments_received, 0);
            }
            assert_eq!(mine.tombstones_sent + mine.tombstones_received, 0);
            // A peer that initiates offers its tombstones before it can know; they are dropped
            // unread (the held tombstones above are unchanged).
            assert_eq!(theirs.tombstones_sent, u64::from(!limited_initiates));
            assert_eq!(limited.sessions.len(), 1, "the session is recorded");
            // With its scope back to full, the next session syncs everything.
            limited.scope = SessionScope::Full;
            let outcome = if limited_initiates { sync(&mut limited, &mut peer) } else { sync(&mut peer, &mut limited) };
            assert!(!outcome.initiator.roster_only && !outcome.responder.roster_only);
            converged(&mut limited, &mut peer);
            assert_eq!(limited.blobs.len(), 2);
            assert_eq!(peer.blobs.len(), 2);
        }
    }
}

#[test]
fn a_peer_cannot_push_anything_into_a_session_limited_to_the_rosters() {
    // The limited side initiates and offers nothing: a Changes answer names what is not in play.
    let mut a = MemStore::new(1);
    a.scope = crate::SessionScope::RosterOnly;
    let (mut initiator, _hello) = Initiator::start(&mut a, PEER_R).expect("start");
    let reply = Message::HelloReply(wire::HelloReply { roster_version: None, roster: None, reconcile: vec![0x61] }).encode();
    let step = initiator.receive(&mut a, &reply).expect("offer");
    assert!(matches!(step, Step::Send(ref messages) if messages.len() == 1));
    let mut payload = wire::Payload::default();
    payload.changes.push((crate::DocRef { case_id: id(1), doc_id: id(1) }, vec![crate::SealedChange(vec![1, 2, 3])]));
    let pushed = Message::Changes(wire::Changes { more: false, wants: Vec::new(), payload }).encode();
    let error = initiator.receive(&mut a, &pushed).expect_err("refused");
    assert!(matches!(error, SyncError::Protocol(ProtocolError::UnknownObject)), "{error:?}");
    assert_eq!((a.applies, a.items_calls), (0, 0));
}

#[test]
fn a_roster_refused_by_the_responder_ends_the_session() {
    let (mut a, mut b) = (MemStore::new(1), MemStore::new(2));
    a.roster = Some((9, b"forged".to_vec()));
    b.roster = Some((1, roster_bytes(1)));
    assert_eq!(run(&mut a, &mut b).expect_err("refused"), "sync_roster_refused");
    assert_eq!(b.roster.as_ref().map(|r| r.0), Some(1));
    assert!(b.sessions.is_empty());
}

/// Measured (this build): 4 round trips; 6,411 bytes initiator → responder and 5,659 bytes
/// back, changes included. Nothing is printed: the tidy test keeps prints out of `src/`.
#[test]
fn ten_changed_among_ten_thousand() {
    let (mut a, mut b) = (MemStore::new(1), MemStore::new(2));
    let cases = 100;
    for c in 0..cases {
        a.create_case(id(c));
        for d in 1..100 {
            a.create_doc(id(c), id(c * 1000 + d + 1_000_000));
        }
    }
    assert_eq!(a.docs.len(), 10_000);
    run(&mut a, &mut b).expect("first sync");
    converged(&mut a, &mut b);
    let changed: BTreeSet<ObjectId> = (0..10).map(|n| id(n * 7 * 1000 + 3 + 1_000_000)).collect();
    for doc in &changed {
        a.set(doc, "status", "closed");
    }
    a.heads_calls.clear();
    b.heads_calls.clear();
    let outcome = sync(&mut a, &mut b);
    converged(&mut a, &mut b);
    let (i, r) = (&outcome.initiator, &outcome.responder);
    assert!(i.round_trips <= 4, "round trips {}", i.round_trips);
    assert_eq!(i.changes_sent, 10);
    assert_eq!(i.documents_sent, 10);
    let a_calls: BTreeSet<_> = a.heads_calls.iter().copied().collect();
    let b_calls: BTreeSet<_> = b.heads_calls.iter().copied().collect();
    assert_eq!(a_calls, changed, "the initiator asked heads of the changed documents only");
    assert_eq!(b_calls, changed, "the responder asked heads of the changed documents only");
    assert_eq!(a.heads_calls.len() + b.heads_calls.len(), 20, "once each");
    assert!(i.bytes_sent + r.bytes_sent < 64 * 1024, "bytes grow with the difference");
}

// --- Hostile input ---------------------------------------------------------------------

/// A responder holding 100 documents that has answered a Hello from an empty initiator.
fn responder_after_hello() -> (Responder, MemStore) {
    let (mut a, mut b) = (MemStore::new(1), MemStore::new(2));
    b.create_case(id(1));
    for n in 2..101 {
        b.create_doc(id(1), id(n));
    }
    let (_, hello) = Initiator::start(&mut a, PEER_R).expect("start");
    let mut responder = Responder::new(PEER_I);
    let _ = responder.receive(&mut b, &hello).expect("hello");
    (responder, b)
}

#[test]
fn malformed_messages_are_refused_with_specific_errors() {
    let hello = Message::Hello(wire::Hello { roster_version: Some(3), reconcile: vec![0x61] }).encode();
    let cases: Vec<(Vec<u8>, WireError)> = vec![
        (Vec::new(), WireError::Truncated),
        (hello[..hello.len() - 1].to_vec(), WireError::Truncated),
        ([hello.as_slice(), &[0]].concat(), WireError::TrailingBytes),
        ([&[WIRE_VERSION + 1], &hello[1..]].concat(), WireError::UnsupportedVersion { version: WIRE_VERSION + 1 }),
        (vec![WIRE_VERSION, 0x7f], WireError::UnknownKind),
        (vec![WIRE_VERSION, 0x01, 2], WireError::InvalidFlag),
        (vec![0; wire::MAX_MESSAGE_LEN + 1], WireError::TooLarge),
        // A huge count in a tiny message: refused before allocating.
        ([&[WIRE_VERSION, 0x04], u32::MAX.to_le_bytes().as_slice()].concat(), WireError::Truncated),
        ([&[WIRE_VERSION, 0x06, 0], u32::MAX.to_le_bytes().as_slice()].concat(), WireError::Truncated),
    ];
    for (bytes, expected) in cases {
        assert_eq!(Message::decode(&bytes), Err(expected));
        let mut b = MemStore::new(2);
        let error = Responder::new(PEER_I).receive(&mut b, &bytes).expect_err("refused");
        assert!(matches!(error, SyncError::Wire(e) if e == expected));
        assert!(!error.to_string().is_empty());
    }
    assert_eq!(WireError::UnsupportedVersion { version: 9 }.code(), "sync_unsupported_version");
}

#[test]
fn protocol_violations_end_the_session() {
    // Resuming when there is nothing to produce.
    let mut b = MemStore::new(2);
    let error = Responder::new(PEER_I).resume(&mut b).expect_err("refused");
    assert!(matches!(error, SyncError::Protocol(ProtocolError::UnexpectedMessage)));
    // An unexpected kind first.
    let error =
        Responder::new(PEER_I).receive(&mut b, &Message::Ack(crate::wire::Ack::default()).encode()).expect_err("refused");
    assert!(matches!(error, SyncError::Protocol(ProtocolError::UnexpectedMessage)));
    // Garbled negentropy data.
    let (mut a, mut b) = (MemStore::new(1), MemStore::new(2));
    for reconcile in [vec![], vec![0x10], vec![0x61, 0x00, 0x21]] {
        let garbled = Message::Hello(wire::Hello { roster_version: None, reconcile }).encode();
        let error = Responder::new(PEER_I).receive(&mut b, &garbled).expect_err("refused");
        assert_eq!(error.code(), "sync_reconciliation");
    }
    // A roster out of turn.
    let (mut responder, mut b) = responder_after_hello();
    let offer = Message::Offer(wire::Offer { roster: Some(roster_bytes(1)), ..Default::default() }).encode();
    let error = responder.receive(&mut b, &offer).expect_err("refused");
    assert!(matches!(error, SyncError::Protocol(ProtocolError::UnexpectedRoster)));
    // Then everything after is refused.
    let error = responder.receive(&mut b, &Message::Ack(crate::wire::Ack::default()).encode()).expect_err("over");
    assert!(matches!(error, SyncError::Protocol(ProtocolError::Finished)));
    // Changes for a document the initiator never offered.
    a.create_case(id(1));
    let (mut initiator, hello) = Initiator::start(&mut a, PEER_R).expect("start");
    let mut responder = Responder::new(PEER_I);
    let Step::Send(reply) = responder.receive(&mut b, &hello).expect("hello") else { panic!("send") };
    let Step::Send(offer) = initiator.receive(&mut a, &reply[0]).expect("reply") else { panic!("send") };
    assert!(matches!(Message::decode(&offer[0]), Ok(Message::Offer(_))));
    let stranger = crate::DocRef { case_id: id(77), doc_id: id(78) };
    let changes = Message::Changes(wire::Changes {
        more: false,
        wants: vec![(stranger, Vec::new())],
        payload: wire::Payload::default(),
    })
    .encode();
    let error = initiator.receive(&mut a, &changes).expect_err("refused");
    assert!(matches!(error, SyncError::Protocol(ProtocolError::UnknownObject)));
    // Too many reconciliation rounds.
    let (mut responder, mut b) = responder_after_hello();
    let round = Message::Reconcile(wire::Reconcile { roster: None, reconcile: vec![0x61] }).encode();
    let mut answered = 0;
    let error = loop {
        match responder.receive(&mut b, &round) {
            Ok(_) => answered += 1,
            Err(error) => break error,
        }
    };
    assert!(matches!(error, SyncError::Protocol(ProtocolError::TooManyRounds)));
    assert_eq!(answered, crate::MAX_RECONCILE_ROUNDS - 1, "the Hello was the first round");
    // Endless parts.
    let (mut responder, mut b) = responder_after_hello();
    let part = Message::Offer(wire::Offer { more: true, ..Default::default() }).encode();
    let mut result = Ok(Step::Wait);
    for _ in 0..crate::MAX_PARTS {
        result = responder.receive(&mut b, &part);
        if result.is_err() {
            break;
        }
    }
    assert!(matches!(result, Err(SyncError::Protocol(ProtocolError::TooManyRounds))));
}

#[test]
fn a_store_failure_ends_the_session_with_the_store_error() {
    let (mut a, mut b) = (MemStore::new(1), MemStore::new(2));
    a.create_case(id(1));
    b.fail_apply = true;
    let error = run(&mut a, &mut b).expect_err("fails");
    assert_eq!(error, "sync_store");
    assert!(b.docs.is_empty() && b.sessions.is_empty());
}

mod properties {
    use std::collections::{BTreeMap, BTreeSet};

    use proptest::prelude::*;

    use super::*;
    use crate::ChangeHash;

    fn cases() -> u32 {
        std::env::var("CAIRN_SYNC_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(64)
    }

    #[derive(Debug, Clone)]
    enum Op {
        CreateCase { device: usize },
        CreateDoc { device: usize, case: usize },
        SetField { device: usize, doc: usize, field: u8 },
        InsertText { device: usize, doc: usize, at: usize },
        DeleteCase { device: usize, case: usize },
        Sync { a: usize, b: usize },
    }

    fn op(devices: usize) -> impl Strategy<Value = Op> {
        let d = 0..devices;
        prop_oneof![
            1 => d.clone().prop_map(|device| Op::CreateCase { device }),
            2 => (d.clone(), any::<usize>()).prop_map(|(device, case)| Op::CreateDoc { device, case }),
            4 => (d.clone(), any::<usize>(), 0u8..3).prop_map(|(device, doc, field)| Op::SetField { device, doc, field }),
            4 => (d.clone(), any::<usize>(), 0usize..40).prop_map(|(device, doc, at)| Op::InsertText { device, doc, at }),
            1 => (d.clone(), any::<usize>()).prop_map(|(device, case)| Op::DeleteCase { device, case }),
            4 => (d.clone(), d).prop_map(|(a, b)| Op::Sync { a, b }),
        ]
    }

    fn scenario() -> impl Strategy<Value = (usize, Vec<Op>)> {
        (3usize..=5).prop_flat_map(|n| (Just(n), proptest::collection::vec(op(n), 1..40)))
    }

    fn pair(devices: &mut [MemStore], a: usize, b: usize) -> (&mut MemStore, &mut MemStore) {
        if a < b {
            let (left, right) = devices.split_at_mut(b);
            (&mut left[a], &mut right[0])
        } else {
            let (left, right) = devices.split_at_mut(a);
            (&mut right[0], &mut left[b])
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: cases(), ..ProptestConfig::default() })]

        #[test]
        fn random_edits_and_syncs_converge_without_loss((n, ops) in scenario()) {
            let mut devices: Vec<MemStore> = (0..n).map(|i| MemStore::new(i as u8 + 1)).collect();
            let mut next = 0u32;
            let mut made: BTreeMap<ObjectId, Vec<ChangeHash>> = BTreeMap::new();
            let mut deleted: BTreeSet<ObjectId> = BTreeSet::new();
            for op in ops {
                match op {
                    Op::CreateCase { device } => {
                        next += 1;
                        devices[device].create_case(id(next));
                    }
                    Op::CreateDoc { device, case } => {
                        let cases: Vec<ObjectId> = devices[device].keys.iter().copied().collect();
                        if let Some(case) = cases.get(case % cases.len().max(1)) {
                            next += 1;
                            devices[device].create_doc(*case, id(next));
                        }
                    }
                    Op::SetField { device, doc, field } => {
                        let docs: Vec<ObjectId> = devices[device].docs.keys().copied().collect();
                        if let Some(doc) = docs.get(doc % docs.len().max(1)) {
                            next += 1;
                            let value = format!("v{next}");
                            if let Some(h) = devices[device].set(doc, &format!("f{field}"), &value) {
                                made.entry(*doc).or_default().push(h);
                            }
                        }
                    }
                    Op::InsertText { device, doc, at } => {
                        let docs: Vec<ObjectId> = devices[device].docs.keys().copied().collect();
                        if let Some(doc) = docs.get(doc % docs.len().max(1)) {
                            next += 1;
                            if let Some(h) = devices[device].insert_text(doc, at, &format!("t{next} ")) {
                                made.entry(*doc).or_default().push(h);
                            }
                        }
                    }
                    Op::DeleteCase { device, case } => {
                        let cases: Vec<ObjectId> = devices[device].keys.iter().copied().collect();
                        if let Some(case) = cases.get(case % cases.len().max(1)) {
                            deleted.insert(*case);
                            devices[device].delete_case(*case);
                        }
                    }
                    Op::Sync { a, b } => {
                        if a != b {
                            let (x, y) = pair(&mut devices, a, b);
                            run(x, y).map_err(|e| TestCaseError::fail(format!("sync: {e}")))?;
                        }
                    }
                }
            }
            // A final round over all pairs, twice (the second spreads what the first brought).
            for _ in 0..2 {
                for a in 0..n {
                    for b in 0..n {
                        if a != b {
                            let (x, y) = pair(&mut devices, a, b);
                            run(x, y).map_err(|e| TestCaseError::fail(format!("sync: {e}")))?;
                        }
                    }
                }
            }
            let (first, rest) = devices.split_at_mut(1);
            let reference = first[0].all_heads();
            for device in rest.iter_mut() {
                prop_assert_eq!(&device.all_heads(), &reference);
                prop_assert_eq!(&device.tombstones, &first[0].tombstones);
            }
            for case in &deleted {
                prop_assert!(first[0].tombstones.contains_key(case));
            }
            // No edit is lost: every change made to a document that still exists is on every device.
            for (doc, hashes) in &made {
                let Some((case, _)) = reference.get(doc) else {
                    // Its case was deleted: it must be gone everywhere.
                    continue;
                };
                prop_assert!(!deleted.contains(case));
                for device in devices.iter_mut() {
                    for hash in hashes {
                        prop_assert!(device.has_change(doc, hash));
                    }
                }
            }
            // Documents only vanish with their case's tombstone.
            for doc in made.keys() {
                if !reference.contains_key(doc) {
                    prop_assert!(!first_case_alive(&devices[0], doc));
                }
            }
        }

        #[test]
        fn decode_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
            if let Ok(message) = Message::decode(&bytes) {
                prop_assert_eq!(message.encode(), bytes);
            }
        }

        #[test]
        fn decode_never_panics_on_valid_prefixes(kind in 1u8..=8, body in proptest::collection::vec(any::<u8>(), 0..256)) {
            let bytes = [&[WIRE_VERSION, kind], body.as_slice()].concat();
            if let Ok(message) = Message::decode(&bytes) {
                prop_assert_eq!(message.encode(), bytes);
            }
        }

        #[test]
        fn an_initiator_never_panics_on_arbitrary_replies(
            bytes in proptest::collection::vec(any::<u8>(), 0..256),
            kind in 1u8..=8,
        ) {
            let mut a = MemStore::new(1);
            a.create_case(id(1));
            let (mut initiator, _) = Initiator::start(&mut a, PEER_R).expect("start");
            let _ = initiator.receive(&mut a, &bytes);
            let (mut initiator, _) = Initiator::start(&mut a, PEER_R).expect("start");
            let _ = initiator.receive(&mut a, &[&[WIRE_VERSION, kind], bytes.as_slice()].concat());
            // A well-formed reply with arbitrary negentropy data.
            let (mut initiator, _) = Initiator::start(&mut a, PEER_R).expect("start");
            let reply = Message::HelloReply(wire::HelloReply { roster_version: None, roster: None, reconcile: bytes });
            let _ = initiator.receive(&mut a, &reply.encode());
        }

        #[test]
        fn a_responder_never_panics_on_arbitrary_messages(bytes in proptest::collection::vec(any::<u8>(), 0..256)) {
            let (mut responder, mut b) = responder_after_hello();
            let _ = responder.receive(&mut b, &bytes);
            let mut b = MemStore::new(2);
            let _ = Responder::new(PEER_I).receive(&mut b, &[&[WIRE_VERSION, 1, 0], bytes.as_slice()].concat());
            let hello = Message::Hello(wire::Hello { roster_version: None, reconcile: bytes });
            let _ = Responder::new(PEER_I).receive(&mut b, &hello.encode());
        }
    }

    fn first_case_alive(device: &MemStore, doc: &ObjectId) -> bool {
        device.docs.contains_key(doc)
    }
}

/// Content of `len` bytes, different for each `seed`.
fn content(seed: u8, len: usize) -> Vec<u8> {
    (0..len).map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed)).collect()
}

#[test]
fn attachments_travel_both_ways_after_their_documents_and_only_once() {
    let (mut a, mut b) = (MemStore::new(1), MemStore::new(2));
    a.create_case(id(1));
    b.create_case(id(2));
    let on_a = a.attach(&id(1), &content(1, 200_000));
    let empty_on_a = a.attach(&id(1), &[]);
    let on_b = b.attach(&id(2), &content(2, 70_000));
    let outcome = sync(&mut a, &mut b);
    converged(&mut a, &mut b);
    assert_eq!(b.blobs.get(&(id(1), on_a)), Some(&content(1, 200_000)));
    assert_eq!(b.blobs.get(&(id(1), empty_on_a)), Some(&Vec::new()));
    assert_eq!(a.blobs.get(&(id(2), on_b)), Some(&content(2, 70_000)));
    let (i, r) = (&outcome.initiator, &outcome.responder);
    assert_eq!((i.attachments_sent, r.attachments_received), (2, 2));
    assert_eq!((r.attachments_sent, i.attachments_received), (1, 1));
    assert!(i.round_trips <= 5, "documents in at most 4, attachments in one more: {}", i.round_trips);
    assert!(b.staged.is_empty() && a.staged.is_empty());
    // Nothing is sent again: the next session has nothing to carry, and no extra round trip.
    let (sent_a, sent_b) = (a.parts_sent.len(), b.parts_sent.len());
    assert_eq!(sent_a, 4 + 1);
    let again = sync(&mut b, &mut a);
    assert_eq!((a.parts_sent.len(), b.parts_sent.len()), (sent_a, sent_b));
    assert_eq!(again.initiator.attachments_received + again.responder.attachments_received, 0);
    assert!(again.initiator.round_trips <= 2, "round trips {}", again.initiator.round_trips);
}

#[test]
fn a_large_attachment_is_split_into_messages_that_fit() {
    let (mut a, mut b) = (MemStore::new(1), MemStore::new(2));
    a.create_case(id(1));
    let large = content(3, 10 * 1024 * 1024 + 17);
    let address = a.attach(&id(1), &large);
    let outcome = sync(&mut b, &mut a);
    assert_eq!(b.blobs.get(&(id(1), address)), Some(&large));
    assert!(outcome.resumes >= 2, "parts produced a message at a time ({} resumes)", outcome.resumes);
    assert_eq!(outcome.responder.attachments_sent, 1);
    assert_eq!(outcome.initiator.attachments_received, 1);
}

#[test]
fn a_cut_link_keeps_whole_parts_and_the_next_session_sends_only_the_rest() {
    let large = content(4, 9 * 1024 * 1024);
    let mut cut_somewhere = false;
    for deliveries in 1..12 {
        let (mut a, mut b) = (MemStore::new(1), MemStore::new(2));
        a.create_case(id(1));
        let address = a.attach(&id(1), &large);
        match crate::testing::run_cut(&mut b, &mut a, deliveries) {
            Err(cut) => {
                assert_eq!(cut, "cut");
                cut_somewhere = true;
            }
            Ok(_) => continue,
        }
        let staged = b.staged.get(&(id(1), address)).map_or(0, Vec::len);
        assert!(!b.blobs.contains_key(&(id(1), address)) || staged == 0);
        let sent_before = a.parts_sent.len();
        sync(&mut b, &mut a);
        assert_eq!(b.blobs.get(&(id(1), address)), Some(&large), "cut after {deliveries}");
        let resent = a.parts_sent.len() - sent_before;
        let total = large.len().div_ceil(crate::testing::TEST_PART_LEN);
        if b.staged.is_empty() && staged > 0 {
            assert_eq!(resent, total - staged, "only the missing parts travel again");
        }
        converged(&mut a, &mut b);
    }
    assert!(cut_somewhere);
}

#[test]
fn attachment_parts_not_asked_for_or_out_of_order_end_the_session() {
    use crate::wire::{Ack, Blobs};
    use crate::{BlobPart, BlobWant};
    let part = |position, last| BlobPart { case_id: id(1), address: [7; 32], position, last, sealed: b"part".to_vec() };
    // The responder after its Ack asked for nothing: any part is refused.
    let (mut a, mut b) = (MemStore::new(1), MemStore::new(2));
    let (_, hello) = Initiator::start(&mut a, PEER_R).expect("start");
    let mut responder = Responder::new(PEER_I);
    let Step::Send(reply) = responder.receive(&mut b, &hello).expect("hello") else { panic!("reply") };
    assert_eq!(reply.len(), 1);
    let offer = Message::Offer(wire::Offer::default()).encode();
    let Step::Send(ack) = responder.receive(&mut b, &offer).expect("offer") else { panic!("ack") };
    assert_eq!(Message::decode(&ack[0]).expect("ack"), Message::Ack(Ack::default()));
    let hostile = Message::Blobs(Blobs { more: false, wants: Vec::new(), parts: vec![part(0, true)] }).encode();
    let error = responder.receive(&mut b, &hostile).expect_err("refused");
    assert!(matches!(error, SyncError::Protocol(ProtocolError::UnknownObject)), "{error:?}");

    // The initiator asked for one attachment from part 0: part 1 first is refused, and so are
    // wants in the responder's answer.
    let (mut a, mut b) = (MemStore::new(1), MemStore::new(2));
    b.create_case(id(1));
    let address = b.attach(&id(1), &content(5, 100_000));
    sync(&mut b, &mut a);
    b.blobs.clear();
    a.blobs.clear();
    assert_eq!(a.missing_blobs_for_test(), vec![BlobWant { case_id: id(1), address, from: 0 }]);
    for (message, expected) in [
        (
            Blobs { more: false, wants: Vec::new(), parts: vec![BlobPart { address, ..part(1, true) }] },
            "sync_unknown_object",
        ),
        (
            Blobs { more: false, wants: vec![BlobWant { case_id: id(1), address, from: 0 }], parts: Vec::new() },
            "sync_unexpected_message",
        ),
    ] {
        let (mut initiator, hello) = Initiator::start(&mut a, PEER_R).expect("start");
        let mut responder = Responder::new(PEER_I);
        let mut to_responder = vec![hello];
        let error = loop {
            let mut to_initiator = Vec::new();
            for bytes in to_responder.drain(..) {
                if let Step::Send(out) = responder.receive(&mut b, &bytes).expect("responder") {
                    to_initiator.extend(out);
                }
            }
            let mut failed = None;
            for bytes in to_initiator {
                let injected = Message::decode(&bytes).is_ok_and(|m| matches!(m, Message::Ack(_)));
                match initiator.receive(&mut a, &bytes) {
                    Ok(Step::Send(out)) if injected => {
                        // The initiator asked for the attachment; answer it with the hostile message.
                        assert_eq!(out.len(), 1);
                        failed = Some(initiator.receive(&mut a, &Message::Blobs(message.clone()).encode()));
                    }
                    Ok(Step::Send(out)) => to_responder.extend(out),
                    other => panic!("unexpected {other:?}"),
                }
            }
            if let Some(result) = failed {
                break result.expect_err("refused");
            }
        };
        assert_eq!(error.code(), expected);
        assert!(!a.blobs.contains_key(&(id(1), address)));
    }
}
