//! Roster expiry (issue 13, item 5): HQ issues every roster valid for a number of days; a
//! device warns before its roster ends and, once it has ended, exchanges cases only with HQ
//! devices. With any other member only the roster moves, over a live link or by bundle, so a
//! device that stayed offline for months learns of revocations before it shares anything.
//!
//! An expired roster is made without waiting: HQ issues one whose period ended in 2000 and
//! the device imports it with its clock set to then (`TestTeam::expire_roster`). Nothing here
//! depends on how long anything takes.

use std::num::NonZeroU16;

use cairn_core::{
    CoreError, Session,
    cases::ObjectId,
    team::{ROSTER_EXPIRY_WARNING_MS, RosterExpiry, TeamError, Validity},
    testing::{EXPIRED_AT_MS, PairOutcome, TestTeam, sync_pair},
};
use cairn_model::parse_id;

const DAY_MS: u64 = Validity::DAY_MS;

fn now() -> u64 {
    u64::try_from(cairn_core::cases::now_ms()).expect("a clock after 1970")
}

fn id_of(session: &mut Session) -> [u8; 16] {
    parse_id(&session.device_identity().expect("identity").device_id).expect("id")
}

fn holds(session: &mut Session, case: &ObjectId) -> bool {
    session.list_cases().expect("list").iter().any(|summary| summary.id == *case)
}

fn version(session: &mut Session) -> u64 {
    session.roster().expect("roster").expect("held").version
}

/// Runs a live session (`a` connects) and returns both summaries.
fn sync(a: &mut Session, b: &mut Session) -> (cairn_sync::SyncSummary, cairn_sync::SyncSummary) {
    match sync_pair(a, b, None).expect("sync") {
        PairOutcome::Done(initiator, responder) => (initiator, responder),
        PairOutcome::Cut(_) => unreachable!("no cut asked for"),
    }
}

#[test]
fn hq_sets_how_long_every_roster_it_issues_is_valid_and_renews_it_with_the_same_members() {
    let mut team = TestTeam::new(1);
    let hq = &mut team.hq.session;
    assert_eq!(hq.roster_validity_days().expect("setting"), None);
    assert_eq!(hq.roster_expiry(now()).expect("expiry"), RosterExpiry::Valid);
    let before = version(hq);
    let start = now();
    let issued = hq.set_roster_validity(NonZeroU16::new(30)).expect("set");
    let end = now();
    assert_eq!(issued.roster_version, before + 1);
    assert_eq!(hq.roster_validity_days().expect("setting"), NonZeroU16::new(30));
    let view = hq.roster().expect("roster").expect("held");
    let until = view.valid_until_ms.expect("an end");
    assert!((start + 30 * DAY_MS..=end + 30 * DAY_MS).contains(&until), "30 days from issue");
    let from = view.valid_from_ms.expect("a start");
    assert!((start - DAY_MS..=end - DAY_MS).contains(&from), "a day early, for slow clocks");
    // Every roster HQ issues from now on gets a fresh period: an enrollment ...
    team.enroll(cairn_core::team::Role::Field, "field-2");
    let enrolled = team.device(1).roster().expect("roster").expect("held");
    assert!(enrolled.valid_until_ms.expect("an end") >= until);
    // ... a revocation ...
    team.revoke(1);
    assert!(team.device(0).roster().expect("roster").expect("held").valid_until_ms.is_some());
    // ... and a renewal: the next version, the same members and policy.
    let hq = &mut team.hq.session;
    let members = hq.roster().expect("roster").expect("held").members;
    let renewed = hq.reissue_roster().expect("reissue");
    assert_eq!(renewed.roster_version, version(hq));
    let view = hq.roster().expect("roster").expect("held");
    assert_eq!(view.members, members);
    assert!(view.valid_until_ms.expect("an end") >= until);
    team.distribute_roster().expect("every device takes the renewed roster");
    // Off: the next roster has no end.
    let hq = &mut team.hq.session;
    hq.set_roster_validity(None).expect("off");
    assert_eq!(hq.roster_validity_days().expect("setting"), None);
    assert_eq!(hq.roster().expect("roster").expect("held").valid_until_ms, None);
    // Only HQ sets it.
    let device = team.device(0);
    for outcome in [device.set_roster_validity(NonZeroU16::new(7)).map(|_| ()), device.reissue_roster().map(|_| ())] {
        assert!(matches!(outcome, Err(CoreError::Team(TeamError::NotOrganisation))), "{outcome:?}");
    }
    assert!(matches!(device.roster_validity_days(), Err(CoreError::Team(TeamError::NotOrganisation))));
}

#[test]
fn a_device_warns_in_the_last_week_and_knows_when_its_roster_expired() {
    let mut team = TestTeam::new(1);
    team.hq.session.set_roster_validity(NonZeroU16::new(30)).expect("set");
    team.distribute_roster().expect("distribute");
    let device = team.device(0);
    let until = device.roster().expect("roster").expect("held").valid_until_ms.expect("an end");
    let mut at = |now: u64| device.roster_expiry(now).expect("expiry");
    assert_eq!(at(now()), RosterExpiry::Valid);
    assert_eq!(at(until - ROSTER_EXPIRY_WARNING_MS - 1), RosterExpiry::Valid);
    assert_eq!(at(until - ROSTER_EXPIRY_WARNING_MS), RosterExpiry::ExpiresSoon { at: until });
    assert_eq!(at(until), RosterExpiry::ExpiresSoon { at: until }, "the last instant is still valid");
    assert_eq!(at(until + 1), RosterExpiry::Expired { at: until });
    assert_eq!(RosterExpiry::Expired { at: until }.code(), "expired");
    // A device that held the roster past its end: expired now, and limited with members.
    let mut team = TestTeam::new(2);
    team.expire_roster(&[0]);
    let b = id_of(team.device(1));
    let hq = id_of(&mut team.hq.session);
    let a = team.device(0);
    assert_eq!(a.roster_expiry(now()).expect("expiry"), RosterExpiry::Expired { at: EXPIRED_AT_MS });
    assert!(a.sync_limited_with(&b, now()).expect("limited"));
    assert!(!a.sync_limited_with(&hq, now()).expect("HQ is not"));
    assert!(!a.sync_limited_with(&b, EXPIRED_AT_MS).expect("not at a time it was valid"));
    // HQ holds the same expired roster and is never limited by it.
    let hq_session = &mut team.hq.session;
    assert_eq!(hq_session.roster_expiry(now()).expect("expiry"), RosterExpiry::Expired { at: EXPIRED_AT_MS });
    assert!(!hq_session.sync_limited_with(&b, now()).expect("HQ never"));
}

#[test]
fn an_expired_device_refuses_to_send_cases_to_a_peer_accepts_a_newer_roster_then_syncs() {
    for a_connects in [true, false] {
        let mut team = TestTeam::new(2);
        let case_a = team.device(0).create_case("A's case").expect("case");
        let case_b = team.device(1).create_case("B's case").expect("case");
        // A held a roster that expired meanwhile; B already holds the renewed one.
        let expired = team.expire_roster(&[0]);
        team.hq.session.set_roster_validity(NonZeroU16::new(30)).expect("renew");
        let renewed = team.hq.session.roster_bytes().expect("roster");
        team.device(1).import_roster(&renewed, None).expect("B takes it");
        let [a, b] = team.devices.get_disjoint_mut([0, 1]).expect("two devices");
        let (a, b) = (&mut a.session, &mut b.session);
        assert_eq!(version(a), expired);

        let (a_summary, b_summary) = if a_connects {
            sync(a, b)
        } else {
            let (b_summary, a_summary) = sync(b, a);
            (a_summary, b_summary)
        };
        // Only the roster moved: A sent no case and applied none of B's.
        assert!(a_summary.roster_only && !b_summary.roster_only);
        assert!(a_summary.roster_updated);
        assert_eq!(version(a), expired + 1);
        assert!(!holds(b, &case_a), "an expired device sent a case");
        assert!(!holds(a, &case_b), "an expired device took a case");
        assert_eq!((a_summary.changes_sent, a_summary.changes_received), (0, 0));
        assert_eq!(a.roster_expiry(now()).expect("expiry"), RosterExpiry::Valid);

        // The next session, with the renewed roster, moves cases both ways.
        let (a_summary, _) = if a_connects { sync(a, b) } else { sync(b, a) };
        assert!(!a_summary.roster_only);
        assert!(holds(b, &case_a) && holds(a, &case_b));
    }
}

#[test]
fn an_expired_device_still_syncs_with_hq_and_hq_is_never_limited() {
    let mut team = TestTeam::new(1);
    let case_a = team.device(0).create_case("Handed to HQ").expect("case");
    let case_hq = team.hq.session.create_case("From HQ").expect("case");
    // Both hold the expired roster: the device syncs with HQ as usual, HQ with anyone.
    team.expire_roster(&[0]);
    let (a_summary, hq_summary) = sync(&mut team.devices[0].session, &mut team.hq.session);
    assert!(!a_summary.roster_only && !hq_summary.roster_only);
    assert!(holds(&mut team.hq.session, &case_a), "the case reached HQ");
    assert!(holds(&mut team.devices[0].session, &case_hq));
}

#[test]
fn by_bundle_an_expired_device_writes_only_for_hq_and_takes_only_a_roster_from_others() {
    let mut team = TestTeam::new(2);
    let case_a = team.device(0).create_case("A's case").expect("case");
    let case_b = team.device(1).create_case("B's case").expect("case");
    team.expire_roster(&[0]);
    let hq_id = id_of(&mut team.hq.session);
    let b_id = id_of(team.device(1));
    let a_id = id_of(team.device(0));

    // A writes for HQ, and for no one else.
    let a = team.device(0);
    let error = a.export_bundle(&b_id).expect_err("refused");
    assert_eq!(error.code(), "roster_expired_sync_limited");
    let folder = tempfile::tempdir().expect("folder");
    let refused = a.export_bundles(folder.path(), &[b_id], &mut ()).expect_err("refused");
    assert_eq!(refused.code(), "roster_expired_sync_limited");
    assert_eq!(std::fs::read_dir(folder.path()).expect("list").count(), 0, "nothing was written");
    let written = a.export_bundles(folder.path(), &[], &mut ()).expect("default recipients");
    assert_eq!(written.iter().map(|bundle| bundle.recipient).collect::<Vec<_>>(), vec![hq_id]);
    let for_hq = a.export_bundle(&hq_id).expect("for HQ");
    let verified = team.hq.session.read_bundle(&for_hq.bytes).expect("read").expect("for HQ");
    let applied = team.hq.session.apply_bundle(&verified, |_, _| true).expect("apply");
    assert!(!applied.roster_only);
    assert!(holds(&mut team.hq.session, &case_a), "the case reached HQ by bundle");

    // B (still on the older roster, without an end) writes for A: A takes nothing of it.
    let from_b = team.device(1).export_bundle(&a_id).expect("B writes for A");
    assert!(from_b.contents.documents > 0);
    let a = team.device(0);
    let verified = a.read_bundle(&from_b.bytes).expect("read").expect("for A");
    let applied = a.apply_bundle(&verified, |_, _| true).expect("apply");
    assert!(applied.roster_only && !applied.roster_updated);
    assert_eq!((applied.documents, applied.tombstones, applied.attachments), (0, 0, 0));
    assert!(!holds(a, &case_b));

    // HQ renews the roster; B's next bundle carries it, and A, renewed by it, takes the rest.
    team.hq.session.set_roster_validity(NonZeroU16::new(30)).expect("renew");
    let renewed = team.hq.session.roster_bytes().expect("roster");
    team.device(1).import_roster(&renewed, None).expect("B takes it");
    let from_b = team.device(1).export_bundle(&a_id).expect("B writes for A");
    assert!(from_b.contents.roster);
    let a = team.device(0);
    let verified = a.read_bundle(&from_b.bytes).expect("read").expect("for A");
    let applied = a.apply_bundle(&verified, |_, _| true).expect("apply");
    assert!(applied.roster_updated && !applied.roster_only);
    assert!(holds(a, &case_b), "the renewed device took B's case");
    // And A writes for B again.
    let for_b = a.export_bundle(&b_id).expect("for B");
    let b = team.device(1);
    let verified = b.read_bundle(&for_b.bytes).expect("read").expect("for B");
    b.apply_bundle(&verified, |_, _| true).expect("apply");
    assert!(holds(b, &case_a));
}
