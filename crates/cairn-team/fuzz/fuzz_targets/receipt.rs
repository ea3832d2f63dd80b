//! Handover receipt decoding on arbitrary bytes: an error, never a panic; whatever decodes
//! re-encodes to the same bytes (one encoding per receipt).
#![no_main]

use cairn_team::Receipt;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(receipt) = Receipt::from_bytes(data) {
        assert_eq!(receipt.to_bytes(), data);
    }
});
