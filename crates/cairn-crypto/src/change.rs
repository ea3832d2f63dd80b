//! Change envelopes: one Automerge change of a case document sealed under the case key so it
//! can travel (a live link, a USB bundle, a relay) and be opened by any device that holds the
//! case key. Unlike a record envelope it is bound to its case, document and key, never to a
//! row of one device's vault, so it means the same thing everywhere.
//!
//! Format v2 (what this version seals):
//!
//! ```text
//! u8   format version (2)
//! [16] key id (names the case key: random, so two offline devices never collide)
//! [24] nonce (random)
//! ...  XChaCha20-Poly1305(DEK_case, padded body, AAD) with a 16-byte tag
//!      padded body = u32 length (LE) ‖ body ‖ zeros up to the Padmé size
//!      body        = change ‖ custody
//!      custody     = 0x00                                          (no signature)
//!                  | signer device id[16] ‖ Ed25519 signature[64] ‖ 0x01
//!      AAD = "cairn/change/v2" ‖ version ‖ case id ‖ document id ‖ key id
//! ```
//!
//! The custody trailer is the chain of custody of the change: the device that wrote it signs
//! (`SignaturePurpose::ChangeCustody`) case id ‖ document id ‖ the change's Automerge hash
//! (see [`ChangeCustody`]). It travels inside the AEAD, so a carrier learns nothing of who
//! wrote what; a device that relays a change forwards its author's trailer unchanged. "No
//! signature" marks a change written before custody existed. This crate checks the layout
//! only: the change's hash is Automerge's, so the caller verifies the signature.
//!
//! Format v1 (still opened; its changes carry no custody): the same layout, version 1, AAD
//! label `"cairn/change/v1"`, and the padded plaintext holds the change alone.
//!
//! Moved to another case or document, or presented as sealed under another key or version,
//! it fails to open. The content itself is authenticated by the AEAD tag.

use zeroize::Zeroizing;

use crate::{
    CaseKey, CryptoError, SIGNATURE_LEN, Signature, SignaturePurpose, SigningPublicKey, SigningSecretKey,
    envelope::{open_padded, seal_padded},
    padding::padded_len,
    random_array,
};

const FORMAT_V1: u8 = 1;
const FORMAT_V2: u8 = 2;
const HEADER_LEN: usize = 1 + 16 + 24;
const TAG_LEN: usize = 16;
const UNSIGNED: u8 = 0;
const SIGNED: u8 = 1;
/// Length of a signed custody trailer: signer id, signature, flag.
const SIGNED_TRAILER_LEN: usize = 16 + SIGNATURE_LEN + 1;

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
    fn aad(&self, version: u8) -> Vec<u8> {
        let mut aad = Vec::with_capacity(64);
        aad.extend_from_slice(if version == FORMAT_V1 { b"cairn/change/v1" } else { b"cairn/change/v2" });
        aad.push(version);
        aad.extend_from_slice(&self.case_id);
        aad.extend_from_slice(&self.doc_id);
        aad.extend_from_slice(&self.key_id);
        aad
    }
}

/// The chain of custody of one change: the device that wrote it and its Ed25519 signature
/// (`SignaturePurpose::ChangeCustody`) over case id ‖ document id ‖ the change's hash.
/// Public: a device id and a signature, nothing secret.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChangeCustody {
    /// The id of the device that signed.
    pub signer: [u8; 16],
    /// Its signature.
    pub signature: Signature,
}

impl ChangeCustody {
    /// Device `signer` signs, with its signing key, that it wrote the change whose Automerge
    /// hash is `change_hash` in document `doc_id` of case `case_id`.
    pub fn sign(
        signing: &SigningSecretKey,
        signer: [u8; 16],
        case_id: &[u8; 16],
        doc_id: &[u8; 16],
        change_hash: &[u8; 32],
    ) -> Self {
        let signature = signing.sign(SignaturePurpose::ChangeCustody, &custody_message(case_id, doc_id, change_hash));
        ChangeCustody { signer, signature }
    }

    /// Checks the signature with the signer's public key (which the caller finds, by
    /// [`ChangeCustody::signer`], on its roster) for this change of this document and case.
    pub fn verify(
        &self,
        key: &SigningPublicKey,
        case_id: &[u8; 16],
        doc_id: &[u8; 16],
        change_hash: &[u8; 32],
    ) -> Result<(), CryptoError> {
        key.verify(SignaturePurpose::ChangeCustody, &custody_message(case_id, doc_id, change_hash), &self.signature)
    }
}

fn custody_message(case_id: &[u8; 16], doc_id: &[u8; 16], change_hash: &[u8; 32]) -> [u8; 64] {
    let mut message = [0u8; 64];
    message[..16].copy_from_slice(case_id);
    message[16..32].copy_from_slice(doc_id);
    message[32..].copy_from_slice(change_hash);
    message
}

/// A change envelope, opened.
pub struct OpenedChange {
    /// The raw Automerge change.
    pub change: Zeroizing<Vec<u8>>,
    /// Its custody trailer; `None` for a v1 envelope or a change sealed without a signature.
    pub custody: Option<ChangeCustody>,
}

impl std::fmt::Debug for OpenedChange {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OpenedChange").field("len", &self.change.len()).field("custody", &self.custody).finish()
    }
}

/// Seals one change for `context` under the case key named by `context.key_id` (format v2),
/// with its custody trailer (`None`: a change that has no signature).
pub fn seal_change(
    key: &CaseKey,
    context: &ChangeContext,
    change: &[u8],
    custody: Option<&ChangeCustody>,
) -> Result<Vec<u8>, CryptoError> {
    seal_change_with_nonce(key, context, change, custody, random_array())
}

pub(crate) fn seal_change_with_nonce(
    key: &CaseKey,
    context: &ChangeContext,
    change: &[u8],
    custody: Option<&ChangeCustody>,
    nonce: [u8; 24],
) -> Result<Vec<u8>, CryptoError> {
    if change.len() > MAX_CHANGE_LEN {
        return Err(CryptoError::TooLarge { what: "change" });
    }
    let mut body = Zeroizing::new(Vec::with_capacity(change.len() + SIGNED_TRAILER_LEN));
    body.extend_from_slice(change);
    match custody {
        Some(custody) => {
            body.extend_from_slice(&custody.signer);
            body.extend_from_slice(&custody.signature.to_bytes());
            body.push(SIGNED);
        }
        None => body.push(UNSIGNED),
    }
    let sealed = seal_padded(key, nonce, &context.aad(FORMAT_V2), &body, "change")?;
    Ok(keyed_envelope(FORMAT_V2, &context.key_id, &nonce, &sealed))
}

/// The v1 sealing this version no longer does: for the v1 golden vector and for tests that
/// prove v1 envelopes still open.
#[cfg(any(test, feature = "test-vectors"))]
pub(crate) fn seal_change_v1_with_nonce(
    key: &CaseKey,
    context: &ChangeContext,
    change: &[u8],
    nonce: [u8; 24],
) -> Result<Vec<u8>, CryptoError> {
    if change.len() > MAX_CHANGE_LEN {
        return Err(CryptoError::TooLarge { what: "change" });
    }
    let sealed = seal_padded(key, nonce, &context.aad(FORMAT_V1), change, "change")?;
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

/// The id of the key a change envelope (v1 or v2) names (to find the key before opening it).
pub fn change_key_id(envelope: &[u8]) -> Result<[u8; 16], CryptoError> {
    let expected = match envelope.first() {
        Some(&FORMAT_V1) => FORMAT_V1,
        _ => FORMAT_V2,
    };
    key_id_after_version(envelope, expected, "change envelope")
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

/// Opens an envelope sealed by [`seal_change`] (v2, with its custody) or by an earlier version
/// (v1, custody `None`) for exactly this `context`.
pub fn open_change(key: &CaseKey, context: &ChangeContext, envelope: &[u8]) -> Result<OpenedChange, CryptoError> {
    const WHAT: &str = "change envelope";
    let malformed = CryptoError::Malformed { what: WHAT };
    if change_key_id(envelope)? != context.key_id {
        return Err(CryptoError::Tampered);
    }
    let version = envelope[0];
    let largest_body = if version == FORMAT_V1 { MAX_CHANGE_LEN } else { MAX_CHANGE_LEN + SIGNED_TRAILER_LEN };
    if envelope.len() < HEADER_LEN + 4 + TAG_LEN || envelope.len() > HEADER_LEN + padded_len(4 + largest_body) + TAG_LEN {
        return Err(malformed);
    }
    let mut body = open_padded(key, &envelope[17..HEADER_LEN], &context.aad(version), &envelope[HEADER_LEN..], WHAT)?;
    if version == FORMAT_V1 {
        return Ok(OpenedChange { change: body, custody: None });
    }
    let custody = match body.last() {
        Some(&UNSIGNED) => None,
        Some(&SIGNED) if body.len() >= SIGNED_TRAILER_LEN => {
            let trailer = &body[body.len() - SIGNED_TRAILER_LEN..];
            let signer: [u8; 16] = trailer[..16].try_into().map_err(|_| malformed.clone())?;
            let signature: [u8; SIGNATURE_LEN] =
                trailer[16..16 + SIGNATURE_LEN].try_into().map_err(|_| malformed.clone())?;
            Some(ChangeCustody { signer, signature: Signature::from_bytes(signature) })
        }
        _ => return Err(malformed),
    };
    let trailer_len = if custody.is_some() { SIGNED_TRAILER_LEN } else { 1 };
    let change_len = body.len() - trailer_len;
    body.truncate(change_len);
    if body.len() > MAX_CHANGE_LEN {
        return Err(malformed);
    }
    Ok(OpenedChange { change: body, custody })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keys::test_keys::case_key;

    fn context() -> ChangeContext {
        ChangeContext { case_id: [1; 16], doc_id: [2; 16], key_id: [3; 16] }
    }

    fn custody() -> ChangeCustody {
        ChangeCustody::sign(&SigningSecretKey::from_seed(&[4; 32]), [5; 16], &[1; 16], &[2; 16], &[6; 32])
    }

    #[test]
    fn round_trip_hides_short_lengths() {
        let key = case_key(5);
        for len in [0usize, 1, 100, 300, 70_000] {
            let change: Vec<u8> = (0..len).map(|i| (i * 7) as u8).collect();
            for custody in [None, Some(custody())] {
                let sealed = seal_change(&key, &context(), &change, custody.as_ref()).expect("seal");
                assert_eq!(change_key_id(&sealed).expect("key id"), [3; 16]);
                let opened = open_change(&key, &context(), &sealed).expect("open");
                assert_eq!((&**opened.change, opened.custody), (change.as_slice(), custody));
            }
        }
        let short = seal_change(&key, &context(), b"a", None).expect("seal");
        let longer = seal_change(&key, &context(), &[b'a'; 150], Some(&custody())).expect("seal");
        assert_eq!(short.len(), longer.len(), "neither the length nor the custody shows");
    }

    #[test]
    fn custody_signatures_are_bound_to_case_document_change_and_key() {
        let signing = SigningSecretKey::from_seed(&[4; 32]);
        let public = signing.public_key();
        let custody = custody();
        assert_eq!(custody.verify(&public, &[1; 16], &[2; 16], &[6; 32]), Ok(()));
        for (case, doc, hash) in [([9; 16], [2; 16], [6; 32]), ([1; 16], [9; 16], [6; 32]), ([1; 16], [2; 16], [9; 32])] {
            assert_eq!(custody.verify(&public, &case, &doc, &hash), Err(CryptoError::BadSignature));
        }
        let other = SigningSecretKey::from_seed(&[7; 32]).public_key();
        assert_eq!(custody.verify(&other, &[1; 16], &[2; 16], &[6; 32]), Err(CryptoError::BadSignature));
        // Not interchangeable with a signature made for another purpose over the same bytes.
        let message = custody_message(&[1; 16], &[2; 16], &[6; 32]);
        let deletion = ChangeCustody { signature: signing.sign(SignaturePurpose::CaseDeletion, &message), ..custody };
        assert_eq!(deletion.verify(&public, &[1; 16], &[2; 16], &[6; 32]), Err(CryptoError::BadSignature));
    }

    #[test]
    fn flipped_truncated_or_moved_envelopes_are_refused() {
        let key = case_key(5);
        for custody in [None, Some(custody())] {
            let sealed = seal_change(&key, &context(), "변경 change".as_bytes(), custody.as_ref()).expect("seal");
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
            // Presented as the other version, it does not open either.
            let mut as_v1 = sealed.clone();
            as_v1[0] = FORMAT_V1;
            assert_eq!(open_change(&key, &context(), &as_v1).err(), Some(CryptoError::Tampered));
            let mut unknown = sealed.clone();
            unknown[0] = 3;
            assert!(matches!(open_change(&key, &context(), &unknown), Err(CryptoError::UnsupportedVersion { .. })));
        }
    }

    #[test]
    fn v1_envelopes_open_without_custody_and_cannot_pass_for_v2() {
        let key = case_key(5);
        let sealed = seal_change_v1_with_nonce(&key, &context(), b"old change", random_array()).expect("seal");
        assert_eq!(change_key_id(&sealed).expect("key id"), [3; 16]);
        let opened = open_change(&key, &context(), &sealed).expect("open");
        assert_eq!((&**opened.change, opened.custody), (b"old change".as_slice(), None));
        let mut as_v2 = sealed.clone();
        as_v2[0] = FORMAT_V2;
        assert_eq!(open_change(&key, &context(), &as_v2).err(), Some(CryptoError::Tampered));
    }

    #[test]
    fn a_body_without_a_valid_trailer_is_refused() {
        // Sealed by a buggy or hostile sealer holding the case key: the layout is checked.
        let key = case_key(5);
        for body in [&[][..], &[2][..], &[b'x', 7][..], &[1][..], &[0; SIGNED_TRAILER_LEN - 1][..]] {
            let mut body = body.to_vec();
            if body.len() == SIGNED_TRAILER_LEN - 1 {
                *body.last_mut().expect("last") = SIGNED;
            }
            let sealed = seal_padded(&key, [8; 24], &context().aad(FORMAT_V2), &body, "change").expect("seal");
            let envelope = keyed_envelope(FORMAT_V2, &[3; 16], &[8; 24], &sealed);
            assert!(matches!(open_change(&key, &context(), &envelope), Err(CryptoError::Malformed { .. })), "{body:?}");
        }
    }
}
