//! An in-memory [`SyncStore`] for the engine's tests, backed by real Automerge documents.
//!
//! **This is the test store, not the real sealing.** A "sealed change" here is the raw
//! Automerge change bytes (`Change::raw_bytes`), a "wrapped case key" is a dummy marker, a
//! "signed tombstone" and a roster are marker bytes checked by shape only. The vault's
//! implementation in `cairn-core` seals, wraps and signs for real. What this store does keep
//! faithfully is the contract: deterministic item ids, `changes_since` ignoring unknown heads,
//! all-or-nothing `apply`, changes waiting for their case key refused, deleted cases destroyed
//! and never coming back, and counters of `heads` calls for the "unchanged documents are never
//! touched" test.

use std::collections::{BTreeMap, BTreeSet};
use std::hash::{DefaultHasher, Hash, Hasher};

use automerge::{ActorId, AutoCommit, Change, ObjType, ROOT, ReadDoc, transaction::Transactable};

use crate::store::{
    BlobAddress, BlobPart, BlobWant, CaseKeyWrap, ChangeHash, DocRef, Incoming, Item, ItemKind, ObjectId, PeerId,
    SealedChange, SessionScope, SyncStore, SyncSummary,
};

/// The test store's refusals.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub(crate) enum MemError {
    #[error("roster refused")]
    RosterRefused,
    #[error("malformed input")]
    Malformed,
    #[error("no key for this case")]
    MissingKey,
    #[error("unknown document")]
    UnknownDocument,
    #[error("injected failure")]
    Injected,
}

const KEY_MARKER: &[u8] = b"test-wrapped-key:";
const TOMBSTONE_MARKER: &[u8] = b"test-tombstone:";
const TOMBSTONE_ITEM: [u8; 16] = [0xff; 16];

pub(crate) struct Doc {
    pub(crate) case_id: ObjectId,
    pub(crate) doc: AutoCommit,
}

/// One device.
pub(crate) struct MemStore {
    actor: u8,
    pub(crate) docs: BTreeMap<ObjectId, Doc>,
    pub(crate) keys: BTreeSet<ObjectId>,
    pub(crate) tombstones: BTreeMap<ObjectId, Vec<u8>>,
    pub(crate) roster: Option<(u64, Vec<u8>)>,
    pub(crate) heads_calls: Vec<ObjectId>,
    pub(crate) applies: usize,
    pub(crate) sessions: Vec<(PeerId, SyncSummary)>,
    /// Fail the next `apply` (to test that a failure ends the session).
    pub(crate) fail_apply: bool,
    /// Attachment content held, by case and address.
    pub(crate) blobs: BTreeMap<(ObjectId, BlobAddress), Vec<u8>>,
    /// Parts received of attachments not yet complete.
    pub(crate) staged: BTreeMap<(ObjectId, BlobAddress), Vec<Vec<u8>>>,
    /// Every part sent: (case, address, position), to check nothing is sent twice.
    pub(crate) parts_sent: Vec<(ObjectId, BlobAddress, u32)>,
    /// What this store allows each session (every peer alike).
    pub(crate) scope: SessionScope,
    /// Calls to `items`.
    pub(crate) items_calls: usize,
}

/// The size of an attachment part in the test store.
pub(crate) const TEST_PART_LEN: usize = 64 * 1024;

/// A test attachment's address and checksum (shape only: not a keyed hash).
fn content_address(content: &[u8]) -> BlobAddress {
    let mut out = [0u8; 32];
    for (salt, chunk) in out.chunks_mut(8).enumerate() {
        let mut hasher = DefaultHasher::new();
        (salt, content).hash(&mut hasher);
        chunk.copy_from_slice(&hasher.finish().to_le_bytes());
    }
    out
}

fn hash16(case_id: &ObjectId, heads: &[ChangeHash]) -> [u8; 16] {
    let mut sorted = heads.to_vec();
    sorted.sort();
    let mut out = [0u8; 16];
    for (salt, chunk) in out.chunks_mut(8).enumerate() {
        let mut hasher = DefaultHasher::new();
        (salt, case_id, &sorted).hash(&mut hasher);
        chunk.copy_from_slice(&hasher.finish().to_le_bytes());
    }
    out
}

/// The roster bytes of a version (shape only).
pub(crate) fn roster_bytes(version: u64) -> Vec<u8> {
    let mut bytes = b"test-roster:".to_vec();
    bytes.extend_from_slice(&version.to_le_bytes());
    bytes
}

impl MemStore {
    pub(crate) fn new(actor: u8) -> Self {
        MemStore {
            actor,
            docs: BTreeMap::new(),
            keys: BTreeSet::new(),
            tombstones: BTreeMap::new(),
            roster: None,
            heads_calls: Vec::new(),
            applies: 0,
            sessions: Vec::new(),
            fail_apply: false,
            scope: SessionScope::Full,
            items_calls: 0,
            blobs: BTreeMap::new(),
            staged: BTreeMap::new(),
            parts_sent: Vec::new(),
        }
    }

    fn new_doc(&self, doc_id: &ObjectId) -> AutoCommit {
        let mut actor = vec![self.actor];
        actor.extend_from_slice(doc_id);
        AutoCommit::new().with_actor(ActorId::from(actor))
    }

    /// Creates a case (its key and its case document, id = case id).
    pub(crate) fn create_case(&mut self, case_id: ObjectId) {
        self.keys.insert(case_id);
        self.create_doc(case_id, case_id);
    }

    /// Creates a document in a case this device holds, with one change.
    pub(crate) fn create_doc(&mut self, case_id: ObjectId, doc_id: ObjectId) {
        let mut doc = self.new_doc(&doc_id);
        doc.put(ROOT, "created_by", i64::from(self.actor)).expect("put");
        doc.put_object(ROOT, "text", ObjType::Text).expect("text");
        doc.commit();
        self.docs.insert(doc_id, Doc { case_id, doc });
    }

    /// Sets a field; returns the new change's hash.
    pub(crate) fn set(&mut self, doc_id: &ObjectId, key: &str, value: &str) -> Option<ChangeHash> {
        let doc = &mut self.docs.get_mut(doc_id)?.doc;
        doc.put(ROOT, key, value).expect("put");
        doc.commit().map(|h| h.0)
    }

    /// Sets a field to bytes (one operation, however large); returns the change's hash.
    pub(crate) fn set_bytes(&mut self, doc_id: &ObjectId, key: &str, value: Vec<u8>) -> Option<ChangeHash> {
        let doc = &mut self.docs.get_mut(doc_id)?.doc;
        doc.put(ROOT, key, automerge::ScalarValue::Bytes(value)).expect("put");
        doc.commit().map(|h| h.0)
    }

    /// Inserts text at a position (clamped); returns the new change's hash.
    pub(crate) fn insert_text(&mut self, doc_id: &ObjectId, at: usize, text: &str) -> Option<ChangeHash> {
        let doc = &mut self.docs.get_mut(doc_id)?.doc;
        let (_, obj) = doc.get(ROOT, "text").expect("get")?;
        let len = doc.length(&obj);
        doc.splice_text(&obj, at.min(len), 0, text).expect("splice");
        doc.commit().map(|h| h.0)
    }

    /// Deletes a case team-wide: leaves a tombstone, destroys its documents and key.
    pub(crate) fn delete_case(&mut self, case_id: ObjectId) {
        let mut bytes = TOMBSTONE_MARKER.to_vec();
        bytes.extend_from_slice(&case_id);
        self.destroy(case_id, bytes);
    }

    fn destroy(&mut self, case_id: ObjectId, tombstone: Vec<u8>) {
        self.docs.retain(|_, doc| doc.case_id != case_id);
        self.keys.remove(&case_id);
        self.blobs.retain(|(case, _), _| *case != case_id);
        self.staged.retain(|(case, _), _| *case != case_id);
        self.tombstones.insert(case_id, tombstone);
    }

    /// Heads per document, sorted (for convergence checks).
    pub(crate) fn all_heads(&mut self) -> BTreeMap<ObjectId, (ObjectId, Vec<ChangeHash>)> {
        self.docs
            .iter_mut()
            .map(|(id, doc)| {
                let mut heads: Vec<ChangeHash> = doc.doc.get_heads().into_iter().map(|h| h.0).collect();
                heads.sort();
                (*id, (doc.case_id, heads))
            })
            .collect()
    }

    /// Attaches `content` to a case held here: the case document references it by address
    /// (recording its length), and this device holds the content. Returns the address.
    pub(crate) fn attach(&mut self, case_id: &ObjectId, content: &[u8]) -> BlobAddress {
        let address = content_address(content);
        let key = format!("attach:{}", hex::encode(address));
        self.set_bytes(case_id, &key, (content.len() as u64).to_le_bytes().to_vec()).expect("case document");
        self.blobs.insert((*case_id, address), content.to_vec());
        address
    }

    /// The attachments the held case documents reference: case, address, length.
    fn referenced_blobs(&self) -> Vec<(ObjectId, BlobAddress, u64)> {
        let mut referenced = Vec::new();
        for (doc_id, doc) in &self.docs {
            if *doc_id != doc.case_id {
                continue;
            }
            for key in doc.doc.keys(ROOT) {
                let Some(address) = key.strip_prefix("attach:").and_then(|h| hex::decode(h).ok()) else { continue };
                let Ok(address) = BlobAddress::try_from(address) else { continue };
                if let Ok(Some((automerge::Value::Scalar(value), _))) = doc.doc.get(ROOT, &key)
                    && let automerge::ScalarValue::Bytes(bytes) = value.as_ref()
                    && let Ok(len) = <[u8; 8]>::try_from(bytes.as_slice())
                {
                    referenced.push((doc.case_id, address, u64::from_le_bytes(len)));
                }
            }
        }
        referenced
    }

    /// What this store would ask a peer for.
    pub(crate) fn missing_blobs_for_test(&mut self) -> Vec<BlobWant> {
        SyncStore::missing_blobs(self, usize::MAX).expect("missing")
    }

    /// Whether the document holds the change.
    pub(crate) fn has_change(&mut self, doc_id: &ObjectId, hash: &ChangeHash) -> bool {
        self.docs.get_mut(doc_id).is_some_and(|doc| doc.doc.get_change_by_hash(&automerge::ChangeHash(*hash)).is_some())
    }
}

impl SyncStore for MemStore {
    type Error = MemError;

    fn session_scope(&mut self, _peer: &PeerId) -> Result<SessionScope, MemError> {
        Ok(self.scope)
    }

    fn roster(&mut self) -> Result<Option<(u64, Vec<u8>)>, MemError> {
        Ok(self.roster.clone())
    }

    fn accept_roster(&mut self, bytes: &[u8]) -> Result<(), MemError> {
        let version = bytes
            .strip_prefix(b"test-roster:".as_slice())
            .and_then(|v| <[u8; 8]>::try_from(v).ok())
            .map(u64::from_le_bytes)
            .ok_or(MemError::RosterRefused)?;
        if self.roster.as_ref().is_some_and(|(held, _)| *held >= version) {
            return Err(MemError::RosterRefused);
        }
        self.roster = Some((version, bytes.to_vec()));
        Ok(())
    }

    fn items(&mut self) -> Result<Vec<Item>, MemError> {
        self.items_calls += 1;
        let mut items = Vec::new();
        for (doc_id, doc) in &mut self.docs {
            let heads: Vec<ChangeHash> = doc.doc.get_heads().into_iter().map(|h| h.0).collect();
            let mut id = [0u8; 32];
            id[..16].copy_from_slice(doc_id);
            id[16..].copy_from_slice(&hash16(&doc.case_id, &heads));
            items.push(Item { id, kind: ItemKind::Document(DocRef { case_id: doc.case_id, doc_id: *doc_id }) });
        }
        for case_id in self.tombstones.keys() {
            let mut id = [0u8; 32];
            id[..16].copy_from_slice(case_id);
            id[16..].copy_from_slice(&TOMBSTONE_ITEM);
            items.push(Item { id, kind: ItemKind::Tombstone { case_id: *case_id } });
        }
        Ok(items)
    }

    fn heads(&mut self, doc_id: &ObjectId) -> Result<Option<(DocRef, Vec<ChangeHash>)>, MemError> {
        self.heads_calls.push(*doc_id);
        Ok(self.docs.get_mut(doc_id).map(|doc| {
            let heads = doc.doc.get_heads().into_iter().map(|h| h.0).collect();
            (DocRef { case_id: doc.case_id, doc_id: *doc_id }, heads)
        }))
    }

    fn changes_since(&mut self, doc: &DocRef, their_heads: &[ChangeHash]) -> Result<Vec<SealedChange>, MemError> {
        let held = self.docs.get_mut(&doc.doc_id).ok_or(MemError::UnknownDocument)?;
        let known: Vec<automerge::ChangeHash> = their_heads
            .iter()
            .map(|h| automerge::ChangeHash(*h))
            .filter(|h| held.doc.get_change_by_hash(h).is_some())
            .collect();
        Ok(held.doc.get_changes(&known).into_iter().map(|c| SealedChange(c.raw_bytes().to_vec())).collect())
    }

    fn holds_heads(&mut self, doc: &DocRef, heads: &[ChangeHash]) -> Result<bool, MemError> {
        let held = self.docs.get_mut(&doc.doc_id).ok_or(MemError::UnknownDocument)?;
        Ok(heads.iter().all(|head| held.doc.get_change_by_hash(&automerge::ChangeHash(*head)).is_some()))
    }

    fn export_case_key(&mut self, case_id: &ObjectId) -> Result<CaseKeyWrap, MemError> {
        if !self.keys.contains(case_id) {
            return Err(MemError::MissingKey);
        }
        let mut wrapped = KEY_MARKER.to_vec();
        wrapped.extend_from_slice(case_id);
        Ok(CaseKeyWrap { case_id: *case_id, wrapped })
    }

    fn tombstone(&mut self, case_id: &ObjectId) -> Result<Option<Vec<u8>>, MemError> {
        Ok(self.tombstones.get(case_id).cloned())
    }

    fn apply(&mut self, incoming: &Incoming) -> Result<(), MemError> {
        if std::mem::take(&mut self.fail_apply) {
            return Err(MemError::Injected);
        }
        // Validate everything first, then apply on copies: all or nothing.
        let mut keys = self.keys.clone();
        for key in &incoming.case_keys {
            let case_id = key.wrapped.strip_prefix(KEY_MARKER).ok_or(MemError::Malformed)?;
            if case_id != key.case_id {
                return Err(MemError::Malformed);
            }
            if !self.tombstones.contains_key(&key.case_id) {
                keys.insert(key.case_id);
            }
        }
        let mut updated: BTreeMap<ObjectId, Doc> = BTreeMap::new();
        for (doc_ref, changes) in &incoming.changes {
            if self.tombstones.contains_key(&doc_ref.case_id) {
                continue; // a deleted case never comes back
            }
            if !keys.contains(&doc_ref.case_id) {
                return Err(MemError::MissingKey);
            }
            let mut parsed = Vec::new();
            for change in changes {
                parsed.push(Change::from_bytes(change.0.clone()).map_err(|_| MemError::Malformed)?);
            }
            let entry = match updated.remove(&doc_ref.doc_id) {
                Some(doc) => doc,
                None => match self.docs.get_mut(&doc_ref.doc_id) {
                    Some(held) if held.case_id != doc_ref.case_id => return Err(MemError::Malformed),
                    Some(held) => {
                        Doc { case_id: held.case_id, doc: held.doc.fork().with_actor(self.actor_for(&doc_ref.doc_id)) }
                    }
                    None => Doc { case_id: doc_ref.case_id, doc: self.new_doc(&doc_ref.doc_id) },
                },
            };
            let mut entry = entry;
            entry.doc.apply_changes(parsed).map_err(|_| MemError::Malformed)?;
            updated.insert(doc_ref.doc_id, entry);
        }
        let mut tombstones = Vec::new();
        for bytes in &incoming.tombstones {
            let case_id: ObjectId =
                bytes.strip_prefix(TOMBSTONE_MARKER).and_then(|c| c.try_into().ok()).ok_or(MemError::Malformed)?;
            tombstones.push((case_id, bytes.clone()));
        }
        self.keys = keys;
        self.docs.extend(updated);
        for (case_id, bytes) in tombstones {
            self.destroy(case_id, bytes);
        }
        self.applies += 1;
        Ok(())
    }

    fn missing_blobs(&mut self, limit: usize) -> Result<Vec<BlobWant>, MemError> {
        let mut wants: Vec<BlobWant> = self
            .referenced_blobs()
            .into_iter()
            .filter(|(case_id, address, _)| !self.blobs.contains_key(&(*case_id, *address)))
            .map(|(case_id, address, _)| {
                let from = self.staged.get(&(case_id, address)).map_or(0, |parts| parts.len() as u32);
                BlobWant { case_id, address, from }
            })
            .collect();
        wants.sort();
        wants.dedup();
        wants.truncate(limit);
        Ok(wants)
    }

    fn blob_part_count(&mut self, case_id: &ObjectId, address: &BlobAddress) -> Result<Option<u32>, MemError> {
        Ok(self.blobs.get(&(*case_id, *address)).map(|content| content.len().div_ceil(TEST_PART_LEN).max(1) as u32))
    }

    fn blob_part(&mut self, case_id: &ObjectId, address: &BlobAddress, position: u32) -> Result<BlobPart, MemError> {
        let content = self.blobs.get(&(*case_id, *address)).ok_or(MemError::UnknownDocument)?;
        let count = content.len().div_ceil(TEST_PART_LEN).max(1);
        let start = position as usize * TEST_PART_LEN;
        let sealed = content.get(start..(start + TEST_PART_LEN).min(content.len())).ok_or(MemError::Malformed)?.to_vec();
        self.parts_sent.push((*case_id, *address, position));
        Ok(BlobPart { case_id: *case_id, address: *address, position, last: position as usize + 1 == count, sealed })
    }

    fn apply_blob_parts(&mut self, parts: &[BlobPart]) -> Result<u64, MemError> {
        // All or nothing: work on copies.
        let referenced: BTreeMap<(ObjectId, BlobAddress), u64> =
            self.referenced_blobs().into_iter().map(|(case_id, address, len)| ((case_id, address), len)).collect();
        let mut staged = self.staged.clone();
        let mut completed = Vec::new();
        for part in parts {
            let key = (part.case_id, part.address);
            let len = *referenced.get(&key).ok_or(MemError::UnknownDocument)?;
            let list = staged.entry(key).or_default();
            if part.position as usize != list.len() {
                return Err(MemError::Malformed);
            }
            list.push(part.sealed.clone());
            if part.last {
                let content: Vec<u8> = staged.remove(&key).unwrap_or_default().concat();
                if content.len() as u64 != len || content_address(&content) != part.address {
                    self.staged.remove(&key);
                    return Err(MemError::Malformed);
                }
                completed.push((key, content));
            }
        }
        self.staged = staged;
        let count = completed.len() as u64;
        self.blobs.extend(completed);
        Ok(count)
    }

    fn record_session(&mut self, peer: &PeerId, summary: &SyncSummary) -> Result<(), MemError> {
        self.sessions.push((*peer, summary.clone()));
        Ok(())
    }
}

impl MemStore {
    fn actor_for(&self, doc_id: &ObjectId) -> ActorId {
        let mut actor = vec![self.actor];
        actor.extend_from_slice(doc_id);
        ActorId::from(actor)
    }
}

/// The peer id the initiator uses for the responder, and the reverse.
pub(crate) const PEER_R: PeerId = [0xb0; 16];
pub(crate) const PEER_I: PeerId = [0xa0; 16];

/// Both sides' summaries, and how often a side was resumed to produce more parts.
#[derive(Debug)]
pub(crate) struct Outcome {
    pub(crate) initiator: SyncSummary,
    pub(crate) responder: SyncSummary,
    pub(crate) resumes: usize,
}

/// One side of a session, as the driver sees it.
trait Side {
    fn receive(&mut self, store: &mut MemStore, bytes: &[u8]) -> Result<crate::Step, String>;
    fn resume(&mut self, store: &mut MemStore) -> Result<crate::Step, String>;
}

impl Side for crate::Initiator {
    fn receive(&mut self, store: &mut MemStore, bytes: &[u8]) -> Result<crate::Step, String> {
        crate::Initiator::receive(self, store, bytes).map_err(|e| e.code().to_string())
    }
    fn resume(&mut self, store: &mut MemStore) -> Result<crate::Step, String> {
        crate::Initiator::resume(self, store).map_err(|e| e.code().to_string())
    }
}

impl Side for crate::Responder {
    fn receive(&mut self, store: &mut MemStore, bytes: &[u8]) -> Result<crate::Step, String> {
        crate::Responder::receive(self, store, bytes).map_err(|e| e.code().to_string())
    }
    fn resume(&mut self, store: &mut MemStore) -> Result<crate::Step, String> {
        crate::Responder::resume(self, store).map_err(|e| e.code().to_string())
    }
}

/// Delivers messages to one side, collecting what it sends; `done` gets its summary.
fn deliver(
    side: &mut impl Side,
    store: &mut MemStore,
    inbox: Vec<Vec<u8>>,
    outbox: &mut Vec<Vec<u8>>,
    done: &mut Option<SyncSummary>,
    resumes: &mut usize,
) -> Result<(), String> {
    use crate::Step;
    for message in inbox {
        let mut step = side.receive(store, &message)?;
        loop {
            match step {
                Step::Send(out) => outbox.extend(out),
                Step::SendAndResume(out) => {
                    outbox.extend(out);
                    *resumes += 1;
                    step = side.resume(store)?;
                    continue;
                }
                Step::Wait => {}
                Step::Done { send, summary } => {
                    outbox.extend(send);
                    *done = Some(summary);
                }
            }
            break;
        }
    }
    Ok(())
}

/// Runs a whole session between two stores in memory, `a` initiating.
pub(crate) fn run(a: &mut MemStore, b: &mut MemStore) -> Result<Outcome, String> {
    run_cut(a, b, usize::MAX)
}

/// Runs a session whose link is cut after `deliveries` messages have reached either side
/// (`Err("cut")`): what each side applied stays, nothing else.
pub(crate) fn run_cut(a: &mut MemStore, b: &mut MemStore, deliveries: usize) -> Result<Outcome, String> {
    use crate::{Initiator, Responder};
    let (mut initiator, hello) = Initiator::start(a, PEER_R).map_err(|e| e.code().to_string())?;
    let mut responder = Responder::new(PEER_I);
    let mut to_b = vec![hello];
    let mut to_a: Vec<Vec<u8>> = Vec::new();
    let (mut a_done, mut b_done, mut resumes) = (None, None, 0);
    let mut delivered = 0usize;
    let mut cut = |inbox: &mut Vec<Vec<u8>>| {
        let allowed = deliveries.saturating_sub(delivered);
        let cut = inbox.len() > allowed;
        inbox.truncate(allowed);
        delivered += inbox.len();
        cut
    };
    for _ in 0..100_000 {
        let mut inbox = std::mem::take(&mut to_b);
        let cut_here = cut(&mut inbox);
        deliver(&mut responder, b, inbox, &mut to_a, &mut b_done, &mut resumes)?;
        if cut_here {
            return Err("cut".into());
        }
        let mut inbox = std::mem::take(&mut to_a);
        let cut_here = cut(&mut inbox);
        deliver(&mut initiator, a, inbox, &mut to_b, &mut a_done, &mut resumes)?;
        if cut_here {
            return Err("cut".into());
        }
        if to_a.is_empty() && to_b.is_empty() {
            return match (a_done, b_done) {
                (Some(initiator), Some(responder)) => Ok(Outcome { initiator, responder, resumes }),
                _ => Err("stalled".into()),
            };
        }
    }
    Err("did not finish".into())
}
