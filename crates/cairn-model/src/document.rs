//! Automerge documents with a typed root, their edits, and their storage form.
//!
//! Storage: a document is a log of chunks. [`Document::take_changes`] returns the changes
//! made since the last save (one chunk per edit); [`Document::snapshot`] returns the whole
//! compressed document (one chunk that replaces the log when it is compacted). Loading takes
//! the chunks in log order.

use std::marker::PhantomData;

use automerge::{
    Author, AutoCommit, ChangeHash, ROOT,
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
