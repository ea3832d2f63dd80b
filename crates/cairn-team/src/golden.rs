//! Golden vectors for the enrollment request, roster (v1 and v2) and tombstone formats,
//! committed under `fixtures/`.
//!
//! The request is deterministic (Ed25519 signatures are), so it is re-created from fixed
//! keys and compared byte for byte. A roster holds fresh ephemeral keys and nonces (their own
//! golden vectors are in cairn-crypto), so its test proves instead that this build (1) verifies
//! the committed roster under the fixed root key, (2) decodes every field to the fixed inputs,
//! (3) opens the team key for every fixed member key and every sealed name, (4) re-encodes
//! the decoded fields to exactly the committed bytes, and (5) re-signs them to exactly the
//! committed signature. Regenerate after a deliberate format change (with a version bump)
//! with `CAIRN_UPDATE_FIXTURES=1 cargo test -p cairn-team golden`.

use std::{num::NonZeroU16, path::PathBuf};

use cairn_crypto::{SignaturePurpose, test_vectors};

use crate::{
    DeviceId, DeviceKeys, DeviceView, EnrollmentRequest, HandoverPurge, OrgId, Pin, Role, RoleSet, Roster, RosterDraft,
    RosterPolicy, Standing, Validity, accept_roster, org,
};

fn fixture_path(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures").join(name)
}

fn updating() -> bool {
    std::env::var_os("CAIRN_UPDATE_FIXTURES").is_some()
}

fn check_fixture(name: &str, fresh: &[u8]) -> Vec<u8> {
    let path = fixture_path(name);
    if updating() {
        std::fs::write(&path, fresh).expect("write fixture");
    }
    let committed = std::fs::read(&path).unwrap_or_else(|_| panic!("missing fixture {name}"));
    assert_eq!(committed, fresh, "format drift in {name}: bump the format version instead");
    committed
}

const DEVICE_NAME: &str = "단둥 3 Dandong";

/// A device's public keys with its signing and agreement secret keys.
type FixedDevice = (DeviceKeys, cairn_crypto::SigningSecretKey, cairn_crypto::AgreementSecretKey);

fn fixed_device(byte: u8) -> FixedDevice {
    let signing = test_vectors::signing_key([byte; 32]);
    let agreement = test_vectors::agreement_key([byte.wrapping_add(1); 32]);
    let keys =
        DeviceKeys { device_id: DeviceId([byte; 16]), signing: signing.public_key(), agreement: agreement.public_key() };
    (keys, signing, agreement)
}

#[test]
fn golden_enrollment_request_v1() {
    let (keys, signing, _) = fixed_device(0x31);
    let fresh = EnrollmentRequest::create(keys.device_id, &signing, &keys.agreement, DEVICE_NAME).expect("create");
    let committed = check_fixture("enrollment_request_v1.bin", &fresh);
    let request = EnrollmentRequest::parse(&committed).expect("parse");
    assert_eq!(request.keys(), keys);
    assert_eq!(request.requested_name(), DEVICE_NAME);
    let text = check_fixture("enrollment_request_v1.txt", EnrollmentRequest::to_text(&fresh).as_bytes());
    assert_eq!(EnrollmentRequest::from_file_contents(&text).expect("text"), request);
    // The fingerprint is part of the format too: people compare it.
    check_fixture("enrollment_request_v1.fingerprint.txt", keys.fingerprint().to_string().as_bytes());
}

#[test]
fn golden_roster_v1() {
    let root = test_vectors::signing_key([0x0f; 32]);
    let intake = test_vectors::agreement_key([0x1f; 32]).public_key();
    let org_id = OrgId([0x0a; 16]);
    let pin = Pin { org_id, root: root.public_key() };
    let hq = fixed_device(0x40);
    let field = fixed_device(0x50);
    let coordinator = fixed_device(0x60);
    let revoked = fixed_device(0x70);
    let epoch1 = test_vectors::team_key([0x81; 32]);
    let epoch2 = test_vectors::team_key([0x82; 32]);
    let path = fixture_path("roster_v1.bin");
    if updating() {
        let build = || -> Result<Roster, crate::TeamError> {
            let mut roster = org::genesis(org_id, &root, intake, &epoch1, hq.0, "압록강 지원 Yalu support", "HQ")?;
            for (device, role, name) in [
                (&field, Role::Field, "field 1"),
                (&revoked, Role::Field, "lost laptop"),
                (&coordinator, Role::Coordinator, "코디"),
            ] {
                let bytes = EnrollmentRequest::create(device.0.device_id, &device.1, &device.0.agreement, "")?;
                let request = EnrollmentRequest::parse(&bytes)?;
                roster = org::enroll(
                    &roster,
                    &epoch1,
                    &[],
                    &root,
                    &request,
                    &device.0.fingerprint(),
                    role,
                    name,
                    roster.policy().validity,
                )?;
            }
            let validity = roster.policy().validity;
            let roster = org::revoke(&roster, &epoch1, &[], &epoch2, &root, revoked.0.device_id, hq.0.device_id, validity)?;
            // HQ issues v2 now; the v1 fixture is the same roster in the old format.
            RosterDraft::open(&roster, &epoch2)?.seal_and_sign_v1(&epoch2, &root)
        };
        std::fs::write(&path, build().expect("build").to_bytes()).expect("write fixture");
    }
    let committed = std::fs::read(&path).expect("missing fixture roster_v1.bin");
    // (1) and (2)
    let roster = Roster::parse(&committed, Some(&pin)).expect("verify");
    assert_eq!((roster.version(), roster.epoch(), roster.epoch_since()), (5, 2, 5));
    assert_eq!(roster.intake(), intake);
    let members: Vec<(DeviceKeys, Role)> = roster.members().iter().map(|m| (m.keys, m.role)).collect();
    assert_eq!(members, vec![(hq.0, Role::Hq), (field.0, Role::Field), (coordinator.0, Role::Coordinator)]);
    let revocations: Vec<(DeviceKeys, u64)> = roster.revocations().iter().map(|r| (r.keys, r.revoked_at)).collect();
    assert_eq!(revocations, vec![(revoked.0, 5)]);
    // (3)
    for device in [&hq, &field, &coordinator] {
        let key = roster.open_team_key(device.0.device_id, &device.2).expect("open");
        assert!(key.same_key_as(&epoch2));
    }
    assert!(roster.open_team_key(revoked.0.device_id, &revoked.2).is_err());
    let draft = RosterDraft::open(&roster, &epoch2).expect("names");
    assert_eq!(draft.org_name, "압록강 지원 Yalu support");
    let names: Vec<&str> = draft.members.iter().map(|m| m.name.as_str()).collect();
    assert_eq!(names, vec!["HQ", "field 1", "코디"]);
    assert_eq!(draft.revocations[0].name, "lost laptop");
    // (4) and (5)
    let (reencoded, signed_len) = roster.reencode();
    assert_eq!(reencoded, committed, "format drift in roster_v1.bin: bump the format version instead");
    let signature = root.sign(SignaturePurpose::Roster, &committed[..signed_len]);
    assert_eq!(signature.to_bytes().as_slice(), &committed[signed_len..]);
    // A v1 roster reads as v2 without earlier epochs and with the default policy, and a
    // device still imports it.
    assert_eq!(roster.format_version(), 1);
    assert_eq!(*roster.policy(), RosterPolicy::default());
    assert!(roster.earlier_epochs().is_empty());
    let view = DeviceView { keys: field.0, pin: None, current: None, now_ms: 1_750_000_000_000 };
    let accepted = accept_roster(&view, &field.2, &committed, Some(&pin.fingerprint().to_string())).expect("import v1");
    assert_eq!(accepted.standing, Standing::Member(Role::Field));
    assert!(accepted.team_key.expect("member").same_key_as(&epoch2));
    assert!(accepted.earlier_team_keys.is_empty());
}

/// The policy the v2 fixture carries: every field away from its default.
fn golden_policy() -> RosterPolicy {
    let next_root = test_vectors::signing_key([0x0e; 32]).public_key();
    RosterPolicy {
        handover_purge: HandoverPurge::AfterDays(NonZeroU16::new(30).expect("non-zero")),
        identity_readers: RoleSet::of(&[Role::Coordinator, Role::Hq]),
        validity: Validity { not_before_ms: 1_700_000_000_000, not_after_ms: 1_900_000_000_000 },
        next_root: Some(cairn_crypto::next_root_commitment(&next_root)),
    }
}

/// Roster v2: genesis (epoch 1), three enrollments, a revocation (epoch 2), a policy, a late
/// enrollment and a second revocation (epoch 3). The device enrolled last holds only epoch 3
/// from its own stanza and opens epochs 1 and 2 from the roster. Same five proofs as v1.
#[test]
fn golden_roster_v2() {
    let root = test_vectors::signing_key([0x0f; 32]);
    let intake = test_vectors::agreement_key([0x1f; 32]).public_key();
    let org_id = OrgId([0x0a; 16]);
    let pin = Pin { org_id, root: root.public_key() };
    let hq = fixed_device(0x40);
    let field = fixed_device(0x50);
    let coordinator = fixed_device(0x60);
    let revoked = fixed_device(0x70);
    let late = fixed_device(0x80);
    let epochs = [0x81, 0x82, 0x83].map(|byte| test_vectors::team_key([byte; 32]));
    let path = fixture_path("roster_v2.bin");
    if updating() {
        let build = || -> Result<Roster, crate::TeamError> {
            let enroll = |roster: &Roster, key, device: &FixedDevice, role, name| {
                let bytes = EnrollmentRequest::create(device.0.device_id, &device.1, &device.0.agreement, "")?;
                let request = EnrollmentRequest::parse(&bytes)?;
                org::enroll(roster, key, &[], &root, &request, &device.0.fingerprint(), role, name, roster.policy().validity)
            };
            let [epoch1, epoch2, epoch3] = &epochs;
            let mut roster = org::genesis(org_id, &root, intake, epoch1, hq.0, "압록강 지원 Yalu support", "HQ")?;
            roster = enroll(&roster, epoch1, &field, Role::Field, "field 1")?;
            roster = enroll(&roster, epoch1, &revoked, Role::Field, "lost laptop")?;
            roster = enroll(&roster, epoch1, &coordinator, Role::Coordinator, "코디")?;
            roster =
                org::revoke(&roster, epoch1, &[], epoch2, &root, revoked.0.device_id, hq.0.device_id, Validity::ALWAYS)?;
            roster = org::set_policy(&roster, epoch2, &[], &root, golden_policy())?;
            roster = enroll(&roster, epoch2, &late, Role::Field, "늦게 온 late")?;
            org::revoke(
                &roster,
                epoch2,
                &[],
                epoch3,
                &root,
                coordinator.0.device_id,
                hq.0.device_id,
                roster.policy().validity,
            )
        };
        std::fs::write(&path, build().expect("build").to_bytes()).expect("write fixture");
    }
    let committed = std::fs::read(&path).expect("missing fixture roster_v2.bin");
    // (1) and (2)
    let roster = Roster::parse(&committed, Some(&pin)).expect("verify");
    assert_eq!(roster.format_version(), 2);
    assert_eq!((roster.version(), roster.epoch(), roster.epoch_since()), (8, 3, 8));
    assert_eq!(roster.intake(), intake);
    assert_eq!(*roster.policy(), golden_policy());
    let members: Vec<(DeviceKeys, Role)> = roster.members().iter().map(|m| (m.keys, m.role)).collect();
    assert_eq!(members, vec![(hq.0, Role::Hq), (field.0, Role::Field), (late.0, Role::Field)]);
    let revocations: Vec<(DeviceKeys, u64)> = roster.revocations().iter().map(|r| (r.keys, r.revoked_at)).collect();
    assert_eq!(revocations, vec![(coordinator.0, 8), (revoked.0, 5)]);
    let earlier: Vec<u32> = roster.earlier_epochs().iter().map(|e| e.epoch).collect();
    assert_eq!(earlier, vec![1, 2]);
    // (3)
    for device in [&hq, &field, &late] {
        let key = roster.open_team_key(device.0.device_id, &device.2).expect("open");
        assert!(key.same_key_as(&epochs[2]));
    }
    for device in [&revoked, &coordinator] {
        assert!(roster.open_team_key(device.0.device_id, &device.2).is_err());
    }
    let opened = roster.open_earlier_team_keys(&epochs[2]).expect("earlier epochs");
    assert_eq!(opened.len(), 2);
    for ((epoch, key), expected) in opened.iter().zip(&epochs[..2]) {
        assert!(key.same_key_as(expected), "epoch {epoch}");
    }
    // Only the current key opens them: the revoked coordinator held epochs 1 and 2, not 3.
    assert_eq!(roster.open_earlier_team_keys(&epochs[1]).err(), Some(crate::TeamError::EarlierTeamKeyUnreadable));
    let draft = RosterDraft::open(&roster, &epochs[2]).expect("names");
    assert_eq!(draft.org_name, "압록강 지원 Yalu support");
    let names: Vec<&str> = draft.members.iter().map(|m| m.name.as_str()).collect();
    assert_eq!(names, vec!["HQ", "field 1", "늦게 온 late"]);
    let revoked_names: Vec<&str> = draft.revocations.iter().map(|r| r.name.as_str()).collect();
    assert_eq!(revoked_names, vec!["코디", "lost laptop"]);
    // (4) and (5)
    let (reencoded, signed_len) = roster.reencode();
    assert_eq!(reencoded, committed, "format drift in roster_v2.bin: bump the format version instead");
    let signature = root.sign(SignaturePurpose::Roster, &committed[..signed_len]);
    assert_eq!(signature.to_bytes().as_slice(), &committed[signed_len..]);
    // The device enrolled last imports it as its first roster and gets every epoch's key, but
    // only within the validity period.
    let fingerprint = pin.fingerprint().to_string();
    let at = |now_ms| DeviceView { keys: late.0, pin: None, current: None, now_ms };
    let accepted = accept_roster(&at(1_800_000_000_000), &late.2, &committed, Some(&fingerprint)).expect("import");
    let epochs_held: Vec<u32> = accepted.earlier_team_keys.iter().map(|(epoch, _)| *epoch).collect();
    assert_eq!(epochs_held, vec![1, 2]);
    assert!(accepted.earlier_team_keys[0].1.same_key_as(&epochs[0]));
    assert_eq!(
        accept_roster(&at(1_699_999_999_999), &late.2, &committed, Some(&fingerprint)).err(),
        Some(crate::TeamError::RosterNotYetValid)
    );
    assert_eq!(
        accept_roster(&at(1_900_000_000_001), &late.2, &committed, Some(&fingerprint)).err(),
        Some(crate::TeamError::RosterExpired)
    );
}

#[test]
fn golden_tombstone_v1() {
    use crate::{TOMBSTONE_LEN, TeamError, Tombstone};
    let (field, field_signing, _) = fixed_device(0x50);
    let fresh = Tombstone::sign(OrgId([0x0a; 16]), [0xca; 16], field.device_id, &field_signing).to_bytes();
    assert_eq!(fresh.len(), TOMBSTONE_LEN);
    let committed = check_fixture("tombstone_v1.bin", &fresh);
    let root = test_vectors::signing_key([0x0f; 32]);
    let pin = Pin { org_id: OrgId([0x0a; 16]), root: root.public_key() };
    let roster_bytes = std::fs::read(fixture_path("roster_v1.bin")).expect("roster fixture");
    let roster = Roster::parse(&roster_bytes, Some(&pin)).expect("roster");
    let tombstone = Tombstone::from_bytes(&committed).expect("parse");
    assert_eq!((tombstone.case_id(), tombstone.deleted_by()), ([0xca; 16], field.device_id));
    tombstone.verify(&roster).expect("signed by a member");
    // Signed by the revoked device (0x70) or by a stranger: refused.
    let (revoked, revoked_signing, _) = fixed_device(0x70);
    let by_revoked = Tombstone::sign(OrgId([0x0a; 16]), [0xca; 16], revoked.device_id, &revoked_signing);
    assert_eq!(by_revoked.verify(&roster), Err(TeamError::DeviceRevoked));
    let (stranger, stranger_signing, _) = fixed_device(0x99);
    let by_stranger = Tombstone::sign(OrgId([0x0a; 16]), [0xca; 16], stranger.device_id, &stranger_signing);
    assert_eq!(by_stranger.verify(&roster), Err(TeamError::UnknownDevice));
    // A member's id with someone else's signature, another organisation, any flipped byte.
    let forged = Tombstone::sign(OrgId([0x0a; 16]), [0xca; 16], field.device_id, &stranger_signing);
    assert_eq!(forged.verify(&roster), Err(TeamError::BadTombstoneSignature));
    let elsewhere = Tombstone::sign(OrgId([0x0b; 16]), [0xca; 16], field.device_id, &field_signing);
    assert_eq!(elsewhere.verify(&roster), Err(TeamError::WrongOrganisation));
    for index in 0..committed.len() {
        let mut tampered = committed.clone();
        tampered[index] ^= 0x01;
        let outcome = Tombstone::from_bytes(&tampered).and_then(|tombstone| tombstone.verify(&roster));
        assert!(outcome.is_err(), "byte {index}");
    }
    for len in 0..committed.len() {
        assert!(Tombstone::from_bytes(&committed[..len]).is_err(), "truncated to {len}");
    }
    assert!(Tombstone::from_bytes(&[committed.as_slice(), &[0]].concat()).is_err());
}

#[test]
fn golden_receipt_v1() {
    use crate::{Receipt, ReceiptCoverage, TeamError};
    let (hq, hq_signing, _) = fixed_device(0x40);
    let coverage = ReceiptCoverage {
        // Given unsorted: signing normalises.
        documents: vec![([0xd2; 16], vec![[0x22; 32], [0x21; 32]]), ([0xca; 16], vec![[0x11; 32]])],
        attachments: vec![[0xa2; 32], [0xa1; 32]],
    };
    let receipt =
        Receipt::sign(OrgId([0x0a; 16]), [0xca; 16], hq.device_id, 1_700_000_000_000, coverage, &hq_signing).expect("sign");
    let fresh = receipt.to_bytes();
    let committed = check_fixture("receipt_v1.bin", &fresh);
    let root = test_vectors::signing_key([0x0f; 32]);
    let pin = Pin { org_id: OrgId([0x0a; 16]), root: root.public_key() };
    let roster_bytes = std::fs::read(fixture_path("roster_v1.bin")).expect("roster fixture");
    let roster = Roster::parse(&roster_bytes, Some(&pin)).expect("roster");
    let parsed = Receipt::from_bytes(&committed).expect("parse");
    assert_eq!(parsed, receipt);
    parsed.verify(&roster).expect("signed by an HQ member");
    assert_eq!(parsed.coverage().heads_of(&[0xd2; 16]), Some(&[[0x21; 32], [0x22; 32]][..]));
    assert!(parsed.coverage().has_attachment(&[0xa1; 32]) && !parsed.coverage().has_attachment(&[0xa3; 32]));
    let sign_as = |byte: u8, org: u8| {
        let (device, signing, _) = fixed_device(byte);
        Receipt::sign(OrgId([org; 16]), [0xca; 16], device.device_id, 0, ReceiptCoverage::default(), &signing).expect("sign")
    };
    // A field member, the revoked device, a stranger, another organisation: refused.
    assert_eq!(sign_as(0x50, 0x0a).verify(&roster), Err(TeamError::ReceiptNotFromHq));
    assert_eq!(sign_as(0x70, 0x0a).verify(&roster), Err(TeamError::DeviceRevoked));
    assert_eq!(sign_as(0x99, 0x0a).verify(&roster), Err(TeamError::UnknownDevice));
    assert_eq!(sign_as(0x40, 0x0b).verify(&roster), Err(TeamError::WrongOrganisation));
    // HQ's id with another key's signature.
    let (_, stranger_signing, _) = fixed_device(0x99);
    let forged =
        Receipt::sign(OrgId([0x0a; 16]), [0xca; 16], hq.device_id, 0, ReceiptCoverage::default(), &stranger_signing)
            .expect("sign");
    assert_eq!(forged.verify(&roster), Err(TeamError::BadReceiptSignature));
    for index in 0..committed.len() {
        let mut tampered = committed.clone();
        tampered[index] ^= 0x01;
        let outcome = Receipt::from_bytes(&tampered).and_then(|receipt| receipt.verify(&roster));
        assert!(outcome.is_err(), "byte {index}");
    }
    for len in 0..committed.len() {
        assert!(Receipt::from_bytes(&committed[..len]).is_err(), "truncated to {len}");
    }
    assert!(Receipt::from_bytes(&[committed.as_slice(), &[0]].concat()).is_err());
}
