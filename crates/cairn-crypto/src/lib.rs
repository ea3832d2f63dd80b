//! Every cryptographic primitive and byte format of Cairn, in one reviewable place.
//!
//! Other crates never call a cipher, hash or KDF directly: they call the named operations
//! here (`seal_record`, `open_record`, [`VaultHeader::unlock`], …). This crate does no I/O;
//! it turns bytes into bytes, so every format can be tested with golden vectors and fuzzed.
//!
//! Key hierarchy (DESIGN §3):
//!
//! ```text
//! passphrase / recovery code --Argon2id(salt, params)--> P --HKDF(slot)--> KEK_slot
//! KEK_slot wraps VMK (vault master key, random) in one of KEYSLOT_COUNT keyslots
//! VMK --HKDF--> K_db (SQLCipher raw key), K_dev (wraps device keys), K_seal (seals K_wrap)
//!   after a full re-key (new VMK), K_dev is kept sealed under the new VMK (`carried_key.rs`)
//! K_wrap (random, one generation at a time, sealed in the vault header v2) wraps DEK_case;
//!   replaced after every case deletion, so a deleted case's wrapped key left in a database
//!   page or WAL frame never opens again (v1 headers: K_wrap = HKDF(VMK), upgraded on unlock)
//! DEK_case seals record envelopes and blob streams of that case
//! team key of epoch n --HKDF--> Noise psk of epoch n (live sync handshake, `noise.rs`)
//! team key of epoch n seals the team keys of epochs < n (roster v2, `team_key.rs`)
//! identity field --seal_value--> one stanza per recipient X25519 key (HQ intake, identity
//!   readers, or before enrollment the vault's own pre-enrollment key, wrapped by K_dev)
//! ```
#![deny(unsafe_code)]

mod beacon;
mod blob;
mod blob_part;
mod bundle;
mod carried_key;
mod change;
mod envelope;
mod error;
mod fingerprint;
#[cfg(test)]
mod golden;
mod identity;
#[cfg(test)]
mod identity_golden;
mod kdf;
mod keys;
mod keyslots;
mod noise;
mod padding;
mod random;
mod recovery;
mod root_file;
mod sealed_value;
#[cfg(feature = "sqlcipher-pages")]
mod sqlcipher_pages;
mod team_key;
#[cfg(feature = "test-vectors")]
pub mod test_vectors;

pub use beacon::{BEACON_LEN, BEACON_MAX_AGE_MS, Beacon, BeaconKey};
pub use blob::{BLOB_CHUNK_LEN, BlobChunkSealer, BlobContext, BlobOpener, BlobSealer, BlobSummary};
pub use blob_part::{
    AttachmentAddress, BlobPartContext, MAX_SEALED_PART_LEN, attachment_address, blob_part_key_id, open_blob_part,
    seal_blob_part,
};
pub use bundle::{
    BUNDLE_CHUNK_LEN, BUNDLE_SEALED_CHUNK_LEN, BUNDLE_STANZA_LEN, BundleFiles, BundleItem, BundleItems, BundlePartSink,
    BundleSender, BundleStreamError, BundleWriter, BundleWritten, MAX_BUNDLE_ITEM_LEN, MAX_BUNDLE_ITEMS,
    MAX_BUNDLE_PART_LEN, MAX_BUNDLE_RECIPIENTS, OpenedBundle, UnverifiedBundle, UnverifiedBundleStream,
    VerifiedBundleStream, bundle_file_name, bundle_part_file_name, open_bundle, open_bundle_stream, seal_bundle,
};
pub use carried_key::CARRIED_KEY_LEN;
pub use change::{ChangeContext, ChangeCustody, MAX_CHANGE_LEN, OpenedChange, change_key_id, open_change, seal_change};
pub use envelope::{MAX_RECORD_LEN, RecordContext, open_record, seal_record};
pub use error::CryptoError;
pub use fingerprint::{FINGERPRINT_GROUP_DIGITS, FINGERPRINT_GROUPS, Fingerprint};
pub use identity::{
    AgreementKeyUse, AgreementPublicKey, AgreementSecretKey, PUBLIC_KEY_LEN, SIGNATURE_LEN, Signature, SignaturePurpose,
    SigningKeyUse, SigningPublicKey, SigningSecretKey, WRAPPED_SECRET_LEN,
};
pub use kdf::{KdfParams, KdfProfile, calibrate_kdf, time_kdf};
pub use keys::{CaseKey, DbKey, DeviceWrapKey, VaultMasterKey, WrapKey, unwrap_case_key, wrap_case_key};
pub use keyslots::{CaseWrapKey, KEYSLOT_COUNT, SlotKind, UnlockGuard, UnlockedHeader, VaultHeader, WRAP_SLOT_COUNT};
pub use noise::{
    NOISE_MAX_MESSAGE_LEN, NOISE_MAX_PAYLOAD_LEN, NOISE_PROTOCOL, NOISE_PSK_LEN, NOISE_TAG_LEN, NoiseError, NoiseHandshake,
    NoisePsk, NoiseTransport,
};
pub use random::{random_array, random_id};
pub use recovery::RecoveryCode;
pub use root_file::{ROOT_FILE_LEN, RootKeyFile};
pub use sealed_value::{
    MAX_SEALED_VALUE_LEN, MAX_SEALED_VALUE_PLAINTEXT, MAX_SEALED_VALUE_RECIPIENTS, SEALED_VALUE_STANZA_LEN,
    SealedValueContext, open_sealed_value, seal_value, sealed_value_recipient_count,
};
#[cfg(feature = "sqlcipher-pages")]
pub use sqlcipher_pages::{SQLCIPHER_PAGE_LEN, decrypt_sqlcipher_page};
pub use team_key::{
    EarlierTeamKeyContext, LabelContext, LabelSubject, MAX_LABEL_LEN, ROOT_COMMITMENT_LEN, SEALED_EARLIER_TEAM_KEY_LEN,
    SEALED_LABEL_LEN, SEALED_TEAM_KEY_LEN, SHARED_CASE_KEY_LEN, TEAM_CASE_KEY_LEN, TeamCaseKeyContext, TeamKey,
    TeamKeyContext, next_root_commitment,
};

/// Hash of a blob's plaintext (SHA-256), recorded so an exported copy can be checked.
pub type ContentHash = [u8; 32];

/// Incremental SHA-256 of content (attachments), for checking an export against its record.
#[derive(Default)]
pub struct ContentHasher(sha2::Sha256);

impl ContentHasher {
    /// A new, empty hasher.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds bytes.
    pub fn update(&mut self, data: &[u8]) {
        sha2::Digest::update(&mut self.0, data);
    }

    /// The hash of everything added.
    pub fn finish(self) -> ContentHash {
        sha2::Digest::finalize(self.0).into()
    }
}
