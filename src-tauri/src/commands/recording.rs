//! Audio recorded in the app, and playback. The webview's `MediaRecorder` hands over a piece
//! of audio about once a second; each piece comes here as raw IPC bytes (not JSON) and is
//! sealed and committed by cairn-core before the command returns, so nothing of a recording
//! is ever written in plaintext and a crash loses at most the last few seconds.

use std::sync::Arc;

use cairn_core::cases::{AttachmentInfo, id_to_hex};
use serde::Serialize;
use tauri::ipc::{InvokeBody, Request, Response};

use super::{
    DesktopState, blocking,
    cases::{AttachmentDto, id, linked_testimony},
};
use crate::{
    error::{CommandError, CommandResult},
    media::{MAX_READ, MediaStreams},
};
use ts_rs::TS;

/// The header naming the recording a piece belongs to (also in the UI's generated bindings).
pub(crate) const RECORDING_HEADER: &str = "x-cairn-recording";
/// The header giving how many bytes of the recording came before the piece.
pub(crate) const OFFSET_HEADER: &str = "x-cairn-offset";

impl AttachmentDto {
    /// The DTO of an attachment just added.
    pub(crate) fn from_info(info: AttachmentInfo) -> AttachmentDto {
        let reference = info.reference;
        AttachmentDto {
            id: id_to_hex(&info.id),
            file_name: reference.file_name,
            media_type: reference.media_type,
            stored_size: reference.stored_size,
            metadata: reference.metadata,
            added_at: reference.added_at,
            added_by: reference.added_by,
            arrived: true,
            testimony: linked_testimony(reference.testimony),
        }
    }
}

/// A recording recovered after the app or the vault stopped mid-recording.
#[derive(Debug, Serialize, TS)]
#[ts(rename = "RecoveredRecording")]
pub(crate) struct RecoveredDto {
    case_id: String,
    attachment: AttachmentDto,
}

/// An attachment opened for playback.
#[derive(Debug, Serialize, TS)]
#[ts(rename = "MediaInfo")]
pub(crate) struct MediaDto {
    /// Names the attachment to `read_media` until the vault locks.
    token: String,
    media_type: String,
    size: u64,
}

/// Starts recording into a case in the recorder's format, linked to the testimony being
/// recorded (one of the case's, or none); returns the recording's id.
#[tauri::command]
pub(crate) async fn start_recording(
    state: DesktopState<'_>,
    case_id: String,
    testimony_id: Option<String>,
    mime: String,
) -> CommandResult<String> {
    let case_id = id(&case_id)?;
    let testimony = testimony_id.as_deref().map(id).transpose()?;
    let desktop = state.inner().clone();
    blocking(move || {
        desktop.with_session(|session| session.start_recording(&case_id, testimony.as_ref(), &mime)).map(|id| id_to_hex(&id))
    })
    .await
}

/// Seals and stores the next piece of a recording (raw bytes; id and offset in headers).
/// Returns the bytes recorded so far. Not the worker's activity: while audio flows the idle
/// limit is stretched to an hour without input, no further (see `idle.rs`).
#[tauri::command]
pub(crate) async fn append_recording(state: DesktopState<'_>, request: Request<'_>) -> CommandResult<u64> {
    let header = |name: &str| request.headers().get(name).and_then(|value| value.to_str().ok());
    let recording = id(header(RECORDING_HEADER).ok_or(CommandError::invalid("recording id missing"))?)?;
    let offset: u64 = header(OFFSET_HEADER)
        .and_then(|value| value.parse().ok())
        .ok_or(CommandError::invalid("recording offset missing"))?;
    let InvokeBody::Raw(piece) = request.body() else { return Err(CommandError::invalid("audio must be sent as bytes")) };
    let piece = zeroize::Zeroizing::new(piece.clone());
    let desktop = state.inner().clone();
    blocking(move || desktop.with_session_media(|session| session.append_recording(&recording, offset, &piece))).await
}

/// Stops a recording and adds it to its case.
#[tauri::command]
pub(crate) async fn finish_recording(state: DesktopState<'_>, recording_id: String) -> CommandResult<AttachmentDto> {
    let recording = id(&recording_id)?;
    let desktop = state.inner().clone();
    blocking(move || desktop.with_session(|session| session.finish_recording(&recording)).map(AttachmentDto::from_info))
        .await
}

/// Stops a recording and deletes what was stored of it.
#[tauri::command]
pub(crate) async fn discard_recording(state: DesktopState<'_>, recording_id: String) -> CommandResult<()> {
    let recording = id(&recording_id)?;
    let desktop = state.inner().clone();
    blocking(move || desktop.with_session(|session| session.discard_recording(&recording))).await
}

/// Turns recordings cut short (by a crash or a lock) into attachments marked interrupted.
/// The UI calls it once after unlocking and tells the worker what was recovered.
#[tauri::command]
pub(crate) async fn recover_recordings(state: DesktopState<'_>) -> CommandResult<Vec<RecoveredDto>> {
    let desktop = state.inner().clone();
    blocking(move || {
        let recovered = desktop.with_session(|session| session.recover_recordings())?;
        Ok(recovered
            .into_iter()
            .map(|info| RecoveredDto { case_id: id_to_hex(&info.case_id), attachment: AttachmentDto::from_info(info) })
            .collect())
    })
    .await
}

/// Opens an attachment for playback (see `media.rs`).
#[tauri::command]
pub(crate) async fn open_media(
    state: DesktopState<'_>,
    streams: tauri::State<'_, Arc<MediaStreams>>,
    attachment_id: String,
) -> CommandResult<MediaDto> {
    let attachment = id(&attachment_id)?;
    let desktop = state.inner().clone();
    let streams = streams.inner().clone();
    blocking(move || {
        let stream = desktop.with_session(|session| session.open_stream(&attachment))?;
        let (media_type, size) = (stream.media_type.clone(), stream.len);
        Ok(MediaDto { token: streams.register(stream), media_type, size })
    })
    .await
}

/// The next piece (at most 256 KiB, as raw bytes) of an attachment opened for playback,
/// from `offset`; empty at the end. Only the chunks that cover it are decrypted.
#[tauri::command]
pub(crate) async fn read_media(
    state: DesktopState<'_>,
    streams: tauri::State<'_, Arc<MediaStreams>>,
    token: String,
    offset: u64,
) -> CommandResult<Response> {
    let stream = streams.get(&token).ok_or(CommandError::invalid("this playback has ended"))?;
    let desktop = state.inner().clone();
    blocking(move || {
        let bytes = desktop.with_session_media(|session| session.read_stream(&stream, offset, MAX_READ))?;
        Ok(Response::new(bytes.to_vec()))
    })
    .await
}
