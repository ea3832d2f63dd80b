//! Errors of case operations, and the marker a front end uses to cancel long work.

use cairn_model::ModelError;

use crate::CoreError;

/// Errors of case operations.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CaseError {
    /// The edit was refused by the case model (a specific validation error).
    #[error(transparent)]
    Invalid(#[from] ModelError),
    /// The export target exists and overwriting was not asked for.
    #[error("the target file exists already; choose another name or allow overwriting")]
    TargetExists,
    /// The export target's folder cannot be used.
    #[error("the target folder does not exist or cannot be written")]
    TargetFolder,
    /// The file to attach could not be opened or read.
    #[error("the file to attach could not be opened or read")]
    SourceUnreadable,
    /// An attachment's content did not match its recorded hash.
    #[error("the attachment does not match its recorded content hash")]
    HashMismatch,
    /// The attachment was made on another device and its content has not arrived here yet
    /// (it comes with a later sync).
    #[error("the attachment's content has not arrived on this device yet")]
    NotArrived,
    /// The worker stopped the import or export (see [`Cancelled`]); nothing was kept.
    #[error("the work was cancelled; nothing was kept")]
    Cancelled,
    /// An identity field is sealed for HQ: this device cannot read it, so it cannot settle a
    /// conflict between its sealed values (HQ does); it can still replace or clear a field
    /// that is not in conflict.
    #[error("this identity field is sealed for HQ: this device cannot read it, and HQ resolves its conflicts")]
    IdentitySealed,
    /// A testimony of the case lacks the person's consent to sharing with HQ: the worker must
    /// confirm the handover knowingly.
    #[error("a testimony of this case lacks consent to sharing with HQ: confirm the handover to go on")]
    HandoverConsentUnconfirmed,
    /// The file is of a kind that can carry location and other metadata Cairn cannot remove
    /// (HEIF, MP4/MOV, WebP, TIFF, PDF): it is attached only if the worker chooses to keep its
    /// metadata.
    #[error(
        "this kind of file ({format}) can carry location data that Cairn cannot remove: attach it only by choosing to keep its metadata"
    )]
    MetadataUnremovable {
        /// The kind of file (a fixed label: heif, mp4, quicktime, webp, tiff, pdf).
        format: &'static str,
    },
    /// HQ's own vault does not hand cases over (it receives them).
    #[error("this vault is HQ's: cases are handed over to it, not from it")]
    HandoverAtHq,
}

impl CaseError {
    /// Stable machine-readable code.
    pub fn code(&self) -> &'static str {
        match self {
            CaseError::Invalid(error) => error.code(),
            CaseError::TargetExists => "target_exists",
            CaseError::TargetFolder => "target_folder",
            CaseError::SourceUnreadable => "source_unreadable",
            CaseError::HashMismatch => "attachment_hash_mismatch",
            CaseError::NotArrived => "attachment_not_arrived",
            CaseError::Cancelled => "cancelled",
            CaseError::IdentitySealed => "identity_sealed",
            CaseError::HandoverConsentUnconfirmed => "handover_consent_unconfirmed",
            CaseError::HandoverAtHq => "handover_at_hq",
            CaseError::MetadataUnremovable { .. } => "metadata_unremovable",
        }
    }
}

/// The I/O error a front end's reader or writer returns to stop an attachment import or
/// export: on the worker's request ([`Cancelled::io_error`]), or because the vault is being
/// locked ([`Cancelled::locking_io_error`]). Core tells it apart from a failing disk, so the
/// worker sees "cancelled" ([`CaseError::Cancelled`]) rather than "the file could not be read".
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("cancelled")]
pub struct Cancelled {
    locking: bool,
}

impl Cancelled {
    /// The error to return from `read` or `write` to stop the work (the worker's Cancel).
    pub fn io_error() -> std::io::Error {
        std::io::Error::other(Cancelled { locking: false })
    }

    /// The error to return from `read` or `write` when the vault is being locked. An import
    /// that stops on it zeroizes the session's keys *before* its transaction is rolled back,
    /// and leaves the session unusable ([`CoreError::Locked`]): close it.
    pub fn locking_io_error() -> std::io::Error {
        std::io::Error::other(Cancelled { locking: true })
    }

    /// Whether `error` was made by [`Cancelled::io_error`] or [`Cancelled::locking_io_error`].
    pub fn caused(error: &std::io::Error) -> bool {
        error.get_ref().is_some_and(|inner| inner.is::<Cancelled>())
    }

    /// Whether `error` was made by [`Cancelled::locking_io_error`].
    pub fn caused_by_lock(error: &std::io::Error) -> bool {
        error.get_ref().and_then(|inner| inner.downcast_ref::<Cancelled>()).is_some_and(|cancelled| cancelled.locking)
    }
}

impl From<ModelError> for CoreError {
    fn from(error: ModelError) -> Self {
        CoreError::Case(CaseError::Invalid(error))
    }
}
