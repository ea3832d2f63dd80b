//! The team key: one random symmetric key per team epoch, sealed by HQ to each member
//! device's X25519 key inside the roster, and rotated when a device is revoked.
//!
//! Sealed team key, format v1 ([`SEALED_TEAM_KEY_LEN`] = 80 bytes; age/HPKE-base style):
//!
//! ```text
//! [32] ephemeral X25519 public key E (fresh for every recipient and roster)
//! [48] XChaCha20-Poly1305(k, team key[32], AAD) with a 16-byte tag
//!      shared  = X25519(e, R)  (refused if all-zero)
//!      k ‖ n   = HKDF-SHA256(salt = E ‖ R, ikm = shared, info = "cairn/team-key-seal/v1"), 32 + 24 bytes
//!      AAD     = "cairn/team-key/v1" ‖ org id[16] ‖ roster version (u64 LE) ‖ epoch (u32 LE) ‖ device id[16]
//! ```
//!
//! Sealed label (a device or organisation name inside a roster), format v1
//! ([`SEALED_LABEL_LEN`] = 105 bytes, whatever the name's length):
//!
//! ```text
//! [24] nonce (random)
//! [81] XChaCha20-Poly1305(k_label, len u8 ‖ UTF-8 name ‖ zeros to 65 bytes, AAD) with a 16-byte tag
//!      k_label = HKDF-SHA256(ikm = team key, info = "cairn/roster-label-key/v1")
//!      AAD     = "cairn/roster-label/v1" ‖ org id[16] ‖ roster version (u64 LE) ‖ epoch (u32 LE)
//!                ‖ subject kind u8 (1 organisation, 2 device) ‖ subject id[16]
//! ```
//!
//! Case key wrapped under the team key, format v1 ([`TEAM_CASE_KEY_LEN`] = 77 bytes):
//!
//! ```text
//! u8   format version (1)
//! u32  team epoch (LE), so the receiver knows which team key opens it
//! [24] nonce (random)
//! [48] XChaCha20-Poly1305(k_case, case key[32], AAD)
//!      k_case = HKDF-SHA256(ikm = team key, info = "cairn/team-case-key-wrap/v1")
//!      AAD    = "cairn/team-case-key/v1" ‖ org id[16] ‖ epoch (u32 LE) ‖ case id[16] ‖ key version (u32 LE)
//! ```
//!
//! Shared case key, format v2 ([`SHARED_CASE_KEY_LEN`] = 93 bytes), what sync sends: the key
//! is named by its random key id (the id change envelopes carry), not a per-device version.
//!
//! ```text
//! u8   format version (2)
//! u32  team epoch (LE)
//! [16] key id
//! [24] nonce (random)
//! [48] XChaCha20-Poly1305(k_case, case key[32], AAD)
//!      k_case = HKDF-SHA256(ikm = team key, info = "cairn/team-case-key-wrap/v1")
//!      AAD    = "cairn/team-case-key/v2" ‖ org id[16] ‖ epoch (u32 LE) ‖ case id[16] ‖ key id[16]
//! ```
//!
//! Earlier team key sealed under a later one, format v1 ([`SEALED_EARLIER_TEAM_KEY_LEN`] = 72
//! bytes). Roster v2 carries every earlier epoch's key this way under the current epoch's key,
//! so a device enrolled after a revocation still opens what was shared before it, while a
//! revoked device (which never gets the current key) learns nothing new.
//!
//! ```text
//! [24] nonce (random)
//! [48] XChaCha20-Poly1305(k_epoch, earlier team key[32], AAD) with a 16-byte tag
//!      k_epoch = HKDF-SHA256(ikm = sealing (later) team key, info = "cairn/earlier-team-key-wrap/v1")
//!      AAD     = "cairn/earlier-team-key/v1" ‖ org id[16] ‖ sealing epoch (u32 LE) ‖ earlier epoch (u32 LE)
//! ```
//!
//! The roster version is deliberately not in the AAD: the whole roster is signed, and leaving
//! it out lets an enrollment (same epoch) carry the sealed keys over unchanged.
//!
//! Next root key commitment ([`ROOT_COMMITMENT_LEN`] = 32 bytes), what roster v2 names for
//! pre-rotation: `SHA-256("cairn/next-root-key/v1" ‖ Ed25519 public key[32])`.

use chacha20poly1305::{
    KeyInit, XChaCha20Poly1305, XNonce,
    aead::{Aead, Payload},
};
use hkdf::Hkdf;
use secrecy::{ExposeSecret, SecretBox};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

use crate::{
    AgreementPublicKey, AgreementSecretKey, CaseKey, CryptoError, DeviceWrapKey, NOISE_PSK_LEN, NoisePsk, SigningPublicKey,
    identity::{SecretKind, unwrap_secret, wrap_secret},
    random_array,
};

/// Length of a team key sealed to one device.
pub const SEALED_TEAM_KEY_LEN: usize = 32 + 32 + 16;
/// Longest label (device or organisation name) in UTF-8 bytes.
pub const MAX_LABEL_LEN: usize = 64;
/// Length of a sealed label.
pub const SEALED_LABEL_LEN: usize = 24 + 1 + MAX_LABEL_LEN + 16;
/// Length of a case key wrapped under a team key.
pub const TEAM_CASE_KEY_LEN: usize = 1 + 4 + 24 + 32 + 16;

const TEAM_CASE_KEY_V1: u8 = 1;

/// Length of a case key shared for sync (format v2, named by key id).
pub const SHARED_CASE_KEY_LEN: usize = 1 + 4 + 16 + 24 + 32 + 16;

const SHARED_CASE_KEY_V2: u8 = 2;

/// Length of an earlier epoch's team key sealed under a later epoch's team key.
pub const SEALED_EARLIER_TEAM_KEY_LEN: usize = 24 + 32 + 16;

/// Length of a commitment to a next root key ([`next_root_commitment`]).
pub const ROOT_COMMITMENT_LEN: usize = 32;

/// The commitment to a future HQ root key that a roster names before the key is ever used
/// (pre-rotation): a domain-separated SHA-256 of the public key, so the roster reveals nothing
/// that could be attacked before the rotation, and the key itself can stay offline until then.
pub fn next_root_commitment(next_root: &SigningPublicKey) -> [u8; ROOT_COMMITMENT_LEN] {
    let mut hasher = Sha256::new();
    Digest::update(&mut hasher, b"cairn/next-root-key/v1");
    Digest::update(&mut hasher, next_root.as_bytes());
    hasher.finalize().into()
}

/// The symmetric key of one team epoch. Not `Clone`, not printable; zeroized when dropped.
pub struct TeamKey(SecretBox<[u8; 32]>);

/// Where a sealed team key belongs. Every field is authenticated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TeamKeyContext {
    /// The organisation.
    pub org_id: [u8; 16],
    /// The version of the roster carrying the sealed key.
    pub roster_version: u64,
    /// The team key epoch.
    pub epoch: u32,
    /// The recipient device.
    pub device_id: [u8; 16],
}

impl TeamKeyContext {
    fn aad(&self) -> Vec<u8> {
        let mut aad = Vec::with_capacity(64);
        aad.extend_from_slice(b"cairn/team-key/v1");
        aad.extend_from_slice(&self.org_id);
        aad.extend_from_slice(&self.roster_version.to_le_bytes());
        aad.extend_from_slice(&self.epoch.to_le_bytes());
        aad.extend_from_slice(&self.device_id);
        aad
    }
}

/// Where an earlier epoch's team key, sealed under a later epoch's key, belongs. Every field is
/// authenticated, so a sealed key cannot be presented as another epoch's or another
/// organisation's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EarlierTeamKeyContext {
    /// The organisation.
    pub org_id: [u8; 16],
    /// The epoch of the team key that seals it (the roster's current epoch).
    pub sealing_epoch: u32,
    /// The epoch of the sealed key (lower than `sealing_epoch`).
    pub earlier_epoch: u32,
}

impl EarlierTeamKeyContext {
    fn aad(&self) -> Vec<u8> {
        let mut aad = Vec::with_capacity(48);
        aad.extend_from_slice(b"cairn/earlier-team-key/v1");
        aad.extend_from_slice(&self.org_id);
        aad.extend_from_slice(&self.sealing_epoch.to_le_bytes());
        aad.extend_from_slice(&self.earlier_epoch.to_le_bytes());
        aad
    }
}

/// Whose name a sealed label holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LabelSubject {
    /// The organisation's name.
    Organisation,
    /// A device's name.
    Device([u8; 16]),
}

/// Where a sealed label belongs. Every field is authenticated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LabelContext {
    /// The organisation.
    pub org_id: [u8; 16],
    /// The version of the roster carrying the label.
    pub roster_version: u64,
    /// The team key epoch that seals it.
    pub epoch: u32,
    /// Whose name it is.
    pub subject: LabelSubject,
}

impl LabelContext {
    fn aad(&self) -> Vec<u8> {
        let mut aad = Vec::with_capacity(72);
        aad.extend_from_slice(b"cairn/roster-label/v1");
        aad.extend_from_slice(&self.org_id);
        aad.extend_from_slice(&self.roster_version.to_le_bytes());
        aad.extend_from_slice(&self.epoch.to_le_bytes());
        match self.subject {
            LabelSubject::Organisation => {
                aad.push(1);
                aad.extend_from_slice(&self.org_id);
            }
            LabelSubject::Device(id) => {
                aad.push(2);
                aad.extend_from_slice(&id);
            }
        }
        aad
    }
}

/// Where a case key shared under the team key belongs. Every field is authenticated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TeamCaseKeyContext {
    /// The organisation.
    pub org_id: [u8; 16],
    /// The case.
    pub case_id: [u8; 16],
    /// The case key's version.
    pub key_version: u32,
}

pub(crate) fn hkdf_expand<const N: usize>(salt: Option<&[u8]>, ikm: &[u8], info: &[u8]) -> Zeroizing<[u8; N]> {
    let mut out = Zeroizing::new([0u8; N]);
    Hkdf::<Sha256>::new(salt, ikm)
        .expand(info, out.as_mut())
        .expect("56 bytes or fewer is a valid HKDF-SHA256 output length");
    out
}

impl TeamKey {
    /// A fresh random team key (a new epoch).
    pub fn generate() -> Self {
        let bytes = Zeroizing::new(random_array::<32>());
        Self::from_bytes(&bytes)
    }

    pub(crate) fn from_bytes(bytes: &[u8; 32]) -> Self {
        Self(SecretBox::new(Box::new(*bytes)))
    }

    fn bytes(&self) -> &[u8; 32] {
        self.0.expose_secret()
    }

    fn subkey(&self, info: &[u8]) -> XChaCha20Poly1305 {
        let key = hkdf_expand::<32>(None, self.bytes(), info);
        XChaCha20Poly1305::new((&*key).into())
    }

    /// Whether two team keys are the same key (constant time).
    pub fn same_key_as(&self, other: &TeamKey) -> bool {
        self.bytes().ct_eq(other.bytes()).into()
    }

    /// Wraps this key under K_dev for local storage, bound to its organisation and epoch.
    pub fn wrap(&self, key: &DeviceWrapKey, org_id: &[u8; 16], epoch: u32) -> Vec<u8> {
        self.wrap_with_nonce(key, org_id, epoch, random_array())
    }

    pub(crate) fn wrap_with_nonce(&self, key: &DeviceWrapKey, org_id: &[u8; 16], epoch: u32, nonce: [u8; 24]) -> Vec<u8> {
        wrap_secret(key, SecretKind::TeamKey, org_id, epoch, self.bytes(), nonce)
    }

    /// Opens a key wrapped by [`TeamKey::wrap`] for the same organisation and epoch.
    pub fn unwrap(key: &DeviceWrapKey, org_id: &[u8; 16], epoch: u32, wrapped: &[u8]) -> Result<Self, CryptoError> {
        let bytes = unwrap_secret(key, SecretKind::TeamKey, org_id, epoch, wrapped)?;
        Ok(Self::from_bytes(&bytes))
    }

    /// Seals this key to one device's X25519 key, bound to `context`.
    pub fn seal_to(
        &self,
        recipient: &AgreementPublicKey,
        context: &TeamKeyContext,
    ) -> Result<[u8; SEALED_TEAM_KEY_LEN], CryptoError> {
        let ephemeral = Zeroizing::new(random_array::<32>());
        self.seal_to_with_ephemeral(recipient, context, &ephemeral)
    }

    pub(crate) fn seal_to_with_ephemeral(
        &self,
        recipient: &AgreementPublicKey,
        context: &TeamKeyContext,
        ephemeral: &[u8; 32],
    ) -> Result<[u8; SEALED_TEAM_KEY_LEN], CryptoError> {
        let ephemeral = AgreementSecretKey::from_bytes(ephemeral);
        let ephemeral_public = ephemeral.public_key();
        let shared = ephemeral.diffie_hellman(recipient)?;
        let cipher = seal_cipher(&shared, &ephemeral_public, recipient);
        let sealed = cipher
            .0
            .encrypt(&cipher.1, Payload { msg: self.bytes(), aad: &context.aad() })
            .expect("XChaCha20-Poly1305 cannot fail on a 32-byte message");
        let mut out = [0u8; SEALED_TEAM_KEY_LEN];
        out[..32].copy_from_slice(ephemeral_public.as_bytes());
        out[32..].copy_from_slice(&sealed);
        Ok(out)
    }

    /// Opens a team key sealed to `recipient` by [`TeamKey::seal_to`] for exactly `context`.
    /// Any failure (another recipient, altered bytes, moved to another device, roster,
    /// epoch or organisation) is [`CryptoError::Tampered`].
    pub fn open_sealed(
        recipient: &AgreementSecretKey,
        context: &TeamKeyContext,
        sealed: &[u8],
    ) -> Result<TeamKey, CryptoError> {
        if sealed.len() != SEALED_TEAM_KEY_LEN {
            return Err(CryptoError::Malformed { what: "sealed team key" });
        }
        let mut ephemeral = [0u8; 32];
        ephemeral.copy_from_slice(&sealed[..32]);
        let ephemeral = AgreementPublicKey::from_bytes(ephemeral).map_err(|_| CryptoError::Tampered)?;
        let shared = recipient.diffie_hellman(&ephemeral).map_err(|_| CryptoError::Tampered)?;
        let cipher = seal_cipher(&shared, &ephemeral, &recipient.public_key());
        let opened = Zeroizing::new(
            cipher
                .0
                .decrypt(&cipher.1, Payload { msg: &sealed[32..], aad: &context.aad() })
                .map_err(|_| CryptoError::Tampered)?,
        );
        let bytes: &[u8; 32] = opened.as_slice().try_into().map_err(|_| CryptoError::Tampered)?;
        Ok(TeamKey::from_bytes(bytes))
    }

    /// Seals a name (at most [`MAX_LABEL_LEN`] UTF-8 bytes) under this key. Every sealed
    /// label has the same length, so a roster does not reveal how long names are.
    pub fn seal_label(&self, context: &LabelContext, label: &str) -> Result<[u8; SEALED_LABEL_LEN], CryptoError> {
        self.seal_label_with_nonce(context, label, random_array())
    }

    pub(crate) fn seal_label_with_nonce(
        &self,
        context: &LabelContext,
        label: &str,
        nonce: [u8; 24],
    ) -> Result<[u8; SEALED_LABEL_LEN], CryptoError> {
        let bytes = label.as_bytes();
        if bytes.len() > MAX_LABEL_LEN {
            return Err(CryptoError::TooLarge { what: "label" });
        }
        let mut padded = Zeroizing::new([0u8; 1 + MAX_LABEL_LEN]);
        padded[0] = u8::try_from(bytes.len()).expect("at most 64");
        padded[1..1 + bytes.len()].copy_from_slice(bytes);
        let sealed = self
            .subkey(b"cairn/roster-label-key/v1")
            .encrypt(&XNonce::from(nonce), Payload { msg: padded.as_slice(), aad: &context.aad() })
            .expect("XChaCha20-Poly1305 cannot fail on a 65-byte message");
        let mut out = [0u8; SEALED_LABEL_LEN];
        out[..24].copy_from_slice(&nonce);
        out[24..].copy_from_slice(&sealed);
        Ok(out)
    }

    /// Opens a label sealed by [`TeamKey::seal_label`] for exactly `context`.
    pub fn open_label(&self, context: &LabelContext, sealed: &[u8]) -> Result<String, CryptoError> {
        let malformed = CryptoError::Malformed { what: "sealed label" };
        if sealed.len() != SEALED_LABEL_LEN {
            return Err(malformed);
        }
        let nonce = XNonce::try_from(&sealed[..24]).map_err(|_| malformed.clone())?;
        let padded = Zeroizing::new(
            self.subkey(b"cairn/roster-label-key/v1")
                .decrypt(&nonce, Payload { msg: &sealed[24..], aad: &context.aad() })
                .map_err(|_| CryptoError::Tampered)?,
        );
        let len = usize::from(padded[0]);
        if len > MAX_LABEL_LEN || padded[1 + len..].iter().any(|&b| b != 0) {
            return Err(malformed);
        }
        String::from_utf8(padded[1..1 + len].to_vec()).map_err(|_| malformed)
    }

    /// Seals `earlier` (the key of `context.earlier_epoch`) under this key (the key of
    /// `context.sealing_epoch`). Only a strictly earlier epoch can be sealed: a key is never
    /// sealed under itself or under an older one.
    pub fn seal_earlier(
        &self,
        context: &EarlierTeamKeyContext,
        earlier: &TeamKey,
    ) -> Result<[u8; SEALED_EARLIER_TEAM_KEY_LEN], CryptoError> {
        self.seal_earlier_with_nonce(context, earlier, random_array())
    }

    pub(crate) fn seal_earlier_with_nonce(
        &self,
        context: &EarlierTeamKeyContext,
        earlier: &TeamKey,
        nonce: [u8; 24],
    ) -> Result<[u8; SEALED_EARLIER_TEAM_KEY_LEN], CryptoError> {
        if context.earlier_epoch == 0 || context.earlier_epoch >= context.sealing_epoch {
            return Err(CryptoError::Malformed { what: "earlier team key epoch" });
        }
        let sealed = self
            .subkey(b"cairn/earlier-team-key-wrap/v1")
            .encrypt(&XNonce::from(nonce), Payload { msg: earlier.bytes(), aad: &context.aad() })
            .expect("XChaCha20-Poly1305 cannot fail on a 32-byte message");
        let mut out = [0u8; SEALED_EARLIER_TEAM_KEY_LEN];
        out[..24].copy_from_slice(&nonce);
        out[24..].copy_from_slice(&sealed);
        Ok(out)
    }

    /// Opens an earlier epoch's key sealed by [`TeamKey::seal_earlier`] under this key, for
    /// exactly `context`. Any failure (another key, altered bytes, another epoch or
    /// organisation) is [`CryptoError::Tampered`]; a wrong length is malformed.
    pub fn open_earlier(&self, context: &EarlierTeamKeyContext, sealed: &[u8]) -> Result<TeamKey, CryptoError> {
        if sealed.len() != SEALED_EARLIER_TEAM_KEY_LEN {
            return Err(CryptoError::Malformed { what: "sealed earlier team key" });
        }
        let nonce =
            XNonce::try_from(&sealed[..24]).map_err(|_| CryptoError::Malformed { what: "sealed earlier team key" })?;
        let opened = Zeroizing::new(
            self.subkey(b"cairn/earlier-team-key-wrap/v1")
                .decrypt(&nonce, Payload { msg: &sealed[24..], aad: &context.aad() })
                .map_err(|_| CryptoError::Tampered)?,
        );
        let bytes: &[u8; 32] = opened.as_slice().try_into().map_err(|_| CryptoError::Tampered)?;
        Ok(TeamKey::from_bytes(bytes))
    }

    /// The LAN beacon key of this epoch (see `beacon`).
    pub fn beacon_key(&self, org_id: &[u8; 16], epoch: u32) -> crate::BeaconKey {
        crate::BeaconKey::derive(self.bytes(), org_id, epoch)
    }

    /// The Noise pre-shared key of this epoch: what proves, in the first handshake message,
    /// that a peer holds the team secret, before either side reveals its static key.
    pub fn noise_psk(&self, org_id: &[u8; 16], epoch: u32) -> NoisePsk {
        let mut info = Vec::with_capacity(40);
        info.extend_from_slice(b"cairn/noise-psk/v1");
        info.extend_from_slice(org_id);
        info.extend_from_slice(&epoch.to_le_bytes());
        let key = hkdf_expand::<NOISE_PSK_LEN>(None, self.bytes(), &info);
        NoisePsk::from_bytes(&key)
    }

    /// Wraps a case key under this team key (epoch `epoch`), to share the case with every
    /// device holding the epoch.
    pub fn wrap_case_key(&self, epoch: u32, context: &TeamCaseKeyContext, case_key: &CaseKey) -> Vec<u8> {
        self.wrap_case_key_with_nonce(epoch, context, case_key, random_array())
    }

    pub(crate) fn wrap_case_key_with_nonce(
        &self,
        epoch: u32,
        context: &TeamCaseKeyContext,
        case_key: &CaseKey,
        nonce: [u8; 24],
    ) -> Vec<u8> {
        let sealed = self
            .subkey(b"cairn/team-case-key-wrap/v1")
            .encrypt(&XNonce::from(nonce), Payload { msg: case_key.bytes(), aad: &team_case_key_aad(epoch, context) })
            .expect("XChaCha20-Poly1305 cannot fail on a 32-byte message");
        let mut out = Vec::with_capacity(TEAM_CASE_KEY_LEN);
        out.push(TEAM_CASE_KEY_V1);
        out.extend_from_slice(&epoch.to_le_bytes());
        out.extend_from_slice(&nonce);
        out.extend_from_slice(&sealed);
        out
    }

    /// The team epoch whose key opens a wrapped case key.
    pub fn epoch_of_wrapped_case_key(wrapped: &[u8]) -> Result<u32, CryptoError> {
        let Some(&version) = wrapped.first() else { return Err(CryptoError::Malformed { what: "team case key" }) };
        if version != TEAM_CASE_KEY_V1 {
            return Err(CryptoError::UnsupportedVersion { what: "team case key", version: version.into() });
        }
        if wrapped.len() != TEAM_CASE_KEY_LEN {
            return Err(CryptoError::Malformed { what: "team case key" });
        }
        Ok(u32::from_le_bytes([wrapped[1], wrapped[2], wrapped[3], wrapped[4]]))
    }

    /// Opens a case key wrapped by [`TeamKey::wrap_case_key`] with this key, the key of
    /// epoch `epoch`.
    pub fn unwrap_case_key(&self, epoch: u32, context: &TeamCaseKeyContext, wrapped: &[u8]) -> Result<CaseKey, CryptoError> {
        if Self::epoch_of_wrapped_case_key(wrapped)? != epoch {
            return Err(CryptoError::Tampered);
        }
        let nonce = XNonce::try_from(&wrapped[5..29]).map_err(|_| CryptoError::Malformed { what: "team case key" })?;
        let opened = Zeroizing::new(
            self.subkey(b"cairn/team-case-key-wrap/v1")
                .decrypt(&nonce, Payload { msg: &wrapped[29..], aad: &team_case_key_aad(epoch, context) })
                .map_err(|_| CryptoError::Tampered)?,
        );
        let bytes: [u8; 32] = opened.as_slice().try_into().map_err(|_| CryptoError::Malformed { what: "team case key" })?;
        Ok(CaseKey::from_bytes(bytes))
    }

    /// Shares a case key, named by `key_id`, with every device holding this team key (the
    /// key of epoch `epoch` of organisation `org_id`): format v2, what sync sends.
    pub fn share_case_key(
        &self,
        org_id: &[u8; 16],
        epoch: u32,
        case_id: &[u8; 16],
        key_id: &[u8; 16],
        case_key: &CaseKey,
    ) -> Vec<u8> {
        self.share_case_key_with_nonce(org_id, epoch, case_id, key_id, case_key, random_array())
    }

    pub(crate) fn share_case_key_with_nonce(
        &self,
        org_id: &[u8; 16],
        epoch: u32,
        case_id: &[u8; 16],
        key_id: &[u8; 16],
        case_key: &CaseKey,
        nonce: [u8; 24],
    ) -> Vec<u8> {
        let aad = shared_case_key_aad(org_id, epoch, case_id, key_id);
        let sealed = self
            .subkey(b"cairn/team-case-key-wrap/v1")
            .encrypt(&XNonce::from(nonce), Payload { msg: case_key.bytes(), aad: &aad })
            .expect("XChaCha20-Poly1305 cannot fail on a 32-byte message");
        let mut out = Vec::with_capacity(SHARED_CASE_KEY_LEN);
        out.push(SHARED_CASE_KEY_V2);
        out.extend_from_slice(&epoch.to_le_bytes());
        out.extend_from_slice(key_id);
        out.extend_from_slice(&nonce);
        out.extend_from_slice(&sealed);
        out
    }

    /// The team epoch and key id a shared case key names (to pick the team key that opens it).
    pub fn shared_case_key_header(shared: &[u8]) -> Result<(u32, [u8; 16]), CryptoError> {
        let Some(&version) = shared.first() else { return Err(CryptoError::Malformed { what: "shared case key" }) };
        if version != SHARED_CASE_KEY_V2 {
            return Err(CryptoError::UnsupportedVersion { what: "shared case key", version: version.into() });
        }
        if shared.len() != SHARED_CASE_KEY_LEN {
            return Err(CryptoError::Malformed { what: "shared case key" });
        }
        let epoch = u32::from_le_bytes([shared[1], shared[2], shared[3], shared[4]]);
        let mut key_id = [0u8; 16];
        key_id.copy_from_slice(&shared[5..21]);
        Ok((epoch, key_id))
    }

    /// Opens a case key shared by [`TeamKey::share_case_key`] with this key (the key of the
    /// epoch the header names), returning its key id and the key.
    pub fn open_shared_case_key(
        &self,
        org_id: &[u8; 16],
        case_id: &[u8; 16],
        shared: &[u8],
    ) -> Result<([u8; 16], CaseKey), CryptoError> {
        let (epoch, key_id) = Self::shared_case_key_header(shared)?;
        let nonce = XNonce::try_from(&shared[21..45]).map_err(|_| CryptoError::Malformed { what: "shared case key" })?;
        let aad = shared_case_key_aad(org_id, epoch, case_id, &key_id);
        let opened = Zeroizing::new(
            self.subkey(b"cairn/team-case-key-wrap/v1")
                .decrypt(&nonce, Payload { msg: &shared[45..], aad: &aad })
                .map_err(|_| CryptoError::Tampered)?,
        );
        let bytes: [u8; 32] =
            opened.as_slice().try_into().map_err(|_| CryptoError::Malformed { what: "shared case key" })?;
        Ok((key_id, CaseKey::from_bytes(bytes)))
    }
}

fn shared_case_key_aad(org_id: &[u8; 16], epoch: u32, case_id: &[u8; 16], key_id: &[u8; 16]) -> Vec<u8> {
    let mut aad = Vec::with_capacity(80);
    aad.extend_from_slice(b"cairn/team-case-key/v2");
    aad.extend_from_slice(org_id);
    aad.extend_from_slice(&epoch.to_le_bytes());
    aad.extend_from_slice(case_id);
    aad.extend_from_slice(key_id);
    aad
}

fn team_case_key_aad(epoch: u32, context: &TeamCaseKeyContext) -> Vec<u8> {
    let mut aad = Vec::with_capacity(64);
    aad.extend_from_slice(b"cairn/team-case-key/v1");
    aad.extend_from_slice(&context.org_id);
    aad.extend_from_slice(&epoch.to_le_bytes());
    aad.extend_from_slice(&context.case_id);
    aad.extend_from_slice(&context.key_version.to_le_bytes());
    aad
}

fn seal_cipher(
    shared: &[u8; 32],
    ephemeral: &AgreementPublicKey,
    recipient: &AgreementPublicKey,
) -> (XChaCha20Poly1305, XNonce) {
    let salt = [ephemeral.as_bytes().as_slice(), recipient.as_bytes()].concat();
    let okm = hkdf_expand::<56>(Some(&salt), shared, b"cairn/team-key-seal/v1");
    let cipher = XChaCha20Poly1305::new((&okm[..32]).try_into().expect("32 bytes"));
    let nonce = XNonce::try_from(&okm[32..]).expect("24 bytes");
    (cipher, nonce)
}

impl std::fmt::Debug for TeamKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TeamKey(<redacted>)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keys::test_keys::{case_key, fixed};

    fn context() -> TeamKeyContext {
        TeamKeyContext { org_id: [1; 16], roster_version: 7, epoch: 2, device_id: [3; 16] }
    }

    #[test]
    fn sealed_team_key_opens_only_for_its_recipient_and_context() {
        let team_key = TeamKey::generate();
        let device = AgreementSecretKey::generate();
        let other = AgreementSecretKey::generate();
        let sealed = team_key.seal_to(&device.public_key(), &context()).expect("seal");
        assert!(TeamKey::open_sealed(&device, &context(), &sealed).expect("open").same_key_as(&team_key));
        assert_eq!(TeamKey::open_sealed(&other, &context(), &sealed).err(), Some(CryptoError::Tampered));
        let moves = [
            TeamKeyContext { org_id: [9; 16], ..context() },
            TeamKeyContext { roster_version: 8, ..context() },
            TeamKeyContext { epoch: 3, ..context() },
            TeamKeyContext { device_id: [9; 16], ..context() },
        ];
        for moved in moves {
            assert_eq!(TeamKey::open_sealed(&device, &moved, &sealed).err(), Some(CryptoError::Tampered), "{moved:?}");
        }
        for i in 0..sealed.len() {
            let mut tampered = sealed;
            tampered[i] ^= 0x02;
            assert!(TeamKey::open_sealed(&device, &context(), &tampered).is_err(), "byte {i}");
        }
        for len in 0..sealed.len() {
            assert!(TeamKey::open_sealed(&device, &context(), &sealed[..len]).is_err());
        }
        // Two seals of the same key differ (fresh ephemeral keys).
        assert_ne!(sealed, team_key.seal_to(&device.public_key(), &context()).expect("seal"));
    }

    #[test]
    fn labels_round_trip_hide_their_length_and_stay_in_place() {
        let key = TeamKey::generate();
        let context = LabelContext { org_id: [1; 16], roster_version: 4, epoch: 1, subject: LabelSubject::Device([5; 16]) };
        for name in ["", "a", "현장 노트북 3", &"x".repeat(MAX_LABEL_LEN)] {
            let sealed = key.seal_label(&context, name).expect("seal");
            assert_eq!(sealed.len(), SEALED_LABEL_LEN);
            assert_eq!(key.open_label(&context, &sealed).expect("open"), name);
        }
        assert_eq!(
            key.seal_label(&context, &"x".repeat(MAX_LABEL_LEN + 1)).err(),
            Some(CryptoError::TooLarge { what: "label" })
        );
        let sealed = key.seal_label(&context, "laptop").expect("seal");
        let moved = [
            LabelContext { subject: LabelSubject::Device([6; 16]), ..context },
            LabelContext { subject: LabelSubject::Organisation, ..context },
            LabelContext { roster_version: 5, ..context },
            LabelContext { epoch: 2, ..context },
            LabelContext { org_id: [2; 16], ..context },
        ];
        for moved in moved {
            assert_eq!(key.open_label(&moved, &sealed).err(), Some(CryptoError::Tampered), "{moved:?}");
        }
        assert_eq!(TeamKey::generate().open_label(&context, &sealed).err(), Some(CryptoError::Tampered));
    }

    #[test]
    fn case_keys_wrapped_under_an_epoch_need_that_epochs_key() {
        let epoch1 = TeamKey::generate();
        let epoch2 = TeamKey::generate();
        let context = TeamCaseKeyContext { org_id: [1; 16], case_id: [2; 16], key_version: 1 };
        let secret = case_key(0x44);
        let wrapped = epoch2.wrap_case_key(2, &context, &secret);
        assert_eq!(wrapped.len(), TEAM_CASE_KEY_LEN);
        assert_eq!(TeamKey::epoch_of_wrapped_case_key(&wrapped), Ok(2));
        assert_eq!(epoch2.unwrap_case_key(2, &context, &wrapped).expect("unwrap").bytes(), secret.bytes());
        // The previous epoch's key (all a revoked device holds) does not open it.
        assert_eq!(epoch1.unwrap_case_key(2, &context, &wrapped).err(), Some(CryptoError::Tampered));
        assert_eq!(epoch1.unwrap_case_key(1, &context, &wrapped).err(), Some(CryptoError::Tampered));
        let moved = TeamCaseKeyContext { case_id: [3; 16], ..context };
        assert_eq!(epoch2.unwrap_case_key(2, &moved, &wrapped).err(), Some(CryptoError::Tampered));
        let mut relabelled = wrapped.clone();
        relabelled[1] = 3;
        assert_eq!(epoch2.unwrap_case_key(3, &context, &relabelled).err(), Some(CryptoError::Tampered));
    }

    #[test]
    fn earlier_team_keys_open_only_under_their_sealing_key_and_context() {
        let (epoch1, epoch2, epoch3) = (TeamKey::generate(), TeamKey::generate(), TeamKey::generate());
        let context = EarlierTeamKeyContext { org_id: [1; 16], sealing_epoch: 3, earlier_epoch: 1 };
        let sealed = epoch3.seal_earlier(&context, &epoch1).expect("seal");
        assert_eq!(sealed.len(), SEALED_EARLIER_TEAM_KEY_LEN);
        assert!(epoch3.open_earlier(&context, &sealed).expect("open").same_key_as(&epoch1));
        // Only the sealing epoch's key opens it; a revoked device holding epochs 1 and 2 cannot.
        assert_eq!(epoch2.open_earlier(&context, &sealed).err(), Some(CryptoError::Tampered));
        assert_eq!(epoch1.open_earlier(&context, &sealed).err(), Some(CryptoError::Tampered));
        let moves = [
            EarlierTeamKeyContext { org_id: [2; 16], ..context },
            EarlierTeamKeyContext { sealing_epoch: 4, ..context },
            EarlierTeamKeyContext { earlier_epoch: 2, ..context },
        ];
        for moved in moves {
            assert_eq!(epoch3.open_earlier(&moved, &sealed).err(), Some(CryptoError::Tampered), "{moved:?}");
        }
        for i in 0..sealed.len() {
            let mut tampered = sealed;
            tampered[i] ^= 0x04;
            assert_eq!(epoch3.open_earlier(&context, &tampered).err(), Some(CryptoError::Tampered), "byte {i}");
        }
        for len in 0..sealed.len() {
            assert_eq!(
                epoch3.open_earlier(&context, &sealed[..len]).err(),
                Some(CryptoError::Malformed { what: "sealed earlier team key" })
            );
        }
        // Never under itself or an older epoch, never epoch 0.
        for (sealing_epoch, earlier_epoch) in [(3, 3), (2, 3), (3, 0)] {
            let context = EarlierTeamKeyContext { org_id: [1; 16], sealing_epoch, earlier_epoch };
            assert_eq!(
                epoch3.seal_earlier(&context, &epoch1).err(),
                Some(CryptoError::Malformed { what: "earlier team key epoch" })
            );
        }
    }

    #[test]
    fn next_root_commitments_differ_per_key_and_are_not_the_key() {
        let (a, b) = (crate::SigningSecretKey::generate().public_key(), crate::SigningSecretKey::generate().public_key());
        assert_eq!(next_root_commitment(&a), next_root_commitment(&a));
        assert_ne!(next_root_commitment(&a), next_root_commitment(&b));
        assert_ne!(&next_root_commitment(&a), a.as_bytes());
        assert_ne!(next_root_commitment(&a), [0; ROOT_COMMITMENT_LEN], "all-zero means none");
    }

    #[test]
    fn wrapped_team_keys_are_bound_to_organisation_and_epoch() {
        let k_dev = fixed(DeviceWrapKey::from_bytes, 0x21);
        let key = TeamKey::generate();
        let wrapped = key.wrap(&k_dev, &[1; 16], 4);
        assert!(TeamKey::unwrap(&k_dev, &[1; 16], 4, &wrapped).expect("unwrap").same_key_as(&key));
        assert_eq!(TeamKey::unwrap(&k_dev, &[1; 16], 5, &wrapped).err(), Some(CryptoError::Tampered));
        assert_eq!(TeamKey::unwrap(&k_dev, &[2; 16], 4, &wrapped).err(), Some(CryptoError::Tampered));
        assert!(!key.same_key_as(&TeamKey::generate()));
    }
}
