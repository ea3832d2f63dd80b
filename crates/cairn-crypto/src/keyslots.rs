//! The vault header: KDF parameters, a fixed number of keyslots wrapping the vault master key,
//! (format v2) the rotatable key that wraps the vault's case keys, and (format v3) the
//! unlock guard: the failed-unlock limit and counter.
//!
//! Format v4, the one written (all integers little-endian), [`VaultHeader::LEN`] bytes:
//!
//! ```text
//! 0   u16  format version (4)
//! 2   u16  flags (bit 0: insecure test KDF profile; other bits must be 0)
//! 4   u32  Argon2id memory KiB      8  u32 passes      12 u32 lanes
//! 16  [16] Argon2id salt
//! 32  [16] vault id
//! 48  KEYSLOT_COUNT × 88-byte keyslots: nonce[24] ‖ XChaCha20-Poly1305(KEK_i, slot plaintext)
//!     slot plaintext (48 bytes): kind u8 ‖ 15 zero bytes ‖ VMK[32]
//!     kind: 1 passphrase (slot 0), 2 recovery code (slot 1), 3 duress passphrase (slot 2,
//!     wrapping the decoy's master key, not the vault's)
//!     KEK_i = HKDF-SHA256(Argon2id(secret), info = "cairn/v1/keyslot" ‖ i)
//!     AAD   = "cairn/keyslot/v1" ‖ header[0..48] with the version field read as 1 ‖ i
//! 400 WRAP_SLOT_COUNT × 80-byte wrap slots: nonce[24] ‖ XChaCha20-Poly1305(K_seal, plaintext)
//!     plaintext (40 bytes): generation u64 ‖ K_wrap[32]
//!     K_seal = HKDF-SHA256(salt = vault id, VMK, info = "cairn/v2/case-wrap-slots")
//!     AAD    = "cairn/case-wrap/v2" ‖ header[0..48] with the version field read as 2 ‖ j
//! 560 checksum[16] = SHA-256("cairn/vault-header-checksum/v4" ‖ header[0..560])[..16]
//! 576 unlock guard (8 bytes, in the clear, in no AAD and outside the checksum):
//!     u32 failed-unlock limit (0: off, else UnlockGuard::MIN_LIMIT..=UnlockGuard::MAX_LIMIT)
//!     u32 failed unlocks counted since the last successful one
//! ```
//!
//! ## The checksum (v4)
//!
//! Without it a damaged header (a flipped bit on a failing stick, a torn copy) opened nothing
//! and said "wrong passphrase", which sends a worker guessing. The checksum tells damage from a
//! wrong secret before any key derivation. It authenticates nothing (anyone can recompute it;
//! the slots' AEAD tags and the AAD over the prefix do that) and, being a hash of random-looking
//! bytes, reveals nothing. A wipe rewrites it together with the slots, in place, so a wiped
//! header still parses and answers "wrong passphrase". Format v3 is v4 without the checksum (its
//! guard at 560); the store upgrades it at the next successful unlock.
//!
//! ## The unlock guard (v3)
//!
//! Every v3 vault has the guard block, so a vault with the failed-unlock wipe on differs from
//! one with it off only in these 8 bytes. They cannot be sealed: they are read and written
//! before anything is unlocked. So the limit and the counter are readable by anyone with the
//! file, and anyone who can write the file can reset them (or truncate the header back to v2,
//! whose version field is not authenticated as such either). The guard stops someone guessing
//! on this device through Cairn; it does not stop someone who copies the files first. It is in
//! no slot's AAD, because the counter changes at every attempt and the store writes it in
//! place at [`VaultHeader::GUARD_OFFSET`]. When the limit is reached the store overwrites
//! [`VaultHeader::key_material`] (every keyslot and wrap slot) in place with random bytes: the
//! file keeps its size and layout, and every later attempt is an ordinary wrong passphrase.
//! Format v2 is the first 560 bytes alone (version field 2); the store upgrades it to v3 (by
//! appending a guard that is off) at the next successful unlock.
//!
//! Format v1 is the first 400 bytes alone (version field 1): its K_wrap was derived from the
//! VMK, so it lived as long as the passphrase did, and a deleted case's wrapped key left in
//! a database page or WAL frame could be unwrapped by anyone who later learned the passphrase.
//! In v2, K_wrap is random and kept only here, so the vault can replace it after a deletion
//! and the old one is gone with the old header file. The keyslots keep v1's AAD (version
//! field 1) so a v1 header is upgraded with the VMK alone: the recovery code, which nobody
//! types at an upgrade, keeps working.
//!
//! ## The duress slot
//!
//! A duress passphrase is sealed in keyslot 2 with kind 3 over the master key of a *decoy*
//! database (the store keeps one beside every vault, used or not). It changes nothing else in
//! the header: an unused slot is random bytes of the same length, so the header does not say
//! whether a duress passphrase exists. [`VaultHeader::unlock`] tries every slot whatever
//! opens, and [`VaultHeader::to_decoy`] turns a duress unlock into a header that holds only the
//! decoy's key (under the same typed secret, without a second key derivation). A Cairn older
//! than the duress slot reads kind 3 as no slot at all: the duress passphrase is then simply
//! wrong there.
//!
//! There is no magic number. Unused slots of both kinds are random bytes and look exactly
//! like used ones, so the header does not say how many secrets open the vault, of which kind,
//! or how many wrapping keys it holds; a wrapping key's generation (which counts deletions)
//! is inside its sealed slot. The whole plaintext prefix is in every slot's AAD: editing a
//! KDF parameter or the salt makes every slot fail, so parameters cannot be downgraded. They
//! are also capped before use.

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
/// Number of wrapping-key slots in a v2 header: the current K_wrap and, while a rotation is
/// under way, the next one.
pub const WRAP_SLOT_COUNT: usize = 2;
const FORMAT_V1: u16 = 1;
const FORMAT_V2: u16 = 2;
const FORMAT_V3: u16 = 3;
const FORMAT_V4: u16 = 4;
const CHECKSUM_LEN: usize = 16;
const CHECKSUM_LABEL: &[u8] = b"cairn/vault-header-checksum/v4";
const FLAG_INSECURE_KDF: u16 = 1;
const PREFIX_LEN: usize = 48;
const SLOT_PLAINTEXT_LEN: usize = 48;
const SLOT_LEN: usize = 24 + SLOT_PLAINTEXT_LEN + 16;
const WRAP_PLAINTEXT_LEN: usize = 8 + 32;
const WRAP_SLOT_LEN: usize = 24 + WRAP_PLAINTEXT_LEN + 16;
const WRAP_SEAL_LABEL: &[u8] = b"cairn/v2/case-wrap-slots";

/// The unlock guard of a v3 header: the failed-unlock limit and the failed unlocks counted
/// since the last successful one. Stored in the clear (see the module documentation).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct UnlockGuard {
    /// Failed unlocks after which the keyslots are destroyed; 0 when the guard is off.
    pub limit: u32,
    /// Failed unlocks counted since the last successful one.
    pub failures: u32,
}

impl UnlockGuard {
    /// Length of the guard block in bytes.
    pub const LEN: usize = 8;
    /// The smallest limit that may be set (a typo or two must never wipe a vault).
    pub const MIN_LIMIT: u32 = 3;
    /// The largest limit that may be set.
    pub const MAX_LIMIT: u32 = 100;

    /// A guard that is off.
    pub const OFF: UnlockGuard = UnlockGuard { limit: 0, failures: 0 };

    /// Whether the limit is on.
    pub fn is_on(&self) -> bool {
        self.limit > 0
    }

    /// Whether the limit is on and the counted failures have reached it.
    pub fn is_reached(&self) -> bool {
        self.is_on() && self.failures >= self.limit
    }

    /// Whether `limit` may be stored (0, or `MIN_LIMIT..=MAX_LIMIT`).
    pub fn limit_is_valid(limit: u32) -> bool {
        limit == 0 || (Self::MIN_LIMIT..=Self::MAX_LIMIT).contains(&limit)
    }

    /// The guard with one more failure counted (saturating).
    pub fn counted(&self) -> UnlockGuard {
        UnlockGuard { limit: self.limit, failures: self.failures.saturating_add(1) }
    }

    /// Its stored bytes.
    pub fn to_bytes(&self) -> [u8; Self::LEN] {
        let mut out = [0u8; Self::LEN];
        out[..4].copy_from_slice(&self.limit.to_le_bytes());
        out[4..].copy_from_slice(&self.failures.to_le_bytes());
        out
    }

    fn parse(bytes: &[u8]) -> Option<UnlockGuard> {
        let limit = u32::from_le_bytes(bytes.get(..4)?.try_into().ok()?);
        let failures = u32::from_le_bytes(bytes.get(4..8)?.try_into().ok()?);
        Self::limit_is_valid(limit).then_some(UnlockGuard { limit, failures })
    }
}

/// What kind of secret a keyslot holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SlotKind {
    /// The everyday passphrase.
    Passphrase,
    /// The recovery code printed at creation.
    Recovery,
    /// The duress passphrase: it wraps the master key of the decoy database, not the
    /// vault's own (see [`VaultHeader::with_duress`]).
    Duress,
}

impl SlotKind {
    fn to_byte(self) -> u8 {
        match self {
            SlotKind::Passphrase => 1,
            SlotKind::Recovery => 2,
            SlotKind::Duress => 3,
        }
    }

    fn from_byte(byte: u8) -> Option<Self> {
        match byte {
            1 => Some(SlotKind::Passphrase),
            2 => Some(SlotKind::Recovery),
            3 => Some(SlotKind::Duress),
            _ => None,
        }
    }
}

/// One generation of the key that wraps a vault's case keys (K_wrap), as a v2 header keeps
/// it. Generations count up from 1; generation 0 is the VMK-derived K_wrap of a v1 vault
/// ([`VaultMasterKey::wrap_key`]), which is never stored.
pub struct CaseWrapKey {
    generation: u64,
    key: WrapKey,
}

impl CaseWrapKey {
    /// A fresh random wrapping key for `generation`.
    pub fn generate(generation: u64) -> Self {
        CaseWrapKey { generation, key: WrapKey::generate() }
    }

    /// Its generation.
    pub fn generation(&self) -> u64 {
        self.generation
    }

    /// The key itself, for [`crate::wrap_case_key`] and [`crate::unwrap_case_key`].
    pub fn key(&self) -> &WrapKey {
        &self.key
    }
}

impl zeroize::Zeroize for CaseWrapKey {
    fn zeroize(&mut self) {
        zeroize::Zeroize::zeroize(&mut self.key);
    }
}

impl std::fmt::Debug for CaseWrapKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CaseWrapKey").field("generation", &self.generation).finish_non_exhaustive()
    }
}

/// A parsed (not yet unlocked) vault header.
#[derive(Clone, PartialEq, Eq)]
pub struct VaultHeader {
    format: u16,
    flags: u16,
    kdf: KdfParams,
    salt: [u8; 16],
    vault_id: [u8; 16],
    slots: [[u8; SLOT_LEN]; KEYSLOT_COUNT],
    /// Random filler in a v1 header (not written).
    wrap_slots: [[u8; WRAP_SLOT_LEN]; WRAP_SLOT_COUNT],
    /// Off in a v1 or v2 header (not written).
    guard: UnlockGuard,
}

/// The result of opening a keyslot.
#[derive(Debug)]
pub struct UnlockedHeader {
    /// The vault master key (for a duress slot: the decoy's).
    pub master_key: VaultMasterKey,
    /// The kind of secret that opened it.
    pub kind: SlotKind,
    /// Which slot it opened, for re-wrapping.
    pub slot: usize,
    /// The key-encryption key of the passphrase slot under the secret that was typed, kept
    /// only when it opened the duress slot: [`VaultHeader::to_decoy`] seals the decoy's
    /// master key under it without a second key derivation (which would double the time a
    /// duress unlock takes, and so give it away).
    passphrase_slot_kek: Option<WrapKey>,
}

impl VaultHeader {
    /// Length of a v4 header (the format written) in bytes.
    pub const LEN: usize = Self::LEN_V2 + CHECKSUM_LEN + UnlockGuard::LEN;
    /// Length of a v3 header in bytes (still read, and upgraded by the store).
    pub const LEN_V3: usize = Self::LEN_V2 + UnlockGuard::LEN;
    /// Length of a v2 header in bytes (still read, and upgraded by the store).
    pub const LEN_V2: usize = Self::LEN_V1 + WRAP_SLOT_COUNT * WRAP_SLOT_LEN;
    /// Length of a v1 header in bytes (still read, and upgraded by the store).
    pub const LEN_V1: usize = PREFIX_LEN + KEYSLOT_COUNT * SLOT_LEN;
    /// Where the unlock guard starts in a v4 header (it ends the file).
    pub const GUARD_OFFSET: usize = Self::LEN_V2 + CHECKSUM_LEN;
    /// The format version this build writes.
    pub const FORMAT: u16 = FORMAT_V4;
    /// The slot that holds the passphrase.
    pub const PASSPHRASE_SLOT: usize = 0;
    /// The slot that holds the recovery code.
    pub const RECOVERY_SLOT: usize = 1;
    /// The slot that holds the duress passphrase, when one is set (random filler otherwise,
    /// indistinguishable from a sealed slot).
    pub const DURESS_SLOT: usize = 2;

    /// A new v3 header (unlock guard off) with a fresh master key, opened by `passphrase` (slot 0) and by
    /// `recovery` (slot 1), holding a fresh K_wrap of generation 1 ([`Self::case_wrap_keys`]);
    /// the other slots are random filler.
    pub fn create(
        passphrase: &str,
        recovery: &RecoveryCode,
        kdf: KdfParams,
        profile: KdfProfile,
    ) -> Result<(VaultHeader, VaultMasterKey), CryptoError> {
        let master_key = VaultMasterKey::generate();
        let mut header = VaultHeader {
            format: FORMAT_V2,
            flags: match profile {
                KdfProfile::Standard => 0,
                KdfProfile::InsecureTestOnly => FLAG_INSECURE_KDF,
            },
            kdf,
            salt: random_array(),
            vault_id: random_array(),
            slots: [[0u8; SLOT_LEN]; KEYSLOT_COUNT],
            wrap_slots: [[0u8; WRAP_SLOT_LEN]; WRAP_SLOT_COUNT],
            guard: UnlockGuard::OFF,
        };
        header.kdf.validate(profile)?;
        for slot in header.slots.iter_mut() {
            fill_random(slot);
        }
        header.seal_slot(Self::PASSPHRASE_SLOT, SlotKind::Passphrase, &master_key, passphrase, random_array())?;
        header.seal_slot(Self::RECOVERY_SLOT, SlotKind::Recovery, &master_key, recovery.canonical(), random_array())?;
        let mut header = header.with_case_wrap_keys(&master_key, &[&CaseWrapKey::generate(1)])?;
        header.format = FORMAT_V4;
        Ok((header, master_key))
    }

    /// Parses and sanity-checks a header (v1 to v4); does not unlock it. A v4 header whose
    /// checksum does not match is damaged (`Malformed`), never a wrong secret.
    pub fn parse(bytes: &[u8]) -> Result<VaultHeader, CryptoError> {
        let malformed = CryptoError::Malformed { what: "vault header" };
        if bytes.len() < 2 {
            return Err(malformed);
        }
        let version = u16::from_le_bytes([bytes[0], bytes[1]]);
        let len = match version {
            FORMAT_V1 => Self::LEN_V1,
            FORMAT_V2 => Self::LEN_V2,
            FORMAT_V3 => Self::LEN_V3,
            FORMAT_V4 => Self::LEN,
            _ => return Err(CryptoError::UnsupportedVersion { what: "vault header", version }),
        };
        if bytes.len() != len {
            return Err(malformed);
        }
        if version == FORMAT_V4 && bytes[Self::LEN_V2..Self::GUARD_OFFSET] != checksum(&bytes[..Self::LEN_V2]) {
            return Err(CryptoError::Malformed { what: "vault header checksum" });
        }
        let u32_at = |at: usize| u32::from_le_bytes([bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]]);
        let flags = u16::from_le_bytes([bytes[2], bytes[3]]);
        if flags & !FLAG_INSECURE_KDF != 0 {
            return Err(malformed);
        }
        let mut header = VaultHeader {
            format: version,
            flags,
            kdf: KdfParams { memory_kib: u32_at(4), iterations: u32_at(8), parallelism: u32_at(12) },
            salt: bytes[16..32].try_into().map_err(|_| malformed.clone())?,
            vault_id: bytes[32..48].try_into().map_err(|_| malformed.clone())?,
            slots: [[0u8; SLOT_LEN]; KEYSLOT_COUNT],
            wrap_slots: [[0u8; WRAP_SLOT_LEN]; WRAP_SLOT_COUNT],
            guard: UnlockGuard::OFF,
        };
        header.kdf.validate(header.kdf_profile())?;
        for (i, slot) in header.slots.iter_mut().enumerate() {
            let start = PREFIX_LEN + i * SLOT_LEN;
            slot.copy_from_slice(&bytes[start..start + SLOT_LEN]);
        }
        if version >= FORMAT_V2 {
            for (j, slot) in header.wrap_slots.iter_mut().enumerate() {
                let start = Self::LEN_V1 + j * WRAP_SLOT_LEN;
                slot.copy_from_slice(&bytes[start..start + WRAP_SLOT_LEN]);
            }
        }
        if let Some(range) = header.guard_range() {
            header.guard = UnlockGuard::parse(&bytes[range]).ok_or(malformed)?;
        }
        Ok(header)
    }

    /// The header's bytes, as stored (in the format it was parsed or made in).
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = self.prefix();
        for slot in &self.slots {
            out.extend_from_slice(slot);
        }
        if self.format >= FORMAT_V2 {
            for slot in &self.wrap_slots {
                out.extend_from_slice(slot);
            }
        }
        if self.format == FORMAT_V4 {
            let sum = checksum(&out);
            out.extend_from_slice(&sum);
        }
        if self.format >= FORMAT_V3 {
            out.extend_from_slice(&self.guard.to_bytes());
        }
        out
    }

    /// Where the unlock guard lies in the stored bytes (v3 and v4; none before), written in
    /// place by the store and outside the checksum.
    pub fn guard_range(&self) -> Option<std::ops::Range<usize>> {
        match self.format {
            FORMAT_V3 => Some(Self::LEN_V2..Self::LEN_V3),
            FORMAT_V4 => Some(Self::GUARD_OFFSET..Self::LEN),
            _ => None,
        }
    }

    /// A v4 copy of this v2 or v3 header (with a guard that is off for a v2 one): the same
    /// slots, followed by the checksum. Refused for a v1 header (the store upgrades it to v2
    /// first, with its master key).
    pub fn upgraded(&self) -> Result<VaultHeader, CryptoError> {
        if self.format == FORMAT_V1 {
            return Err(CryptoError::Malformed { what: "vault header version" });
        }
        let mut next = self.clone();
        next.format = FORMAT_V4;
        Ok(next)
    }

    /// The unlock guard (off for a v1 or v2 header, which has none).
    pub fn unlock_guard(&self) -> UnlockGuard {
        self.guard
    }

    /// A copy of this header holding `guard` (a v2 header becomes v3; v3 and v4 keep their
    /// format; nothing else changes). Refused for a v1 header (the store upgrades it to v2 first, with its master
    /// key) and for a limit outside `0` and `MIN_LIMIT..=MAX_LIMIT`.
    pub fn with_unlock_guard(&self, guard: UnlockGuard) -> Result<VaultHeader, CryptoError> {
        if self.format == FORMAT_V1 || !UnlockGuard::limit_is_valid(guard.limit) {
            return Err(CryptoError::Malformed { what: "unlock guard" });
        }
        let mut next = self.clone();
        next.format = next.format.max(FORMAT_V3);
        next.guard = guard;
        Ok(next)
    }

    /// Where every keyslot and wrap slot lies in the stored bytes of this header, with the
    /// checksum of a v4 header: what a wipe overwrites (the prefix and the guard stay, and the
    /// checksum is written anew, so a wiped header still parses and answers "wrong passphrase").
    pub fn key_material(&self) -> std::ops::Range<usize> {
        match self.format {
            FORMAT_V1 => PREFIX_LEN..Self::LEN_V1,
            FORMAT_V4 => PREFIX_LEN..Self::GUARD_OFFSET,
            _ => PREFIX_LEN..Self::LEN_V2,
        }
    }

    /// A copy of this header whose keyslots and wrap slots are all fresh random bytes: the
    /// same size and layout, and nothing opens it any more.
    pub fn destroyed(&self) -> VaultHeader {
        let mut next = self.clone();
        for slot in next.slots.iter_mut() {
            fill_random(slot);
        }
        for slot in next.wrap_slots.iter_mut() {
            fill_random(slot);
        }
        next
    }

    /// The header's format version (1: K_wrap derived from the VMK; 2: K_wrap kept here;
    /// 3: v2 with the unlock guard; 4: v3 with a checksum before the guard).
    pub fn format_version(&self) -> u16 {
        self.format
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

    /// Derives the key from `secret` (one Argon2id run) and tries every slot. Every slot is
    /// tried whichever opens, so the time taken does not tell which kind of secret it was.
    pub fn unlock(&self, secret: &str) -> Result<UnlockedHeader, CryptoError> {
        let derived = self.kdf.derive(secret, &self.salt)?;
        let mut opened = None;
        for slot in 0..KEYSLOT_COUNT {
            if let Some((kind, master_key)) = self.open_slot(&derived, slot)
                && opened.is_none()
            {
                opened = Some((slot, kind, master_key));
            }
        }
        let (slot, kind, master_key) = opened.ok_or(CryptoError::WrongSecret)?;
        let passphrase_slot_kek = (kind == SlotKind::Duress).then(|| Self::slot_kek(&derived, Self::PASSPHRASE_SLOT));
        Ok(UnlockedHeader { master_key, kind, slot, passphrase_slot_kek })
    }

    /// A copy of this header whose duress slot holds `decoy_key` (the decoy database's master
    /// key, never this vault's) under `duress_secret` (one Argon2id run). Nothing on disk shows
    /// the slot is in use: unused slots are random bytes of the same length.
    pub fn with_duress(&self, duress_secret: &str, decoy_key: &VaultMasterKey) -> Result<VaultHeader, CryptoError> {
        self.rewrap(Self::DURESS_SLOT, SlotKind::Duress, decoy_key, duress_secret)
    }

    /// A copy of this header whose duress slot is random filler again.
    pub fn without_duress(&self) -> VaultHeader {
        let mut next = self.clone();
        fill_random(&mut next.slots[Self::DURESS_SLOT]);
        next
    }

    /// What a duress unlock leaves: the same prefix and unlock guard (its counter at 0), the
    /// decoy's master key in the passphrase slot under the secret that was just typed, and
    /// random filler in every other keyslot and wrap slot. The vault's own master key, the
    /// recovery slot and the case-key wrapping keys are gone from it. Refused unless
    /// `unlocked` came from the duress slot of [`Self::unlock`].
    pub fn to_decoy(&self, unlocked: &UnlockedHeader) -> Result<VaultHeader, CryptoError> {
        let kek = match (&unlocked.passphrase_slot_kek, unlocked.kind) {
            (Some(kek), SlotKind::Duress) => kek,
            _ => return Err(CryptoError::Malformed { what: "duress unlock" }),
        };
        let mut next = self.destroyed();
        next.guard = UnlockGuard { limit: self.guard.limit, failures: 0 };
        next.seal_slot_with_kek(Self::PASSPHRASE_SLOT, SlotKind::Passphrase, &unlocked.master_key, kek, random_array());
        Ok(next)
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

    /// A copy of this header whose recovery slot holds `master_key` under `code`.
    pub fn rewrap_recovery_code(
        &self,
        master_key: &VaultMasterKey,
        code: &RecoveryCode,
    ) -> Result<VaultHeader, CryptoError> {
        self.rewrap(Self::RECOVERY_SLOT, SlotKind::Recovery, master_key, code.canonical())
    }

    /// The case-key wrapping keys this header holds, opened with its master key (none for a
    /// v1 header; a slot that does not open is filler). Sorted by generation.
    pub fn case_wrap_keys(&self, master_key: &VaultMasterKey) -> Vec<CaseWrapKey> {
        if self.format == FORMAT_V1 {
            return Vec::new();
        }
        let seal = WrapKey::from_bytes(*master_key.derive(&self.vault_id, WRAP_SEAL_LABEL));
        let mut keys: Vec<CaseWrapKey> = (0..WRAP_SLOT_COUNT).filter_map(|j| self.open_wrap_slot(&seal, j)).collect();
        keys.sort_by_key(CaseWrapKey::generation);
        keys
    }

    /// A copy of this header (a v1 header is upgraded to v2: its keyslots stay valid as they
    /// are; a v3 header stays v3 with its guard) holding exactly `keys`, each in its own wrap slot, and random filler in the rest.
    /// At most [`WRAP_SLOT_COUNT`] keys of distinct generations.
    pub fn with_case_wrap_keys(
        &self,
        master_key: &VaultMasterKey,
        keys: &[&CaseWrapKey],
    ) -> Result<VaultHeader, CryptoError> {
        let nonces = [(); WRAP_SLOT_COUNT].map(|()| random_array());
        let mut filler = [[0u8; WRAP_SLOT_LEN]; WRAP_SLOT_COUNT];
        for slot in filler.iter_mut() {
            fill_random(slot);
        }
        self.with_case_wrap_keys_fixed(master_key, keys, nonces, filler)
    }

    fn with_case_wrap_keys_fixed(
        &self,
        master_key: &VaultMasterKey,
        keys: &[&CaseWrapKey],
        nonces: [[u8; 24]; WRAP_SLOT_COUNT],
        filler: [[u8; WRAP_SLOT_LEN]; WRAP_SLOT_COUNT],
    ) -> Result<VaultHeader, CryptoError> {
        let distinct = keys.iter().enumerate().all(|(i, a)| keys[..i].iter().all(|b| b.generation != a.generation));
        if keys.len() > WRAP_SLOT_COUNT || !distinct {
            return Err(CryptoError::Malformed { what: "case wrap keys" });
        }
        let mut next = self.clone();
        next.format = next.format.max(FORMAT_V2);
        next.wrap_slots = filler;
        let seal = WrapKey::from_bytes(*master_key.derive(&next.vault_id, WRAP_SEAL_LABEL));
        for (j, key) in keys.iter().enumerate() {
            let mut plain = Zeroizing::new([0u8; WRAP_PLAINTEXT_LEN]);
            plain[..8].copy_from_slice(&key.generation.to_le_bytes());
            plain[8..].copy_from_slice(key.key.bytes());
            let aad = next.wrap_slot_aad(j);
            let sealed = seal
                .cipher()
                .encrypt(&XNonce::from(nonces[j]), Payload { msg: plain.as_slice(), aad: &aad })
                .expect("XChaCha20-Poly1305 cannot fail on a 40-byte message");
            next.wrap_slots[j][..24].copy_from_slice(&nonces[j]);
            next.wrap_slots[j][24..].copy_from_slice(&sealed);
        }
        Ok(next)
    }

    fn prefix(&self) -> Vec<u8> {
        self.prefix_as(self.format)
    }

    fn prefix_as(&self, version: u16) -> Vec<u8> {
        let mut out = Vec::with_capacity(Self::LEN);
        out.extend_from_slice(&version.to_le_bytes());
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

    /// Keyslot AAD: v1's in every format (see the module documentation).
    fn slot_aad(&self, slot: usize) -> Vec<u8> {
        [b"cairn/keyslot/v1".as_slice(), &self.prefix_as(FORMAT_V1), &[slot as u8]].concat()
    }

    fn wrap_slot_aad(&self, slot: usize) -> Vec<u8> {
        [b"cairn/case-wrap/v2".as_slice(), &self.prefix_as(FORMAT_V2), &[slot as u8]].concat()
    }

    fn open_wrap_slot(&self, seal: &WrapKey, slot: usize) -> Option<CaseWrapKey> {
        let bytes = &self.wrap_slots[slot];
        let nonce = XNonce::try_from(&bytes[..24]).ok()?;
        let aad = self.wrap_slot_aad(slot);
        let plain = Zeroizing::new(seal.cipher().decrypt(&nonce, Payload { msg: &bytes[24..], aad: &aad }).ok()?);
        let generation = u64::from_le_bytes(plain[..8].try_into().ok()?);
        let key: [u8; 32] = plain[8..].try_into().ok()?;
        Some(CaseWrapKey { generation, key: WrapKey::from_bytes(key) })
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
        self.seal_slot_with_kek(slot, kind, master_key, &Self::slot_kek(&derived, slot), nonce);
        Ok(())
    }

    fn seal_slot_with_kek(
        &mut self,
        slot: usize,
        kind: SlotKind,
        master_key: &VaultMasterKey,
        kek: &WrapKey,
        nonce: [u8; 24],
    ) {
        let mut plain = Zeroizing::new([0u8; SLOT_PLAINTEXT_LEN]);
        plain[0] = kind.to_byte();
        plain[16..].copy_from_slice(master_key.bytes());
        let aad = self.slot_aad(slot);
        let sealed = kek
            .cipher()
            .encrypt(&XNonce::from(nonce), Payload { msg: plain.as_slice(), aad: &aad })
            .expect("XChaCha20-Poly1305 cannot fail on a 48-byte message");
        self.slots[slot][..24].copy_from_slice(&nonce);
        self.slots[slot][24..].copy_from_slice(&sealed);
    }
}

/// The v4 checksum of a header's first `LEN_V2` bytes: it tells damage (a flipped bit, a torn
/// copy) from a wrong secret. Not a secret and not authentication (anyone can recompute it;
/// the slots' AEAD tags are what authenticate).
fn checksum(bytes: &[u8]) -> [u8; CHECKSUM_LEN] {
    use sha2::Digest;
    let digest = Sha256::new().chain_update(CHECKSUM_LABEL).chain_update(bytes).finalize();
    let mut out = [0u8; CHECKSUM_LEN];
    out.copy_from_slice(&digest[..CHECKSUM_LEN]);
    out
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
        let mut header = VaultHeader {
            format: FORMAT_V1,
            flags: FLAG_INSECURE_KDF,
            kdf,
            salt,
            vault_id,
            slots: [[0x5a; SLOT_LEN]; KEYSLOT_COUNT],
            wrap_slots: [[0x6c; WRAP_SLOT_LEN]; WRAP_SLOT_COUNT],
            guard: UnlockGuard::OFF,
        };
        header.seal_slot(0, SlotKind::Passphrase, master_key, passphrase, [0x01; 24]).expect("seal");
        header
    }

    /// The v2 header of the golden vectors: [`Self::fixed_for_golden`] holding `wrap_key`
    /// in its first wrap slot (fixed nonce) and fixed filler in the second.
    pub(crate) fn fixed_v2_for_golden(&self, master_key: &VaultMasterKey, wrap_key: &CaseWrapKey) -> VaultHeader {
        self.with_case_wrap_keys_fixed(master_key, &[wrap_key], [[0x02; 24], [0x03; 24]], [[0x6c; WRAP_SLOT_LEN]; 2])
            .expect("one key")
    }
}

#[cfg(test)]
impl CaseWrapKey {
    /// A wrapping key from fixed bytes, for golden vectors.
    pub(crate) fn fixed_for_golden(generation: u64, byte: u8) -> CaseWrapKey {
        CaseWrapKey { generation, key: WrapKey::from_bytes([byte; 32]) }
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
    fn a_duress_passphrase_opens_only_the_decoy_and_converts_the_header() {
        let (header, key, recovery) = test_header();
        let decoy_key = VaultMasterKey::generate();
        let with_duress = header.with_duress("duress horse battery staple", &decoy_key).expect("duress");
        let bytes = with_duress.to_bytes();
        assert_eq!(bytes.len(), header.to_bytes().len(), "same size with and without a duress slot");
        let changed: Vec<usize> = (0..bytes.len()).filter(|&i| bytes[i] != header.to_bytes()[i]).collect();
        let duress_slot =
            PREFIX_LEN + VaultHeader::DURESS_SLOT * SLOT_LEN..PREFIX_LEN + (VaultHeader::DURESS_SLOT + 1) * SLOT_LEN;
        let checksum = VaultHeader::LEN_V2..VaultHeader::GUARD_OFFSET;
        assert!(
            changed.iter().all(|i| duress_slot.contains(i) || checksum.contains(i)),
            "only the duress slot (and the checksum) changes"
        );
        let parsed = VaultHeader::parse(&bytes).expect("parse");
        assert_eq!(parsed.unlock("correct horse battery staple").expect("own").kind, SlotKind::Passphrase);
        let duress = parsed.unlock("duress horse battery staple").expect("duress unlock");
        assert_eq!(duress.kind, SlotKind::Duress);
        assert_eq!(duress.master_key.bytes(), decoy_key.bytes());
        assert_ne!(decoy_key.bytes(), key.bytes());

        let decoy = parsed.to_decoy(&duress).expect("decoy header");
        let decoy = VaultHeader::parse(&decoy.to_bytes()).expect("parse decoy");
        assert_eq!(decoy.to_bytes().len(), bytes.len());
        assert_eq!(decoy.vault_id(), header.vault_id());
        let reopened = decoy.unlock("duress horse battery staple").expect("the duress passphrase is now the passphrase");
        assert_eq!(reopened.kind, SlotKind::Passphrase);
        assert_eq!(reopened.master_key.bytes(), decoy_key.bytes());
        assert_eq!(decoy.unlock("correct horse battery staple").err(), Some(CryptoError::WrongSecret));
        assert_eq!(decoy.unlock(recovery.canonical()).err(), Some(CryptoError::WrongSecret));
        assert!(decoy.case_wrap_keys(&key).is_empty() && decoy.case_wrap_keys(&decoy_key).is_empty());
        // Only a duress unlock converts.
        let own = parsed.unlock("correct horse battery staple").expect("own");
        assert!(parsed.to_decoy(&own).is_err());
        // Removing it leaves filler: the duress passphrase is wrong again.
        let removed = parsed.without_duress();
        assert_eq!(removed.unlock("duress horse battery staple").err(), Some(CryptoError::WrongSecret));
        assert_eq!(removed.unlock("correct horse battery staple").expect("own").kind, SlotKind::Passphrase);
    }

    #[test]
    fn wrap_keys_rotate_without_touching_the_keyslots() {
        let (header, key, recovery) = test_header();
        assert_eq!(header.format_version(), 4);
        let first = header.case_wrap_keys(&key);
        assert_eq!(first.iter().map(CaseWrapKey::generation).collect::<Vec<_>>(), [1], "a new vault starts at 1");
        let next = CaseWrapKey::generate(2);
        let both = header.with_case_wrap_keys(&key, &[&first[0], &next]).expect("both");
        let held = VaultHeader::parse(&both.to_bytes()).expect("parse").case_wrap_keys(&key);
        assert_eq!(held.iter().map(CaseWrapKey::generation).collect::<Vec<_>>(), [1, 2]);
        assert_eq!(held[1].key().bytes(), next.key().bytes());
        let settled = both.with_case_wrap_keys(&key, &[&next]).expect("settled");
        let held = settled.case_wrap_keys(&key);
        assert_eq!(held.iter().map(CaseWrapKey::generation).collect::<Vec<_>>(), [2], "generation 1 is gone");
        assert_eq!(settled.slots, header.slots, "the keyslots are untouched");
        assert_eq!(settled.unlock(recovery.canonical()).expect("recovery").kind, SlotKind::Recovery);
        // Another vault's master key opens none of them.
        assert!(settled.case_wrap_keys(&VaultMasterKey::for_tests()).is_empty());
        // Too many keys, or two of one generation, are refused.
        let third = CaseWrapKey::generate(3);
        assert!(header.with_case_wrap_keys(&key, &[&first[0], &next, &third]).is_err());
        assert!(header.with_case_wrap_keys(&key, &[&next, &next]).is_err());
        // A passphrase change keeps the wrapping keys.
        let rewrapped = settled.rewrap(0, SlotKind::Passphrase, &key, "새 비밀번호 사과나무").expect("rewrap");
        assert_eq!(rewrapped.case_wrap_keys(&key)[0].key().bytes(), next.key().bytes());
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
        for offset in PREFIX_LEN..VaultHeader::LEN_V2 {
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
    fn the_unlock_guard_is_outside_every_aad_and_destroyed_slots_open_nothing() {
        let (header, key, recovery) = test_header();
        assert_eq!(header.unlock_guard(), UnlockGuard::OFF);
        let bytes = header.to_bytes();
        assert_eq!(bytes[VaultHeader::GUARD_OFFSET..], [0u8; UnlockGuard::LEN], "a new vault's guard is off");
        // Any counter, any valid limit: the slots still open (the guard is in no AAD).
        for guard in [UnlockGuard { limit: 3, failures: 0 }, UnlockGuard { limit: 100, failures: u32::MAX }] {
            let guarded = header.with_unlock_guard(guard).expect("guard");
            let parsed = VaultHeader::parse(&guarded.to_bytes()).expect("parse");
            assert_eq!(parsed.unlock_guard(), guard);
            assert_eq!(parsed.to_bytes()[..VaultHeader::GUARD_OFFSET], bytes[..VaultHeader::GUARD_OFFSET]);
            assert_eq!(parsed.unlock("correct horse battery staple").expect("unlock").master_key.bytes(), key.bytes());
            assert_eq!(parsed.case_wrap_keys(&key).len(), 1);
        }
        // Limits outside 0 and MIN..=MAX are refused when set and when read.
        for limit in [1, 2, UnlockGuard::MAX_LIMIT + 1, u32::MAX] {
            assert!(header.with_unlock_guard(UnlockGuard { limit, failures: 0 }).is_err(), "limit {limit}");
            let mut forged = bytes.clone();
            forged[VaultHeader::GUARD_OFFSET..VaultHeader::GUARD_OFFSET + 4].copy_from_slice(&limit.to_le_bytes());
            assert!(matches!(VaultHeader::parse(&forged), Err(CryptoError::Malformed { .. })), "limit {limit}");
        }
        assert_eq!(UnlockGuard { limit: 3, failures: 2 }.counted(), UnlockGuard { limit: 3, failures: 3 });
        assert!(UnlockGuard { limit: 3, failures: 3 }.is_reached());
        assert!(!UnlockGuard { limit: 0, failures: 9 }.is_reached());
        // Destroyed: same size and layout, prefix and guard unchanged, nothing opens.
        let guarded = header.with_unlock_guard(UnlockGuard { limit: 5, failures: 5 }).expect("guard");
        let destroyed = guarded.destroyed();
        let (before, after) = (guarded.to_bytes(), destroyed.to_bytes());
        assert_eq!(after.len(), VaultHeader::LEN);
        assert_eq!(guarded.key_material(), PREFIX_LEN..VaultHeader::GUARD_OFFSET, "the slots and the checksum");
        assert_eq!(before[..PREFIX_LEN], after[..PREFIX_LEN]);
        assert_eq!(before[VaultHeader::GUARD_OFFSET..], after[VaultHeader::GUARD_OFFSET..]);
        assert_ne!(before[guarded.key_material()], after[guarded.key_material()]);
        let reparsed = VaultHeader::parse(&after).expect("a destroyed header still parses");
        assert_eq!(reparsed.unlock("correct horse battery staple").err(), Some(CryptoError::WrongSecret));
        assert_eq!(reparsed.unlock(recovery.canonical()).err(), Some(CryptoError::WrongSecret));
        assert!(reparsed.case_wrap_keys(&key).is_empty());
    }

    #[test]
    fn a_v2_header_gains_a_guard_and_nothing_else() {
        let (header, key, _) = test_header();
        let mut v2 = header.to_bytes()[..VaultHeader::LEN_V2].to_vec();
        v2[..2].copy_from_slice(&2u16.to_le_bytes());
        let parsed = VaultHeader::parse(&v2).expect("v2");
        assert_eq!((parsed.format_version(), parsed.unlock_guard()), (2, UnlockGuard::OFF));
        assert_eq!(parsed.to_bytes(), v2, "a v2 header is written back as v2");
        assert_eq!(parsed.key_material(), PREFIX_LEN..VaultHeader::LEN_V2);
        let upgraded = parsed.with_unlock_guard(UnlockGuard::OFF).expect("upgrade");
        assert_eq!(upgraded.format_version(), 3);
        assert_eq!(upgraded.to_bytes()[2..VaultHeader::LEN_V2], header.to_bytes()[2..VaultHeader::LEN_V2]);
        let upgraded = upgraded.upgraded().expect("v4");
        assert_eq!(upgraded.to_bytes(), header.to_bytes(), "v2 to v4 adds the checksum and the guard, nothing else");
        assert_eq!(upgraded.unlock("correct horse battery staple").expect("unlock").master_key.bytes(), key.bytes());
        // A rotation keeps v4 and its guard.
        let guarded = header.with_unlock_guard(UnlockGuard { limit: 4, failures: 1 }).expect("guard");
        let rotated = guarded.with_case_wrap_keys(&key, &[&CaseWrapKey::generate(2)]).expect("rotate");
        assert_eq!((rotated.format_version(), rotated.unlock_guard()), (4, guarded.unlock_guard()));
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
        // A forger recomputes the checksum (it is no secret): the caps still hold.
        let refresh = |bytes: &mut Vec<u8>| {
            let sum = checksum(&bytes[..VaultHeader::LEN_V2]);
            bytes[VaultHeader::LEN_V2..VaultHeader::GUARD_OFFSET].copy_from_slice(&sum);
        };
        let mut bytes = header.to_bytes();
        bytes[4..8].copy_from_slice(&u32::MAX.to_le_bytes());
        refresh(&mut bytes);
        assert_eq!(VaultHeader::parse(&bytes).err(), Some(CryptoError::KdfParamsOutOfRange));
        // Clearing the insecure flag puts the tiny parameters under the real floor.
        let mut bytes = header.to_bytes();
        bytes[2] = 0;
        refresh(&mut bytes);
        assert_eq!(VaultHeader::parse(&bytes).err(), Some(CryptoError::KdfParamsOutOfRange));
    }

    #[test]
    fn damage_anywhere_before_the_guard_is_reported_as_damage_not_as_a_wrong_secret() {
        let (header, _, _) = test_header();
        let bytes = header.to_bytes();
        for i in 2..VaultHeader::GUARD_OFFSET {
            let mut damaged = bytes.clone();
            damaged[i] ^= 0x10;
            assert_eq!(
                VaultHeader::parse(&damaged).err(),
                Some(CryptoError::Malformed { what: "vault header checksum" }),
                "byte {i}"
            );
        }
        // The guard is written in place at every attempt and is outside the checksum.
        let mut counted = bytes.clone();
        counted[VaultHeader::GUARD_OFFSET + 4] = 1;
        assert!(VaultHeader::parse(&counted).is_ok());
        // A destroyed header carries a fresh checksum: it parses, and opens nothing.
        let destroyed = VaultHeader::parse(&header.destroyed().to_bytes()).expect("parses");
        assert_eq!(destroyed.unlock("correct horse battery staple").err(), Some(CryptoError::WrongSecret));
    }
}
