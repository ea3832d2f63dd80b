//! Tombstone decoding on arbitrary bytes: an error, never a panic; whatever decodes
//! re-encodes to the same bytes.
#![no_main]

use cairn_team::Tombstone;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(tombstone) = Tombstone::from_bytes(data) {
        assert_eq!(tombstone.to_bytes(), data);
    }
});
