//! Golden vectors: every format sealed from fixed inputs and committed under `fixtures/`.
//!
//! Each test (1) opens the committed bytes, proving this build still reads what earlier
//! builds wrote, and (2) re-seals the same inputs and compares byte for byte, proving the
//! format did not drift. After a deliberate format change, bump the version and regenerate
//! with `CAIRN_UPDATE_FIXTURES=1 cargo test -p cairn-crypto golden`.

use std::path::PathBuf;

use crate::{
    BlobContext, BlobOpener, BlobSealer, KdfParams, KdfProfile, RecordContext, SlotKind, VaultHeader, VaultMasterKey,
    envelope::seal_record_with_nonce,
    keys::{test_keys, unwrap_case_key, wrap_case_key_with_nonce},
    open_record,
};

/// Compares `fresh` with the committed fixture `name` (or rewrites it under
/// `CAIRN_UPDATE_FIXTURES`) and returns the committed bytes.
pub(crate) fn check_fixture(name: &str, fresh: &[u8]) -> Vec<u8> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures").join(name);
    if std::env::var_os("CAIRN_UPDATE_FIXTURES").is_some() {
        std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        std::fs::write(&path, fresh).expect("write fixture");
    }
    let committed = std::fs::read(&path).unwrap_or_else(|_| panic!("missing fixture {name}"));
    assert_eq!(committed, fresh, "format drift in {name}: bump the format version instead");
    committed
}

#[test]
fn record_envelope_v1() {
    let key = test_keys::case_key(0x11);
    let context = RecordContext { case_id: [0xca; 16], doc_id: [0xd0; 16], chunk_id: 7, key_version: 1 };
    let plaintext = "2019년 6월, 신의주 보위부 구류장. Detained in Sinuiju.".as_bytes();
    let fresh = seal_record_with_nonce(&key, &context, plaintext, [0x24; 24]).expect("seal");
    let committed = check_fixture("record_envelope_v1.bin", &fresh);
    assert_eq!(&*open_record(&key, &context, &committed).expect("open"), plaintext);
}

#[test]
fn wrapped_case_key_v1() {
    let wrap = test_keys::wrap_key(0x22);
    let case_key = test_keys::case_key(0x33);
    let fresh = wrap_case_key_with_nonce(&wrap, &[0xca; 16], 3, &case_key, [0x44; 24]);
    let committed = check_fixture("wrapped_case_key_v1.bin", &fresh);
    let unwrapped = unwrap_case_key(&wrap, &[0xca; 16], 3, &committed).expect("unwrap");
    assert_eq!(unwrapped.bytes(), case_key.bytes());
}

#[test]
fn blob_stream_v1() {
    let key = test_keys::case_key(0x55);
    let context = BlobContext { case_id: [0xca; 16], blob_id: [0xb1; 16], key_version: 1 };
    let data: Vec<u8> = (0..(crate::BLOB_CHUNK_LEN + 1000)).map(|i| (i % 251) as u8).collect();
    let (mut sealer, header) = BlobSealer::with_prefix(&key, &context, [0x66; 19]);
    let mut fresh = header.clone();
    for (_, chunk) in sealer.update(&data).expect("update") {
        fresh.extend_from_slice(&chunk);
    }
    let ((_, last), summary) = sealer.finish().expect("finish");
    fresh.extend_from_slice(&last);
    let committed = check_fixture("blob_stream_v1.bin", &fresh);
    let opener = BlobOpener::new(&key, &context, &committed[..24], summary.chunk_count).expect("opener");
    let first_len = crate::BLOB_CHUNK_LEN + 16;
    let mut opened = opener.open_chunk(0, &committed[24..24 + first_len]).expect("chunk 0").to_vec();
    opened.extend_from_slice(&opener.open_chunk(1, &committed[24 + first_len..]).expect("chunk 1"));
    assert_eq!(opened, data);
}

#[test]
fn vault_header_v1() {
    let kdf = KdfParams::INSECURE_TEST;
    let master_key = VaultMasterKey::from_bytes([0x77; 32]);
    let fresh = VaultHeader::fixed_for_golden(kdf, [0x88; 16], [0x99; 16], &master_key, "한강 golden passphrase");
    let committed = check_fixture("vault_header_v1.bin", &fresh.to_bytes());
    let header = VaultHeader::parse(&committed).expect("parse");
    assert_eq!(header.kdf_profile(), KdfProfile::InsecureTestOnly);
    let unlocked = header.unlock("한강 golden passphrase").expect("unlock");
    assert_eq!(unlocked.kind, SlotKind::Passphrase);
    assert_eq!(unlocked.master_key.bytes(), master_key.bytes());
    // Subkey derivation is part of the format too: K_db must not change under a vault.
    let db_key = unlocked.master_key.db_key(&header.vault_id());
    check_fixture("vault_header_v1.db_key.txt", db_key.sqlcipher_pragma_value().as_bytes());
}

#[test]
fn vault_header_v2() {
    let kdf = KdfParams::INSECURE_TEST;
    let master_key = VaultMasterKey::from_bytes([0x77; 32]);
    let v1 = VaultHeader::fixed_for_golden(kdf, [0x88; 16], [0x99; 16], &master_key, "한강 golden passphrase");
    let wrap_key = crate::CaseWrapKey::fixed_for_golden(7, 0x3b);
    let fresh = v1.fixed_v2_for_golden(&master_key, &wrap_key);
    let committed = check_fixture("vault_header_v2.bin", &fresh.to_bytes());
    let header = VaultHeader::parse(&committed).expect("parse");
    assert_eq!(header.format_version(), 2);
    let unlocked = header.unlock("한강 golden passphrase").expect("unlock");
    assert_eq!(unlocked.master_key.bytes(), master_key.bytes());
    let held = header.case_wrap_keys(&unlocked.master_key);
    assert_eq!(held.len(), 1, "the filler slot opens nothing");
    assert_eq!((held[0].generation(), held[0].key().bytes()), (7, wrap_key.key().bytes()));
    // The keyslots are v1's, byte for byte: upgrading needs no passphrase or recovery code.
    let v1_committed =
        std::fs::read(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures/vault_header_v1.bin")).expect("v1 fixture");
    assert_eq!(committed[2..VaultHeader::LEN_V1], v1_committed[2..], "v2 starts with v1's fields and keyslots");
    let upgraded = VaultHeader::parse(&v1_committed).expect("v1").with_case_wrap_keys(&master_key, &[&wrap_key]);
    let upgraded = VaultHeader::parse(&upgraded.expect("upgrade").to_bytes()).expect("parse upgraded");
    assert_eq!(upgraded.unlock("한강 golden passphrase").expect("unlock upgraded").master_key.bytes(), master_key.bytes());
    assert_eq!(upgraded.case_wrap_keys(&master_key)[0].key().bytes(), wrap_key.key().bytes());
}

#[test]
fn vault_header_v3() {
    let kdf = KdfParams::INSECURE_TEST;
    let master_key = VaultMasterKey::from_bytes([0x77; 32]);
    let v1 = VaultHeader::fixed_for_golden(kdf, [0x88; 16], [0x99; 16], &master_key, "한강 golden passphrase");
    let wrap_key = crate::CaseWrapKey::fixed_for_golden(7, 0x3b);
    let guard = crate::UnlockGuard { limit: 5, failures: 2 };
    let fresh = v1.fixed_v2_for_golden(&master_key, &wrap_key).with_unlock_guard(guard).expect("guard");
    let committed = check_fixture("vault_header_v3.bin", &fresh.to_bytes());
    let header = VaultHeader::parse(&committed).expect("parse");
    assert_eq!((header.format_version(), header.unlock_guard()), (3, guard));
    let unlocked = header.unlock("한강 golden passphrase").expect("unlock");
    assert_eq!(unlocked.master_key.bytes(), master_key.bytes());
    let held = header.case_wrap_keys(&unlocked.master_key);
    assert_eq!((held[0].generation(), held[0].key().bytes()), (7, wrap_key.key().bytes()));
    // v3 is v2 (version field aside) followed by the guard: upgrading rewrites no slot.
    let v2_committed =
        std::fs::read(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures/vault_header_v2.bin")).expect("v2 fixture");
    assert_eq!(committed[2..VaultHeader::LEN_V2], v2_committed[2..], "v3 starts with v2's fields and slots");
    assert_eq!(committed[VaultHeader::LEN_V2..], [5, 0, 0, 0, 2, 0, 0, 0]);
    let upgraded = VaultHeader::parse(&v2_committed).expect("v2").with_unlock_guard(guard).expect("upgrade");
    assert_eq!(upgraded.to_bytes(), committed);
}

#[test]
fn vault_header_v4() {
    let kdf = KdfParams::INSECURE_TEST;
    let master_key = VaultMasterKey::from_bytes([0x77; 32]);
    let v1 = VaultHeader::fixed_for_golden(kdf, [0x88; 16], [0x99; 16], &master_key, "한강 golden passphrase");
    let wrap_key = crate::CaseWrapKey::fixed_for_golden(7, 0x3b);
    let guard = crate::UnlockGuard { limit: 5, failures: 2 };
    let fresh =
        v1.fixed_v2_for_golden(&master_key, &wrap_key).with_unlock_guard(guard).expect("guard").upgraded().expect("v4");
    let committed = check_fixture("vault_header_v4.bin", &fresh.to_bytes());
    let header = VaultHeader::parse(&committed).expect("parse");
    assert_eq!((header.format_version(), header.unlock_guard()), (4, guard));
    assert_eq!(header.unlock("한강 golden passphrase").expect("unlock").master_key.bytes(), master_key.bytes());
    // v4 is v3 (version field aside) with the checksum between the slots and the guard.
    let v3_committed =
        std::fs::read(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures/vault_header_v3.bin")).expect("v3 fixture");
    assert_eq!(committed[2..VaultHeader::LEN_V2], v3_committed[2..VaultHeader::LEN_V2]);
    assert_eq!(committed[VaultHeader::GUARD_OFFSET..], v3_committed[VaultHeader::LEN_V2..]);
    let upgraded = VaultHeader::parse(&v3_committed).expect("v3").upgraded().expect("upgrade");
    assert_eq!(upgraded.to_bytes(), committed);
}

#[test]
fn blob_part_v1_and_attachment_address_v1() {
    let key = test_keys::case_key(0x5a);
    let address = crate::attachment_address(&key, &[0xc7; 32], 70_000);
    let context = crate::BlobPartContext { case_id: [0xca; 16], address, position: 1, last: true, key_id: [0x1d; 16] };
    let part = "2019년 녹음 part of a recording".as_bytes();
    let mut fresh = address.to_vec();
    fresh.extend_from_slice(&crate::blob_part::seal_blob_part_with_nonce(&key, &context, part, [0x3c; 24]).expect("seal"));
    let committed = check_fixture("blob_part_v1.bin", &fresh);
    assert_eq!(committed[..32], address, "attachment address v1 drifted");
    assert_eq!(&*crate::open_blob_part(&key, &context, &committed[32..]).expect("open"), part);
}

#[test]
fn beacon_v1() {
    let key = crate::BeaconKey::derive(&[0x42; 32], &[0x0a; 16], 3);
    let beacon = crate::Beacon { device_id: [0xde; 16], port: 40404, sent_at_ms: 1_790_000_000_000 };
    let mut fresh = key.udp_port().to_le_bytes().to_vec();
    fresh.extend_from_slice(&key.seal_with_nonce(&beacon, [0x5e; 24]));
    let committed = check_fixture("beacon_v1.bin", &fresh);
    assert_eq!(committed[..2], key.udp_port().to_le_bytes(), "beacon port derivation drifted");
    assert_eq!(key.open(&committed[2..], beacon.sent_at_ms), Ok(beacon));
}

/// The recipient key of the bundle golden vector; the fuzz target (`fuzz/fuzz_targets/bundle.rs`)
/// uses the same bytes, so its seed (this fixture) opens and reaches the parser.
const BUNDLE_RECIPIENT: [u8; 32] = [0xb0; 32];

#[test]
fn bundle_v1() {
    use crate::{AgreementSecretKey, BundleItem, BundleSender, SigningSecretKey, bundle::seal_bundle_with, open_bundle};
    let recipient = AgreementSecretKey::from_bytes(&BUNDLE_RECIPIENT);
    let other = AgreementSecretKey::from_bytes(&[0xb1; 32]);
    let signing = SigningSecretKey::from_seed(&[0x5e; 32]);
    let items = vec![
        BundleItem { kind: 1, bytes: "증거 digest".as_bytes().to_vec() },
        BundleItem { kind: 3, bytes: (0..(crate::BUNDLE_CHUNK_LEN + 500)).map(|i| (i % 253) as u8).collect() },
    ];
    let sender = BundleSender { device_id: [0xde; 16], signing: &signing, counter: 7 };
    let fresh = seal_bundle_with(
        &[other.public_key(), recipient.public_key()],
        &sender,
        &items,
        &[0xf1; 32],
        &[zeroize::Zeroizing::new([0xe1; 32]), zeroize::Zeroizing::new([0xe2; 32])],
        &[0x80, 0],
    )
    .expect("seal");
    let committed = check_fixture("bundle_v1.bin", &fresh);
    let opened = open_bundle(&recipient, &committed).expect("open").expect("addressed").verify(&signing.public_key());
    let opened = opened.expect("verify");
    assert_eq!((opened.sender, opened.counter, &opened.items), ([0xde; 16], 7, &items));
    // The streaming reader reads the same bytes, also cut into two parts after the first
    // sealed chunk (what the writer does for a bundle longer than a part) and given in reverse.
    let cut = 2 * crate::BUNDLE_STANZA_LEN + crate::BUNDLE_SEALED_CHUNK_LEN;
    let whole = [committed.as_slice()];
    let parts = [&committed[cut..], &committed[..cut]];
    for (files, start) in [(&whole[..], 0), (&parts[..], 1)] {
        let stream = crate::open_bundle_stream(&recipient, files, start).expect("open").expect("addressed");
        let stream = stream.verify(&signing.public_key()).expect("verify");
        assert_eq!(stream.part_files().len(), files.len());
        let read = stream.items(files).collect::<Result<Vec<_>, _>>().expect("items");
        assert_eq!(read, items);
    }
}

/// The recipient of the sealed-value golden vector; the fuzz target
/// (`fuzz/fuzz_targets/sealed_value.rs`) uses the same bytes and context, so its seed (this
/// fixture) opens and reaches the padding check.
const SEALED_VALUE_RECIPIENT: [u8; 32] = [0xa1; 32];

#[test]
fn sealed_value_v1() {
    use crate::{AgreementKeyUse, AgreementSecretKey, DeviceWrapKey, SealedValueContext, open_sealed_value};
    let intake = AgreementSecretKey::from_bytes(&SEALED_VALUE_RECIPIENT);
    let coordinator = AgreementSecretKey::from_bytes(&[0xa2; 32]);
    let context = SealedValueContext { case_id: [0xca; 16], object_id: [0x9e; 16], field: "real_name" };
    let name = "김영희 (Kim Young-hee)".as_bytes();
    let fresh = crate::sealed_value::seal_value_with(
        &[intake.public_key(), coordinator.public_key()],
        &context,
        name,
        &[0xc0; 32],
        &[zeroize::Zeroizing::new([0xe3; 32]), zeroize::Zeroizing::new([0xe4; 32])],
    )
    .expect("seal");
    let committed = check_fixture("sealed_value_v1.bin", &fresh);
    for key in [&intake, &coordinator] {
        assert_eq!(open_sealed_value(&[key], &context, &committed).expect("open").expect("addressed").as_slice(), name);
    }
    // The pre-enrollment sealing key is wrapped like every other private key (kind 6).
    let k_dev = test_keys::fixed(DeviceWrapKey::from_bytes, 0xde);
    let local = AgreementSecretKey::from_bytes(&[0xa3; 32]);
    let wrapped = local.wrap_with_nonce(&k_dev, AgreementKeyUse::PreEnrollmentSealing, &[0xd1; 16], [0xa4; 24]);
    let committed = check_fixture("wrapped_pre_enrollment_key_v1.bin", &wrapped);
    let opened = AgreementSecretKey::unwrap(&k_dev, AgreementKeyUse::PreEnrollmentSealing, &[0xd1; 16], &committed);
    assert_eq!(opened.expect("unwrap").public_key(), local.public_key());
    assert!(AgreementSecretKey::unwrap(&k_dev, AgreementKeyUse::Device, &[0xd1; 16], &committed).is_err());
}

#[test]
fn change_envelope_v2() {
    use crate::{ChangeContext, ChangeCustody, SigningSecretKey, change::seal_change_with_nonce, open_change};
    let case_key = test_keys::case_key(0x76);
    let context = ChangeContext { case_id: [0xca; 16], doc_id: [0xd0; 16], key_id: [0x1d; 16] };
    let change = "2019년 6월 신의주. A change with its chain of custody.".as_bytes();
    let signing = SigningSecretKey::from_seed(&[0x5c; 32]);
    let change_hash = [0xa7; 32];
    let custody = ChangeCustody::sign(&signing, [0xde; 16], &context.case_id, &context.doc_id, &change_hash);
    // A signed change, then one without a signature (written before custody existed).
    let mut fresh = seal_change_with_nonce(&case_key, &context, change, Some(&custody), [0x7a; 24]).expect("seal");
    fresh.extend_from_slice(&seal_change_with_nonce(&case_key, &context, change, None, [0x7b; 24]).expect("seal"));
    let committed = check_fixture("change_envelope_v2.bin", &fresh);
    let (signed, unsigned) = committed.split_at(committed.len() / 2);
    assert_eq!((signed[0], unsigned[0]), (2, 2));
    let opened = open_change(&case_key, &context, signed).expect("open signed");
    assert_eq!((opened.change.as_slice(), opened.custody), (change, Some(custody)));
    let opened_custody = opened.custody.expect("custody");
    // Ed25519 is deterministic: the signature pins the purpose label and the message layout.
    assert_eq!(opened_custody.verify(&signing.public_key(), &context.case_id, &context.doc_id, &change_hash), Ok(()));
    let opened = open_change(&case_key, &context, unsigned).expect("open unsigned");
    assert_eq!((opened.change.as_slice(), opened.custody), (change, None));
    // The v1 vector (`identity_golden.rs`) still opens, without custody.
    let v1 = std::fs::read(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures/change_envelope_v1.bin")).expect("v1");
    let opened = open_change(&case_key, &context, &v1).expect("open v1");
    assert!(opened.custody.is_none());
}

#[test]
fn carried_keys_v1() {
    let current = test_keys::fixed(VaultMasterKey::from_bytes, 0x6b);
    let previous = test_keys::fixed(VaultMasterKey::from_bytes, 0x6a);
    let k_dev = test_keys::fixed(crate::DeviceWrapKey::from_bytes, 0x6d);
    let vault_id = [0x6e; 16];
    let journal = current.seal_previous_master_key_with_nonce(&vault_id, &previous, [0x6f; 24]);
    let committed = check_fixture("carried_previous_master_key_v1.bin", &journal);
    assert_eq!(current.open_previous_master_key(&vault_id, &committed).expect("open").bytes(), previous.bytes());
    let carried = current.seal_device_wrap_key_with_nonce(&vault_id, &k_dev, [0x70; 24]);
    let committed = check_fixture("carried_device_wrap_key_v1.bin", &carried);
    assert_eq!(current.open_device_wrap_key(&vault_id, &committed).expect("open").bytes(), k_dev.bytes());
}
