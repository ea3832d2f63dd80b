//! Whole-team scenarios over plain values: an HQ and devices that hold their state in memory
//! and apply a roster only if every rule passes (as the vault does in one transaction).

use cairn_crypto::{AgreementSecretKey, CaseKey, SIGNATURE_LEN, SigningSecretKey, TeamCaseKeyContext, TeamKey};

use crate::{
    DeviceId, DeviceKeys, DeviceView, EnrollmentRequest, OrgId, Pin, Role, Roster, RosterDraft, Standing, TeamError,
    Validity, accept_roster, org,
};

/// The validity period of `roster`, to issue the next one with the same.
fn keep(roster: &Roster) -> Validity {
    roster.policy().validity
}

/// The devices' clock in these tests (any time: the rosters here have no validity period).
const NOW_MS: u64 = 1_750_000_000_000;

struct Hq {
    root: SigningSecretKey,
    device: DeviceKeys,
    team_key: TeamKey,
    /// The keys of the epochs before the current one, as HQ's vault keeps them.
    earlier: Vec<(u32, TeamKey)>,
    roster: Roster,
}

impl Hq {
    fn new(org_byte: u8) -> Hq {
        let root = SigningSecretKey::generate();
        let device_agreement = AgreementSecretKey::generate();
        let device = DeviceKeys {
            device_id: DeviceId(cairn_crypto::random_id()),
            signing: SigningSecretKey::generate().public_key(),
            agreement: device_agreement.public_key(),
        };
        let team_key = TeamKey::generate();
        let intake = AgreementSecretKey::generate().public_key();
        let roster =
            org::genesis(OrgId([org_byte; 16]), &root, intake, &team_key, device, "HQ Seoul", "HQ").expect("genesis");
        Hq { root, device, team_key, earlier: Vec::new(), roster }
    }

    fn held(&self) -> Vec<(u32, &TeamKey)> {
        self.earlier.iter().map(|(epoch, key)| (*epoch, key)).collect()
    }

    fn enroll(&mut self, device: &Device, role: Role) -> Result<&Roster, TeamError> {
        let request = EnrollmentRequest::parse(&device.request()).expect("request");
        let confirmed = device.keys.fingerprint();
        let held = self.held();
        self.roster = org::enroll(
            &self.roster,
            &self.team_key,
            &held,
            &self.root,
            &request,
            &confirmed,
            role,
            &device.name,
            keep(&self.roster),
        )?;
        Ok(&self.roster)
    }

    fn revoke(&mut self, device_id: DeviceId) -> Result<&Roster, TeamError> {
        let new_key = TeamKey::generate();
        let held = self.held();
        let validity = keep(&self.roster);
        let next = org::revoke(
            &self.roster,
            &self.team_key,
            &held,
            &new_key,
            &self.root,
            device_id,
            self.device.device_id,
            validity,
        )?;
        let old = std::mem::replace(&mut self.team_key, new_key);
        self.earlier.push((self.roster.epoch(), old));
        self.roster = next;
        Ok(&self.roster)
    }

    /// Re-signs the current roster (same version) in the old v1 format, as HQ did before v2.
    fn reissue_as_v1(&mut self) {
        let draft = RosterDraft::open(&self.roster, &self.team_key).expect("open");
        self.roster = draft.seal_and_sign_v1(&self.team_key, &self.root).expect("sign v1");
    }

    fn fingerprint(&self) -> String {
        self.roster.pin().fingerprint().to_string()
    }

    fn bytes(&self) -> Vec<u8> {
        self.roster.to_bytes().to_vec()
    }
}

struct Device {
    name: String,
    keys: DeviceKeys,
    signing: SigningSecretKey,
    agreement: AgreementSecretKey,
    pin: Option<Pin>,
    roster: Option<Roster>,
    team_keys: Vec<(u32, TeamKey)>,
    standing: Option<Standing>,
}

impl Device {
    fn new(name: &str) -> Device {
        let signing = SigningSecretKey::generate();
        let agreement = AgreementSecretKey::generate();
        let keys = DeviceKeys {
            device_id: DeviceId(cairn_crypto::random_id()),
            signing: signing.public_key(),
            agreement: agreement.public_key(),
        };
        Device { name: name.into(), keys, signing, agreement, pin: None, roster: None, team_keys: vec![], standing: None }
    }

    fn request(&self) -> Vec<u8> {
        EnrollmentRequest::create(self.keys.device_id, &self.signing, &self.keys.agreement, &self.name).expect("request")
    }

    /// Applies a roster all-or-nothing, as the vault's transaction does.
    fn import(&mut self, bytes: &[u8], confirmed: Option<&str>) -> Result<Standing, TeamError> {
        self.import_at(bytes, confirmed, NOW_MS)
    }

    /// [`Device::import`] with the device's clock at `now_ms`.
    fn import_at(&mut self, bytes: &[u8], confirmed: Option<&str>, now_ms: u64) -> Result<Standing, TeamError> {
        let view = DeviceView { keys: self.keys, pin: self.pin, current: self.roster.as_ref(), now_ms };
        let accepted = accept_roster(&view, &self.agreement, bytes, confirmed)?;
        let epoch = accepted.roster.epoch();
        accepted.check_held_keys(|epoch| self.team_key(epoch))?;
        self.pin = Some(accepted.pin);
        self.standing = Some(accepted.standing);
        if let Some(key) = accepted.team_key
            && self.team_key(epoch).is_none()
        {
            self.team_keys.push((epoch, key));
        }
        for (earlier, key) in accepted.earlier_team_keys {
            if self.team_key(earlier).is_none() {
                self.team_keys.push((earlier, key));
            }
        }
        self.team_keys.sort_by_key(|(epoch, _)| *epoch);
        self.roster = Some(accepted.roster);
        Ok(accepted.standing)
    }

    fn team_key(&self, epoch: u32) -> Option<&TeamKey> {
        self.team_keys.iter().find(|(e, _)| *e == epoch).map(|(_, key)| key)
    }

    fn epochs(&self) -> Vec<u32> {
        self.team_keys.iter().map(|(e, _)| *e).collect()
    }

    /// Everything the device holds, to prove a refused import changed nothing.
    fn snapshot(&self) -> (Option<Pin>, Option<Vec<u8>>, Vec<u32>, Option<Standing>) {
        (self.pin, self.roster.as_ref().map(|r| r.to_bytes().to_vec()), self.epochs(), self.standing)
    }
}

/// An HQ with `count` enrolled devices, each of which imported the roster that enrolled it.
fn team(count: usize) -> (Hq, Vec<Device>) {
    let mut hq = Hq::new(0x0a);
    let mut devices = Vec::with_capacity(count);
    for i in 0..count {
        let mut device = Device::new(&format!("field {i}"));
        hq.enroll(&device, if i % 10 == 0 { Role::Coordinator } else { Role::Field }).expect("enroll");
        let standing = device.import(&hq.bytes(), Some(&hq.fingerprint())).expect("first import");
        assert!(matches!(standing, Standing::Member(_)));
        devices.push(device);
    }
    (hq, devices)
}

/// Asserts `outcome` is `expected` and the device's state did not move.
fn assert_refused(device: &mut Device, bytes: &[u8], confirmed: Option<&str>, expected: TeamError) {
    let before = device.snapshot();
    assert_eq!(device.import(bytes, confirmed), Err(expected.clone()), "expected {expected:?}");
    assert_eq!(device.snapshot(), before, "a refused roster ({expected:?}) changed the device");
}

#[test]
fn a_roster_with_a_bad_signature_is_refused_and_the_current_roster_is_unchanged() {
    let (mut hq, mut devices) = team(2);
    hq.enroll(&Device::new("third"), Role::Field).expect("enroll");
    let good = hq.bytes();
    let device = &mut devices[0];
    // A flipped bit in the signature itself, and in a sealed name inside the signed body.
    let mut bad_signature = good.clone();
    let last = bad_signature.len() - 1;
    bad_signature[last] ^= 0x01;
    assert_refused(device, &bad_signature, None, TeamError::BadRosterSignature);
    let mut altered_body = good.clone();
    altered_body[150] ^= 0x01;
    assert_refused(device, &altered_body, None, TeamError::BadRosterSignature);
    // A roster re-signed by someone else's key, claiming this organisation's root.
    let mut resigned = good.clone();
    let body_len = resigned.len() - SIGNATURE_LEN;
    let forger = SigningSecretKey::generate();
    let signature = forger.sign(cairn_crypto::SignaturePurpose::Roster, &resigned[..body_len]);
    resigned[body_len..].copy_from_slice(&signature.to_bytes());
    assert_refused(device, &resigned, None, TeamError::BadRosterSignature);
    // The genuine one still imports.
    assert!(device.import(&good, None).is_ok());
}

#[test]
fn a_roster_from_another_organisation_is_refused() {
    let (_hq, mut devices) = team(1);
    let device = &mut devices[0];
    // Another organisation enrolls a copy of the device's request and issues a newer roster.
    let mut other = Hq::new(0x0b);
    for _ in 0..5 {
        other.enroll(&Device::new("filler"), Role::Field).expect("enroll");
    }
    let request = EnrollmentRequest::parse(&device.request()).expect("request");
    other.roster = org::enroll(
        &other.roster,
        &other.team_key,
        &[],
        &other.root,
        &request,
        &device.keys.fingerprint(),
        Role::Field,
        "x",
        Validity::ALWAYS,
    )
    .expect("enroll");
    assert_refused(device, &other.bytes(), None, TeamError::WrongOrganisation);
    // Even claiming this organisation's id, a roster under another root key is refused.
    let mut impostor = Hq::new(0x0a);
    impostor.roster = org::enroll(
        &impostor.roster,
        &impostor.team_key,
        &[],
        &impostor.root,
        &request,
        &device.keys.fingerprint(),
        Role::Field,
        "x",
        Validity::ALWAYS,
    )
    .expect("enroll");
    assert_eq!(impostor.roster.org_id(), device.pin.expect("pinned").org_id);
    // (Refused as a root key the roster held never committed to: only a committed one may
    // take over the organisation's id.)
    assert_refused(device, &impostor.bytes(), None, TeamError::UncommittedRoot);
}

#[test]
fn a_replayed_or_stale_roster_is_refused() {
    let (mut hq, mut devices) = team(2);
    let old = hq.bytes();
    hq.enroll(&Device::new("third"), Role::Field).expect("enroll");
    let newer = hq.bytes();
    let device = &mut devices[0];
    device.import(&newer, None).expect("import");
    assert_refused(device, &newer, None, TeamError::Replay);
    assert_refused(device, &old, None, TeamError::Replay);
    // The very first roster, which did not even list the device yet, is also just stale.
    let (mut fresh_hq, _) = team(0);
    let genesis = fresh_hq.bytes();
    let mut late = Device::new("late");
    fresh_hq.enroll(&late, Role::Field).expect("enroll");
    late.import(&fresh_hq.bytes(), Some(&fresh_hq.fingerprint())).expect("import");
    assert_refused(&mut late, &genesis, None, TeamError::Replay);
}

#[test]
fn a_truncated_roster_is_refused() {
    let (mut hq, mut devices) = team(3);
    hq.enroll(&Device::new("fourth"), Role::Field).expect("enroll");
    let good = hq.bytes();
    let device = &mut devices[1];
    for len in [0, 1, 2, 100, 210, 211, 500, good.len() - SIGNATURE_LEN, good.len() - 1] {
        assert_refused(device, &good[..len], None, TeamError::Truncated { what: "roster" });
    }
    let mut padded = good.clone();
    padded.extend_from_slice(&[0; 7]);
    assert_refused(device, &padded, None, TeamError::Malformed { what: "roster" });
    assert_refused(device, b"CAIRN-ENROLL1:AAAA", None, TeamError::UnsupportedVersion { what: "roster", version: b'C' });
    assert_refused(device, &devices_request_bytes(), None, TeamError::WrongKind { expected: "a roster" });
}

fn devices_request_bytes() -> Vec<u8> {
    Device::new("x").request()
}

#[test]
fn the_first_import_needs_the_organisation_fingerprint_confirmed() {
    let mut hq = Hq::new(0x0a);
    let mut device = Device::new("new");
    hq.enroll(&device, Role::Field).expect("enroll");
    let bytes = hq.bytes();
    assert_refused(&mut device, &bytes, None, TeamError::FingerprintRequired);
    assert_refused(&mut device, &bytes, Some("12345"), TeamError::MalformedFingerprint);
    let other = Hq::new(0x0b).fingerprint();
    assert_refused(&mut device, &bytes, Some(&other), TeamError::FingerprintMismatch);
    assert_eq!(crate::preview_fingerprint(&bytes).expect("preview").to_string(), hq.fingerprint());
    device.import(&bytes, Some(&hq.fingerprint().replace(' ', ""))).expect("import");
    assert_eq!(device.pin, Some(hq.roster.pin()));
    // Later imports may re-check the pinned fingerprint, and a wrong one is refused.
    hq.enroll(&Device::new("another"), Role::Field).expect("enroll");
    assert_refused(&mut device, &hq.bytes(), Some(&other), TeamError::FingerprintMismatch);
    device.import(&hq.bytes(), Some(&hq.fingerprint())).expect("import");
}

#[test]
fn a_device_not_on_the_roster_or_listed_with_other_keys_is_refused() {
    let (mut hq, _) = team(2);
    let mut stranger = Device::new("stranger");
    assert_refused(&mut stranger, &hq.bytes(), Some(&hq.fingerprint()), TeamError::NotOnRoster);
    // HQ enrolls an impostor's keys under the victim's device id (say the operator skipped
    // the fingerprint check on a swapped request): the victim refuses that roster.
    let mut victim = Device::new("victim");
    let mut impostor = Device::new("impostor");
    impostor.keys.device_id = victim.keys.device_id;
    hq.enroll(&impostor, Role::Field).expect("enroll");
    assert_refused(&mut victim, &hq.bytes(), Some(&hq.fingerprint()), TeamError::KeyMismatch);
}

#[test]
fn hq_refuses_bad_enrollments_and_revocations() {
    let (mut hq, devices) = team(3);
    let newcomer = Device::new("newcomer");
    let request = EnrollmentRequest::parse(&newcomer.request()).expect("request");
    let wrong = devices[0].keys.fingerprint();
    assert_eq!(
        org::enroll(&hq.roster, &hq.team_key, &[], &hq.root, &request, &wrong, Role::Field, "n", Validity::ALWAYS).err(),
        Some(TeamError::FingerprintMismatch)
    );
    assert_eq!(hq.enroll(&devices[1], Role::Field).err(), Some(TeamError::AlreadyEnrolled));
    assert_eq!(
        org::enroll(
            &hq.roster,
            &hq.team_key,
            &[],
            &hq.root,
            &request,
            &newcomer.keys.fingerprint(),
            Role::Field,
            "bad\u{7}",
            Validity::ALWAYS,
        )
        .err(),
        Some(TeamError::InvalidName)
    );
    let hq_id = hq.device.device_id;
    assert_eq!(hq.revoke(hq_id).err(), Some(TeamError::CannotRevokeSelf));
    assert_eq!(hq.revoke(newcomer.keys.device_id).err(), Some(TeamError::UnknownDevice));
    hq.revoke(devices[2].keys.device_id).expect("revoke");
    assert_eq!(hq.revoke(devices[2].keys.device_id).err(), Some(TeamError::AlreadyRevoked));
    assert_eq!(hq.enroll(&devices[2], Role::Field).err(), Some(TeamError::DeviceRevoked));
    // A captured device asking again under a new id, with its own (revoked) keys.
    let captured = &devices[2];
    let bytes =
        EnrollmentRequest::create(DeviceId([0x77; 16]), &captured.signing, &captured.keys.agreement, "").expect("request");
    let request = EnrollmentRequest::parse(&bytes).expect("request");
    assert_eq!(
        org::enroll(
            &hq.roster,
            &hq.team_key,
            &[],
            &hq.root,
            &request,
            &request.keys().fingerprint(),
            Role::Field,
            "n",
            Validity::ALWAYS
        )
        .err(),
        Some(TeamError::DeviceRevoked)
    );
    assert_eq!(
        org::revoke(
            &hq.roster,
            &hq.team_key,
            &[],
            &hq.team_key,
            &hq.root,
            devices[0].keys.device_id,
            hq_id,
            Validity::ALWAYS
        )
        .err(),
        Some(TeamError::Inconsistent { what: "the team key did not change" })
    );
}

#[test]
fn a_revoked_device_cannot_open_the_new_team_key_epoch() {
    let (mut hq, mut devices) = team(4);
    let epoch1 = hq.roster.epoch();
    let revoked_id = devices[2].keys.device_id;
    hq.revoke(revoked_id).expect("revoke");
    let roster = hq.bytes();
    assert_eq!(hq.roster.epoch(), epoch1 + 1);
    assert_eq!(hq.roster.epoch_since(), hq.roster.version());
    assert!(hq.roster.member(revoked_id).is_none());
    assert_eq!(hq.roster.revocation(revoked_id).map(|r| r.revoked_at), Some(hq.roster.version()));
    // HQ shares a case key under the new epoch.
    let context = TeamCaseKeyContext { org_id: hq.roster.org_id().0, case_id: [0xca; 16], key_version: 1 };
    let case_key = CaseKey::generate();
    let shared = hq.team_key.wrap_case_key(hq.roster.epoch(), &context, &case_key);
    let record_context = cairn_crypto::RecordContext { case_id: [0xca; 16], doc_id: [1; 16], chunk_id: 0, key_version: 1 };
    let record = cairn_crypto::seal_record(&case_key, &record_context, b"testimony").expect("seal");
    for (i, device) in devices.iter_mut().enumerate() {
        let standing = device.import(&roster, None).expect("every device accepts the authentic roster");
        if i == 2 {
            assert_eq!(standing, Standing::Revoked { at: hq.roster.version() });
            assert_eq!(device.epochs(), vec![epoch1], "the revoked device gets no new epoch");
            // No stanza in the new roster opens with its key…
            for member in hq.roster.members() {
                assert!(hq.roster.open_team_key(member.keys.device_id, &device.agreement).is_err());
            }
            // …and the key it kept does not open what was shared under the new epoch.
            let old = device.team_key(epoch1).expect("epoch 1");
            assert!(old.unwrap_case_key(epoch1 + 1, &context, &shared).is_err());
            assert!(hq.roster.device_name(device.keys.device_id, old).is_err(), "new names are sealed from it too");
        } else {
            assert!(matches!(standing, Standing::Member(_)));
            assert_eq!(device.epochs(), vec![epoch1, epoch1 + 1]);
            let key = device.team_key(epoch1 + 1).expect("new epoch");
            assert!(key.same_key_as(&hq.team_key));
            let opened = key.unwrap_case_key(epoch1 + 1, &context, &shared).expect("unwrap");
            assert_eq!(&*cairn_crypto::open_record(&opened, &record_context, &record).expect("open"), b"testimony");
        }
    }
}

#[test]
fn fifty_devices_enrolled_one_revoked_every_remaining_device_imports_the_new_roster() {
    let (mut hq, mut devices) = team(50);
    assert_eq!(hq.roster.members().len(), 51);
    assert_eq!(hq.roster.version(), 51);
    let latest = hq.bytes();
    for device in devices.iter_mut() {
        // Devices enrolled early catch up from their first roster to the latest one.
        if device.roster.as_ref().map(Roster::version) != Some(51) {
            device.import(&latest, None).expect("catch up");
        }
    }
    let revoked = devices[17].keys.device_id;
    hq.revoke(revoked).expect("revoke");
    let after = hq.bytes();
    assert_eq!(hq.roster.members().len(), 50);
    assert_eq!(hq.roster.epoch(), 2);
    let mut imported = 0;
    for device in devices.iter_mut() {
        let standing = device.import(&after, None).expect("import");
        if device.keys.device_id == revoked {
            assert!(matches!(standing, Standing::Revoked { .. }));
            assert!(device.team_key(2).is_none());
        } else {
            assert!(device.team_key(2).expect("epoch 2").same_key_as(&hq.team_key));
            assert_eq!(device.roster.as_ref().map(Roster::version), Some(52));
            imported += 1;
        }
    }
    assert_eq!(imported, 49);
    // Names stay readable to members (under the new epoch) and not to the revoked device.
    let name = hq.roster.device_name(devices[3].keys.device_id, devices[3].team_key(2).expect("key")).expect("name");
    assert_eq!(name, "field 3");
}

#[test]
fn a_roster_that_breaks_succession_is_refused_even_if_signed() {
    let (mut hq, mut devices) = team(3);
    hq.revoke(devices[0].keys.device_id).expect("revoke");
    for device in devices.iter_mut() {
        device.import(&hq.bytes(), None).expect("import");
    }
    let reissue = |hq: &Hq, edit: &dyn Fn(&mut RosterDraft)| -> Vec<u8> {
        let mut draft = RosterDraft::open(&hq.roster, &hq.team_key).expect("open");
        draft.version += 1;
        edit(&mut draft);
        let earlier = hq.roster.open_earlier_team_keys(&hq.team_key).expect("earlier");
        let earlier: Vec<(u32, &TeamKey)> = earlier.iter().map(|(epoch, key)| (*epoch, key)).collect();
        draft.seal_and_sign(&hq.team_key, &earlier, &hq.root).expect("sign").to_bytes().to_vec()
    };
    let dropped_id = devices[2].keys.device_id;
    let device = &mut devices[1];
    // A revocation silently dropped (the revoked device quietly back as a member).
    let readmitted = reissue(&hq, &|draft| {
        let revoked = draft.revocations.remove(0);
        draft.members.push(crate::DraftMember { keys: revoked.keys, role: Role::Field, name: revoked.name });
    });
    assert_refused(device, &readmitted, None, TeamError::Inconsistent { what: "a revocation was dropped" });
    // A member silently removed.
    let vanished = reissue(&hq, &|draft| draft.members.retain(|m| m.keys.device_id != dropped_id));
    assert_refused(device, &vanished, None, TeamError::Inconsistent { what: "a device vanished or changed keys" });
    // A revocation without rotating the team key.
    let unrotated = reissue(&hq, &|draft| {
        draft.epoch_since = draft.version;
        let position = draft.members.iter().position(|m| m.keys.device_id == dropped_id).expect("member");
        let member = draft.members.remove(position);
        draft.revocations.push(crate::DraftRevocation { keys: member.keys, revoked_at: draft.version, name: member.name });
    });
    assert_refused(device, &unrotated, None, TeamError::Inconsistent { what: "a revocation without a new team key" });
    // The same epoch number with a different key.
    let mut forked = RosterDraft::open(&hq.roster, &hq.team_key).expect("open");
    forked.version += 1;
    let forked = forked.seal_and_sign(&TeamKey::generate(), &[], &hq.root).expect("sign");
    assert_refused(device, forked.to_bytes(), None, TeamError::EpochConflict);
    // And after all those refusals, the genuine next roster still imports.
    hq.enroll(&Device::new("late"), Role::Field).expect("enroll");
    device.import(&hq.bytes(), None).expect("import");
}

mod hostile_input {
    use proptest::prelude::*;

    use super::*;

    fn sample_roster() -> (Vec<u8>, Pin) {
        let (mut hq, devices) = team(2);
        hq.revoke(devices[0].keys.device_id).expect("revoke");
        (hq.bytes(), hq.roster.pin())
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        #[test]
        fn random_bytes_never_panic_the_decoders(bytes in proptest::collection::vec(any::<u8>(), 0..2048)) {
            let _ = Roster::decode(&bytes);
            let _ = EnrollmentRequest::parse(&bytes);
            let _ = EnrollmentRequest::from_file_contents(&bytes);
            let _ = crate::preview_fingerprint(&bytes);
        }

        #[test]
        fn mutated_rosters_are_refused_without_panicking(
            edits in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..8),
            cut in any::<prop::sample::Index>(),
            truncate in any::<bool>(),
        ) {
            let (mut bytes, pin) = sample_roster();
            let original = bytes.clone();
            for (index, value) in edits {
                let at = index.index(bytes.len());
                bytes[at] = value;
            }
            if truncate {
                bytes.truncate(cut.index(bytes.len()));
            }
            prop_assume!(bytes != original);
            prop_assert!(Roster::parse(&bytes, Some(&pin)).is_err());
        }
    }
}

#[test]
fn a_device_enrolled_after_two_revocations_opens_every_earlier_epoch() {
    let (mut hq, mut devices) = team(3);
    // A case key shared under epoch 1, before anything was revoked.
    let context = TeamCaseKeyContext { org_id: hq.roster.org_id().0, case_id: [0xca; 16], key_version: 1 };
    let case_key = CaseKey::generate();
    let shared_in_epoch1 = hq.team_key.wrap_case_key(1, &context, &case_key);
    let record_context = cairn_crypto::RecordContext { case_id: [0xca; 16], doc_id: [1; 16], chunk_id: 0, key_version: 1 };
    let first_change = cairn_crypto::seal_record(&case_key, &record_context, "첫 기록 first".as_bytes()).expect("seal");
    hq.revoke(devices[1].keys.device_id).expect("revoke");
    hq.revoke(devices[2].keys.device_id).expect("revoke");
    assert_eq!(hq.roster.epoch(), 3);
    let earlier: Vec<u32> = hq.roster.earlier_epochs().iter().map(|e| e.epoch).collect();
    assert_eq!(earlier, vec![1, 2]);
    let mut late = Device::new("late");
    hq.enroll(&late, Role::Field).expect("enroll");
    assert_eq!(hq.roster.earlier_epochs().len(), 2, "an enrollment carries the earlier epochs over");
    late.import(&hq.bytes(), Some(&hq.fingerprint())).expect("first import");
    assert_eq!(late.epochs(), vec![1, 2, 3]);
    let opened = late.team_key(1).expect("epoch 1").unwrap_case_key(1, &context, &shared_in_epoch1).expect("unwrap");
    assert_eq!(
        &*cairn_crypto::open_record(&opened, &record_context, &first_change).expect("open"),
        "첫 기록 first".as_bytes()
    );
    // A member that skipped the intermediate roster learns epoch 2 from the latest one.
    devices[0].import(&hq.bytes(), None).expect("catch up");
    assert_eq!(devices[0].epochs(), vec![1, 2, 3]);
    // The revoked devices keep only what they had.
    for revoked in [1, 2] {
        let standing = devices[revoked].import(&hq.bytes(), None).expect("import");
        assert!(matches!(standing, Standing::Revoked { .. }));
        assert_eq!(devices[revoked].epochs(), vec![1]);
        let old = devices[revoked].team_key(1).expect("epoch 1");
        assert_eq!(hq.roster.open_earlier_team_keys(old).err(), Some(TeamError::EarlierTeamKeyUnreadable));
    }
}

#[test]
fn a_team_on_v1_rosters_moves_to_v2_with_the_epochs_only_hq_held() {
    let mut hq = Hq::new(0x0a);
    let mut devices: Vec<Device> = ["a", "b", "c"].iter().map(|name| Device::new(name)).collect();
    for device in &mut devices {
        hq.enroll(device, Role::Field).expect("enroll");
        hq.reissue_as_v1();
        device.import(&hq.bytes(), Some(&hq.fingerprint())).expect("import v1");
    }
    // Two revocations issued as v1: no roster carries epochs 1 or 2 any more.
    for revoked in [1, 2] {
        hq.revoke(devices[revoked].keys.device_id).expect("revoke");
        hq.reissue_as_v1();
        devices[0].import(&hq.bytes(), None).expect("import v1");
    }
    assert_eq!((hq.roster.format_version(), hq.roster.epoch()), (1, 3));
    assert!(hq.roster.earlier_epochs().is_empty());
    assert_eq!(devices[0].epochs(), vec![1, 2, 3]);
    let v1 = hq.bytes();
    // HQ's next roster is v2 and carries the epochs from HQ's own keys.
    let mut late = Device::new("late");
    hq.enroll(&late, Role::Field).expect("enroll");
    assert_eq!(hq.roster.format_version(), 2);
    late.import(&hq.bytes(), Some(&hq.fingerprint())).expect("import v2");
    assert_eq!(late.epochs(), vec![1, 2, 3]);
    devices[0].import(&hq.bytes(), None).expect("the v1 device imports v2");
    // Once on v2, a v1 roster (even a newer, genuinely signed one) is refused.
    let mut draft = RosterDraft::open(&hq.roster, &hq.team_key).expect("open");
    draft.version += 1;
    let back = draft.seal_and_sign_v1(&hq.team_key, &hq.root).expect("sign v1");
    assert_refused(&mut devices[0], back.to_bytes(), None, TeamError::Inconsistent { what: "the roster format went back" });
    assert_refused(&mut devices[0], &v1, None, TeamError::Replay);
}

#[test]
fn a_different_key_for_an_earlier_epoch_is_refused_by_hq_and_by_devices() {
    let (mut hq, mut devices) = team(2);
    hq.revoke(devices[1].keys.device_id).expect("revoke");
    let impostor = TeamKey::generate();
    // HQ holding a different epoch 1 key than its roster carries: refused, not merged.
    let request = EnrollmentRequest::parse(&Device::new("n").request()).expect("request");
    let confirmed = request.keys().fingerprint();
    assert_eq!(
        org::enroll(
            &hq.roster,
            &hq.team_key,
            &[(1, &impostor)],
            &hq.root,
            &request,
            &confirmed,
            Role::Field,
            "n",
            Validity::ALWAYS
        )
        .err(),
        Some(TeamError::EpochConflict)
    );
    // A signed roster whose epoch 1 key differs from the one a device holds.
    let mut draft = RosterDraft::open(&hq.roster, &hq.team_key).expect("open");
    draft.version += 1;
    let forged = draft.seal_and_sign(&hq.team_key, &[(1, &impostor)], &hq.root).expect("sign");
    assert_refused(&mut devices[0], forged.to_bytes(), None, TeamError::EpochConflict);
    devices[0].import(&hq.bytes(), None).expect("the genuine roster still imports");
}

#[test]
fn policy_travels_in_the_roster_and_a_next_root_commitment_once_set_is_kept() {
    use cairn_crypto::next_root_commitment;

    use crate::{HandoverPurge, RoleSet, RosterPolicy};

    let (mut hq, mut devices) = team(1);
    let commitment = next_root_commitment(&SigningSecretKey::generate().public_key());
    let policy = RosterPolicy {
        handover_purge: HandoverPurge::AfterDays(std::num::NonZeroU16::new(14).expect("non-zero")),
        identity_readers: RoleSet::of(&[Role::Coordinator, Role::Hq]),
        validity: Validity { not_before_ms: NOW_MS - 1_000, not_after_ms: NOW_MS + 1_000 },
        next_root: Some(commitment),
    };
    hq.roster = org::set_policy(&hq.roster, &hq.team_key, &[], &hq.root, policy).expect("set");
    devices[0].import(&hq.bytes(), None).expect("import");
    assert_eq!(*devices[0].roster.as_ref().expect("roster").policy(), policy);
    // HQ keeps the commitment through enrollments and revocations.
    hq.enroll(&Device::new("late"), Role::Field).expect("enroll");
    assert_eq!(hq.roster.policy().next_root, Some(commitment));
    // HQ refuses to change it, and a device refuses a roster that changes or drops it.
    let other = next_root_commitment(&SigningSecretKey::generate().public_key());
    let changed = RosterPolicy { next_root: Some(other), ..policy };
    assert_eq!(
        org::set_policy(&hq.roster, &hq.team_key, &[], &hq.root, changed).err(),
        Some(TeamError::Inconsistent { what: "the next root key commitment changed" })
    );
    for next_root in [Some(other), None] {
        let mut draft = RosterDraft::open(&hq.roster, &hq.team_key).expect("open");
        draft.version += 1;
        draft.policy.next_root = next_root;
        let bytes = draft.seal_and_sign(&hq.team_key, &[], &hq.root).expect("sign").to_bytes().to_vec();
        assert_refused(
            &mut devices[0],
            &bytes,
            None,
            TeamError::Inconsistent { what: "the next root key commitment changed" },
        );
    }
    // Outside its validity period a roster is refused, and nothing changes.
    let before = devices[0].snapshot();
    assert_eq!(devices[0].import_at(&hq.bytes(), None, NOW_MS + 1_001), Err(TeamError::RosterExpired));
    assert_eq!(devices[0].import_at(&hq.bytes(), None, NOW_MS - 1_001), Err(TeamError::RosterNotYetValid));
    assert_eq!(devices[0].snapshot(), before);
    devices[0].import(&hq.bytes(), None).expect("on time");
    // Other policy fields may change freely.
    let stricter = RosterPolicy { handover_purge: HandoverPurge::Immediately, ..policy };
    hq.roster = org::set_policy(&hq.roster, &hq.team_key, &[], &hq.root, stricter).expect("set");
    devices[0].import(&hq.bytes(), None).expect("import");
    assert_eq!(devices[0].roster.as_ref().expect("roster").policy().handover_purge, HandoverPurge::Immediately);
}

#[test]
fn hq_issues_each_roster_with_the_period_it_chooses_and_reissues_one_to_renew_it() {
    let days = std::num::NonZeroU16::new(30).expect("non-zero");
    let (mut hq, mut devices) = team(2);
    // An enrollment issues the roster with the period given, not the current one.
    let newcomer = Device::new("newcomer");
    let request = EnrollmentRequest::parse(&newcomer.request()).expect("request");
    let period = Validity::for_days(NOW_MS, days);
    let held = hq.held();
    let confirmed = newcomer.keys.fingerprint();
    hq.roster = org::enroll(&hq.roster, &hq.team_key, &held, &hq.root, &request, &confirmed, Role::Field, "n", period)
        .expect("enroll");
    assert_eq!(hq.roster.policy().validity, period);
    devices[0].import(&hq.bytes(), None).expect("valid now");
    // Thirty-one days later the device still holds it (a held roster is never dropped), but
    // would not accept it anew.
    let later = NOW_MS + 31 * Validity::DAY_MS;
    assert_eq!(devices[1].import_at(&hq.bytes(), None, later), Err(TeamError::RosterExpired));
    // HQ renews: the same members and policy, the next version, a period from the new issue.
    let renewed = Validity::for_days(later, days);
    let policy = crate::RosterPolicy { validity: renewed, ..*hq.roster.policy() };
    let before = hq.roster.members().len();
    hq.roster = org::set_policy(&hq.roster, &hq.team_key, &[], &hq.root, policy).expect("reissue");
    assert_eq!(hq.roster.members().len(), before);
    assert_eq!(devices[0].import_at(&hq.bytes(), None, later), Ok(Standing::Member(Role::Coordinator)));
    // A revocation issues its roster with the period given too.
    let revoked = devices[1].keys.device_id;
    let new_key = TeamKey::generate();
    let held = hq.held();
    let unbounded =
        org::revoke(&hq.roster, &hq.team_key, &held, &new_key, &hq.root, revoked, hq.device.device_id, Validity::ALWAYS)
            .expect("revoke");
    assert_eq!(unbounded.policy().validity, Validity::ALWAYS);
}

#[test]
fn the_committed_next_root_takes_over_and_the_old_root_signs_nothing_any_more() {
    use cairn_crypto::next_root_commitment;

    let (mut hq, mut devices) = team(2);
    let old_fingerprint = hq.fingerprint();
    let next = SigningSecretKey::generate();
    let following = SigningSecretKey::generate();
    // Without a commitment nothing can take over.
    assert_eq!(
        org::rotate_root(&hq.roster, &hq.team_key, &[], &next, &following.public_key(), Validity::ALWAYS).err(),
        Some(TeamError::UncommittedRoot)
    );
    let committed = org::commit_next_root(&hq.roster, &hq.team_key, &[], &hq.root, &next.public_key(), Validity::ALWAYS)
        .expect("commit");
    assert_eq!(committed.policy().next_root, Some(next_root_commitment(&next.public_key())));
    assert_eq!(
        org::commit_next_root(&committed, &hq.team_key, &[], &hq.root, &following.public_key(), Validity::ALWAYS).err(),
        Some(TeamError::Inconsistent { what: "a next root key is already committed" })
    );
    hq.roster = committed;
    devices[0].import(&hq.bytes(), None).expect("the commitment arrives");

    // A key other than the committed one cannot take over: HQ refuses to sign with it, and a
    // device refuses a roster it signed, even one that claims to be the organisation's.
    let thief = SigningSecretKey::generate();
    assert_eq!(
        org::rotate_root(&hq.roster, &hq.team_key, &[], &thief, &following.public_key(), Validity::ALWAYS).err(),
        Some(TeamError::WrongRootKey)
    );
    let mut draft = RosterDraft::open(&hq.roster, &hq.team_key).expect("open");
    draft.version += 1;
    draft.policy.next_root = Some(next_root_commitment(&following.public_key()));
    let forged = draft.seal_and_sign(&hq.team_key, &[], &thief).expect("sign").to_bytes().to_vec();
    assert_refused(&mut devices[0], &forged, None, TeamError::UncommittedRoot);
    // A roster "signed by the committed key" whose signature does not verify.
    let rotated =
        org::rotate_root(&hq.roster, &hq.team_key, &[], &next, &following.public_key(), Validity::ALWAYS).expect("rotate");
    let mut bad = rotated.to_bytes().to_vec();
    let last = bad.len() - 1;
    bad[last] ^= 1;
    assert_refused(&mut devices[0], &bad, None, TeamError::BadRosterSignature);

    // The committed key takes over: the pin moves, the fingerprint with it.
    let old_root = std::mem::replace(&mut hq.root, next);
    hq.roster = rotated;
    assert_ne!(hq.fingerprint(), old_fingerprint);
    assert_eq!(devices[0].import(&hq.bytes(), Some(&hq.fingerprint())), Ok(Standing::Member(Role::Coordinator)));
    assert_eq!(devices[0].pin.expect("pin").root, hq.root.public_key());
    // A device that never saw the commitment cannot follow; it is re-pinned in person.
    assert_refused(&mut devices[1], &hq.bytes(), None, TeamError::UncommittedRoot);

    // The old root key, stolen, signs nothing a rotated device accepts.
    let mut draft = RosterDraft::open(&hq.roster, &hq.team_key).expect("open");
    draft.version += 1;
    let stale = draft.seal_and_sign(&hq.team_key, &[], &old_root).expect("sign").to_bytes().to_vec();
    assert_refused(&mut devices[0], &stale, None, TeamError::UncommittedRoot);
    // Under the new root, enrollment and the following commitment go on as before.
    hq.enroll(&Device::new("after rotation"), Role::Field).expect("enroll under the new root");
    devices[0].import(&hq.bytes(), None).expect("import");
    assert_eq!(hq.roster.policy().next_root, Some(next_root_commitment(&following.public_key())));
}

#[test]
fn a_new_root_must_commit_to_the_one_after_it_and_never_back_to_the_retired_one() {
    use cairn_crypto::next_root_commitment;

    let (mut hq, mut devices) = team(1);
    let next = SigningSecretKey::generate();
    hq.roster = org::commit_next_root(&hq.roster, &hq.team_key, &[], &hq.root, &next.public_key(), Validity::ALWAYS)
        .expect("commit");
    devices[0].import(&hq.bytes(), None).expect("import");
    assert_eq!(
        org::rotate_root(&hq.roster, &hq.team_key, &[], &next, &hq.root.public_key(), Validity::ALWAYS).err(),
        Some(TeamError::WrongRootKey)
    );
    for (following, what) in [
        (None, "a new root key without a commitment to the next"),
        (Some(next_root_commitment(&hq.root.public_key())), "a new root key that hands back to the retired one"),
    ] {
        let mut draft = RosterDraft::open(&hq.roster, &hq.team_key).expect("open");
        draft.version += 1;
        draft.policy.next_root = following;
        let bytes = draft.seal_and_sign(&hq.team_key, &[], &next).expect("sign").to_bytes().to_vec();
        assert_refused(&mut devices[0], &bytes, None, TeamError::Inconsistent { what });
    }
}
