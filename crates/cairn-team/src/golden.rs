//! Golden vectors for the enrollment request and roster formats, committed under `fixtures/`.
//!
//! The request is deterministic (Ed25519 signatures are), so it is re-created from fixed
//! keys and compared byte for byte. A roster holds fresh ephemeral keys and nonces (their own
//! golden vectors are in cairn-crypto), so its test proves instead that this build (1) verifies
//! the committed roster under the fixed root key, (2) decodes every field to the fixed inputs,
//! (3) opens the team key for every fixed member key and every sealed name, (4) re-encodes
//! the decoded fields to exactly the committed bytes, and (5) re-signs them to exactly the
//! committed signature. Regenerate after a deliberate format change (with a version bump)
//! with `CAIRN_UPDATE_FIXTURES=1 cargo test -p cairn-team golden`.

use std::path::PathBuf;

use cairn_crypto::{SignaturePurpose, test_vectors};

use crate::{DeviceId, DeviceKeys, EnrollmentRequest, OrgId, Pin, Role, Roster, RosterDraft, org};

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

fn fixed_device(byte: u8) -> (DeviceKeys, cairn_crypto::SigningSecretKey, cairn_crypto::AgreementSecretKey) {
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
                roster = org::enroll(&roster, &epoch1, &root, &request, &device.0.fingerprint(), role, name)?;
            }
            org::revoke(&roster, &epoch1, &epoch2, &root, revoked.0.device_id, hq.0.device_id)
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
