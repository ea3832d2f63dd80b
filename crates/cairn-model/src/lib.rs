//! The case domain of Cairn (DESIGN §4) on Automerge: types mapped with `autosurgeon`,
//! controlled vocabularies as data files, validation with specific errors, conflict
//! detection and resolution, the texts the search index holds, and photo-metadata removal.
//!
//! This crate does no cryptography and no file or database I/O: it turns documents into
//! chunks and back, and streams bytes through [`StrippingReader`]. A person's identity fields
//! are sealed before they are written: the model checks their text and hands it to an
//! [`IdentitySealer`] (cairn-core seals with cairn-crypto); the document holds only the
//! opaque bytes it returns ([`IdentityValue`]). Storage (sealing chunks
//! with the case key, digests, the search index) is in `cairn-store`; the API that ties them
//! together is `cairn-core`.
//!
//! Document layout: see [`types`].
#![deny(unsafe_code)]

mod case;
mod conflicts;
mod date;
mod document;
mod edit;
mod error;
mod handover;
mod identity;
mod ids;
mod kinds;
pub mod search;
pub mod strip;
pub mod types;
pub mod validate;
mod vocab;

pub use case::{
    CaseCounts, CaseDoc, CaseField, INITIAL_RISK, INITIAL_STATUS, NewAct, NewEvent, NewPerson, NewTestimony, TestimonyDoc,
};
pub use conflicts::{Conflict, ConflictValue};
pub use date::{ApproxDate, Certainty, DatePrecision, check_range};
pub use document::{AppliedChange, AppliedChanges, Document, MAX_DOCUMENT_BYTES, Millis};
pub use edit::{ActEdit, EventEdit, PersonEdit, TestimonyEdit};
pub use error::ModelError;
pub use handover::{MAX_RECEIPT_BYTES, ReceiptsDoc, ReceiptsRecord};
pub use identity::{IdentitySealer, check_identity};
pub use ids::{ObjectId, id_to_hex, parse_id};
pub use kinds::{DocumentKind, ObjectKind};
pub use search::{SearchEntry, SearchTerm, normalize, parse_query, snippet};
pub use strip::{ImageFormat, StripReport, Stripper, StrippingReader, unremovable_metadata_format};
pub use types::{
    Act, AttachmentRef, CaseRecord, CollabText, Consent, Event, Identity, IdentityField, IdentityValue, MetadataHandling,
    Note, Perpetrator, Person, SCHEMA_VERSION, SealedIdentity, Sensitive, TestimonyRecord, TestimonyRef,
};
pub use vocab::{Term, VocabKind, Vocabulary, check_term, vocabularies, vocabulary};

#[cfg(test)]
mod tests;
