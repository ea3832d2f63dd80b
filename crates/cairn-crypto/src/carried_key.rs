//! Keys a vault carries across a full re-key (format v1).
//!
//! A re-key gives the vault a new master key (VMK'), so K_db changes and the database is
//! re-encrypted, and every keyslot wraps VMK'. Two keys must survive it, sealed under VMK':
//!
//! - **the previous master key**, in the re-key journal (`vault.rekey`) for as long as the
//!   re-key is under way: after a crash between the new header and the re-encrypted database,
//!   the next unlock opens VMK', finds the database still under the old K_db, opens the
//!   previous VMK from the journal and finishes. The journal is removed as soon as the database
//!   is under the new key, and it opens only with VMK', which no old copy of `vault.keys` holds.
//! - **K_dev**, which wraps the device's private keys, team keys and organisation keys inside
//!   the database. It was derived from the first master key; after a re-key it is kept in the
//!   database sealed under the current VMK, so those keys need no rewrapping (they are the
//!   device's identity, changed only by re-enrolment). Someone holding an old `vault.keys`
//!   derives the old K_dev, but reads nothing it wraps without the new K_db.
//!
//! ```text
//! 0   u8   format version (1)
//! 1   u8   purpose: 1 previous master key, 2 K_dev
//! 2   [24] nonce
//! 26  [48] XChaCha20-Poly1305(K_carry, key[32])
//!     K_carry = HKDF-SHA256(salt = vault id, VMK, info = "cairn/v1/carried-key" ‖ purpose)
//!     AAD     = "cairn/carried-key/v1" ‖ purpose ‖ vault id
//! ```

use chacha20poly1305::{
    XNonce,
    aead::{Aead, Payload},
};
use zeroize::Zeroizing;

use crate::{CryptoError, DeviceWrapKey, VaultMasterKey, keys::WrapKey, random_array};

/// Length of a sealed carried key.
pub const CARRIED_KEY_LEN: usize = 2 + 24 + 32 + 16;
const FORMAT_V1: u8 = 1;
const WHAT: &str = "carried key";

#[derive(Clone, Copy)]
#[repr(u8)]
enum Purpose {
    PreviousMasterKey = 1,
    DeviceWrapKey = 2,
}

impl Purpose {
    fn sealing_key(self, master_key: &VaultMasterKey, vault_id: &[u8; 16]) -> WrapKey {
        let mut label = b"cairn/v1/carried-key".to_vec();
        label.push(self as u8);
        WrapKey::from_bytes(*master_key.derive(vault_id, &label))
    }

    fn aad(self, vault_id: &[u8; 16]) -> Vec<u8> {
        let mut aad = b"cairn/carried-key/v1".to_vec();
        aad.push(self as u8);
        aad.extend_from_slice(vault_id);
        aad
    }
}

fn seal(master_key: &VaultMasterKey, vault_id: &[u8; 16], purpose: Purpose, key: &[u8; 32], nonce: [u8; 24]) -> Vec<u8> {
    let sealed = purpose
        .sealing_key(master_key, vault_id)
        .cipher()
        .encrypt(&XNonce::from(nonce), Payload { msg: key, aad: &purpose.aad(vault_id) })
        .expect("XChaCha20-Poly1305 cannot fail on a 32-byte message");
    let mut out = Vec::with_capacity(CARRIED_KEY_LEN);
    out.push(FORMAT_V1);
    out.push(purpose as u8);
    out.extend_from_slice(&nonce);
    out.extend_from_slice(&sealed);
    out
}

fn open(
    master_key: &VaultMasterKey,
    vault_id: &[u8; 16],
    purpose: Purpose,
    sealed: &[u8],
) -> Result<Zeroizing<[u8; 32]>, CryptoError> {
    if sealed.len() != CARRIED_KEY_LEN {
        return Err(CryptoError::Malformed { what: WHAT });
    }
    if sealed[0] != FORMAT_V1 {
        return Err(CryptoError::UnsupportedVersion { what: WHAT, version: sealed[0].into() });
    }
    if sealed[1] != purpose as u8 {
        return Err(CryptoError::Malformed { what: WHAT });
    }
    let nonce = XNonce::try_from(&sealed[2..26]).map_err(|_| CryptoError::Malformed { what: WHAT })?;
    let opened = Zeroizing::new(
        purpose
            .sealing_key(master_key, vault_id)
            .cipher()
            .decrypt(&nonce, Payload { msg: &sealed[26..], aad: &purpose.aad(vault_id) })
            .map_err(|_| CryptoError::Tampered)?,
    );
    let mut key = Zeroizing::new([0u8; 32]);
    key.copy_from_slice(&opened);
    Ok(key)
}

impl VaultMasterKey {
    /// Seals `previous` (the master key being replaced) under this one, for the re-key journal.
    pub fn seal_previous_master_key(&self, vault_id: &[u8; 16], previous: &VaultMasterKey) -> Vec<u8> {
        self.seal_previous_master_key_with_nonce(vault_id, previous, random_array())
    }

    pub(crate) fn seal_previous_master_key_with_nonce(
        &self,
        vault_id: &[u8; 16],
        previous: &VaultMasterKey,
        nonce: [u8; 24],
    ) -> Vec<u8> {
        seal(self, vault_id, Purpose::PreviousMasterKey, previous.bytes(), nonce)
    }

    /// Opens what [`Self::seal_previous_master_key`] sealed under this key.
    pub fn open_previous_master_key(&self, vault_id: &[u8; 16], sealed: &[u8]) -> Result<VaultMasterKey, CryptoError> {
        Ok(VaultMasterKey::from_bytes(*open(self, vault_id, Purpose::PreviousMasterKey, sealed)?))
    }

    /// Seals K_dev under this key, to be kept in the database after a re-key.
    pub fn seal_device_wrap_key(&self, vault_id: &[u8; 16], key: &DeviceWrapKey) -> Vec<u8> {
        self.seal_device_wrap_key_with_nonce(vault_id, key, random_array())
    }

    pub(crate) fn seal_device_wrap_key_with_nonce(
        &self,
        vault_id: &[u8; 16],
        key: &DeviceWrapKey,
        nonce: [u8; 24],
    ) -> Vec<u8> {
        seal(self, vault_id, Purpose::DeviceWrapKey, key.bytes(), nonce)
    }

    /// Opens what [`Self::seal_device_wrap_key`] sealed under this key.
    pub fn open_device_wrap_key(&self, vault_id: &[u8; 16], sealed: &[u8]) -> Result<DeviceWrapKey, CryptoError> {
        Ok(DeviceWrapKey::from_bytes(*open(self, vault_id, Purpose::DeviceWrapKey, sealed)?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keys::test_keys::fixed;

    #[test]
    fn a_carried_key_opens_only_under_its_master_key_vault_and_purpose() {
        let current = fixed(VaultMasterKey::from_bytes, 0x51);
        let previous = fixed(VaultMasterKey::from_bytes, 0x50);
        let k_dev = fixed(DeviceWrapKey::from_bytes, 0x5d);
        let id = [0x1d; 16];
        let sealed = current.seal_previous_master_key(&id, &previous);
        assert_eq!(sealed.len(), CARRIED_KEY_LEN);
        assert_eq!(current.open_previous_master_key(&id, &sealed).expect("open").bytes(), previous.bytes());
        assert!(matches!(previous.open_previous_master_key(&id, &sealed), Err(CryptoError::Tampered)));
        assert!(matches!(current.open_previous_master_key(&[0x1e; 16], &sealed), Err(CryptoError::Tampered)));
        assert!(current.open_device_wrap_key(&id, &sealed).is_err(), "a journal is not K_dev");
        let carried = current.seal_device_wrap_key(&id, &k_dev);
        assert_eq!(current.open_device_wrap_key(&id, &carried).expect("open").bytes(), k_dev.bytes());
        for position in 0..sealed.len() {
            let mut flipped = sealed.clone();
            flipped[position] ^= 0x01;
            assert!(current.open_previous_master_key(&id, &flipped).is_err(), "byte {position}");
        }
        assert!(current.open_previous_master_key(&id, &sealed[..CARRIED_KEY_LEN - 1]).is_err());
    }
}
