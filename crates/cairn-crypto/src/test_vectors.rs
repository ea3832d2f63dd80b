//! Keys from fixed bytes, for golden vectors in other crates' tests (feature `test-vectors`).
//!
//! Never enable this feature in a build that handles real data: a key made here is only as
//! secret as the test source it came from.

use crate::{AgreementSecretKey, SigningSecretKey, TeamKey};

/// An Ed25519 key from a fixed seed.
pub fn signing_key(seed: [u8; 32]) -> SigningSecretKey {
    SigningSecretKey::from_seed(&seed)
}

/// An X25519 key from fixed bytes.
pub fn agreement_key(bytes: [u8; 32]) -> AgreementSecretKey {
    AgreementSecretKey::from_bytes(&bytes)
}

/// A team key from fixed bytes.
pub fn team_key(bytes: [u8; 32]) -> TeamKey {
    TeamKey::from_bytes(&bytes)
}

/// A change envelope in format v1, which this version no longer seals (its changes carry no
/// custody): for tests that prove v1 envelopes from older devices still open.
pub fn seal_change_v1(
    key: &crate::CaseKey,
    context: &crate::ChangeContext,
    change: &[u8],
) -> Result<Vec<u8>, crate::CryptoError> {
    crate::change::seal_change_v1_with_nonce(key, context, change, crate::random_array())
}
