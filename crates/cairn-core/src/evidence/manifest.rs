//! The manifest of an evidence package (`manifest.json`, format `cairn-evidence/1`) and the
//! framing of a document's changes file. Field by field in `docs/evidence.md`.
//!
//! Ids are 32 lower-case hex digits, hashes and keys 64, signatures 128; times are
//! milliseconds since the Unix epoch. Unknown fields are refused when reading.

use serde::{Deserialize, Serialize};

/// The whole manifest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Manifest {
    /// [`super::EVIDENCE_FORMAT`].
    pub(crate) format: String,
    /// The Cairn version that wrote it (informative).
    pub(crate) cairn_version: String,
    /// The case.
    pub(crate) case_id: String,
    /// Whether a team member deleted the case and HQ keeps it archived.
    pub(crate) case_deleted: bool,
    /// When the package was written (the exporting device's clock).
    pub(crate) exported_at_ms: i64,
    /// The device that wrote and signed the package.
    pub(crate) exporting_device: ExportingDevice,
    /// The organisation and its roster; `None` for a vault outside any organisation.
    pub(crate) roster: Option<RosterEntry>,
    /// `case.json`.
    pub(crate) case_json: FileEntry,
    /// `report.html`.
    pub(crate) report: ReportEntry,
    /// Every document of the case (the case document first, then by id).
    pub(crate) documents: Vec<DocumentEntry>,
    /// Every change of every document, document by document in the order above, each in
    /// causal order: the chain of custody.
    pub(crate) changes: Vec<ChangeEntry>,
    /// Every device on the roster that signed a change of the case (and the exporting device).
    pub(crate) devices: Vec<DeviceEntry>,
    /// Every handover receipt held in the case's receipts document.
    pub(crate) receipts: Vec<ReceiptEntry>,
    /// Every attachment of the case.
    pub(crate) attachments: Vec<AttachmentEntry>,
}

/// The exporting device's public identity.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ExportingDevice {
    /// Device id.
    pub(crate) id: String,
    /// Ed25519 public key (signs the manifest).
    pub(crate) signing_key: String,
    /// X25519 public key (part of the device fingerprint).
    pub(crate) agreement_key: String,
    /// The device fingerprint (30 digits in groups of five).
    pub(crate) fingerprint: String,
}

/// A file of the package with its size and SHA-256.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct FileEntry {
    /// Path in the package (`/`-separated).
    pub(crate) path: String,
    /// Size in bytes.
    pub(crate) size: u64,
    /// SHA-256 of its bytes.
    pub(crate) sha256: String,
}

/// The roster file and what it says.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RosterEntry {
    /// Path in the package ([`super::ROSTER_FILE`]).
    pub(crate) path: String,
    /// Size in bytes.
    pub(crate) size: u64,
    /// SHA-256 of its bytes.
    pub(crate) sha256: String,
    /// The organisation id.
    pub(crate) organisation_id: String,
    /// The organisation fingerprint.
    pub(crate) organisation_fingerprint: String,
    /// The roster version.
    pub(crate) version: u64,
}

/// The report file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ReportEntry {
    /// Path in the package ([`super::REPORT_FILE`]).
    pub(crate) path: String,
    /// Size in bytes.
    pub(crate) size: u64,
    /// SHA-256 of its bytes.
    pub(crate) sha256: String,
    /// `en` or `ko`.
    pub(crate) language: String,
    /// Whether it shows the persons' identity fields.
    pub(crate) identity_included: bool,
}

/// One document of the case.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct DocumentEntry {
    /// Document id (the case id for the case document).
    pub(crate) id: String,
    /// `case`, `testimony` or `receipts`.
    pub(crate) kind: String,
    /// Its heads, sorted.
    pub(crate) heads: Vec<String>,
    /// How many changes its file holds.
    pub(crate) change_count: u64,
    /// Path of its changes file.
    pub(crate) path: String,
    /// Size of that file.
    pub(crate) size: u64,
    /// SHA-256 of that file.
    pub(crate) sha256: String,
}

/// One change in the chain of custody.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ChangeEntry {
    /// Its document.
    pub(crate) document: String,
    /// Its Automerge hash.
    pub(crate) hash: String,
    /// The device its custody names as signer, if it carries a signature.
    pub(crate) signer: Option<String>,
    /// The signature (over case id ‖ document id ‖ hash, purpose `change-custody/v1`).
    pub(crate) signature: Option<String>,
    /// When the exporting vault first had it.
    pub(crate) first_seen_ms: Option<i64>,
    /// The roster version the exporting vault held then.
    pub(crate) first_roster_version: Option<u64>,
    /// The exporting vault's verdict (`signed`, `unsigned`, `bad_signature`,
    /// `unknown_signer`, `received_after_revocation`).
    pub(crate) verdict: String,
}

/// One device that signed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct DeviceEntry {
    /// Device id.
    pub(crate) id: String,
    /// Its name on the roster, when the exporting vault reads names.
    pub(crate) name: Option<String>,
    /// Its fingerprint.
    pub(crate) fingerprint: String,
    /// Its role, when it is a member (`field`, `coordinator`, `hq`).
    pub(crate) role: Option<String>,
    /// The roster version that revoked it, when it is revoked.
    pub(crate) revoked_at: Option<u64>,
}

/// One handover receipt.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ReceiptEntry {
    /// The key it is held under (the signing HQ device's id).
    pub(crate) signer: String,
    /// The receipt's bytes (cairn-team receipt v1), hex.
    pub(crate) bytes: String,
}

/// One attachment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct AttachmentEntry {
    /// Attachment id.
    pub(crate) id: String,
    /// File name as imported.
    pub(crate) file_name: String,
    /// Media type.
    pub(crate) media_type: String,
    /// Size of the file in the package (as stored).
    pub(crate) size: u64,
    /// SHA-256 of the file in the package.
    pub(crate) sha256: String,
    /// Size of the original, before metadata was removed.
    pub(crate) original_size: u64,
    /// SHA-256 of the original.
    pub(crate) original_sha256: String,
    /// Path in the package.
    pub(crate) path: String,
}

impl Manifest {
    /// The manifest as written: pretty JSON and a newline (these exact bytes are signed).
    pub(crate) fn to_bytes(&self) -> Vec<u8> {
        let mut bytes = serde_json::to_vec_pretty(self).unwrap_or_default();
        bytes.push(b'\n');
        bytes
    }
}

/// Largest change in a changes file (as a change envelope may hold).
pub(crate) const MAX_FRAMED_CHANGE: usize = cairn_crypto::MAX_CHANGE_LEN;

/// Appends one change to a changes file's bytes: u32 LE length ‖ bytes.
pub(crate) fn frame(change: &[u8], out: &mut Vec<u8>) {
    out.extend_from_slice(&(change.len() as u32).to_le_bytes());
    out.extend_from_slice(change);
}

/// The changes of a changes file, or `None` when its framing is broken (a length running
/// past the end, a change over [`MAX_FRAMED_CHANGE`], an empty change).
pub(crate) fn unframe(mut bytes: &[u8]) -> Option<Vec<Vec<u8>>> {
    let mut changes = Vec::new();
    while !bytes.is_empty() {
        let (length, rest) = bytes.split_first_chunk::<4>()?;
        let length = u32::from_le_bytes(*length) as usize;
        if length == 0 || length > MAX_FRAMED_CHANGE || length > rest.len() {
            return None;
        }
        changes.push(rest[..length].to_vec());
        bytes = &rest[length..];
    }
    Some(changes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn framing_round_trips_and_refuses_broken_lengths() {
        let mut bytes = Vec::new();
        frame(b"abc", &mut bytes);
        frame(&[7; 300], &mut bytes);
        assert_eq!(unframe(&bytes), Some(vec![b"abc".to_vec(), vec![7; 300]]));
        assert_eq!(unframe(&[]), Some(Vec::new()));
        assert_eq!(unframe(&bytes[..bytes.len() - 1]), None, "truncated");
        assert_eq!(unframe(&bytes[..2]), None, "a length cut in two");
        assert_eq!(unframe(&[0, 0, 0, 0]), None, "an empty change");
        assert_eq!(unframe(&[0xff, 0xff, 0xff, 0xff, 1]), None, "a length past the end");
    }
}
