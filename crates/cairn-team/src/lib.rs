//! Device identity, the HQ-signed roster, enrollment, revocation and team key epochs
//! (DESIGN §3, §6). Sync and handover trust exactly what this crate accepts.
//!
//! Sans-IO: every function takes bytes and plain values and returns bytes and plain values;
//! the caller (cairn-core) reads and writes the vault, in one transaction per operation. All
//! cryptography is named operations of `cairn-crypto`.
//!
//! ```text
//! device ──EnrollmentRequest (file or CAIRN-ENROLL1: QR text, self-signed)──► HQ
//! HQ: compare the device fingerprint in person ─► org::enroll ─► roster v+1 (signed by root)
//! device: compare the organisation fingerprint in person on the first import, pin it,
//!         then device::accept_roster only for rosters of that organisation with a higher version
//! HQ: org::revoke ─► roster v+1, team key epoch e+1 sealed to the remaining members only,
//!     every earlier epoch's key sealed under e+1 (a device enrolled later reads old history)
//! ```
#![deny(unsafe_code)]

mod codec;
pub mod device;
mod error;
mod ids;
pub mod org;
mod policy;
mod receipt;
mod request;
mod roster;
mod tombstone;

#[cfg(test)]
mod golden;
#[cfg(test)]
mod tests;

pub use device::{AcceptedRoster, DeviceView, Standing, accept_roster, preview_fingerprint};
pub use error::TeamError;
pub use ids::{DeviceId, DeviceKeys, ID_LEN, OrgId, Role, check_name};
pub use policy::{HandoverPurge, RoleSet, RosterPolicy, Validity};
pub use receipt::{
    MAX_RECEIPT_ATTACHMENTS, MAX_RECEIPT_DOCUMENTS, MAX_RECEIPT_HEADS, MAX_RECEIPT_LEN, Receipt, ReceiptCoverage,
};
pub use request::{EnrollmentRequest, MAX_REQUEST_LEN, MAX_REQUEST_TEXT_LEN, MIN_REQUEST_LEN, REQUEST_TEXT_PREFIX};
pub use roster::{
    DraftMember, DraftRevocation, EarlierEpoch, MAX_EARLIER_EPOCHS, MAX_MEMBERS, MAX_REVOCATIONS, MAX_ROSTER_LEN, Member,
    Pin, Revocation, Roster, RosterDraft, UnverifiedRoster,
};
pub use tombstone::{TOMBSTONE_LEN, Tombstone};
