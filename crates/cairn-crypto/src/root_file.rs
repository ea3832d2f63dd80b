//! The root key file: an organisation root key kept outside any vault, under a passphrase.
//!
//! HQ keeps the key that signs rosters offline in one of these (on a stick in a safe, not in
//! its everyday vault), and prepares the *next* root key in another before it is needed: the
//! roster commits to that key's hash (`next_root_commitment`), so a stolen current root
//! cannot redirect the team, and the committed key can take over when the current one is lost
//! or compromised.
//!
//! Format v1 (integers little-endian):
//!
//! ```text
//! 0    [10]  magic "cairn-root"
//! 10   u8    format version (1)
//! 11   [16]  organisation id
//! 27   [32]  the root Ed25519 public key
//! 59   u32   Argon2id memory (KiB)
//! 63   u32   Argon2id passes
//! 67   u32   Argon2id lanes
//! 71   [16]  salt
//! 87   [24]  nonce
//! 111  [48]  the key's 32-byte seed sealed with XChaCha20-Poly1305 under
//!            Argon2id(passphrase, salt), AAD "cairn/root-file/v1" ‖ bytes 0..111
//! 159        end
//! ```
//!
//! The public half and the organisation are readable without the passphrase (a commitment or
//! a roster can be checked against a file before anyone types anything); they are
//! authenticated with the seed, and the opened seed must give that public key, so a file that
//! opens is exactly the key it names. A wrong passphrase and an altered file are the same
//! error ([`CryptoError::WrongSecret`]), as for the vault header.

use chacha20poly1305::{
    XChaCha20Poly1305, XNonce,
    aead::{Aead, KeyInit, Payload},
};
use zeroize::Zeroizing;

use crate::{CryptoError, KdfParams, KdfProfile, SigningPublicKey, SigningSecretKey, random_array};

const MAGIC: &[u8; 10] = b"cairn-root";
const FORMAT_V1: u8 = 1;
const AAD_LABEL: &[u8] = b"cairn/root-file/v1";
const HEADER_LEN: usize = 10 + 1 + 16 + 32 + 12 + 16 + 24;
/// Length of a root key file (format v1).
pub const ROOT_FILE_LEN: usize = HEADER_LEN + 32 + 16;
const WHAT: &str = "root key file";

/// A decoded root key file whose sealed key is not opened yet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RootKeyFile {
    bytes: [u8; ROOT_FILE_LEN],
    org_id: [u8; 16],
    public: SigningPublicKey,
    params: KdfParams,
}

impl RootKeyFile {
    /// Seals `root` for organisation `org_id` under `passphrase` with `params` (validated
    /// against the floor for [`KdfProfile::Standard`]; tests may pass the insecure profile).
    pub fn seal(
        org_id: &[u8; 16],
        root: &SigningSecretKey,
        passphrase: &str,
        params: KdfParams,
        profile: KdfProfile,
    ) -> Result<Vec<u8>, CryptoError> {
        params.validate(profile)?;
        Self::seal_with(org_id, root, passphrase, params, random_array(), random_array())
    }

    pub(crate) fn seal_with(
        org_id: &[u8; 16],
        root: &SigningSecretKey,
        passphrase: &str,
        params: KdfParams,
        salt: [u8; 16],
        nonce: [u8; 24],
    ) -> Result<Vec<u8>, CryptoError> {
        let mut out = Vec::with_capacity(ROOT_FILE_LEN);
        out.extend_from_slice(MAGIC);
        out.push(FORMAT_V1);
        out.extend_from_slice(org_id);
        out.extend_from_slice(root.public_key().as_bytes());
        for value in [params.memory_kib, params.iterations, params.parallelism] {
            out.extend_from_slice(&value.to_le_bytes());
        }
        out.extend_from_slice(&salt);
        out.extend_from_slice(&nonce);
        let key = params.derive(passphrase, &salt)?;
        let aad = aad(&out);
        let seed = Zeroizing::new(root.seed());
        let sealed = XChaCha20Poly1305::new((&*key).into())
            .encrypt(&XNonce::from(nonce), Payload { msg: seed.as_ref(), aad: &aad })
            .map_err(|_| CryptoError::Malformed { what: WHAT })?;
        out.extend_from_slice(&sealed);
        debug_assert_eq!(out.len(), ROOT_FILE_LEN);
        Ok(out)
    }

    /// Decodes a root key file (the organisation and public key are readable at once; nothing
    /// is authenticated until [`RootKeyFile::open`]).
    pub fn decode(bytes: &[u8]) -> Result<Self, CryptoError> {
        if bytes.len() > ROOT_FILE_LEN {
            return Err(CryptoError::TooLarge { what: WHAT });
        }
        if bytes.len() < MAGIC.len() + 1 || &bytes[..MAGIC.len()] != MAGIC {
            return Err(CryptoError::Malformed { what: WHAT });
        }
        if bytes[10] != FORMAT_V1 {
            return Err(CryptoError::UnsupportedVersion { what: WHAT, version: bytes[10].into() });
        }
        let bytes: [u8; ROOT_FILE_LEN] = bytes.try_into().map_err(|_| CryptoError::Malformed { what: WHAT })?;
        let org_id: [u8; 16] = bytes[11..27].try_into().expect("16 bytes");
        let public = SigningPublicKey::from_bytes(bytes[27..59].try_into().expect("32 bytes"))?;
        let word = |at: usize| u32::from_le_bytes(bytes[at..at + 4].try_into().expect("4 bytes"));
        let params = KdfParams { memory_kib: word(59), iterations: word(63), parallelism: word(67) };
        // Only the caps: a file below the floor is its maker's choice and gives an opener
        // nothing, but a forged one must not exhaust memory or time.
        params.validate(KdfProfile::InsecureTestOnly)?;
        Ok(Self { bytes, org_id, public, params })
    }

    /// The organisation the key belongs to.
    pub fn org_id(&self) -> [u8; 16] {
        self.org_id
    }

    /// The root public key the file holds the private half of.
    pub fn public_key(&self) -> SigningPublicKey {
        self.public
    }

    /// Whether the key derivation is below the floor of real vaults (a test file).
    pub fn is_insecure(&self) -> bool {
        self.params.validate(KdfProfile::Standard).is_err()
    }

    /// Opens the key with `passphrase`: [`CryptoError::WrongSecret`] for a wrong passphrase or
    /// an altered file.
    pub fn open(&self, passphrase: &str) -> Result<SigningSecretKey, CryptoError> {
        let salt: [u8; 16] = self.bytes[71..87].try_into().expect("16 bytes");
        let nonce: [u8; 24] = self.bytes[87..111].try_into().expect("24 bytes");
        let key = self.params.derive(passphrase, &salt)?;
        let aad = aad(&self.bytes[..HEADER_LEN]);
        let opened = Zeroizing::new(
            XChaCha20Poly1305::new((&*key).into())
                .decrypt(&XNonce::from(nonce), Payload { msg: &self.bytes[HEADER_LEN..], aad: &aad })
                .map_err(|_| CryptoError::WrongSecret)?,
        );
        let seed: Zeroizing<[u8; 32]> =
            Zeroizing::new(opened.as_slice().try_into().map_err(|_| CryptoError::Malformed { what: WHAT })?);
        let root = SigningSecretKey::from_seed(&seed);
        if root.public_key() != self.public {
            return Err(CryptoError::WrongSecret);
        }
        Ok(root)
    }
}

fn aad(header: &[u8]) -> Vec<u8> {
    let mut aad = Vec::with_capacity(AAD_LABEL.len() + header.len());
    aad.extend_from_slice(AAD_LABEL);
    aad.extend_from_slice(header);
    aad
}

#[cfg(test)]
mod tests {
    use super::*;

    const PASSPHRASE: &str = "오프라인 루트 키 보관 문구";

    fn sealed() -> (SigningSecretKey, Vec<u8>) {
        let root = SigningSecretKey::generate();
        let file = RootKeyFile::seal(&[7; 16], &root, PASSPHRASE, KdfParams::INSECURE_TEST, KdfProfile::InsecureTestOnly)
            .expect("seal");
        (root, file)
    }

    #[test]
    fn opens_with_its_passphrase_and_names_its_key_and_organisation() {
        let (root, bytes) = sealed();
        assert_eq!(bytes.len(), ROOT_FILE_LEN);
        let file = RootKeyFile::decode(&bytes).expect("decode");
        assert_eq!((file.org_id(), file.public_key()), ([7; 16], root.public_key()));
        assert!(file.is_insecure());
        assert_eq!(file.open(PASSPHRASE).expect("open").public_key(), root.public_key());
        assert_eq!(file.open("another passphrase entirely").err(), Some(CryptoError::WrongSecret));
    }

    #[test]
    fn the_real_profile_refuses_weak_parameters() {
        let root = SigningSecretKey::generate();
        let weak = RootKeyFile::seal(&[7; 16], &root, PASSPHRASE, KdfParams::INSECURE_TEST, KdfProfile::Standard);
        assert_eq!(weak.err(), Some(CryptoError::KdfParamsOutOfRange));
    }

    #[test]
    fn every_flipped_byte_is_refused_and_never_opens_another_key() {
        let (_, bytes) = sealed();
        for at in 0..bytes.len() {
            let mut damaged = bytes.clone();
            damaged[at] ^= 0x01;
            let opened = RootKeyFile::decode(&damaged).and_then(|file| file.open(PASSPHRASE).map(|_| ()));
            assert!(opened.is_err(), "a flipped byte at {at} still opened");
        }
    }

    #[test]
    fn truncated_oversized_and_foreign_files_are_refused_before_any_derivation() {
        let (_, bytes) = sealed();
        for len in [0, 5, 11, 100, ROOT_FILE_LEN - 1] {
            assert!(RootKeyFile::decode(&bytes[..len]).is_err(), "{len} bytes");
        }
        let mut longer = bytes.clone();
        longer.push(0);
        assert_eq!(RootKeyFile::decode(&longer).err(), Some(CryptoError::TooLarge { what: WHAT }));
        let mut newer = bytes.clone();
        newer[10] = 2;
        assert_eq!(RootKeyFile::decode(&newer).err(), Some(CryptoError::UnsupportedVersion { what: WHAT, version: 2 }));
        let mut greedy = bytes;
        greedy[59..63].copy_from_slice(&u32::MAX.to_le_bytes());
        assert_eq!(RootKeyFile::decode(&greedy).err(), Some(CryptoError::KdfParamsOutOfRange));
    }
}
