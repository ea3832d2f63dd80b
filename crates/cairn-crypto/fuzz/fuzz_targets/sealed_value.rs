//! The sealed-value reader (identity fields in case documents) on arbitrary bytes: never a
//! panic, and nothing but the golden vector's own bytes (the seed) may open for its recipient.
#![no_main]

use cairn_crypto::{SealedValueContext, open_sealed_value, sealed_value_recipient_count, test_vectors};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    // The golden vector's recipient and context (`golden.rs`), so the seed reaches the
    // payload and its padding check.
    let recipient = test_vectors::agreement_key([0xa1; 32]);
    let context = SealedValueContext { case_id: [0xca; 16], object_id: [0x9e; 16], field: "real_name" };
    let _ = sealed_value_recipient_count(data);
    let _ = open_sealed_value(&[&recipient], &context, data);
});
