//! Roster decoding and verification on arbitrary bytes: an error, never a panic; whatever
//! decodes re-encodes to the same bytes.
#![no_main]

use cairn_team::Roster;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(unverified) = Roster::decode(data) {
        let pin = unverified.pin();
        let _ = unverified.verify(Some(&pin));
    }
    if let Ok(roster) = Roster::parse(data, None) {
        assert_eq!(roster.to_bytes(), data);
    }
});
