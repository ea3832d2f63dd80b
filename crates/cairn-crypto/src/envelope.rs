//! Record envelopes: one sealed chunk of a case document (an Automerge change or snapshot).
//!
//! Format v1:
//!
//! ```text
//! u8   format version (1)
//! u32  key version (LE)
//! [24] nonce (random)
//! ...  XChaCha20-Poly1305(DEK_case, padded plaintext, AAD) with a 16-byte tag
//!      padded plaintext = u32 length (LE) ‖ plaintext ‖ zeros up to the Padmé size
//!      AAD = "cairn/record/v1" ‖ version ‖ case id ‖ document id ‖ chunk id (u64 LE) ‖ key version
//! ```
//!
//! The AAD binds an envelope to its place: moved to another case, document or chunk
//! position, or presented under another key version, it fails to open.

use chacha20poly1305::{
    XNonce,
    aead::{Aead, Payload},
};
use zeroize::Zeroizing;

use crate::{CaseKey, CryptoError, padding::padded_len, random_array};

const FORMAT_V1: u8 = 1;
const HEADER_LEN: usize = 1 + 4 + 24;
const TAG_LEN: usize = 16;

/// Largest plaintext a record may hold (64 MiB); larger content belongs in a blob.
pub const MAX_RECORD_LEN: usize = 64 * 1024 * 1024;

/// Where a record belongs. Every field is authenticated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RecordContext {
    /// The case the record belongs to.
    pub case_id: [u8; 16],
    /// The document inside the case.
    pub doc_id: [u8; 16],
    /// The chunk's position in the document's log.
    pub chunk_id: u64,
    /// The version of the case key that sealed it.
    pub key_version: u32,
}

impl RecordContext {
    fn aad(&self) -> Vec<u8> {
        let mut aad = Vec::with_capacity(64);
        aad.extend_from_slice(b"cairn/record/v1");
        aad.push(FORMAT_V1);
        aad.extend_from_slice(&self.case_id);
        aad.extend_from_slice(&self.doc_id);
        aad.extend_from_slice(&self.chunk_id.to_le_bytes());
        aad.extend_from_slice(&self.key_version.to_le_bytes());
        aad
    }
}

/// Pads `plaintext` (u32 length ‖ plaintext ‖ zeros up to the Padmé size) and seals it under
/// the case key: the body of record and change envelopes.
pub(crate) fn seal_padded(
    key: &CaseKey,
    nonce: [u8; 24],
    aad: &[u8],
    plaintext: &[u8],
    what: &'static str,
) -> Result<Vec<u8>, CryptoError> {
    let mut padded = Zeroizing::new(vec![0u8; padded_len(4 + plaintext.len())]);
    padded[..4].copy_from_slice(&(plaintext.len() as u32).to_le_bytes());
    padded[4..4 + plaintext.len()].copy_from_slice(plaintext);
    key.cipher()
        .encrypt(&XNonce::from(nonce), Payload { msg: padded.as_slice(), aad })
        .map_err(|_| CryptoError::TooLarge { what })
}

/// Opens what [`seal_padded`] sealed and removes the padding, refusing padding that is not
/// all zeros (only a buggy or hostile sealer produces it).
pub(crate) fn open_padded(
    key: &CaseKey,
    nonce: &[u8],
    aad: &[u8],
    sealed: &[u8],
    what: &'static str,
) -> Result<Zeroizing<Vec<u8>>, CryptoError> {
    let nonce = XNonce::try_from(nonce).map_err(|_| CryptoError::Malformed { what })?;
    let padded =
        Zeroizing::new(key.cipher().decrypt(&nonce, Payload { msg: sealed, aad }).map_err(|_| CryptoError::Tampered)?);
    let len = u32::from_le_bytes([padded[0], padded[1], padded[2], padded[3]]) as usize;
    if len > padded.len() - 4 || padded[4 + len..].iter().any(|&b| b != 0) {
        return Err(CryptoError::Malformed { what });
    }
    Ok(Zeroizing::new(padded[4..4 + len].to_vec()))
}

/// Seals `plaintext` for `context` under the case key.
pub fn seal_record(key: &CaseKey, context: &RecordContext, plaintext: &[u8]) -> Result<Vec<u8>, CryptoError> {
    seal_record_with_nonce(key, context, plaintext, random_array())
}

pub(crate) fn seal_record_with_nonce(
    key: &CaseKey,
    context: &RecordContext,
    plaintext: &[u8],
    nonce: [u8; 24],
) -> Result<Vec<u8>, CryptoError> {
    if plaintext.len() > MAX_RECORD_LEN {
        return Err(CryptoError::TooLarge { what: "record" });
    }
    let sealed = seal_padded(key, nonce, &context.aad(), plaintext, "record")?;
    let mut out = Vec::with_capacity(HEADER_LEN + sealed.len());
    out.push(FORMAT_V1);
    out.extend_from_slice(&context.key_version.to_le_bytes());
    out.extend_from_slice(&nonce);
    out.extend_from_slice(&sealed);
    Ok(out)
}

/// Opens an envelope sealed by [`seal_record`] for exactly this `context`.
pub fn open_record(key: &CaseKey, context: &RecordContext, envelope: &[u8]) -> Result<Zeroizing<Vec<u8>>, CryptoError> {
    let malformed = CryptoError::Malformed { what: "record envelope" };
    let Some(&version) = envelope.first() else { return Err(malformed) };
    if version != FORMAT_V1 {
        return Err(CryptoError::UnsupportedVersion { what: "record envelope", version: version.into() });
    }
    if envelope.len() < HEADER_LEN + 4 + TAG_LEN || envelope.len() > HEADER_LEN + padded_len(4 + MAX_RECORD_LEN) + TAG_LEN {
        return Err(malformed);
    }
    let key_version = u32::from_le_bytes([envelope[1], envelope[2], envelope[3], envelope[4]]);
    if key_version != context.key_version {
        return Err(CryptoError::Tampered);
    }
    open_padded(key, &envelope[5..HEADER_LEN], &context.aad(), &envelope[HEADER_LEN..], "record envelope")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keys::test_keys::case_key;

    fn context() -> RecordContext {
        RecordContext { case_id: [1; 16], doc_id: [2; 16], chunk_id: 3, key_version: 1 }
    }

    #[test]
    fn round_trip_and_length_hiding() {
        let key = case_key(9);
        for len in [0usize, 1, 100, 251, 252, 253, 1000, 70_000] {
            let plain: Vec<u8> = (0..len).map(|i| i as u8).collect();
            let sealed = seal_record(&key, &context(), &plain).expect("seal");
            assert_eq!(&*open_record(&key, &context(), &sealed).expect("open"), &plain);
            assert_eq!(sealed.len(), HEADER_LEN + padded_len(4 + len) + TAG_LEN);
        }
        let short = seal_record(&key, &context(), b"a").expect("seal");
        let longer = seal_record(&key, &context(), &[b'a'; 200]).expect("seal");
        assert_eq!(short.len(), longer.len(), "short records must not reveal their length");
    }

    #[test]
    fn every_flipped_byte_is_refused() {
        let key = case_key(9);
        let sealed = seal_record(&key, &context(), "증언 testimony".as_bytes()).expect("seal");
        for i in 0..sealed.len() {
            for bit in [0x01u8, 0x80] {
                let mut tampered = sealed.clone();
                tampered[i] ^= bit;
                assert!(open_record(&key, &context(), &tampered).is_err(), "byte {i} bit {bit:#x} accepted");
            }
        }
        for len in 0..sealed.len() {
            assert!(open_record(&key, &context(), &sealed[..len]).is_err(), "truncated to {len} accepted");
        }
    }

    #[test]
    fn moved_envelopes_are_refused() {
        let key = case_key(9);
        let sealed = seal_record(&key, &context(), b"note").expect("seal");
        let moves = [
            RecordContext { case_id: [9; 16], ..context() },
            RecordContext { doc_id: [9; 16], ..context() },
            RecordContext { chunk_id: 4, ..context() },
            RecordContext { key_version: 2, ..context() },
        ];
        for moved in moves {
            assert_eq!(open_record(&key, &moved, &sealed).err(), Some(CryptoError::Tampered), "{moved:?}");
        }
        assert_eq!(open_record(&case_key(8), &context(), &sealed).err(), Some(CryptoError::Tampered));
    }
}
