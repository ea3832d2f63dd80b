//! Evidence packages (issue 11): one case exported with everything needed to check it
//! offline — its signed changes, the roster that names their signers, its attachments, a
//! readable report — and [`verify_evidence`], which checks such a package with no vault, no
//! passphrase and no network, against the organisation fingerprint alone.
//!
//! Layout (a folder, or a `.zip` holding the same entries; `docs/evidence.md` documents every
//! field):
//!
//! ```text
//! manifest.json              what the package holds, with the SHA-256 of every other file
//! manifest.sig               128 hex digits and a newline: the exporting device's Ed25519
//!                            signature (purpose "evidence-manifest/v1") over manifest.json
//! roster.bin                 the signed roster the exporting vault holds (none outside an
//!                            organisation)
//! documents/<doc-id>.changes every raw Automerge change of each document of the case, each as
//!                            u32 LE length ‖ bytes, in causal order
//! case.json                  the case as the JSON export writes it (format `cairn-cases`)
//! report.html                the case for people, in English or Korean, with no script
//! attachments/<id>-<name>    each attachment as stored
//! ```
//!
//! Trust. The anchor is the organisation fingerprint, compared in person at enrollment: the
//! roster must be signed by the root key it names, the manifest by a current HQ member of that
//! roster, and every change by a device on it (member or revoked) through its custody
//! signature over the change hash, which [`verify_evidence`] recomputes from the change's bytes.
//! The documents are rebuilt from those changes, so their heads, the case JSON and every
//! attachment's size and SHA-256 (recorded in the case document by the device that attached
//! it) are checked against what the signers signed. A vault outside any organisation exports
//! too: its package carries no roster, every change must be signed by the exporting device,
//! and the anchor is that device's fingerprint.
//!
//! Decisions:
//! - Only an HQ device or a vault outside any organisation exports (as the other exports,
//!   [`crate::export::ExportError::NotAllowed`]). Identity fields appear only in the report,
//!   only from HQ's vault, and only when asked ([`EvidenceOptions::include_identity`]);
//!   `case.json` never holds them (it must match the signed changes, where they are sealed).
//! - A change first received after its signer's revocation is a *warning*, not a failure: it
//!   is HQ's honest record of what arrived and when, and the package says so. An unsigned
//!   change, a bad signature or a signer on no roster is a failure.
//! - A case whose attachment has not arrived is refused (`attachment_not_arrived`): a package
//!   is complete or it is not written. Changes still waiting for dependencies are not part of
//!   the document yet and are left out.
//! - A folder package is written file by file through [`crate::files::AtomicFile`], the
//!   manifest and its signature last, so an interrupted export leaves no manifest and does not
//!   verify; a `.zip` is one `AtomicFile`. Attachments stream (hashed as they go): memory does
//!   not grow with their size.

mod export;
mod manifest;
mod package;
mod report;
mod verify;

pub use export::EvidenceExported;
pub use verify::{EvidenceFinding, EvidenceReport, FindingCode, Severity, verify_evidence};

/// The manifest's `format`.
pub const EVIDENCE_FORMAT: &str = "cairn-evidence/1";
/// The manifest's name in a package.
pub const MANIFEST_FILE: &str = "manifest.json";
/// The manifest signature's name in a package.
pub const SIGNATURE_FILE: &str = "manifest.sig";
/// The roster's name in a package.
pub const ROSTER_FILE: &str = "roster.bin";
/// The case JSON's name in a package.
pub const CASE_JSON_FILE: &str = "case.json";
/// The report's name in a package.
pub const REPORT_FILE: &str = "report.html";
/// The folder of the documents' changes in a package.
pub const DOCUMENTS_DIR: &str = "documents";
/// The folder of the attachments in a package.
pub const ATTACHMENTS_DIR: &str = "attachments";

/// The language of an evidence package's report.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum ReportLanguage {
    /// English.
    #[default]
    English,
    /// Korean.
    Korean,
}

impl ReportLanguage {
    /// The language tag (`en`, `ko`).
    pub fn code(self) -> &'static str {
        match self {
            ReportLanguage::English => "en",
            ReportLanguage::Korean => "ko",
        }
    }

    /// The language of a tag (`en`, `ko`), if it is one of these.
    pub fn parse(tag: &str) -> Option<ReportLanguage> {
        match tag {
            "en" => Some(ReportLanguage::English),
            "ko" => Some(ReportLanguage::Korean),
            _ => None,
        }
    }
}

/// How to export an evidence package.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct EvidenceOptions {
    /// The report's language.
    pub language: ReportLanguage,
    /// Put the persons' identity fields in the report. Only HQ's vault may
    /// ([`crate::export::ExportError::IdentityNotAllowed`] elsewhere).
    pub include_identity: bool,
    /// Replace an existing `.zip`, or files of an existing folder package.
    pub overwrite: bool,
}

/// An evidence operation refused before it started.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum EvidenceError {
    /// The fingerprint to verify against is not 30 digits.
    #[error("the fingerprint is not in the right form: 30 digits, in groups of five")]
    FingerprintMalformed,
    /// Nothing is at the path to verify.
    #[error("no evidence package was found at this location")]
    NotFound,
}

impl EvidenceError {
    /// Stable machine-readable code.
    pub fn code(&self) -> &'static str {
        match self {
            EvidenceError::FingerprintMalformed => "evidence_fingerprint_malformed",
            EvidenceError::NotFound => "evidence_not_found",
        }
    }
}

/// The path of a document's changes in a package.
fn document_path(doc_hex: &str) -> String {
    format!("{DOCUMENTS_DIR}/{doc_hex}.changes")
}

/// The path of an attachment in a package: its id, then its file name reduced to letters,
/// digits, `.`, `-` and `_` (at most 80 characters), so it is safe in any file system and zip.
fn attachment_path(attachment_hex: &str, file_name: &str) -> String {
    let cleaned: String = file_name
        .chars()
        .map(|c| if c.is_alphanumeric() || matches!(c, '.' | '-' | '_') { c } else { '_' })
        .take(80)
        .collect();
    let cleaned = cleaned.trim_matches('.');
    if cleaned.is_empty() {
        format!("{ATTACHMENTS_DIR}/{attachment_hex}")
    } else {
        format!("{ATTACHMENTS_DIR}/{attachment_hex}-{cleaned}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attachment_paths_are_safe() {
        let id = "ab".repeat(16);
        assert_eq!(attachment_path(&id, "면담 1|녹음.ogg"), format!("attachments/{id}-면담_1_녹음.ogg"));
        assert_eq!(attachment_path(&id, "../../etc/passwd"), format!("attachments/{id}-_.._etc_passwd"));
        assert_eq!(attachment_path(&id, "..."), format!("attachments/{id}"));
        assert_eq!(attachment_path(&id, ""), format!("attachments/{id}"));
        assert!(attachment_path(&id, &"x".repeat(500)).len() < 140);
        assert_eq!(ReportLanguage::parse("ko"), Some(ReportLanguage::Korean));
        assert_eq!(ReportLanguage::parse("fr"), None);
    }
}
