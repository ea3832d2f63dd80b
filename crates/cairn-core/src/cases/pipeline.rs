//! The write path every case edit goes through: load a document from its sealed chunks, apply
//! the edit, append the change as a sealed chunk (compacting a long log), update the digest,
//! and rebuild the summary and search rows, all in one vault transaction.

use std::{
    collections::BTreeSet,
    time::{SystemTime, UNIX_EPOCH},
};

use cairn_crypto::ContentHasher;
use cairn_model::{
    CaseDoc, CaseRecord, Document, DocumentKind, Millis, ModelError, ObjectId, ObjectKind, TestimonyDoc, TestimonyRecord,
    id_to_hex,
    types::{Hydrate, Reconcile},
    validate,
};
use cairn_store::{AttachmentBlobRow, CaseSummaryRow, StoreError, Vault, VaultTx};

use super::{
    COMPACT_AFTER_CHUNKS,
    custody::{self, ChangeSigner},
};
use crate::{CoreError, Session};

/// Where the worker name is kept among the vault's case settings.
const SETTING_WORKER: &str = "worker_name";

/// The root of a case's document, which knows its kind and what is derived from it.
pub(crate) trait DocRoot: Hydrate + Reconcile + Sized {
    /// Which document of a case this root is.
    const KIND: DocumentKind;

    /// Rebuilds every row derived from the document's state (never from the edit that
    /// changed it, so a change from a peer is indexed exactly like a local one).
    fn rebuild_derived(
        tx: &mut VaultTx<'_>,
        case_id: &ObjectId,
        doc_id: &ObjectId,
        doc: &mut Document<Self>,
        now: Millis,
        origin: Origin,
    ) -> Result<(), CoreError>;

    /// The document, to be kept loaded between edits (see [`HotDoc`]); `None` for kinds that
    /// are not edited by typing.
    fn into_hot(_doc: Document<Self>) -> Option<HotKind> {
        None
    }

    /// The document kept loaded, if it is of this kind.
    fn from_hot(_kind: HotKind) -> Option<Document<Self>> {
        None
    }
}

/// Where the change a derived-row rebuild follows came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Origin {
    /// This device's own edit. It can resolve conflicting values but never create one (its
    /// changes follow everything the document holds), so a document without conflicts before
    /// it has none after, and is not walked to count them.
    Local,
    /// Changes from a peer, a rewrite or a rebuild: conflicts are counted by walking.
    Other,
}

/// How many values of `doc_id` conflict after a change of `origin`: the stored count when a
/// local edit cannot have changed it (it was 0), else counted (see [`Origin::Local`]).
fn conflict_count<R: Hydrate + Reconcile>(
    tx: &VaultTx<'_>,
    case_id: &ObjectId,
    doc_id: &ObjectId,
    doc: &mut Document<R>,
    origin: Origin,
) -> Result<Option<u32>, CoreError> {
    if origin == Origin::Local && tx.doc_conflicts(case_id, doc_id)? == Some(0) {
        return Ok(None);
    }
    Ok(Some(u32::try_from(doc.conflicts()?.len()).unwrap_or(u32::MAX)))
}

/// A document kept loaded between uses: a worker opens a case and then autosaves the same
/// case or testimony every few seconds, the app opening the case again after each save, and
/// loading the document from its sealed chunks was the largest part of each
/// (BENCHMARKS.md, issue 14). It is used only while the document's stored digest still names
/// the heads it holds: a sync, a bundle, another process's edit, a compaction that rewrote it
/// or a deletion moves or removes the digest, and the document is loaded again. A failed edit
/// drops it; it goes with the session (its plaintext like any open case's: see README,
/// "Memory").
pub(crate) struct HotDoc {
    doc_id: ObjectId,
    author: String,
    heads_hash: [u8; 32],
    doc: HotKind,
}

impl std::fmt::Debug for HotDoc {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HotDoc").finish_non_exhaustive()
    }
}

/// How many documents stay loaded: the case opened or edited last and a few of its
/// testimonies. Bounded, because a long testimony's document holds its whole history.
const HOT_DOCS: usize = 4;

/// The documents kept loaded (see [`HotDoc`]), the most recently used last.
#[derive(Debug, Default)]
pub(crate) struct HotDocs(Vec<HotDoc>);

impl HotDocs {
    /// Takes `doc_id` out, if it is kept (it is kept again by [`HotDocs::keep`] after use).
    pub(crate) fn take(&mut self, doc_id: &ObjectId) -> Option<HotDoc> {
        let index = self.0.iter().position(|hot| hot.doc_id == *doc_id)?;
        Some(self.0.remove(index))
    }

    /// Keeps `hot` as the most recently used, dropping the least recently used beyond
    /// [`HOT_DOCS`].
    pub(crate) fn keep(&mut self, hot: Option<HotDoc>) {
        let Some(hot) = hot else { return };
        self.0.retain(|kept| kept.doc_id != hot.doc_id);
        if self.0.len() == HOT_DOCS {
            self.0.remove(0);
        }
        self.0.push(hot);
    }

    /// Drops every kept document: a deleted or handed-over case's text does not outlive it in
    /// memory (a kept document of it would never be used again, its digest gone).
    pub(crate) fn clear(&mut self) {
        self.0.clear();
    }

    /// How many documents are kept (for tests).
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.0.len()
    }
}

/// A document kept loaded, by kind.
pub(crate) enum HotKind {
    Case(CaseDoc),
    Testimony(TestimonyDoc),
}

/// `doc_id` for an edit by `author`: the document kept loaded when it is that one and still
/// what the vault holds (its digest unchanged), else loaded from its chunks.
pub(crate) fn load_for_edit<R: DocRoot>(
    tx: &VaultTx<'_>,
    hot: Option<HotDoc>,
    case_id: &ObjectId,
    doc_id: &ObjectId,
    author: &str,
) -> Result<Document<R>, CoreError> {
    match current_hot(tx, hot, case_id, doc_id, author)? {
        Some(doc) => Ok(doc),
        None => load_doc(tx, case_id, doc_id, author),
    }
}

/// The kept document `hot`, if it is `doc_id` for `author` and still what the vault holds (its
/// digest unchanged).
pub(crate) fn current_hot<R: DocRoot>(
    tx: &VaultTx<'_>,
    hot: Option<HotDoc>,
    case_id: &ObjectId,
    doc_id: &ObjectId,
    author: &str,
) -> Result<Option<Document<R>>, CoreError> {
    if let Some(hot) = hot.filter(|hot| hot.doc_id == *doc_id && hot.author == author)
        && tx.doc_heads_hash(case_id, doc_id)? == Some(hot.heads_hash)
    {
        return Ok(R::from_hot(hot.doc));
    }
    Ok(None)
}

/// Keeps `doc` (just committed, or just read whole) loaded for its next use.
pub(crate) fn keep_hot<R: DocRoot>(doc_id: &ObjectId, author: &str, mut doc: Document<R>) -> Option<HotDoc> {
    let heads_hash = heads_hash(&doc.heads());
    Some(HotDoc { doc_id: *doc_id, author: author.to_owned(), heads_hash, doc: R::into_hot(doc)? })
}

impl DocRoot for CaseRecord {
    const KIND: DocumentKind = DocumentKind::Case;

    fn rebuild_derived(
        tx: &mut VaultTx<'_>,
        case_id: &ObjectId,
        _doc_id: &ObjectId,
        doc: &mut CaseDoc,
        now: Millis,
        origin: Origin,
    ) -> Result<(), CoreError> {
        index_case(tx, case_id, doc, now, origin)
    }

    fn into_hot(doc: CaseDoc) -> Option<HotKind> {
        Some(HotKind::Case(doc))
    }

    fn from_hot(kind: HotKind) -> Option<CaseDoc> {
        match kind {
            HotKind::Case(doc) => Some(doc),
            HotKind::Testimony(_) => None,
        }
    }
}

impl DocRoot for TestimonyRecord {
    const KIND: DocumentKind = DocumentKind::Testimony;

    fn rebuild_derived(
        tx: &mut VaultTx<'_>,
        case_id: &ObjectId,
        doc_id: &ObjectId,
        doc: &mut TestimonyDoc,
        now: Millis,
        origin: Origin,
    ) -> Result<(), CoreError> {
        index_testimony(tx, case_id, doc_id, doc, now, origin)
    }

    fn into_hot(doc: TestimonyDoc) -> Option<HotKind> {
        Some(HotKind::Testimony(doc))
    }

    fn from_hot(kind: HotKind) -> Option<TestimonyDoc> {
        match kind {
            HotKind::Testimony(doc) => Some(doc),
            HotKind::Case(_) => None,
        }
    }
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

/// Lower-case hex of a 32-byte hash, as recorded in attachment references.
pub(crate) fn hex32(bytes: &[u8; 32]) -> String {
    hex::encode(bytes)
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

/// Loads a document of a case from its sealed chunks, with `author` for the edits to come.
pub(crate) fn load_doc<R: DocRoot>(
    tx: &VaultTx<'_>,
    case_id: &ObjectId,
    doc_id: &ObjectId,
    author: &str,
) -> Result<Document<R>, CoreError> {
    let what = R::KIND.as_str();
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

/// A document as held, even if its first changes still wait for dependencies (its root may
/// not be whole yet); `None` when this vault holds no chunk of it. A damaged log is an error.
pub(crate) fn load_held<R: Hydrate + Reconcile>(
    tx: &VaultTx<'_>,
    case_id: &ObjectId,
    doc_id: &ObjectId,
    author: &str,
) -> Result<Option<Document<R>>, CoreError> {
    match tx.records(case_id, doc_id) {
        Ok(records) if !records.is_empty() => {
            Ok(Some(Document::load_partial(records.iter().map(|record| record.plaintext.as_slice()), author)?))
        }
        Ok(_) | Err(StoreError::NotFound { .. }) => Ok(None),
        Err(error) => Err(error.into()),
    }
}

/// The one write path for a local edit: saves what changed in `doc` (see [`save_doc`]; each
/// new change signed by `signer`) and rebuilds every derived row from its state, in the
/// caller's transaction. Returns whether anything changed (an edit that changes nothing writes
/// nothing).
pub(crate) fn commit_doc<R: DocRoot>(
    tx: &mut VaultTx<'_>,
    signer: &ChangeSigner,
    case_id: &ObjectId,
    doc_id: &ObjectId,
    doc: &mut Document<R>,
    now: Millis,
) -> Result<bool, CoreError> {
    if !save_doc(tx, signer, case_id, doc_id, doc, now)? {
        return Ok(false);
    }
    R::rebuild_derived(tx, case_id, doc_id, doc, now, Origin::Local)?;
    Ok(true)
}

/// The same write path for changes received from a peer (raw Automerge changes of one
/// document of a case this vault holds): applied to the stored document (a new document of
/// the case starts empty), stored as received in one sealed chunk (so changes still waiting
/// for their dependencies survive a restart and apply when those arrive), then the digest,
/// the change sequence and every derived row are brought up to date. The custody each change
/// came with (`custody[i]` with `changes[i]`; none when missing) is recorded for the changes
/// this vault did not hold yet, as it came (see `custody.rs`). Damaged changes are refused
/// before anything is written. Returns whether the document's heads moved.
pub(crate) fn apply_remote_changes<R: DocRoot>(
    tx: &mut VaultTx<'_>,
    case_id: &ObjectId,
    doc_id: &ObjectId,
    changes: &[Vec<u8>],
    custody: &[Option<cairn_crypto::ChangeCustody>],
    author: &str,
    now: Millis,
) -> Result<bool, CoreError> {
    let mut doc: Document<R> = load_held(tx, case_id, doc_id, author)?.unwrap_or_else(|| Document::empty(author));
    let applied = doc.apply_changes_hashed(changes)?;
    let moved = applied.moved;
    let waiting = doc.has_missing_dependencies();
    if !moved && !waiting {
        return Ok(false);
    }
    tx.append_record(case_id, doc_id, &changes.concat())?;
    custody::record_received(tx, case_id, doc_id, &applied.changes, custody, now)?;
    doc.mark_saved();
    if moved {
        tx.put_digest(case_id, doc_id, &heads_hash(&doc.heads()), now)?;
        // A document whose first changes have not all arrived has no complete root yet: it
        // is stored, and indexed once the rest arrives.
        if doc.record().is_ok() {
            R::rebuild_derived(tx, case_id, doc_id, &mut doc, now, Origin::Other)?;
        }
    }
    Ok(moved)
}

/// [`apply_remote_changes`] for a document of any kind: the case document, the receipts
/// document or a testimony (see `handover::document_kind`).
pub(crate) fn apply_remote_any(
    tx: &mut VaultTx<'_>,
    case_id: &ObjectId,
    doc_id: &ObjectId,
    changes: &[Vec<u8>],
    custody: &[Option<cairn_crypto::ChangeCustody>],
    author: &str,
    now: Millis,
) -> Result<bool, CoreError> {
    match crate::handover::document_kind(case_id, doc_id) {
        DocumentKind::Case => apply_remote_changes::<CaseRecord>(tx, case_id, doc_id, changes, custody, author, now),
        DocumentKind::Receipts => {
            apply_remote_changes::<cairn_model::ReceiptsRecord>(tx, case_id, doc_id, changes, custody, author, now)
        }
        DocumentKind::Testimony => {
            apply_remote_changes::<TestimonyRecord>(tx, case_id, doc_id, changes, custody, author, now)
        }
    }
}

/// Replaces a document's whole log with `doc`, a rewrite of it without history
/// (`Document::rewritten`): one chunk, the old chunks deleted (the commit checkpoints the
/// WAL), the digest and every derived row brought up to date. Only for a document no other
/// device holds (see `identity.rs`). The rewrite is a new change this device wrote: it is
/// signed by `signer`, and the custody of the replaced changes goes with them.
pub(crate) fn replace_doc<R: DocRoot>(
    tx: &mut VaultTx<'_>,
    signer: &ChangeSigner,
    case_id: &ObjectId,
    doc_id: &ObjectId,
    doc: &mut Document<R>,
    now: Millis,
) -> Result<(), CoreError> {
    let hashes = doc.change_hashes();
    let snapshot = doc.snapshot();
    tx.rewrite_records(case_id, doc_id, &snapshot)?;
    tx.forget_document_custody(case_id, doc_id)?;
    signer.record(tx, case_id, doc_id, &hashes, now)?;
    tx.put_digest(case_id, doc_id, &heads_hash(&doc.heads()), now)?;
    R::rebuild_derived(tx, case_id, doc_id, doc, now, Origin::Other)
}

/// The mark a schema migration leaves when the case summaries need rebuilding from the
/// documents (see `migrations/0005_sync_ready.sql` in cairn-store).
const SETTING_SUMMARIES_STALE: &str = "summaries_stale";

/// Rebuilds every derived row of every document from its state, if a migration asked for
/// it; once, in one transaction. Times are kept (nothing counts as a new change).
pub(crate) fn rebuild_stale_summaries(vault: &mut Vault, author: &str) -> Result<(), CoreError> {
    if read(vault, |tx| Ok(tx.case_setting(SETTING_SUMMARIES_STALE)?))?.is_none() {
        return Ok(());
    }
    transact(vault, |tx| {
        for digest in tx.digests()? {
            let (case_id, doc_id) = (digest.case_id, digest.doc_id);
            match crate::handover::document_kind(&case_id, &doc_id) {
                DocumentKind::Case => {
                    let mut doc: CaseDoc = load_doc(tx, &case_id, &doc_id, author)?;
                    CaseRecord::rebuild_derived(tx, &case_id, &doc_id, &mut doc, 0, Origin::Other)?;
                }
                DocumentKind::Testimony => {
                    let mut doc: TestimonyDoc = load_doc(tx, &case_id, &doc_id, author)?;
                    TestimonyRecord::rebuild_derived(tx, &case_id, &doc_id, &mut doc, 0, Origin::Other)?;
                }
                DocumentKind::Receipts => {}
            }
        }
        tx.delete_case_setting(SETTING_SUMMARIES_STALE)?;
        Ok(())
    })
}

/// Appends a document's new changes as a sealed chunk, records each one's custody (signed by
/// `signer`, this device), compacts its log when it is long, and updates its digest. Does
/// nothing if the document did not change.
pub(crate) fn save_doc<R: DocRoot>(
    tx: &mut VaultTx<'_>,
    signer: &ChangeSigner,
    case_id: &ObjectId,
    doc_id: &ObjectId,
    doc: &mut Document<R>,
    now: Millis,
) -> Result<bool, CoreError> {
    let hashes = doc.unsaved_change_hashes();
    let Some(chunk) = doc.take_changes() else { return Ok(false) };
    tx.append_record(case_id, doc_id, &chunk)?;
    signer.record(tx, case_id, doc_id, &hashes, now)?;
    let stats = tx.record_stats(case_id, doc_id)?;
    if stats.count >= COMPACT_AFTER_CHUNKS {
        let snapshot = doc.snapshot();
        tx.compact_records(case_id, doc_id, stats.last_chunk, &snapshot)?;
    }
    tx.put_digest(case_id, doc_id, &heads_hash(&doc.heads()), now)?;
    Ok(true)
}

/// Rebuilds the case summary, the object index and the case document's search rows.
fn index_case(
    tx: &mut VaultTx<'_>,
    case_id: &ObjectId,
    doc: &mut CaseDoc,
    now: Millis,
    origin: Origin,
) -> Result<(), CoreError> {
    let record = doc.record()?;
    let objects: Vec<(ObjectId, &str)> =
        record.objects().into_iter().map(|(object_id, kind)| (object_id, kind.as_str())).collect();
    tx.replace_case_objects(case_id, &objects)?;
    tx.replace_attachment_blobs(case_id, &attachment_rows(&record))?;
    if let Some(conflicts) = conflict_count(tx, case_id, case_id, doc, origin)? {
        tx.set_doc_conflicts(case_id, case_id, conflicts)?;
    }
    let counts = record.counts();
    let act_types: BTreeSet<String> =
        record.events.values().flat_map(|event| event.acts.values().map(|act| act.act_type.clone())).collect();
    let dates: BTreeSet<&String> = record
        .events
        .values()
        .flat_map(|event| [&event.date_start, &event.date_end])
        .filter(|date| !date.is_empty())
        .collect();
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
        acts: counts.acts,
        conflicts: 0,
        deleted: false,
        tags: record.distinct_tags(),
        act_types: act_types.into_iter().collect(),
        first_date: dates.first().map(|date| (*date).clone()).unwrap_or_default(),
        last_date: dates.last().map(|date| (*date).clone()).unwrap_or_default(),
        handover_ready_at: record.handover_ready_at,
        handover_covered_at: None,
    })?;
    // Identity fields are never indexed (sealed or not): `search_entries` leaves them out.
    let entries = record.search_entries();
    let rows: Vec<(&str, &str)> = entries.iter().map(|entry| (entry.field, entry.text.as_str())).collect();
    tx.replace_search_entries(case_id, case_id, &rows)?;
    super::identity::note_plain_identity(tx, &record)
}

/// The attachment rows of a case document: every reference with an address. References
/// made before addresses existed have none; their content stays on the device that holds it.
fn attachment_rows(record: &CaseRecord) -> Vec<AttachmentBlobRow> {
    let parse32 = |hex_text: &str| hex::decode(hex_text).ok().and_then(|bytes| <[u8; 32]>::try_from(bytes).ok());
    record
        .attachments
        .values()
        .filter_map(|reference| {
            Some(AttachmentBlobRow {
                blob_id: cairn_model::parse_id(&reference.blob_id).ok()?,
                address: parse32(&reference.address)?,
                stored_size: reference.stored_size,
                stored_hash: parse32(&reference.stored_hash)?,
            })
        })
        .collect()
}

/// Rebuilds a testimony's search rows and marks its case as changed.
fn index_testimony(
    tx: &mut VaultTx<'_>,
    case_id: &ObjectId,
    testimony_id: &ObjectId,
    doc: &mut TestimonyDoc,
    now: Millis,
    origin: Origin,
) -> Result<(), CoreError> {
    if let Some(conflicts) = conflict_count(tx, case_id, testimony_id, doc, origin)? {
        tx.set_doc_conflicts(case_id, testimony_id, conflicts)?;
    }
    let entries = doc.record()?.search_entries();
    let rows: Vec<(&str, &str)> = entries.iter().map(|entry| (entry.field, entry.text.as_str())).collect();
    tx.replace_search_entries(case_id, testimony_id, &rows)?;
    tx.touch_case_summary(case_id, now)?;
    Ok(())
}

/// The case an object belongs to, checking its kind.
pub(crate) fn owner(tx: &VaultTx<'_>, object_id: &ObjectId, kind: ObjectKind) -> Result<ObjectId, CoreError> {
    match tx.case_object(object_id)? {
        Some((case_id, found)) if found == kind.as_str() => Ok(case_id),
        _ => Err(CoreError::NotFound(kind.as_str())),
    }
}

/// A fresh random object id.
pub(super) fn new_id() -> ObjectId {
    cairn_crypto::random_id()
}

impl Session {
    /// The name recorded as the author of this device's edits and notes (set with
    /// [`Session::set_worker_name`]; by default `device-` and the start of the device id).
    pub fn worker_name(&mut self) -> Result<String, CoreError> {
        // Asked at every save: one read (the whole vault info was 2.5 % of a typing save).
        read(self.vault_mut(), |tx| {
            Ok(match tx.case_setting(SETTING_WORKER)? {
                Some(name) => name,
                None => format!("device-{}", &id_to_hex(&tx.device_id()?)[..8]),
            })
        })
    }

    /// Sets the worker name recorded with this device's edits.
    pub fn set_worker_name(&mut self, name: &str) -> Result<(), CoreError> {
        let name = validate::required_line("worker name", name)?;
        transact(self.vault_mut(), |tx| Ok(tx.put_case_setting(SETTING_WORKER, &name)?))
    }

    /// Edits the case document with `edit`, then saves and re-indexes it in one transaction.
    pub(super) fn edit_case<T>(
        &mut self,
        case_id: &ObjectId,
        edit: impl FnOnce(&mut CaseDoc, &str, Millis) -> Result<T, ModelError>,
    ) -> Result<T, CoreError> {
        let author = self.worker_name()?;
        let signer = self.change_signer()?;
        let now = now_ms();
        let hot = self.hot_docs.take(case_id);
        let (value, hot) = transact(self.vault_mut(), |tx| {
            let mut doc: CaseDoc = load_for_edit(tx, hot, case_id, case_id, &author)?;
            let value = edit(&mut doc, &author, now)?;
            commit_doc(tx, &signer, case_id, case_id, &mut doc, now)?;
            Ok((value, keep_hot(case_id, &author, doc)))
        })?;
        self.hot_docs.keep(hot);
        Ok(value)
    }

    pub(super) fn edit_testimony<T>(
        &mut self,
        testimony_id: &ObjectId,
        edit: impl FnOnce(&mut TestimonyDoc, Millis) -> Result<T, ModelError>,
    ) -> Result<T, CoreError> {
        let author = self.worker_name()?;
        let signer = self.change_signer()?;
        let now = now_ms();
        let hot = self.hot_docs.take(testimony_id);
        let (value, hot) = transact(self.vault_mut(), |tx| {
            let case_id = owner(tx, testimony_id, ObjectKind::Testimony)?;
            let mut doc: TestimonyDoc = load_for_edit(tx, hot, &case_id, testimony_id, &author)?;
            let value = edit(&mut doc, now)?;
            commit_doc(tx, &signer, &case_id, testimony_id, &mut doc, now)?;
            Ok((value, keep_hot(testimony_id, &author, doc)))
        })?;
        self.hot_docs.keep(hot);
        Ok(value)
    }

    /// Edits the case document that holds `object_id` (of `kind`): the owner is looked up,
    /// the edit applied, the document saved and re-indexed, all in one transaction. An edit
    /// that changes nothing writes nothing.
    pub(super) fn edit_case_object(
        &mut self,
        object_id: &ObjectId,
        kind: ObjectKind,
        edit: impl FnOnce(&mut CaseDoc, Millis) -> Result<(), ModelError>,
    ) -> Result<(), CoreError> {
        let author = self.worker_name()?;
        let signer = self.change_signer()?;
        let now = now_ms();
        // The owner is known only inside the transaction: the kept documents go in with it.
        let mut hot_docs = std::mem::take(&mut self.hot_docs);
        let hot = transact(self.vault_mut(), |tx| {
            let case_id = owner(tx, object_id, kind)?;
            let mut doc: CaseDoc = load_for_edit(tx, hot_docs.take(&case_id), &case_id, &case_id, &author)?;
            edit(&mut doc, now)?;
            commit_doc(tx, &signer, &case_id, &case_id, &mut doc, now)?;
            Ok(keep_hot(&case_id, &author, doc))
        });
        self.hot_docs = hot_docs;
        self.hot_docs.keep(hot?);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use cairn_model::{NewPerson, NewTestimony};

    use super::*;
    use crate::cases::test_support::{chunk_count, digest_of, session};

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
            read(session.vault_mut(), |tx| load_doc(tx, &case, &testimony, &author)).expect("load");
        assert_eq!(digest_of(&mut session, &case, &testimony).heads_hash, heads_hash(&stored.heads()));
        // An edit that changes nothing writes nothing.
        let count = chunk_count(&mut session, &case, &testimony);
        session.set_narrative(&testimony, "처음과 끝").expect("same text");
        assert_eq!(chunk_count(&mut session, &case, &testimony), count);
    }
}
