//! Key types. None of them is `Clone`, `Debug`-printable or serialisable: a key leaves
//! this crate only as a wrapped (encrypted) blob or, for SQLCipher, as a one-shot pragma.

use chacha20poly1305::{
    KeyInit, XChaCha20Poly1305, XNonce,
    aead::{Aead, Payload},
};
use hkdf::Hkdf;
use secrecy::{ExposeSecret, SecretBox};
use sha2::Sha256;
use zeroize::Zeroizing;

use crate::{CryptoError, random::fill_random};

macro_rules! secret_key {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[allow(dead_code)]
        pub struct $name(SecretBox<[u8; 32]>);

        // Not every key type uses every accessor.
        #[allow(dead_code)]
        impl $name {
            pub(crate) fn from_bytes(bytes: [u8; 32]) -> Self {
                let mut bytes = Zeroizing::new(bytes);
                Self(SecretBox::new(Box::new(std::mem::take(&mut *bytes))))
            }

            pub(crate) fn bytes(&self) -> &[u8; 32] {
                self.0.expose_secret()
            }

            pub(crate) fn cipher(&self) -> XChaCha20Poly1305 {
                XChaCha20Poly1305::new(self.bytes().into())
            }
        }

        impl std::fmt::Debug for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(concat!(stringify!($name), "(<redacted>)"))
            }
        }

        /// Overwrites the key with zeros in place, before it is dropped (a vault being locked
        /// in the middle of a transaction: its keys go first, then the transaction is undone).
        impl zeroize::Zeroize for $name {
            fn zeroize(&mut self) {
                zeroize::Zeroize::zeroize(&mut self.0);
            }
        }

        #[allow(dead_code)]
        impl $name {
            /// Whether every byte is zero (a key [`zeroize::Zeroize`]d in place).
            pub fn is_zeroized(&self) -> bool {
                self.bytes().iter().all(|byte| *byte == 0)
            }
        }
    };
}

secret_key!(
    /// The vault master key: random, wrapped in the keyslots, the root of every other vault key.
    VaultMasterKey
);
secret_key!(
    /// SQLCipher's raw page-encryption key (K_db).
    DbKey
);
secret_key!(
    /// Wraps per-case keys stored in the vault (K_wrap).
    WrapKey
);
secret_key!(
    /// Wraps this device's private signing and agreement keys (K_dev).
    DeviceWrapKey
);
secret_key!(
    /// A per-case data-encryption key (DEK_case) for one key version.
    CaseKey
);

impl VaultMasterKey {
    /// A fresh random master key (a new vault's, a decoy's, or one thrown away at once to key
    /// the unused decoy database).
    pub fn generate() -> Self {
        let mut bytes = Zeroizing::new([0u8; 32]);
        fill_random(bytes.as_mut());
        Self::from_bytes(*bytes)
    }

    /// A fixed master key for tests of other crates and property tests. Never use it for data.
    #[doc(hidden)]
    pub fn for_tests() -> Self {
        Self::from_bytes([0x42; 32])
    }

    pub(crate) fn derive(&self, vault_id: &[u8; 16], label: &[u8]) -> Zeroizing<[u8; 32]> {
        let hkdf = Hkdf::<Sha256>::new(Some(vault_id), self.bytes());
        let mut out = Zeroizing::new([0u8; 32]);
        hkdf.expand(label, out.as_mut()).expect("32 bytes is a valid HKDF-SHA256 output length");
        out
    }

    /// K_db: the SQLCipher raw key of this vault.
    pub fn db_key(&self, vault_id: &[u8; 16]) -> DbKey {
        DbKey::from_bytes(*self.derive(vault_id, b"cairn/v1/sqlcipher-db"))
    }

    /// The K_wrap of vaults whose header is format v1 (generation 0 of the case-key wrapping
    /// key): derived from the VMK, so it can never be destroyed while the passphrase opens the
    /// vault. Format v2 headers keep a random, rotatable K_wrap instead
    /// ([`crate::CaseWrapKey`]); this one is only read to upgrade an old vault.
    pub fn wrap_key(&self, vault_id: &[u8; 16]) -> WrapKey {
        WrapKey::from_bytes(*self.derive(vault_id, b"cairn/v1/case-key-wrap"))
    }

    /// K_dev: wraps the device's private keys.
    pub fn device_wrap_key(&self, vault_id: &[u8; 16]) -> DeviceWrapKey {
        DeviceWrapKey::from_bytes(*self.derive(vault_id, b"cairn/v1/device-key-wrap"))
    }
}

impl DbKey {
    /// The value for `PRAGMA key = …` that hands SQLCipher this raw key, skipping its own
    /// PBKDF2 (we derived the key with Argon2id already). Zeroized when dropped.
    pub fn sqlcipher_pragma_value(&self) -> Zeroizing<String> {
        let mut value = Zeroizing::new(String::with_capacity(67));
        value.push_str("x'");
        for byte in self.bytes() {
            const HEX: &[u8; 16] = b"0123456789ABCDEF";
            value.push(HEX[usize::from(byte >> 4)] as char);
            value.push(HEX[usize::from(byte & 0xf)] as char);
        }
        value.push('\'');
        value
    }
}

impl WrapKey {
    /// A fresh random wrapping key (the rotatable K_wrap of a v2 vault header).
    pub(crate) fn generate() -> Self {
        let mut bytes = Zeroizing::new([0u8; 32]);
        fill_random(bytes.as_mut());
        Self::from_bytes(*bytes)
    }
}

impl CaseKey {
    /// A fresh random case key.
    pub fn generate() -> Self {
        let mut bytes = Zeroizing::new([0u8; 32]);
        fill_random(bytes.as_mut());
        Self::from_bytes(*bytes)
    }
}

/// Version byte of a wrapped case key.
const WRAPPED_CASE_KEY_V1: u8 = 1;
/// version(1) + nonce(24) + key(32) + tag(16).
const WRAPPED_CASE_KEY_LEN: usize = 1 + 24 + 32 + 16;

fn case_key_aad(case_id: &[u8; 16], key_version: u32) -> Vec<u8> {
    let mut aad = Vec::with_capacity(40);
    aad.extend_from_slice(b"cairn/case-key/v1");
    aad.extend_from_slice(case_id);
    aad.extend_from_slice(&key_version.to_le_bytes());
    aad
}

/// Wraps a case key under K_wrap, bound to its case and key version.
pub fn wrap_case_key(wrap: &WrapKey, case_id: &[u8; 16], key_version: u32, key: &CaseKey) -> Vec<u8> {
    wrap_case_key_with_nonce(wrap, case_id, key_version, key, crate::random_array())
}

pub(crate) fn wrap_case_key_with_nonce(
    wrap: &WrapKey,
    case_id: &[u8; 16],
    key_version: u32,
    key: &CaseKey,
    nonce: [u8; 24],
) -> Vec<u8> {
    let aad = case_key_aad(case_id, key_version);
    let sealed = wrap
        .cipher()
        .encrypt(&XNonce::from(nonce), Payload { msg: key.bytes(), aad: &aad })
        .expect("XChaCha20-Poly1305 cannot fail on a 32-byte message");
    let mut out = Vec::with_capacity(WRAPPED_CASE_KEY_LEN);
    out.push(WRAPPED_CASE_KEY_V1);
    out.extend_from_slice(&nonce);
    out.extend_from_slice(&sealed);
    out
}

/// Unwraps a case key wrapped by [`wrap_case_key`] for the same case and key version.
pub fn unwrap_case_key(
    wrap: &WrapKey,
    case_id: &[u8; 16],
    key_version: u32,
    wrapped: &[u8],
) -> Result<CaseKey, CryptoError> {
    if wrapped.len() != WRAPPED_CASE_KEY_LEN {
        return Err(CryptoError::Malformed { what: "wrapped case key" });
    }
    if wrapped[0] != WRAPPED_CASE_KEY_V1 {
        return Err(CryptoError::UnsupportedVersion { what: "wrapped case key", version: wrapped[0].into() });
    }
    let nonce = XNonce::try_from(&wrapped[1..25]).map_err(|_| CryptoError::Malformed { what: "wrapped case key" })?;
    let aad = case_key_aad(case_id, key_version);
    let opened = Zeroizing::new(
        wrap.cipher().decrypt(&nonce, Payload { msg: &wrapped[25..], aad: &aad }).map_err(|_| CryptoError::Tampered)?,
    );
    let bytes: [u8; 32] = opened.as_slice().try_into().map_err(|_| CryptoError::Malformed { what: "wrapped case key" })?;
    Ok(CaseKey::from_bytes(bytes))
}

#[cfg(test)]
pub(crate) mod test_keys {
    use super::*;

    /// A fixed key for golden vectors; never used outside tests.
    pub(crate) fn fixed<K>(make: fn([u8; 32]) -> K, byte: u8) -> K {
        make([byte; 32])
    }

    pub(crate) fn case_key(byte: u8) -> CaseKey {
        fixed(CaseKey::from_bytes, byte)
    }

    pub(crate) fn wrap_key(byte: u8) -> WrapKey {
        fixed(WrapKey::from_bytes, byte)
    }
}
