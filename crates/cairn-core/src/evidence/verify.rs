//! [`verify_evidence`]: checks an evidence package offline, with no vault, against the
//! organisation fingerprint (or, for a package exported outside any organisation, the
//! exporting device's fingerprint), and says precisely what fails.
//!
//! What is checked, in order (each failure is one [`EvidenceFinding`] naming the file,
//! document, change, attachment or device, with a stable [`FindingCode`]):
//!
//! 1. the manifest is there, parses and is format `cairn-evidence/1`;
//! 2. the roster is there, matches its manifest entry, is signed by the root key it names, and
//!    that organisation's fingerprint is the one given (outside an organisation: the
//!    exporting device's keys in the manifest have the fingerprint given);
//! 3. `manifest.sig` verifies over the exact manifest bytes with the exporting device's key,
//!    and that device is a current HQ member of the roster;
//! 4. every device the manifest lists is on the roster as listed;
//! 5. `case.json` and `report.html` have the size and SHA-256 the manifest says;
//! 6. each document's changes file has its size and SHA-256, frames well, and its changes,
//!    rebuilt into the document (every change hash recomputed from its bytes), are exactly the
//!    ones the manifest lists, with no missing dependency and the listed heads;
//! 7. every change carries a custody signature that verifies, with its signer's key from the
//!    roster, over case id ‖ document id ‖ the recomputed hash; a change first received at or
//!    after its signer's revocation is a warning; the manifest's verdict agrees;
//! 8. every receipt parses, is for this case and verifies against the roster (a signer revoked
//!    since is a warning), and they are the ones the rebuilt receipts document holds;
//! 9. `case.json` is exactly the JSON export of the rebuilt documents;
//! 10. every attachment of the rebuilt case document is in the package with the size and
//!     SHA-256 the case document records, and nothing else is listed;
//! 11. files the manifest does not name are warnings.

use std::{
    collections::{BTreeMap, BTreeSet},
    path::Path,
};

use cairn_crypto::{ChangeCustody, Fingerprint, Signature, SignaturePurpose, SigningPublicKey};
use cairn_model::{
    CaseRecord, Document, DocumentKind, MAX_DOCUMENT_BYTES, ObjectId, ReceiptsRecord, TestimonyRecord, id_to_hex, parse_id,
    types::{Hydrate, Reconcile},
};
use cairn_team::{DeviceId, Receipt, Role, Roster, TeamError};

use super::{
    CASE_JSON_FILE, EVIDENCE_FORMAT, EvidenceError, MANIFEST_FILE, REPORT_FILE, ROSTER_FILE, SIGNATURE_FILE, document_path,
    manifest::{ChangeEntry, DocumentEntry, FileEntry, Manifest, unframe},
    package::{Lookup, PackageReader, ReadFailure, hash_stream, is_safe_path, read_all},
};
use crate::{
    CoreError,
    cases::CaseView,
    export::{ExportedCase, cases_json},
    handover::document_kind,
};

/// Largest manifest read (a case with about 100,000 changes).
const MAX_MANIFEST_LEN: usize = 64 * 1024 * 1024;
/// Largest `case.json` compared with the rebuilt case.
const MAX_CASE_JSON_LEN: usize = 256 * 1024 * 1024;

/// How much a finding weighs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Severity {
    /// The package does not verify.
    Failure,
    /// The package verifies, but the reader should know.
    Warning,
}

/// What is wrong (or worth knowing) about a package. Each has a stable code
/// ([`FindingCode::as_str`]) and a fixed sentence ([`FindingCode::message`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum FindingCode {
    /// The path is a file that is not a readable zip.
    PackageUnreadable,
    /// There is no `manifest.json`.
    ManifestMissing,
    /// `manifest.json` is not a manifest (bad JSON, wrong fields, too large).
    ManifestMalformed,
    /// `manifest.json` is of another format or version.
    ManifestUnsupported,
    /// The manifest contradicts itself or the package layout (a bad id or path, a wrong kind,
    /// a count that does not match, a duplicate).
    ManifestInconsistent,
    /// There is no `manifest.sig`.
    SignatureMissing,
    /// `manifest.sig` does not verify over `manifest.json` with the exporting device's key.
    SignatureBad,
    /// The exporting device is not on the roster (or its keys differ from the roster's).
    ExporterUnknown,
    /// The exporting device is not a current HQ member of the roster.
    ExporterNotHq,
    /// The manifest names a roster file the package lacks.
    RosterMissing,
    /// The roster is malformed or its signature does not verify.
    RosterInvalid,
    /// The roster is not the one the manifest describes (organisation, version).
    RosterMismatch,
    /// The organisation (or device) fingerprint is not the one given.
    FingerprintMismatch,
    /// A file the manifest names is missing.
    FileMissing,
    /// A file could not be read whole (not a regular file, a damaged zip entry, too large).
    FileUnreadable,
    /// A file's size or SHA-256 is not what the manifest says.
    FileHashMismatch,
    /// A file is in the package but not in the manifest.
    FileUnlisted,
    /// The case document is not in the package.
    DocumentMissing,
    /// A changes file is not a sequence of length-prefixed changes.
    ChangesMalformed,
    /// A change in a changes file does not parse (or fails its checksum).
    ChangeMalformed,
    /// A change the manifest lists is not in its document's changes file.
    ChangeMissing,
    /// A changes file holds a change the manifest does not list.
    ChangeUnlisted,
    /// A document's changes depend on changes the package lacks.
    DocumentIncomplete,
    /// A document rebuilt from its changes does not have the heads the manifest lists.
    DocumentHeadsMismatch,
    /// A document rebuilt from its changes is not a document of its kind.
    DocumentUnreadable,
    /// A change carries no custody signature.
    ChangeUnsigned,
    /// A change's custody signature does not verify with its signer's key.
    ChangeBadSignature,
    /// A change is signed by a device on no roster (never a member, or another organisation).
    ChangeUnknownSigner,
    /// A change was first received by the exporting vault after its signer was revoked.
    ChangeReceivedAfterRevocation,
    /// The manifest's verdict on a change is not the one its signature and the roster give.
    CustodyVerdictMismatch,
    /// A device the manifest lists is not on the roster as listed.
    DeviceMismatch,
    /// The case document records an attachment the package lacks.
    AttachmentMissing,
    /// The package holds an attachment the case document does not record.
    AttachmentNotInCase,
    /// An attachment's listed size or SHA-256 is not what the case document records.
    AttachmentRecordMismatch,
    /// An attachment file's size is not the recorded one.
    AttachmentSizeMismatch,
    /// An attachment file's SHA-256 is not the recorded one.
    AttachmentHashMismatch,
    /// A handover receipt does not parse, is for another case or does not verify.
    ReceiptInvalid,
    /// A handover receipt was signed by an HQ device revoked since.
    ReceiptSignerRevoked,
    /// The manifest's receipts are not the ones the receipts document holds.
    ReceiptMismatch,
    /// `case.json` is not the JSON export of the case as its signed changes give it.
    CaseJsonMismatch,
}

impl FindingCode {
    /// Every finding code, in the order of `docs/evidence.md`.
    pub const ALL: [FindingCode; 40] = [
        FindingCode::PackageUnreadable,
        FindingCode::ManifestMissing,
        FindingCode::ManifestMalformed,
        FindingCode::ManifestUnsupported,
        FindingCode::ManifestInconsistent,
        FindingCode::SignatureMissing,
        FindingCode::SignatureBad,
        FindingCode::ExporterUnknown,
        FindingCode::ExporterNotHq,
        FindingCode::RosterMissing,
        FindingCode::RosterInvalid,
        FindingCode::RosterMismatch,
        FindingCode::FingerprintMismatch,
        FindingCode::FileMissing,
        FindingCode::FileUnreadable,
        FindingCode::FileHashMismatch,
        FindingCode::FileUnlisted,
        FindingCode::DocumentMissing,
        FindingCode::ChangesMalformed,
        FindingCode::ChangeMalformed,
        FindingCode::ChangeMissing,
        FindingCode::ChangeUnlisted,
        FindingCode::DocumentIncomplete,
        FindingCode::DocumentHeadsMismatch,
        FindingCode::DocumentUnreadable,
        FindingCode::ChangeUnsigned,
        FindingCode::ChangeBadSignature,
        FindingCode::ChangeUnknownSigner,
        FindingCode::ChangeReceivedAfterRevocation,
        FindingCode::CustodyVerdictMismatch,
        FindingCode::DeviceMismatch,
        FindingCode::AttachmentMissing,
        FindingCode::AttachmentNotInCase,
        FindingCode::AttachmentRecordMismatch,
        FindingCode::AttachmentSizeMismatch,
        FindingCode::AttachmentHashMismatch,
        FindingCode::ReceiptInvalid,
        FindingCode::ReceiptSignerRevoked,
        FindingCode::ReceiptMismatch,
        FindingCode::CaseJsonMismatch,
    ];

    /// Stable machine-readable code.
    pub fn as_str(self) -> &'static str {
        match self {
            FindingCode::PackageUnreadable => "package_unreadable",
            FindingCode::ManifestMissing => "manifest_missing",
            FindingCode::ManifestMalformed => "manifest_malformed",
            FindingCode::ManifestUnsupported => "manifest_unsupported",
            FindingCode::ManifestInconsistent => "manifest_inconsistent",
            FindingCode::SignatureMissing => "manifest_signature_missing",
            FindingCode::SignatureBad => "manifest_signature_bad",
            FindingCode::ExporterUnknown => "exporter_unknown",
            FindingCode::ExporterNotHq => "exporter_not_hq",
            FindingCode::RosterMissing => "roster_missing",
            FindingCode::RosterInvalid => "roster_invalid",
            FindingCode::RosterMismatch => "roster_mismatch",
            FindingCode::FingerprintMismatch => "fingerprint_mismatch",
            FindingCode::FileMissing => "file_missing",
            FindingCode::FileUnreadable => "file_unreadable",
            FindingCode::FileHashMismatch => "file_hash_mismatch",
            FindingCode::FileUnlisted => "file_unlisted",
            FindingCode::DocumentMissing => "document_missing",
            FindingCode::ChangesMalformed => "changes_malformed",
            FindingCode::ChangeMalformed => "change_malformed",
            FindingCode::ChangeMissing => "change_missing",
            FindingCode::ChangeUnlisted => "change_unlisted",
            FindingCode::DocumentIncomplete => "document_incomplete",
            FindingCode::DocumentHeadsMismatch => "document_heads_mismatch",
            FindingCode::DocumentUnreadable => "document_unreadable",
            FindingCode::ChangeUnsigned => "change_unsigned",
            FindingCode::ChangeBadSignature => "change_bad_signature",
            FindingCode::ChangeUnknownSigner => "change_unknown_signer",
            FindingCode::ChangeReceivedAfterRevocation => "change_received_after_revocation",
            FindingCode::CustodyVerdictMismatch => "custody_verdict_mismatch",
            FindingCode::DeviceMismatch => "device_mismatch",
            FindingCode::AttachmentMissing => "attachment_missing",
            FindingCode::AttachmentNotInCase => "attachment_not_in_case",
            FindingCode::AttachmentRecordMismatch => "attachment_record_mismatch",
            FindingCode::AttachmentSizeMismatch => "attachment_size_mismatch",
            FindingCode::AttachmentHashMismatch => "attachment_hash_mismatch",
            FindingCode::ReceiptInvalid => "receipt_invalid",
            FindingCode::ReceiptSignerRevoked => "receipt_signer_revoked",
            FindingCode::ReceiptMismatch => "receipt_mismatch",
            FindingCode::CaseJsonMismatch => "case_json_mismatch",
        }
    }

    /// A fixed sentence saying what is wrong.
    pub fn message(self) -> &'static str {
        match self {
            FindingCode::PackageUnreadable => "the file is not a readable evidence package (a folder or a zip)",
            FindingCode::ManifestMissing => "the package has no manifest.json",
            FindingCode::ManifestMalformed => "manifest.json is not a valid evidence manifest",
            FindingCode::ManifestUnsupported => "manifest.json is of a format this Cairn does not know",
            FindingCode::ManifestInconsistent => "the manifest contradicts itself or the package layout",
            FindingCode::SignatureMissing => "the package has no manifest.sig",
            FindingCode::SignatureBad => "the manifest's signature does not verify with the exporting device's key",
            FindingCode::ExporterUnknown => "the exporting device is not on the roster with these keys",
            FindingCode::ExporterNotHq => "the exporting device is not a current HQ member of the roster",
            FindingCode::RosterMissing => "the roster file is missing",
            FindingCode::RosterInvalid => "the roster is malformed or its signature does not verify",
            FindingCode::RosterMismatch => "the roster is not the one the manifest describes",
            FindingCode::FingerprintMismatch => "the package is not from the organisation (or device) with this fingerprint",
            FindingCode::FileMissing => "a file the manifest names is missing",
            FindingCode::FileUnreadable => "a file could not be read whole",
            FindingCode::FileHashMismatch => "a file's size or SHA-256 is not what the manifest says",
            FindingCode::FileUnlisted => "a file in the package is not named by the manifest",
            FindingCode::DocumentMissing => "the case document is not in the package",
            FindingCode::ChangesMalformed => "a changes file is not a sequence of length-prefixed changes",
            FindingCode::ChangeMalformed => "a change does not parse or fails its checksum",
            FindingCode::ChangeMissing => "a change the manifest lists is not in its document's changes file",
            FindingCode::ChangeUnlisted => "a changes file holds a change the manifest does not list",
            FindingCode::DocumentIncomplete => "a document's changes depend on changes the package lacks",
            FindingCode::DocumentHeadsMismatch => "a document rebuilt from its changes does not have the listed heads",
            FindingCode::DocumentUnreadable => "a document rebuilt from its changes is not a document of its kind",
            FindingCode::ChangeUnsigned => "a change carries no custody signature",
            FindingCode::ChangeBadSignature => "a change's custody signature does not verify with its signer's key",
            FindingCode::ChangeUnknownSigner => "a change is signed by a device on no roster",
            FindingCode::ChangeReceivedAfterRevocation => {
                "a change was first received after its signer was revoked (HQ's record of when it arrived)"
            }
            FindingCode::CustodyVerdictMismatch => "the manifest's verdict on a change is not the one its signature gives",
            FindingCode::DeviceMismatch => "a device the manifest lists is not on the roster as listed",
            FindingCode::AttachmentMissing => "an attachment the case records is not in the package",
            FindingCode::AttachmentNotInCase => "the package holds an attachment the case does not record",
            FindingCode::AttachmentRecordMismatch => "an attachment's listed size or SHA-256 is not what the case records",
            FindingCode::AttachmentSizeMismatch => "an attachment file's size is not the recorded one",
            FindingCode::AttachmentHashMismatch => "an attachment file's SHA-256 is not the recorded one",
            FindingCode::ReceiptInvalid => "a handover receipt is malformed, for another case, or does not verify",
            FindingCode::ReceiptSignerRevoked => "a handover receipt was signed by an HQ device revoked since",
            FindingCode::ReceiptMismatch => "the manifest's receipts are not the ones the case's receipts document holds",
            FindingCode::CaseJsonMismatch => "case.json is not the case as its signed changes give it",
        }
    }

    /// Whether it makes the package fail, or is a warning.
    pub fn severity(self) -> Severity {
        match self {
            FindingCode::ChangeReceivedAfterRevocation | FindingCode::ReceiptSignerRevoked | FindingCode::FileUnlisted => {
                Severity::Warning
            }
            _ => Severity::Failure,
        }
    }
}

/// One thing found wrong (or worth knowing), with what it is about. Ids and hashes are hex;
/// paths are package paths. Names from a hostile package are reduced to safe characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EvidenceFinding {
    /// What.
    pub code: FindingCode,
    /// The package file concerned.
    pub file: Option<String>,
    /// The document concerned.
    pub document: Option<String>,
    /// The change concerned.
    pub change: Option<String>,
    /// The attachment concerned.
    pub attachment: Option<String>,
    /// The device concerned.
    pub device: Option<String>,
}

impl EvidenceFinding {
    fn new(code: FindingCode) -> Self {
        EvidenceFinding { code, file: None, document: None, change: None, attachment: None, device: None }
    }

    fn file(mut self, file: &str) -> Self {
        self.file = Some(safe(file));
        self
    }

    fn document(mut self, document: &str) -> Self {
        self.document = Some(safe(document));
        self
    }

    fn change(mut self, change: &str) -> Self {
        self.change = Some(safe(change));
        self
    }

    fn attachment(mut self, attachment: &str) -> Self {
        self.attachment = Some(safe(attachment));
        self
    }

    fn device(mut self, device: &str) -> Self {
        self.device = Some(safe(device));
        self
    }
}

/// Text from the package, reduced to letters, digits and `/._- ` (at most 200 characters), so
/// a report printed on a terminal carries no control sequence.
fn safe(text: &str) -> String {
    text.chars()
        .take(200)
        .map(|c| if c.is_alphanumeric() || matches!(c, '/' | '.' | '_' | '-' | ' ') { c } else { '?' })
        .collect()
}

/// What [`verify_evidence`] found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EvidenceReport {
    /// The case (from the manifest).
    pub case_id: Option<String>,
    /// When it was exported (the exporting device's clock).
    pub exported_at_ms: Option<i64>,
    /// The exporting device.
    pub exporting_device: Option<String>,
    /// The organisation fingerprint the package names (`None` outside an organisation).
    pub organisation_fingerprint: Option<String>,
    /// The roster version.
    pub roster_version: Option<u64>,
    /// Documents checked.
    pub documents: usize,
    /// Changes checked.
    pub changes: usize,
    /// Attachments checked.
    pub attachments: usize,
    /// Their bytes.
    pub attachment_bytes: u64,
    /// What makes the package fail, in the order found.
    pub failures: Vec<EvidenceFinding>,
    /// What the reader should know although the package verifies.
    pub warnings: Vec<EvidenceFinding>,
}

impl EvidenceReport {
    /// Whether the package verifies (no failure).
    pub fn verified(&self) -> bool {
        self.failures.is_empty()
    }

    /// Every finding code, failures then warnings.
    pub fn codes(&self) -> Vec<&'static str> {
        self.failures.iter().chain(&self.warnings).map(|finding| finding.code.as_str()).collect()
    }

    fn add(&mut self, finding: EvidenceFinding) {
        match finding.code.severity() {
            Severity::Failure => self.failures.push(finding),
            Severity::Warning => self.warnings.push(finding),
        }
    }
}

/// Checks the evidence package at `path` (a folder or a `.zip`) offline, against
/// `fingerprint`: the organisation fingerprint as compared in person (for a package exported
/// outside any organisation, the exporting device's fingerprint). Needs no vault. Everything
/// the package gets wrong is in the report ([`EvidenceReport::verified`] is false then);
/// errors are only a malformed fingerprint ([`EvidenceError::FingerprintMalformed`]) and
/// nothing at `path` ([`EvidenceError::NotFound`]).
pub fn verify_evidence(path: &Path, fingerprint: &str) -> Result<EvidenceReport, CoreError> {
    let expected = Fingerprint::parse(fingerprint).map_err(|_| EvidenceError::FingerprintMalformed)?;
    let mut report = EvidenceReport::default();
    let Some(package) = PackageReader::open(path)? else {
        report.add(EvidenceFinding::new(FindingCode::PackageUnreadable));
        return Ok(report);
    };
    let mut verifier = Verifier { package, report, expected, listed: BTreeSet::new() };
    verifier.run();
    Ok(verifier.report)
}

/// A signer's key and, if revoked, the roster version that revoked it.
struct KnownKey {
    key: SigningPublicKey,
    revoked_at: Option<u64>,
}

struct Verifier {
    package: PackageReader,
    report: EvidenceReport,
    expected: Fingerprint,
    /// Every path the manifest names (the rest is unlisted).
    listed: BTreeSet<String>,
}

/// The documents rebuilt from their changes.
#[derive(Default)]
struct Rebuilt {
    case: Option<Document<CaseRecord>>,
    testimonies: BTreeMap<ObjectId, Document<TestimonyRecord>>,
    receipts: Option<Document<ReceiptsRecord>>,
}

fn parse_hex32(text: &str) -> Option<[u8; 32]> {
    if text.len() != 64 || text.bytes().any(|b| b.is_ascii_uppercase()) {
        return None;
    }
    hex::decode(text).ok().and_then(|bytes| bytes.try_into().ok())
}

fn parse_id_strict(text: &str) -> Option<ObjectId> {
    if text.len() != 32 || text.bytes().any(|b| b.is_ascii_uppercase()) {
        return None;
    }
    parse_id(text).ok()
}

/// A file looked up and read (see [`Verifier::fetch`]).
enum Fetched<T> {
    Missing,
    Unreadable,
    Read(T),
}

impl Verifier {
    fn add(&mut self, finding: EvidenceFinding) {
        self.report.add(finding);
    }

    /// Looks `name` up in the package and reads it with `read`.
    fn fetch<T>(&mut self, name: &str, read: impl FnOnce(&mut dyn std::io::Read) -> T) -> Fetched<T> {
        match self.package.lookup(name) {
            Lookup::Missing => Fetched::Missing,
            Lookup::Unreadable => Fetched::Unreadable,
            Lookup::Found(mut reader) => Fetched::Read(read(&mut reader)),
        }
    }

    fn run(&mut self) {
        self.listed.insert(MANIFEST_FILE.to_owned());
        self.listed.insert(SIGNATURE_FILE.to_owned());
        let manifest_bytes = match self.fetch(MANIFEST_FILE, |reader| read_all(reader, MAX_MANIFEST_LEN)) {
            Fetched::Missing => return self.add(EvidenceFinding::new(FindingCode::ManifestMissing)),
            Fetched::Unreadable => return self.add(EvidenceFinding::new(FindingCode::FileUnreadable).file(MANIFEST_FILE)),
            Fetched::Read(read) => match read {
                Ok(bytes) => bytes,
                Err(ReadFailure::TooLarge) => {
                    return self.add(EvidenceFinding::new(FindingCode::ManifestMalformed).file(MANIFEST_FILE));
                }
                Err(ReadFailure::Unreadable) => {
                    return self.add(EvidenceFinding::new(FindingCode::FileUnreadable).file(MANIFEST_FILE));
                }
            },
        };
        let format_ok = serde_json::from_slice::<serde_json::Value>(&manifest_bytes)
            .ok()
            .map(|value| value.get("format").and_then(|format| format.as_str()) == Some(EVIDENCE_FORMAT));
        let manifest: Manifest = match serde_json::from_slice(&manifest_bytes) {
            Ok(manifest) if format_ok == Some(true) => manifest,
            _ if format_ok == Some(false) => {
                return self.add(EvidenceFinding::new(FindingCode::ManifestUnsupported).file(MANIFEST_FILE));
            }
            _ => return self.add(EvidenceFinding::new(FindingCode::ManifestMalformed).file(MANIFEST_FILE)),
        };
        let Some(case_id) = parse_id_strict(&manifest.case_id) else {
            return self.add(EvidenceFinding::new(FindingCode::ManifestInconsistent).file(MANIFEST_FILE));
        };
        self.report.case_id = Some(manifest.case_id.clone());
        self.report.exported_at_ms = Some(manifest.exported_at_ms);
        self.report.exporting_device = Some(safe(&manifest.exporting_device.id));

        let (roster, known) = self.trust(&manifest);
        self.check_signature(&manifest, &manifest_bytes, roster.as_ref());
        self.check_devices(&manifest, roster.as_ref());
        let case_json = self.check_files(&manifest);
        let rebuilt = self.check_documents(&case_id, &manifest);
        if let Some(known) = &known {
            self.check_custody(&case_id, &manifest.changes, known);
        }
        self.check_receipts(&case_id, &manifest, roster.as_ref(), &rebuilt);
        self.check_case_json(&case_id, &manifest, &rebuilt, case_json.as_deref());
        self.check_attachments(&manifest, &rebuilt);
        self.check_unlisted();
    }

    /// Reads a file the manifest names, checking its size and SHA-256 against `entry`;
    /// returns its bytes when `keep` (up to `limit`) and it could be read.
    fn check_file(&mut self, entry: &FileEntry, expected_path: &str, keep: Option<usize>) -> Option<Vec<u8>> {
        if entry.path != expected_path {
            self.add(EvidenceFinding::new(FindingCode::ManifestInconsistent).file(&entry.path));
            return None;
        }
        self.listed.insert(entry.path.clone());
        let path = entry.path.clone();
        let read = self.fetch(&path, |reader| match keep {
            Some(limit) => read_all(reader, limit).ok().map(|bytes| {
                let mut hasher = cairn_crypto::ContentHasher::new();
                hasher.update(&bytes);
                (bytes.len() as u64, hasher.finish(), Some(bytes))
            }),
            None => {
                let streamed = hash_stream(reader);
                (!streamed.failed).then_some((streamed.len, streamed.sha256, None))
            }
        });
        let (len, sha256, bytes) = match read {
            Fetched::Missing => {
                self.add(EvidenceFinding::new(FindingCode::FileMissing).file(&path));
                return None;
            }
            Fetched::Unreadable | Fetched::Read(None) => {
                self.add(EvidenceFinding::new(FindingCode::FileUnreadable).file(&path));
                return None;
            }
            Fetched::Read(Some(read)) => read,
        };
        if len != entry.size || hex::encode(sha256) != entry.sha256 {
            self.add(EvidenceFinding::new(FindingCode::FileHashMismatch).file(&entry.path));
        }
        bytes
    }

    /// The trust anchor: the roster verified under the fingerprint given (or the exporting
    /// device's own keys outside an organisation), and the signers it vouches for.
    fn trust(&mut self, manifest: &Manifest) -> (Option<Roster>, Option<BTreeMap<[u8; 16], KnownKey>>) {
        let device = &manifest.exporting_device;
        let Some(entry) = &manifest.roster else {
            // Outside an organisation: the exporting device is the only signer, and the
            // fingerprint given must be its own.
            let keys = parse_id_strict(&device.id).zip(
                parse_hex32(&device.signing_key).and_then(|key| SigningPublicKey::from_bytes(key).ok()).zip(
                    parse_hex32(&device.agreement_key)
                        .and_then(|key| cairn_crypto::AgreementPublicKey::from_bytes(key).ok()),
                ),
            );
            let Some((id, (signing, agreement))) = keys else {
                self.add(EvidenceFinding::new(FindingCode::ManifestInconsistent).device(&device.id));
                return (None, None);
            };
            if Fingerprint::of_device(&id, &signing, &agreement) != self.expected {
                self.add(EvidenceFinding::new(FindingCode::FingerprintMismatch).device(&device.id));
            }
            return (None, Some(BTreeMap::from([(id, KnownKey { key: signing, revoked_at: None })])));
        };
        let file = FileEntry { path: entry.path.clone(), size: entry.size, sha256: entry.sha256.clone() };
        if entry.path == ROSTER_FILE && matches!(self.fetch(ROSTER_FILE, |_| ()), Fetched::Missing) {
            self.listed.insert(ROSTER_FILE.to_owned());
            self.add(EvidenceFinding::new(FindingCode::RosterMissing).file(ROSTER_FILE));
            return (None, None);
        }
        let Some(roster_bytes) = self.check_file(&file, ROSTER_FILE, Some(cairn_team::MAX_ROSTER_LEN)) else {
            return (None, None);
        };
        let roster = match Roster::decode(&roster_bytes).and_then(|roster| roster.verify(None)) {
            Ok(roster) => roster,
            Err(_) => {
                self.add(EvidenceFinding::new(FindingCode::RosterInvalid).file(ROSTER_FILE));
                return (None, None);
            }
        };
        let fingerprint = roster.pin().fingerprint();
        self.report.organisation_fingerprint = Some(fingerprint.to_string());
        self.report.roster_version = Some(roster.version());
        if fingerprint != self.expected {
            self.add(EvidenceFinding::new(FindingCode::FingerprintMismatch).file(ROSTER_FILE));
        }
        if entry.version != roster.version()
            || entry.organisation_id != roster.org_id().to_string()
            || entry.organisation_fingerprint != fingerprint.to_string()
        {
            self.add(EvidenceFinding::new(FindingCode::RosterMismatch).file(ROSTER_FILE));
        }
        let mut known = BTreeMap::new();
        for member in roster.members() {
            known.insert(member.keys.device_id.0, KnownKey { key: member.keys.signing, revoked_at: None });
        }
        for revocation in roster.revocations() {
            known.insert(
                revocation.keys.device_id.0,
                KnownKey { key: revocation.keys.signing, revoked_at: Some(revocation.revoked_at) },
            );
        }
        (Some(roster), Some(known))
    }

    /// `manifest.sig` over the manifest bytes, by the exporting device, a current HQ member.
    fn check_signature(&mut self, manifest: &Manifest, manifest_bytes: &[u8], roster: Option<&Roster>) {
        let device = &manifest.exporting_device;
        let key = match roster {
            Some(roster) => {
                let member = parse_id_strict(&device.id).and_then(|id| roster.member(DeviceId(id)));
                let Some(member) = member else {
                    self.add(EvidenceFinding::new(FindingCode::ExporterUnknown).device(&device.id));
                    return;
                };
                if hex::encode(member.keys.signing.to_bytes()) != device.signing_key
                    || hex::encode(member.keys.agreement.to_bytes()) != device.agreement_key
                    || member.keys.fingerprint().to_string() != device.fingerprint
                {
                    self.add(EvidenceFinding::new(FindingCode::ExporterUnknown).device(&device.id));
                    return;
                }
                if member.role != Role::Hq {
                    self.add(EvidenceFinding::new(FindingCode::ExporterNotHq).device(&device.id));
                }
                Some(member.keys.signing)
            }
            None if manifest.roster.is_none() => {
                parse_hex32(&device.signing_key).and_then(|key| SigningPublicKey::from_bytes(key).ok())
            }
            None => None,
        };
        let signature = match self.fetch(SIGNATURE_FILE, |reader| read_all(reader, 1024).ok()) {
            Fetched::Missing => return self.add(EvidenceFinding::new(FindingCode::SignatureMissing).file(SIGNATURE_FILE)),
            Fetched::Unreadable => return self.add(EvidenceFinding::new(FindingCode::FileUnreadable).file(SIGNATURE_FILE)),
            Fetched::Read(bytes) => bytes,
        };
        let signature = signature
            .and_then(|bytes| String::from_utf8(bytes).ok())
            .and_then(|text| hex::decode(text.trim_end_matches('\n')).ok())
            .and_then(|bytes| <[u8; 64]>::try_from(bytes).ok())
            .map(Signature::from_bytes);
        let Some(key) = key else { return };
        let valid = signature
            .is_some_and(|signature| key.verify(SignaturePurpose::EvidenceManifest, manifest_bytes, &signature).is_ok());
        if !valid {
            self.add(EvidenceFinding::new(FindingCode::SignatureBad).file(SIGNATURE_FILE));
        }
    }

    /// Every device the manifest lists is on the roster as listed.
    fn check_devices(&mut self, manifest: &Manifest, roster: Option<&Roster>) {
        for device in &manifest.devices {
            let matches = match (roster, parse_id_strict(&device.id)) {
                (Some(roster), Some(id)) => match (roster.member(DeviceId(id)), roster.revocation(DeviceId(id))) {
                    (Some(member), _) => {
                        member.keys.fingerprint().to_string() == device.fingerprint
                            && device.role.as_deref() == Some(member.role.as_str())
                            && device.revoked_at.is_none()
                    }
                    (None, Some(revocation)) => {
                        revocation.keys.fingerprint().to_string() == device.fingerprint
                            && device.role.is_none()
                            && device.revoked_at == Some(revocation.revoked_at)
                    }
                    (None, None) => false,
                },
                (None, Some(_)) => {
                    manifest.roster.is_none()
                        && device.id == manifest.exporting_device.id
                        && device.fingerprint == manifest.exporting_device.fingerprint
                }
                (_, None) => false,
            };
            if !matches {
                self.add(EvidenceFinding::new(FindingCode::DeviceMismatch).device(&device.id));
            }
        }
    }

    /// `case.json` and `report.html`; returns `case.json`'s bytes.
    fn check_files(&mut self, manifest: &Manifest) -> Option<Vec<u8>> {
        let report = FileEntry {
            path: manifest.report.path.clone(),
            size: manifest.report.size,
            sha256: manifest.report.sha256.clone(),
        };
        self.check_file(&report, REPORT_FILE, None);
        self.check_file(&manifest.case_json, CASE_JSON_FILE, Some(MAX_CASE_JSON_LEN))
    }

    /// Each document rebuilt from its changes file and compared with the manifest.
    fn check_documents(&mut self, case_id: &ObjectId, manifest: &Manifest) -> Rebuilt {
        let mut rebuilt = Rebuilt::default();
        let mut seen = BTreeSet::new();
        let known_documents: BTreeSet<&str> = manifest.documents.iter().map(|document| document.id.as_str()).collect();
        for change in &manifest.changes {
            if !known_documents.contains(change.document.as_str()) {
                self.add(EvidenceFinding::new(FindingCode::ManifestInconsistent).document(&change.document));
            }
        }
        for document in &manifest.documents {
            let Some(doc_id) = parse_id_strict(&document.id).filter(|id| seen.insert(*id)) else {
                self.add(EvidenceFinding::new(FindingCode::ManifestInconsistent).document(&document.id));
                continue;
            };
            let kind = document_kind(case_id, &doc_id);
            if kind.as_str() != document.kind {
                self.add(EvidenceFinding::new(FindingCode::ManifestInconsistent).document(&document.id));
                continue;
            }
            let listed: Vec<&ChangeEntry> =
                manifest.changes.iter().filter(|change| change.document == document.id).collect();
            if listed.len() as u64 != document.change_count {
                self.add(EvidenceFinding::new(FindingCode::ManifestInconsistent).document(&document.id));
            }
            let file = FileEntry { path: document.path.clone(), size: document.size, sha256: document.sha256.clone() };
            let limit = MAX_DOCUMENT_BYTES.saturating_add(4 * 1024 * 1024);
            let Some(bytes) = self.check_file(&file, &document_path(&document.id), Some(limit)) else { continue };
            let Some(changes) = unframe(&bytes) else {
                self.add(EvidenceFinding::new(FindingCode::ChangesMalformed).file(&document.path).document(&document.id));
                continue;
            };
            drop(bytes);
            match kind {
                DocumentKind::Case => rebuilt.case = self.rebuild(document, &listed, &changes),
                DocumentKind::Testimony => {
                    if let Some(doc) = self.rebuild(document, &listed, &changes) {
                        rebuilt.testimonies.insert(doc_id, doc);
                    }
                }
                DocumentKind::Receipts => rebuilt.receipts = self.rebuild(document, &listed, &changes),
            }
        }
        if !seen.contains(case_id) {
            self.add(EvidenceFinding::new(FindingCode::DocumentMissing).document(&id_to_hex(case_id)));
        }
        self.report.documents = manifest.documents.len();
        self.report.changes = manifest.changes.len();
        rebuilt
    }

    /// Applies a document's changes one by one (each hash recomputed from its bytes) and
    /// compares the result with what the manifest lists.
    fn rebuild<R: Hydrate + Reconcile>(
        &mut self,
        document: &DocumentEntry,
        listed: &[&ChangeEntry],
        changes: &[Vec<u8>],
    ) -> Option<Document<R>> {
        let mut doc: Document<R> = Document::empty("cairn-verify");
        let mut in_file = BTreeSet::new();
        for (index, change) in changes.iter().enumerate() {
            match doc.apply_changes_hashed(std::slice::from_ref(change)) {
                Ok(applied) => in_file.extend(applied.changes.iter().map(|applied| hex::encode(applied.hash))),
                Err(_) => self.add(
                    EvidenceFinding::new(FindingCode::ChangeMalformed)
                        .file(&document.path)
                        .document(&document.id)
                        .change(&format!("#{index}")),
                ),
            }
        }
        let in_manifest: BTreeSet<&str> = listed.iter().map(|change| change.hash.as_str()).collect();
        for hash in &in_manifest {
            if !in_file.contains(*hash) {
                self.add(EvidenceFinding::new(FindingCode::ChangeMissing).document(&document.id).change(hash));
            }
        }
        for hash in &in_file {
            if !in_manifest.contains(hash.as_str()) {
                self.add(EvidenceFinding::new(FindingCode::ChangeUnlisted).document(&document.id).change(hash));
            }
        }
        if doc.has_missing_dependencies() {
            self.add(EvidenceFinding::new(FindingCode::DocumentIncomplete).document(&document.id));
        }
        let heads: Vec<String> = doc.heads().iter().map(hex::encode).collect();
        let mut listed_heads = document.heads.clone();
        listed_heads.sort();
        if heads != listed_heads {
            self.add(EvidenceFinding::new(FindingCode::DocumentHeadsMismatch).document(&document.id));
        }
        if doc.record().is_err() {
            self.add(EvidenceFinding::new(FindingCode::DocumentUnreadable).document(&document.id));
            return None;
        }
        Some(doc)
    }

    /// Every change's custody signature, against the roster's keys.
    fn check_custody(&mut self, case_id: &ObjectId, changes: &[ChangeEntry], known: &BTreeMap<[u8; 16], KnownKey>) {
        for change in changes {
            let finding = |code| EvidenceFinding::new(code).document(&change.document).change(&change.hash);
            let (Some(doc_id), Some(hash)) = (parse_id_strict(&change.document), parse_hex32(&change.hash)) else {
                self.add(finding(FindingCode::ManifestInconsistent));
                continue;
            };
            let verdict = match (&change.signer, &change.signature) {
                (None, _) | (_, None) => {
                    self.add(finding(FindingCode::ChangeUnsigned));
                    "unsigned"
                }
                (Some(signer), Some(signature)) => {
                    let signature = hex::decode(signature)
                        .ok()
                        .and_then(|bytes| <[u8; 64]>::try_from(bytes).ok())
                        .map(Signature::from_bytes);
                    match (parse_id_strict(signer).and_then(|id| known.get(&id).map(|key| (id, key))), signature) {
                        (None, _) => {
                            self.add(finding(FindingCode::ChangeUnknownSigner).device(signer));
                            "unknown_signer"
                        }
                        (Some(_), None) => {
                            self.add(finding(FindingCode::ChangeBadSignature).device(signer));
                            "bad_signature"
                        }
                        (Some((id, key)), Some(signature)) => {
                            let custody = ChangeCustody { signer: id, signature };
                            if custody.verify(&key.key, case_id, &doc_id, &hash).is_err() {
                                self.add(finding(FindingCode::ChangeBadSignature).device(signer));
                                "bad_signature"
                            } else {
                                match (key.revoked_at, change.first_roster_version) {
                                    (Some(revoked_at), Some(first)) if first >= revoked_at => {
                                        self.add(finding(FindingCode::ChangeReceivedAfterRevocation).device(signer));
                                        "received_after_revocation"
                                    }
                                    _ => "signed",
                                }
                            }
                        }
                    }
                }
            };
            if change.verdict != verdict {
                self.add(finding(FindingCode::CustodyVerdictMismatch));
            }
        }
    }

    /// Every receipt: parses, is for this case, verifies against the roster, and is the one the
    /// receipts document holds.
    fn check_receipts(&mut self, case_id: &ObjectId, manifest: &Manifest, roster: Option<&Roster>, rebuilt: &Rebuilt) {
        let mut listed = BTreeSet::new();
        for entry in &manifest.receipts {
            let finding = |code| EvidenceFinding::new(code).device(&entry.signer);
            let Some(bytes) = hex::decode(&entry.bytes).ok() else {
                self.add(finding(FindingCode::ReceiptInvalid));
                continue;
            };
            listed.insert((entry.signer.clone(), bytes.clone()));
            let receipt = match Receipt::from_bytes(&bytes) {
                Ok(receipt) if receipt.case_id() == *case_id && receipt.signed_by().to_string() == entry.signer => receipt,
                _ => {
                    self.add(finding(FindingCode::ReceiptInvalid));
                    continue;
                }
            };
            match roster.map(|roster| receipt.verify(roster)) {
                Some(Ok(())) => {}
                Some(Err(TeamError::DeviceRevoked)) => self.add(finding(FindingCode::ReceiptSignerRevoked)),
                _ => self.add(finding(FindingCode::ReceiptInvalid)),
            }
        }
        let held: BTreeSet<(String, Vec<u8>)> =
            rebuilt.receipts.as_ref().map(|doc| doc.receipts().into_iter().collect()).unwrap_or_default();
        if held != listed {
            self.add(EvidenceFinding::new(FindingCode::ReceiptMismatch));
        }
    }

    /// `case.json` is the JSON export of the rebuilt case.
    fn check_case_json(&mut self, case_id: &ObjectId, manifest: &Manifest, rebuilt: &Rebuilt, case_json: Option<&[u8]>) {
        let (Some(case_json), Some(case)) = (case_json, &rebuilt.case) else { return };
        let Ok(record) = case.record() else { return };
        let mut testimonies = Vec::new();
        for key in record.testimonies.keys() {
            let Ok(testimony_id) = parse_id(key) else { continue };
            if let Some(testimony) = rebuilt.testimonies.get(&testimony_id).and_then(|doc| doc.record().ok()) {
                testimonies.push((testimony_id, testimony));
            }
        }
        let view = CaseView {
            id: *case_id,
            record,
            identity_sealed: BTreeMap::new(),
            testimonies,
            conflicts: Vec::new(),
            arriving_testimonies: Vec::new(),
            arriving_attachments: Vec::new(),
            document_heads: Vec::new(),
            updated_at: 0,
        };
        let expected = cases_json(&[ExportedCase { view, deleted: manifest.case_deleted }]);
        if expected.as_bytes() != case_json {
            self.add(EvidenceFinding::new(FindingCode::CaseJsonMismatch).file(CASE_JSON_FILE));
        }
    }

    /// Every attachment the case records is in the package, as recorded.
    fn check_attachments(&mut self, manifest: &Manifest, rebuilt: &Rebuilt) {
        let recorded = rebuilt.case.as_ref().and_then(|case| case.record().ok()).map(|record| record.attachments);
        let mut seen = BTreeSet::new();
        for entry in &manifest.attachments {
            let finding = |code| EvidenceFinding::new(code).attachment(&entry.id);
            if parse_id_strict(&entry.id).is_none()
                || !seen.insert(entry.id.clone())
                || !is_safe_path(&entry.path)
                || entry.path != super::attachment_path(&entry.id, &entry.file_name)
            {
                self.add(finding(FindingCode::ManifestInconsistent));
                continue;
            }
            self.listed.insert(entry.path.clone());
            if let Some(recorded) = &recorded {
                match recorded.get(&entry.id) {
                    None => self.add(finding(FindingCode::AttachmentNotInCase)),
                    Some(reference) if reference.stored_size != entry.size || reference.stored_hash != entry.sha256 => {
                        self.add(finding(FindingCode::AttachmentRecordMismatch));
                    }
                    Some(_) => {}
                }
            }
            let streamed = match self.fetch(&entry.path, |reader| hash_stream(reader)) {
                Fetched::Missing => {
                    self.add(finding(FindingCode::FileMissing));
                    continue;
                }
                Fetched::Unreadable => {
                    self.add(finding(FindingCode::FileUnreadable));
                    continue;
                }
                Fetched::Read(streamed) => streamed,
            };
            self.report.attachments += 1;
            self.report.attachment_bytes += streamed.len;
            if streamed.len != entry.size {
                self.add(finding(FindingCode::AttachmentSizeMismatch));
            } else if hex::encode(streamed.sha256) != entry.sha256 {
                self.add(finding(FindingCode::AttachmentHashMismatch));
            } else if streamed.failed {
                self.add(finding(FindingCode::FileUnreadable));
            }
        }
        if let Some(recorded) = &recorded {
            for id in recorded.keys() {
                if !seen.contains(id) {
                    self.add(EvidenceFinding::new(FindingCode::AttachmentMissing).attachment(id));
                }
            }
        }
    }

    /// Files the manifest does not name.
    fn check_unlisted(&mut self) {
        let names = self.package.names();
        for name in names {
            if !self.listed.contains(&name) {
                self.add(EvidenceFinding::new(FindingCode::FileUnlisted).file(&name));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::evidence::manifest::{
        AttachmentEntry, ChangeEntry, DeviceEntry, DocumentEntry, ExportingDevice, ReceiptEntry, ReportEntry, RosterEntry,
    };

    const DOC: &str = include_str!("../../../../docs/evidence.md");

    #[test]
    fn docs_list_every_finding_code_with_its_severity() {
        let codes: BTreeSet<&str> = FindingCode::ALL.iter().map(|code| code.as_str()).collect();
        assert_eq!(codes.len(), FindingCode::ALL.len(), "codes are distinct");
        for code in FindingCode::ALL {
            let severity = if code.severity() == Severity::Failure { "failure" } else { "warning" };
            let row = format!("| `{}` | {severity} |", code.as_str());
            assert!(DOC.contains(&row), "docs/evidence.md lacks {row}");
            assert!(!code.message().is_empty());
        }
    }

    #[test]
    fn docs_name_every_manifest_field() {
        let file = || FileEntry { path: String::new(), size: 0, sha256: String::new() };
        let manifest = Manifest {
            format: String::new(),
            cairn_version: String::new(),
            case_id: String::new(),
            case_deleted: false,
            exported_at_ms: 0,
            exporting_device: ExportingDevice {
                id: String::new(),
                signing_key: String::new(),
                agreement_key: String::new(),
                fingerprint: String::new(),
            },
            roster: Some(RosterEntry {
                path: String::new(),
                size: 0,
                sha256: String::new(),
                organisation_id: String::new(),
                organisation_fingerprint: String::new(),
                version: 0,
            }),
            case_json: file(),
            report: ReportEntry {
                path: String::new(),
                size: 0,
                sha256: String::new(),
                language: String::new(),
                identity_included: false,
            },
            documents: vec![DocumentEntry {
                id: String::new(),
                kind: String::new(),
                heads: Vec::new(),
                change_count: 0,
                path: String::new(),
                size: 0,
                sha256: String::new(),
            }],
            changes: vec![ChangeEntry {
                document: String::new(),
                hash: String::new(),
                signer: None,
                signature: None,
                first_seen_ms: None,
                first_roster_version: None,
                verdict: String::new(),
            }],
            devices: vec![DeviceEntry {
                id: String::new(),
                name: None,
                fingerprint: String::new(),
                role: None,
                revoked_at: None,
            }],
            receipts: vec![ReceiptEntry { signer: String::new(), bytes: String::new() }],
            attachments: vec![AttachmentEntry {
                id: String::new(),
                file_name: String::new(),
                media_type: String::new(),
                size: 0,
                sha256: String::new(),
                original_size: 0,
                original_sha256: String::new(),
                path: String::new(),
            }],
        };
        fn keys(value: &serde_json::Value, out: &mut BTreeSet<String>) {
            match value {
                serde_json::Value::Object(map) => {
                    for (key, value) in map {
                        out.insert(key.clone());
                        keys(value, out);
                    }
                }
                serde_json::Value::Array(items) => items.iter().for_each(|item| keys(item, out)),
                _ => {}
            }
        }
        let mut found = BTreeSet::new();
        keys(&serde_json::to_value(&manifest).expect("json"), &mut found);
        for key in found {
            assert!(
                DOC.contains(&format!("`{key}`")) || DOC.contains(&format!("{key},")) || DOC.contains(&format!("{key}}}")),
                "docs/evidence.md does not name the manifest field {key}"
            );
        }
    }
}
