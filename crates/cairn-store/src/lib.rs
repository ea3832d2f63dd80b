//! The encrypted vault on disk.
//!
//! A vault is a folder holding three files:
//!
//! - `vault.keys`: the [`VaultHeader`](cairn_crypto::VaultHeader) (KDF parameters, keyslots,
//!   the key that wraps case keys, replaced after every case deletion, and the unlock guard),
//!   replaced atomically (write, fsync, rename, fsync folder), so a crash leaves the old or the
//!   new header, never a torn one. Two writes are made in place instead: the failed-unlock
//!   counter (8 bytes) and the wipe that overwrites every keyslot (see `wipe.rs`);
//! - `decoy.db`: a second SQLCipher database of the same schema, keyed by a duress
//!   passphrase's decoy master key when one is set and by a key nobody kept otherwise
//!   (see `duress.rs`);
//! - `vault.db` (and SQLite's `-wal`/`-shm`): a SQLCipher database whose every page is
//!   encrypted with K_db. Inside it, case content is sealed a second time with per-case keys
//!   (record envelopes, blob streams), so it can travel and be crypto-shredded;
//! - `vault.rekey`: only while a re-key is under way, the previous master key sealed under the
//!   new one (see `rekey.rs`).
//!
//! This crate owns all SQL. Other crates reach the database through typed methods only.
#![deny(unsafe_code)]

mod blobs;
mod bundles;
mod cases;
mod custody;
mod duress;
mod erasure;
mod error;
pub mod fsutil;
mod handover;
mod records;
mod rekey;
mod schema;
mod search;
mod team;
#[cfg(test)]
mod test_support;
#[cfg(feature = "testing")]
pub mod testing;
mod transfers;
mod uploads;
mod vault;
mod wipe;

pub use blobs::BlobInfo;
pub use bundles::BundlePeerRow;
pub use cases::{CaseSummaryRow, DocDigest, RecordStats, SyncPeerRow};
pub use custody::CustodyRow;
pub use error::StoreError;
pub use handover::{CaseBlobs, PurgedDocument};
pub use records::StoredRecord;
pub use search::{SearchIndex, SearchMatch};
pub use team::{DeviceIdentityRecord, IdentitySealingKeyRecord, OrganisationRecord, PinRecord, RosterRecord};
pub use transfers::{AttachmentBlobRow, MissingAttachment, ReceivedPart, part_count};
pub use uploads::{BlobUpload, UnfinishedUpload};
pub use vault::{KdfChoice, Vault, VaultInfo, VaultTx};
pub use wipe::{WipeReport, wipe};

/// The `vault.keys` file name inside a vault folder.
pub const HEADER_FILE: &str = "vault.keys";
/// The SQLCipher database file name inside a vault folder.
pub const DATABASE_FILE: &str = "vault.db";
/// The decoy database beside it: every vault has one, opened only by a duress passphrase
/// (see `duress.rs`).
pub const DECOY_FILE: &str = "decoy.db";

/// A 128-bit identifier of a case, document, blob or device.
pub type Id = [u8; 16];
