//! HQ's root key kept offline, pre-rotation and root rotation (issue 12, item 6): the root key
//! lives in a root key file, not in HQ's everyday vault; the roster commits to the next root
//! key in advance; when the current key is lost or stolen, the committed one takes over and
//! every device follows, over a live sync like any newer roster. (That a device refuses what
//! the retired key signs, and any key that was not committed to, is proved with forged
//! rosters in cairn-team's tests.)

use cairn_core::{
    CoreError, SecretString, Session,
    team::{Role, TeamError},
    testing::{PairOutcome, TestTeam, TestVault, decrypted_vault_pages, sync_pair, wrapped_organisation_root},
};

const ROOT_PASSPHRASE: &str = "루트 키는 금고에 root key in the safe";
const NEXT_PASSPHRASE: &str = "다음 루트 키 next root key phrase";

fn secret(text: &str) -> SecretString {
    SecretString::from(text)
}

fn team_error(result: Result<impl std::fmt::Debug, CoreError>) -> TeamError {
    match result {
        Err(CoreError::Team(error)) => error,
        other => panic!("expected a team refusal, got {other:?}"),
    }
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|window| window == needle)
}

fn version(session: &mut Session) -> u64 {
    session.roster().expect("roster").expect("held").version
}

fn fingerprint(session: &mut Session) -> String {
    session.device_identity().expect("identity").organisation_fingerprint.expect("pinned")
}

#[test]
fn a_root_taken_offline_leaves_the_vault_and_signs_only_with_its_file_open() {
    let mut team = TestTeam::new(1);
    let hq = &mut team.hq.session;
    assert!(hq.root_status().expect("status").in_vault);
    let file = hq.export_root_file(&secret(ROOT_PASSPHRASE)).expect("export");
    // A file that does not open, or another key's, is refused and the vault keeps its root.
    assert_eq!(team_error(hq.take_root_offline(&file, &secret("not the root passphrase"))), TeamError::RootFileLocked);
    let other = hq.new_root_file(&secret(NEXT_PASSPHRASE)).expect("another key");
    assert_eq!(team_error(hq.take_root_offline(&other, &secret(NEXT_PASSPHRASE))), TeamError::WrongRootKey);
    let mut damaged = file.clone();
    damaged[120] ^= 1;
    assert_eq!(team_error(hq.take_root_offline(&damaged, &secret(ROOT_PASSPHRASE))), TeamError::RootFileLocked);
    assert!(hq.root_status().expect("status").in_vault);

    let wrapped = wrapped_organisation_root(hq).expect("the vault holds the root");
    assert!(decrypted_vault_pages(hq).iter().any(|page| contains(&page.plaintext, &wrapped)), "the scan finds it");
    hq.take_root_offline(&file, &secret(ROOT_PASSPHRASE)).expect("offline");
    let status = hq.root_status().expect("status");
    assert!(!status.in_vault && status.opened_for_session);
    assert_eq!(wrapped_organisation_root(hq), None);
    // With the session still open (as HQ's app keeps it), no page of the database or frame of
    // its WAL, decrypted with the vault's own key, holds the wrapped root any more.
    let left: Vec<String> = decrypted_vault_pages(hq)
        .iter()
        .filter(|page| contains(&page.plaintext, &wrapped))
        .map(|page| format!("{:?} page {}", page.source, page.page_number))
        .collect();
    assert!(left.is_empty(), "the wrapped root is left in {left:?}");
    // This session still signs; a new one cannot until the file is opened.
    hq.reissue_roster().expect("the session keeps the opened key");
    drop(team.hq.session);
    let mut hq = team.hq.vault.reopen();
    assert!(!hq.root_status().expect("status").opened_for_session);
    assert_eq!(team_error(hq.reissue_roster()), TeamError::RootOffline);
    assert_eq!(team_error(hq.open_root_file(&other, &secret(NEXT_PASSPHRASE))), TeamError::WrongRootKey);
    hq.open_root_file(&file, &secret(ROOT_PASSPHRASE)).expect("open the root key file");
    let before = version(&mut hq);
    hq.reissue_roster().expect("sign with the file open");
    let roster = hq.roster_bytes().expect("roster");
    team.devices[0].session.import_roster(&roster, None).expect("the device takes it");
    assert_eq!(version(&mut team.devices[0].session), before + 1);
}

#[test]
fn an_organisation_can_begin_with_its_root_key_never_in_the_vault() {
    let (_place, mut hq) = TestVault::create();
    let file = hq.new_organisation_root_file(&secret(ROOT_PASSPHRASE)).expect("root key file");
    let created = hq
        .create_organisation_with_root_file(&file, &secret(ROOT_PASSPHRASE), "Org", "HQ")
        .expect("create the organisation");
    assert!(!hq.root_status().expect("status").in_vault);
    let (_device_place, mut device) = TestVault::create();
    let request = device.enrollment_request("field").expect("request");
    hq.enroll_device(request.text.as_bytes(), Role::Field, "field", &request.fingerprint).expect("enroll");
    device.import_roster(&hq.roster_bytes().expect("roster"), Some(&created.fingerprint)).expect("first import");
    // Once created, a second organisation from a root key file is refused.
    assert_eq!(team_error(hq.new_organisation_root_file(&secret(ROOT_PASSPHRASE))), TeamError::AlreadyInOrganisation);
}

#[test]
fn the_committed_next_root_takes_over_and_devices_follow_through_sync() {
    let mut team = TestTeam::new(2);
    let old_fingerprint = team.fingerprint.clone();
    let hq = &mut team.hq.session;
    // The next root key, prepared in its own file and committed to.
    let next = hq.new_root_file(&secret(NEXT_PASSPHRASE)).expect("next root key file");
    assert_eq!(team_error(hq.commit_next_root(&next, &secret("a wrong passphrase!"))), TeamError::RootFileLocked);
    hq.commit_next_root(&next, &secret(NEXT_PASSPHRASE)).expect("commit");
    assert!(hq.root_status().expect("status").next_committed);
    let committed_roster = hq.roster_bytes().expect("roster");
    // Device 0 takes the committed roster; device 1 stays on the one before.
    team.devices[0].session.import_roster(&committed_roster, None).expect("import");
    // The old root is now presumed stolen. HQ rotates with the next key's file and prepares
    // the one after it; the old key is not needed.
    let hq = &mut team.hq.session;
    let following = hq.new_root_file(&secret(ROOT_PASSPHRASE)).expect("following root key file");
    assert_eq!(
        team_error(hq.rotate_root(&following, &secret(ROOT_PASSPHRASE), &next, &secret(NEXT_PASSPHRASE))),
        TeamError::WrongRootKey,
        "only the committed key may take over"
    );
    let issued = hq.rotate_root(&next, &secret(NEXT_PASSPHRASE), &following, &secret(ROOT_PASSPHRASE)).expect("rotate");
    let status = hq.root_status().expect("status");
    assert!(!status.in_vault && status.opened_for_session && status.next_committed);
    assert_ne!(status.fingerprint, old_fingerprint);
    let new_fingerprint = status.fingerprint;
    // HQ goes on issuing rosters under the new root (its file stays open for the session).
    team.hq.session.reissue_roster().expect("issue under the new root");

    // Device 0 follows over a live sync with HQ: the pin moves to the new root.
    match sync_pair(&mut team.devices[0].session, &mut team.hq.session, None).expect("sync") {
        PairOutcome::Done(..) => {}
        PairOutcome::Cut(_) => unreachable!("no cut asked for"),
    }
    assert_eq!(fingerprint(&mut team.devices[0].session), new_fingerprint);
    assert!(version(&mut team.devices[0].session) > issued.roster_version);
    // Device 1 never received the commitment: it refuses the new root, and is re-pinned in
    // person (a fresh vault's first import with the new fingerprint) as the last resort.
    let roster = team.hq.session.roster_bytes().expect("roster");
    assert_eq!(team_error(team.devices[1].session.import_roster(&roster, None)), TeamError::UncommittedRoot);
    assert_eq!(fingerprint(&mut team.devices[1].session), old_fingerprint);
}

#[test]
fn after_a_rotation_hq_refuses_the_retired_root_and_signs_with_the_new_one_only() {
    let mut team = TestTeam::new(1);
    // The copy a thief would hold: the old root, as a root key file.
    let hq = &mut team.hq.session;
    let stolen = hq.export_root_file(&secret(ROOT_PASSPHRASE)).expect("the old root, as a thief would hold it");
    let next = hq.new_root_file(&secret(NEXT_PASSPHRASE)).expect("next");
    hq.commit_next_root(&next, &secret(NEXT_PASSPHRASE)).expect("commit");
    team.distribute_roster().expect("distribute");
    // With the old root a thief cannot change the commitment: HQ's own code refuses, and a
    // roster signed so would be refused by devices (cairn-team's tests forge one).
    let hq = &mut team.hq.session;
    let thief_next = hq.new_root_file(&secret(NEXT_PASSPHRASE)).expect("thief's key");
    assert!(matches!(
        team_error(hq.commit_next_root(&thief_next, &secret(NEXT_PASSPHRASE))),
        TeamError::Inconsistent { .. }
    ));
    let following = hq.new_root_file(&secret(ROOT_PASSPHRASE)).expect("following");
    hq.rotate_root(&next, &secret(NEXT_PASSPHRASE), &following, &secret(ROOT_PASSPHRASE)).expect("rotate");
    team.distribute_roster().expect("the device follows");
    // The vault no longer takes the old root's file: it is not the organisation's key.
    let hq = &mut team.hq.session;
    assert_eq!(team_error(hq.open_root_file(&stolen, &secret(ROOT_PASSPHRASE))), TeamError::WrongRootKey);
    // Rotating again needs the committed following key, not the retired one.
    assert_eq!(
        team_error(hq.rotate_root(&stolen, &secret(ROOT_PASSPHRASE), &next, &secret(NEXT_PASSPHRASE))),
        TeamError::WrongRootKey
    );
    // The rotated HQ vault, reopened, signs only with the new root's file.
    drop(team.hq.session);
    let mut hq = team.hq.vault.reopen();
    assert_eq!(team_error(hq.reissue_roster()), TeamError::RootOffline);
    hq.open_root_file(&next, &secret(NEXT_PASSPHRASE)).expect("the new root's file");
    hq.reissue_roster().expect("issue");
    team.devices[0].session.import_roster(&hq.roster_bytes().expect("roster"), None).expect("import");
}
