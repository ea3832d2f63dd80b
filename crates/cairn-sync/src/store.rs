//! What the engine needs from a device's storage. `cairn-core` implements it over the vault
//! (sealing and opening, keys, the one write path); the engine never sees plaintext, keys or
//! the database. Every method may fail with the store's own error, which the engine passes on.

/// A case, document or device id: 16 random bytes.
pub type ObjectId = [u8; 16];

/// A device's id (the vault's device id, as on the roster).
pub type PeerId = [u8; 16];

/// An Automerge change hash.
pub type ChangeHash = [u8; 32];

/// A reconciliation item id: the object id (16 bytes) followed by 16 bytes that change
/// whenever its content does (for a document, a hash of its case and sorted heads; for a
/// tombstone, a fixed marker). Two devices holding the same content derive the same id. The
/// reconciliation timestamp of every item is 0, never a local clock.
pub type ItemId = [u8; 32];

/// A document as sync names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct DocRef {
    /// The case it belongs to.
    pub case_id: ObjectId,
    /// The document (the case id for the case document).
    pub doc_id: ObjectId,
}

/// What an item stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ItemKind {
    /// A document at its current heads.
    Document(DocRef),
    /// The signed deletion of a case.
    Tombstone {
        /// The deleted case.
        case_id: ObjectId,
    },
}

/// One reconciliation item.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Item {
    /// Its id (see [`ItemId`]); the first 16 bytes are the document or case id.
    pub id: ItemId,
    /// What it stands for.
    pub kind: ItemKind,
}

/// One Automerge change, sealed under its case key by the sending store (opaque here).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SealedChange(pub Vec<u8>);

/// A case key wrapped for the team (under the team key of an epoch), opaque here.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaseKeyWrap {
    /// The case the key is for.
    pub case_id: ObjectId,
    /// The wrapped key, as the store made it.
    pub wrapped: Vec<u8>,
}

/// An attachment's address: a keyed hash of its content, recorded in the case document by the
/// device that attached it (opaque here).
pub type BlobAddress = [u8; 32];

/// An attachment a device lacks, as it asks a peer for it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct BlobWant {
    /// The case it belongs to.
    pub case_id: ObjectId,
    /// Its address.
    pub address: BlobAddress,
    /// The first part wanted (the parts before it arrived in an earlier session).
    pub from: u32,
}

/// One part of an attachment, sealed by the sending store (opaque here).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlobPart {
    /// The case it belongs to.
    pub case_id: ObjectId,
    /// The attachment's address.
    pub address: BlobAddress,
    /// Its position, from 0.
    pub position: u32,
    /// Whether it is the attachment's last part.
    pub last: bool,
    /// The sealed part.
    pub sealed: Vec<u8>,
}

/// What one message brings, applied by [`SyncStore::apply`] all or nothing.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Incoming {
    /// Case keys, before the changes sealed under them.
    pub case_keys: Vec<CaseKeyWrap>,
    /// Changes per document.
    pub changes: Vec<(DocRef, Vec<SealedChange>)>,
    /// Signed tombstones (as made by [`SyncStore::tombstone`]).
    pub tombstones: Vec<Vec<u8>>,
}

/// What a finished sync session did, for the front ends and the peer record.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SyncSummary {
    /// Documents this device sent changes of.
    pub documents_sent: u64,
    /// Documents this device received changes of.
    pub documents_received: u64,
    /// Changes sent.
    pub changes_sent: u64,
    /// Changes received.
    pub changes_received: u64,
    /// Tombstones sent.
    pub tombstones_sent: u64,
    /// Tombstones received.
    pub tombstones_received: u64,
    /// Message bytes sent (encoded engine messages, before transport framing).
    pub bytes_sent: u64,
    /// Message bytes received.
    pub bytes_received: u64,
    /// Attachments sent whole (their last part sent).
    pub attachments_sent: u64,
    /// Attachments received whole and stored.
    pub attachments_received: u64,
    /// Round trips (messages this device sent that the peer answered).
    pub round_trips: u64,
    /// Whether a newer roster was received and accepted.
    pub roster_updated: bool,
    /// Whether this side limited the session to the rosters ([`SessionScope::RosterOnly`]):
    /// nothing else was sent or applied.
    pub roster_only: bool,
}

/// What a session may move, as the store decides for the peer when the session starts
/// ([`SyncStore::session_scope`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SessionScope {
    /// Everything: rosters, documents with their case keys, tombstones, attachments.
    #[default]
    Full,
    /// The rosters only: a newer roster is still sent and accepted, but this side offers and
    /// asks for no item, sends no change, case key, tombstone or attachment part, and applies
    /// none (anything of the kind the peer sends out of turn is a protocol error; the
    /// tombstones a peer's `Offer` carries are dropped unread). A device whose roster has
    /// expired uses it with a peer it may not exchange cases with until a newer roster arrives.
    RosterOnly,
}

/// A device's storage, as the engine uses it.
pub trait SyncStore {
    /// The store's error (passed through the engine unchanged).
    type Error: std::error::Error + Send + Sync + 'static;

    /// What a session with `peer` may move. Called once as the session starts, before the
    /// roster and the items are read (the initiator in [`crate::Initiator::start`], the
    /// responder on the peer's `Hello`): a roster accepted during the session changes the scope
    /// of the next session, never of this one. No default, so that a store wrapping another
    /// cannot lose the decision by not forwarding it.
    fn session_scope(&mut self, peer: &PeerId) -> Result<SessionScope, Self::Error>;

    /// The roster this device holds: its version and its signed bytes (`None`: no roster).
    fn roster(&mut self) -> Result<Option<(u64, Vec<u8>)>, Self::Error>;

    /// Accepts a roster a peer sent because it is newer; the store verifies it (same
    /// organisation, higher version, valid signature) and refuses it otherwise.
    fn accept_roster(&mut self, bytes: &[u8]) -> Result<(), Self::Error>;

    /// Every item this device holds: one per document of every case it holds, one per
    /// tombstone. Cheap: read from stored digests, no document is opened.
    fn items(&mut self) -> Result<Vec<Item>, Self::Error>;

    /// The document `doc_id` as held here, with its current heads; `None` when this device
    /// does not hold it (never had it, or its case was deleted).
    fn heads(&mut self, doc_id: &ObjectId) -> Result<Option<(DocRef, Vec<ChangeHash>)>, Self::Error>;

    /// The changes of `doc` that a peer holding `their_heads` lacks. Heads unknown here are
    /// ignored (the peer has changes this device lacks), so the result may be a superset;
    /// never the whole history just because one head is unknown, unless none is known.
    fn changes_since(&mut self, doc: &DocRef, their_heads: &[ChangeHash]) -> Result<Vec<SealedChange>, Self::Error>;

    /// Whether this device holds every change `heads` names in `doc`. When it does not, the
    /// peer has changes this device lacks, and what the peer lacks can only be computed exactly
    /// once those have arrived: the engine then answers the document at the end of the session
    /// rather than sending a superset (or the whole history) now. The default says yes, which
    /// keeps the superset behaviour.
    fn holds_heads(&mut self, doc: &DocRef, heads: &[ChangeHash]) -> Result<bool, Self::Error> {
        let _ = (doc, heads);
        Ok(true)
    }

    /// The change hashes this device names when it asks a peer for a document's changes: its
    /// `heads`, and may add some of their recent ancestors. The peer sends what is not an
    /// ancestor of the ones it knows, so when it does not know this device's newest changes (both
    /// edited since they last met), a known ancestor keeps the answer to the changes this device
    /// lacks instead of the whole history. The default names the heads alone.
    fn want_hashes(&mut self, doc: &DocRef, heads: &[ChangeHash]) -> Result<Vec<ChangeHash>, Self::Error> {
        let _ = doc;
        Ok(heads.to_vec())
    }

    /// The key of `case_id`, wrapped for the team, for a peer that may lack it.
    fn export_case_key(&mut self, case_id: &ObjectId) -> Result<CaseKeyWrap, Self::Error>;

    /// The signed tombstone of `case_id`, if this device holds one.
    fn tombstone(&mut self, case_id: &ObjectId) -> Result<Option<Vec<u8>>, Self::Error>;

    /// Applies what a message brought, all or nothing: case keys, then changes (through the
    /// same write path as local edits; changes whose dependencies have not arrived are kept
    /// until they can apply), then tombstones (verified; a deleted case is destroyed and
    /// never comes back). Idempotent: applying the same thing twice changes nothing.
    fn apply(&mut self, incoming: &Incoming) -> Result<(), Self::Error>;

    /// The attachments this device lacks: referenced by documents it holds, content not held
    /// (each from the first part not yet received), at most `limit` of them. Called once the
    /// session's documents have been applied.
    fn missing_blobs(&mut self, limit: usize) -> Result<Vec<BlobWant>, Self::Error>;

    /// How many parts the attachment at `address` of `case_id` travels in, if this device
    /// holds its content (`None`: it does not; the peer will get it from another device).
    fn blob_part_count(&mut self, case_id: &ObjectId, address: &BlobAddress) -> Result<Option<u32>, Self::Error>;

    /// Part `position` of a held attachment, sealed for travel.
    fn blob_part(&mut self, case_id: &ObjectId, address: &BlobAddress, position: u32) -> Result<BlobPart, Self::Error>;

    /// Keeps received parts, all or nothing. Parts arrive in order, each attachment's from
    /// the position this device asked for; when an attachment's last part is in, the store
    /// checks the whole against the case document (length and content hash) and stores it,
    /// or discards every part of it and refuses. Returns how many attachments it completed.
    fn apply_blob_parts(&mut self, parts: &[BlobPart]) -> Result<u64, Self::Error>;

    /// Records a finished session with `peer` (last sync per peer, what it acknowledged).
    fn record_session(&mut self, peer: &PeerId, summary: &SyncSummary) -> Result<(), Self::Error>;
}
