//! Automerge documents with a typed root, their edits, and their storage form.
//!
//! Storage: a document is a log of chunks. [`Document::take_changes`] returns the changes
//! made since the last save (one chunk per edit); [`Document::snapshot`] returns the whole
//! compressed document (one chunk that replaces the log when it is compacted). Loading takes
//! the chunks in log order.

use std::marker::PhantomData;

use automerge::{
    Author, AutoCommit, Change, ChangeHash, ROOT,
    transaction::{CommitOptions, Transactable},
};
use autosurgeon::{Hydrate, Reconcile};

use crate::ModelError;

/// Largest document a chunk log may expand to, in bytes of chunks (a guard against a
/// damaged or hostile log; real case documents are far smaller).
pub const MAX_DOCUMENT_BYTES: usize = 256 * 1024 * 1024;

/// An Automerge document whose root maps to `R`.
pub struct Document<R> {
    pub(crate) doc: AutoCommit,
    saved_heads: Vec<ChangeHash>,
    root: PhantomData<R>,
}

impl<R> std::fmt::Debug for Document<R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Document").finish_non_exhaustive()
    }
}

/// Milliseconds since the Unix epoch (the unit of every time in the documents).
pub type Millis = i64;

/// What [`Document::apply_changes_hashed`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppliedChanges {
    /// Whether the document's heads moved.
    pub moved: bool,
    /// One entry per change given, in the order given.
    pub changes: Vec<AppliedChange>,
}

/// One change given to [`Document::apply_changes_hashed`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AppliedChange {
    /// Its Automerge hash.
    pub hash: [u8; 32],
    /// Whether this replica held it before (then nothing new arrived with it).
    pub held_before: bool,
}

impl<R: Hydrate + Reconcile> Document<R> {
    /// A new document holding `root`, written as one change by `author` at `now`.
    pub(crate) fn create(root: &R, author: &str, now: Millis) -> Result<Self, ModelError> {
        let mut doc = AutoCommit::new();
        doc.set_author(Some(author_of(author)));
        autosurgeon::reconcile(&mut doc, root)?;
        doc.commit_with(CommitOptions::default().with_time(now));
        Ok(Document { doc, saved_heads: Vec::new(), root: PhantomData })
    }

    /// Loads a document from its chunk log (in log order). Later edits are attributed to
    /// `author`.
    pub fn load<'c>(chunks: impl IntoIterator<Item = &'c [u8]>, author: &str) -> Result<Self, ModelError> {
        let mut chunks = chunks.into_iter();
        let first = chunks.next().ok_or(ModelError::DocumentUnreadable)?;
        let mut total = first.len();
        let mut doc = AutoCommit::load(first).map_err(|_| ModelError::DocumentUnreadable)?;
        for chunk in chunks {
            total += chunk.len();
            if total > MAX_DOCUMENT_BYTES {
                return Err(ModelError::DocumentUnreadable);
            }
            doc.load_incremental(chunk).map_err(|_| ModelError::DocumentUnreadable)?;
        }
        doc.set_author(Some(author_of(author)));
        let saved_heads = doc.get_heads();
        let document = Document { doc, saved_heads, root: PhantomData };
        // Refuse a log whose root does not have the expected shape now, not at first use.
        document.record()?;
        Ok(document)
    }

    /// An empty replica (no change yet), for a document whose first changes come from a peer.
    pub fn empty(author: &str) -> Self {
        let mut doc = AutoCommit::new();
        doc.set_author(Some(author_of(author)));
        Document { doc, saved_heads: Vec::new(), root: PhantomData }
    }

    /// Loads a chunk log like [`Document::load`], but accepts a document whose root is not
    /// complete yet (its first changes still wait for dependencies from a peer). Check
    /// [`Document::record`] before reading it.
    pub fn load_partial<'c>(chunks: impl IntoIterator<Item = &'c [u8]>, author: &str) -> Result<Self, ModelError> {
        let mut doc = AutoCommit::new();
        let mut total = 0usize;
        for chunk in chunks {
            total = total.saturating_add(chunk.len());
            if total > MAX_DOCUMENT_BYTES {
                return Err(ModelError::DocumentUnreadable);
            }
            doc.load_incremental(chunk).map_err(|_| ModelError::DocumentUnreadable)?;
        }
        doc.set_author(Some(author_of(author)));
        let saved_heads = doc.get_heads();
        Ok(Document { doc, saved_heads, root: PhantomData })
    }

    /// Records that everything the document holds is saved (after the caller stored changes
    /// it received as they came, rather than through [`Document::take_changes`]).
    pub fn mark_saved(&mut self) {
        self.saved_heads = self.doc.get_heads();
    }

    /// The current state of the root (where values conflict, Automerge's deterministic
    /// winner; see [`Document::conflicts`] for the others).
    pub fn record(&self) -> Result<R, ModelError> {
        Ok(autosurgeon::hydrate(&self.doc)?)
    }

    /// Commits pending operations, if any, as one change at `now`.
    pub(crate) fn commit(&mut self, now: Millis) {
        if self.doc.pending_ops() > 0 {
            self.doc.commit_with(CommitOptions::default().with_time(now));
        }
    }

    /// The changes made since the document was loaded or last saved, as one chunk to append
    /// to the log; `None` if there are none.
    pub fn take_changes(&mut self) -> Option<Vec<u8>> {
        let heads = self.doc.get_heads();
        if heads == self.saved_heads {
            return None;
        }
        let bytes = self.doc.save_after(&self.saved_heads);
        self.saved_heads = heads;
        Some(bytes)
    }

    /// The whole document as one compressed chunk (for compaction).
    pub fn snapshot(&mut self) -> Vec<u8> {
        let bytes = self.doc.save();
        self.saved_heads = self.doc.get_heads();
        bytes
    }

    /// The whole document, history included, saved without compression: every value any
    /// change ever wrote appears in it as written. For scans that prove a value never
    /// entered a document (a compressed save could hide it).
    pub fn history_bytes(&mut self) -> Vec<u8> {
        self.doc.save_nocompress()
    }

    /// A new document holding this one's current state as one change by `author` at `now`,
    /// without its history (values it once held and later replaced are gone). Only for a
    /// document no other device holds: the rewrite shares no change with the original, so a
    /// replica elsewhere would merge the old history back as a concurrent copy. Refused
    /// (`None`) while values conflict: the rewrite would keep only the shown ones.
    pub fn rewritten(&mut self, author: &str, now: Millis) -> Result<Option<Document<R>>, ModelError> {
        if !self.conflicts()?.is_empty() {
            return Ok(None);
        }
        Document::create(&self.record()?, author, now).map(Some)
    }

    /// The document's heads, sorted: the input of its digest.
    pub fn heads(&mut self) -> Vec<[u8; 32]> {
        let mut heads: Vec<[u8; 32]> = self.doc.get_heads().into_iter().map(|hash| hash.0).collect();
        heads.sort_unstable();
        heads
    }

    /// Merges another replica of the same document into this one.
    pub fn merge(&mut self, other: &mut Document<R>) -> Result<(), ModelError> {
        self.doc.merge(&mut other.doc)?;
        Ok(())
    }

    /// Applies chunks received from elsewhere (changes or a whole document).
    pub fn apply_chunk(&mut self, chunk: &[u8]) -> Result<(), ModelError> {
        self.doc.load_incremental(chunk).map_err(|_| ModelError::DocumentUnreadable)?;
        Ok(())
    }

    /// The changes a replica holding `their_heads` lacks, each as its raw bytes. Heads this
    /// document does not know (the other replica has changes this one lacks) are ignored,
    /// so the result is exact when this replica knows all of them and a superset otherwise;
    /// with none known, it is the whole history.
    pub fn changes_since(&mut self, their_heads: &[[u8; 32]]) -> Vec<Vec<u8>> {
        let known: Vec<ChangeHash> = their_heads
            .iter()
            .map(|head| ChangeHash(*head))
            .filter(|head| self.doc.get_change_by_hash(head).is_some())
            .collect();
        self.doc.get_changes(&known).into_iter().map(|change| change.raw_bytes().to_vec()).collect()
    }

    /// Applies changes received from another replica (each the raw bytes of one change).
    /// Every change is parsed strictly first, so a damaged one is refused before anything is
    /// applied; changes already held are skipped, and changes whose dependencies have not
    /// arrived wait inside the document until they do. Returns whether the heads moved.
    pub fn apply_changes(&mut self, changes: &[Vec<u8>]) -> Result<bool, ModelError> {
        Ok(self.apply_changes_hashed(changes)?.moved)
    }

    /// [`Document::apply_changes`], also reporting each change's hash and whether this
    /// replica held it already (what a chain of custody records on first receipt).
    pub fn apply_changes_hashed(&mut self, changes: &[Vec<u8>]) -> Result<AppliedChanges, ModelError> {
        let mut total = 0usize;
        let mut parsed = Vec::with_capacity(changes.len());
        let mut reported = Vec::with_capacity(changes.len());
        for bytes in changes {
            total = total.saturating_add(bytes.len());
            if total > MAX_DOCUMENT_BYTES {
                return Err(ModelError::DocumentUnreadable);
            }
            let change = Change::from_bytes(bytes.clone()).map_err(|_| ModelError::DocumentUnreadable)?;
            // Automerge does not check a change chunk's checksum on parsing. The checksum is
            // the first four bytes of the change hash (after the 4-byte magic), so a damaged
            // chunk is caught here without naming a hash function.
            if bytes.get(4..8) != Some(&change.hash().0[..4]) {
                return Err(ModelError::DocumentUnreadable);
            }
            let hash = change.hash();
            reported.push(AppliedChange { hash: hash.0, held_before: self.doc.get_change_by_hash(&hash).is_some() });
            parsed.push(change);
        }
        let before = self.doc.get_heads();
        self.doc.apply_changes(parsed).map_err(|_| ModelError::DocumentUnreadable)?;
        Ok(AppliedChanges { moved: self.doc.get_heads() != before, changes: reported })
    }

    /// The hash of every change in the document's history, in causal order (a change after
    /// every change it depends on).
    pub fn change_hashes(&mut self) -> Vec<[u8; 32]> {
        self.doc.get_changes(&[]).into_iter().map(|change| change.hash().0).collect()
    }

    /// The hashes of the changes made since the document was loaded or last saved: what the
    /// next [`Document::take_changes`] returns.
    pub fn unsaved_change_hashes(&mut self) -> Vec<[u8; 32]> {
        let saved = self.saved_heads.clone();
        if self.doc.get_heads() == saved {
            return Vec::new();
        }
        self.doc.get_changes(&saved).into_iter().map(|change| change.hash().0).collect()
    }

    /// [`Document::changes_since`], each change with its hash.
    pub fn hashed_changes_since(&mut self, their_heads: &[[u8; 32]]) -> Vec<([u8; 32], Vec<u8>)> {
        let known: Vec<ChangeHash> = their_heads
            .iter()
            .map(|head| ChangeHash(*head))
            .filter(|head| self.doc.get_change_by_hash(head).is_some())
            .collect();
        self.doc.get_changes(&known).into_iter().map(|change| (change.hash().0, change.raw_bytes().to_vec())).collect()
    }

    /// The heads, then the hashes of up to `recent` of the latest changes before them (in
    /// history order): what a replica names when asking another for what it lacks.
    pub fn heads_and_recent(&mut self, recent: usize) -> Vec<[u8; 32]> {
        let mut named = self.heads();
        let changes = self.doc.get_changes(&[]);
        for change in changes.iter().rev().take(recent + named.len()) {
            let hash = change.hash().0;
            if !named.contains(&hash) && named.len() < recent + self.doc.get_heads().len() {
                named.push(hash);
            }
        }
        named
    }

    /// Whether this replica holds every change `heads` names.
    pub fn holds(&mut self, heads: &[[u8; 32]]) -> bool {
        heads.iter().all(|head| self.doc.get_change_by_hash(&ChangeHash(*head)).is_some())
    }

    /// Whether changes are waiting for dependencies that have not arrived.
    pub fn has_missing_dependencies(&mut self) -> bool {
        !self.doc.get_missing_deps(&[]).is_empty()
    }

    /// Makes an edit as it was made on the document at `base` (the heads a front end's copy
    /// showed), then merges it into the current document: a change that arrived from a peer
    /// in the meantime is kept, never silently reverted by a stale copy (concurrent edits of
    /// the same text merge; of the same field, they become a visible conflict). The edit is
    /// attributed to this document's author. Heads this document does not hold are refused.
    ///
    /// Returns the heads of the edited version (base plus this edit, sorted), not of the merged
    /// document: the front end's text is that version, so its next edit must be based on it,
    /// or a change that arrived meanwhile would look deleted to the next diff.
    pub fn edit_at(
        &mut self,
        base: &[[u8; 32]],
        edit: impl FnOnce(&mut Document<R>) -> Result<(), ModelError>,
    ) -> Result<Vec<[u8; 32]>, ModelError> {
        let base: Vec<ChangeHash> = base.iter().map(|head| ChangeHash(*head)).collect();
        if base.iter().any(|head| self.doc.get_change_by_hash(head).is_none()) {
            return Err(ModelError::UnknownBase);
        }
        let mut fork = self.doc.fork_at(&base).map_err(|_| ModelError::UnknownBase)?;
        fork.set_author(self.doc.get_author().cloned());
        let mut fork = Document { doc: fork, saved_heads: Vec::new(), root: PhantomData };
        edit(&mut fork)?;
        let edited = fork.heads();
        self.doc.merge(&mut fork.doc)?;
        Ok(edited)
    }

    /// Another replica of this document, whose edits are attributed to `author` (for tests
    /// and for simulating a second device).
    pub fn fork(&mut self, author: &str) -> Document<R> {
        let mut doc = self.doc.fork();
        doc.set_author(Some(author_of(author)));
        let saved_heads = doc.get_heads();
        Document { doc, saved_heads, root: PhantomData }
    }

    /// Number of changes in the document's history.
    pub fn change_count(&mut self) -> usize {
        self.doc.get_changes(&[]).len()
    }

    /// Writes a single-line string at a top-level key (a direct write, so it also resolves a
    /// conflict on that key).
    pub(crate) fn put_root_str(&mut self, key: &str, value: &str, now: Millis) -> Result<(), ModelError> {
        self.doc.put(ROOT, key, value)?;
        self.commit(now);
        Ok(())
    }
}

pub(crate) fn author_of(worker: &str) -> Author<'static> {
    Author::from(worker.as_bytes().to_vec())
}
