//! Exports for HQ's own tools, from the app (DESIGN §6): the JSON of a case and the Uwazi CSVs,
//! written into a folder the worker picks in a native dialog opened from Rust (no path or file
//! content passes through the webview). Only HQ's vault or a vault outside any organisation
//! exports (core refuses elsewhere with `export_not_allowed`); identity fields are never
//! exported. The files are plaintext: the page says so before the button.

use cairn_core::{
    cases::id_to_hex,
    evidence::{EvidenceOptions, ReportLanguage},
};
use serde::Serialize;
use ts_rs::TS;

use std::path::PathBuf;

use super::{DesktopState, blocking, bundles::pick_folder, cases::id};
use crate::{
    error::{CommandError, CommandResult},
    state::Desktop,
};

/// The folder an export goes into, picked in the dialog (`None`: closed). Refused before the
/// dialog opens on a device that may not export.
fn export_folder(app: &tauri::AppHandle, desktop: &Desktop) -> CommandResult<Option<PathBuf>> {
    desktop.with_session(|session| session.check_export_allowed())?;
    desktop.activity();
    let folder = pick_folder(app, desktop)?;
    desktop.activity();
    Ok(folder)
}

/// What an export wrote.
#[derive(Debug, Serialize, TS)]
#[ts(rename = "ExportWritten")]
pub(crate) struct ExportWrittenDto {
    /// The files written (names only, inside the chosen folder).
    files: Vec<String>,
}

/// Which export.
#[derive(Debug, Clone, Copy, serde::Deserialize, TS)]
#[ts(rename = "ExportKind")]
#[serde(rename_all = "snake_case")]
pub(crate) enum ExportKindDto {
    /// `case-<id>.json`.
    Json,
    /// One folder per Uwazi template, each with `import.csv`.
    Uwazi,
}

/// Asks for a folder and writes one case's export into it (an existing file is not
/// replaced: `target_exists`). `None` when the worker closed the dialog.
#[tauri::command]
pub(crate) async fn export_case(
    app: tauri::AppHandle,
    state: DesktopState<'_>,
    case_id: String,
    kind: ExportKindDto,
) -> CommandResult<Option<ExportWrittenDto>> {
    let case_id = id(&case_id)?;
    let desktop = state.inner().clone();
    blocking(move || {
        let Some(folder) = export_folder(&app, &desktop)? else { return Ok(None) };
        let report = desktop.with_session(|session| match kind {
            ExportKindDto::Json => {
                session.export_json_to(Some(&case_id), &folder.join(format!("case-{}.json", id_to_hex(&case_id))), false)
            }
            ExportKindDto::Uwazi => session.export_uwazi_to(Some(&case_id), &folder.join("uwazi"), false),
        })?;
        let files = report
            .files
            .iter()
            .map(|(path, _)| {
                path.strip_prefix(&folder)
                    .map(|relative| relative.display().to_string())
                    .map_err(|_| CommandError::invalid("an export wrote outside its folder"))
            })
            .collect::<CommandResult<Vec<String>>>()?;
        Ok(Some(ExportWrittenDto { files }))
    })
    .await
}

/// What an evidence export wrote.
#[derive(Debug, Serialize, TS)]
#[ts(rename = "EvidenceWritten")]
pub(crate) struct EvidenceWrittenDto {
    /// The package's folder name, inside the chosen folder.
    package: String,
    /// Changes in the chain of custody, and how many of them are flagged.
    changes: u64,
    flagged_changes: u64,
}

/// Asks for a folder and writes the case's evidence package into it (`evidence-<case id>`): a
/// signed manifest, the documents' changes, the case as JSON, the attachments and a readable
/// report in `language` (`ko` or `en`). Identity fields go into the report only from HQ's vault
/// and only with `with_identity`. `None` when the worker closed the dialog.
#[tauri::command]
pub(crate) async fn export_evidence(
    app: tauri::AppHandle,
    state: DesktopState<'_>,
    case_id: String,
    language: String,
    with_identity: bool,
) -> CommandResult<Option<EvidenceWrittenDto>> {
    let case_id = id(&case_id)?;
    let language = match language.as_str() {
        "ko" => ReportLanguage::Korean,
        "en" => ReportLanguage::English,
        _ => return Err(CommandError::invalid("unknown report language")),
    };
    let desktop = state.inner().clone();
    blocking(move || {
        let Some(folder) = export_folder(&app, &desktop)? else { return Ok(None) };
        let package = format!("evidence-{}", id_to_hex(&case_id));
        let options = EvidenceOptions { language, include_identity: with_identity, overwrite: false };
        let exported = desktop.with_session(|session| session.export_evidence(&case_id, &folder.join(&package), options))?;
        Ok(Some(EvidenceWrittenDto {
            package,
            changes: u64::try_from(exported.changes).unwrap_or(u64::MAX),
            flagged_changes: u64::try_from(exported.flagged_changes).unwrap_or(u64::MAX),
        }))
    })
    .await
}
