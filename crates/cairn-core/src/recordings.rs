//! Audio recorded in the app, and attachments read back as a stream.
//!
//! A recording arrives in small pieces for as long as an interview lasts. Each piece is
//! sealed and committed as it comes ([`cairn_store::BlobUpload`]): nothing is buffered in a
//! file, and no write transaction stays open between pieces, so the rest of the app keeps
//! working. When the recording stops it becomes an ordinary attachment of the case. If the
//! app dies, or the vault locks, mid-recording, what was committed is recovered as an
//! "interrupted" attachment by [`Session::recover_recordings`] (all but the last, incomplete
//! 64 KiB chunk, which only ever existed in memory).
//!
//! Playback reads any byte range of an attachment, opening only the chunks that cover it
//! ([`Session::open_stream`], [`Session::read_stream`]).

use std::collections::HashMap;

use cairn_model::{AttachmentRef, CaseDoc, MetadataHandling, ObjectId, id_to_hex};
use cairn_store::{BlobInfo, BlobUpload, StoreError};
use zeroize::Zeroizing;

use crate::{
    CoreError, Session,
    cases::{AttachmentInfo, attachment_reference, commit_doc, hex32, load_doc, now_ms, owner, read, transact},
};

/// The audio formats the app records in, with the file extension each is exported with:
/// what WebKit's `MediaRecorder` produces (MP4/AAC with GStreamer; WebM or Ogg with Opus
/// elsewhere).
const RECORDING_FORMATS: &[(&str, &str)] = &[("audio/mp4", "m4a"), ("audio/webm", "webm"), ("audio/ogg", "ogg")];

/// The most one piece of a recording may hold (a second of audio is a few kilobytes).
pub const MAX_RECORDING_PIECE: usize = 4 * 1024 * 1024;

/// The most one read of a stream returns.
pub const MAX_STREAM_READ: usize = 4 * 1024 * 1024;

/// Errors of recording and streaming.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RecordingError {
    /// The recorder produced a format Cairn does not store as a recording.
    #[error("this audio format cannot be recorded")]
    UnsupportedFormat,
    /// A piece arrived out of order (a gap or a repeat): it was not stored.
    #[error("part of the recording arrived out of order and was not saved")]
    OutOfOrder,
    /// A piece larger than [`MAX_RECORDING_PIECE`].
    #[error("part of the recording is too large")]
    PieceTooLarge,
    /// No recording with this id is in progress (it finished, was discarded, or the vault
    /// was locked in between).
    #[error("this recording is no longer in progress")]
    NotRecording,
    /// Storing a piece failed; the recording stopped. What was saved before it is kept and
    /// is recovered as an interrupted recording.
    #[error("the recording stopped because a part could not be saved")]
    Stopped,
}

impl RecordingError {
    /// Stable machine-readable code.
    pub fn code(&self) -> &'static str {
        match self {
            RecordingError::UnsupportedFormat => "recording_unsupported_format",
            RecordingError::OutOfOrder => "recording_out_of_order",
            RecordingError::PieceTooLarge => "recording_piece_too_large",
            RecordingError::NotRecording => "recording_not_active",
            RecordingError::Stopped => "recording_stopped",
        }
    }
}

/// A recording in progress.
struct ActiveRecording {
    upload: BlobUpload,
    media_type: &'static str,
    extension: &'static str,
    started_at: i64,
    testimony: Option<ObjectId>,
}

/// The recordings in progress in a session, by the id their attachment will have.
#[derive(Default)]
pub(crate) struct ActiveRecordings(HashMap<ObjectId, ActiveRecording>);

impl std::fmt::Debug for ActiveRecordings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "ActiveRecordings({})", self.0.len())
    }
}

/// An attachment opened for reading by range (see [`Session::open_stream`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttachmentStream {
    case_id: ObjectId,
    blob_id: ObjectId,
    /// The attachment's media type (as recorded in the case).
    pub media_type: String,
    /// Its length in bytes.
    pub len: u64,
}

impl AttachmentStream {
    /// A stream naming no stored attachment (reading it fails), for front ends' own tests.
    #[doc(hidden)]
    pub fn for_tests(len: u64, media_type: &str) -> AttachmentStream {
        AttachmentStream { case_id: [0; 16], blob_id: [0; 16], media_type: media_type.to_owned(), len }
    }
}

/// The normalised media type and file extension of a recorder's MIME type (parameters such
/// as `;codecs=` are dropped).
fn recording_format(mime: &str) -> Result<(&'static str, &'static str), RecordingError> {
    let essence = mime.split(';').next().unwrap_or_default().trim().to_ascii_lowercase();
    RECORDING_FORMATS.iter().find(|(media_type, _)| *media_type == essence).copied().ok_or(RecordingError::UnsupportedFormat)
}

/// `recording-20261122-140301.m4a` (UTC), with `-interrupted` for a recovered one.
fn recording_file_name(started_at: i64, extension: &str, interrupted: bool) -> String {
    let seconds = started_at.div_euclid(1000);
    let (days, second_of_day) = (seconds.div_euclid(86_400), seconds.rem_euclid(86_400));
    let (year, month, day) = civil_from_days(days);
    let (hour, minute, second) = (second_of_day / 3600, second_of_day % 3600 / 60, second_of_day % 60);
    let suffix = if interrupted { "-interrupted" } else { "" };
    format!("recording-{year:04}{month:02}{day:02}-{hour:02}{minute:02}{second:02}{suffix}.{extension}")
}

/// Gregorian date (year, month, day) of a day count since 1970-01-01 (Howard Hinnant's
/// `civil_from_days`): the one date conversion of the project, for every front end too.
pub fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z.rem_euclid(146_097);
    let year_of_era = (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_index = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * month_index + 2) / 5 + 1;
    let month = if month_index < 10 { month_index + 3 } else { month_index - 9 };
    (year_of_era + era * 400 + i64::from(month <= 2), month, day)
}

/// How a finished recording is recorded in its case.
struct RecordedAs<'a> {
    file_name: String,
    media_type: &'a str,
    handling: MetadataHandling,
    testimony: Option<ObjectId>,
}

/// Adds a finished blob to its case as an attachment, in the caller's transaction, written
/// by `author` and signed by `signer` (this device).
fn attach_blob(
    tx: &mut cairn_store::VaultTx<'_>,
    attachment_id: &ObjectId,
    blob: &BlobInfo,
    RecordedAs { file_name, media_type, handling, testimony }: RecordedAs<'_>,
    (author, signer): (&str, &crate::cases::ChangeSigner),
) -> Result<AttachmentInfo, CoreError> {
    let case_id = blob.case_id;
    let now = now_ms();
    let mut doc: CaseDoc = load_doc(tx, &case_id, &case_id, author)?;
    let hash = hex32(&blob.content_hash);
    let address = crate::cases::address_new_blob(tx, blob)?;
    let reference = AttachmentRef {
        blob_id: id_to_hex(&blob.blob_id),
        file_name,
        media_type: media_type.to_owned(),
        original_size: blob.plain_len,
        original_hash: hash.clone(),
        stored_size: blob.plain_len,
        stored_hash: hash,
        metadata: handling.name().to_owned(),
        added_at: now,
        added_by: author.to_owned(),
        address,
        testimony: testimony.as_ref().map(id_to_hex).unwrap_or_default(),
    };
    doc.add_attachment(attachment_id, reference.clone(), now)?;
    commit_doc(tx, signer, &case_id, &case_id, &mut doc, now)?;
    Ok(AttachmentInfo { id: *attachment_id, case_id, reference, removed_parts: 0 })
}

impl Session {
    /// Starts recording into `case_id`, in the recorder's format `mime` (e.g.
    /// `audio/mp4; codecs=mp4a`), linked to `testimony`, the testimony being recorded (one of
    /// this case's). The link is kept from the start, so a recording salvaged after a crash or
    /// a lock keeps it too. Returns the id the finished attachment will have.
    pub fn start_recording(
        &mut self,
        case_id: &ObjectId,
        testimony: Option<&ObjectId>,
        mime: &str,
    ) -> Result<ObjectId, CoreError> {
        let (media_type, extension) = recording_format(mime)?;
        let started_at = now_ms();
        let (vault, recordings) = self.vault_and_recordings();
        let upload = transact(vault, |tx| {
            if let Some(testimony) = testimony
                && owner(tx, testimony, cairn_model::ObjectKind::Testimony)? != *case_id
            {
                return Err(CoreError::NotFound("testimony"));
            }
            match tx.begin_upload(case_id, media_type, started_at, testimony) {
                Err(StoreError::NotFound { .. }) => Err(CoreError::NotFound("case")),
                other => Ok(other?),
            }
        })?;
        let id = cairn_crypto::random_id();
        let testimony = testimony.copied();
        recordings.0.insert(id, ActiveRecording { upload, media_type, extension, started_at, testimony });
        Ok(id)
    }

    /// Seals and stores the next piece of a recording. `offset` is how many bytes came
    /// before it: a piece that does not follow on exactly is refused and nothing is stored,
    /// so pieces can never be stored out of order. Returns the bytes recorded so far.
    pub fn append_recording(&mut self, recording_id: &ObjectId, offset: u64, piece: &[u8]) -> Result<u64, CoreError> {
        if piece.len() > MAX_RECORDING_PIECE {
            return Err(RecordingError::PieceTooLarge.into());
        }
        let (vault, recordings) = self.vault_and_recordings();
        let recording = recordings.0.get_mut(recording_id).ok_or(RecordingError::NotRecording)?;
        if offset != recording.upload.written() {
            return Err(RecordingError::OutOfOrder.into());
        }
        match transact(vault, |tx| Ok(recording.upload.append(tx, piece)?)) {
            Ok(()) => Ok(recording.upload.written()),
            Err(error) => {
                // The writer is now ahead of what was committed: it must not go on. What was
                // committed stays, to be recovered as an interrupted recording.
                recordings.0.remove(recording_id);
                Err(match error {
                    CoreError::DiskFull => CoreError::DiskFull,
                    _ => RecordingError::Stopped.into(),
                })
            }
        }
    }

    /// Stops a recording and adds it to its case as an attachment.
    pub fn finish_recording(&mut self, recording_id: &ObjectId) -> Result<AttachmentInfo, CoreError> {
        let author = self.worker_name()?;
        let signer = self.change_signer()?;
        let (vault, recordings) = self.vault_and_recordings();
        let ActiveRecording { upload, media_type, extension, started_at, testimony } =
            recordings.0.remove(recording_id).ok_or(RecordingError::NotRecording)?;
        let file_name = recording_file_name(started_at, extension, false);
        transact(vault, |tx| {
            let blob = upload.finish(tx)?;
            let recorded = RecordedAs { file_name, media_type, handling: MetadataHandling::Recorded, testimony };
            attach_blob(tx, recording_id, &blob, recorded, (&author, &signer))
        })
    }

    /// Stops a recording and deletes everything stored of it.
    pub fn discard_recording(&mut self, recording_id: &ObjectId) -> Result<(), CoreError> {
        let (vault, recordings) = self.vault_and_recordings();
        let recording = recordings.0.remove(recording_id).ok_or(RecordingError::NotRecording)?;
        let blob_id = recording.upload.blob_id();
        transact(vault, |tx| Ok(tx.discard_upload(&blob_id)?))
    }

    /// Whether a recording is in progress in this session.
    pub fn is_recording(&self) -> bool {
        !self.recordings_ref().0.is_empty()
    }

    /// Turns every recording left unfinished (by a crash, or a lock mid-recording) into an
    /// "interrupted" attachment of its case, up to its last complete chunk. Run it right
    /// after unlocking. Recordings too short to have a complete chunk are removed.
    pub fn recover_recordings(&mut self) -> Result<Vec<AttachmentInfo>, CoreError> {
        let author = self.worker_name()?;
        let signer = self.change_signer()?;
        let (vault, recordings) = self.vault_and_recordings();
        let active: Vec<ObjectId> = recordings.0.values().map(|recording| recording.upload.blob_id()).collect();
        let unfinished = read(vault, |tx| Ok(tx.unfinished_uploads()?))?;
        let mut recovered = Vec::new();
        for upload in unfinished.into_iter().filter(|upload| !active.contains(&upload.blob_id)) {
            let Ok((media_type, extension)) = recording_format(&upload.media_type) else {
                transact(vault, |tx| Ok(tx.discard_upload(&upload.blob_id)?))?;
                continue;
            };
            let file_name = recording_file_name(upload.started_at, extension, true);
            let attachment = transact(vault, |tx| match tx.salvage_upload(&upload.blob_id)? {
                Some(blob) => {
                    let recorded = RecordedAs {
                        file_name,
                        media_type,
                        handling: MetadataHandling::RecordedInterrupted,
                        testimony: upload.testimony_id,
                    };
                    attach_blob(tx, &cairn_crypto::random_id(), &blob, recorded, (&author, &signer)).map(Some)
                }
                None => Ok(None),
            })?;
            recovered.extend(attachment);
        }
        Ok(recovered)
    }

    /// Opens an attachment for reading by range (playback that streams and seeks).
    pub fn open_stream(&mut self, attachment_id: &ObjectId) -> Result<AttachmentStream, CoreError> {
        let author = self.worker_name()?;
        read(self.vault_mut(), |tx| {
            let (case_id, reference, blob_id) = attachment_reference(tx, attachment_id, &author)?;
            let blob = tx.blob_info(&blob_id)?;
            if blob.case_id != case_id || hex32(&blob.content_hash) != reference.stored_hash {
                return Err(crate::cases::CaseError::HashMismatch.into());
            }
            Ok(AttachmentStream { case_id, blob_id, media_type: reference.media_type, len: blob.plain_len })
        })
    }

    /// Reads up to `max_len` (at most [`MAX_STREAM_READ`]) bytes of an opened attachment
    /// from `offset`; fewer at its end, none past it. Each chunk read is authenticated.
    pub fn read_stream(
        &mut self,
        stream: &AttachmentStream,
        offset: u64,
        max_len: usize,
    ) -> Result<Zeroizing<Vec<u8>>, CoreError> {
        let max_len = max_len.min(MAX_STREAM_READ);
        read(self.vault_mut(), |tx| {
            let (blob, bytes) = tx.read_blob_range(&stream.blob_id, offset, max_len)?;
            if blob.case_id != stream.case_id || blob.plain_len != stream.len {
                return Err(crate::cases::CaseError::HashMismatch.into());
            }
            Ok(bytes)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recorder_formats_are_normalised_and_others_refused() {
        assert_eq!(recording_format("audio/mp4; codecs=mp4a").expect("mp4"), ("audio/mp4", "m4a"));
        assert_eq!(recording_format(" Audio/WebM;codecs=opus").expect("webm"), ("audio/webm", "webm"));
        for refused in ["video/mp4", "audio/wav", "", "text/html", "audio/mp4x"] {
            assert!(recording_format(refused).is_err(), "{refused}");
        }
    }

    #[test]
    fn file_names_carry_the_utc_start_time() {
        assert_eq!(recording_file_name(0, "m4a", false), "recording-19700101-000000.m4a");
        // 2026-11-22 14:03:01.500 UTC
        assert_eq!(recording_file_name(1_795_356_181_500, "ogg", true), "recording-20261122-140301-interrupted.ogg");
        // 2024-02-29 23:59:59 UTC (a leap day)
        assert_eq!(recording_file_name(1_709_251_199_000, "webm", false), "recording-20240229-235959.webm");
    }
}
