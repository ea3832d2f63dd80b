//! Change envelopes: one Automerge change of a case document sealed under the case key so it
//! can travel (a live link, a USB bundle, a relay) and be opened by any device that holds the
//! case key. Unlike a record envelope it is bound to its case, document and key, never to a
//! row of one device's vault, so it means the same thing everywhere.
//!
//! Format v1:
//!
//! ```text
//! u8   format version (1)
//! [16] key id (names the case key: random, so two offline devices never collide)
//! [24] nonce (random)
//! ...  XChaCha20-Poly1305(DEK_case, padded change, AAD) with a 16-byte tag
//!      padded change = u32 length (LE) ‖ change ‖ zeros up to the Padmé size
//!      AAD = "cairn/change/v1" ‖ version ‖ case id ‖ document id ‖ key id
//! ```
//!
//! Moved to another case or document, or presented as sealed under another key, it fails to
//! open. The content itself is authenticated by the AEAD tag.

use zeroize::Zeroizing;

use crate::{
    CaseKey, CryptoError,
    envelope::{open_padded, seal_padded},
    padding::padded_len,
    random_array,
};

const FORMAT_V1: u8 = 1;
const HEADER_LEN: usize = 1 + 16 + 24;
const TAG_LEN: usize = 16;

/// Largest change an envelope may hold (16 MiB; a change of a case document is far smaller).
pub const MAX_CHANGE_LEN: usize = 16 * 1024 * 1024;

/// Where a change belongs. Every field is authenticated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChangeContext {
    /// The case.
    pub case_id: [u8; 16],
    /// The document inside the case.
    pub doc_id: [u8; 16],
    /// The id of the case key that seals it.
    pub key_id: [u8; 16],
}

impl ChangeContext {
    fn aad(&self) -> Vec<u8> {
        let mut aad = Vec::with_capacity(64);
        aad.extend_from_slice(b"cairn/change/v1");
        aad.push(FORMAT_V1);
        aad.extend_from_slice(&self.case_id);
        aad.extend_from_slice(&self.doc_id);
        aad.extend_from_slice(&self.key_id);
        aad
    }
}

/// Seals one change for `context` under the case key named by `context.key_id`.
pub fn seal_change(key: &CaseKey, context: &ChangeContext, change: &[u8]) -> Result<Vec<u8>, CryptoError> {
    seal_change_with_nonce(key, context, change, random_array())
}

pub(crate) fn seal_change_with_nonce(
    key: &CaseKey,
    context: &ChangeContext,
    change: &[u8],
    nonce: [u8; 24],
) -> Result<Vec<u8>, CryptoError> {
    if change.len() > MAX_CHANGE_LEN {
        return Err(CryptoError::TooLarge { what: "change" });
    }
    let sealed = seal_padded(key, nonce, &context.aad(), change, "change")?;
    Ok(keyed_envelope(FORMAT_V1, &context.key_id, &nonce, &sealed))
}

/// `version ‖ [16] key id ‖ [24] nonce ‖ sealed`: how change envelopes and blob parts are laid
/// out (read back with [`key_id_after_version`]).
pub(crate) fn keyed_envelope(version: u8, key_id: &[u8; 16], nonce: &[u8; 24], sealed: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(1 + 16 + 24 + sealed.len());
    out.push(version);
    out.extend_from_slice(key_id);
    out.extend_from_slice(nonce);
    out.extend_from_slice(sealed);
    out
}

/// The id of the key a change envelope names (to find the key before opening it).
pub fn change_key_id(envelope: &[u8]) -> Result<[u8; 16], CryptoError> {
    key_id_after_version(envelope, FORMAT_V1, "change envelope")
}

/// The key id that follows the version byte of an envelope (`version ‖ [16] key id ‖ …`),
/// after checking the version: what change envelopes and blob parts start with.
pub(crate) fn key_id_after_version(envelope: &[u8], expected: u8, what: &'static str) -> Result<[u8; 16], CryptoError> {
    let Some(&version) = envelope.first() else { return Err(CryptoError::Malformed { what }) };
    if version != expected {
        return Err(CryptoError::UnsupportedVersion { what, version: version.into() });
    }
    envelope.get(1..17).and_then(|id| <[u8; 16]>::try_from(id).ok()).ok_or(CryptoError::Malformed { what })
}

/// Opens an envelope sealed by [`seal_change`] for exactly this `context`.
pub fn open_change(key: &CaseKey, context: &ChangeContext, envelope: &[u8]) -> Result<Zeroizing<Vec<u8>>, CryptoError> {
    let malformed = CryptoError::Malformed { what: "change envelope" };
    if change_key_id(envelope)? != context.key_id {
        return Err(CryptoError::Tampered);
    }
    if envelope.len() < HEADER_LEN + 4 + TAG_LEN || envelope.len() > HEADER_LEN + padded_len(4 + MAX_CHANGE_LEN) + TAG_LEN {
        return Err(malformed);
    }
    open_padded(key, &envelope[17..HEADER_LEN], &context.aad(), &envelope[HEADER_LEN..], "change envelope")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keys::test_keys::case_key;

    fn context() -> ChangeContext {
        ChangeContext { case_id: [1; 16], doc_id: [2; 16], key_id: [3; 16] }
    }

    #[test]
    fn round_trip_hides_short_lengths() {
        let key = case_key(5);
        for len in [0usize, 1, 100, 300, 70_000] {
            let change: Vec<u8> = (0..len).map(|i| (i * 7) as u8).collect();
            let sealed = seal_change(&key, &context(), &change).expect("seal");
            assert_eq!(change_key_id(&sealed).expect("key id"), [3; 16]);
            assert_eq!(&*open_change(&key, &context(), &sealed).expect("open"), &change);
        }
        let short = seal_change(&key, &context(), b"a").expect("seal");
        let longer = seal_change(&key, &context(), &[b'a'; 200]).expect("seal");
        assert_eq!(short.len(), longer.len());
    }

    #[test]
    fn flipped_truncated_or_moved_envelopes_are_refused() {
        let key = case_key(5);
        let sealed = seal_change(&key, &context(), "변경 change".as_bytes()).expect("seal");
        for index in 0..sealed.len() {
            let mut tampered = sealed.clone();
            tampered[index] ^= 0x01;
            assert!(open_change(&key, &context(), &tampered).is_err(), "byte {index}");
        }
        for len in 0..sealed.len() {
            assert!(open_change(&key, &context(), &sealed[..len]).is_err(), "truncated to {len}");
        }
        for moved in [
            ChangeContext { case_id: [9; 16], ..context() },
            ChangeContext { doc_id: [9; 16], ..context() },
            ChangeContext { key_id: [9; 16], ..context() },
        ] {
            assert_eq!(open_change(&key, &moved, &sealed).err(), Some(CryptoError::Tampered), "{moved:?}");
        }
        assert_eq!(open_change(&case_key(6), &context(), &sealed).err(), Some(CryptoError::Tampered));
    }
}
