//! The vault header: KDF parameters and a fixed number of keyslots wrapping the vault master key.
//!
//! Format v1 (all integers little-endian), [`VaultHeader::LEN`] bytes:
//!
//! ```text
//! 0   u16  format version (1)
//! 2   u16  flags (bit 0: insecure test KDF profile; other bits must be 0)
//! 4   u32  Argon2id memory KiB      8  u32 passes      12 u32 lanes
//! 16  [16] Argon2id salt
//! 32  [16] vault id
//! 48  KEYSLOT_COUNT × 88-byte slots: nonce[24] ‖ XChaCha20-Poly1305(KEK_i, slot plaintext)
//!     slot plaintext (48 bytes): kind u8 ‖ 15 zero bytes ‖ VMK[32]
//!     KEK_i = HKDF-SHA256(Argon2id(secret), info = "cairn/v1/keyslot" ‖ i)
//!     AAD   = "cairn/keyslot/v1" ‖ header[0..48] ‖ i
//! ```
//!
//! There is no magic number. Unused slots are random bytes and look exactly like used ones,
//! so the header does not say how many secrets open the vault or of which kind. The whole
//! plaintext prefix is in every slot's AAD: editing a KDF parameter or the salt makes every
//! slot fail, so parameters cannot be downgraded. They are also capped before use.

use chacha20poly1305::{
    XNonce,
    aead::{Aead, Payload},
};
use hkdf::Hkdf;
use sha2::Sha256;
use zeroize::Zeroizing;

use crate::{
    CryptoError, KdfParams, KdfProfile, RecoveryCode, VaultMasterKey,
    keys::WrapKey,
    random::{fill_random, random_array},
};

/// Number of keyslots in every header, used or not.
pub const KEYSLOT_COUNT: usize = 4;
const FORMAT_V1: u16 = 1;
const FLAG_INSECURE_KDF: u16 = 1;
const PREFIX_LEN: usize = 48;
const SLOT_PLAINTEXT_LEN: usize = 48;
const SLOT_LEN: usize = 24 + SLOT_PLAINTEXT_LEN + 16;

/// What kind of secret a keyslot holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SlotKind {
    /// The everyday passphrase.
    Passphrase,
    /// The recovery code printed at creation.
    Recovery,
}

impl SlotKind {
    fn to_byte(self) -> u8 {
        match self {
            SlotKind::Passphrase => 1,
            SlotKind::Recovery => 2,
        }
    }

    fn from_byte(byte: u8) -> Option<Self> {
        match byte {
            1 => Some(SlotKind::Passphrase),
            2 => Some(SlotKind::Recovery),
            _ => None,
        }
    }
}

/// A parsed (not yet unlocked) vault header.
#[derive(Clone, PartialEq, Eq)]
pub struct VaultHeader {
    flags: u16,
    kdf: KdfParams,
    salt: [u8; 16],
    vault_id: [u8; 16],
    slots: [[u8; SLOT_LEN]; KEYSLOT_COUNT],
}

/// The result of opening a keyslot.
#[derive(Debug)]
pub struct UnlockedHeader {
    /// The vault master key.
    pub master_key: VaultMasterKey,
    /// The kind of secret that opened it.
    pub kind: SlotKind,
    /// Which slot it opened, for re-wrapping.
    pub slot: usize,
}

impl VaultHeader {
    /// Length of a v1 header in bytes.
    pub const LEN: usize = PREFIX_LEN + KEYSLOT_COUNT * SLOT_LEN;
    /// The slot that holds the passphrase.
    pub const PASSPHRASE_SLOT: usize = 0;
    /// The slot that holds the recovery code.
    pub const RECOVERY_SLOT: usize = 1;

    /// A new header with a fresh master key, opened by `passphrase` (slot 0) and by
    /// `recovery` (slot 1); the other slots are random filler.
    pub fn create(
        passphrase: &str,
        recovery: &RecoveryCode,
        kdf: KdfParams,
        profile: KdfProfile,
    ) -> Result<(VaultHeader, VaultMasterKey), CryptoError> {
        let master_key = VaultMasterKey::generate();
        let mut header = VaultHeader {
            flags: match profile {
                KdfProfile::Standard => 0,
                KdfProfile::InsecureTestOnly => FLAG_INSECURE_KDF,
            },
            kdf,
            salt: random_array(),
            vault_id: random_array(),
            slots: [[0u8; SLOT_LEN]; KEYSLOT_COUNT],
        };
        header.kdf.validate(profile)?;
        for slot in header.slots.iter_mut() {
            fill_random(slot);
        }
        header.seal_slot(Self::PASSPHRASE_SLOT, SlotKind::Passphrase, &master_key, passphrase, random_array())?;
        header.seal_slot(Self::RECOVERY_SLOT, SlotKind::Recovery, &master_key, recovery.canonical(), random_array())?;
        Ok((header, master_key))
    }

    /// Parses and sanity-checks a header; does not unlock it.
    pub fn parse(bytes: &[u8]) -> Result<VaultHeader, CryptoError> {
        let malformed = CryptoError::Malformed { what: "vault header" };
        if bytes.len() < 2 {
            return Err(malformed);
        }
        let version = u16::from_le_bytes([bytes[0], bytes[1]]);
        if version != FORMAT_V1 {
            return Err(CryptoError::UnsupportedVersion { what: "vault header", version });
        }
        if bytes.len() != Self::LEN {
            return Err(malformed);
        }
        let u32_at = |at: usize| u32::from_le_bytes([bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]]);
        let flags = u16::from_le_bytes([bytes[2], bytes[3]]);
        if flags & !FLAG_INSECURE_KDF != 0 {
            return Err(malformed);
        }
        let mut header = VaultHeader {
            flags,
            kdf: KdfParams { memory_kib: u32_at(4), iterations: u32_at(8), parallelism: u32_at(12) },
            salt: bytes[16..32].try_into().map_err(|_| malformed.clone())?,
            vault_id: bytes[32..48].try_into().map_err(|_| malformed.clone())?,
            slots: [[0u8; SLOT_LEN]; KEYSLOT_COUNT],
        };
        header.kdf.validate(header.kdf_profile())?;
        for (i, slot) in header.slots.iter_mut().enumerate() {
            let start = PREFIX_LEN + i * SLOT_LEN;
            slot.copy_from_slice(&bytes[start..start + SLOT_LEN]);
        }
        Ok(header)
    }

    /// The header's bytes, as stored.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = self.prefix();
        for slot in &self.slots {
            out.extend_from_slice(slot);
        }
        out
    }

    /// The random identifier of this vault.
    pub fn vault_id(&self) -> [u8; 16] {
        self.vault_id
    }

    /// The Argon2id parameters.
    pub fn kdf_params(&self) -> KdfParams {
        self.kdf
    }

    /// Whether this vault was made with the insecure test profile.
    pub fn kdf_profile(&self) -> KdfProfile {
        if self.flags & FLAG_INSECURE_KDF != 0 { KdfProfile::InsecureTestOnly } else { KdfProfile::Standard }
    }

    /// Derives the key from `secret` (one Argon2id run) and tries every slot.
    pub fn unlock(&self, secret: &str) -> Result<UnlockedHeader, CryptoError> {
        let derived = self.kdf.derive(secret, &self.salt)?;
        for slot in 0..KEYSLOT_COUNT {
            if let Some((kind, master_key)) = self.open_slot(&derived, slot) {
                return Ok(UnlockedHeader { master_key, kind, slot });
            }
        }
        Err(CryptoError::WrongSecret)
    }

    /// Unlocks with a recovery code (see [`RecoveryCode::parse`]).
    pub fn unlock_with_recovery_code(&self, code: &RecoveryCode) -> Result<UnlockedHeader, CryptoError> {
        self.unlock(code.canonical())
    }

    /// A copy of this header where `slot` holds `master_key` under `new_secret`.
    pub fn rewrap(
        &self,
        slot: usize,
        kind: SlotKind,
        master_key: &VaultMasterKey,
        new_secret: &str,
    ) -> Result<VaultHeader, CryptoError> {
        let mut next = self.clone();
        next.seal_slot(slot, kind, master_key, new_secret, random_array())?;
        Ok(next)
    }

    fn prefix(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(Self::LEN);
        out.extend_from_slice(&FORMAT_V1.to_le_bytes());
        out.extend_from_slice(&self.flags.to_le_bytes());
        out.extend_from_slice(&self.kdf.memory_kib.to_le_bytes());
        out.extend_from_slice(&self.kdf.iterations.to_le_bytes());
        out.extend_from_slice(&self.kdf.parallelism.to_le_bytes());
        out.extend_from_slice(&self.salt);
        out.extend_from_slice(&self.vault_id);
        out
    }

    fn slot_kek(derived: &[u8; 32], slot: usize) -> WrapKey {
        let hkdf = Hkdf::<Sha256>::new(None, derived);
        let mut kek = Zeroizing::new([0u8; 32]);
        let info = [b"cairn/v1/keyslot".as_slice(), &[slot as u8]].concat();
        hkdf.expand(&info, kek.as_mut()).expect("32 bytes is a valid HKDF-SHA256 output length");
        WrapKey::from_bytes(*kek)
    }

    fn slot_aad(&self, slot: usize) -> Vec<u8> {
        [b"cairn/keyslot/v1".as_slice(), &self.prefix(), &[slot as u8]].concat()
    }

    fn open_slot(&self, derived: &[u8; 32], slot: usize) -> Option<(SlotKind, VaultMasterKey)> {
        let bytes = &self.slots[slot];
        let nonce = XNonce::try_from(&bytes[..24]).ok()?;
        let aad = self.slot_aad(slot);
        let plain = Zeroizing::new(
            Self::slot_kek(derived, slot).cipher().decrypt(&nonce, Payload { msg: &bytes[24..], aad: &aad }).ok()?,
        );
        let kind = SlotKind::from_byte(plain[0])?;
        if plain[1..16].iter().any(|&b| b != 0) {
            return None;
        }
        let key: [u8; 32] = plain[16..48].try_into().ok()?;
        Some((kind, VaultMasterKey::from_bytes(key)))
    }

    fn seal_slot(
        &mut self,
        slot: usize,
        kind: SlotKind,
        master_key: &VaultMasterKey,
        secret: &str,
        nonce: [u8; 24],
    ) -> Result<(), CryptoError> {
        if slot >= KEYSLOT_COUNT {
            return Err(CryptoError::Malformed { what: "keyslot index" });
        }
        let derived = self.kdf.derive(secret, &self.salt)?;
        let mut plain = Zeroizing::new([0u8; SLOT_PLAINTEXT_LEN]);
        plain[0] = kind.to_byte();
        plain[16..].copy_from_slice(master_key.bytes());
        let aad = self.slot_aad(slot);
        let sealed = Self::slot_kek(&derived, slot)
            .cipher()
            .encrypt(&XNonce::from(nonce), Payload { msg: plain.as_slice(), aad: &aad })
            .expect("XChaCha20-Poly1305 cannot fail on a 48-byte message");
        self.slots[slot][..24].copy_from_slice(&nonce);
        self.slots[slot][24..].copy_from_slice(&sealed);
        Ok(())
    }
}

impl std::fmt::Debug for VaultHeader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VaultHeader").field("kdf", &self.kdf).field("profile", &self.kdf_profile()).finish_non_exhaustive()
    }
}

#[cfg(test)]
impl VaultHeader {
    /// A header built from fixed inputs, for golden vectors.
    pub(crate) fn fixed_for_golden(
        kdf: KdfParams,
        salt: [u8; 16],
        vault_id: [u8; 16],
        master_key: &VaultMasterKey,
        passphrase: &str,
    ) -> VaultHeader {
        let mut header =
            VaultHeader { flags: FLAG_INSECURE_KDF, kdf, salt, vault_id, slots: [[0x5a; SLOT_LEN]; KEYSLOT_COUNT] };
        header.seal_slot(0, SlotKind::Passphrase, master_key, passphrase, [0x01; 24]).expect("seal");
        header
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn test_header() -> (VaultHeader, VaultMasterKey, RecoveryCode) {
        let recovery = RecoveryCode::generate();
        let (header, key) = VaultHeader::create(
            "correct horse battery staple",
            &recovery,
            KdfParams::INSECURE_TEST,
            KdfProfile::InsecureTestOnly,
        )
        .expect("create");
        (header, key, recovery)
    }

    #[test]
    fn passphrase_and_recovery_code_open_their_own_slots() {
        let (header, key, recovery) = test_header();
        let bytes = header.to_bytes();
        assert_eq!(bytes.len(), VaultHeader::LEN);
        let parsed = VaultHeader::parse(&bytes).expect("parse");
        let by_passphrase = parsed.unlock("correct horse battery staple").expect("unlock");
        assert_eq!(by_passphrase.kind, SlotKind::Passphrase);
        assert_eq!(by_passphrase.master_key.bytes(), key.bytes());
        let by_code = parsed.unlock(recovery.canonical()).expect("unlock");
        assert_eq!(by_code.kind, SlotKind::Recovery);
        assert_eq!(by_code.master_key.bytes(), key.bytes());
        assert_eq!(parsed.unlock("wrong horse battery staple").err(), Some(CryptoError::WrongSecret));
    }

    #[test]
    fn rewrap_replaces_the_old_passphrase() {
        let (header, key, recovery) = test_header();
        let opened = header.unlock("correct horse battery staple").expect("unlock");
        let next =
            header.rewrap(opened.slot, SlotKind::Passphrase, &opened.master_key, "새 비밀번호 사과나무").expect("rewrap");
        assert_eq!(next.unlock("correct horse battery staple").err(), Some(CryptoError::WrongSecret));
        assert_eq!(next.unlock("새 비밀번호 사과나무").expect("unlock").master_key.bytes(), key.bytes());
        assert_eq!(next.unlock(recovery.canonical()).expect("unlock").kind, SlotKind::Recovery);
    }

    #[test]
    fn every_flipped_byte_fails_cleanly() {
        let (header, _, _) = test_header();
        let bytes = header.to_bytes();
        for i in 0..bytes.len() {
            let mut tampered = bytes.clone();
            tampered[i] ^= 0x01;
            let outcome = VaultHeader::parse(&tampered).and_then(|h| h.unlock("correct horse battery staple"));
            match outcome {
                Err(
                    CryptoError::WrongSecret
                    | CryptoError::Malformed { .. }
                    | CryptoError::UnsupportedVersion { .. }
                    | CryptoError::KdfParamsOutOfRange,
                ) => {}
                // Slots other than the passphrase slot are not needed to unlock with the passphrase.
                Ok(_) if i >= PREFIX_LEN + SLOT_LEN => {}
                other => panic!("byte {i}: unexpected outcome {other:?}"),
            }
        }
    }

    #[test]
    fn used_and_unused_slots_have_no_visible_structure() {
        // Across many headers, no byte position of any slot is fixed: a slot's kind, whether
        // it is used, or how many slots are used is not written in the clear anywhere.
        let headers: Vec<Vec<u8>> = (0..48).map(|_| test_header().0.to_bytes()).collect();
        for offset in PREFIX_LEN..VaultHeader::LEN {
            let first = headers[0][offset];
            assert!(
                headers.iter().any(|header| header[offset] != first),
                "slot byte {} of slot {} is constant",
                (offset - PREFIX_LEN) % SLOT_LEN,
                (offset - PREFIX_LEN) / SLOT_LEN
            );
        }
    }

    #[test]
    fn truncated_and_oversized_headers_are_malformed() {
        let (header, _, _) = test_header();
        let bytes = header.to_bytes();
        for len in [0, 1, 2, 47, 48, VaultHeader::LEN - 1] {
            assert!(VaultHeader::parse(&bytes[..len]).is_err(), "length {len}");
        }
        let mut longer = bytes.clone();
        longer.push(0);
        assert!(VaultHeader::parse(&longer).is_err());
    }

    #[test]
    fn forged_huge_kdf_parameters_are_refused_before_deriving() {
        let (header, _, _) = test_header();
        let mut bytes = header.to_bytes();
        bytes[4..8].copy_from_slice(&u32::MAX.to_le_bytes());
        assert_eq!(VaultHeader::parse(&bytes).err(), Some(CryptoError::KdfParamsOutOfRange));
        // Clearing the insecure flag puts the tiny parameters under the real floor.
        let mut bytes = header.to_bytes();
        bytes[2] = 0;
        assert_eq!(VaultHeader::parse(&bytes).err(), Some(CryptoError::KdfParamsOutOfRange));
    }
}
