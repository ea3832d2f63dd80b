//! Golden vectors for the team formats of this crate (wrapped private keys, domain-separated
//! signatures, sealed team keys, sealed labels, team-wrapped case keys, earlier team keys sealed
//! under a later one, next root key commitments, root key files, fingerprints), in the
//! pattern of `golden.rs`: each test opens the committed bytes under `fixtures/` and re-seals
//! the same fixed inputs, comparing byte for byte. Regenerate after a deliberate format
//! change (with a version bump) with `CAIRN_UPDATE_FIXTURES=1 cargo test -p cairn-crypto golden`.

use crate::{
    AgreementKeyUse, AgreementSecretKey, DeviceWrapKey, EarlierTeamKeyContext, Fingerprint, LabelContext, LabelSubject,
    Signature, SignaturePurpose, SigningKeyUse, SigningSecretKey, TeamCaseKeyContext, TeamKey, TeamKeyContext,
    golden::check_fixture, keys::test_keys,
};

fn k_dev() -> DeviceWrapKey {
    test_keys::fixed(DeviceWrapKey::from_bytes, 0xde)
}

#[test]
fn golden_wrapped_device_keys_v1() {
    let signing = SigningSecretKey::from_seed(&[0x51; 32]);
    let agreement = AgreementSecretKey::from_bytes(&[0x52; 32]);
    let owner = [0xd1; 16];
    let mut fresh = signing.wrap_with_nonce(&k_dev(), SigningKeyUse::Device, &owner, [0x53; 24]);
    fresh.extend_from_slice(&agreement.wrap_with_nonce(&k_dev(), AgreementKeyUse::Device, &owner, [0x54; 24]));
    let committed = check_fixture("wrapped_device_keys_v1.bin", &fresh);
    let (first, second) = committed.split_at(crate::WRAPPED_SECRET_LEN);
    let opened = SigningSecretKey::unwrap(&k_dev(), SigningKeyUse::Device, &owner, first).expect("unwrap signing");
    assert_eq!(opened.public_key(), signing.public_key());
    let opened = AgreementSecretKey::unwrap(&k_dev(), AgreementKeyUse::Device, &owner, second).expect("unwrap agreement");
    assert_eq!(opened.public_key(), agreement.public_key());
}

#[test]
fn golden_signatures_v1() {
    // Ed25519 is deterministic, so the signature pins the domain-separation strings.
    let key = SigningSecretKey::from_seed(&[0x61; 32]);
    let mut fresh = key.public_key().to_bytes().to_vec();
    fresh.extend_from_slice(&key.sign(SignaturePurpose::EnrollmentRequest, b"golden message").to_bytes());
    fresh.extend_from_slice(&key.sign(SignaturePurpose::Roster, b"golden message").to_bytes());
    let committed = check_fixture("signatures_v1.bin", &fresh);
    let public = crate::SigningPublicKey::from_bytes(committed[..32].try_into().expect("32")).expect("key");
    let request_signature = Signature::from_bytes(committed[32..96].try_into().expect("64"));
    let roster_signature = Signature::from_bytes(committed[96..160].try_into().expect("64"));
    assert_eq!(public.verify(SignaturePurpose::EnrollmentRequest, b"golden message", &request_signature), Ok(()));
    assert_eq!(public.verify(SignaturePurpose::Roster, b"golden message", &roster_signature), Ok(()));
    assert!(public.verify(SignaturePurpose::Roster, b"golden message", &request_signature).is_err());
}

#[test]
fn golden_evidence_manifest_signature_v1() {
    // The signature of an evidence package's manifest.sig: over the exact bytes of its
    // manifest.json, under the purpose label "evidence-manifest/v1" (Ed25519 is deterministic,
    // so the fixture pins the label and the message layout).
    let key = SigningSecretKey::from_seed(&[0x62; 32]);
    let manifest = "{\n  \"format\": \"cairn-evidence/1\",\n  \"case_id\": \"증거 golden\"\n}\n".as_bytes();
    let mut fresh = key.public_key().to_bytes().to_vec();
    fresh.extend_from_slice(&key.sign(SignaturePurpose::EvidenceManifest, manifest).to_bytes());
    let committed = check_fixture("evidence_manifest_signature_v1.bin", &fresh);
    let public = crate::SigningPublicKey::from_bytes(committed[..32].try_into().expect("32")).expect("key");
    let signature = Signature::from_bytes(committed[32..96].try_into().expect("64"));
    assert_eq!(public.verify(SignaturePurpose::EvidenceManifest, manifest, &signature), Ok(()));
    // Bound to its purpose and to every byte of the manifest.
    assert!(public.verify(SignaturePurpose::BundleManifest, manifest, &signature).is_err());
    let mut altered = manifest.to_vec();
    altered[5] ^= 1;
    assert!(public.verify(SignaturePurpose::EvidenceManifest, &altered, &signature).is_err());
}

#[test]
fn golden_sealed_team_key_v1() {
    let team_key = TeamKey::from_bytes(&[0x71; 32]);
    let recipient = AgreementSecretKey::from_bytes(&[0x72; 32]);
    let context = TeamKeyContext { org_id: [0x0a; 16], roster_version: 3, epoch: 2, device_id: [0xd1; 16] };
    let fresh = team_key.seal_to_with_ephemeral(&recipient.public_key(), &context, &[0x73; 32]).expect("seal");
    let committed = check_fixture("sealed_team_key_v1.bin", &fresh);
    assert!(TeamKey::open_sealed(&recipient, &context, &committed).expect("open").same_key_as(&team_key));
}

#[test]
fn golden_sealed_label_v1() {
    let team_key = TeamKey::from_bytes(&[0x71; 32]);
    let context =
        LabelContext { org_id: [0x0a; 16], roster_version: 3, epoch: 2, subject: LabelSubject::Device([0xd1; 16]) };
    let fresh = team_key.seal_label_with_nonce(&context, "단둥 노트북 Dandong laptop", [0x74; 24]).expect("seal");
    let committed = check_fixture("sealed_label_v1.bin", &fresh);
    assert_eq!(team_key.open_label(&context, &committed).expect("open"), "단둥 노트북 Dandong laptop");
}

#[test]
fn golden_wrapped_team_key_and_team_case_key_v1() {
    let team_key = TeamKey::from_bytes(&[0x71; 32]);
    let mut fresh = team_key.wrap_with_nonce(&k_dev(), &[0x0a; 16], 2, [0x75; 24]);
    let context = TeamCaseKeyContext { org_id: [0x0a; 16], case_id: [0xca; 16], key_version: 1 };
    let case_key = test_keys::case_key(0x76);
    fresh.extend_from_slice(&team_key.wrap_case_key_with_nonce(2, &context, &case_key, [0x77; 24]));
    let committed = check_fixture("team_keys_v1.bin", &fresh);
    let (wrapped, shared) = committed.split_at(crate::WRAPPED_SECRET_LEN);
    assert!(TeamKey::unwrap(&k_dev(), &[0x0a; 16], 2, wrapped).expect("unwrap").same_key_as(&team_key));
    assert_eq!(team_key.unwrap_case_key(2, &context, shared).expect("unwrap case key").bytes(), case_key.bytes());
}

#[test]
fn golden_shared_case_key_v2_and_change_envelope_v1() {
    let team_key = TeamKey::from_bytes(&[0x71; 32]);
    let case_key = test_keys::case_key(0x76);
    let (org, case, key_id) = ([0x0a; 16], [0xca; 16], [0x1d; 16]);
    let fresh = team_key.share_case_key_with_nonce(&org, 2, &case, &key_id, &case_key, [0x78; 24]);
    let committed = check_fixture("shared_case_key_v2.bin", &fresh);
    assert_eq!(TeamKey::shared_case_key_header(&committed).expect("header"), (2, key_id));
    let (opened_id, opened) = team_key.open_shared_case_key(&org, &case, &committed).expect("open");
    assert_eq!((opened_id, opened.bytes()), (key_id, case_key.bytes()));
    // Presented for another case or organisation, or under another team key, it fails.
    assert!(team_key.open_shared_case_key(&org, &[0xcb; 16], &committed).is_err());
    assert!(team_key.open_shared_case_key(&[0x0b; 16], &case, &committed).is_err());
    assert!(TeamKey::from_bytes(&[0x72; 32]).open_shared_case_key(&org, &case, &committed).is_err());
    for index in 0..committed.len() {
        let mut tampered = committed.clone();
        tampered[index] ^= 0x01;
        assert!(team_key.open_shared_case_key(&org, &case, &tampered).is_err(), "byte {index}");
    }

    let context = crate::ChangeContext { case_id: case, doc_id: [0xd0; 16], key_id };
    let change = "2019년 6월 신의주. An Automerge change travels sealed.".as_bytes();
    let fresh = crate::change::seal_change_v1_with_nonce(&case_key, &context, change, [0x79; 24]).expect("seal");
    let committed = check_fixture("change_envelope_v1.bin", &fresh);
    let opened = crate::open_change(&case_key, &context, &committed).expect("open");
    assert_eq!((opened.change.as_slice(), opened.custody), (change, None), "a v1 change carries no custody");
}

#[test]
fn golden_sealed_earlier_team_key_v1_and_next_root_commitment() {
    let epoch1 = TeamKey::from_bytes(&[0x71; 32]);
    let epoch3 = TeamKey::from_bytes(&[0x7a; 32]);
    let context = EarlierTeamKeyContext { org_id: [0x0a; 16], sealing_epoch: 3, earlier_epoch: 1 };
    let fresh = epoch3.seal_earlier_with_nonce(&context, &epoch1, [0x7b; 24]).expect("seal");
    let committed = check_fixture("sealed_earlier_team_key_v1.bin", &fresh);
    assert!(epoch3.open_earlier(&context, &committed).expect("open").same_key_as(&epoch1));
    let moved = EarlierTeamKeyContext { earlier_epoch: 2, ..context };
    assert!(epoch3.open_earlier(&moved, &committed).is_err(), "the epoch number is authenticated");

    let next_root = SigningSecretKey::from_seed(&[0x7c; 32]).public_key();
    let mut fresh = next_root.to_bytes().to_vec();
    fresh.extend_from_slice(&crate::next_root_commitment(&next_root));
    let committed = check_fixture("next_root_commitment_v1.bin", &fresh);
    assert_eq!(committed[32..], crate::next_root_commitment(&next_root));
}

#[test]
fn golden_root_key_file_v1() {
    let root = SigningSecretKey::from_seed(&[0x7d; 32]);
    let params = crate::KdfParams::INSECURE_TEST;
    let fresh =
        crate::RootKeyFile::seal_with(&[0x0a; 16], &root, "루트 키 문구 root phrase", params, [0x7e; 16], [0x7f; 24])
            .expect("seal");
    let committed = check_fixture("root_key_file_v1.bin", &fresh);
    let file = crate::RootKeyFile::decode(&committed).expect("decode");
    assert_eq!((file.org_id(), file.public_key()), ([0x0a; 16], root.public_key()));
    assert_eq!(file.open("루트 키 문구 root phrase").expect("open").public_key(), root.public_key());
}

#[test]
fn golden_fingerprints_v1() {
    let signing = SigningSecretKey::from_seed(&[0x61; 32]).public_key();
    let agreement = AgreementSecretKey::from_bytes(&[0x72; 32]).public_key();
    let device = Fingerprint::of_device(&[0xd1; 16], &signing, &agreement);
    let organisation = Fingerprint::of_organisation(&[0x0a; 16], &signing);
    let fresh = format!("device {device}\norganisation {organisation}\n");
    let committed = check_fixture("fingerprints_v1.txt", fresh.as_bytes());
    let text = String::from_utf8(committed).expect("utf-8");
    let device_line = text.lines().next().and_then(|line| line.strip_prefix("device ")).expect("device line");
    assert_eq!(Fingerprint::parse(device_line), Ok(device));
}
