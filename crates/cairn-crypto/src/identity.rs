//! Device and organisation identities: Ed25519 signing keys, X25519 agreement keys,
//! domain-separated signatures, and the wrapping of private keys under K_dev.
//!
//! Signatures (Ed25519, RFC 8032, verified with `verify_strict`) are never made over raw
//! bytes: the signed message is
//!
//! ```text
//! "cairn/signature/v1" ‖ 0x00 ‖ purpose label ‖ 0x00 ‖ message
//! ```
//!
//! so a signature made for one purpose (an enrollment request) can never be presented as
//! one for another (a roster), whatever the bytes look like.
//!
//! Wrapped private key, format v1 (74 bytes):
//!
//! ```text
//! u8   format version (1)
//! u8   kind: 1 device signing, 2 device agreement, 3 organisation root, 4 organisation intake,
//!      5 team key, 6 pre-enrollment sealing key
//! [24] nonce (random)
//! [48] XChaCha20-Poly1305(K_dev, secret[32], AAD) with a 16-byte tag
//!      AAD = "cairn/wrapped-secret/v1" ‖ kind ‖ owner id[16] ‖ number (u32 LE)
//! ```
//!
//! The owner is the device id (device keys and the pre-enrollment sealing key) or the
//! organisation id (organisation and team keys); the number is the team key epoch (0 for the others). A wrapped key moved to
//! another kind, owner or epoch fails to open.

use chacha20poly1305::{
    XNonce,
    aead::{Aead, Payload},
};
use ed25519_dalek::Signer;
use zeroize::Zeroizing;

use crate::{CryptoError, DeviceWrapKey, random_array};

/// Length of an Ed25519 or X25519 public key.
pub const PUBLIC_KEY_LEN: usize = 32;
/// Length of an Ed25519 signature.
pub const SIGNATURE_LEN: usize = 64;
/// Length of a wrapped private key.
pub const WRAPPED_SECRET_LEN: usize = 1 + 1 + 24 + 32 + 16;

const WRAPPED_SECRET_V1: u8 = 1;
const SIGNATURE_DOMAIN: &[u8] = b"cairn/signature/v1";

/// What a signature is for. Each purpose signs under its own context string.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum SignaturePurpose {
    /// A device's self-signature on its enrollment request.
    EnrollmentRequest,
    /// The HQ root key's signature on a roster.
    Roster,
    /// A device's signature on the deletion of a case (a tombstone).
    CaseDeletion,
    /// A device's signature on the manifest of a store-and-forward bundle (`bundle.rs`).
    BundleManifest,
    /// An HQ device's signature on a handover receipt (cairn-team `receipt.rs`).
    HandoverReceipt,
    /// A device's signature on an Automerge change it wrote: its chain of custody
    /// (`change.rs`).
    ChangeCustody,
    /// The exporting device's signature on the manifest of an evidence package (cairn-core
    /// `evidence/`): the exact bytes of its `manifest.json`.
    EvidenceManifest,
}

impl SignaturePurpose {
    fn label(self) -> &'static [u8] {
        match self {
            SignaturePurpose::EnrollmentRequest => b"enrollment-request/v1",
            SignaturePurpose::Roster => b"roster/v1",
            SignaturePurpose::CaseDeletion => b"case-deletion/v1",
            SignaturePurpose::BundleManifest => b"bundle-manifest/v1",
            SignaturePurpose::HandoverReceipt => b"handover-receipt/v1",
            SignaturePurpose::ChangeCustody => b"change-custody/v1",
            SignaturePurpose::EvidenceManifest => b"evidence-manifest/v1",
        }
    }
}

fn signed_message(purpose: SignaturePurpose, message: &[u8]) -> Vec<u8> {
    let label = purpose.label();
    let mut out = Vec::with_capacity(SIGNATURE_DOMAIN.len() + label.len() + 2 + message.len());
    out.extend_from_slice(SIGNATURE_DOMAIN);
    out.push(0);
    out.extend_from_slice(label);
    out.push(0);
    out.extend_from_slice(message);
    out
}

/// Which secret a wrapped blob holds; part of its authenticated data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SecretKind {
    DeviceSigning = 1,
    DeviceAgreement = 2,
    OrgRoot = 3,
    OrgIntake = 4,
    TeamKey = 5,
    PreEnrollmentSealing = 6,
}

/// Where a signing key is used; decides how it is wrapped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SigningKeyUse {
    /// A device's own signing key (owner: the device id).
    Device,
    /// The organisation's root key that signs rosters (owner: the organisation id).
    OrganisationRoot,
}

impl SigningKeyUse {
    fn kind(self) -> SecretKind {
        match self {
            SigningKeyUse::Device => SecretKind::DeviceSigning,
            SigningKeyUse::OrganisationRoot => SecretKind::OrgRoot,
        }
    }
}

/// Where an agreement key is used; decides how it is wrapped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AgreementKeyUse {
    /// A device's own agreement key (owner: the device id).
    Device,
    /// The organisation's HQ intake key (owner: the organisation id).
    OrganisationIntake,
    /// The key a vault that belongs to no organisation yet seals identity fields to (owner:
    /// the device id); destroyed once they are resealed to HQ at enrollment.
    PreEnrollmentSealing,
}

impl AgreementKeyUse {
    fn kind(self) -> SecretKind {
        match self {
            AgreementKeyUse::Device => SecretKind::DeviceAgreement,
            AgreementKeyUse::OrganisationIntake => SecretKind::OrgIntake,
            AgreementKeyUse::PreEnrollmentSealing => SecretKind::PreEnrollmentSealing,
        }
    }
}

fn wrapped_secret_aad(kind: SecretKind, owner: &[u8; 16], number: u32) -> Vec<u8> {
    let mut aad = Vec::with_capacity(48);
    aad.extend_from_slice(b"cairn/wrapped-secret/v1");
    aad.push(kind as u8);
    aad.extend_from_slice(owner);
    aad.extend_from_slice(&number.to_le_bytes());
    aad
}

pub(crate) fn wrap_secret(
    key: &DeviceWrapKey,
    kind: SecretKind,
    owner: &[u8; 16],
    number: u32,
    secret: &[u8; 32],
    nonce: [u8; 24],
) -> Vec<u8> {
    let aad = wrapped_secret_aad(kind, owner, number);
    let sealed = key
        .cipher()
        .encrypt(&XNonce::from(nonce), Payload { msg: secret, aad: &aad })
        .expect("XChaCha20-Poly1305 cannot fail on a 32-byte message");
    let mut out = Vec::with_capacity(WRAPPED_SECRET_LEN);
    out.push(WRAPPED_SECRET_V1);
    out.push(kind as u8);
    out.extend_from_slice(&nonce);
    out.extend_from_slice(&sealed);
    out
}

pub(crate) fn unwrap_secret(
    key: &DeviceWrapKey,
    kind: SecretKind,
    owner: &[u8; 16],
    number: u32,
    wrapped: &[u8],
) -> Result<Zeroizing<[u8; 32]>, CryptoError> {
    const WHAT: &str = "wrapped private key";
    let Some(&version) = wrapped.first() else { return Err(CryptoError::Malformed { what: WHAT }) };
    if version != WRAPPED_SECRET_V1 {
        return Err(CryptoError::UnsupportedVersion { what: WHAT, version: version.into() });
    }
    if wrapped.len() != WRAPPED_SECRET_LEN || wrapped[1] != kind as u8 {
        return Err(CryptoError::Malformed { what: WHAT });
    }
    let nonce = XNonce::try_from(&wrapped[2..26]).map_err(|_| CryptoError::Malformed { what: WHAT })?;
    let aad = wrapped_secret_aad(kind, owner, number);
    let opened = Zeroizing::new(
        key.cipher().decrypt(&nonce, Payload { msg: &wrapped[26..], aad: &aad }).map_err(|_| CryptoError::Tampered)?,
    );
    let mut out = Zeroizing::new([0u8; 32]);
    if opened.len() != 32 {
        return Err(CryptoError::Malformed { what: WHAT });
    }
    out.copy_from_slice(&opened);
    Ok(out)
}

/// An Ed25519 signature.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Signature([u8; SIGNATURE_LEN]);

impl Signature {
    /// A signature from its 64 bytes (checked only when verified).
    pub fn from_bytes(bytes: [u8; SIGNATURE_LEN]) -> Self {
        Self(bytes)
    }

    /// The signature's bytes.
    pub fn to_bytes(&self) -> [u8; SIGNATURE_LEN] {
        self.0
    }
}

impl std::fmt::Debug for Signature {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Signature({:02x}{:02x}{:02x}{:02x}…)", self.0[0], self.0[1], self.0[2], self.0[3])
    }
}

/// An Ed25519 private key (a device's signing key or the organisation's root key).
/// Not `Clone`, not printable; zeroized when dropped.
pub struct SigningSecretKey(Box<ed25519_dalek::SigningKey>);

impl SigningSecretKey {
    /// A fresh key from the OS CSPRNG.
    pub fn generate() -> Self {
        let seed = Zeroizing::new(random_array::<32>());
        Self::from_seed(&seed)
    }

    pub(crate) fn from_seed(seed: &[u8; 32]) -> Self {
        Self(Box::new(ed25519_dalek::SigningKey::from_bytes(seed)))
    }

    /// The 32-byte seed (for sealing it; the caller zeroizes the copy).
    pub(crate) fn seed(&self) -> [u8; 32] {
        self.0.to_bytes()
    }

    /// The matching public key.
    pub fn public_key(&self) -> SigningPublicKey {
        SigningPublicKey(self.0.verifying_key().to_bytes())
    }

    /// Signs `message` for `purpose`.
    pub fn sign(&self, purpose: SignaturePurpose, message: &[u8]) -> Signature {
        Signature(self.0.sign(&signed_message(purpose, message)).to_bytes())
    }

    /// Wraps this key under K_dev, bound to its use and owner (device or organisation id).
    pub fn wrap(&self, key: &DeviceWrapKey, usage: SigningKeyUse, owner: &[u8; 16]) -> Vec<u8> {
        self.wrap_with_nonce(key, usage, owner, random_array())
    }

    pub(crate) fn wrap_with_nonce(
        &self,
        key: &DeviceWrapKey,
        usage: SigningKeyUse,
        owner: &[u8; 16],
        nonce: [u8; 24],
    ) -> Vec<u8> {
        wrap_secret(key, usage.kind(), owner, 0, self.0.as_bytes(), nonce)
    }

    /// Opens a key wrapped by [`SigningSecretKey::wrap`] for the same use and owner.
    pub fn unwrap(key: &DeviceWrapKey, usage: SigningKeyUse, owner: &[u8; 16], wrapped: &[u8]) -> Result<Self, CryptoError> {
        let seed = unwrap_secret(key, usage.kind(), owner, 0, wrapped)?;
        Ok(Self::from_seed(&seed))
    }
}

impl std::fmt::Debug for SigningSecretKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SigningSecretKey(<redacted>)")
    }
}

/// An Ed25519 public key, checked to be a canonical encoding of a point of large order.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SigningPublicKey([u8; PUBLIC_KEY_LEN]);

impl SigningPublicKey {
    /// Parses a public key; refuses encodings that are not canonical, not on the curve, or
    /// of small order (such keys would accept forged signatures).
    pub fn from_bytes(bytes: [u8; PUBLIC_KEY_LEN]) -> Result<Self, CryptoError> {
        let key = ed25519_dalek::VerifyingKey::from_bytes(&bytes).map_err(|_| CryptoError::InvalidPublicKey)?;
        if key.is_weak() || key.to_bytes() != bytes {
            return Err(CryptoError::InvalidPublicKey);
        }
        Ok(Self(bytes))
    }

    /// The key's bytes.
    pub fn to_bytes(&self) -> [u8; PUBLIC_KEY_LEN] {
        self.0
    }

    /// The key's bytes, borrowed.
    pub fn as_bytes(&self) -> &[u8; PUBLIC_KEY_LEN] {
        &self.0
    }

    /// Checks that `signature` was made by this key over `message` for `purpose`.
    pub fn verify(&self, purpose: SignaturePurpose, message: &[u8], signature: &Signature) -> Result<(), CryptoError> {
        let key = ed25519_dalek::VerifyingKey::from_bytes(&self.0).map_err(|_| CryptoError::BadSignature)?;
        let signature = ed25519_dalek::Signature::from_bytes(&signature.0);
        key.verify_strict(&signed_message(purpose, message), &signature).map_err(|_| CryptoError::BadSignature)
    }
}

impl std::fmt::Debug for SigningPublicKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "SigningPublicKey({:02x}{:02x}{:02x}{:02x}…)", self.0[0], self.0[1], self.0[2], self.0[3])
    }
}

/// An X25519 private key (a device's agreement key or the HQ intake key).
/// Not `Clone`, not printable; zeroized when dropped.
pub struct AgreementSecretKey(Box<x25519_dalek::StaticSecret>);

impl AgreementSecretKey {
    /// A fresh key from the OS CSPRNG.
    pub fn generate() -> Self {
        let bytes = Zeroizing::new(random_array::<32>());
        Self::from_bytes(&bytes)
    }

    pub(crate) fn from_bytes(bytes: &[u8; 32]) -> Self {
        Self(Box::new(x25519_dalek::StaticSecret::from(*bytes)))
    }

    /// The matching public key.
    pub fn public_key(&self) -> AgreementPublicKey {
        AgreementPublicKey(x25519_dalek::PublicKey::from(&*self.0).to_bytes())
    }

    /// The raw scalar, for the Noise handshake (`noise.rs`), which uses this key as its static.
    pub(crate) fn secret_bytes(&self) -> &[u8; 32] {
        self.0.as_bytes()
    }

    /// X25519 with `their` public key; refuses a non-contributory (all-zero) result.
    pub(crate) fn diffie_hellman(&self, their: &AgreementPublicKey) -> Result<Zeroizing<[u8; 32]>, CryptoError> {
        let shared = self.0.diffie_hellman(&x25519_dalek::PublicKey::from(their.0));
        if !shared.was_contributory() {
            return Err(CryptoError::InvalidPublicKey);
        }
        Ok(Zeroizing::new(shared.to_bytes()))
    }

    /// Wraps this key under K_dev, bound to its use and owner (device or organisation id).
    pub fn wrap(&self, key: &DeviceWrapKey, usage: AgreementKeyUse, owner: &[u8; 16]) -> Vec<u8> {
        self.wrap_with_nonce(key, usage, owner, random_array())
    }

    pub(crate) fn wrap_with_nonce(
        &self,
        key: &DeviceWrapKey,
        usage: AgreementKeyUse,
        owner: &[u8; 16],
        nonce: [u8; 24],
    ) -> Vec<u8> {
        wrap_secret(key, usage.kind(), owner, 0, self.0.as_bytes(), nonce)
    }

    /// Opens a key wrapped by [`AgreementSecretKey::wrap`] for the same use and owner.
    pub fn unwrap(
        key: &DeviceWrapKey,
        usage: AgreementKeyUse,
        owner: &[u8; 16],
        wrapped: &[u8],
    ) -> Result<Self, CryptoError> {
        let bytes = unwrap_secret(key, usage.kind(), owner, 0, wrapped)?;
        Ok(Self::from_bytes(&bytes))
    }
}

impl std::fmt::Debug for AgreementSecretKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AgreementSecretKey(<redacted>)")
    }
}

/// An X25519 public key, checked to be canonical and not of small order.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct AgreementPublicKey([u8; PUBLIC_KEY_LEN]);

impl AgreementPublicKey {
    /// Parses a public key; refuses non-canonical encodings (u ≥ 2^255 − 19 or the top bit
    /// set) and points of small order, with which a key agreement would not be secret.
    pub fn from_bytes(bytes: [u8; PUBLIC_KEY_LEN]) -> Result<Self, CryptoError> {
        let top_bit = bytes[31] & 0x80 != 0;
        let at_least_p = bytes[31] == 0x7f && bytes[1..31].iter().all(|&b| b == 0xff) && bytes[0] >= 0xed;
        if top_bit || at_least_p {
            return Err(CryptoError::InvalidPublicKey);
        }
        // Every clamped scalar is a multiple of the cofactor, so a small-order point maps
        // to the identity (u = 0) under any of them.
        const PROBE: [u8; 32] = [0x5a; 32];
        if x25519_dalek::x25519(PROBE, bytes) == [0u8; 32] {
            return Err(CryptoError::InvalidPublicKey);
        }
        Ok(Self(bytes))
    }

    /// The key's bytes.
    pub fn to_bytes(&self) -> [u8; PUBLIC_KEY_LEN] {
        self.0
    }

    /// The key's bytes, borrowed.
    pub fn as_bytes(&self) -> &[u8; PUBLIC_KEY_LEN] {
        &self.0
    }
}

impl std::fmt::Debug for AgreementPublicKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "AgreementPublicKey({:02x}{:02x}{:02x}{:02x}…)", self.0[0], self.0[1], self.0[2], self.0[3])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keys::test_keys::fixed;

    fn hex32(text: &str) -> [u8; 32] {
        hex::decode(text).expect("hex").try_into().expect("32 bytes")
    }

    #[test]
    fn rfc8032_test_1_at_the_api_boundary() {
        // RFC 8032 §7.1, TEST 1 (empty message), checked through the raw dalek key our
        // type wraps, then our own public-key derivation.
        let secret = SigningSecretKey::from_seed(&hex32("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60"));
        assert_eq!(
            secret.public_key().to_bytes(),
            hex32("d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a")
        );
        let raw = secret.0.sign(b"").to_bytes();
        assert_eq!(
            hex::encode(raw),
            "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b"
        );
        // Our signatures are domain-separated, so they differ from the raw one.
        assert_ne!(secret.sign(SignaturePurpose::Roster, b"").to_bytes(), raw);
    }

    #[test]
    fn rfc7748_x25519_at_the_api_boundary() {
        // RFC 7748 §6.1.
        let alice =
            AgreementSecretKey::from_bytes(&hex32("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a"));
        let bob = AgreementSecretKey::from_bytes(&hex32("5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb"));
        assert_eq!(alice.public_key().to_bytes(), hex32("8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a"));
        assert_eq!(bob.public_key().to_bytes(), hex32("de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f"));
        let shared = hex32("4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742");
        assert_eq!(*alice.diffie_hellman(&bob.public_key()).expect("dh"), shared);
        assert_eq!(*bob.diffie_hellman(&alice.public_key()).expect("dh"), shared);
    }

    #[test]
    fn signatures_are_bound_to_key_purpose_and_message() {
        let key = SigningSecretKey::generate();
        let other = SigningSecretKey::generate();
        let signature = key.sign(SignaturePurpose::Roster, b"roster bytes");
        let public = key.public_key();
        assert_eq!(public.verify(SignaturePurpose::Roster, b"roster bytes", &signature), Ok(()));
        assert_eq!(
            public.verify(SignaturePurpose::EnrollmentRequest, b"roster bytes", &signature),
            Err(CryptoError::BadSignature)
        );
        assert_eq!(public.verify(SignaturePurpose::Roster, b"roster bytez", &signature), Err(CryptoError::BadSignature));
        assert_eq!(
            other.public_key().verify(SignaturePurpose::Roster, b"roster bytes", &signature),
            Err(CryptoError::BadSignature)
        );
        let bytes = signature.to_bytes();
        for i in 0..SIGNATURE_LEN {
            let mut flipped = bytes;
            flipped[i] ^= 0x01;
            assert!(
                public.verify(SignaturePurpose::Roster, b"roster bytes", &Signature::from_bytes(flipped)).is_err(),
                "byte {i}"
            );
        }
    }

    #[test]
    fn weak_and_non_canonical_public_keys_are_refused() {
        // The identity point (small order) as an Ed25519 key.
        let mut identity = [0u8; 32];
        identity[0] = 1;
        assert_eq!(SigningPublicKey::from_bytes(identity).err(), Some(CryptoError::InvalidPublicKey));
        // Small-order X25519 points: 0, 1, and the order-8 point of RFC 7748's discussion.
        let mut one = [0u8; 32];
        one[0] = 1;
        let order8 = hex32("e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800");
        for point in [[0u8; 32], one, order8] {
            assert_eq!(AgreementPublicKey::from_bytes(point).err(), Some(CryptoError::InvalidPublicKey));
        }
        // u = p (non-canonical zero) and the top bit set.
        let mut p = [0xffu8; 32];
        p[0] = 0xed;
        p[31] = 0x7f;
        assert_eq!(AgreementPublicKey::from_bytes(p).err(), Some(CryptoError::InvalidPublicKey));
        let mut high = AgreementSecretKey::generate().public_key().to_bytes();
        high[31] |= 0x80;
        assert_eq!(AgreementPublicKey::from_bytes(high).err(), Some(CryptoError::InvalidPublicKey));
        // Real keys pass.
        let real = AgreementSecretKey::generate().public_key();
        assert_eq!(AgreementPublicKey::from_bytes(real.to_bytes()), Ok(real));
        let real = SigningSecretKey::generate().public_key();
        assert_eq!(SigningPublicKey::from_bytes(real.to_bytes()), Ok(real));
    }

    #[test]
    fn wrapped_keys_open_only_for_their_kind_and_owner() {
        let k_dev = fixed(DeviceWrapKey::from_bytes, 0x31);
        let signing = SigningSecretKey::generate();
        let wrapped = signing.wrap(&k_dev, SigningKeyUse::Device, &[1; 16]);
        assert_eq!(wrapped.len(), WRAPPED_SECRET_LEN);
        let opened = SigningSecretKey::unwrap(&k_dev, SigningKeyUse::Device, &[1; 16], &wrapped).expect("unwrap");
        assert_eq!(opened.public_key(), signing.public_key());
        assert_eq!(
            SigningSecretKey::unwrap(&k_dev, SigningKeyUse::Device, &[2; 16], &wrapped).err(),
            Some(CryptoError::Tampered)
        );
        assert!(SigningSecretKey::unwrap(&k_dev, SigningKeyUse::OrganisationRoot, &[1; 16], &wrapped).is_err());
        assert!(AgreementSecretKey::unwrap(&k_dev, AgreementKeyUse::Device, &[1; 16], &wrapped).is_err());
        let other_dev = fixed(DeviceWrapKey::from_bytes, 0x32);
        assert_eq!(
            SigningSecretKey::unwrap(&other_dev, SigningKeyUse::Device, &[1; 16], &wrapped).err(),
            Some(CryptoError::Tampered)
        );
        for i in 0..wrapped.len() {
            let mut tampered = wrapped.clone();
            tampered[i] ^= 0x40;
            assert!(SigningSecretKey::unwrap(&k_dev, SigningKeyUse::Device, &[1; 16], &tampered).is_err(), "byte {i}");
        }
        for len in 0..wrapped.len() {
            assert!(SigningSecretKey::unwrap(&k_dev, SigningKeyUse::Device, &[1; 16], &wrapped[..len]).is_err());
        }
        let agreement = AgreementSecretKey::generate();
        let wrapped = agreement.wrap(&k_dev, AgreementKeyUse::OrganisationIntake, &[3; 16]);
        let opened =
            AgreementSecretKey::unwrap(&k_dev, AgreementKeyUse::OrganisationIntake, &[3; 16], &wrapped).expect("unwrap");
        assert_eq!(opened.public_key(), agreement.public_key());
        assert!(AgreementSecretKey::unwrap(&k_dev, AgreementKeyUse::Device, &[3; 16], &wrapped).is_err());
    }

    #[test]
    fn secrets_do_not_print() {
        assert_eq!(format!("{:?}", SigningSecretKey::generate()), "SigningSecretKey(<redacted>)");
        assert_eq!(format!("{:?}", AgreementSecretKey::generate()), "AgreementSecretKey(<redacted>)");
    }
}
