//! The two state machines: [`Initiator`] and [`Responder`]. See the crate doc for the
//! protocol, message by message.

use std::collections::{BTreeMap, BTreeSet, VecDeque};

use negentropy::{Id, Negentropy, NegentropyStorageVector};

use crate::store::{
    BlobAddress, BlobPart, BlobWant, ChangeHash, DocRef, Incoming, ItemId, ItemKind, ObjectId, PeerId, SessionScope,
    SyncStore, SyncSummary,
};
use crate::wire::{
    self, Ack, Blobs, Changes, Final, Held, Hello, HelloReply, MAX_MESSAGE_LEN, Message, Offer, OfferEntry, Payload,
    Reconcile, ReconcileReply, Want, WireError,
};

/// The most reconciliation rounds a session allows (each round at least halves the ranges
/// in question; 10,000 documents need 2, a first sync of a million a few dozen).
pub const MAX_RECONCILE_ROUNDS: usize = 64;

/// The most parts (messages) one side may split one phase into (4,096 × 4 MiB = 16 GiB).
pub const MAX_PARTS: usize = 4096;

/// The most attachments one side asks for in one session (so its wants fit in one message);
/// the rest are asked for in the next session.
pub const MAX_BLOB_WANTS: usize = 32_768;

/// negentropy's frame size limit: each reconciliation message stays near 1 MiB, well within
/// [`MAX_MESSAGE_LEN`], at the cost of more rounds for very large differences.
const NEGENTROPY_FRAME_LIMIT: u64 = 1024 * 1024;

/// What the caller does next.
#[derive(Debug, Clone, PartialEq, Eq)]
#[must_use]
pub enum Step {
    /// Send these messages to the peer, in order, then wait for its next message.
    Send(Vec<Vec<u8>>),
    /// Send these messages (full parts of a large phase), then call `resume` for the next
    /// ones, without waiting for the peer: a large change set is produced a few messages at
    /// a time, never held in memory whole.
    SendAndResume(Vec<Vec<u8>>),
    /// The peer announced more parts: wait for its next message, send nothing.
    Wait,
    /// Send these messages (possibly none); the session is over and recorded.
    Done {
        /// The last messages to send.
        send: Vec<Vec<u8>>,
        /// What the session did.
        summary: SyncSummary,
    },
}

/// A violation of the protocol by the peer, or a limit of this build. Fixed messages, no
/// peer data.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ProtocolError {
    /// A message of a kind not expected at this point of the session.
    #[error("the peer sent an unexpected sync message")]
    UnexpectedMessage,
    /// A message after the session ended (or failed).
    #[error("the sync session is already over")]
    Finished,
    /// The peer named a document, case or key that is not in play in this session.
    #[error("the peer named an object that is not part of this sync")]
    UnknownObject,
    /// More reconciliation rounds or message parts than the protocol allows.
    #[error("the peer exceeded the number of sync rounds allowed")]
    TooManyRounds,
    /// The reconciliation data is malformed.
    #[error("the peer's reconciliation data is malformed")]
    Reconciliation,
    /// A roster was sent when it was not newer, or not sent when it was.
    #[error("the peer sent a roster out of turn")]
    UnexpectedRoster,
    /// One change, key, tombstone or roster is too large for a message (local limit).
    #[error("an item is too large for a sync message")]
    ItemTooLarge,
}

impl ProtocolError {
    /// A stable, machine-readable code for this error.
    pub fn code(&self) -> &'static str {
        match self {
            ProtocolError::UnexpectedMessage => "sync_unexpected_message",
            ProtocolError::Finished => "sync_finished",
            ProtocolError::UnknownObject => "sync_unknown_object",
            ProtocolError::TooManyRounds => "sync_too_many_rounds",
            ProtocolError::Reconciliation => "sync_reconciliation",
            ProtocolError::UnexpectedRoster => "sync_unexpected_roster",
            ProtocolError::ItemTooLarge => "sync_item_too_large",
        }
    }
}

/// Why a session failed. After an error the session is over: any further message is refused
/// with [`ProtocolError::Finished`].
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SyncError<E: std::error::Error + 'static> {
    /// The device's store failed (its error is the source).
    #[error("the device's store failed during sync")]
    Store(#[source] E),
    /// The store refused the newer roster the peer sent (its error is the source).
    #[error("the peer's roster was refused")]
    RosterRefused(#[source] E),
    /// The peer's bytes are not a valid message.
    #[error(transparent)]
    Wire(#[from] WireError),
    /// The peer broke the protocol, or a limit was reached.
    #[error(transparent)]
    Protocol(#[from] ProtocolError),
}

impl<E: std::error::Error + 'static> SyncError<E> {
    /// A stable, machine-readable code for this error.
    pub fn code(&self) -> &'static str {
        match self {
            SyncError::Store(_) => "sync_store",
            SyncError::RosterRefused(_) => "sync_roster_refused",
            SyncError::Wire(e) => e.code(),
            SyncError::Protocol(e) => e.code(),
        }
    }
}

type Neg = Negentropy<'static, NegentropyStorageVector>;

/// State both sides keep.
struct Common {
    peer: PeerId,
    /// What this session may move (decided by the store as it starts).
    scope: SessionScope,
    summary: SyncSummary,
    awaiting_reply: bool,
    /// This device's items by object id (the first 16 bytes of the item id).
    items: BTreeMap<ObjectId, Vec<ItemKind>>,
    /// Cases deleted (a tombstone held here or received in this session).
    dead: BTreeSet<ObjectId>,
    keys_sent: BTreeSet<ObjectId>,
    docs_sent: BTreeSet<DocRef>,
    docs_received: BTreeSet<DocRef>,
    parts: usize,
}

impl Common {
    fn new(peer: PeerId) -> Self {
        Common {
            peer,
            scope: SessionScope::Full,
            summary: SyncSummary::default(),
            awaiting_reply: false,
            items: BTreeMap::new(),
            dead: BTreeSet::new(),
            keys_sent: BTreeSet::new(),
            docs_sent: BTreeSet::new(),
            docs_received: BTreeSet::new(),
            parts: 0,
        }
    }

    /// Asks the store what this session may move (before anything else is read).
    fn decide_scope<S: SyncStore>(&mut self, store: &mut S) -> Result<(), SyncError<S::Error>> {
        self.scope = store.session_scope(&self.peer).map_err(SyncError::Store)?;
        self.summary.roster_only = self.roster_only();
        Ok(())
    }

    /// Whether this session moves only the rosters.
    fn roster_only(&self) -> bool {
        self.scope == SessionScope::RosterOnly
    }

    /// Loads the items (none in a session limited to the rosters), remembers them by object
    /// id, and makes the negentropy instance.
    fn load_items<S: SyncStore>(&mut self, store: &mut S) -> Result<Neg, SyncError<S::Error>> {
        let items = if self.roster_only() { Vec::new() } else { store.items().map_err(SyncError::Store)? };
        let mut storage = NegentropyStorageVector::with_capacity(items.len());
        for item in &items {
            storage.insert(0, Id::from_byte_array(item.id)).map_err(|_| ProtocolError::Reconciliation)?;
            self.items.entry(object_of(&item.id)).or_default().push(item.kind);
            if let ItemKind::Tombstone { case_id } = item.kind {
                self.dead.insert(case_id);
            }
        }
        storage.seal().map_err(|_| ProtocolError::Reconciliation)?;
        Ok(Negentropy::owned(storage, NEGENTROPY_FRAME_LIMIT).map_err(|_| ProtocolError::Reconciliation)?)
    }

    fn holds_tombstone(&self, id: &ObjectId) -> bool {
        self.items.get(id).is_some_and(|kinds| kinds.iter().any(|k| matches!(k, ItemKind::Tombstone { .. })))
    }

    fn holds_document(&self, id: &ObjectId) -> bool {
        self.items.get(id).is_some_and(|kinds| kinds.iter().any(|k| matches!(k, ItemKind::Document(_))))
    }

    fn incoming(&mut self, bytes: &[u8]) -> Result<Message, WireError> {
        self.summary.bytes_received += bytes.len() as u64;
        let message = Message::decode(bytes)?;
        if self.awaiting_reply {
            self.awaiting_reply = false;
            self.summary.round_trips += 1;
        }
        Ok(message)
    }

    fn outgoing(&mut self, messages: Vec<Message>, expect_reply: bool) -> Result<Vec<Vec<u8>>, ProtocolError> {
        let mut out = Vec::with_capacity(messages.len());
        for message in messages {
            let bytes = message.encode();
            if bytes.len() > MAX_MESSAGE_LEN {
                return Err(ProtocolError::ItemTooLarge);
            }
            self.summary.bytes_sent += bytes.len() as u64;
            out.push(bytes);
        }
        self.awaiting_reply = expect_reply;
        Ok(out)
    }

    fn next_part(&mut self, more: bool) -> Result<(), ProtocolError> {
        if more {
            self.parts += 1;
            if self.parts >= MAX_PARTS {
                return Err(ProtocolError::TooManyRounds);
            }
        } else {
            self.parts = 0;
        }
        Ok(())
    }

    /// Applies one received payload with one store call, and counts it.
    fn apply<S: SyncStore>(&mut self, store: &mut S, payload: Payload) -> Result<(), SyncError<S::Error>> {
        if payload.is_empty() {
            return Ok(());
        }
        let tombstones = payload.tombstones.len() as u64;
        let changes = payload.changes.iter().map(|(_, list)| list.len() as u64).sum::<u64>();
        for (doc, list) in &payload.changes {
            if !list.is_empty() {
                self.docs_received.insert(*doc);
            }
        }
        for (case_id, _) in &payload.tombstones {
            self.dead.insert(*case_id);
        }
        let incoming = Incoming {
            case_keys: payload.case_keys,
            changes: payload.changes,
            tombstones: payload.tombstones.into_iter().map(|(_, bytes)| bytes).collect(),
        };
        store.apply(&incoming).map_err(SyncError::Store)?;
        self.summary.changes_received += changes;
        self.summary.tombstones_received += tombstones;
        self.summary.documents_received = self.docs_received.len() as u64;
        Ok(())
    }

    /// Adds a document's changes (and its case key, once per session) to `packer`.
    fn pack_changes<S: SyncStore>(
        &mut self,
        store: &mut S,
        packer: &mut Packer,
        doc: &DocRef,
        their_heads: &[ChangeHash],
    ) -> Result<(), SyncError<S::Error>> {
        let changes = store.changes_since(doc, their_heads).map_err(SyncError::Store)?;
        if changes.is_empty() {
            return Ok(());
        }
        // The case key travels in the same message as the case's first changes.
        let mut key = if self.keys_sent.insert(doc.case_id) {
            Some(store.export_case_key(&doc.case_id).map_err(SyncError::Store)?)
        } else {
            None
        };
        self.summary.changes_sent += changes.len() as u64;
        self.docs_sent.insert(*doc);
        self.summary.documents_sent = self.docs_sent.len() as u64;
        for change in changes {
            let alone = wire::size::change(change.0.len());
            let continues = key.is_none() && packer.current.changes.last().is_some_and(|(last, _)| last == doc);
            if continues && packer.size + alone <= MAX_MESSAGE_LEN {
                packer.size += alone;
                if let Some((_, list)) = packer.current.changes.last_mut() {
                    list.push(change);
                }
            } else {
                let key_size = key.as_ref().map_or(0, |key| wire::size::case_key(key.wrapped.len()));
                packer.fit(key_size + wire::size::CHANGES_ENTRY + alone)?;
                packer.current.case_keys.extend(key.take());
                packer.current.changes.push((*doc, vec![change]));
            }
        }
        Ok(())
    }

    fn pack_tombstone(&mut self, packer: &mut Packer, case_id: ObjectId, bytes: Vec<u8>) -> Result<(), ProtocolError> {
        packer.fit(wire::size::tombstone(bytes.len()))?;
        packer.current.tombstones.push((case_id, bytes));
        self.summary.tombstones_sent += 1;
        Ok(())
    }

    /// Produces the next `Blobs` message: `wants` (the initiator's, in its first message),
    /// then parts of what the peer wants until the message is full. Returns it and whether
    /// every wanted part has been sent.
    fn blob_message<S: SyncStore>(
        &mut self,
        store: &mut S,
        sender: &mut BlobSender,
        wants: Vec<BlobWant>,
    ) -> Result<(Message, bool), SyncError<S::Error>> {
        let mut size = wire::size::OVERHEAD + wants.len() * wire::size::BLOB_WANT;
        let mut parts = Vec::new();
        loop {
            let part = match sender.pending.take() {
                Some(part) => part,
                None => match sender.next_part(store)? {
                    Some(part) => part,
                    None => return Ok((Message::Blobs(Blobs { more: false, wants, parts }), true)),
                },
            };
            let part_size = wire::size::blob_part(part.sealed.len());
            if wire::size::OVERHEAD + part_size > MAX_MESSAGE_LEN {
                return Err(ProtocolError::ItemTooLarge.into());
            }
            if size + part_size > MAX_MESSAGE_LEN {
                sender.pending = Some(part);
                return Ok((Message::Blobs(Blobs { more: true, wants, parts }), false));
            }
            size += part_size;
            if part.last {
                self.summary.attachments_sent += 1;
            }
            parts.push(part);
        }
    }

    /// Checks received parts against what this side asked for, then keeps them (one store
    /// call, all or nothing).
    fn receive_blobs<S: SyncStore>(
        &mut self,
        store: &mut S,
        expected: &mut BTreeMap<(ObjectId, BlobAddress), u32>,
        parts: &[BlobPart],
    ) -> Result<(), SyncError<S::Error>> {
        for part in parts {
            let key = (part.case_id, part.address);
            let next = expected.get_mut(&key).ok_or(ProtocolError::UnknownObject)?;
            if part.position != *next {
                return Err(ProtocolError::UnknownObject.into());
            }
            *next += 1;
            if part.last {
                expected.remove(&key);
            }
        }
        if !parts.is_empty() {
            self.summary.attachments_received += store.apply_blob_parts(parts).map_err(SyncError::Store)?;
        }
        Ok(())
    }

    fn finish<S: SyncStore>(&mut self, store: &mut S) -> Result<SyncSummary, SyncError<S::Error>> {
        store.record_session(&self.peer, &self.summary).map_err(SyncError::Store)?;
        Ok(self.summary.clone())
    }
}

fn object_of(id: &ItemId) -> ObjectId {
    let mut object = [0u8; 16];
    object.copy_from_slice(&id[..16]);
    object
}

/// The attachments a peer wants, produced part by part.
#[derive(Default)]
struct BlobSender {
    queue: VecDeque<BlobWant>,
    /// The attachment being sent: its want, the next position, its part count.
    current: Option<(BlobWant, u32, u32)>,
    /// A part that did not fit the last message.
    pending: Option<BlobPart>,
}

impl BlobSender {
    fn new(wants: Vec<BlobWant>) -> Self {
        BlobSender { queue: wants.into(), current: None, pending: None }
    }

    fn is_empty(&self) -> bool {
        self.queue.is_empty() && self.current.is_none() && self.pending.is_none()
    }

    /// The next part to send, skipping attachments this side does not hold.
    fn next_part<S: SyncStore>(&mut self, store: &mut S) -> Result<Option<BlobPart>, SyncError<S::Error>> {
        loop {
            if let Some((want, position, count)) = &mut self.current {
                if *position < *count {
                    let part = store.blob_part(&want.case_id, &want.address, *position).map_err(SyncError::Store)?;
                    *position += 1;
                    return Ok(Some(part));
                }
                self.current = None;
            }
            let Some(want) = self.queue.pop_front() else { return Ok(None) };
            if let Some(count) = store.blob_part_count(&want.case_id, &want.address).map_err(SyncError::Store)?
                && want.from < count
            {
                self.current = Some((want, want.from, count));
            }
        }
    }
}

/// What this side asked for: the next position of each attachment not yet complete.
fn expected_parts(wants: &[BlobWant]) -> BTreeMap<(ObjectId, BlobAddress), u32> {
    wants.iter().map(|want| ((want.case_id, want.address), want.from)).collect()
}

/// Splits wants and payload into parts that each fit in one message.
struct Packer {
    parts: Vec<(Vec<Want>, Payload)>,
    wants: Vec<Want>,
    current: Payload,
    size: usize,
}

impl Packer {
    fn new() -> Self {
        Packer { parts: Vec::new(), wants: Vec::new(), current: Payload::default(), size: wire::size::OVERHEAD }
    }

    /// Makes room for `len` more bytes, starting a new part if needed.
    fn fit(&mut self, len: usize) -> Result<(), ProtocolError> {
        if wire::size::OVERHEAD + len > MAX_MESSAGE_LEN {
            return Err(ProtocolError::ItemTooLarge);
        }
        if self.size + len > MAX_MESSAGE_LEN {
            self.parts.push((std::mem::take(&mut self.wants), std::mem::take(&mut self.current)));
            self.size = wire::size::OVERHEAD;
        }
        self.size += len;
        Ok(())
    }

    fn want(&mut self, doc: DocRef, heads: Vec<ChangeHash>) -> Result<(), ProtocolError> {
        self.fit(wire::size::want(heads.len()))?;
        self.wants.push((doc, heads));
        Ok(())
    }

    /// The parts completed so far (more follow each of them).
    fn take_full(&mut self) -> Vec<(bool, Vec<Want>, Payload)> {
        std::mem::take(&mut self.parts).into_iter().map(|(wants, payload)| (true, wants, payload)).collect()
    }

    /// The parts, at least one (possibly empty), each flagged whether more follow.
    fn finish(mut self) -> Vec<(bool, Vec<Want>, Payload)> {
        self.parts.push((self.wants, self.current));
        let last = self.parts.len() - 1;
        self.parts.into_iter().enumerate().map(|(i, (wants, payload))| (i < last, wants, payload)).collect()
    }
}

fn same_heads(a: &[ChangeHash], b: &[ChangeHash]) -> bool {
    let a: BTreeSet<_> = a.iter().collect();
    let b: BTreeSet<_> = b.iter().collect();
    a == b
}

enum InitiatorState {
    AwaitHelloReply,
    Reconciling,
    AwaitChanges {
        first: bool,
    },
    /// Producing the Final parts (`resume`).
    SendingFinal,
    AwaitAck,
    /// Producing the Blobs parts (`resume`).
    SendingBlobs,
    /// Waiting for the attachments this side asked for.
    AwaitBlobs,
    Over,
}

/// The side that starts a session and drives it.
pub struct Initiator {
    common: Common,
    state: InitiatorState,
    negentropy: Neg,
    rounds: usize,
    roster: Option<(u64, Vec<u8>)>,
    roster_to_send: Option<Vec<u8>>,
    have: BTreeSet<ItemId>,
    need: BTreeSet<ItemId>,
    /// The object ids in play, with the document as held here (if held).
    in_play: BTreeMap<ObjectId, Option<DocRef>>,
    /// What the responder wants, one entry per document (a repeat replaces the earlier one);
    /// consumed while the Final parts are produced.
    wants: BTreeMap<DocRef, Vec<ChangeHash>>,
    packer: Packer,
    /// The attachments the responder wants, being sent.
    blob_sender: BlobSender,
    /// This side's wants, sent in its first Blobs message.
    blob_wants: Vec<BlobWant>,
    /// The attachments this side asked for, still incomplete.
    blobs_expected: BTreeMap<(ObjectId, BlobAddress), u32>,
}

impl Initiator {
    /// Starts a session with `peer`: reads the roster version and the items, and returns the
    /// first message ([`Hello`]) to send.
    pub fn start<S: SyncStore>(store: &mut S, peer: PeerId) -> Result<(Initiator, Vec<u8>), SyncError<S::Error>> {
        let mut common = Common::new(peer);
        common.decide_scope(store)?;
        let roster = store.roster().map_err(SyncError::Store)?;
        let mut negentropy = common.load_items(store)?;
        let reconcile = negentropy.initiate().map_err(|_| ProtocolError::Reconciliation)?;
        let hello = Message::Hello(Hello { roster_version: roster.as_ref().map(|(v, _)| *v), reconcile });
        let mut out = common.outgoing(vec![hello], true)?;
        let bytes = out.pop().ok_or(ProtocolError::UnexpectedMessage)?;
        let initiator = Initiator {
            common,
            state: InitiatorState::AwaitHelloReply,
            negentropy,
            rounds: 0,
            roster,
            roster_to_send: None,
            have: BTreeSet::new(),
            need: BTreeSet::new(),
            in_play: BTreeMap::new(),
            wants: BTreeMap::new(),
            packer: Packer::new(),
            blob_sender: BlobSender::default(),
            blob_wants: Vec::new(),
            blobs_expected: BTreeMap::new(),
        };
        Ok((initiator, bytes))
    }

    /// Handles the peer's next message.
    pub fn receive<S: SyncStore>(&mut self, store: &mut S, bytes: &[u8]) -> Result<Step, SyncError<S::Error>> {
        if matches!(self.state, InitiatorState::Over) {
            return Err(ProtocolError::Finished.into());
        }
        let result = self.step(store, bytes);
        if matches!(result, Err(_) | Ok(Step::Done { .. })) {
            self.state = InitiatorState::Over;
        }
        result
    }

    /// Produces the next messages after [`Step::SendAndResume`].
    pub fn resume<S: SyncStore>(&mut self, store: &mut S) -> Result<Step, SyncError<S::Error>> {
        let result = match self.state {
            InitiatorState::SendingFinal => self.pump(store),
            InitiatorState::SendingBlobs => self.pump_blobs(store),
            InitiatorState::Over => return Err(ProtocolError::Finished.into()),
            _ => Err(ProtocolError::UnexpectedMessage.into()),
        };
        if matches!(result, Err(_) | Ok(Step::Done { .. })) {
            self.state = InitiatorState::Over;
        }
        result
    }

    fn step<S: SyncStore>(&mut self, store: &mut S, bytes: &[u8]) -> Result<Step, SyncError<S::Error>> {
        let message = self.common.incoming(bytes)?;
        match (&self.state, message) {
            (InitiatorState::AwaitHelloReply, Message::HelloReply(reply)) => {
                let mine = self.roster.as_ref().map(|(v, _)| *v);
                match (reply.roster_version > mine, reply.roster) {
                    (true, Some(roster)) => {
                        store.accept_roster(&roster).map_err(SyncError::RosterRefused)?;
                        self.common.summary.roster_updated = true;
                    }
                    (false, None) => {
                        if mine > reply.roster_version {
                            self.roster_to_send = self.roster.take().map(|(_, bytes)| bytes);
                        }
                    }
                    _ => return Err(ProtocolError::UnexpectedRoster.into()),
                }
                if self.common.roster_only() {
                    // Nothing to compare: offer nothing (the roster, if this side's is newer).
                    return self.offer(store);
                }
                self.reconcile(store, &reply.reconcile)
            }
            (InitiatorState::Reconciling, Message::ReconcileReply(reply)) => self.reconcile(store, &reply.reconcile),
            (InitiatorState::AwaitChanges { .. }, Message::Changes(changes)) => {
                self.state = InitiatorState::AwaitChanges { first: false };
                self.on_changes(store, changes)
            }
            (InitiatorState::AwaitAck, Message::Changes(changes)) => {
                // The responder's answer to documents it could only compute after the Final.
                self.common.next_part(changes.more)?;
                if !changes.wants.is_empty() || !changes.payload.tombstones.is_empty() {
                    return Err(ProtocolError::UnexpectedMessage.into());
                }
                check_payload(&changes.payload, |doc| self.in_play.get(&doc.doc_id) == Some(&Some(*doc)))?;
                self.common.apply(store, changes.payload)?;
                Ok(Step::Wait)
            }
            (InitiatorState::AwaitChanges { first: true }, Message::Ack(ack))
            | (InitiatorState::AwaitAck, Message::Ack(ack)) => {
                if ack.wants.len() > MAX_BLOB_WANTS {
                    return Err(ProtocolError::TooManyRounds.into());
                }
                // Every document is in on both sides: what each lacks of attachments is known.
                if self.common.roster_only() {
                    // No attachment moves in a session limited to the rosters.
                    self.state = InitiatorState::SendingBlobs;
                    return self.pump_blobs(store);
                }
                self.blob_sender = BlobSender::new(ack.wants);
                self.blob_wants = store.missing_blobs(MAX_BLOB_WANTS).map_err(SyncError::Store)?;
                self.blob_wants.truncate(MAX_BLOB_WANTS);
                self.blobs_expected = expected_parts(&self.blob_wants);
                self.state = InitiatorState::SendingBlobs;
                self.pump_blobs(store)
            }
            (InitiatorState::AwaitBlobs, Message::Blobs(blobs)) => {
                self.common.next_part(blobs.more)?;
                if !blobs.wants.is_empty() {
                    return Err(ProtocolError::UnexpectedMessage.into());
                }
                self.common.receive_blobs(store, &mut self.blobs_expected, &blobs.parts)?;
                if blobs.more {
                    return Ok(Step::Wait);
                }
                let summary = self.common.finish(store)?;
                Ok(Step::Done { send: Vec::new(), summary })
            }
            _ => Err(ProtocolError::UnexpectedMessage.into()),
        }
    }

    fn reconcile<S: SyncStore>(&mut self, store: &mut S, bytes: &[u8]) -> Result<Step, SyncError<S::Error>> {
        self.rounds += 1;
        if self.rounds > MAX_RECONCILE_ROUNDS {
            return Err(ProtocolError::TooManyRounds.into());
        }
        let (mut have, mut need) = (Vec::new(), Vec::new());
        let next =
            self.negentropy.reconcile_with_ids(bytes, &mut have, &mut need).map_err(|_| ProtocolError::Reconciliation)?;
        self.have.extend(have.iter().map(|id| id.to_bytes()));
        self.need.extend(need.iter().map(|id| id.to_bytes()));
        match next {
            Some(reconcile) => {
                self.state = InitiatorState::Reconciling;
                let message = Message::Reconcile(Reconcile { roster: self.roster_to_send.take(), reconcile });
                Ok(Step::Send(self.common.outgoing(vec![message], true)?))
            }
            None => self.offer(store),
        }
    }

    /// Names every differing object: heads for documents held here, tombstones the peer lacks.
    fn offer<S: SyncStore>(&mut self, store: &mut S) -> Result<Step, SyncError<S::Error>> {
        let ids: BTreeSet<ObjectId> = self.have.iter().chain(self.need.iter()).map(object_of).collect();
        let mut parts = vec![Offer { roster: self.roster_to_send.take(), ..Offer::default() }];
        let mut size = wire::size::OVERHEAD + parts[0].roster.as_ref().map_or(0, |r| 4 + r.len());
        if size > MAX_MESSAGE_LEN {
            return Err(ProtocolError::ItemTooLarge.into());
        }
        for id in ids {
            let mut entry = None;
            let mut tombstone = None;
            if self.common.holds_tombstone(&id) {
                self.in_play.insert(id, None);
                match store.tombstone(&id).map_err(SyncError::Store)? {
                    Some(bytes) => tombstone = Some(bytes),
                    None => entry = Some(OfferEntry { object_id: id, held: None }),
                }
            } else {
                let held = if self.common.holds_document(&id) { store.heads(&id).map_err(SyncError::Store)? } else { None };
                self.in_play.insert(id, held.as_ref().map(|(doc, _)| *doc));
                entry =
                    Some(OfferEntry { object_id: id, held: held.map(|(doc, heads)| Held { case_id: doc.case_id, heads }) });
            }
            let entry_size = match (&entry, &tombstone) {
                (Some(entry), _) => wire::size::offer_entry(entry.held.as_ref().map(|held| held.heads.len())),
                (None, Some(bytes)) => wire::size::tombstone(bytes.len()),
                (None, None) => 0,
            };
            if wire::size::OVERHEAD + entry_size > MAX_MESSAGE_LEN {
                return Err(ProtocolError::ItemTooLarge.into());
            }
            if size + entry_size > MAX_MESSAGE_LEN {
                parts.push(Offer::default());
                size = wire::size::OVERHEAD;
            }
            size += entry_size;
            let part = parts.last_mut().ok_or(ProtocolError::UnexpectedMessage)?;
            part.entries.extend(entry);
            if let Some(bytes) = tombstone {
                part.tombstones.push((id, bytes));
                self.common.summary.tombstones_sent += 1;
            }
        }
        let last = parts.len() - 1;
        let messages =
            parts.into_iter().enumerate().map(|(i, part)| Message::Offer(Offer { more: i < last, ..part })).collect();
        self.state = InitiatorState::AwaitChanges { first: true };
        Ok(Step::Send(self.common.outgoing(messages, true)?))
    }

    fn on_changes<S: SyncStore>(&mut self, store: &mut S, changes: Changes) -> Result<Step, SyncError<S::Error>> {
        self.common.next_part(changes.more)?;
        for (doc, _) in &changes.wants {
            if self.in_play.get(&doc.doc_id) != Some(&Some(*doc)) {
                return Err(ProtocolError::UnknownObject.into());
            }
        }
        check_payload(&changes.payload, |doc| match self.in_play.get(&doc.doc_id) {
            Some(Some(mine)) => mine == doc,
            Some(None) => true,
            None => false,
        })?;
        for (case_id, _) in &changes.payload.tombstones {
            if !self.in_play.contains_key(case_id) {
                return Err(ProtocolError::UnknownObject.into());
            }
        }
        self.wants.extend(changes.wants);
        self.common.apply(store, changes.payload)?;
        if changes.more {
            return Ok(Step::Wait);
        }
        self.state = InitiatorState::SendingFinal;
        self.pump(store)
    }

    /// Sends the attachments the responder wants, a message at a time, this side's own wants
    /// in the first; ends the session when it wants nothing, or waits for the answer.
    fn pump_blobs<S: SyncStore>(&mut self, store: &mut S) -> Result<Step, SyncError<S::Error>> {
        // Only the first message carries the wants; the answer comes after the last.
        let wants = std::mem::take(&mut self.blob_wants);
        let (message, finished) = self.common.blob_message(store, &mut self.blob_sender, wants)?;
        if !finished {
            return Ok(Step::SendAndResume(self.common.outgoing(vec![message], false)?));
        }
        if !self.blobs_expected.is_empty() {
            self.state = InitiatorState::AwaitBlobs;
            return Ok(Step::Send(self.common.outgoing(vec![message], true)?));
        }
        let send = self.common.outgoing(vec![message], false)?;
        let summary = self.common.finish(store)?;
        Ok(Step::Done { send, summary })
    }

    /// Packs wanted documents until a part is full (send it and resume) or none is left
    /// (send the rest and wait for the Ack).
    fn pump<S: SyncStore>(&mut self, store: &mut S) -> Result<Step, SyncError<S::Error>> {
        let final_message = |(more, _, payload)| Message::Final(Final { more, payload });
        while let Some((doc, heads)) = self.wants.pop_first() {
            if self.common.dead.contains(&doc.case_id) {
                continue;
            }
            self.common.pack_changes(store, &mut self.packer, &doc, &heads)?;
            let full = self.packer.take_full();
            if !full.is_empty() {
                let messages = full.into_iter().map(final_message).collect();
                return Ok(Step::SendAndResume(self.common.outgoing(messages, false)?));
            }
        }
        let messages = std::mem::replace(&mut self.packer, Packer::new()).finish().into_iter().map(final_message).collect();
        self.state = InitiatorState::AwaitAck;
        Ok(Step::Send(self.common.outgoing(messages, true)?))
    }
}

/// Checks that every document in a payload is acceptable and that every case key belongs to
/// a case whose changes the same payload carries.
fn check_payload(payload: &Payload, mut acceptable: impl FnMut(&DocRef) -> bool) -> Result<(), ProtocolError> {
    let mut cases = BTreeSet::new();
    for (doc, _) in &payload.changes {
        if !acceptable(doc) {
            return Err(ProtocolError::UnknownObject);
        }
        cases.insert(doc.case_id);
    }
    if payload.case_keys.iter().any(|key| !cases.contains(&key.case_id)) {
        return Err(ProtocolError::UnknownObject);
    }
    Ok(())
}

enum ResponderState {
    AwaitHello,
    Reconciling,
    CollectingOffer,
    /// Producing the Changes parts (`resume`).
    SendingChanges,
    AwaitFinal,
    /// Waiting for the initiator's Blobs messages.
    AwaitBlobs {
        /// Whether the next is its first (the only one that may carry its wants).
        first: bool,
    },
    /// Producing the Blobs parts (`resume`).
    SendingBlobs,
    Over,
}

/// The side that answers a session.
pub struct Responder {
    common: Common,
    state: ResponderState,
    negentropy: Option<Neg>,
    rounds: usize,
    expect_roster: bool,
    roster_checked: bool,
    /// The offered objects, one entry per object id (a repeat replaces the earlier one).
    entries: BTreeMap<ObjectId, Option<Held>>,
    /// Cases whose tombstone the initiator sent (it has them; never send them back).
    their_tombstones: BTreeSet<ObjectId>,
    wants: BTreeSet<DocRef>,
    packer: Packer,
    /// Whether a Changes part went out already (then the phase cannot end with a bare Ack).
    sent_changes: bool,
    /// Documents offered at heads this side does not hold: answered after the Final, when
    /// what the initiator lacks can be computed exactly (see [`SyncStore::holds_heads`]).
    deferred: Vec<(DocRef, Vec<ChangeHash>)>,
    /// The attachments this side asked for in its Ack, still incomplete.
    blobs_expected: BTreeMap<(ObjectId, BlobAddress), u32>,
    /// The attachments the initiator wants, being sent.
    blob_sender: BlobSender,
}

impl Responder {
    /// A responder waiting for `peer`'s [`Hello`].
    pub fn new(peer: PeerId) -> Responder {
        Responder {
            common: Common::new(peer),
            state: ResponderState::AwaitHello,
            negentropy: None,
            rounds: 0,
            expect_roster: false,
            roster_checked: false,
            entries: BTreeMap::new(),
            their_tombstones: BTreeSet::new(),
            wants: BTreeSet::new(),
            packer: Packer::new(),
            sent_changes: false,
            deferred: Vec::new(),
            blobs_expected: BTreeMap::new(),
            blob_sender: BlobSender::default(),
        }
    }

    /// Handles the peer's next message.
    pub fn receive<S: SyncStore>(&mut self, store: &mut S, bytes: &[u8]) -> Result<Step, SyncError<S::Error>> {
        if matches!(self.state, ResponderState::Over) {
            return Err(ProtocolError::Finished.into());
        }
        let result = self.step(store, bytes);
        if matches!(result, Err(_) | Ok(Step::Done { .. })) {
            self.state = ResponderState::Over;
        }
        result
    }

    /// Produces the next messages after [`Step::SendAndResume`].
    pub fn resume<S: SyncStore>(&mut self, store: &mut S) -> Result<Step, SyncError<S::Error>> {
        let result = match self.state {
            ResponderState::SendingChanges => self.pump(store),
            ResponderState::SendingBlobs => self.pump_blobs(store),
            ResponderState::Over => return Err(ProtocolError::Finished.into()),
            _ => Err(ProtocolError::UnexpectedMessage.into()),
        };
        if matches!(result, Err(_) | Ok(Step::Done { .. })) {
            self.state = ResponderState::Over;
        }
        result
    }

    fn step<S: SyncStore>(&mut self, store: &mut S, bytes: &[u8]) -> Result<Step, SyncError<S::Error>> {
        let message = self.common.incoming(bytes)?;
        match (&self.state, message) {
            (ResponderState::AwaitHello, Message::Hello(hello)) => {
                self.common.decide_scope(store)?;
                let roster = store.roster().map_err(SyncError::Store)?;
                let mine = roster.as_ref().map(|(v, _)| *v);
                self.expect_roster = hello.roster_version > mine;
                let mut negentropy = self.common.load_items(store)?;
                let reconcile = self.reconcile(&mut negentropy, &hello.reconcile)?;
                self.negentropy = Some(negentropy);
                let roster = if mine > hello.roster_version { roster.map(|(_, bytes)| bytes) } else { None };
                let reply = Message::HelloReply(HelloReply { roster_version: mine, roster, reconcile });
                self.state = ResponderState::Reconciling;
                Ok(Step::Send(self.common.outgoing(vec![reply], true)?))
            }
            (ResponderState::Reconciling, Message::Reconcile(message)) => {
                self.take_roster(store, message.roster)?;
                let mut negentropy = self.negentropy.take().ok_or(ProtocolError::UnexpectedMessage)?;
                let reconcile = self.reconcile(&mut negentropy, &message.reconcile);
                self.negentropy = Some(negentropy);
                let reply = Message::ReconcileReply(ReconcileReply { reconcile: reconcile? });
                Ok(Step::Send(self.common.outgoing(vec![reply], true)?))
            }
            (ResponderState::Reconciling, Message::Offer(offer)) => {
                self.negentropy = None;
                self.take_roster(store, offer.roster.clone())?;
                self.on_offer(store, offer)
            }
            (ResponderState::CollectingOffer, Message::Offer(offer)) => {
                self.take_roster(store, offer.roster.clone())?;
                self.on_offer(store, offer)
            }
            (ResponderState::AwaitFinal, Message::Final(message)) => {
                self.common.next_part(message.more)?;
                if !message.payload.tombstones.is_empty() {
                    return Err(ProtocolError::UnknownObject.into());
                }
                check_payload(&message.payload, |doc| self.wants.contains(doc))?;
                self.common.apply(store, message.payload)?;
                if message.more {
                    return Ok(Step::Wait);
                }
                self.answer_deferred(store)
            }
            (ResponderState::AwaitBlobs { first }, Message::Blobs(blobs)) => {
                if !*first && !blobs.wants.is_empty() || blobs.wants.len() > MAX_BLOB_WANTS {
                    return Err(ProtocolError::UnexpectedMessage.into());
                }
                if *first && !self.common.roster_only() {
                    self.blob_sender = BlobSender::new(blobs.wants);
                }
                self.state = ResponderState::AwaitBlobs { first: false };
                self.common.next_part(blobs.more)?;
                self.common.receive_blobs(store, &mut self.blobs_expected, &blobs.parts)?;
                if blobs.more {
                    return Ok(Step::Wait);
                }
                if self.blob_sender.is_empty() {
                    let summary = self.common.finish(store)?;
                    return Ok(Step::Done { send: Vec::new(), summary });
                }
                self.state = ResponderState::SendingBlobs;
                self.pump_blobs(store)
            }
            _ => Err(ProtocolError::UnexpectedMessage.into()),
        }
    }

    fn reconcile<E: std::error::Error + 'static>(
        &mut self,
        negentropy: &mut Neg,
        bytes: &[u8],
    ) -> Result<Vec<u8>, SyncError<E>> {
        self.rounds += 1;
        if self.rounds > MAX_RECONCILE_ROUNDS {
            return Err(ProtocolError::TooManyRounds.into());
        }
        Ok(negentropy.reconcile(bytes).map_err(|_| ProtocolError::Reconciliation)?)
    }

    /// The initiator's roster, expected in its first message after [`HelloReply`] exactly
    /// when it is newer, and nowhere else.
    fn take_roster<S: SyncStore>(&mut self, store: &mut S, roster: Option<Vec<u8>>) -> Result<(), SyncError<S::Error>> {
        let first = !self.roster_checked;
        self.roster_checked = true;
        match (first && self.expect_roster, roster) {
            (true, Some(bytes)) => {
                store.accept_roster(&bytes).map_err(SyncError::RosterRefused)?;
                self.common.summary.roster_updated = true;
                Ok(())
            }
            (false, None) => Ok(()),
            _ => Err(ProtocolError::UnexpectedRoster.into()),
        }
    }

    fn on_offer<S: SyncStore>(&mut self, store: &mut S, offer: Offer) -> Result<Step, SyncError<S::Error>> {
        self.state = ResponderState::CollectingOffer;
        self.common.next_part(offer.more)?;
        if self.common.roster_only() {
            // The peer does not know: its entries and tombstones are dropped unread, and the
            // answer is an Ack that asks for nothing.
            if offer.more {
                return Ok(Step::Wait);
            }
            self.state = ResponderState::SendingChanges;
            return self.acknowledge(store, Vec::new());
        }
        for (case_id, _) in &offer.tombstones {
            self.their_tombstones.insert(*case_id);
        }
        self.entries.extend(offer.entries.into_iter().map(|entry| (entry.object_id, entry.held)));
        self.common.apply(store, Payload { tombstones: offer.tombstones, ..Payload::default() })?;
        if offer.more {
            return Ok(Step::Wait);
        }
        self.state = ResponderState::SendingChanges;
        self.pump(store)
    }

    /// Answers offered objects until a part is full (send it and resume) or none is left
    /// (send the rest and wait for the Final, or end with an Ack if there was nothing).
    fn pump<S: SyncStore>(&mut self, store: &mut S) -> Result<Step, SyncError<S::Error>> {
        let changes_message = |(more, wants, payload)| Message::Changes(Changes { more, wants, payload });
        while let Some((id, theirs)) = self.entries.pop_first() {
            self.answer(store, id, theirs)?;
            let full = self.packer.take_full();
            if !full.is_empty() {
                self.sent_changes = true;
                let messages = full.into_iter().map(changes_message).collect();
                return Ok(Step::SendAndResume(self.common.outgoing(messages, false)?));
            }
        }
        let parts = std::mem::replace(&mut self.packer, Packer::new()).finish();
        if !self.sent_changes
            && let [(_, wants, payload)] = parts.as_slice()
            && wants.is_empty()
            && payload.is_empty()
        {
            return self.acknowledge(store, Vec::new());
        }
        let messages = parts.into_iter().map(changes_message).collect();
        self.state = ResponderState::AwaitFinal;
        Ok(Step::Send(self.common.outgoing(messages, true)?))
    }

    /// Adds what one offered object calls for: R's tombstone, R's changes, a want.
    fn answer<S: SyncStore>(
        &mut self,
        store: &mut S,
        id: ObjectId,
        theirs: Option<Held>,
    ) -> Result<(), SyncError<S::Error>> {
        let packer = &mut self.packer;
        if self.common.holds_tombstone(&id) {
            if !self.their_tombstones.contains(&id)
                && let Some(bytes) = store.tombstone(&id).map_err(SyncError::Store)?
            {
                self.common.pack_tombstone(packer, id, bytes)?;
            }
            return Ok(());
        }
        let held = if self.common.holds_document(&id) { store.heads(&id).map_err(SyncError::Store)? } else { None };
        match (held, theirs) {
            (Some((doc, _)), _) if self.common.dead.contains(&doc.case_id) => {}
            (Some((doc, _)), None) => self.common.pack_changes(store, packer, &doc, &[])?,
            (Some((doc, mine)), Some(theirs)) => {
                if theirs.case_id != doc.case_id || same_heads(&mine, &theirs.heads) {
                    return Ok(());
                }
                if store.holds_heads(&doc, &theirs.heads).map_err(SyncError::Store)? {
                    self.common.pack_changes(store, packer, &doc, &theirs.heads)?;
                } else {
                    // The initiator holds changes this side lacks: computed now, the answer
                    // would be a superset (often the whole history). It follows the Final.
                    self.deferred.push((doc, theirs.heads));
                }
                let named = store.want_hashes(&doc, &mine).map_err(SyncError::Store)?;
                packer.want(doc, named)?;
                self.wants.insert(doc);
            }
            (None, Some(theirs)) if !self.common.dead.contains(&theirs.case_id) => {
                let doc = DocRef { case_id: theirs.case_id, doc_id: id };
                packer.want(doc, Vec::new())?;
                self.wants.insert(doc);
            }
            (None, _) => {}
        }
        Ok(())
    }

    /// Every document is in: sends `before` and the Ack naming the attachments this side
    /// lacks, and waits for the initiator's Blobs.
    fn acknowledge<S: SyncStore>(&mut self, store: &mut S, before: Vec<Message>) -> Result<Step, SyncError<S::Error>> {
        let mut wants = if self.common.roster_only() {
            Vec::new()
        } else {
            store.missing_blobs(MAX_BLOB_WANTS).map_err(SyncError::Store)?
        };
        wants.truncate(MAX_BLOB_WANTS);
        self.blobs_expected = expected_parts(&wants);
        let mut messages = before;
        messages.push(Message::Ack(Ack { wants }));
        self.state = ResponderState::AwaitBlobs { first: true };
        Ok(Step::Send(self.common.outgoing(messages, true)?))
    }

    /// Sends the attachments the initiator wants, a message at a time; the last ends the
    /// session.
    fn pump_blobs<S: SyncStore>(&mut self, store: &mut S) -> Result<Step, SyncError<S::Error>> {
        let (message, finished) = self.common.blob_message(store, &mut self.blob_sender, Vec::new())?;
        if !finished {
            return Ok(Step::SendAndResume(self.common.outgoing(vec![message], false)?));
        }
        let send = self.common.outgoing(vec![message], false)?;
        let summary = self.common.finish(store)?;
        Ok(Step::Done { send, summary })
    }

    /// After the Final: the deferred documents' changes, now exact (this side holds everything
    /// the initiator had), as Changes parts without wants, then the Ack; all in the same batch,
    /// so no round trip is added.
    fn answer_deferred<S: SyncStore>(&mut self, store: &mut S) -> Result<Step, SyncError<S::Error>> {
        if self.deferred.is_empty() {
            return self.acknowledge(store, Vec::new());
        }
        let mut packer = Packer::new();
        for (doc, their_heads) in std::mem::take(&mut self.deferred) {
            if self.common.dead.contains(&doc.case_id) {
                continue;
            }
            self.common.pack_changes(store, &mut packer, &doc, &their_heads)?;
        }
        let mut messages: Vec<Message> = packer
            .finish()
            .into_iter()
            .filter(|(_, _, payload)| !payload.is_empty())
            .map(|(more, wants, payload)| Message::Changes(Changes { more, wants, payload }))
            .collect();
        // The last Changes part ends the phase; an empty answer sends none.
        if let Some(Message::Changes(last)) = messages.last_mut() {
            last.more = false;
        }
        self.acknowledge(store, messages)
    }
}

/// Either side of a session, for a driver that treats both alike once the session is under way
/// (a transport, a bundle writer, a test harness).
pub enum Side {
    /// The side that started the session.
    Initiator(Initiator),
    /// The side that answered.
    Responder(Responder),
}

impl Side {
    /// Handles the peer's next message (see [`Initiator::receive`], [`Responder::receive`]).
    pub fn receive<S: SyncStore>(&mut self, store: &mut S, bytes: &[u8]) -> Result<Step, SyncError<S::Error>> {
        match self {
            Side::Initiator(initiator) => initiator.receive(store, bytes),
            Side::Responder(responder) => responder.receive(store, bytes),
        }
    }

    /// Produces the next messages after [`Step::SendAndResume`].
    pub fn resume<S: SyncStore>(&mut self, store: &mut S) -> Result<Step, SyncError<S::Error>> {
        match self {
            Side::Initiator(initiator) => initiator.resume(store),
            Side::Responder(responder) => responder.resume(store),
        }
    }
}
