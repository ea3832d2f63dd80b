//! The team policy a roster v2 carries beside its members: what a field device does with a case
//! after handover, which roles may read sealed identity fields, when the roster is valid, and
//! the commitment to the next HQ root key. A v1 roster carries none of it and reads as
//! [`RosterPolicy::default`], which is what every v1 team already did.
//!
//! Each field has one canonical encoding (see the byte layout in the roster module): a decoder
//! refuses every other byte pattern, so a signed roster means exactly one policy.

use std::num::NonZeroU16;

use cairn_crypto::ROOT_COMMITMENT_LEN;

use crate::{Role, TeamError};

/// What a field device does with a case once HQ has confirmed its handover with a receipt.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum HandoverPurge {
    /// Keep the case on the device (nothing is destroyed without HQ asking for it).
    #[default]
    Keep,
    /// Purge the case (its chunks and its key) as soon as the receipt arrives.
    Immediately,
    /// Purge the case this many days after the receipt arrived.
    AfterDays(NonZeroU16),
}

impl HandoverPurge {
    const KEEP: u8 = 0;
    const IMMEDIATELY: u8 = 1;
    const AFTER_DAYS: u8 = 2;

    /// The 3-byte encoding: kind (0 keep, 1 immediately, 2 after days) ‖ u16 LE days (0 unless
    /// kind 2).
    pub(crate) fn encode(self) -> [u8; 3] {
        let (kind, days) = match self {
            HandoverPurge::Keep => (Self::KEEP, 0),
            HandoverPurge::Immediately => (Self::IMMEDIATELY, 0),
            HandoverPurge::AfterDays(days) => (Self::AFTER_DAYS, days.get()),
        };
        let days = days.to_le_bytes();
        [kind, days[0], days[1]]
    }

    pub(crate) fn decode(kind: u8, days: u16) -> Result<Self, TeamError> {
        let malformed = TeamError::Malformed { what: "roster handover purge policy" };
        match (kind, days) {
            (Self::KEEP, 0) => Ok(HandoverPurge::Keep),
            (Self::IMMEDIATELY, 0) => Ok(HandoverPurge::Immediately),
            // Zero days is "immediately", which has its own encoding.
            (Self::AFTER_DAYS, days) => NonZeroU16::new(days).map(HandoverPurge::AfterDays).ok_or(malformed),
            _ => Err(malformed),
        }
    }
}

/// A set of roles, one bit each (bit 0 field, bit 1 coordinator, bit 2 hq).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct RoleSet(u8);

impl RoleSet {
    const ALL_BITS: u8 = 0b111;

    /// Only HQ devices: identity fields are sealed to HQ's intake key and open nowhere else.
    pub const HQ_ONLY: RoleSet = RoleSet(Self::bit(Role::Hq));

    const fn bit(role: Role) -> u8 {
        match role {
            Role::Field => 1,
            Role::Coordinator => 2,
            Role::Hq => 4,
        }
    }

    /// The set of these roles.
    pub fn of(roles: &[Role]) -> RoleSet {
        RoleSet(roles.iter().fold(0, |bits, role| bits | Self::bit(*role)))
    }

    /// Whether `role` is in the set.
    pub fn contains(self, role: Role) -> bool {
        self.0 & Self::bit(role) != 0
    }

    /// The roles in the set, in the order field, coordinator, hq.
    pub fn roles(self) -> Vec<Role> {
        [Role::Field, Role::Coordinator, Role::Hq].into_iter().filter(|role| self.contains(*role)).collect()
    }

    /// The encoded byte.
    pub fn bits(self) -> u8 {
        self.0
    }

    /// Decodes a byte; unknown bits are refused rather than ignored, so a later role cannot be
    /// granted by a build that does not know it.
    pub fn from_bits(bits: u8) -> Option<RoleSet> {
        (bits & !Self::ALL_BITS == 0).then_some(RoleSet(bits))
    }
}

/// When a roster may be accepted, in milliseconds since the Unix epoch, both ends inclusive.
///
/// The clock is always the caller's: nothing in this crate reads the time, so verification
/// stays a pure function of the bytes and the `now` it is given.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Validity {
    /// Not accepted before this instant (0: no lower bound).
    pub not_before_ms: u64,
    /// Not accepted after this instant (`u64::MAX`: no upper bound).
    pub not_after_ms: u64,
}

impl Validity {
    /// No bounds: what a v1 roster means, and what HQ issues unless told otherwise.
    pub const ALWAYS: Validity = Validity { not_before_ms: 0, not_after_ms: u64::MAX };

    /// One day in milliseconds.
    pub const DAY_MS: u64 = 24 * 60 * 60 * 1000;

    /// How far before its issue a roster HQ issues for a number of days is already valid: a
    /// device whose clock is up to this much behind HQ's still accepts it (a roster refused as
    /// not yet valid would keep revocations out).
    pub const CLOCK_ALLOWANCE_MS: u64 = Self::DAY_MS;

    /// The period of a roster issued at `issued_at_ms` (HQ's clock) and valid for `days` days:
    /// from [`Validity::CLOCK_ALLOWANCE_MS`] before the issue to `days` days after it.
    pub fn for_days(issued_at_ms: u64, days: NonZeroU16) -> Validity {
        Validity {
            not_before_ms: issued_at_ms.saturating_sub(Self::CLOCK_ALLOWANCE_MS),
            not_after_ms: issued_at_ms.saturating_add(u64::from(days.get()) * Self::DAY_MS),
        }
    }

    /// Whether the period has an end.
    pub fn is_bounded(&self) -> bool {
        self.not_after_ms != u64::MAX
    }

    /// Whether the period is well-formed (it does not end before it begins).
    pub fn is_well_formed(&self) -> bool {
        self.not_before_ms <= self.not_after_ms
    }

    /// Checks `now_ms` against the period: [`TeamError::RosterNotYetValid`] before it,
    /// [`TeamError::RosterExpired`] after it.
    pub fn check(&self, now_ms: u64) -> Result<(), TeamError> {
        if now_ms < self.not_before_ms {
            return Err(TeamError::RosterNotYetValid);
        }
        if now_ms > self.not_after_ms {
            return Err(TeamError::RosterExpired);
        }
        Ok(())
    }
}

impl Default for Validity {
    fn default() -> Self {
        Validity::ALWAYS
    }
}

/// The policy fields of a roster (format v2; a v1 roster reads as the default).
///
/// `next_root` is the pre-rotation commitment: `cairn_crypto::next_root_commitment` of the HQ
/// root key that will sign after the current one. HQ generates that key pair when it sets the
/// commitment and keeps it offline, apart from the current root. Rotation (a later issue) will
/// be a roster signed by the new root whose public key hashes to the commitment in the roster
/// the device holds; a device then moves its pin to the new root only on that match, so a thief
/// of the current root key alone cannot take the organisation over by rotating to a key of its
/// own. For the same reason a roster signed by the same root may not change or drop a
/// commitment once it is set (`device::accept_roster`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct RosterPolicy {
    /// What a field device does with a case after a handover receipt.
    pub handover_purge: HandoverPurge,
    /// The roles whose devices may read sealed identity fields (always including HQ).
    pub identity_readers: RoleSet,
    /// When the roster may be accepted.
    pub validity: Validity,
    /// The commitment to the next root key, if HQ has made one.
    pub next_root: Option<[u8; ROOT_COMMITMENT_LEN]>,
}

impl Default for RosterPolicy {
    fn default() -> Self {
        RosterPolicy {
            handover_purge: HandoverPurge::Keep,
            identity_readers: RoleSet::HQ_ONLY,
            validity: Validity::ALWAYS,
            next_root: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn purge_policies_have_one_encoding_each() {
        let days = NonZeroU16::new(30).expect("non-zero");
        for policy in [HandoverPurge::Keep, HandoverPurge::Immediately, HandoverPurge::AfterDays(days)] {
            let [kind, low, high] = policy.encode();
            assert_eq!(HandoverPurge::decode(kind, u16::from_le_bytes([low, high])), Ok(policy));
        }
        let malformed = Err(TeamError::Malformed { what: "roster handover purge policy" });
        for (kind, days) in [(0, 1), (1, 7), (2, 0), (3, 0), (255, 9)] {
            assert_eq!(HandoverPurge::decode(kind, days), malformed, "{kind} {days}");
        }
    }

    #[test]
    fn role_sets_refuse_unknown_bits() {
        let set = RoleSet::of(&[Role::Coordinator, Role::Hq]);
        assert_eq!(set.roles(), vec![Role::Coordinator, Role::Hq]);
        assert!(!set.contains(Role::Field));
        assert_eq!(RoleSet::from_bits(set.bits()), Some(set));
        assert_eq!(RoleSet::from_bits(0b1000), None);
        assert_eq!(RoleSet::from_bits(0x80 | 0b100), None);
    }

    #[test]
    fn validity_is_inclusive_and_reports_which_side() {
        let period = Validity { not_before_ms: 1_000, not_after_ms: 2_000 };
        assert_eq!(period.check(999), Err(TeamError::RosterNotYetValid));
        assert_eq!(period.check(1_000), Ok(()));
        assert_eq!(period.check(2_000), Ok(()));
        assert_eq!(period.check(2_001), Err(TeamError::RosterExpired));
        assert_eq!(Validity::ALWAYS.check(0), Ok(()));
        assert_eq!(Validity::ALWAYS.check(u64::MAX), Ok(()));
        assert!(!Validity { not_before_ms: 2, not_after_ms: 1 }.is_well_formed());
    }

    #[test]
    fn a_period_in_days_starts_a_day_early_for_slow_clocks_and_ends_days_after_issue() {
        let issued = 1_750_000_000_000;
        let period = Validity::for_days(issued, NonZeroU16::new(30).expect("non-zero"));
        assert_eq!(period.not_before_ms, issued - Validity::DAY_MS);
        assert_eq!(period.not_after_ms, issued + 30 * Validity::DAY_MS);
        assert!(period.is_bounded() && period.is_well_formed());
        assert_eq!(period.check(issued - Validity::DAY_MS), Ok(()));
        assert_eq!(period.check(issued - Validity::DAY_MS - 1), Err(TeamError::RosterNotYetValid));
        assert_eq!(period.check(issued + 30 * Validity::DAY_MS + 1), Err(TeamError::RosterExpired));
        assert!(!Validity::ALWAYS.is_bounded());
        // Near the ends of time nothing overflows.
        let late = Validity::for_days(u64::MAX - 1, NonZeroU16::MAX);
        assert_eq!(late.not_after_ms, u64::MAX);
        assert_eq!(Validity::for_days(0, NonZeroU16::MIN).not_before_ms, 0);
    }
}
