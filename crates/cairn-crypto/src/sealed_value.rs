//! Sealed values (DESIGN §1 T3, §3 "HQ intake"): one identity field of one person (real name,
//! date of birth, home town, family, contact), sealed on the device where it was typed to a
//! set of X25519 recipients before it enters a case document. The document then carries only
//! these bytes, so the field syncs, merges and travels sealed, and opens only where one of the
//! recipients' private keys is: HQ's intake key, the devices the roster's policy names as
//! identity readers, or, before a device joins an organisation, its own pre-enrollment key.
//! The device that wrote a value is not a recipient unless it is one of those.
//!
//! Format v1 (age-style: one random content key per value, one stanza per recipient):
//!
//! ```text
//! value    = u8 version (1) ‖ u16 LE n (1 ≤ n ≤ MAX_SEALED_VALUE_RECIPIENTS)
//!            ‖ stanza_0 ‖ … ‖ stanza_{n-1} ‖ payload
//! stanza   = [32] ephemeral X25519 public key
//!            ‖ XChaCha20-Poly1305(K_s, N_s, [32] content key, AAD = version ‖ n)   (80 bytes)
//!            K_s ‖ N_s = HKDF-SHA256(salt = ephemeral ‖ recipient, ikm = X25519(ephemeral, recipient),
//!                                    info = "cairn/sealed-value/stanza/v1")
//! payload  = XChaCha20-Poly1305(K_p, N_p, padded, AAD)
//!            K_p ‖ N_p = HKDF-SHA256(ikm = content key, info = "cairn/sealed-value/payload/v1")
//!            AAD = "cairn/sealed-value/v1" ‖ SHA-256(version ‖ n ‖ stanzas)
//!                  ‖ [16] case id ‖ [16] object id ‖ u8 field name length ‖ field name
//! padded   = u32 LE length ‖ plaintext ‖ zeros: a multiple of 32 bytes (values up to 252
//!            bytes), else the Padmé length rounded up to 32, so a length leaks little
//! ```
//!
//! Each value has its own content key and each stanza its own ephemeral key, so the key and
//! nonce of every AEAD call are used once. The payload's AAD binds the case, the person (or
//! other object) and the field name, so a sealed value copied to another field, person or
//! case does not open; it also binds every stanza, so a recipient removed from or added to a
//! value makes it fail for everyone. A recipient finds its stanza by trial; a value not sealed
//! to any key tried opens to `None`, indistinguishable from a damaged stanza.

use chacha20poly1305::{
    KeyInit, XChaCha20Poly1305, XNonce,
    aead::{Aead, Payload},
};
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

use crate::{
    AgreementPublicKey, AgreementSecretKey, CryptoError, bundle::stanza_cipher, padding::padded_len, random_array,
    team_key::hkdf_expand,
};

/// Most recipients of one sealed value (HQ's intake key and the identity readers' devices).
pub const MAX_SEALED_VALUE_RECIPIENTS: usize = 256;
/// Largest plaintext a sealed value holds (an identity field is at most 100,000 characters).
pub const MAX_SEALED_VALUE_PLAINTEXT: usize = 512 * 1024;
/// Bytes of one recipient stanza.
pub const SEALED_VALUE_STANZA_LEN: usize = 32 + 32 + TAG_LEN;
/// Largest sealed value (the parser refuses anything longer before any work).
pub const MAX_SEALED_VALUE_LEN: usize =
    HEADER_LEN + MAX_SEALED_VALUE_RECIPIENTS * SEALED_VALUE_STANZA_LEN + MAX_SEALED_VALUE_PLAINTEXT + 64 * 1024;

const FORMAT_V1: u8 = 1;
const HEADER_LEN: usize = 1 + 2;
const TAG_LEN: usize = 16;
const LENGTH_PREFIX: usize = 4;
const PAD_STEP: usize = 32;
const WHAT: &str = "sealed value";
const STANZA_LABEL: &[u8] = b"cairn/sealed-value/stanza/v1";

/// Where a sealed value belongs. Every field is authenticated: a value opens only in the
/// place it was sealed for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SealedValueContext<'a> {
    /// The case.
    pub case_id: [u8; 16],
    /// The object in the case the value belongs to (a person).
    pub object_id: [u8; 16],
    /// The field's name (e.g. `real_name`); at most 255 bytes.
    pub field: &'a str,
}

impl SealedValueContext<'_> {
    fn aad(&self, header_hash: &[u8; 32]) -> Result<Vec<u8>, CryptoError> {
        let field = u8::try_from(self.field.len()).map_err(|_| CryptoError::Malformed { what: "sealed value field" })?;
        let mut aad = Vec::with_capacity(21 + 32 + 32 + 1 + self.field.len());
        aad.extend_from_slice(b"cairn/sealed-value/v1");
        aad.extend_from_slice(header_hash);
        aad.extend_from_slice(&self.case_id);
        aad.extend_from_slice(&self.object_id);
        aad.push(field);
        aad.extend_from_slice(self.field.as_bytes());
        Ok(aad)
    }
}

/// The padded length of a plaintext of `len` bytes (with its length prefix).
fn padded_value_len(len: usize) -> usize {
    let body = LENGTH_PREFIX + len;
    let target = if body <= 256 { body } else { padded_len(body) };
    target.div_ceil(PAD_STEP).max(1) * PAD_STEP
}

fn payload_cipher(content_key: &[u8; 32]) -> (XChaCha20Poly1305, XNonce) {
    let okm = hkdf_expand::<56>(None, content_key, b"cairn/sealed-value/payload/v1");
    let key: &[u8; 32] = (&okm[..32]).try_into().expect("32 bytes");
    (XChaCha20Poly1305::new(key.into()), XNonce::try_from(&okm[32..]).expect("24 bytes"))
}

/// Seals `plaintext` for `context` to every key of `recipients` (at least one).
pub fn seal_value(
    recipients: &[AgreementPublicKey],
    context: &SealedValueContext<'_>,
    plaintext: &[u8],
) -> Result<Vec<u8>, CryptoError> {
    let content_key = Zeroizing::new(random_array::<32>());
    let ephemerals: Vec<Zeroizing<[u8; 32]>> = recipients.iter().map(|_| Zeroizing::new(random_array())).collect();
    seal_value_with(recipients, context, plaintext, &content_key, &ephemerals)
}

pub(crate) fn seal_value_with(
    recipients: &[AgreementPublicKey],
    context: &SealedValueContext<'_>,
    plaintext: &[u8],
    content_key: &[u8; 32],
    ephemerals: &[Zeroizing<[u8; 32]>],
) -> Result<Vec<u8>, CryptoError> {
    if recipients.is_empty() || recipients.len() > MAX_SEALED_VALUE_RECIPIENTS || ephemerals.len() != recipients.len() {
        return Err(CryptoError::Malformed { what: "sealed value recipients" });
    }
    if plaintext.len() > MAX_SEALED_VALUE_PLAINTEXT {
        return Err(CryptoError::TooLarge { what: WHAT });
    }
    let count = u16::try_from(recipients.len()).map_err(|_| CryptoError::Malformed { what: "sealed value recipients" })?;
    let mut out = Vec::with_capacity(
        HEADER_LEN + recipients.len() * SEALED_VALUE_STANZA_LEN + padded_value_len(plaintext.len()) + TAG_LEN,
    );
    out.push(FORMAT_V1);
    out.extend_from_slice(&count.to_le_bytes());
    let stanza_aad = out.clone();
    for (recipient, ephemeral) in recipients.iter().zip(ephemerals) {
        let ephemeral = AgreementSecretKey::from_bytes(ephemeral);
        let ephemeral_public = ephemeral.public_key();
        let shared = ephemeral.diffie_hellman(recipient)?;
        let (cipher, nonce) = stanza_cipher(STANZA_LABEL, &shared, &ephemeral_public, recipient);
        let sealed = cipher
            .encrypt(&nonce, Payload { msg: content_key, aad: &stanza_aad })
            .map_err(|_| CryptoError::TooLarge { what: WHAT })?;
        out.extend_from_slice(ephemeral_public.as_bytes());
        out.extend_from_slice(&sealed);
    }
    let header_hash: [u8; 32] = Sha256::digest(&out).into();
    let aad = context.aad(&header_hash)?;
    let mut padded = Zeroizing::new(Vec::with_capacity(padded_value_len(plaintext.len())));
    let length = u32::try_from(plaintext.len()).map_err(|_| CryptoError::TooLarge { what: WHAT })?;
    padded.extend_from_slice(&length.to_le_bytes());
    padded.extend_from_slice(plaintext);
    padded.resize(padded_value_len(plaintext.len()), 0);
    let (cipher, nonce) = payload_cipher(content_key);
    let sealed =
        cipher.encrypt(&nonce, Payload { msg: &padded, aad: &aad }).map_err(|_| CryptoError::TooLarge { what: WHAT })?;
    out.extend_from_slice(&sealed);
    Ok(out)
}

/// The stanzas and payload of a value whose header is well-formed.
fn split(bytes: &[u8]) -> Result<(&[u8], &[u8], usize), CryptoError> {
    let Some(&version) = bytes.first() else { return Err(CryptoError::Malformed { what: WHAT }) };
    if version != FORMAT_V1 {
        return Err(CryptoError::UnsupportedVersion { what: WHAT, version: version.into() });
    }
    if bytes.len() > MAX_SEALED_VALUE_LEN {
        return Err(CryptoError::TooLarge { what: WHAT });
    }
    let count = bytes.get(1..HEADER_LEN).ok_or(CryptoError::Malformed { what: WHAT })?;
    let count = usize::from(u16::from_le_bytes([count[0], count[1]]));
    if count == 0 || count > MAX_SEALED_VALUE_RECIPIENTS {
        return Err(CryptoError::Malformed { what: WHAT });
    }
    let header_len = HEADER_LEN + count * SEALED_VALUE_STANZA_LEN;
    // The smallest payload: one padding step and its tag.
    if bytes.len() < header_len + PAD_STEP + TAG_LEN || !(bytes.len() - header_len - TAG_LEN).is_multiple_of(PAD_STEP) {
        return Err(CryptoError::Malformed { what: WHAT });
    }
    let (header, payload) = bytes.split_at(header_len);
    Ok((header, payload, count))
}

/// How many recipients a sealed value names, after checking its header's shape (its
/// stanzas do not say who they are).
pub fn sealed_value_recipient_count(bytes: &[u8]) -> Result<usize, CryptoError> {
    split(bytes).map(|(_, _, count)| count)
}

/// Opens a sealed value with the first of `keys` it was sealed to: `Ok(None)` when it was
/// sealed to none of them; an error when its shape is wrong or, once a stanza opened, the
/// payload does not authenticate for `context` (altered, or moved to another field, person
/// or case).
pub fn open_sealed_value(
    keys: &[&AgreementSecretKey],
    context: &SealedValueContext<'_>,
    bytes: &[u8],
) -> Result<Option<Zeroizing<Vec<u8>>>, CryptoError> {
    let (header, payload, count) = split(bytes)?;
    let stanza_aad = &header[..HEADER_LEN];
    let Some(content_key) = keys.iter().find_map(|key| find_stanza(key, stanza_aad, &header[HEADER_LEN..], count)) else {
        return Ok(None);
    };
    let header_hash: [u8; 32] = Sha256::digest(header).into();
    let aad = context.aad(&header_hash)?;
    let (cipher, nonce) = payload_cipher(&content_key);
    let padded =
        Zeroizing::new(cipher.decrypt(&nonce, Payload { msg: payload, aad: &aad }).map_err(|_| CryptoError::Tampered)?);
    let length = u32::from_le_bytes(padded[..LENGTH_PREFIX].try_into().expect("4 bytes")) as usize;
    let end =
        LENGTH_PREFIX.checked_add(length).filter(|end| *end <= padded.len()).ok_or(CryptoError::Malformed { what: WHAT })?;
    if padded.len() != padded_value_len(length) || padded[end..].iter().any(|&byte| byte != 0) {
        return Err(CryptoError::Malformed { what: "sealed value padding" });
    }
    Ok(Some(Zeroizing::new(padded[LENGTH_PREFIX..end].to_vec())))
}

fn find_stanza(key: &AgreementSecretKey, aad: &[u8], stanzas: &[u8], count: usize) -> Option<Zeroizing<[u8; 32]>> {
    let public = key.public_key();
    stanzas.chunks_exact(SEALED_VALUE_STANZA_LEN).take(count).find_map(|stanza| {
        let ephemeral = AgreementPublicKey::from_bytes(stanza[..32].try_into().expect("32 bytes")).ok()?;
        let shared = key.diffie_hellman(&ephemeral).ok()?;
        let (cipher, nonce) = stanza_cipher(STANZA_LABEL, &shared, &ephemeral, &public);
        let opened = Zeroizing::new(cipher.decrypt(&nonce, Payload { msg: &stanza[32..], aad }).ok()?);
        let mut content_key = Zeroizing::new([0u8; 32]);
        content_key.copy_from_slice(opened.get(..32)?);
        (opened.len() == 32).then_some(content_key)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const CONTEXT: SealedValueContext<'static> =
        SealedValueContext { case_id: [0xca; 16], object_id: [0x0b; 16], field: "real_name" };

    fn keys(n: usize) -> Vec<AgreementSecretKey> {
        (0..n).map(|_| AgreementSecretKey::generate()).collect()
    }

    fn publics(keys: &[AgreementSecretKey]) -> Vec<AgreementPublicKey> {
        keys.iter().map(AgreementSecretKey::public_key).collect()
    }

    #[test]
    fn every_recipient_opens_and_nobody_else() {
        let recipients = keys(3);
        let sealed = seal_value(&publics(&recipients), &CONTEXT, "김영희".as_bytes()).expect("seal");
        assert_eq!(sealed_value_recipient_count(&sealed), Ok(3));
        for key in &recipients {
            let opened = open_sealed_value(&[key], &CONTEXT, &sealed).expect("open").expect("a recipient");
            assert_eq!(opened.as_slice(), "김영희".as_bytes());
        }
        let stranger = AgreementSecretKey::generate();
        assert_eq!(open_sealed_value(&[&stranger], &CONTEXT, &sealed), Ok(None));
        // Several keys: the one that matches is found wherever it is in the list.
        let opened = open_sealed_value(&[&stranger, &recipients[2]], &CONTEXT, &sealed).expect("open");
        assert_eq!(opened.expect("found").as_slice(), "김영희".as_bytes());
        assert_eq!(open_sealed_value(&[], &CONTEXT, &sealed), Ok(None));
        // Sealing is randomised: the same value twice gives unrelated bytes.
        assert_ne!(sealed, seal_value(&publics(&recipients), &CONTEXT, "김영희".as_bytes()).expect("again"));
    }

    #[test]
    fn a_value_moved_to_another_field_person_or_case_does_not_open() {
        let recipient = AgreementSecretKey::generate();
        let sealed = seal_value(&[recipient.public_key()], &CONTEXT, b"Kim Young-hee").expect("seal");
        for moved in [
            SealedValueContext { field: "home_town", ..CONTEXT },
            SealedValueContext { object_id: [0x0c; 16], ..CONTEXT },
            SealedValueContext { case_id: [0xcb; 16], ..CONTEXT },
        ] {
            assert_eq!(open_sealed_value(&[&recipient], &moved, &sealed), Err(CryptoError::Tampered));
        }
    }

    #[test]
    fn flips_truncations_and_stanza_changes_are_refused() {
        let (a, b) = (AgreementSecretKey::generate(), AgreementSecretKey::generate());
        let sealed = seal_value(&[a.public_key(), b.public_key()], &CONTEXT, b"Kim Young-hee").expect("seal");
        for at in 0..sealed.len() {
            let mut flipped = sealed.clone();
            flipped[at] ^= 0x01;
            for key in [&a, &b] {
                assert!(!matches!(open_sealed_value(&[key], &CONTEXT, &flipped), Ok(Some(_))), "flip at {at}");
            }
        }
        for len in 0..sealed.len() {
            assert!(!matches!(open_sealed_value(&[&a], &CONTEXT, &sealed[..len]), Ok(Some(_))), "cut at {len}");
        }
        // Dropping b's stanza changes the count, which a's stanza authenticates: it no longer
        // opens. Replacing b's stanza by another one leaves a's stanza intact, but every
        // stanza is bound into the payload, so the value fails for a too.
        let mut stripped = vec![FORMAT_V1, 1, 0];
        stripped.extend_from_slice(&sealed[HEADER_LEN..HEADER_LEN + SEALED_VALUE_STANZA_LEN]);
        stripped.extend_from_slice(&sealed[HEADER_LEN + 2 * SEALED_VALUE_STANZA_LEN..]);
        assert_eq!(open_sealed_value(&[&a], &CONTEXT, &stripped), Ok(None));
        let other = seal_value(&[a.public_key(), b.public_key()], &CONTEXT, b"Kim Young-hee").expect("seal");
        let mut replaced = sealed.clone();
        let second = HEADER_LEN + SEALED_VALUE_STANZA_LEN..HEADER_LEN + 2 * SEALED_VALUE_STANZA_LEN;
        replaced[second.clone()].copy_from_slice(&other[second]);
        assert_eq!(open_sealed_value(&[&a], &CONTEXT, &replaced), Err(CryptoError::Tampered));
        // Swapping the two stanzas: each still opens its key, but the payload's AAD differs.
        let mut swapped = sealed.clone();
        swapped[HEADER_LEN..HEADER_LEN + SEALED_VALUE_STANZA_LEN]
            .copy_from_slice(&sealed[HEADER_LEN + SEALED_VALUE_STANZA_LEN..HEADER_LEN + 2 * SEALED_VALUE_STANZA_LEN]);
        swapped[HEADER_LEN + SEALED_VALUE_STANZA_LEN..HEADER_LEN + 2 * SEALED_VALUE_STANZA_LEN]
            .copy_from_slice(&sealed[HEADER_LEN..HEADER_LEN + SEALED_VALUE_STANZA_LEN]);
        assert_eq!(open_sealed_value(&[&a], &CONTEXT, &swapped), Err(CryptoError::Tampered));
        let mut newer = sealed.clone();
        newer[0] = 2;
        assert_eq!(
            open_sealed_value(&[&a], &CONTEXT, &newer),
            Err(CryptoError::UnsupportedVersion { what: WHAT, version: 2 })
        );
    }

    #[test]
    fn lengths_leak_only_their_padding_bucket() {
        let recipient = AgreementSecretKey::generate();
        let size = |len: usize| seal_value(&[recipient.public_key()], &CONTEXT, &vec![b'x'; len]).expect("seal").len();
        assert_eq!(size(0), size(28), "every value up to 28 bytes looks alike");
        assert!(size(29) > size(28));
        assert_eq!(size(2), size(20), "short names are indistinguishable by length");
        for len in [0, 1, 28, 29, 250, 300, 4_000, 100_000] {
            let padded = padded_value_len(len);
            assert!(padded >= len + LENGTH_PREFIX && padded.is_multiple_of(PAD_STEP), "{len}");
            assert!(len < 256 || padded - len <= len / 8 + PAD_STEP, "overhead at {len}");
            let sealed = seal_value(&[recipient.public_key()], &CONTEXT, &vec![7; len]).expect("seal");
            assert_eq!(open_sealed_value(&[&recipient], &CONTEXT, &sealed).expect("open").expect("ours").len(), len);
        }
    }

    #[test]
    fn limits_are_enforced_when_sealing() {
        let recipient = AgreementSecretKey::generate().public_key();
        assert!(seal_value(&[], &CONTEXT, b"x").is_err(), "no recipient");
        let too_many = vec![recipient; MAX_SEALED_VALUE_RECIPIENTS + 1];
        assert!(seal_value(&too_many, &CONTEXT, b"x").is_err());
        assert!(seal_value(&[recipient], &CONTEXT, &vec![0; MAX_SEALED_VALUE_PLAINTEXT + 1]).is_err());
        let long_field = "f".repeat(256);
        assert!(seal_value(&[recipient], &SealedValueContext { field: &long_field, ..CONTEXT }, b"x").is_err());
    }
}
