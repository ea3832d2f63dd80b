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
//! background thread holds keys or the database. [`Session::compact_cases`] compacts every
//! document at once (for an idle moment or before locking).
//!
//! The digest's heads hash is SHA-256(`"cairn/doc-heads/v1"` ‖ the document's heads sorted
//! bytewise), so two devices holding the same changes compute the same digest.

use std::{
    collections::{BTreeMap, BTreeSet},
    fs::{self, OpenOptions},
    io::{BufWriter, Read, Write},
    path::{Path, PathBuf},
    time::{SystemTime, UNIX_EPOCH},
};

use cairn_crypto::ContentHasher;
use cairn_model::types::{Hydrate, Reconcile};
pub use cairn_model::{
    ActEdit, ApproxDate, AttachmentRef, CaseCounts, CaseField, CaseRecord, Certainty, Conflict, ConflictValue, EventEdit,
    Identity, MetadataHandling, NewAct, NewEvent, NewPerson, NewTestimony, ObjectId, PersonEdit, Sensitive, Term,
    TestimonyEdit, TestimonyRecord, VocabKind, Vocabulary, id_to_hex, parse_id, vocabularies, vocabulary,
};
use cairn_model::{CaseDoc, Document, ImageFormat, Millis, ModelError, StrippingReader, TestimonyDoc, search, validate};
use cairn_store::{CaseSummaryRow, DocDigest, StoreError, Vault, VaultTx};

/// The bounds of a document root.
pub(crate) trait DocRoot: Hydrate + Reconcile {}
impl<T: Hydrate + Reconcile> DocRoot for T {}

use crate::{CoreError, Session};

/// A document's log is compacted into one snapshot when it reaches this many chunks.
pub const COMPACT_AFTER_CHUNKS: u64 = 32;
/// Default number of search results.
pub const DEFAULT_SEARCH_LIMIT: usize = 50;

const SETTING_WORKER: &str = "worker_name";
const KIND_PERSON: &str = "person";
const KIND_TESTIMONY: &str = "testimony";
const KIND_EVENT: &str = "event";
const KIND_ACT: &str = "act";
const KIND_NOTE: &str = "note";
pub(crate) const KIND_ATTACHMENT: &str = "attachment";

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
    /// The worker stopped the import or export (see [`Cancelled`]); nothing was kept.
    #[error("the work was cancelled; nothing was kept")]
    Cancelled,
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
            CaseError::Cancelled => "cancelled",
        }
    }
}

/// The I/O error a front end's reader or writer returns to stop an attachment import or
/// export on the worker's request. Core tells it apart from a failing disk, so the worker
/// sees "cancelled" ([`CaseError::Cancelled`]) rather than "the file could not be read".
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("cancelled")]
pub struct Cancelled;

impl Cancelled {
    /// The error to return from `read` or `write` to stop the work.
    pub fn io_error() -> std::io::Error {
        std::io::Error::other(Cancelled)
    }

    /// Whether `error` was made by [`Cancelled::io_error`].
    pub fn caused(error: &std::io::Error) -> bool {
        error.get_ref().is_some_and(|inner| inner.is::<Cancelled>())
    }
}

impl From<ModelError> for CoreError {
    fn from(error: ModelError) -> Self {
        CoreError::Case(CaseError::Invalid(error))
    }
}

/// A case as listed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaseSummary {
    /// Case id.
    pub id: ObjectId,
    /// Title.
    pub title: String,
    /// Status code.
    pub status: String,
    /// Risk level code.
    pub risk: String,
    /// Created (ms since the Unix epoch).
    pub created_at: Millis,
    /// Last changed on this device (ms).
    pub updated_at: Millis,
    /// Counts of the case's parts.
    pub counts: CaseCounts,
    /// Unresolved conflicts in the case document.
    pub conflicts: u32,
}

/// A whole case, opened.
#[derive(Debug, Clone)]
pub struct CaseView {
    /// Case id.
    pub id: ObjectId,
    /// The case document.
    pub record: CaseRecord,
    /// The testimonies, by id.
    pub testimonies: Vec<(ObjectId, TestimonyRecord)>,
    /// Unresolved conflicts in any of the case's documents.
    pub conflicts: Vec<CaseConflict>,
    /// Last changed on this device (ms).
    pub updated_at: Millis,
}

/// A conflict in one of a case's documents.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaseConflict {
    /// The document (the case id for the case document, else a testimony id).
    pub document_id: ObjectId,
    /// `case` or `testimony`.
    pub document_kind: &'static str,
    /// The conflicting field and its values.
    pub conflict: Conflict,
}

impl CaseConflict {
    /// Whether the conflict is on a single text field, so it can also be settled by typing a
    /// value ([`Session::merge_conflict`]) rather than only by keeping one of the values.
    pub fn mergeable(&self) -> bool {
        if self.document_kind == KIND_TESTIMONY {
            TestimonyDoc::can_merge(&self.conflict.path)
        } else {
            CaseDoc::can_merge(&self.conflict.path)
        }
    }
}

/// A search result: one case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SearchHit {
    /// Case id.
    pub case_id: ObjectId,
    /// Case title.
    pub title: String,
    /// Status code.
    pub status: String,
    /// The fields where the terms were found (`title`, `narrative`, `note`, …).
    pub fields: Vec<String>,
    /// An excerpt around the first term.
    pub snippet: String,
}

/// An attachment as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttachmentInfo {
    /// Attachment id.
    pub id: ObjectId,
    /// The case.
    pub case_id: ObjectId,
    /// The reference in the case document.
    pub reference: AttachmentRef,
    /// Parts removed on import (metadata segments or chunks).
    pub removed_parts: u32,
}

/// Milliseconds since the Unix epoch, now.
pub fn now_ms() -> Millis {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_millis() as Millis).unwrap_or(0)
}

/// The digest's hash of a document's heads (see the module docs).
pub fn heads_hash(sorted_heads: &[[u8; 32]]) -> [u8; 32] {
    let mut hasher = ContentHasher::new();
    hasher.update(b"cairn/doc-heads/v1");
    for head in sorted_heads {
        hasher.update(head);
    }
    hasher.finish()
}

pub(crate) fn hex32(bytes: &[u8; 32]) -> String {
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}

/// Runs `work` in one write transaction; any error rolls everything back.
pub(crate) fn transact<T>(
    vault: &mut Vault,
    work: impl FnOnce(&mut VaultTx<'_>) -> Result<T, CoreError>,
) -> Result<T, CoreError> {
    vault.transaction_with(work)
}

/// Runs `work` against a consistent snapshot.
pub(crate) fn read<T>(vault: &mut Vault, work: impl FnOnce(&VaultTx<'_>) -> Result<T, CoreError>) -> Result<T, CoreError> {
    vault.read_with(work)
}

pub(crate) fn load_doc<R>(
    tx: &VaultTx<'_>,
    case_id: &ObjectId,
    doc_id: &ObjectId,
    author: &str,
    what: &'static str,
) -> Result<Document<R>, CoreError>
where
    R: DocRoot,
{
    let records = match tx.records(case_id, doc_id) {
        Ok(records) => records,
        Err(StoreError::NotFound { .. }) => return Err(CoreError::NotFound(what)),
        Err(error) => return Err(error.into()),
    };
    if records.is_empty() {
        return Err(CoreError::NotFound(what));
    }
    Ok(Document::load(records.iter().map(|record| record.plaintext.as_slice()), author)?)
}

/// Appends a document's new changes as a sealed chunk, compacts its log when it is long, and
/// updates its digest. Does nothing if the document did not change.
pub(crate) fn save_doc<R: DocRoot>(
    tx: &mut VaultTx<'_>,
    case_id: &ObjectId,
    doc_id: &ObjectId,
    doc: &mut Document<R>,
    now: Millis,
) -> Result<bool, CoreError> {
    let Some(chunk) = doc.take_changes() else { return Ok(false) };
    tx.append_record(case_id, doc_id, &chunk)?;
    let stats = tx.record_stats(case_id, doc_id)?;
    if stats.count >= COMPACT_AFTER_CHUNKS {
        let snapshot = doc.snapshot();
        tx.compact_records(case_id, doc_id, stats.last_chunk, &snapshot)?;
    }
    tx.put_digest(case_id, doc_id, &heads_hash(&doc.heads()), now)?;
    Ok(true)
}

/// Refreshes the case summary and the case document's search rows.
pub(crate) fn index_case(
    tx: &mut VaultTx<'_>,
    case_id: &ObjectId,
    doc: &mut CaseDoc,
    now: Millis,
) -> Result<CaseRecord, CoreError> {
    let record = doc.record()?;
    let conflicts = doc.conflicts()?.len();
    let counts = record.counts();
    let previous = tx.case_summary(case_id)?;
    tx.put_case_summary(&CaseSummaryRow {
        case_id: *case_id,
        title: record.title.clone(),
        status: record.status.clone(),
        risk: record.risk.clone(),
        created_at: record.created_at,
        updated_at: previous.map_or(now, |p| p.updated_at.max(now)),
        persons: counts.persons,
        testimonies: counts.testimonies,
        events: counts.events,
        notes: counts.notes,
        attachments: counts.attachments,
        conflicts: u32::try_from(conflicts).unwrap_or(u32::MAX),
    })?;
    let entries = record.search_entries();
    let rows: Vec<(&str, &str)> = entries.iter().map(|entry| (entry.field, entry.text.as_str())).collect();
    tx.replace_search_entries(case_id, case_id, &rows)?;
    Ok(record)
}

fn index_testimony(
    tx: &mut VaultTx<'_>,
    case_id: &ObjectId,
    testimony_id: &ObjectId,
    doc: &TestimonyDoc,
    now: Millis,
) -> Result<(), CoreError> {
    let entries = doc.record()?.search_entries();
    let rows: Vec<(&str, &str)> = entries.iter().map(|entry| (entry.field, entry.text.as_str())).collect();
    tx.replace_search_entries(case_id, testimony_id, &rows)?;
    tx.touch_case_summary(case_id, now)?;
    Ok(())
}

/// An attachment's case, its reference in the case document, and its blob's id.
pub(crate) fn attachment_reference(
    tx: &VaultTx<'_>,
    attachment_id: &ObjectId,
    author: &str,
) -> Result<(ObjectId, AttachmentRef, ObjectId), CoreError> {
    let case_id = owner(tx, attachment_id, KIND_ATTACHMENT)?;
    let doc: CaseDoc = load_doc(tx, &case_id, &case_id, author, "case")?;
    let reference =
        doc.record()?.attachments.get(&id_to_hex(attachment_id)).cloned().ok_or(CoreError::NotFound(KIND_ATTACHMENT))?;
    let blob_id = parse_id(&reference.blob_id)?;
    Ok((case_id, reference, blob_id))
}

/// The case an object belongs to, checking its kind.
pub(crate) fn owner(tx: &VaultTx<'_>, object_id: &ObjectId, kind: &'static str) -> Result<ObjectId, CoreError> {
    match tx.case_object(object_id)? {
        Some((case_id, found)) if found == kind => Ok(case_id),
        _ => Err(CoreError::NotFound(kind)),
    }
}

/// Reads the whole source, hashing it and keeping its first bytes (to recognise the format).
struct HashingReader<R> {
    inner: R,
    hasher: ContentHasher,
    length: u64,
    head: Vec<u8>,
    failed: bool,
    cancelled: bool,
}

impl<R> HashingReader<R> {
    /// Why the source stopped early, if it did: the worker cancelled, or it could not be read.
    fn failure(&self) -> Option<CaseError> {
        if self.cancelled {
            Some(CaseError::Cancelled)
        } else if self.failed {
            Some(CaseError::SourceUnreadable)
        } else {
            None
        }
    }
}

impl<R: Read> Read for HashingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let read = self.inner.read(buf).inspect_err(|error| {
            self.failed |= error.kind() != std::io::ErrorKind::Interrupted;
            self.cancelled |= Cancelled::caused(error);
        })?;
        self.hasher.update(&buf[..read]);
        self.length += read as u64;
        if self.head.len() < 8 {
            let take = (8 - self.head.len()).min(read);
            self.head.extend_from_slice(&buf[..take]);
        }
        Ok(read)
    }
}

/// Passes writes through, remembering whether one was stopped by [`Cancelled::io_error`].
struct CancelWatch<W> {
    inner: W,
    cancelled: bool,
}

impl<W: Write> Write for CancelWatch<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.inner.write(buf).inspect_err(|error| self.cancelled |= Cancelled::caused(error))
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush().inspect_err(|error| self.cancelled |= Cancelled::caused(error))
    }
}

/// Refuses ids the model cannot have produced (all-zero), so lookups fail cleanly.
fn new_id() -> ObjectId {
    cairn_crypto::random_id()
}

impl Session {
    /// The name recorded as the author of this device's edits and notes (set with
    /// [`Session::set_worker_name`]; by default `device-` and the start of the device id).
    pub fn worker_name(&mut self) -> Result<String, CoreError> {
        let stored = read(self.vault_mut(), |tx| Ok(tx.case_setting(SETTING_WORKER)?))?;
        match stored {
            Some(name) => Ok(name),
            None => Ok(format!("device-{}", &id_to_hex(&self.vault().info()?.device_id)[..8])),
        }
    }

    /// Sets the worker name recorded with this device's edits.
    pub fn set_worker_name(&mut self, name: &str) -> Result<(), CoreError> {
        let name = validate::required_line("worker name", name)?;
        transact(self.vault_mut(), |tx| Ok(tx.put_case_setting(SETTING_WORKER, &name)?))
    }

    /// Creates a case (status draft, risk high) and returns its id.
    pub fn create_case(&mut self, title: &str) -> Result<ObjectId, CoreError> {
        let author = self.worker_name()?;
        let now = now_ms();
        let mut doc = CaseDoc::new_case(title, &author, now)?;
        let case_id = new_id();
        transact(self.vault_mut(), |tx| {
            tx.create_case_key(&case_id)?;
            save_doc(tx, &case_id, &case_id, &mut doc, now)?;
            index_case(tx, &case_id, &mut doc, now)?;
            Ok(())
        })?;
        Ok(case_id)
    }

    /// Every case, most recently changed first (no document is opened).
    pub fn list_cases(&mut self) -> Result<Vec<CaseSummary>, CoreError> {
        let rows = read(self.vault_mut(), |tx| Ok(tx.case_summaries()?))?;
        Ok(rows.into_iter().map(summary_from_row).collect())
    }

    /// Opens a whole case: the case document, its testimonies and its conflicts.
    pub fn open_case(&mut self, case_id: &ObjectId) -> Result<CaseView, CoreError> {
        let author = self.worker_name()?;
        read(self.vault_mut(), |tx| {
            let mut doc: CaseDoc = load_doc(tx, case_id, case_id, &author, "case")?;
            let record = doc.record()?;
            let mut conflicts: Vec<CaseConflict> = doc
                .conflicts()?
                .into_iter()
                .map(|conflict| CaseConflict { document_id: *case_id, document_kind: "case", conflict })
                .collect();
            let mut testimonies = Vec::new();
            for key in record.testimonies.keys() {
                let testimony_id = parse_id(key)?;
                let mut testimony: TestimonyDoc = load_doc(tx, case_id, &testimony_id, &author, "testimony")?;
                conflicts.extend(testimony.conflicts()?.into_iter().map(|conflict| CaseConflict {
                    document_id: testimony_id,
                    document_kind: "testimony",
                    conflict,
                }));
                testimonies.push((testimony_id, testimony.record()?));
            }
            let updated_at = tx.case_summary(case_id)?.map_or(record.created_at, |summary| summary.updated_at);
            Ok(CaseView { id: *case_id, record, testimonies, conflicts, updated_at })
        })
    }

    /// Edits the case document with `edit`, then saves and re-indexes it in one transaction.
    fn edit_case<T>(
        &mut self,
        case_id: &ObjectId,
        edit: impl FnOnce(&mut CaseDoc, &str, Millis) -> Result<T, ModelError>,
        objects: &[(ObjectId, &'static str)],
    ) -> Result<T, CoreError> {
        let author = self.worker_name()?;
        let now = now_ms();
        transact(self.vault_mut(), |tx| {
            let mut doc: CaseDoc = load_doc(tx, case_id, case_id, &author, "case")?;
            let value = edit(&mut doc, &author, now)?;
            save_doc(tx, case_id, case_id, &mut doc, now)?;
            for (object_id, kind) in objects {
                tx.put_case_object(object_id, case_id, kind)?;
            }
            index_case(tx, case_id, &mut doc, now)?;
            Ok(value)
        })
    }

    /// Sets a case field from text (`tags` comma-separated). Also resolves a conflict on
    /// that field.
    pub fn set_case_field(&mut self, case_id: &ObjectId, field: CaseField, value: &str) -> Result<(), CoreError> {
        self.edit_case(case_id, |doc, _, now| doc.set_field(field, value, now), &[])
    }

    /// Crypto-shreds a case: its keys, chunks, blobs, digests, summary and search rows are
    /// deleted in one transaction.
    pub fn delete_case(&mut self, case_id: &ObjectId) -> Result<(), CoreError> {
        transact(self.vault_mut(), |tx| {
            tx.delete_case(case_id)?;
            tx.forget_case(case_id)?;
            Ok(())
        })
    }

    /// Adds a person and returns their id.
    pub fn add_person(&mut self, case_id: &ObjectId, person: &NewPerson) -> Result<ObjectId, CoreError> {
        let id = new_id();
        self.edit_case(case_id, |doc, _, now| doc.add_person(&id, person, now), &[(id, KIND_PERSON)])?;
        Ok(id)
    }

    /// Adds a testimony (its own document) and returns its id.
    pub fn add_testimony(&mut self, case_id: &ObjectId, testimony: &NewTestimony) -> Result<ObjectId, CoreError> {
        let author = self.worker_name()?;
        let now = now_ms();
        let testimony_id = new_id();
        transact(self.vault_mut(), |tx| {
            let mut case: CaseDoc = load_doc(tx, case_id, case_id, &author, "case")?;
            let mut doc = TestimonyDoc::new_testimony(case_id, &case.record()?, testimony, &author, now)?;
            case.add_testimony_ref(&testimony_id, now)?;
            save_doc(tx, case_id, &testimony_id, &mut doc, now)?;
            save_doc(tx, case_id, case_id, &mut case, now)?;
            tx.put_case_object(&testimony_id, case_id, KIND_TESTIMONY)?;
            index_case(tx, case_id, &mut case, now)?;
            index_testimony(tx, case_id, &testimony_id, &doc, now)?;
            Ok(())
        })?;
        Ok(testimony_id)
    }

    fn edit_testimony(
        &mut self,
        testimony_id: &ObjectId,
        edit: impl FnOnce(&mut TestimonyDoc, Millis) -> Result<(), ModelError>,
    ) -> Result<(), CoreError> {
        let author = self.worker_name()?;
        let now = now_ms();
        transact(self.vault_mut(), |tx| {
            let case_id = owner(tx, testimony_id, KIND_TESTIMONY)?;
            let mut doc: TestimonyDoc = load_doc(tx, &case_id, testimony_id, &author, KIND_TESTIMONY)?;
            edit(&mut doc, now)?;
            if save_doc(tx, &case_id, testimony_id, &mut doc, now)? {
                index_testimony(tx, &case_id, testimony_id, &doc, now)?;
            }
            Ok(())
        })
    }

    /// Replaces a testimony's narrative; only the difference is recorded, so concurrent
    /// edits of other parts merge.
    pub fn set_narrative(&mut self, testimony_id: &ObjectId, text: &str) -> Result<(), CoreError> {
        self.edit_testimony(testimony_id, |doc, now| doc.set_narrative(text, now))
    }

    /// Replaces a testimony's transcript (recorded as a difference).
    pub fn set_transcript(&mut self, testimony_id: &ObjectId, text: &str) -> Result<(), CoreError> {
        self.edit_testimony(testimony_id, |doc, now| doc.set_transcript(text, now))
    }

    /// Adds an event and returns its id.
    pub fn add_event(&mut self, case_id: &ObjectId, event: &NewEvent) -> Result<ObjectId, CoreError> {
        let id = new_id();
        self.edit_case(case_id, |doc, _, now| doc.add_event(&id, event, now), &[(id, KIND_EVENT)])?;
        Ok(id)
    }

    /// Adds an act to an event (found by the event's id alone) and returns the act's id.
    pub fn add_act(&mut self, event_id: &ObjectId, act: &NewAct) -> Result<ObjectId, CoreError> {
        let case_id = read(self.vault_mut(), |tx| owner(tx, event_id, KIND_EVENT))?;
        let id = new_id();
        self.edit_case(&case_id, |doc, _, now| doc.add_act(event_id, &id, act, now), &[(id, KIND_ACT)])?;
        Ok(id)
    }

    /// Adds a dated note by `by` (or by this device's worker) and returns its id.
    pub fn add_note(&mut self, case_id: &ObjectId, text: &str, by: Option<&str>) -> Result<ObjectId, CoreError> {
        let id = new_id();
        self.edit_case(case_id, |doc, author, now| doc.add_note(&id, text, by.unwrap_or(author), now), &[(id, KIND_NOTE)])?;
        Ok(id)
    }

    /// Edits the case document that holds `object_id` (of `kind`): the owner is looked up,
    /// the edit applied, the document saved and re-indexed, all in one transaction. An edit
    /// that changes nothing writes nothing.
    fn edit_case_object(
        &mut self,
        object_id: &ObjectId,
        kind: &'static str,
        edit: impl FnOnce(&mut CaseDoc, Millis) -> Result<(), ModelError>,
    ) -> Result<(), CoreError> {
        let author = self.worker_name()?;
        let now = now_ms();
        transact(self.vault_mut(), |tx| {
            let case_id = owner(tx, object_id, kind)?;
            let mut doc: CaseDoc = load_doc(tx, &case_id, &case_id, &author, "case")?;
            edit(&mut doc, now)?;
            if save_doc(tx, &case_id, &case_id, &mut doc, now)? {
                index_case(tx, &case_id, &mut doc, now)?;
            }
            Ok(())
        })
    }

    /// Edits a person (found by id alone): pseudonym, roles, identity fields (an empty value
    /// clears one). Only fields that change are written, so concurrent edits of other fields
    /// on another device merge without conflict.
    pub fn edit_person(&mut self, person_id: &ObjectId, edit: &PersonEdit) -> Result<(), CoreError> {
        self.edit_case_object(person_id, KIND_PERSON, |doc, now| doc.edit_person(person_id, edit, now))
    }

    /// Edits an event (found by id alone); checked like [`Session::add_event`].
    pub fn edit_event(&mut self, event_id: &ObjectId, edit: &EventEdit) -> Result<(), CoreError> {
        self.edit_case_object(event_id, KIND_EVENT, |doc, now| doc.edit_event(event_id, edit, now))
    }

    /// Edits an act (found by id alone); checked like [`Session::add_act`].
    pub fn edit_act(&mut self, act_id: &ObjectId, edit: &ActEdit) -> Result<(), CoreError> {
        self.edit_case_object(act_id, KIND_ACT, |doc, now| doc.edit_act(act_id, edit, now))
    }

    /// Replaces a note's text (its author and time stay).
    pub fn edit_note(&mut self, note_id: &ObjectId, text: &str) -> Result<(), CoreError> {
        self.edit_case_object(note_id, KIND_NOTE, |doc, now| doc.edit_note(note_id, text, now))
    }

    /// Edits a testimony's metadata (date, place, interviewer, interpreter, language, source
    /// person, consent). The narrative and transcript have their own setters.
    pub fn edit_testimony_metadata(&mut self, testimony_id: &ObjectId, edit: &TestimonyEdit) -> Result<(), CoreError> {
        let author = self.worker_name()?;
        let now = now_ms();
        transact(self.vault_mut(), |tx| {
            let case_id = owner(tx, testimony_id, KIND_TESTIMONY)?;
            // The case document is read only to check a new source person against its persons.
            let case: CaseDoc = load_doc(tx, &case_id, &case_id, &author, "case")?;
            let mut doc: TestimonyDoc = load_doc(tx, &case_id, testimony_id, &author, KIND_TESTIMONY)?;
            doc.edit_metadata(&case.record()?, edit, now)?;
            if save_doc(tx, &case_id, testimony_id, &mut doc, now)? {
                index_testimony(tx, &case_id, testimony_id, &doc, now)?;
            }
            Ok(())
        })
    }

    /// Attaches the file at `path` (streamed in bounded memory, never copied in plaintext).
    /// JPEG and PNG metadata is removed unless `keep_metadata`.
    pub fn attach_file(
        &mut self,
        case_id: &ObjectId,
        path: &Path,
        keep_metadata: bool,
    ) -> Result<AttachmentInfo, CoreError> {
        let file_name = path.file_name().map(|name| name.to_string_lossy().into_owned()).unwrap_or_default();
        let mut file = fs::File::open(path).map_err(|_| CaseError::SourceUnreadable)?;
        self.attach_reader(case_id, &file_name, &mut file, keep_metadata)
    }

    /// Attaches everything `source` yields, recorded under `file_name`.
    pub fn attach_reader(
        &mut self,
        case_id: &ObjectId,
        file_name: &str,
        source: &mut dyn Read,
        keep_metadata: bool,
    ) -> Result<AttachmentInfo, CoreError> {
        let file_name = validate::optional_line("file name", file_name)?;
        let author = self.worker_name()?;
        let now = now_ms();
        let id = new_id();
        transact(self.vault_mut(), |tx| {
            let mut doc: CaseDoc = load_doc(tx, case_id, case_id, &author, "case")?;
            let mut hashing = HashingReader {
                inner: source,
                hasher: ContentHasher::new(),
                length: 0,
                head: Vec::new(),
                failed: false,
                cancelled: false,
            };
            let (blob, handling, removed_parts) = if keep_metadata {
                let imported = tx.import_blob(case_id, &mut hashing);
                if let Some(failure) = hashing.failure() {
                    return Err(failure.into());
                }
                let blob = imported?;
                let handling = match ImageFormat::sniff(&hashing.head) {
                    ImageFormat::Other => MetadataHandling::NotAnImage,
                    _ => MetadataHandling::Kept,
                };
                (blob, handling, 0)
            } else {
                let mut stripping = StrippingReader::new(&mut hashing);
                let imported = tx.import_blob(case_id, &mut stripping);
                let (strip_error, report) = (stripping.error().cloned(), stripping.report());
                drop(stripping);
                if let Some(failure) = hashing.failure() {
                    return Err(failure.into());
                }
                if let Some(error) = strip_error {
                    return Err(error.into());
                }
                let blob = imported?;
                let report = report.ok_or(CoreError::Internal("metadata report"))?;
                let handling = match report.format {
                    ImageFormat::Other => MetadataHandling::NotAnImage,
                    _ => MetadataHandling::Stripped,
                };
                (blob, handling, report.removed_parts)
            };
            let format = ImageFormat::sniff(&hashing.head);
            let reference = AttachmentRef {
                blob_id: id_to_hex(&blob.blob_id),
                file_name: file_name.clone(),
                media_type: format.media_type().to_owned(),
                original_size: hashing.length,
                original_hash: hex32(&hashing.hasher.finish()),
                stored_size: blob.plain_len,
                stored_hash: hex32(&blob.content_hash),
                metadata: handling.name().to_owned(),
                added_at: now,
                added_by: author.clone(),
            };
            doc.add_attachment(&id, reference.clone(), now)?;
            save_doc(tx, case_id, case_id, &mut doc, now)?;
            tx.put_case_object(&id, case_id, KIND_ATTACHMENT)?;
            index_case(tx, case_id, &mut doc, now)?;
            Ok(AttachmentInfo { id, case_id: *case_id, reference, removed_parts })
        })
    }

    /// Writes an attachment's content to `sink`, checking every chunk and the content hash.
    /// On error `sink` holds a prefix: write to a temporary file (as
    /// [`Session::export_attachment_to`] does).
    pub fn export_attachment(
        &mut self,
        attachment_id: &ObjectId,
        sink: &mut dyn Write,
    ) -> Result<AttachmentInfo, CoreError> {
        let author = self.worker_name()?;
        read(self.vault_mut(), |tx| {
            let (case_id, reference, blob_id) = attachment_reference(tx, attachment_id, &author)?;
            let blob = tx.export_blob(&blob_id, sink)?;
            if blob.case_id != case_id || hex32(&blob.content_hash) != reference.stored_hash {
                return Err(CaseError::HashMismatch.into());
            }
            Ok(AttachmentInfo { id: *attachment_id, case_id, reference, removed_parts: 0 })
        })
    }

    /// Exports an attachment to `target`: written to a temporary file beside it, flushed to
    /// disk, and renamed only when complete and verified, so `target` never holds a partial
    /// file. Refuses to replace an existing file unless `overwrite`.
    pub fn export_attachment_to(
        &mut self,
        attachment_id: &ObjectId,
        target: &Path,
        overwrite: bool,
    ) -> Result<AttachmentInfo, CoreError> {
        self.export_attachment_through(attachment_id, target, overwrite, &mut |file| Box::new(file))
    }

    /// [`Session::export_attachment_to`], with every byte passing through the writer that
    /// `through` wraps around the temporary file (a front end counts progress there, or stops
    /// the export by returning [`Cancelled::io_error`], reported as [`CaseError::Cancelled`]).
    /// However it ends early, neither `target` nor the temporary file is left behind.
    pub fn export_attachment_through(
        &mut self,
        attachment_id: &ObjectId,
        target: &Path,
        overwrite: bool,
        through: &mut dyn FnMut(&mut dyn Write) -> Box<dyn Write + '_>,
    ) -> Result<AttachmentInfo, CoreError> {
        if target.exists() && !overwrite {
            return Err(CaseError::TargetExists.into());
        }
        let folder = match target.parent() {
            Some(parent) if !parent.as_os_str().is_empty() => parent.to_path_buf(),
            _ => PathBuf::from("."),
        };
        if !folder.is_dir() {
            return Err(CaseError::TargetFolder.into());
        }
        let suffix: String = cairn_crypto::random_array::<8>().iter().map(|b| format!("{b:02x}")).collect();
        let temp = folder.join(format!(".cairn-export-{suffix}.tmp"));
        let mut options = OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let file = options.open(&temp).map_err(|_| CaseError::TargetFolder)?;
        let result = (|| {
            let mut writer = BufWriter::with_capacity(256 * 1024, file);
            let mut watched = CancelWatch { inner: through(&mut writer), cancelled: false };
            let exported = self.export_attachment(attachment_id, &mut watched).and_then(|info| {
                watched.flush().map_err(|error| CoreError::Io(error.kind()))?;
                Ok(info)
            });
            // The store reports a failed write by its kind alone; the watch knows whether it
            // was the worker's Cancel.
            let info = match exported {
                Err(_) if watched.cancelled => return Err(CaseError::Cancelled.into()),
                other => other?,
            };
            drop(watched);
            let file = writer.into_inner().map_err(|error| CoreError::Io(error.error().kind()))?;
            file.sync_all().map_err(|error| CoreError::Io(error.kind()))?;
            drop(file);
            fs::rename(&temp, target).map_err(|error| CoreError::Io(error.kind()))?;
            if let Ok(dir) = fs::File::open(&folder) {
                let _ = dir.sync_all();
            }
            Ok(info)
        })();
        if result.is_err() {
            let _ = fs::remove_file(&temp);
        }
        result
    }

    /// Searches titles, tags, pseudonyms, notes, events, narratives and transcripts. Every
    /// term (word, or `"quoted phrase"`) must occur somewhere in a case; terms of three or
    /// more characters use the trigram index, shorter ones a substring scan. Results are the
    /// most recently changed cases first.
    pub fn search(&mut self, query: &str, limit: usize) -> Result<Vec<SearchHit>, CoreError> {
        let terms = search::parse_query(query);
        if terms.is_empty() {
            return Ok(Vec::new());
        }
        read(self.vault_mut(), |tx| {
            let mut matches: Option<BTreeMap<ObjectId, BTreeSet<(ObjectId, String)>>> = None;
            for term in &terms {
                let mut found: BTreeMap<ObjectId, BTreeSet<(ObjectId, String)>> = BTreeMap::new();
                for row in tx.search_rows(&term.text, term.uses_trigrams(), u32::MAX)? {
                    found.entry(row.case_id).or_default().insert((row.doc_id, row.field));
                }
                matches = Some(match matches {
                    None => found,
                    Some(mut previous) => {
                        previous.retain(|case_id, _| found.contains_key(case_id));
                        for (case_id, places) in previous.iter_mut() {
                            places.extend(found.remove(case_id).unwrap_or_default());
                        }
                        previous
                    }
                });
            }
            let mut hits = Vec::new();
            for (case_id, places) in matches.unwrap_or_default() {
                if let Some(summary) = tx.case_summary(&case_id)? {
                    hits.push((summary, places));
                }
            }
            hits.sort_by(|a, b| b.0.updated_at.cmp(&a.0.updated_at).then(a.0.case_id.cmp(&b.0.case_id)));
            hits.truncate(limit);
            let first = &terms[0].text;
            hits.into_iter()
                .map(|(summary, places)| {
                    let mut fields: Vec<String> = places.iter().map(|(_, field)| field.clone()).collect();
                    fields.sort();
                    fields.dedup();
                    let mut snippet = String::new();
                    for (doc_id, field) in &places {
                        let texts = tx.search_texts(&summary.case_id, doc_id, field)?;
                        let lower = first.to_lowercase();
                        if let Some(text) = texts.iter().find(|text| text.to_lowercase().contains(&lower)) {
                            snippet = search::snippet(text, first, 40);
                            break;
                        }
                    }
                    Ok(SearchHit { case_id: summary.case_id, title: summary.title, status: summary.status, fields, snippet })
                })
                .collect()
        })
    }

    /// Every unresolved conflict in a case's documents.
    pub fn conflicts(&mut self, case_id: &ObjectId) -> Result<Vec<CaseConflict>, CoreError> {
        Ok(self.open_case(case_id)?.conflicts)
    }

    /// Resolves a conflict by keeping value number `choice` of [`Conflict::values`]. The
    /// choice is saved as an ordinary edit, so it reaches other devices like any other.
    pub fn resolve_conflict(
        &mut self,
        case_id: &ObjectId,
        document_id: &ObjectId,
        path: &str,
        choice: usize,
    ) -> Result<(), CoreError> {
        if document_id == case_id {
            return self.edit_case(case_id, |doc, _, now| doc.resolve_conflict(path, choice, now), &[]);
        }
        let belongs = read(self.vault_mut(), |tx| Ok(owner(tx, document_id, KIND_TESTIMONY)? == *case_id))?;
        if !belongs {
            return Err(CoreError::NotFound(KIND_TESTIMONY));
        }
        self.edit_testimony(document_id, |doc, now| doc.resolve_conflict(path, choice, now))
    }

    /// Settles a conflict on a single text field with a value the worker typed (for example
    /// both values joined). The path must name a field an edit can change (see
    /// [`CaseConflict::mergeable`]); the value is checked as that edit would check it. Saved
    /// as an ordinary edit, so the merge reaches other devices like any other.
    pub fn merge_conflict(
        &mut self,
        case_id: &ObjectId,
        document_id: &ObjectId,
        path: &str,
        value: &str,
    ) -> Result<(), CoreError> {
        if document_id == case_id {
            return self.edit_case(case_id, |doc, _, now| doc.merge_conflict(path, value, now), &[]);
        }
        let author = self.worker_name()?;
        let now = now_ms();
        transact(self.vault_mut(), |tx| {
            if owner(tx, document_id, KIND_TESTIMONY)? != *case_id {
                return Err(CoreError::NotFound(KIND_TESTIMONY));
            }
            let mut doc: TestimonyDoc = load_doc(tx, case_id, document_id, &author, KIND_TESTIMONY)?;
            doc.merge_conflict(path, value, now)?;
            if save_doc(tx, case_id, document_id, &mut doc, now)? {
                index_testimony(tx, case_id, document_id, &doc, now)?;
            }
            Ok(())
        })
    }

    /// The case an object (person, testimony, event, act, note, attachment) belongs to.
    pub fn case_of(&mut self, object_id: &ObjectId) -> Result<ObjectId, CoreError> {
        read(self.vault_mut(), |tx| Ok(tx.case_object(object_id)?.ok_or(CoreError::NotFound("object"))?.0))
    }

    /// The digests of a case's documents (what sync compares).
    pub fn case_digests(&mut self, case_id: &ObjectId) -> Result<Vec<DocDigest>, CoreError> {
        read(self.vault_mut(), |tx| Ok(tx.case_digests(case_id)?))
    }

    /// Compacts every document with more than one chunk into a single snapshot chunk, and
    /// merges the search index. For an idle moment; edits compact on their own as they go.
    /// Returns how many documents were compacted.
    pub fn compact_cases(&mut self) -> Result<usize, CoreError> {
        let author = self.worker_name()?;
        transact(self.vault_mut(), |tx| {
            let mut compacted = 0;
            for digest in tx.digests()? {
                let stats = tx.record_stats(&digest.case_id, &digest.doc_id)?;
                if stats.count < 2 {
                    continue;
                }
                let records = tx.records(&digest.case_id, &digest.doc_id)?;
                let mut doc: CaseDocAny = Document::load(records.iter().map(|record| record.plaintext.as_slice()), &author)?;
                let snapshot = doc.snapshot();
                tx.compact_records(&digest.case_id, &digest.doc_id, stats.last_chunk, &snapshot)?;
                compacted += 1;
            }
            tx.optimize_search_index()?;
            Ok(compacted)
        })
    }
}

/// Compaction needs no typed root: any document loads as a map.
type CaseDocAny = Document<AnyRoot>;

/// A root that accepts any map (for compaction, which never looks inside).
#[derive(Debug, Default)]
struct AnyRoot;

impl Hydrate for AnyRoot {
    fn hydrate_map<D: cairn_model::types::ReadDoc>(
        _: &D,
        _: &cairn_model::types::ObjId,
    ) -> Result<Self, cairn_model::types::HydrateError> {
        Ok(AnyRoot)
    }
}

impl Reconcile for AnyRoot {
    type Key<'a> = cairn_model::types::NoKey;

    fn reconcile<R: cairn_model::types::Reconciler>(&self, _: R) -> Result<(), R::Error> {
        Ok(())
    }
}

fn summary_from_row(row: CaseSummaryRow) -> CaseSummary {
    CaseSummary {
        id: row.case_id,
        title: row.title,
        status: row.status,
        risk: row.risk,
        created_at: row.created_at,
        updated_at: row.updated_at,
        counts: CaseCounts {
            persons: row.persons,
            testimonies: row.testimonies,
            events: row.events,
            acts: 0,
            notes: row.notes,
            attachments: row.attachments,
        },
        conflicts: row.conflicts,
    }
}

#[cfg(test)]
#[path = "cases_edit_tests.rs"]
mod edit_tests;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{KdfChoice, SecretString, create_vault};

    fn session() -> (tempfile::TempDir, Session) {
        let dir = tempfile::tempdir().expect("tempdir");
        let (session, _) = create_vault(
            &dir.path().join("v"),
            &SecretString::from("correct horse battery staple"),
            KdfChoice::InsecureTestOnly,
        )
        .expect("vault");
        (dir, session)
    }

    fn digest_of(session: &mut Session, case: &ObjectId, doc: &ObjectId) -> DocDigest {
        session.case_digests(case).expect("digests").into_iter().find(|d| d.doc_id == *doc).expect("digest")
    }

    fn chunk_count(session: &mut Session, case: &ObjectId, doc: &ObjectId) -> u64 {
        read(session.vault_mut(), |tx| Ok(tx.record_stats(case, doc)?.count)).expect("stats")
    }

    #[test]
    fn every_write_updates_the_document_digest() {
        let (_dir, mut session) = session();
        let case = session.create_case("Digest case").expect("case");
        let first = digest_of(&mut session, &case, &case);
        let person =
            session.add_person(&case, &NewPerson { pseudonym: "A".into(), ..NewPerson::default() }).expect("person");
        let after_person = digest_of(&mut session, &case, &case);
        assert_ne!(first.heads_hash, after_person.heads_hash);
        assert!(after_person.modified_at >= first.modified_at);
        let testimony = NewTestimony {
            source_person: id_to_hex(&person),
            language: "ko".into(),
            narrative: "처음".into(),
            ..NewTestimony::default()
        };
        let testimony = session.add_testimony(&case, &testimony).expect("testimony");
        let digests = session.case_digests(&case).expect("digests");
        assert_eq!(digests.len(), 2, "the case document and the testimony document");
        let before = digest_of(&mut session, &case, &testimony);
        let case_before = digest_of(&mut session, &case, &case);
        session.set_narrative(&testimony, "처음과 끝").expect("edit");
        assert_ne!(digest_of(&mut session, &case, &testimony).heads_hash, before.heads_hash);
        assert_eq!(digest_of(&mut session, &case, &case), case_before, "only the edited document changes");
        // The digest is the hash of the stored document's heads.
        let author = session.worker_name().expect("worker");
        let mut stored: TestimonyDoc =
            read(session.vault_mut(), |tx| load_doc(tx, &case, &testimony, &author, "t")).expect("load");
        assert_eq!(digest_of(&mut session, &case, &testimony).heads_hash, heads_hash(&stored.heads()));
        // An edit that changes nothing writes nothing.
        let count = chunk_count(&mut session, &case, &testimony);
        session.set_narrative(&testimony, "처음과 끝").expect("same text");
        assert_eq!(chunk_count(&mut session, &case, &testimony), count);
    }

    #[test]
    fn long_logs_are_compacted_as_they_grow() {
        let (_dir, mut session) = session();
        let case = session.create_case("Compaction").expect("case");
        for i in 0..(COMPACT_AFTER_CHUNKS + 8) {
            session.set_case_field(&case, CaseField::Title, &format!("title {i}")).expect("edit");
            assert!(chunk_count(&mut session, &case, &case) < COMPACT_AFTER_CHUNKS);
        }
        assert_eq!(session.open_case(&case).expect("open").record.title, format!("title {}", COMPACT_AFTER_CHUNKS + 7));
        assert!(session.compact_cases().expect("compact") >= 1);
        assert_eq!(chunk_count(&mut session, &case, &case), 1);
        assert_eq!(session.list_cases().expect("list")[0].title, format!("title {}", COMPACT_AFTER_CHUNKS + 7));
    }

    #[test]
    fn concurrent_values_are_reported_and_resolved_through_the_session() {
        let (_dir, mut session) = session();
        session.set_worker_name("Worker A").expect("name");
        let case = session.create_case("Original").expect("case");
        // A second device's concurrent edit, as sync will deliver it: a chunk made from the
        // same starting state by another worker.
        let mut other: CaseDoc =
            read(session.vault_mut(), |tx| load_doc(tx, &case, &case, "Worker B", "case")).expect("load");
        let mut other = other.fork("Worker B");
        other.set_field(CaseField::Title, "Title from B", 1_000).expect("b edit");
        session.set_case_field(&case, CaseField::Title, "Title from A").expect("a edit");
        let chunk = other.take_changes().expect("chunk");
        transact(session.vault_mut(), |tx| {
            tx.append_record(&case, &case, &chunk)?;
            Ok(())
        })
        .expect("deliver");
        let conflicts = session.conflicts(&case).expect("conflicts");
        assert_eq!(conflicts.len(), 1);
        let conflict = &conflicts[0];
        assert_eq!((conflict.document_kind, conflict.document_id, conflict.conflict.path.as_str()), ("case", case, "title"));
        let mut values: Vec<(&str, &str)> =
            conflict.conflict.values.iter().map(|v| (v.value.as_str(), v.by.as_str())).collect();
        values.sort();
        assert_eq!(values, [("Title from A", "Worker A"), ("Title from B", "Worker B")]);
        assert!(conflict.conflict.values.iter().any(|v| v.at == 1_000));
        let choice = conflict.conflict.values.iter().position(|v| v.value == "Title from B").expect("B");
        session.resolve_conflict(&case, &case, "title", choice).expect("resolve");
        assert!(session.conflicts(&case).expect("after").is_empty());
        let listed = &session.list_cases().expect("list")[0];
        assert_eq!((listed.title.as_str(), listed.conflicts), ("Title from B", 0));
    }

    /// Yields `left` bytes, then stops with `error` (as a front end's Cancel does).
    struct StopReading {
        left: usize,
        error: fn() -> std::io::Error,
    }

    impl Read for StopReading {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            if self.left == 0 {
                return Err((self.error)());
            }
            let read = buf.len().min(self.left);
            buf[..read].fill(b'a');
            self.left -= read;
            Ok(read)
        }
    }

    /// Passes `left` bytes through, then stops with `error`.
    struct StopWriting<W> {
        inner: W,
        left: usize,
        error: fn() -> std::io::Error,
    }

    impl<W: Write> Write for StopWriting<W> {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            if buf.len() > self.left {
                return Err((self.error)());
            }
            self.left -= buf.len();
            self.inner.write(buf)
        }

        fn flush(&mut self) -> std::io::Result<()> {
            self.inner.flush()
        }
    }

    #[test]
    fn a_cancelled_import_leaves_nothing_behind() {
        let (_dir, mut session) = session();
        let case = session.create_case("Cancelled imports").expect("case");
        let (digest, chunks) = (digest_of(&mut session, &case, &case), chunk_count(&mut session, &case, &case));
        // Several blob chunks are sealed and written in the transaction before the stop.
        for keep_metadata in [false, true] {
            let mut source = StopReading { left: 3 * 1024 * 1024 + 17, error: Cancelled::io_error };
            let error = session.attach_reader(&case, "large.bin", &mut source, keep_metadata).expect_err("cancelled");
            assert_eq!(error.code(), "cancelled");
        }
        // A source failing on its own is still reported as unreadable, not as cancelled.
        let mut broken = StopReading { left: 100_000, error: || std::io::Error::other("device gone") };
        let error = session.attach_reader(&case, "large.bin", &mut broken, false).expect_err("unreadable");
        assert_eq!(error.code(), "source_unreadable");
        assert_eq!(digest_of(&mut session, &case, &case), digest);
        assert_eq!(chunk_count(&mut session, &case, &case), chunks);
        assert!(session.open_case(&case).expect("open").record.attachments.is_empty());
        assert_eq!(session.list_cases().expect("list")[0].counts.attachments, 0);
        // The transaction was rolled back, not left open: the next import commits.
        let mut text: &[u8] = b"after the cancel";
        let info = session.attach_reader(&case, "after.txt", &mut text, false).expect("import");
        let mut exported = Vec::new();
        session.export_attachment(&info.id, &mut exported).expect("export");
        assert_eq!(exported, b"after the cancel");
    }

    #[test]
    fn a_cancelled_export_leaves_no_file_behind() {
        let (_dir, mut session) = session();
        let case = session.create_case("Cancelled exports").expect("case");
        let mut content: &[u8] = &vec![b'a'; 2 * 1024 * 1024];
        let info = session.attach_reader(&case, "large.bin", &mut content, true).expect("import");
        let folder = tempfile::tempdir().expect("folder");
        let target = folder.path().join("copy.bin");
        let error = session
            .export_attachment_through(&info.id, &target, false, &mut |file| {
                Box::new(StopWriting { inner: file, left: 700_000, error: Cancelled::io_error })
            })
            .expect_err("cancelled");
        assert_eq!(error.code(), "cancelled");
        assert_eq!(fs::read_dir(folder.path()).expect("list").count(), 0, "no target and no temporary file");
        // Any other write failure is an I/O error, and leaves nothing either.
        let error = session
            .export_attachment_through(&info.id, &target, false, &mut |file| {
                Box::new(StopWriting { inner: file, left: 700_000, error: || std::io::Error::other("disk") })
            })
            .expect_err("failed");
        assert_eq!(error.code(), "io");
        assert_eq!(fs::read_dir(folder.path()).expect("list").count(), 0);
        // Passed through whole, the copy is complete.
        session.export_attachment_through(&info.id, &target, false, &mut |file| Box::new(file)).expect("export");
        assert_eq!(fs::read(&target).expect("copy").len(), 2 * 1024 * 1024);
    }

    #[test]
    fn a_failed_import_leaves_nothing_behind() {
        let (_dir, mut session) = session();
        let case = session.create_case("Imports").expect("case");
        let mut broken: &[u8] = &[0xFF, 0xD8, 0xFF, 0xE1, 0x00, 0x40, b'E', b'x', b'i', b'f'];
        let error = session.attach_reader(&case, "photo.jpg", &mut broken, false).expect_err("refused");
        assert_eq!(error.code(), "image_unparseable");
        let digest = digest_of(&mut session, &case, &case);
        assert!(session.open_case(&case).expect("open").record.attachments.is_empty());
        assert_eq!(session.list_cases().expect("list")[0].counts.attachments, 0);
        let mut text: &[u8] = b"plain text evidence";
        let info = session.attach_reader(&case, "notes.txt", &mut text, false).expect("import");
        assert_eq!(info.reference.metadata, "not_an_image");
        assert_ne!(digest_of(&mut session, &case, &case), digest);
        let mut exported = Vec::new();
        session.export_attachment(&info.id, &mut exported).expect("export");
        assert_eq!(exported, b"plain text evidence");
    }
}
