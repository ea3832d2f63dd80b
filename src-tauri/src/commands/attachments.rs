//! Attachments: import a file (photo metadata removed unless the worker keeps it) and export a
//! copy. The file is chosen in a native dialog opened from Rust, read by cairn-core straight
//! into encrypted storage; its content never passes through the webview.

use cairn_core::cases::id_to_hex;
use serde::Serialize;
use tauri_plugin_dialog::DialogExt;

use super::{DesktopState, blocking, cases::{AttachmentDto, id}};
use crate::error::{CommandError, CommandResult};

/// What an import did.
#[derive(Debug, Serialize)]
pub(crate) struct ImportedDto {
    attachment: AttachmentDto,
    /// Metadata parts removed (EXIF, GPS, XMP, comments…); 0 when none or kept.
    removed_parts: u32,
}

/// Asks for a file and attaches it to the case. `None` when the worker cancelled.
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
        desktop.activity();
        let Some(file) = app.dialog().file().blocking_pick_file() else { return Ok(None) };
        desktop.activity();
        let path = file.into_path().map_err(|_| CommandError::invalid("not a local file"))?;
        let info = desktop.with_session(|session| session.attach_file(&case_id, &path, keep_metadata))?;
        let reference = info.reference;
        Ok(Some(ImportedDto {
            attachment: AttachmentDto {
                id: id_to_hex(&info.id),
                file_name: reference.file_name,
                media_type: reference.media_type,
                stored_size: reference.stored_size,
                metadata: reference.metadata,
                added_at: reference.added_at,
                added_by: reference.added_by,
            },
            removed_parts: info.removed_parts,
        }))
    })
    .await
}

/// Asks where to save a copy of an attachment and writes it there (verified, never partial).
/// `false` when the worker cancelled.
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
        desktop.activity();
        let Some(file) = app.dialog().file().set_file_name(&file_name).blocking_save_file() else { return Ok(false) };
        desktop.activity();
        let path = file.into_path().map_err(|_| CommandError::invalid("not a local file"))?;
        // The save dialog already asked before replacing an existing file.
        desktop.with_session(|session| session.export_attachment_to(&attachment_id, &path, true))?;
        Ok(true)
    })
    .await
}
