//! Attachments in transit: their address, and the envelope each part travels in.
//!
//! An attachment is named between devices by its **address**, a keyed hash of its content, so
//! that a carrier (a courier's USB stick, a relay) who holds a known file cannot confirm that a
//! bundle or a link carries it. The key is derived from the case key of the device that
//! attached the file, so the same content attached twice to one case gets one address and
//! travels once; the address is recorded in the (sealed) case document and every other device
//! reuses it as given, never recomputing it.
//!
//! ```text
//! address = HKDF-SHA256(salt = "cairn/attachment-address/v1", ikm = DEK_case)
//!             .expand(info = SHA-256(content) ‖ length (u64 LE), 32 bytes)
//! ```
//!
//! A part is [`BLOB_CHUNK_LEN`](crate::BLOB_CHUNK_LEN) bytes of the content (the last part
//! fewer, possibly none), sealed under the case key. Format v1:
//!
//! ```text
//! u8   format version (1)
//! [16] key id (names the case key)
//! [24] nonce (random)
//! ...  XChaCha20-Poly1305(DEK_case, part, AAD) with a 16-byte tag
//!      AAD = "cairn/blob-part/v1" ‖ version ‖ case id ‖ address ‖ position (u32 LE)
//!            ‖ last (u8: 1 for the final part) ‖ key id
//! ```
//!
//! Moved to another case, attachment or position, presented under another key, or cut short
//! (a non-final part presented as the last), a part fails to open. Parts are not padded: every
//! part but the last has the same length, and the content's length is in the case document.

use chacha20poly1305::{
    XNonce,
    aead::{Aead, Payload},
};
use hkdf::Hkdf;
use sha2::Sha256;
use zeroize::Zeroizing;

use crate::{BLOB_CHUNK_LEN, CaseKey, ContentHash, CryptoError, random_array};

const FORMAT_V1: u8 = 1;
const HEADER_LEN: usize = 1 + 16 + 24;
const TAG_LEN: usize = 16;

/// The largest sealed part, in bytes.
pub const MAX_SEALED_PART_LEN: usize = HEADER_LEN + BLOB_CHUNK_LEN + TAG_LEN;

/// An attachment's address: a keyed hash of its content (see the module docs).
pub type AttachmentAddress = [u8; 32];

/// The address of content whose SHA-256 is `content_hash` and length `len`, under `key`.
pub fn attachment_address(key: &CaseKey, content_hash: &ContentHash, len: u64) -> AttachmentAddress {
    let mut info = [0u8; 40];
    info[..32].copy_from_slice(content_hash);
    info[32..].copy_from_slice(&len.to_le_bytes());
    let mut address = [0u8; 32];
    Hkdf::<Sha256>::new(Some(b"cairn/attachment-address/v1"), key.bytes())
        .expand(&info, &mut address)
        .expect("32 bytes is a valid HKDF-SHA256 output length");
    address
}

/// Where a part belongs. Every field is authenticated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BlobPartContext {
    /// The case.
    pub case_id: [u8; 16],
    /// The attachment's address.
    pub address: AttachmentAddress,
    /// The part's position, from 0.
    pub position: u32,
    /// Whether it is the final part.
    pub last: bool,
    /// The id of the case key that seals it.
    pub key_id: [u8; 16],
}

impl BlobPartContext {
    fn aad(&self) -> Vec<u8> {
        let mut aad = Vec::with_capacity(96);
        aad.extend_from_slice(b"cairn/blob-part/v1");
        aad.push(FORMAT_V1);
        aad.extend_from_slice(&self.case_id);
        aad.extend_from_slice(&self.address);
        aad.extend_from_slice(&self.position.to_le_bytes());
        aad.push(u8::from(self.last));
        aad.extend_from_slice(&self.key_id);
        aad
    }
}

/// Seals one part (at most [`BLOB_CHUNK_LEN`](crate::BLOB_CHUNK_LEN) bytes) for `context`.
pub fn seal_blob_part(key: &CaseKey, context: &BlobPartContext, part: &[u8]) -> Result<Vec<u8>, CryptoError> {
    seal_blob_part_with_nonce(key, context, part, random_array())
}

pub(crate) fn seal_blob_part_with_nonce(
    key: &CaseKey,
    context: &BlobPartContext,
    part: &[u8],
    nonce: [u8; 24],
) -> Result<Vec<u8>, CryptoError> {
    if part.len() > BLOB_CHUNK_LEN {
        return Err(CryptoError::TooLarge { what: "attachment part" });
    }
    let sealed = key
        .cipher()
        .encrypt(&XNonce::from(nonce), Payload { msg: part, aad: &context.aad() })
        .map_err(|_| CryptoError::TooLarge { what: "attachment part" })?;
    Ok(crate::change::keyed_envelope(FORMAT_V1, &context.key_id, &nonce, &sealed))
}

/// The id of the key a sealed part names (to find the key before opening it).
pub fn blob_part_key_id(sealed: &[u8]) -> Result<[u8; 16], CryptoError> {
    crate::change::key_id_after_version(sealed, FORMAT_V1, "attachment part")
}

/// Opens a part sealed by [`seal_blob_part`] for exactly this `context`.
pub fn open_blob_part(key: &CaseKey, context: &BlobPartContext, sealed: &[u8]) -> Result<Zeroizing<Vec<u8>>, CryptoError> {
    if blob_part_key_id(sealed)? != context.key_id {
        return Err(CryptoError::Tampered);
    }
    if sealed.len() < HEADER_LEN + TAG_LEN || sealed.len() > MAX_SEALED_PART_LEN {
        return Err(CryptoError::Malformed { what: "attachment part" });
    }
    let nonce = XNonce::try_from(&sealed[17..HEADER_LEN]).map_err(|_| CryptoError::Malformed { what: "attachment part" })?;
    let plain = key
        .cipher()
        .decrypt(&nonce, Payload { msg: &sealed[HEADER_LEN..], aad: &context.aad() })
        .map_err(|_| CryptoError::Tampered)?;
    Ok(Zeroizing::new(plain))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keys::test_keys::case_key;

    fn context() -> BlobPartContext {
        BlobPartContext { case_id: [1; 16], address: [2; 32], position: 3, last: false, key_id: [4; 16] }
    }

    #[test]
    fn parts_round_trip_up_to_a_chunk() {
        let key = case_key(7);
        for len in [0usize, 1, 1000, BLOB_CHUNK_LEN] {
            let part: Vec<u8> = (0..len).map(|i| (i * 13) as u8).collect();
            let sealed = seal_blob_part(&key, &context(), &part).expect("seal");
            assert_eq!(blob_part_key_id(&sealed).expect("key id"), [4; 16]);
            assert_eq!(&*open_blob_part(&key, &context(), &sealed).expect("open"), &part);
        }
        let too_long = vec![0u8; BLOB_CHUNK_LEN + 1];
        assert!(matches!(seal_blob_part(&key, &context(), &too_long), Err(CryptoError::TooLarge { .. })));
    }

    #[test]
    fn flipped_truncated_moved_or_cut_short_parts_are_refused() {
        let key = case_key(7);
        let sealed = seal_blob_part(&key, &context(), "녹음 part".as_bytes()).expect("seal");
        for index in 0..sealed.len() {
            let mut tampered = sealed.clone();
            tampered[index] ^= 0x01;
            assert!(open_blob_part(&key, &context(), &tampered).is_err(), "byte {index}");
        }
        for len in 0..sealed.len() {
            assert!(open_blob_part(&key, &context(), &sealed[..len]).is_err(), "truncated to {len}");
        }
        let moved = [
            BlobPartContext { case_id: [9; 16], ..context() },
            BlobPartContext { address: [9; 32], ..context() },
            BlobPartContext { position: 4, ..context() },
            BlobPartContext { last: true, ..context() },
        ];
        for other in moved {
            assert_eq!(open_blob_part(&key, &other, &sealed), Err(CryptoError::Tampered));
        }
        assert_eq!(open_blob_part(&case_key(8), &context(), &sealed), Err(CryptoError::Tampered));
    }

    #[test]
    fn addresses_depend_on_key_content_and_length() {
        let hash = [5u8; 32];
        let address = attachment_address(&case_key(1), &hash, 10);
        assert_eq!(address, attachment_address(&case_key(1), &hash, 10));
        assert_ne!(address, attachment_address(&case_key(2), &hash, 10));
        assert_ne!(address, attachment_address(&case_key(1), &[6u8; 32], 10));
        assert_ne!(address, attachment_address(&case_key(1), &hash, 11));
        assert_ne!(&address, &hash, "the address is not the plain content hash");
    }
}
