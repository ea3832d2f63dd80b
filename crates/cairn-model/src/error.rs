//! Errors of the case model. Messages are fixed sentences: they never contain user data.

use thiserror::Error;

/// Everything the case model can refuse or fail at.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ModelError {
    /// A required text field is empty.
    #[error("the {field} must not be empty")]
    Empty {
        /// Which field (a fixed label).
        field: &'static str,
    },
    /// A text field is longer than allowed.
    #[error("the {field} is too long (at most {max} characters)")]
    TooLong {
        /// Which field (a fixed label).
        field: &'static str,
        /// The limit, in characters.
        max: usize,
    },
    /// A text contains control characters where only a single line is allowed.
    #[error("the {field} must be a single line of text")]
    NotSingleLine {
        /// Which field (a fixed label).
        field: &'static str,
    },
    /// A code is not in its controlled vocabulary.
    #[error("this {kind} is not in the vocabulary (see `vocab list`)")]
    UnknownTerm {
        /// The vocabulary (a fixed label).
        kind: &'static str,
    },
    /// A vocabulary kind name is not known.
    #[error("unknown vocabulary kind")]
    UnknownVocabulary,
    /// A vocabulary data file is malformed (a build defect, caught by tests).
    #[error("a built-in vocabulary file is malformed")]
    VocabularyInvalid,
    /// An approximate date could not be parsed or is impossible.
    #[error("the date is not valid: use YYYY, YYYY-MM or YYYY-MM-DD")]
    InvalidDate,
    /// A date range ends before it starts.
    #[error("the date range ends before it starts")]
    DateRangeReversed,
    /// A certainty value is not one of exact, approximate, uncertain.
    #[error("the certainty must be exact, approximate or uncertain")]
    InvalidCertainty,
    /// A language code is not a plausible BCP 47 tag.
    #[error("the language must be a code such as ko, en or zh")]
    InvalidLanguage,
    /// A field name given to `set` is not editable.
    #[error("this field cannot be set (editable: title, status, risk, team, tags)")]
    UnknownField,
    /// A handover receipt handed to the receipts document is empty or too long.
    #[error("the handover receipt is empty or too long")]
    ReceiptInvalid,
    /// An identifier is not 32 hexadecimal characters.
    #[error("an identifier must be 32 hexadecimal characters")]
    InvalidId,
    /// A person referred to is not part of the case.
    #[error("the person is not part of this case")]
    UnknownPerson,
    /// An event referred to is not part of the case.
    #[error("the event is not part of this case")]
    UnknownEvent,
    /// An attachment referred to is not part of the case.
    #[error("the attachment is not part of this case")]
    UnknownAttachment,
    /// An act referred to is not part of the case.
    #[error("the act is not part of this case")]
    UnknownAct,
    /// A note referred to is not part of the case.
    #[error("the note is not part of this case")]
    UnknownNote,
    /// A testimony referred to is not part of the case.
    #[error("the testimony is not part of this case")]
    UnknownTestimony,
    /// Sharing scopes were given for a testimony whose informed consent was not given.
    #[error("sharing scopes need informed consent: without consent there can be no sharing scope")]
    ScopesWithoutConsent,
    /// An edit names base heads this device does not hold (a copy from another vault, or
    /// damaged input).
    #[error("the edit was made on a version of the document this device does not hold; reopen the case and edit again")]
    UnknownBase,
    /// Another person in the case already uses this pseudonym.
    #[error("another person in this case already has this pseudonym")]
    DuplicatePseudonym,
    /// The conflict to resolve does not exist (any more).
    #[error("there is no such conflict (it may have been resolved already)")]
    NoSuchConflict,
    /// The chosen value is not one of the conflicting values.
    #[error("the choice is not one of the conflicting values")]
    InvalidChoice,
    /// This conflict holds objects, not single values; it cannot be resolved by choosing.
    #[error("this conflict is between whole objects and cannot be resolved by choosing a value")]
    ConflictNotResolvable,
    /// A typed merge named something other than a single text field the worker can edit
    /// (an object, a list, an identifier, or an unknown path).
    #[error("only a conflict on a single text field can be merged by typing a value; keep one of the values instead")]
    ConflictNotMergeable,
    /// The stored document could not be read (damaged, or from an incompatible version).
    #[error("a case document could not be read")]
    DocumentUnreadable,
    /// The stored document does not have the expected shape.
    #[error("a case document has an unexpected shape")]
    DocumentShape,
    /// An image claimed to be JPEG or PNG could not be parsed, so its metadata cannot be removed.
    #[error(
        "the image could not be parsed to remove its metadata; import it with --keep-metadata only if you are sure it is safe"
    )]
    ImageUnparseable,
    /// An identity field could not be sealed (no key to seal it to, or it is too large).
    #[error("the identity field could not be sealed for HQ; nothing was saved")]
    SealingFailed,
}

impl ModelError {
    /// A stable, machine-readable code for this error.
    pub fn code(&self) -> &'static str {
        match self {
            ModelError::Empty { .. } => "field_empty",
            ModelError::TooLong { .. } => "field_too_long",
            ModelError::NotSingleLine { .. } => "field_not_single_line",
            ModelError::UnknownTerm { .. } => "unknown_term",
            ModelError::UnknownVocabulary => "unknown_vocabulary",
            ModelError::VocabularyInvalid => "vocabulary_invalid",
            ModelError::ReceiptInvalid => "receipt_invalid",
            ModelError::InvalidDate => "invalid_date",
            ModelError::DateRangeReversed => "date_range_reversed",
            ModelError::InvalidCertainty => "invalid_certainty",
            ModelError::InvalidLanguage => "invalid_language",
            ModelError::UnknownField => "unknown_field",
            ModelError::InvalidId => "invalid_id",
            ModelError::UnknownPerson => "unknown_person",
            ModelError::ScopesWithoutConsent => "consent_scopes_without_consent",
            ModelError::UnknownBase => "edit_base_unknown",
            ModelError::UnknownEvent => "unknown_event",
            ModelError::UnknownAttachment => "unknown_attachment",
            ModelError::UnknownAct => "unknown_act",
            ModelError::UnknownNote => "unknown_note",
            ModelError::UnknownTestimony => "unknown_testimony",
            ModelError::DuplicatePseudonym => "duplicate_pseudonym",
            ModelError::NoSuchConflict => "no_such_conflict",
            ModelError::InvalidChoice => "invalid_choice",
            ModelError::ConflictNotResolvable => "conflict_not_resolvable",
            ModelError::ConflictNotMergeable => "conflict_not_mergeable",
            ModelError::DocumentUnreadable => "case_document_unreadable",
            ModelError::DocumentShape => "case_document_shape",
            ModelError::ImageUnparseable => "image_unparseable",
            ModelError::SealingFailed => "identity_sealing_failed",
        }
    }
}

impl From<automerge::AutomergeError> for ModelError {
    fn from(_: automerge::AutomergeError) -> Self {
        ModelError::DocumentUnreadable
    }
}

impl From<autosurgeon::HydrateError> for ModelError {
    fn from(_: autosurgeon::HydrateError) -> Self {
        ModelError::DocumentShape
    }
}

impl From<autosurgeon::ReconcileError> for ModelError {
    fn from(_: autosurgeon::ReconcileError) -> Self {
        ModelError::DocumentShape
    }
}
