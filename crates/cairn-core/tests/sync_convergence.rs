//! Sync between real vaults, in memory: random edits on 3–5 devices (concurrent edits of the
//! same field and the same narrative, additions, deletions) synced in random pairs and orders
//! end with identical cases and conflicts everywhere and no edit lost; a link cut at any
//! point leaves only whole messages applied, and the next session completes the work.
//!
//! `CAIRN_SYNC_SCHEDULES` sets how many random schedules run (a few by default, for CI; the
//! long run's count is reported in BENCHMARKS.md).

use std::collections::{BTreeMap, BTreeSet};

use cairn_core::{
    Session,
    cases::{CaseField, NewPerson, NewTestimony, ObjectId, id_to_hex},
    testing::{PairOutcome, TestTeam, sync_pair},
};
use cairn_sync::SyncStore;
use proptest::prelude::*;

#[derive(Debug, Clone)]
enum Op {
    /// Device creates a case (with a person and a testimony, so narratives can be edited).
    Create { device: usize },
    /// Device sets the title of the n-th case it holds.
    Title { device: usize, case: usize, text: u8 },
    /// Device appends a marker to the narrative of the n-th case it holds.
    Narrate { device: usize, case: usize, text: u8 },
    /// Device adds a person to the n-th case it holds.
    Person { device: usize, case: usize },
    /// Device deletes the n-th case it holds.
    Delete { device: usize, case: usize },
    /// Two devices sync (the first connects).
    Sync { a: usize, b: usize },
}

fn op(devices: usize) -> impl Strategy<Value = Op> {
    let d = 0..devices;
    prop_oneof![
        2 => d.clone().prop_map(|device| Op::Create { device }),
        3 => (d.clone(), 0..4usize, any::<u8>()).prop_map(|(device, case, text)| Op::Title { device, case, text }),
        3 => (d.clone(), 0..4usize, any::<u8>()).prop_map(|(device, case, text)| Op::Narrate { device, case, text }),
        2 => (d.clone(), 0..4usize).prop_map(|(device, case)| Op::Person { device, case }),
        1 => (d.clone(), 0..4usize).prop_map(|(device, case)| Op::Delete { device, case }),
        4 => (d.clone(), d).prop_map(|(a, b)| Op::Sync { a, b }),
    ]
}

fn schedule() -> impl Strategy<Value = (usize, Vec<Op>)> {
    (3usize..=5).prop_flat_map(|devices| (Just(devices), prop::collection::vec(op(devices), 1..24)))
}

/// The n-th case a device holds (by id order), if it holds any.
fn nth_case(session: &mut Session, n: usize) -> Option<ObjectId> {
    let mut ids: Vec<ObjectId> = session.list_cases().expect("list").into_iter().map(|case| case.id).collect();
    ids.sort();
    (!ids.is_empty()).then(|| ids[n % ids.len()])
}

/// What must survive: per case, the persons and narrative markers added anywhere.
#[derive(Debug, Default)]
struct Expected {
    persons: BTreeMap<ObjectId, BTreeSet<ObjectId>>,
    markers: BTreeMap<ObjectId, BTreeSet<String>>,
    deleted: BTreeSet<ObjectId>,
}

fn sync_ok(team: &mut TestTeam, a: usize, b: usize) {
    if a == b {
        return;
    }
    let [a, b] = team.devices.get_disjoint_mut([a, b]).expect("two devices");
    match sync_pair(&mut a.session, &mut b.session, None).expect("sync") {
        PairOutcome::Done(..) => {}
        PairOutcome::Cut(_) => unreachable!("no cut asked"),
    }
}

/// Every device's view: each case's record and conflicts, as comparable text.
fn snapshot(session: &mut Session) -> BTreeMap<ObjectId, String> {
    let ids: Vec<ObjectId> = session.list_cases().expect("list").into_iter().map(|case| case.id).collect();
    ids.into_iter()
        .map(|id| {
            let view = session.open_case(&id).expect("open");
            let mut conflicts: Vec<String> = view
                .conflicts
                .iter()
                .map(|c| format!("{}:{}:{:?}", c.document_kind, c.conflict.path, c.conflict.values))
                .collect();
            conflicts.sort();
            (id, format!("{:?}|{:?}|{conflicts:?}|{:?}", view.record, view.testimonies, view.arriving_testimonies))
        })
        .collect()
}

fn run_schedule(devices: usize, ops: &[Op]) {
    let mut team = TestTeam::new(devices);
    let mut expected = Expected::default();
    let mut testimonies: BTreeMap<ObjectId, ObjectId> = BTreeMap::new();
    let mut added = 0u32;
    for op in ops {
        match *op {
            Op::Create { device } => {
                let session = team.device(device);
                let case = session.create_case("case").expect("case");
                let person =
                    session.add_person(&case, &NewPerson { pseudonym: "P".into(), ..NewPerson::default() }).expect("p");
                let testimony = NewTestimony {
                    source_person: id_to_hex(&person),
                    language: "ko".into(),
                    narrative: "시작".into(),
                    ..NewTestimony::default()
                };
                let testimony = session.add_testimony(&case, &testimony).expect("testimony");
                testimonies.insert(case, testimony);
                expected.persons.entry(case).or_default().insert(person);
            }
            Op::Title { device, case, text } => {
                if let Some(case) = nth_case(team.device(device), case) {
                    team.device(device).set_case_field(&case, CaseField::Title, &format!("title {text}")).expect("title");
                }
            }
            Op::Narrate { device, case, text } => {
                let session = team.device(device);
                if let Some(case) = nth_case(session, case) {
                    let testimony = testimonies[&case];
                    let view = session.open_case(&case).expect("open");
                    let Some((_, record)) = view.testimonies.iter().find(|(id, _)| *id == testimony) else { continue };
                    let marker =
                        format!("[{device}:{text}:{}]", expected.markers.values().map(BTreeSet::len).sum::<usize>());
                    let base = view.document_heads.iter().find(|(id, _)| *id == testimony).expect("heads").1.clone();
                    let text = format!("{}{marker}", record.narrative.as_str());
                    session.set_narrative_from(&testimony, &base, &text).expect("narrate");
                    expected.markers.entry(case).or_default().insert(marker);
                }
            }
            Op::Person { device, case } => {
                let session = team.device(device);
                if let Some(case) = nth_case(session, case) {
                    // Pseudonyms are unique within a case: number them across the schedule.
                    added += 1;
                    let pseudonym = format!("Q{added}");
                    let person = session.add_person(&case, &NewPerson { pseudonym, ..NewPerson::default() }).expect("p");
                    expected.persons.entry(case).or_default().insert(person);
                }
            }
            Op::Delete { device, case } => {
                let session = team.device(device);
                if let Some(case) = nth_case(session, case) {
                    session.delete_case(&case).expect("delete");
                    expected.deleted.insert(case);
                }
            }
            Op::Sync { a, b } => sync_ok(&mut team, a, b),
        }
    }
    // Settle: a chain forwards and back, then every device matches the first.
    for round in 0..2 {
        for device in 1..devices {
            sync_ok(&mut team, device, device - 1);
        }
        for device in (1..devices).rev() {
            sync_ok(&mut team, device - 1, device);
        }
        let _ = round;
    }
    let reference = snapshot(team.device(0));
    for device in 1..devices {
        assert_eq!(snapshot(team.device(device)), reference, "device {device} differs from device 0");
    }
    // No edit lost: every case not deleted holds every person and narrative marker added to it.
    for (case, persons) in &expected.persons {
        if expected.deleted.contains(case) {
            assert!(!reference.contains_key(case), "a deleted case came back");
            continue;
        }
        let view = team.device(0).open_case(case).expect("a case that was never deleted is held");
        for person in persons {
            assert!(view.record.persons.contains_key(&id_to_hex(person)), "a person was lost");
        }
        let narrative = view.testimonies.iter().map(|(_, record)| record.narrative.as_str().to_owned()).collect::<String>();
        for marker in expected.markers.get(case).into_iter().flatten() {
            assert!(narrative.contains(marker.as_str()), "narrative edit {marker} lost: {narrative}");
        }
    }
}

fn schedules() -> u32 {
    std::env::var("CAIRN_SYNC_SCHEDULES").ok().and_then(|value| value.parse().ok()).unwrap_or(6)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: schedules(), max_shrink_iters: 64, ..ProptestConfig::default() })]

    #[test]
    fn random_edits_and_random_syncs_converge_with_nothing_lost((devices, ops) in schedule()) {
        run_schedule(devices, &ops);
    }
}

#[test]
fn a_link_cut_anywhere_leaves_whole_messages_and_the_next_session_completes() {
    // Enough on each side that a session takes several messages each way.
    let mut full = None;
    for cut in 0.. {
        let mut team = TestTeam::new(2);
        for device in 0..2 {
            for n in 0..3 {
                let session = team.device(device);
                let case = session.create_case(&format!("case {device}-{n}")).expect("case");
                session.add_person(&case, &NewPerson { pseudonym: "P".into(), ..NewPerson::default() }).expect("p");
            }
        }
        let [a, b] = team.devices.get_disjoint_mut([0, 1]).expect("devices");
        let outcome = sync_pair(&mut a.session, &mut b.session, Some(cut)).expect("no error on a cut");
        // Whatever arrived is whole: every case either side holds opens completely.
        for session in [&mut a.session, &mut b.session] {
            for case in session.list_cases().expect("list") {
                let view = session.open_case(&case.id).expect("a whole case");
                assert_eq!(view.record.persons.len(), 1);
            }
        }
        // The next session completes it.
        let PairOutcome::Done(..) = sync_pair(&mut a.session, &mut b.session, None).expect("resume") else { unreachable!() };
        let titles = |session: &mut Session| {
            let mut titles: Vec<String> = session.list_cases().expect("list").into_iter().map(|case| case.title).collect();
            titles.sort();
            titles
        };
        assert_eq!(titles(&mut a.session).len(), 6, "cut after {cut}");
        assert_eq!(titles(&mut a.session), titles(&mut b.session));
        if let PairOutcome::Done(..) = outcome {
            full = Some(cut);
            break;
        }
    }
    assert!(full.is_some_and(|cut| cut >= 4), "the session had several messages to cut: {full:?}");
}

#[test]
fn only_the_changes_the_other_side_lacks_travel_even_when_it_cannot_know_the_new_heads() {
    let mut team = TestTeam::new(2);
    let case = team.device(0).create_case("Exact").expect("case");
    let [a, b] = team.devices.get_disjoint_mut([0, 1]).expect("devices");
    let PairOutcome::Done(..) = sync_pair(&mut a.session, &mut b.session, None).expect("first") else { unreachable!() };
    // A is ahead by one change whose hash B has never seen: B sends nothing back.
    a.session.set_case_field(&case, CaseField::Title, "A only").expect("edit");
    let PairOutcome::Done(from_a, from_b) = sync_pair(&mut a.session, &mut b.session, None).expect("ahead") else {
        unreachable!()
    };
    assert_eq!((from_a.changes_sent, from_b.changes_sent), (1, 0), "no history resent");
    assert!(from_a.round_trips <= 4);
    // Both edit concurrently: each side receives exactly the other's one change, in one session.
    a.session.set_case_field(&case, CaseField::Risk, "low").expect("a");
    b.session.set_case_field(&case, CaseField::Team, "Yanji").expect("b");
    let PairOutcome::Done(from_a, from_b) = sync_pair(&mut a.session, &mut b.session, None).expect("both") else {
        unreachable!()
    };
    assert_eq!((from_a.changes_sent, from_b.changes_sent), (1, 1));
    assert_eq!((from_a.changes_received, from_b.changes_received), (1, 1));
    let (on_a, on_b) = (a.session.open_case(&case).expect("a"), b.session.open_case(&case).expect("b"));
    assert_eq!(on_a.record, on_b.record);
    assert_eq!((on_a.record.risk.as_str(), on_a.record.team.as_str()), ("low", "Yanji"));
}

/// An attachment of `len` bytes on `case`, different for each `seed`.
fn attach(session: &mut Session, case: &cairn_core::cases::ObjectId, seed: u8, len: usize) -> (ObjectId, Vec<u8>) {
    let content: Vec<u8> = (0..len).map(|i| (i as u8).wrapping_mul(29).wrapping_add(seed)).collect();
    let info = session.attach_reader(case, &format!("file-{seed}.bin"), &mut content.as_slice(), true).expect("attach");
    (info.id, content)
}

fn export(session: &mut Session, attachment: &ObjectId) -> Result<Vec<u8>, String> {
    let mut out = Vec::new();
    session.export_attachment(attachment, &mut out).map_err(|error| error.code().to_owned())?;
    Ok(out)
}

#[test]
fn attachments_follow_their_documents_and_a_cut_transfer_resumes_where_it_stopped() {
    const PART: u64 = 64 * 1024;
    let mut full = None;
    for cut in 0.. {
        let mut team = TestTeam::new(2);
        let case_a = team.device(0).create_case("Recording").expect("case");
        let (large, large_content) = attach(team.device(0), &case_a, 1, 4 * 1024 * 1024 + 700_000);
        let case_b = team.device(1).create_case("Photo").expect("case");
        let (small, small_content) = attach(team.device(1), &case_b, 2, 100_000);
        let [a, b] = team.devices.get_disjoint_mut([0, 1]).expect("devices");
        let outcome = sync_pair(&mut b.session, &mut a.session, Some(cut)).expect("no error on a cut");
        // Whatever arrived is whole or not there at all: never a partial attachment.
        let arriving = b.session.attachments_arriving().expect("arriving");
        match export(&mut b.session, &large) {
            Ok(content) => assert!(content == large_content && arriving.is_empty()),
            Err(code) => {
                assert!(code == "attachment_not_arrived" || code == "not_found", "{code}");
                if code == "attachment_not_arrived" {
                    // The case opens, and shows the attachment as arriving.
                    let view = b.session.open_case(&case_a).expect("open");
                    assert_eq!(view.arriving_attachments, [large]);
                }
            }
        }
        let received = arriving.first().map_or(0, |arriving| u64::from(arriving.parts_received));
        if let PairOutcome::Done(..) = outcome {
            full = Some(cut);
        }
        // The next session brings the rest, and only the rest.
        let PairOutcome::Done(from_b, _) = sync_pair(&mut b.session, &mut a.session, None).expect("resume") else {
            unreachable!()
        };
        assert_eq!(export(&mut b.session, &large).expect("large on b"), large_content, "cut after {cut}");
        assert_eq!(export(&mut a.session, &small).expect("small on a"), small_content, "cut after {cut}");
        assert!(b.session.attachments_arriving().expect("arriving").is_empty());
        assert!(b.session.open_case(&case_a).expect("open").arriving_attachments.is_empty());
        if received > 0 {
            let parts_left = (large_content.len() as u64).div_ceil(PART) - received;
            assert!(
                from_b.bytes_received < (parts_left + 2) * (PART + 200),
                "cut after {cut}: {received} parts were in, yet {} bytes came again",
                from_b.bytes_received
            );
        }
        if full.is_some() {
            break;
        }
    }
    assert!(full.is_some_and(|cut| cut >= 8), "the transfer had several messages to cut: {full:?}");
}

#[test]
fn an_attachment_whose_content_does_not_match_its_document_is_refused_and_asked_for_again() {
    let mut team = TestTeam::new(2);
    let case = team.device(0).create_case("Evidence").expect("case");
    let (attachment, content) = attach(team.device(0), &case, 3, 100_000);
    let [a, b] = team.devices.get_disjoint_mut([0, 1]).expect("devices");
    // B gets the documents, not the attachment: cut the link before its parts travel.
    for cut in 0.. {
        sync_pair(&mut b.session, &mut a.session, Some(cut)).expect("cut");
        if !b.session.attachments_arriving().expect("arriving").is_empty() {
            break;
        }
    }
    let want = b.session.sync_store().expect("b store").missing_blobs(10).expect("missing");
    assert_eq!(want.len(), 1, "B lacks exactly the attachment");
    let (case_id, address) = (want[0].case_id, want[0].address);
    let mut forged = Vec::new();
    let mut store = a.session.sync_store().expect("store");
    let count = store.blob_part_count(&case_id, &address).expect("count").expect("held");
    for position in 0..count {
        forged.push(store.blob_part(&case_id, &address, position).expect("part"));
    }
    // Swap two parts' contents: each opens only at its own position, so it is refused there.
    forged.swap(0, 1);
    forged[0].position = 0;
    forged[1].position = 1;
    let error = b.session.sync_store().expect("store").apply_blob_parts(&forged).expect_err("refused");
    assert_eq!(error.code(), "sync_peer_data_refused");
    assert_eq!(export(&mut b.session, &attachment).expect_err("not there"), "attachment_not_arrived");
    // Nothing half-kept: the next session asks from the first part and completes.
    assert_eq!(b.session.attachments_arriving().expect("arriving")[0].parts_received, 0);
    let PairOutcome::Done(..) = sync_pair(&mut b.session, &mut a.session, None).expect("sync") else { unreachable!() };
    assert_eq!(export(&mut b.session, &attachment).expect("arrived"), content);
}
