//! Attachments: import a file (photo metadata removed unless the worker keeps it) and export a
//! copy. The file is chosen in a native dialog opened from Rust, read by cairn-core straight
//! into encrypted storage; its content never passes through the webview.
//!
//! Both can take a while for a large file: the bytes pass through a [`Tracked`] reader or
//! writer that reports progress to the window (`work-progress`) and stops on `cancel_work`.
//! A cancelled import is rolled back whole; a cancelled export leaves no file.

use std::{path::Path, sync::Arc};

use cairn_core::{
    CoreError,
    cases::{CaseError, ObjectId},
};
use serde::Serialize;
use tauri_plugin_dialog::DialogExt;

use super::{
    DesktopState, blocking,
    cases::{AttachmentDto, id},
};
use crate::{
    error::{CommandError, CommandResult},
    state::Desktop,
    work::{Report, Tracked},
};
use ts_rs::TS;

/// What an import did.
#[derive(Debug, Serialize, TS)]
#[ts(rename = "ImportedAttachment")]
pub(crate) struct ImportedDto {
    attachment: AttachmentDto,
    /// Metadata parts removed (EXIF, GPS, XMP, comments…); 0 when none or kept.
    removed_parts: u32,
}

/// Progress reports for the window.
fn report_to(app: &tauri::AppHandle) -> Report {
    let app = app.clone();
    Arc::new(move |progress| crate::events::work_progress(&app, progress))
}

fn cancelled() -> CommandError {
    CommandError::from(CoreError::Case(CaseError::Cancelled))
}

/// Asks for a file and attaches it to the case. `None` when the worker closed the dialog.
#[tauri::command]
pub(crate) async fn import_attachment(
    app: tauri::AppHandle,
    state: DesktopState<'_>,
    case_id: String,
    keep_metadata: bool,
) -> CommandResult<Option<ImportedDto>> {
    let case_id = id(&case_id)?;
    let desktop = state.inner().clone();
    blocking(move || {
        // Begun before the dialog, so a Cancel pressed while it is open still counts.
        desktop.work.begin();
        desktop.activity();
        let Some(file) = app.dialog().file().blocking_pick_file() else { return Ok(None) };
        desktop.activity();
        let path = file.into_path().map_err(|_| CommandError::invalid("not a local file"))?;
        import_file(&desktop, &case_id, &path, keep_metadata, report_to(&app)).map(Some)
    })
    .await
}

/// Attaches the file at `path`, reading it through a [`Tracked`] reader.
fn import_file(
    desktop: &Desktop,
    case_id: &ObjectId,
    path: &Path,
    keep_metadata: bool,
    report: Report,
) -> CommandResult<ImportedDto> {
    if desktop.work.cancelled() {
        return Err(cancelled());
    }
    let file_name = path.file_name().map(|name| name.to_string_lossy().into_owned()).unwrap_or_default();
    let file = std::fs::File::open(path).map_err(|_| CommandError::from(CoreError::Case(CaseError::SourceUnreadable)))?;
    let total = file.metadata().ok().map(|metadata| metadata.len());
    let mut source = Tracked::new(file, desktop.work.clone(), report, total);
    let info = desktop.with_session(|session| session.attach_reader(case_id, &file_name, &mut source, keep_metadata))?;
    let removed_parts = info.removed_parts;
    Ok(ImportedDto { attachment: AttachmentDto::from_info(info), removed_parts })
}

/// Asks where to save a copy of an attachment and writes it there (verified, never partial).
/// `false` when the worker closed the dialog.
#[tauri::command]
pub(crate) async fn export_attachment(
    app: tauri::AppHandle,
    state: DesktopState<'_>,
    attachment_id: String,
    file_name: String,
) -> CommandResult<bool> {
    let attachment_id = id(&attachment_id)?;
    let desktop = state.inner().clone();
    blocking(move || {
        desktop.work.begin();
        desktop.activity();
        let Some(file) = app.dialog().file().set_file_name(&file_name).blocking_save_file() else { return Ok(false) };
        desktop.activity();
        let path = file.into_path().map_err(|_| CommandError::invalid("not a local file"))?;
        export_file(&desktop, &attachment_id, &path, report_to(&app))?;
        Ok(true)
    })
    .await
}

/// Writes a copy of the attachment to `path` through a [`Tracked`] writer. The save dialog
/// already asked before replacing an existing file.
fn export_file(desktop: &Desktop, attachment_id: &ObjectId, path: &Path, report: Report) -> CommandResult<()> {
    if desktop.work.cancelled() {
        return Err(cancelled());
    }
    let control = desktop.work.clone();
    desktop.with_session(|session| {
        // The shell does not know the size before core looks it up; the window does.
        session.export_attachment_through(attachment_id, path, true, &mut |file| {
            Box::new(Tracked::new(file, control.clone(), report.clone(), None))
        })
    })?;
    Ok(())
}

/// Stops the import or export under way (it answers `cancelled` and keeps nothing).
#[tauri::command]
pub(crate) async fn cancel_work(state: DesktopState<'_>) -> CommandResult<()> {
    let desktop = state.inner().clone();
    blocking(move || {
        desktop.work.cancel();
        Ok(())
    })
    .await
}

#[cfg(test)]
mod tests {
    use std::{
        sync::{Mutex, mpsc},
        time::Duration,
    };

    use cairn_core::{KdfChoice, SecretString, create_vault};

    use super::*;
    use crate::{
        options::Options,
        settings::Settings,
        state::{LockReason, PhaseName},
        work::Progress,
    };

    const SIZE: usize = 8 * 1024 * 1024;

    fn open_desktop(dir: &Path) -> (Arc<Desktop>, ObjectId) {
        let options = Options {
            vault_dir: dir.join("vault"),
            settings_file: dir.join("settings.json"),
            insecure_fast_kdf: true,
            folder_for_tests: None,
        };
        let desktop = Arc::new(Desktop::new(options, Settings::default()));
        let passphrase = SecretString::from("river crossing at dawn");
        let (session, _code) =
            create_vault(&desktop.options.vault_dir, &passphrase, KdfChoice::InsecureTestOnly).expect("vault");
        desktop.open(session);
        let case = desktop.with_session(|session| session.create_case("Large files")).expect("case");
        (desktop, case)
    }

    fn large_file(dir: &Path) -> std::path::PathBuf {
        let path = dir.join("recording.wav");
        std::fs::write(&path, vec![0x5a; SIZE]).expect("write the source");
        path
    }

    /// A report that cancels the work once `after` bytes went through, and records the rest.
    fn cancelling_after(desktop: &Arc<Desktop>, after: u64) -> (Report, Arc<Mutex<Vec<Progress>>>) {
        let seen = Arc::new(Mutex::new(Vec::new()));
        let (control, sink) = (desktop.work.clone(), seen.clone());
        let report: Report = Arc::new(move |progress: Progress| {
            if progress.done >= after {
                control.cancel();
            }
            sink.lock().expect("reports").push(progress);
        });
        (report, seen)
    }

    fn attachment_count(desktop: &Desktop, case: &ObjectId) -> usize {
        desktop.with_session(|session| session.open_case(case)).expect("open").record.attachments.len()
    }

    #[test]
    fn a_cancelled_import_keeps_nothing_and_the_next_one_works() {
        let dir = tempfile::tempdir().expect("tempdir");
        let (desktop, case) = open_desktop(dir.path());
        let source = large_file(dir.path());
        desktop.work.begin();
        // The first read is reported at once: cancel there, mid-import.
        let (report, seen) = cancelling_after(&desktop, 1);
        let error = import_file(&desktop, &case, &source, false, report).map(|_| ()).expect_err("cancelled");
        assert_eq!(error.code, "cancelled");
        let reports = seen.lock().expect("reports").clone();
        assert_eq!(reports.len(), 1);
        assert!(reports[0].done > 0 && reports[0].done < SIZE as u64 && reports[0].total == Some(SIZE as u64));
        assert_eq!(attachment_count(&desktop, &case), 0);
        let summary = desktop.with_session(|session| session.list_cases()).expect("list");
        assert_eq!(summary[0].counts.attachments, 0);

        desktop.work.begin();
        let (report, seen) = cancelling_after(&desktop, u64::MAX);
        let imported = import_file(&desktop, &case, &source, false, report).expect("import");
        assert_eq!(imported.attachment.stored_size, SIZE as u64);
        assert_eq!(seen.lock().expect("reports").last(), Some(&Progress { done: SIZE as u64, total: Some(SIZE as u64) }));
        assert_eq!(attachment_count(&desktop, &case), 1);
    }

    #[test]
    fn a_cancelled_export_leaves_no_file_in_the_folder() {
        let dir = tempfile::tempdir().expect("tempdir");
        let (desktop, case) = open_desktop(dir.path());
        desktop.work.begin();
        let (report, _) = cancelling_after(&desktop, u64::MAX);
        let imported = import_file(&desktop, &case, &large_file(dir.path()), true, report).expect("import");
        let attachment = id(&imported.attachment.id).expect("id");
        let folder = tempfile::tempdir().expect("folder");
        let target = folder.path().join("copy.wav");

        desktop.work.begin();
        let (report, seen) = cancelling_after(&desktop, 1);
        let error = export_file(&desktop, &attachment, &target, report).expect_err("cancelled");
        assert_eq!(error.code, "cancelled");
        let written = seen.lock().expect("reports").last().expect("a report").done;
        assert!(written > 0 && written < SIZE as u64, "stopped part-way, after {written} bytes");
        assert_eq!(std::fs::read_dir(folder.path()).expect("list").count(), 0, "no copy and no temporary file");

        desktop.work.begin();
        let (report, _) = cancelling_after(&desktop, u64::MAX);
        export_file(&desktop, &attachment, &target, report).expect("export");
        assert_eq!(std::fs::metadata(&target).expect("copy").len(), SIZE as u64);
    }

    /// Locking (the panic shortcut, sleep, screen lock) stops an import under way rather than
    /// waiting for it, and the import is rolled back.
    #[test]
    fn locking_cancels_the_work_under_way() {
        let dir = tempfile::tempdir().expect("tempdir");
        let (desktop, case) = open_desktop(dir.path());
        let source = large_file(dir.path());
        let (started, reading) = mpsc::channel();
        let (unblock, wait) = mpsc::channel::<()>();
        let wait = Mutex::new(wait);
        // The first report (after the first read, inside the import's transaction) holds the
        // import until the lock has asked to cancel.
        let report: Report = Arc::new(move |_| {
            let _ = started.send(());
            let _ = wait.lock().expect("wait").recv_timeout(Duration::from_secs(10));
        });
        let importer = {
            let desktop = desktop.clone();
            std::thread::spawn(move || {
                desktop.work.begin();
                import_file(&desktop, &case, &source, false, report).map(|_| ())
            })
        };
        reading.recv_timeout(Duration::from_secs(10)).expect("the import started");
        let locker = {
            let desktop = desktop.clone();
            std::thread::spawn(move || desktop.lock(LockReason::Sleep))
        };
        while !desktop.work.cancelled() {
            std::thread::sleep(Duration::from_millis(5));
        }
        drop(unblock);
        assert_eq!(importer.join().expect("importer").map_err(|e| e.code), Err("cancelled"));
        assert!(locker.join().expect("locker"), "the lock closed the open vault");
        assert_eq!(desktop.phase_name(), PhaseName::Locked);
        assert_eq!(desktop.last_lock(), Some(LockReason::Sleep));
    }
}
