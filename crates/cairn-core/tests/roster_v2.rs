//! Roster v2 across vaults: a device enrolled after a revocation reads what the team wrote
//! before it (earlier team key epochs travel sealed under the current one), and a team whose
//! devices hold v1 rosters still imports them and moves on to v2.

use cairn_core::{
    CoreError, Session,
    cases::{CaseField, NewPerson},
    team::{HandoverPurge, Role, Standing, TeamError},
    testing::{PairOutcome, TestTeam, TestVault, sync_pair},
};
use cairn_crypto::TeamKey;
use cairn_sync::{DocRef, Incoming, SyncStore};

const FIRST_TITLE: &str = "첫 사건 The first case";

fn held_epochs(session: &mut Session) -> Vec<u32> {
    session.roster().expect("roster").expect("a roster").held_epochs
}

fn synced(outcome: Result<PairOutcome, String>) {
    match outcome {
        Ok(PairOutcome::Done(..)) => {}
        other => panic!("the sync did not finish: {other:?}"),
    }
}

/// HQ and devices A and B; A writes the first change ever written in the team; HQ revokes B
/// (epoch 2: every case key rotates, the first change stays sealed under a key shared in
/// epoch 1); C is enrolled last. C holds epoch 1's key from the roster alone, so both what A
/// carried from before the revocation (as a bundle or relay would hold it) and a live sync
/// with A open on C.
#[test]
fn a_device_enrolled_last_reads_the_first_change_ever_written() {
    let mut team = TestTeam::new(2);
    let case = team.device(0).create_case(FIRST_TITLE).expect("the first change ever written");
    let doc = DocRef { case_id: case, doc_id: case };
    // What A sends now, sealed as it was then: the case key shared under epoch 1 and the
    // first change under that case key.
    let carried = {
        let mut a = team.device(0).sync_store().expect("store");
        Incoming {
            case_keys: vec![a.export_case_key(&case).expect("case key")],
            changes: vec![(doc, a.changes_since(&doc, &[]).expect("changes"))],
            tombstones: Vec::new(),
        }
    };
    assert_eq!(TeamKey::shared_case_key_header(&carried.case_keys[0].wrapped).expect("header").0, 1);
    team.device(0).add_person(&case, &NewPerson { pseudonym: "P-1".into(), ..NewPerson::default() }).expect("person");

    team.revoke(1);
    assert_eq!(held_epochs(team.device(0)), vec![1, 2]);
    assert_eq!(held_epochs(team.device(1)), vec![1], "the revoked device gets no new epoch");
    team.device(0).set_case_field(&case, CaseField::Risk, "high").expect("written after the revocation");

    let c = team.enroll(Role::Field, "field-3");
    let view = team.device(c).roster().expect("roster").expect("a roster");
    assert_eq!((view.format_version, view.epoch), (2, 2));
    assert_eq!(view.held_epochs, vec![1, 2], "epoch 1 came from the roster, sealed under epoch 2");

    // The first change, sealed under epoch 1's sharing, opens on the device enrolled last.
    team.device(c).sync_store().expect("store").apply(&carried).expect("C opens epoch 1");
    let first = team.device(c).open_case(&case).expect("the first case");
    assert_eq!(first.record.title, FIRST_TITLE);
    assert!(first.record.persons.is_empty(), "exactly the first change, nothing after it");

    // And a live sync with A brings the rest.
    let [a, c] = team.devices.get_disjoint_mut([0, c]).expect("two devices");
    synced(sync_pair(&mut c.session, &mut a.session, None));
    let (on_a, on_c) = (a.session.open_case(&case).expect("a"), c.session.open_case(&case).expect("c"));
    assert_eq!(on_c.record, on_a.record);
    assert_eq!((on_c.record.title.as_str(), on_c.record.risk.as_str()), (FIRST_TITLE, "high"));
    assert_eq!(on_c.record.persons.len(), 1);
}

/// The revoked device never learns an epoch that begins after it: the roster that carries
/// epoch 1 sealed under epoch 2 tells it nothing.
#[test]
fn the_revoked_device_learns_no_epoch_from_later_rosters() {
    let mut team = TestTeam::new(2);
    team.revoke(1);
    // Enrolling gives every device the new roster, the revoked one included.
    team.enroll(Role::Field, "field-3");
    let hq_version = team.hq.session.roster().expect("roster").expect("a roster").version;
    let view = team.device(1).roster().expect("roster").expect("a roster");
    assert_eq!(view.version, hq_version, "the revoked device imported the roster carrying epoch 1");
    assert!(matches!(view.standing, Standing::Revoked { .. }));
    assert_eq!(view.held_epochs, vec![1]);
    assert!(team.device(1).sync_store().is_err(), "no current team key, no sync");
}

/// A team whose devices hold v1 rosters (issued before v2): the v1 roster verifies and
/// imports, a revocation issued as v1 still rotates the team key, and HQ's next roster, in v2,
/// gives a new device the earlier epoch from HQ's own vault (no v1 roster carried it).
#[test]
fn v1_rosters_still_import_and_the_team_moves_on_to_v2() {
    let (_hq_vault, mut hq) = TestVault::create();
    let created = hq.create_organisation("Yalu support", "HQ").expect("organisation");
    let enroll = |hq: &mut Session, name: &str| {
        let (vault, mut device) = TestVault::create();
        let request = device.enrollment_request(name).expect("request");
        hq.enroll_device(request.text.as_bytes(), Role::Field, name, &request.fingerprint).expect("enroll");
        (vault, device)
    };
    let (_a_vault, mut a) = enroll(&mut hq, "a");
    let (_b_vault, mut b) = enroll(&mut hq, "b");
    let issued = hq.reissue_roster_as_v1().expect("v1 roster");
    let v1 = hq.roster_bytes().expect("roster");
    assert_eq!(v1[0], 1, "format v1");
    for device in [&mut a, &mut b] {
        let imported = device.import_roster(&v1, Some(&created.fingerprint)).expect("a v1 roster imports");
        assert_eq!((imported.roster_version, imported.epoch), (issued.roster_version, 1));
        let view = device.roster().expect("roster").expect("a roster");
        assert_eq!(view.format_version, 1);
        assert_eq!((view.handover_purge, view.identity_readers.clone()), (HandoverPurge::Keep, vec![Role::Hq]));
        assert_eq!((view.valid_from_ms, view.valid_until_ms, view.next_root_committed), (None, None, false));
    }
    // A revocation, re-issued as v1: the v1 roster carries epoch 2 only.
    let b_id = b.device_identity().expect("identity").device_id;
    hq.revoke_device(&b_id).expect("revoke");
    hq.reissue_roster_as_v1().expect("v1 roster");
    let v1_epoch2 = hq.roster_bytes().expect("roster");
    a.import_roster(&v1_epoch2, None).expect("import");
    assert_eq!(held_epochs(&mut a), vec![1, 2]);
    // HQ's next roster is v2 and carries epoch 1 from HQ's vault.
    let (_c_vault, mut c) = enroll(&mut hq, "c");
    let v2 = hq.roster_bytes().expect("roster");
    assert_eq!(v2[0], 2, "HQ issues v2");
    c.import_roster(&v2, Some(&created.fingerprint)).expect("import");
    assert_eq!(held_epochs(&mut c), vec![1, 2]);
    a.import_roster(&v2, None).expect("a device on v1 moves to v2");
    assert_eq!(a.roster().expect("roster").expect("a roster").format_version, 2);
    // Once on v2 it does not go back, even to a newer, genuinely signed v1 roster.
    hq.reissue_roster_as_v1().expect("v1 roster");
    let back = hq.roster_bytes().expect("roster");
    let error = a.import_roster(&back, None).expect_err("refused");
    assert!(matches!(error, CoreError::Team(TeamError::Inconsistent { what: "the roster format went back" })), "{error:?}");
}
