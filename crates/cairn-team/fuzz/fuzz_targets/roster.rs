//! Roster decoding and verification on arbitrary bytes (format v1 and v2): an error, never a
//! panic; whatever decodes re-encodes to the same bytes, and whatever verifies obeys the
//! documented rules of its policy and earlier epochs.
#![no_main]

use cairn_team::{Role, Roster};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(unverified) = Roster::decode(data) {
        let pin = unverified.pin();
        let _ = unverified.verify(Some(&pin));
    }
    if let Ok(roster) = Roster::parse(data, None) {
        assert_eq!(roster.to_bytes(), data);
        let policy = roster.policy();
        assert!(policy.validity.is_well_formed());
        assert!(policy.identity_readers.contains(Role::Hq));
        for now in [0, policy.validity.not_before_ms, policy.validity.not_after_ms, u64::MAX] {
            let _ = roster.check_validity(now);
        }
        let earlier = roster.earlier_epochs();
        assert!(earlier.windows(2).all(|pair| pair[0].epoch < pair[1].epoch));
        assert!(earlier.iter().all(|entry| entry.epoch >= 1 && entry.epoch < roster.epoch()));
        assert!(roster.format_version() == 2 || (earlier.is_empty() && *policy == Default::default()));
    }
});
