//! Plaintext exports for HQ's own tools: `cairn export json` and `cairn export uwazi`, over
//! core's `export_json_to`/`export_uwazi_to` (only an HQ device, or a vault outside any
//! organisation, may export; identity fields are never exported; docs/uwazi.md has the
//! mapping); `cairn export evidence` (core's `export_evidence`: a package with the signed
//! changes, a manifest and a report, docs/evidence.md) and `cairn verify`, which checks such a
//! package offline with no vault and no passphrase (`verify_evidence`).

use std::path::{Path, PathBuf};

use cairn_core::{
    cases::{ObjectId, parse_id},
    evidence::{EvidenceExported, EvidenceFinding, EvidenceOptions, EvidenceReport, ReportLanguage, verify_evidence},
    export::ExportReport,
    unlock_vault,
};
use clap::Subcommand;
use serde_json::json;

use crate::{Cli, exit, output, secrets};

/// `cairn export …`
#[derive(Debug, Subcommand)]
pub(crate) enum ExportCommand {
    /// Write one case (or every case) as JSON to a file. Plaintext: keep it off field devices.
    Json {
        /// The case (32 hex digits). Default: every case (archived deletions left out).
        case_id: Option<String>,
        /// The file to write.
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
        /// Replace the file if it exists.
        #[arg(long)]
        force: bool,
        /// JSON: {"cases","files":[{"path","entries"}]}.
        #[arg(long)]
        json: bool,
    },
    /// Write CSVs for Uwazi's CSV import, one folder per template (N_template/import.csv), in
    /// a folder (created if missing). Plaintext: keep it off field devices.
    Uwazi {
        /// The case (32 hex digits). Default: every case (archived deletions left out).
        case_id: Option<String>,
        /// The folder to write into.
        #[arg(long, value_name = "DIR")]
        out: PathBuf,
        /// Replace the files if they exist.
        #[arg(long)]
        force: bool,
        /// JSON: {"cases","files":[{"path","entries"}]}.
        #[arg(long)]
        json: bool,
    },
    /// Write one case as an evidence package: its signed changes, the roster, a signed
    /// manifest, the case as JSON, a readable report and the attachments, in a folder or a
    /// .zip. Check it anywhere with `cairn verify`. Plaintext: keep it off field devices.
    Evidence {
        /// The case (32 hex digits).
        case_id: String,
        /// The folder to write into (created if missing), or a file ending in .zip.
        #[arg(long, value_name = "DIR|FILE.zip")]
        out: PathBuf,
        /// The report's language.
        #[arg(long, value_name = "LANG", default_value = "en", value_parser = ["en", "ko"])]
        lang: String,
        /// Show the persons' identity fields in the report (only on HQ's vault).
        #[arg(long)]
        with_identity: bool,
        /// Replace an existing .zip, or the files of an existing folder.
        #[arg(long)]
        force: bool,
        /// JSON: {"path","zip","documents","changes","flagged_changes","attachments",
        /// "attachment_bytes","organisation_fingerprint","device_fingerprint","identity_included"}.
        #[arg(long)]
        json: bool,
    },
}

/// The evidence package did not verify (exit 10); its report was printed.
#[derive(Debug, thiserror::Error)]
#[error("the evidence package did not verify")]
pub(crate) struct NotVerified;

pub(crate) fn run(cli: &Cli, command: &ExportCommand) -> anyhow::Result<()> {
    match command {
        ExportCommand::Json { case_id, out, force, json } => {
            let case_id = case(case_id.as_deref())?;
            let mut session = unlock_vault(&cli.vault_dir()?, &secrets::passphrase(cli)?)?;
            let report = session.export_json_to(case_id.as_ref(), out, *force)?;
            print(&report, *json)
        }
        ExportCommand::Uwazi { case_id, out, force, json } => {
            let case_id = case(case_id.as_deref())?;
            let mut session = unlock_vault(&cli.vault_dir()?, &secrets::passphrase(cli)?)?;
            let report = session.export_uwazi_to(case_id.as_ref(), out, *force)?;
            print(&report, *json)
        }
        ExportCommand::Evidence { case_id, out, lang, with_identity, force, json } => {
            let case_id = case(Some(case_id))?.ok_or(exit::Usage("a case id must be 32 hexadecimal characters"))?;
            let language = ReportLanguage::parse(lang).ok_or(exit::Usage("the report language must be en or ko"))?;
            let options = EvidenceOptions { language, include_identity: *with_identity, overwrite: *force };
            let mut session = unlock_vault(&cli.vault_dir()?, &secrets::passphrase(cli)?)?;
            let exported = session.export_evidence(&case_id, out, options)?;
            print_evidence(&exported, *json)
        }
    }
}

fn print_evidence(exported: &EvidenceExported, json: bool) -> anyhow::Result<()> {
    output::notice(
        "warning: the evidence package is NOT encrypted. Anyone who reads it reads the case; \
         keep it on an encrypted disk and delete it when done.",
    );
    let value = json!({
        "path": exported.path.display().to_string(),
        "zip": exported.zip,
        "documents": exported.documents,
        "changes": exported.changes,
        "flagged_changes": exported.flagged_changes,
        "attachments": exported.attachments,
        "attachment_bytes": exported.attachment_bytes,
        "organisation_fingerprint": exported.organisation_fingerprint,
        "device_fingerprint": exported.device_fingerprint,
        "identity_included": exported.identity_included,
    });
    output::result(json, &value, || {
        let fingerprint = exported.organisation_fingerprint.as_deref().unwrap_or(&exported.device_fingerprint);
        format!(
            "Exported the evidence package {}:\n  {} document(s), {} change(s) ({} flagged), {} attachment(s), {} bytes{}\n\
             Check it anywhere with:\n  cairn verify {} --org-fingerprint \"{fingerprint}\"",
            exported.path.display(),
            exported.documents,
            exported.changes,
            exported.flagged_changes,
            exported.attachments,
            exported.attachment_bytes,
            if exported.identity_included { "; identity fields in the report" } else { "" },
            exported.path.display(),
        )
    })
}

/// `cairn verify PATH --org-fingerprint F`: no vault, no passphrase. Exit 0 when the package
/// verifies, [`NotVerified`] (exit 10) when it does not, after printing what fails.
pub(crate) fn verify(path: &Path, fingerprint: &str, json: bool) -> anyhow::Result<()> {
    let report = verify_evidence(path, fingerprint)?;
    let finding = |finding: &EvidenceFinding| {
        json!({
            "code": finding.code.as_str(),
            "message": finding.code.message(),
            "file": finding.file,
            "document": finding.document,
            "change": finding.change,
            "attachment": finding.attachment,
            "device": finding.device,
        })
    };
    let value = json!({
        "verified": report.verified(),
        "case_id": report.case_id,
        "exported_at_ms": report.exported_at_ms,
        "exporting_device": report.exporting_device,
        "organisation_fingerprint": report.organisation_fingerprint,
        "roster_version": report.roster_version,
        "documents": report.documents,
        "changes": report.changes,
        "attachments": report.attachments,
        "attachment_bytes": report.attachment_bytes,
        "failures": report.failures.iter().map(finding).collect::<Vec<_>>(),
        "warnings": report.warnings.iter().map(finding).collect::<Vec<_>>(),
    });
    output::result(json, &value, || verify_text(&report))?;
    if report.verified() { Ok(()) } else { Err(NotVerified.into()) }
}

fn verify_text(report: &EvidenceReport) -> String {
    let mut lines = vec![if report.verified() {
        format!(
            "VERIFIED: case {}, {} document(s), {} change(s), {} attachment(s) ({} bytes), signed by {} {}.",
            report.case_id.as_deref().unwrap_or("?"),
            report.documents,
            report.changes,
            report.attachments,
            report.attachment_bytes,
            if report.organisation_fingerprint.is_some() { "HQ device" } else { "device" },
            report.exporting_device.as_deref().unwrap_or("?"),
        )
    } else {
        format!("NOT VERIFIED: {} failure(s).", report.failures.len())
    }];
    let describe = |label: &str, finding: &EvidenceFinding| {
        let subjects: Vec<String> = [
            ("file", &finding.file),
            ("document", &finding.document),
            ("change", &finding.change),
            ("attachment", &finding.attachment),
            ("device", &finding.device),
        ]
        .into_iter()
        .filter_map(|(name, value)| value.as_ref().map(|value| format!("{name} {value}")))
        .collect();
        let subjects = if subjects.is_empty() { String::new() } else { format!(" ({})", subjects.join(", ")) };
        format!("  {label} [{}] {}{subjects}", finding.code.as_str(), finding.code.message())
    };
    lines.extend(report.failures.iter().map(|finding| describe("FAIL", finding)));
    lines.extend(report.warnings.iter().map(|finding| describe("WARN", finding)));
    lines.join("\n")
}

fn case(text: Option<&str>) -> anyhow::Result<Option<ObjectId>> {
    text.map(|text| parse_id(text).map_err(|_| exit::Usage("a case id must be 32 hexadecimal characters").into()))
        .transpose()
}

fn print(report: &ExportReport, json: bool) -> anyhow::Result<()> {
    output::notice(
        "warning: the exported files are NOT encrypted. Anyone who reads them reads the cases; \
         keep them on an encrypted disk and delete them when done.",
    );
    let value = json!({
        "cases": report.cases,
        "files": report.files.iter().map(|(path, entries)| json!({
            "path": path.display().to_string(),
            "entries": entries,
        })).collect::<Vec<_>>(),
    });
    output::result(json, &value, || {
        let files: Vec<String> =
            report.files.iter().map(|(path, entries)| format!("  {} ({entries})", path.display())).collect();
        format!("Exported {} case(s):\n{}", report.cases, files.join("\n"))
    })
}
