//! DESIGN §1 T7: arbitrary bytes fed to every parser of outside input give an error, never a
//! panic, and never a successful open. Also round-trip properties for arbitrary content.

use cairn_crypto::{
    BlobContext, BlobOpener, BlobSealer, CaseKey, ChangeContext, KdfParams, KdfProfile, RecordContext, RecoveryCode,
    TeamKey, VaultHeader, change_key_id, open_change, open_record, seal_record,
};
use proptest::prelude::*;

fn context() -> RecordContext {
    RecordContext { case_id: [1; 16], doc_id: [2; 16], chunk_id: 0, key_version: 1 }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, .. ProptestConfig::default() })]

    #[test]
    fn header_parser_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..640)) {
        if let Ok(header) = VaultHeader::parse(&bytes) {
            // Parsed headers have capped parameters, so trying to unlock is bounded.
            prop_assert!(header.kdf_params().validate(header.kdf_profile()).is_ok());
        }
    }

    #[test]
    fn header_shaped_garbage_never_unlocks(
        slots in proptest::collection::vec(any::<u8>(), VaultHeader::LEN - 48),
        version in 1u8..=3,
        limit in prop_oneof![Just(0u32), 3u32..=100],
    ) {
        // Every format still reads: v1 (keyslots only), v2 (and wrap slots), v3 (and the guard);
        // v4's checksum keeps garbage out before any slot is tried (tested beside the format).
        let len = [VaultHeader::LEN_V1, VaultHeader::LEN_V2, VaultHeader::LEN_V3][usize::from(version) - 1];
        let mut slots = slots;
        slots[VaultHeader::LEN_V2 - 48..][..4].copy_from_slice(&limit.to_le_bytes());
        let mut bytes = vec![version, 0, 1, 0];
        for value in [KdfParams::INSECURE_TEST.memory_kib, KdfParams::INSECURE_TEST.iterations, KdfParams::INSECURE_TEST.parallelism] {
            bytes.extend_from_slice(&value.to_le_bytes());
        }
        bytes.extend_from_slice(&[0u8; 32]);
        bytes.extend_from_slice(&slots[..len - 48]);
        let header = VaultHeader::parse(&bytes).expect("well-formed");
        prop_assert_eq!(header.kdf_profile(), KdfProfile::InsecureTestOnly);
        prop_assert!(header.unlock("any passphrase at all").is_err());
        prop_assert!(header.case_wrap_keys(&cairn_crypto::VaultMasterKey::for_tests()).is_empty());
    }

    #[test]
    fn change_envelope_and_shared_key_parsers_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..2000)) {
        let context = ChangeContext { case_id: [1; 16], doc_id: [2; 16], key_id: [3; 16] };
        let _ = change_key_id(&bytes);
        prop_assert!(open_change(&CaseKey::generate(), &context, &bytes).is_err());
        let _ = TeamKey::shared_case_key_header(&bytes);
        prop_assert!(TeamKey::generate().open_shared_case_key(&[1; 16], &[2; 16], &bytes).is_err());
    }

    #[test]
    fn bundle_parser_never_panics_and_never_opens_garbage(
        files in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..3000), 1..4),
    ) {
        let recipient = cairn_crypto::AgreementSecretKey::generate();
        // Random bytes are (overwhelmingly) not addressed to a fresh key; never a panic.
        for start in 0..files.len() {
            prop_assert!(!matches!(cairn_crypto::open_bundle_stream(&recipient, &files[..], start), Ok(Some(_))));
        }
        prop_assert!(!matches!(cairn_crypto::open_bundle(&recipient, &files[0]), Ok(Some(_))));
    }

    #[test]
    fn a_split_bundle_with_any_byte_flipped_is_refused(
        part in any::<prop::sample::Index>(),
        at in any::<prop::sample::Index>(),
        bit in 0u8..8,
        reversed in any::<bool>(),
    ) {
        let recipient = cairn_crypto::AgreementSecretKey::generate();
        let signing = cairn_crypto::SigningSecretKey::generate();
        let sender = cairn_crypto::BundleSender { device_id: [3; 16], signing: &signing, counter: 1 };
        // Three parts of one sealed chunk each (the first after its stanza).
        let max_part = (cairn_crypto::BUNDLE_STANZA_LEN + cairn_crypto::BUNDLE_SEALED_CHUNK_LEN) as u64;
        let mut writer = cairn_crypto::BundleWriter::new(Vec::new(), &[recipient.public_key()], &sender, 2, max_part)
            .expect("writer");
        writer.write_item(1, &[9; 700]).expect("item");
        writer.write_item(2, &vec![8; 2 * cairn_crypto::BUNDLE_CHUNK_LEN]).expect("item");
        let (mut parts, written) = writer.finish().expect("finish");
        prop_assert!(written.parts >= 3);
        let part = part.index(parts.len());
        let at = at.index(parts[part].len());
        parts[part][at] ^= 1 << bit;
        if reversed {
            parts.reverse();
        }
        let start = if reversed { parts.len() - 1 } else { 0 };
        let opened = match cairn_crypto::open_bundle_stream(&recipient, &parts[..], start) {
            Ok(Some(bundle)) => match bundle.verify(&signing.public_key()) {
                Ok(bundle) => bundle.items(&parts[..]).all(|item| item.is_ok()),
                Err(_) => false,
            },
            Ok(None) | Err(_) => false,
        };
        prop_assert!(!opened, "flip in part {} at {}", part, at);
    }

    #[test]
    fn sealed_value_parser_never_panics_and_never_opens_garbage(
        bytes in proptest::collection::vec(any::<u8>(), 0..1200),
        shaped in any::<bool>(),
        count in 0u16..4,
    ) {
        // Half the inputs get a v1 header with a small recipient count, so the stanza trials
        // and the payload check run on them, not only the version check.
        let mut bytes = bytes;
        if shaped {
            let mut header = vec![1u8];
            header.extend_from_slice(&count.to_le_bytes());
            bytes.splice(0..0, header);
        }
        let recipient = cairn_crypto::AgreementSecretKey::generate();
        let context = cairn_crypto::SealedValueContext { case_id: [1; 16], object_id: [2; 16], field: "real_name" };
        let _ = cairn_crypto::sealed_value_recipient_count(&bytes);
        prop_assert!(!matches!(cairn_crypto::open_sealed_value(&[&recipient], &context, &bytes), Ok(Some(_))));
    }

    #[test]
    fn sealed_values_round_trip_and_refuse_any_flipped_byte(
        content in proptest::collection::vec(any::<u8>(), 0..700),
        recipients in 1usize..4,
        at in any::<prop::sample::Index>(),
        bit in 0u8..8,
    ) {
        let keys: Vec<_> = (0..recipients).map(|_| cairn_crypto::AgreementSecretKey::generate()).collect();
        let publics: Vec<_> = keys.iter().map(|key| key.public_key()).collect();
        let context = cairn_crypto::SealedValueContext { case_id: [1; 16], object_id: [2; 16], field: "family" };
        let mut sealed = cairn_crypto::seal_value(&publics, &context, &content).expect("seal");
        for key in &keys {
            let opened = cairn_crypto::open_sealed_value(&[key], &context, &sealed).expect("open").expect("ours");
            prop_assert_eq!(opened.as_slice(), content.as_slice());
        }
        let at = at.index(sealed.len());
        sealed[at] ^= 1 << bit;
        for key in &keys {
            prop_assert!(!matches!(cairn_crypto::open_sealed_value(&[key], &context, &sealed), Ok(Some(_))), "flip at {}", at);
        }
    }

    #[test]
    fn envelope_parser_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..2000)) {
        prop_assert!(open_record(&CaseKey::generate(), &context(), &bytes).is_err());
    }

    #[test]
    fn wrapped_key_parser_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
        let wrap = cairn_crypto::VaultMasterKey::for_tests().wrap_key(&[0; 16]);
        prop_assert!(cairn_crypto::unwrap_case_key(&wrap, &[1; 16], 1, &bytes).is_err());
    }

    #[test]
    fn carried_key_parser_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
        // The re-key journal is a file read at unlock: garbage of any length is refused.
        let master = cairn_crypto::VaultMasterKey::for_tests();
        prop_assert!(master.open_previous_master_key(&[0; 16], &bytes).is_err());
        prop_assert!(master.open_device_wrap_key(&[0; 16], &bytes).is_err());
    }

    #[test]
    fn blob_parser_never_panics(header in proptest::collection::vec(any::<u8>(), 0..40), chunk in proptest::collection::vec(any::<u8>(), 0..300), count in 0u32..4, position in 0u32..5) {
        let context = BlobContext { case_id: [1; 16], blob_id: [2; 16], key_version: 1 };
        if let Ok(opener) = BlobOpener::new(&CaseKey::generate(), &context, &header, count) {
            prop_assert!(opener.open_chunk(position, &chunk).is_err());
        }
    }

    #[test]
    fn recovery_code_parser_never_panics(typed in "\\PC{0,60}") {
        let _ = RecoveryCode::parse(&typed);
    }

    #[test]
    fn records_round_trip(content in proptest::collection::vec(any::<u8>(), 0..5000), chunk_id in any::<u64>()) {
        let key = CaseKey::generate();
        let context = RecordContext { chunk_id, ..context() };
        let sealed = seal_record(&key, &context, &content).expect("seal");
        let opened = open_record(&key, &context, &sealed).expect("open");
        prop_assert_eq!(opened.as_slice(), content.as_slice());
    }
}

proptest! {
    // Large inputs: fewer cases keep the suite fast on two cores.
    #![proptest_config(ProptestConfig { cases: 24, .. ProptestConfig::default() })]

    #[test]
    fn blobs_round_trip(content in proptest::collection::vec(any::<u8>(), 0..200_000), feed in 1usize..100_000) {
        let key = CaseKey::generate();
        let context = BlobContext { case_id: [1; 16], blob_id: [2; 16], key_version: 1 };
        let (mut sealer, header) = BlobSealer::new(&key, &context);
        let mut chunks = Vec::new();
        for piece in content.chunks(feed) {
            chunks.extend(sealer.update(piece).expect("update").into_iter().map(|(_, c)| c));
        }
        let ((_, last), summary) = sealer.finish().expect("finish");
        chunks.push(last);
        let opener = BlobOpener::new(&key, &context, &header, summary.chunk_count).expect("opener");
        let mut opened = Vec::new();
        for (i, chunk) in chunks.iter().enumerate() {
            opened.extend_from_slice(&opener.open_chunk(i as u32, chunk).expect("chunk"));
        }
        prop_assert_eq!(opened, content);
    }
}
