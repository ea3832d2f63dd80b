//! Plaintext exports for HQ's own tools: `cairn export json` and `cairn export uwazi`, over
//! core's `export_json_to`/`export_uwazi_to` (only an HQ device, or a vault outside any
//! organisation, may export; identity fields are never exported; docs/uwazi.md has the
//! mapping).

use std::path::PathBuf;

use cairn_core::{
    cases::{ObjectId, parse_id},
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
}

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
    }
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
