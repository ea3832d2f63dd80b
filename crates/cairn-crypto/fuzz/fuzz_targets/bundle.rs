//! The streaming bundle reader on arbitrary bytes: never a panic, and nothing but the golden
//! vector's own bytes (the seed) may open with a valid signature for a key the fuzzer cannot
//! know. The input is read as one file, and again cut into two parts after its first sealed
//! chunk (a continuation found by trial) given in reverse order, so the part search and the
//! second pass over the items see the same hostile bytes.
#![no_main]

use cairn_crypto::{BUNDLE_SEALED_CHUNK_LEN, BUNDLE_STANZA_LEN, open_bundle_stream, test_vectors};
use libfuzzer_sys::fuzz_target;

fn read<F: cairn_crypto::BundleFiles + ?Sized>(files: &F, start: usize) {
    // The golden vector's recipient (`golden.rs`), so the seed reaches the payload parser.
    let recipient = test_vectors::agreement_key([0xb0; 32]);
    if let Ok(Some(bundle)) = open_bundle_stream(&recipient, files, start) {
        let _ = bundle.part_files();
        let _ = bundle.item_kinds().count();
        let signer = test_vectors::signing_key([0x5e; 32]).public_key();
        if let Ok(bundle) = bundle.verify(&signer) {
            for item in bundle.items(files) {
                if item.is_err() {
                    break;
                }
            }
        }
    }
}

fuzz_target!(|data: &[u8]| {
    read(&[data][..], 0);
    // The golden vector has two stanzas: cut after them and one sealed chunk.
    let cut = (2 * BUNDLE_STANZA_LEN + BUNDLE_SEALED_CHUNK_LEN).min(data.len());
    let (first, second) = data.split_at(cut);
    read(&[second, first][..], 1);
});
