//! Store-and-forward bundles (DESIGN §5): one file that a USB stick carries from one device
//! to others, readable only by the devices it is addressed to, signed by its sender, and
//! revealing nothing but its (padded) size to whoever holds the stick.
//!
//! Format v1 (no plaintext magic, name, id, count or date anywhere):
//!
//! ```text
//! file     = stanza_0 ‖ … ‖ stanza_{n-1} ‖ payload            (1 ≤ n ≤ MAX_BUNDLE_RECIPIENTS)
//! stanza   = [32] ephemeral X25519 public key (top bit randomised)
//!            ‖ XChaCha20-Poly1305(K_s, N_s, u8 version (1) ‖ u32 LE n ‖ [32] file key)  (53 bytes)
//!            K_s ‖ N_s = HKDF-SHA256(salt = ephemeral ‖ recipient, ikm = X25519, "cairn/bundle/stanza/v1")
//! payload  = STREAM (XChaCha20-Poly1305, 64 KiB plaintext chunks, BE32 counter, last-chunk flag)
//!            key ‖ nonce prefix = HKDF-SHA256(ikm = file key, "cairn/bundle/payload/v1")
//!            AAD of every chunk = SHA-256(all stanzas)
//! plaintext = [16] sender device id ‖ u64 LE counter ‖ u32 LE item count
//!            ‖ items (u8 kind ‖ u32 LE length ‖ bytes) ‖ [64] signature ‖ zero padding
//! signature = Ed25519 (purpose BundleManifest) over the manifest:
//!            SHA-256(all stanzas) ‖ sender ‖ counter ‖ item count ‖ (kind ‖ length ‖ SHA-256(bytes))*
//! ```
//!
//! Every stanza has the same size and, without the recipient's key, looks random (the AEAD
//! output is; the ephemeral key's unused top bit is randomised). A recipient finds its stanza
//! by trial, in order; the stanza tells how many there are, so where the payload starts. The
//! padding makes the whole file a Padmé length, so its size leaks O(log log L) bits beyond its
//! magnitude. The signature covers the recipient header, so one recipient cannot re-address
//! or alter content for another, and the AAD binds every chunk to the header, so a swapped
//! stanza or a chunk from another bundle fails. Nothing is returned before every chunk, the
//! last-chunk flag and the signature have verified.

use aead_stream::{NewStream, StreamBE32, StreamPrimitive};
use chacha20poly1305::{
    KeyInit, XChaCha20Poly1305, XNonce,
    aead::{Aead, Payload},
};
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

use crate::{
    AgreementPublicKey, AgreementSecretKey, CryptoError, DeviceWrapKey, SIGNATURE_LEN, Signature, SignaturePurpose,
    SigningPublicKey, SigningSecretKey, padding::padded_len, random_array, team_key::hkdf_expand,
};

/// Bytes of one recipient stanza.
pub const BUNDLE_STANZA_LEN: usize = 32 + 1 + 4 + 32 + 16;
/// At most this many recipients per bundle (bounds the trial decryptions of a reader).
pub const MAX_BUNDLE_RECIPIENTS: usize = 64;
/// Plaintext bytes per payload chunk (64 KiB).
pub const BUNDLE_CHUNK_LEN: usize = 64 * 1024;
/// At most this many items in one bundle (bounds the parser's allocation).
pub const MAX_BUNDLE_ITEMS: usize = 1 << 20;

const FORMAT_V1: u8 = 1;
const TAG_LEN: usize = 16;
const FIXED_LEN: usize = 16 + 8 + 4;
const ITEM_HEADER_LEN: usize = 1 + 4;

type Stream = StreamBE32<XChaCha20Poly1305>;

/// One item of a bundle: a kind the caller defines and its bytes (opaque here).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BundleItem {
    /// What the bytes are (defined by the caller, `cairn-core`).
    pub kind: u8,
    /// The item itself.
    pub bytes: Vec<u8>,
}

/// Who seals a bundle: its device id, its signing key and its counter for this bundle.
pub struct BundleSender<'a> {
    /// The sender's device id.
    pub device_id: [u8; 16],
    /// The sender's device signing key.
    pub signing: &'a SigningSecretKey,
    /// The sender's counter, higher for every bundle it makes.
    pub counter: u64,
}

/// A bundle that opened for this device, whose signature is not yet checked: the caller looks
/// the sender up on its roster and calls [`UnverifiedBundle::verify`].
pub struct UnverifiedBundle {
    sender: [u8; 16],
    counter: u64,
    items: Vec<BundleItem>,
    manifest: Vec<u8>,
    signature: Signature,
}

impl std::fmt::Debug for UnverifiedBundle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UnverifiedBundle").field("items", &self.items.len()).finish_non_exhaustive()
    }
}

impl UnverifiedBundle {
    /// The device id the bundle claims as its sender.
    pub fn sender(&self) -> [u8; 16] {
        self.sender
    }

    /// Checks the manifest's signature with the sender's key (from the roster); returns the
    /// verified bundle or [`CryptoError::BadSignature`].
    pub fn verify(self, sender_key: &SigningPublicKey) -> Result<OpenedBundle, CryptoError> {
        sender_key.verify(SignaturePurpose::BundleManifest, &self.manifest, &self.signature)?;
        Ok(OpenedBundle { sender: self.sender, counter: self.counter, items: self.items })
    }
}

/// A bundle that opened for this device and whose signature verified.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenedBundle {
    /// The sender's device id.
    pub sender: [u8; 16],
    /// The sender's counter.
    pub counter: u64,
    /// The items, in the sender's order.
    pub items: Vec<BundleItem>,
}

fn stanza_cipher(
    shared: &[u8; 32],
    ephemeral: &AgreementPublicKey,
    recipient: &AgreementPublicKey,
) -> (XChaCha20Poly1305, XNonce) {
    let salt = [ephemeral.as_bytes().as_slice(), recipient.as_bytes()].concat();
    let okm = hkdf_expand::<56>(Some(&salt), shared, b"cairn/bundle/stanza/v1");
    let key: &[u8; 32] = (&okm[..32]).try_into().expect("32 bytes");
    let cipher = XChaCha20Poly1305::new(key.into());
    let nonce = XNonce::try_from(&okm[32..]).expect("24 bytes");
    (cipher, nonce)
}

fn payload_stream(file_key: &[u8; 32]) -> Stream {
    let okm = hkdf_expand::<51>(None, file_key, b"cairn/bundle/payload/v1");
    let key: &[u8; 32] = (&okm[..32]).try_into().expect("32 bytes");
    let cipher = XChaCha20Poly1305::new(key.into());
    let prefix = (&okm[32..]).try_into().expect("19 bytes");
    Stream::from_aead(cipher, prefix)
}

fn manifest(header_hash: &[u8; 32], sender: &[u8; 16], counter: u64, items: &[(u8, u32, [u8; 32])]) -> Vec<u8> {
    let mut out = Vec::with_capacity(32 + FIXED_LEN + items.len() * 37);
    out.extend_from_slice(header_hash);
    out.extend_from_slice(sender);
    out.extend_from_slice(&counter.to_le_bytes());
    out.extend_from_slice(&(items.len() as u32).to_le_bytes());
    for (kind, len, hash) in items {
        out.push(*kind);
        out.extend_from_slice(&len.to_le_bytes());
        out.extend_from_slice(hash);
    }
    out
}

fn chunk_count(plain_len: usize) -> usize {
    plain_len.div_ceil(BUNDLE_CHUNK_LEN).max(1)
}

/// The plaintext length that makes the whole file (header, plaintext, tags) a Padmé length.
fn padded_plain_len(header_len: usize, plain_len: usize) -> usize {
    let raw = header_len + plain_len + TAG_LEN * chunk_count(plain_len);
    let mut target = padded_len(raw);
    loop {
        // The tag count depends on the plaintext length, so try the chunk counts around it.
        let body = target - header_len;
        let guess = body.div_ceil(BUNDLE_CHUNK_LEN + TAG_LEN).max(1);
        for chunks in [guess, guess + 1] {
            if let Some(plain) = body.checked_sub(TAG_LEN * chunks)
                && plain >= plain_len
                && chunk_count(plain) == chunks
            {
                return plain;
            }
        }
        target += 1;
    }
}

/// Seals `items` for `recipients` (their device agreement keys), signed by `sender`.
pub fn seal_bundle(
    recipients: &[AgreementPublicKey],
    sender: &BundleSender<'_>,
    items: &[BundleItem],
) -> Result<Vec<u8>, CryptoError> {
    let file_key = Zeroizing::new(random_array::<32>());
    let ephemerals: Vec<Zeroizing<[u8; 32]>> = recipients.iter().map(|_| Zeroizing::new(random_array())).collect();
    let top_bits: Vec<u8> = recipients.iter().map(|_| random_array::<1>()[0] & 0x80).collect();
    seal_bundle_with(recipients, sender, items, &file_key, &ephemerals, &top_bits)
}

pub(crate) fn seal_bundle_with(
    recipients: &[AgreementPublicKey],
    sender: &BundleSender<'_>,
    items: &[BundleItem],
    file_key: &[u8; 32],
    ephemerals: &[Zeroizing<[u8; 32]>],
    top_bits: &[u8],
) -> Result<Vec<u8>, CryptoError> {
    if recipients.is_empty() || recipients.len() > MAX_BUNDLE_RECIPIENTS {
        return Err(CryptoError::Malformed { what: "bundle recipients" });
    }
    if items.len() > MAX_BUNDLE_ITEMS {
        return Err(CryptoError::TooLarge { what: "bundle" });
    }
    let mut header = Vec::with_capacity(recipients.len() * BUNDLE_STANZA_LEN);
    for ((recipient, ephemeral), top_bit) in recipients.iter().zip(ephemerals).zip(top_bits) {
        let ephemeral = AgreementSecretKey::from_bytes(ephemeral);
        let ephemeral_public = ephemeral.public_key();
        let shared = ephemeral.diffie_hellman(recipient)?;
        let (cipher, nonce) = stanza_cipher(&shared, &ephemeral_public, recipient);
        let mut body = Zeroizing::new(Vec::with_capacity(37));
        body.push(FORMAT_V1);
        body.extend_from_slice(&(recipients.len() as u32).to_le_bytes());
        body.extend_from_slice(file_key);
        let sealed = cipher.encrypt(&nonce, body.as_slice()).map_err(|_| CryptoError::TooLarge { what: "bundle" })?;
        let mut public = ephemeral_public.to_bytes();
        public[31] |= top_bit & 0x80;
        header.extend_from_slice(&public);
        header.extend_from_slice(&sealed);
    }
    let header_hash: [u8; 32] = Sha256::digest(&header).into();

    let mut plain = Zeroizing::new(Vec::new());
    plain.extend_from_slice(&sender.device_id);
    plain.extend_from_slice(&sender.counter.to_le_bytes());
    plain.extend_from_slice(&(items.len() as u32).to_le_bytes());
    let mut hashes = Vec::with_capacity(items.len());
    for item in items {
        let len = u32::try_from(item.bytes.len()).map_err(|_| CryptoError::TooLarge { what: "bundle item" })?;
        plain.push(item.kind);
        plain.extend_from_slice(&len.to_le_bytes());
        plain.extend_from_slice(&item.bytes);
        hashes.push((item.kind, len, Sha256::digest(&item.bytes).into()));
    }
    let signature = sender
        .signing
        .sign(SignaturePurpose::BundleManifest, &manifest(&header_hash, &sender.device_id, sender.counter, &hashes));
    plain.extend_from_slice(&signature.to_bytes());
    let target = padded_plain_len(header.len(), plain.len());
    plain.resize(target, 0);

    let stream = payload_stream(file_key);
    let chunks = chunk_count(plain.len());
    let mut out = header;
    out.reserve(plain.len() + TAG_LEN * chunks);
    for (position, chunk) in plain.chunks(BUNDLE_CHUNK_LEN).enumerate() {
        let last = position + 1 == chunks;
        let sealed = stream
            .encrypt(position as u32, last, Payload { msg: chunk, aad: &header_hash })
            .map_err(|_| CryptoError::TooLarge { what: "bundle" })?;
        out.extend_from_slice(&sealed);
    }
    Ok(out)
}

/// Finds this device's stanza: the file key and the header length, or `None` when the bundle
/// is not addressed to `recipient` (or is not a bundle: the two are indistinguishable).
fn find_stanza(recipient: &AgreementSecretKey, bytes: &[u8]) -> Option<(Zeroizing<[u8; 32]>, usize)> {
    let public = recipient.public_key();
    for index in 0..MAX_BUNDLE_RECIPIENTS {
        let Some(stanza) = bytes.get(index * BUNDLE_STANZA_LEN..(index + 1) * BUNDLE_STANZA_LEN) else { break };
        let mut ephemeral: [u8; 32] = stanza[..32].try_into().expect("32 bytes");
        ephemeral[31] &= 0x7f;
        let Ok(ephemeral) = AgreementPublicKey::from_bytes(ephemeral) else { continue };
        let Ok(shared) = recipient.diffie_hellman(&ephemeral) else { continue };
        let (cipher, nonce) = stanza_cipher(&shared, &ephemeral, &public);
        let Ok(body) = cipher.decrypt(&nonce, &stanza[32..]) else { continue };
        let body = Zeroizing::new(body);
        if body.len() != 37 || body[0] != FORMAT_V1 {
            continue;
        }
        let count = u32::from_le_bytes(body[1..5].try_into().expect("4 bytes")) as usize;
        if count == 0 || count > MAX_BUNDLE_RECIPIENTS || index >= count {
            continue;
        }
        let mut file_key = Zeroizing::new([0u8; 32]);
        file_key.copy_from_slice(&body[5..]);
        return Some((file_key, count * BUNDLE_STANZA_LEN));
    }
    None
}

/// Opens a bundle for `recipient`: `Ok(None)` when it is not addressed to this device;
/// otherwise every chunk is authenticated and the items parsed before anything is returned.
/// Any damage (truncation, a flipped byte, a swapped stanza or chunk) is an error; the
/// signature is checked by [`UnverifiedBundle::verify`].
pub fn open_bundle(recipient: &AgreementSecretKey, bytes: &[u8]) -> Result<Option<UnverifiedBundle>, CryptoError> {
    let Some((file_key, header_len)) = find_stanza(recipient, bytes) else { return Ok(None) };
    let header_hash: [u8; 32] = Sha256::digest(&bytes[..header_len.min(bytes.len())]).into();
    let sealed = bytes.get(header_len..).ok_or(CryptoError::Malformed { what: "bundle" })?;
    if sealed.len() < TAG_LEN {
        return Err(CryptoError::Malformed { what: "bundle" });
    }
    let stream = payload_stream(&file_key);
    let chunks = sealed.len().div_ceil(BUNDLE_CHUNK_LEN + TAG_LEN);
    let mut plain = Zeroizing::new(Vec::with_capacity(sealed.len()));
    for (position, chunk) in sealed.chunks(BUNDLE_CHUNK_LEN + TAG_LEN).enumerate() {
        if chunk.len() < TAG_LEN {
            return Err(CryptoError::Malformed { what: "bundle chunk" });
        }
        let position = u32::try_from(position).map_err(|_| CryptoError::TooLarge { what: "bundle" })?;
        let opened = stream
            .decrypt(position, position as usize + 1 == chunks, Payload { msg: chunk, aad: &header_hash })
            .map_err(|_| CryptoError::Tampered)?;
        plain.extend_from_slice(&opened);
    }
    parse_plaintext(&plain, &header_hash).map(Some)
}

fn take<'a>(input: &mut &'a [u8], len: usize) -> Result<&'a [u8], CryptoError> {
    if input.len() < len {
        return Err(CryptoError::Malformed { what: "bundle contents" });
    }
    let (head, rest) = input.split_at(len);
    *input = rest;
    Ok(head)
}

fn parse_plaintext(plain: &[u8], header_hash: &[u8; 32]) -> Result<UnverifiedBundle, CryptoError> {
    let mut input = plain;
    let sender: [u8; 16] = take(&mut input, 16)?.try_into().expect("16 bytes");
    let counter = u64::from_le_bytes(take(&mut input, 8)?.try_into().expect("8 bytes"));
    let count = u32::from_le_bytes(take(&mut input, 4)?.try_into().expect("4 bytes")) as usize;
    // Every item takes at least its header, so the count is bounded by what is left.
    if count > MAX_BUNDLE_ITEMS || count > input.len() / ITEM_HEADER_LEN {
        return Err(CryptoError::Malformed { what: "bundle item count" });
    }
    let mut items = Vec::with_capacity(count);
    let mut hashes = Vec::with_capacity(count);
    for _ in 0..count {
        let kind = take(&mut input, 1)?[0];
        let len = u32::from_le_bytes(take(&mut input, 4)?.try_into().expect("4 bytes"));
        let bytes = take(&mut input, len as usize)?;
        hashes.push((kind, len, Sha256::digest(bytes).into()));
        items.push(BundleItem { kind, bytes: bytes.to_vec() });
    }
    let signature: [u8; SIGNATURE_LEN] = take(&mut input, SIGNATURE_LEN)?.try_into().expect("64 bytes");
    if input.iter().any(|&byte| byte != 0) {
        return Err(CryptoError::Malformed { what: "bundle padding" });
    }
    Ok(UnverifiedBundle {
        sender,
        counter,
        items,
        manifest: manifest(header_hash, &sender, counter, &hashes),
        signature: Signature::from_bytes(signature),
    })
}

/// A file name for the bundle `sender` leaves for `recipient`, derived under the sender's own
/// K_dev (a secret only its vault holds; HKDF with a label of its own, so the name says nothing
/// about the key): the same pair always gets the same name, so a later export replaces the
/// earlier file, and the name reveals neither device. 32 lowercase hex digits, no extension.
pub fn bundle_file_name(key: &DeviceWrapKey, sender: &[u8; 16], recipient: &[u8; 16]) -> String {
    let info = [b"cairn/bundle/name/v1".as_slice(), sender, recipient].concat();
    let name = hkdf_expand::<16>(None, key.bytes(), &info);
    name.iter().map(|byte| format!("{byte:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn items() -> Vec<BundleItem> {
        vec![
            BundleItem { kind: 1, bytes: b"digest".to_vec() },
            BundleItem { kind: 3, bytes: (0..150_000u32).map(|i| (i % 251) as u8).collect() },
            BundleItem { kind: 4, bytes: Vec::new() },
        ]
    }

    fn seal(recipients: &[&AgreementSecretKey], signing: &SigningSecretKey) -> Vec<u8> {
        let publics: Vec<_> = recipients.iter().map(|key| key.public_key()).collect();
        seal_bundle(&publics, &BundleSender { device_id: [7; 16], signing, counter: 42 }, &items()).expect("seal")
    }

    #[test]
    fn every_recipient_opens_and_a_stranger_is_not_addressed() {
        let (a, b, c) = (AgreementSecretKey::generate(), AgreementSecretKey::generate(), AgreementSecretKey::generate());
        let signing = SigningSecretKey::generate();
        let bytes = seal(&[&a, &b], &signing);
        for key in [&a, &b] {
            let opened = open_bundle(key, &bytes).expect("open").expect("addressed");
            assert_eq!(opened.sender(), [7; 16]);
            let opened = opened.verify(&signing.public_key()).expect("verify");
            assert_eq!((opened.counter, opened.items), (42, items()));
        }
        assert!(open_bundle(&c, &bytes).expect("not an error").is_none());
        let other = SigningSecretKey::generate();
        let opened = open_bundle(&a, &bytes).expect("open").expect("addressed");
        assert_eq!(opened.verify(&other.public_key()).err(), Some(CryptoError::BadSignature));
        assert_eq!(bytes.len(), padded_len(bytes.len()), "the file is a Padmé length");
    }

    #[test]
    fn truncation_flips_and_swapped_stanzas_are_refused() {
        let (a, b) = (AgreementSecretKey::generate(), AgreementSecretKey::generate());
        let signing = SigningSecretKey::generate();
        let bytes = seal(&[&a, &b], &signing);
        let header = 2 * BUNDLE_STANZA_LEN;
        let mut cuts: Vec<usize> = (1..4).map(|i| header + i * (BUNDLE_CHUNK_LEN + TAG_LEN)).collect();
        cuts.extend([0, 10, header, header + 1, bytes.len() - 1, bytes.len() - TAG_LEN]);
        for cut in cuts.into_iter().filter(|cut| *cut < bytes.len()) {
            // Cut inside a's stanza: not addressed; anywhere else: an error.
            assert!(!matches!(open_bundle(&a, &bytes[..cut]), Ok(Some(_))), "cut at {cut}");
        }
        for at in [0, 40, BUNDLE_STANZA_LEN + 3, header, header + 70_000, bytes.len() - 1] {
            let mut flipped = bytes.clone();
            flipped[at] ^= 1;
            let refused = match open_bundle(&a, &flipped) {
                Ok(Some(bundle)) => bundle.verify(&signing.public_key()).is_err(),
                Ok(None) | Err(_) => true,
            };
            assert!(refused, "flip at {at}");
        }
        let mut swapped = bytes.clone();
        swapped.copy_within(0..BUNDLE_STANZA_LEN, BUNDLE_STANZA_LEN);
        swapped[..BUNDLE_STANZA_LEN].copy_from_slice(&bytes[BUNDLE_STANZA_LEN..header]);
        assert_eq!(open_bundle(&a, &swapped).err(), Some(CryptoError::Tampered));
        // A stanza from another bundle to the same recipient.
        let other = seal(&[&a, &b], &signing);
        let mut moved = bytes.clone();
        moved[..BUNDLE_STANZA_LEN].copy_from_slice(&other[..BUNDLE_STANZA_LEN]);
        assert_eq!(open_bundle(&a, &moved).err(), Some(CryptoError::Tampered));
    }

    #[test]
    fn names_are_stable_per_pair_and_differ_otherwise() {
        let key = DeviceWrapKey::from_bytes([9; 32]);
        let name = bundle_file_name(&key, &[1; 16], &[2; 16]);
        assert_eq!(name.len(), 32);
        assert_eq!(name, bundle_file_name(&key, &[1; 16], &[2; 16]));
        assert_ne!(name, bundle_file_name(&key, &[1; 16], &[3; 16]));
        assert_ne!(name, bundle_file_name(&DeviceWrapKey::from_bytes([8; 32]), &[1; 16], &[2; 16]));
    }

    #[test]
    fn padding_reaches_padme_lengths_across_chunk_boundaries() {
        for header in [BUNDLE_STANZA_LEN, 3 * BUNDLE_STANZA_LEN] {
            for plain in [0, 100, BUNDLE_CHUNK_LEN - 20, BUNDLE_CHUNK_LEN, 5 * BUNDLE_CHUNK_LEN + 7] {
                let padded = padded_plain_len(header, plain);
                assert!(padded >= plain);
                let total = header + padded + TAG_LEN * chunk_count(padded);
                assert_eq!(total, padded_len(total), "header {header} plain {plain}");
            }
        }
    }
}
