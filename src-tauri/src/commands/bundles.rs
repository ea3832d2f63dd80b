//! Sync by USB stick (DESIGN §5): "Export to USB" writes a sealed bundle for each other team
//! device into a folder the worker picks; "Import from USB" applies the bundles a folder holds
//! for this device. The folder is chosen in a native dialog opened from Rust; no path, file
//! name or byte of a bundle passes through the webview.
//!
//! Both hold the session for their whole run, like an attachment import: progress goes to the
//! window as `bundle-progress` events, and `cancel_work` stops the work before its next unit
//! (a bundle written whole, or one document or attachment applied whole). What was applied
//! stays, and importing the same folder again completes it.

use std::{path::PathBuf, sync::Arc};

use cairn_core::{
    bundle::{BundleContents, BundleObserver, BundleStep, ExportedBundle, ImportReport},
    cases::id_to_hex,
};
use serde::Serialize;
use tauri_plugin_dialog::DialogExt;
use ts_rs::TS;

use super::{DesktopState, blocking};
use crate::{
    error::{CommandError, CommandResult},
    events,
    state::Desktop,
    work::WorkControl,
};

/// How far a bundle export or import is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[ts(rename = "BundleProgress")]
#[serde(tag = "phase", rename_all = "snake_case")]
pub(crate) enum BundleProgressDto {
    /// Writing the bundle `index` (from 0) of `of`.
    Writing { index: u64, of: u64 },
    /// Checking file `index` of `of` whole, before anything of it is applied.
    Checking { index: u64, of: u64 },
    /// Applying file `index` of `of`: `done` of `all` units.
    Applying { index: u64, of: u64, done: u64, all: u64 },
}

/// What a bundle carries, counted.
#[derive(Debug, Clone, Serialize, TS)]
#[ts(rename = "BundleContents")]
pub(crate) struct ContentsDto {
    documents: u64,
    changes: u64,
    tombstones: u64,
    attachments: u64,
    roster: bool,
}

impl From<&BundleContents> for ContentsDto {
    fn from(contents: &BundleContents) -> Self {
        ContentsDto {
            documents: count(contents.documents),
            changes: count(contents.changes),
            tombstones: count(contents.tombstones),
            attachments: count(contents.attachments),
            roster: contents.roster,
        }
    }
}

fn count(value: impl TryInto<u64>) -> u64 {
    value.try_into().unwrap_or(u64::MAX)
}

/// One bundle written to the stick.
#[derive(Debug, Serialize, TS)]
#[ts(rename = "ExportedBundle")]
pub(crate) struct ExportedDto {
    device_id: String,
    /// The recipient's name on the roster, if this device can read it.
    name: Option<String>,
    /// Bytes written (all parts).
    size: u64,
    contents: ContentsDto,
}

/// What an export wrote.
#[derive(Debug, Serialize, TS)]
#[ts(rename = "BundleExport")]
pub(crate) struct ExportDto {
    bundles: Vec<ExportedDto>,
}

/// A file the import refused (nothing of it was applied).
#[derive(Debug, Serialize, TS)]
#[ts(rename = "RefusedBundle")]
pub(crate) struct RefusedDto {
    /// Its opaque name in the folder.
    file_name: String,
    /// The error code (`bundle_damaged`, `bundle_bad_signature`, …).
    code: String,
}

/// What an import did.
#[derive(Debug, Serialize, TS)]
#[ts(rename = "BundleImport")]
pub(crate) struct ImportDto {
    files: u64,
    imported: u64,
    /// Files for other devices, left on the stick for them.
    skipped: u64,
    refused: Vec<RefusedDto>,
    documents: u64,
    tombstones: u64,
    attachments: u64,
    roster_updated: bool,
    /// Cases purged after HQ's receipt arrived (a field device).
    cases_purged: u32,
    /// Receipts issued for cases handed over (HQ).
    receipts_issued: u32,
    /// Bundles of which only the roster was applied (this device's roster has expired and
    /// their sender is not HQ).
    roster_only: u64,
}

impl From<ImportReport> for ImportDto {
    fn from(report: ImportReport) -> Self {
        ImportDto {
            files: count(report.files),
            imported: count(report.imported),
            skipped: count(report.skipped),
            refused: report
                .refused
                .into_iter()
                .map(|file| RefusedDto { file_name: file.file_name, code: file.error.code().to_owned() })
                .collect(),
            documents: count(report.applied.documents),
            tombstones: count(report.applied.tombstones),
            attachments: count(report.applied.attachments),
            roster_updated: report.applied.roster_updated,
            cases_purged: report.handover.cases_purged,
            receipts_issued: report.handover.receipts_issued,
            roster_only: count(report.roster_only),
        }
    }
}

/// Sends each step to the window and answers the Cancel switch.
struct WindowObserver {
    report: Box<dyn Fn(BundleProgressDto) + Send>,
    control: Arc<WorkControl>,
}

impl BundleObserver for WindowObserver {
    fn step(&mut self, step: BundleStep) {
        let progress = match step {
            BundleStep::Writing { index, of } => BundleProgressDto::Writing { index: count(index), of: count(of) },
            BundleStep::Checking { index, of } => BundleProgressDto::Checking { index: count(index), of: count(of) },
            BundleStep::Applying { index, of, done, all } => {
                BundleProgressDto::Applying { index: count(index), of: count(of), done: count(done), all: count(all) }
            }
            _ => return,
        };
        (self.report)(progress);
    }

    fn cancelled(&self) -> bool {
        self.control.cancelled()
    }
}

fn observer(app: &tauri::AppHandle, desktop: &Desktop) -> WindowObserver {
    let app = app.clone();
    WindowObserver {
        report: Box::new(move |progress| events::bundle_progress(&app, progress)),
        control: desktop.work.clone(),
    }
}

/// Asks for a folder (the stick). `None` when the worker closed the dialog. Debug builds
/// started with `--pick-folder-for-tests DIR` answer DIR instead: WebDriver cannot drive a
/// native dialog, and everything after the choice is the real work.
pub(super) fn pick_folder(app: &tauri::AppHandle, desktop: &Desktop) -> CommandResult<Option<PathBuf>> {
    if let Some(folder) = &desktop.options.folder_for_tests {
        return Ok(Some(folder.clone()));
    }
    let Some(folder) = app.dialog().file().blocking_pick_folder() else { return Ok(None) };
    folder.into_path().map(Some).map_err(|_| CommandError::invalid("not a local folder"))
}

/// Names the recipients from the roster this device holds.
fn exported(desktop: &Desktop, written: Vec<ExportedBundle>) -> CommandResult<ExportDto> {
    let members = desktop.with_session(|session| Ok(session.roster()?.map(|view| view.members).unwrap_or_default()))?;
    let bundles = written
        .into_iter()
        .map(|bundle| {
            let device_id = id_to_hex(&bundle.recipient);
            let name = members.iter().find(|member| member.device_id == device_id).and_then(|member| member.name.clone());
            ExportedDto { device_id, name, size: bundle.size, contents: ContentsDto::from(&bundle.contents) }
        })
        .collect();
    Ok(ExportDto { bundles })
}

/// Asks for a folder and writes into it a bundle for every other device on the roster:
/// everything each has not acknowledged. `None` when the worker closed the dialog.
#[tauri::command]
pub(crate) async fn export_bundles(app: tauri::AppHandle, state: DesktopState<'_>) -> CommandResult<Option<ExportDto>> {
    let desktop = state.inner().clone();
    blocking(move || {
        // Begun before the dialog, so a Cancel pressed while it is open still counts.
        desktop.work.begin();
        desktop.activity();
        let Some(folder) = pick_folder(&app, &desktop)? else { return Ok(None) };
        desktop.activity();
        let mut observer = observer(&app, &desktop);
        let written = desktop.with_session(|session| session.export_bundles(&folder, &[], &mut observer))?;
        exported(&desktop, written).map(Some)
    })
    .await
}

/// Asks for a folder and imports the bundles it holds for this device. `None` when the worker
/// closed the dialog.
#[tauri::command]
pub(crate) async fn import_bundles(app: tauri::AppHandle, state: DesktopState<'_>) -> CommandResult<Option<ImportDto>> {
    let desktop = state.inner().clone();
    blocking(move || {
        desktop.work.begin();
        desktop.activity();
        let Some(folder) = pick_folder(&app, &desktop)? else { return Ok(None) };
        desktop.activity();
        let mut observer = observer(&app, &desktop);
        let report = desktop.with_session(|session| session.import_bundles(&folder, &mut observer))?;
        Ok(Some(ImportDto::from(report)))
    })
    .await
}
