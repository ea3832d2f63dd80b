//! Fingerprints: short digit strings two people compare aloud or on screen, so a device's
//! keys (at enrollment) and the organisation's root key (at a device's first roster import)
//! are checked in person rather than trusted from a file.
//!
//! Format v1: `digest = SHA-256("cairn/fingerprint/v1" ‖ 0x00 ‖ kind ‖ fields)`, where kind
//! is 1 for a device (fields: device id[16] ‖ Ed25519 key[32] ‖ X25519 key[32]) and 2 for an
//! organisation (fields: organisation id[16] ‖ root key[32]). Group i (of
//! [`FINGERPRINT_GROUPS`]) is `digest[5i..5i+5]` read as a big-endian integer, modulo 10^5,
//! written as five digits: 30 digits, about 99.7 bits. Forging a key with the same
//! fingerprint as a given one is a second-preimage search of about 2^99 hashes; digits read
//! the same in Korean and English.

use sha2::{Digest, Sha256};

use crate::{AgreementPublicKey, CryptoError, SigningPublicKey};

/// Number of digit groups in a fingerprint.
pub const FINGERPRINT_GROUPS: usize = 6;
/// Digits per group.
pub const FINGERPRINT_GROUP_DIGITS: usize = 5;
const MODULUS: u64 = 100_000;

/// A human-comparable fingerprint: [`FINGERPRINT_GROUPS`] groups of five digits.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Fingerprint([u32; FINGERPRINT_GROUPS]);

impl Fingerprint {
    /// The fingerprint of a device: its id and both public keys.
    pub fn of_device(device_id: &[u8; 16], signing: &SigningPublicKey, agreement: &AgreementPublicKey) -> Self {
        Self::digest(1, &[device_id, signing.as_bytes(), agreement.as_bytes()])
    }

    /// The fingerprint of an organisation: its id and the HQ root signing key.
    pub fn of_organisation(org_id: &[u8; 16], root: &SigningPublicKey) -> Self {
        Self::digest(2, &[org_id, root.as_bytes()])
    }

    fn digest(kind: u8, fields: &[&[u8]]) -> Self {
        let mut hasher = Sha256::new();
        hasher.update(b"cairn/fingerprint/v1");
        hasher.update([0, kind]);
        for field in fields {
            hasher.update(field);
        }
        let digest = hasher.finalize();
        let mut groups = [0u32; FINGERPRINT_GROUPS];
        for (i, group) in groups.iter_mut().enumerate() {
            let value = digest[5 * i..5 * i + 5].iter().fold(0u64, |acc, &byte| (acc << 8) | u64::from(byte));
            *group = u32::try_from(value % MODULUS).expect("a value below 10^5 fits in u32");
        }
        Self(groups)
    }

    /// Parses a fingerprint as a person typed or scanned it: spaces, dashes and dots are
    /// ignored; anything else but ASCII digits is refused, as is the wrong number of digits.
    pub fn parse(typed: &str) -> Result<Self, CryptoError> {
        let malformed = CryptoError::Malformed { what: "fingerprint" };
        let mut groups = [0u32; FINGERPRINT_GROUPS];
        let mut count = 0usize;
        for c in typed.chars() {
            match c {
                ' ' | '-' | '.' | '\t' | '\n' | '\r' => continue,
                '0'..='9' => {
                    if count == FINGERPRINT_GROUPS * FINGERPRINT_GROUP_DIGITS {
                        return Err(malformed);
                    }
                    let group = &mut groups[count / FINGERPRINT_GROUP_DIGITS];
                    *group = *group * 10 + (c as u32 - '0' as u32);
                    count += 1;
                }
                _ => return Err(malformed),
            }
        }
        if count != FINGERPRINT_GROUPS * FINGERPRINT_GROUP_DIGITS {
            return Err(malformed);
        }
        Ok(Self(groups))
    }
}

impl std::fmt::Display for Fingerprint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for (i, group) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(" ")?;
            }
            write!(f, "{group:05}")?;
        }
        Ok(())
    }
}

impl std::fmt::Debug for Fingerprint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Fingerprint({self})")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{AgreementSecretKey, SigningSecretKey};

    #[test]
    fn display_parse_round_trip_and_sloppy_input() {
        for _ in 0..50 {
            let signing = SigningSecretKey::generate().public_key();
            let agreement = AgreementSecretKey::generate().public_key();
            let fingerprint = Fingerprint::of_device(&[7; 16], &signing, &agreement);
            let shown = fingerprint.to_string();
            assert_eq!(shown.len(), FINGERPRINT_GROUPS * 6 - 1);
            assert_eq!(Fingerprint::parse(&shown), Ok(fingerprint));
            assert_eq!(Fingerprint::parse(&shown.replace(' ', "")), Ok(fingerprint));
            assert_eq!(Fingerprint::parse(&shown.replace(' ', "-")), Ok(fingerprint));
        }
    }

    #[test]
    fn wrong_lengths_and_characters_are_refused() {
        let shown = Fingerprint::of_organisation(&[1; 16], &SigningSecretKey::generate().public_key()).to_string();
        assert!(Fingerprint::parse(&shown[..shown.len() - 1]).is_err());
        assert!(Fingerprint::parse(&format!("{shown}1")).is_err());
        // All 30 digits present, plus a letter: refused rather than skipped.
        assert!(Fingerprint::parse(&shown.replacen(' ', "O", 1)).is_err());
        assert!(Fingerprint::parse("").is_err());
        assert!(Fingerprint::parse("１２３４５").is_err());
    }

    #[test]
    fn every_input_field_changes_the_fingerprint() {
        let signing = SigningSecretKey::generate().public_key();
        let agreement = AgreementSecretKey::generate().public_key();
        let base = Fingerprint::of_device(&[7; 16], &signing, &agreement);
        assert_ne!(base, Fingerprint::of_device(&[8; 16], &signing, &agreement));
        assert_ne!(base, Fingerprint::of_device(&[7; 16], &SigningSecretKey::generate().public_key(), &agreement));
        assert_ne!(base, Fingerprint::of_device(&[7; 16], &signing, &AgreementSecretKey::generate().public_key()));
        // Device and organisation fingerprints are domain-separated.
        assert_ne!(Fingerprint::of_organisation(&[7; 16], &signing), Fingerprint::of_device(&[7; 16], &signing, &agreement));
    }
}
