//! The bundle reader on arbitrary bytes: never a panic, and nothing but the golden vector's
//! own bytes (the seed) may open with a valid signature for a key the fuzzer cannot know.
#![no_main]

use cairn_crypto::{open_bundle, test_vectors};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    // The golden vector's recipient (`golden.rs`), so the seed reaches the payload parser.
    let recipient = test_vectors::agreement_key([0xb0; 32]);
    if let Ok(Some(bundle)) = open_bundle(&recipient, data) {
        let signer = test_vectors::signing_key([0x5e; 32]).public_key();
        let _ = bundle.verify(&signer);
    }
});
