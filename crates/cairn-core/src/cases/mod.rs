//! Cases: the documentation model, editing, conflicts, attachments and search (DESIGN §4).
//!
//! Storage layout. A case is a small set of Automerge documents under its case key: the case
//! document (document id = case id) and one document per testimony (document id = testimony
//! id); see [`cairn_model::types`]. Every edit loads the document from its sealed chunks,
//! applies the change, and in **one vault transaction** appends the change as a new sealed
//! chunk, updates the document's digest (id, hash of heads, modification time), the case
//! summary, the object index and the search index. Nothing is half-saved.
//!
//! Compaction. When a document's log reaches [`COMPACT_AFTER_CHUNKS`] chunks, the save that
//! reached it also replaces the log with one snapshot chunk, in the same transaction. That
//! costs one `save()` of one small document (a few milliseconds, measured by the
//! `cases` benchmark) every 32 edits of it, so the worker never waits on it noticeably and no
//! background thread holds keys or the database. [`Session::compact_cases`](crate::Session::compact_cases) compacts every
//! document at once (for an idle moment or before locking).
//!
//! The digest's heads hash is SHA-256(`"cairn/doc-heads/v1"` ‖ the document's heads sorted
//! bytewise), so two devices holding the same changes compute the same digest.
//!
//! Layout: `pipeline` holds the write path every edit goes through (load, edit, save,
//! digest, re-index); `lifecycle` creates, lists, opens and deletes cases; `edits` adds and
//! edits their parts; `identity` seals identity fields for HQ and opens them where allowed;
//! `custody` signs every change written here and judges the chain of custody of what arrived
//! (see [`Session::custody_trail`](crate::Session::custody_trail)); `attachments` imports and
//! exports files; `search`, `conflicts` and `compaction` do what they say; `views` are the
//! types front ends render; `error` the case errors.

mod attachments;
mod compaction;
mod conflicts;
mod custody;
mod edits;
mod error;
mod identity;
mod lifecycle;
mod peer;
pub(crate) mod pipeline;
mod search;
mod views;

#[cfg(test)]
mod edit_tests;
#[cfg(test)]
mod test_support;

pub use cairn_model::{
    ActEdit, ApproxDate, AttachmentRef, CaseCounts, CaseField, CaseRecord, Certainty, Conflict, ConflictValue, DocumentKind,
    EventEdit, Identity, IdentityField, IdentityValue, MetadataHandling, NewAct, NewEvent, NewPerson, NewTestimony,
    ObjectId, ObjectKind, PersonEdit, SealedIdentity, Sensitive, Term, TestimonyEdit, TestimonyRecord, VocabKind,
    Vocabulary, id_to_hex, parse_id, vocabularies, vocabulary,
};
pub use custody::{CustodyEntry, CustodyVerdict};
pub use error::{Cancelled, CaseError};
pub use identity::RevealedIdentity;
pub use peer::{MAX_PEER_CHANGES, RECENT_HASHES, document_item_id, tombstone_item_id};
pub use pipeline::{heads_hash, now_ms};
pub use views::{AttachmentInfo, CaseConflict, CaseSummary, CaseView, SearchHit};

// The write path, shared with recordings (which add attachments to cases).
pub(crate) use attachments::{address_new_blob, attachment_reference};
pub(crate) use custody::{ChangeSigner, KnownSigner, verdict as custody_verdict};
pub(crate) use identity::IdentityKeys;
pub(crate) use pipeline::{
    DocRoot, apply_remote_any, commit_doc, hex32, load_doc, load_held, owner, read, rebuild_stale_summaries, transact,
};

/// A document's log is compacted into one snapshot when it reaches this many chunks.
pub const COMPACT_AFTER_CHUNKS: u64 = 32;
/// Default number of search results.
pub const DEFAULT_SEARCH_LIMIT: usize = 50;
