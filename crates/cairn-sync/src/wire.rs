//! The sync messages and their byte format, hand-written and validated.
//!
//! # Layout
//!
//! Every message is `version (u8) ‖ kind (u8) ‖ body`. Integers are little-endian; a count or a
//! length is a `u32`; an option is a byte `0` (absent) or `1` (present) and then the value; a
//! flag is a byte `0` or `1`; a byte string is its `u32` length and then its bytes. Ids are
//! fixed 16 bytes, change hashes 32 bytes, a [`DocRef`] is its case id then its document id.
//!
//! Decoding refuses, with a specific [`WireError`] and before allocating anything that a count
//! announces: a message longer than [`MAX_MESSAGE_LEN`]; a version other than
//! [`WIRE_VERSION`]; an unknown kind; a count or length that the remaining bytes cannot hold;
//! a flag or option byte other than 0 or 1; trailing bytes. Whatever decodes re-encodes to the
//! same bytes.
//!
//! # Bodies, by kind
//!
//! | kind | message | body |
//! |---|---|---|
//! | `0x01` | [`Hello`] | roster version (option u64), negentropy bytes |
//! | `0x02` | [`HelloReply`] | roster version (option u64), roster (option bytes), negentropy bytes |
//! | `0x03` | [`Reconcile`] | roster (option bytes), negentropy bytes |
//! | `0x04` | [`ReconcileReply`] | negentropy bytes |
//! | `0x05` | [`Offer`] | more (flag), roster (option bytes), entries, tombstones |
//! | `0x06` | [`Changes`] | more (flag), wants, payload |
//! | `0x07` | [`Final`] | more (flag), payload |
//! | `0x08` | [`Ack`] | blob wants |
//! | `0x09` | [`Blobs`] | more (flag), blob wants, blob parts |
//!
//! - entries: count, then per entry: object id, option (case id, heads).
//! - heads: count, then 32-byte hashes.
//! - tombstones: count, then per tombstone: case id, bytes.
//! - wants: count, then per want: [`DocRef`], heads.
//! - payload: case keys (count, then per key: case id, bytes), changes (count, then per entry:
//!   [`DocRef`], count, then per change: bytes), tombstones.
//! - blob wants: count, then per want: case id, address (32 bytes), first part wanted (u32).
//! - blob parts: count, then per part: case id, address, position (u32), last (flag), bytes.
//!
//! Version 2 added the attachment phase (`Ack` carries blob wants; `Blobs`); version 1 never
//! left development, so nothing reads it.

use crate::store::{BlobPart, BlobWant, CaseKeyWrap, ChangeHash, DocRef, ObjectId, SealedChange};

/// The format version this build writes and reads (the first byte of every message). It is
/// also the sync protocol version: a peer speaking another version is refused at its first
/// message.
pub const WIRE_VERSION: u8 = 2;

/// The largest message this build sends or accepts, in bytes (4 MiB). A hostile peer cannot
/// make a device allocate more than this per message.
pub const MAX_MESSAGE_LEN: usize = 4 * 1024 * 1024;

const KIND_HELLO: u8 = 0x01;
const KIND_HELLO_REPLY: u8 = 0x02;
const KIND_RECONCILE: u8 = 0x03;
const KIND_RECONCILE_REPLY: u8 = 0x04;
const KIND_OFFER: u8 = 0x05;
const KIND_CHANGES: u8 = 0x06;
const KIND_FINAL: u8 = 0x07;
const KIND_ACK: u8 = 0x08;
const KIND_BLOBS: u8 = 0x09;

/// Why bytes are not a valid message. Messages are fixed sentences with no peer data.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum WireError {
    /// The message is longer than [`MAX_MESSAGE_LEN`].
    #[error("the sync message is too large")]
    TooLarge,
    /// The message is empty or ends before what it announces.
    #[error("the sync message is truncated")]
    Truncated,
    /// The message is of a format version this build does not speak.
    #[error("the sync message has an unsupported format version")]
    UnsupportedVersion {
        /// The version found.
        version: u8,
    },
    /// The message kind is not one this build knows.
    #[error("the sync message has an unknown kind")]
    UnknownKind,
    /// A flag or option byte is neither 0 nor 1.
    #[error("the sync message has an invalid flag")]
    InvalidFlag,
    /// Bytes follow the end of the message.
    #[error("the sync message has trailing bytes")]
    TrailingBytes,
}

impl WireError {
    /// A stable, machine-readable code for this error.
    pub fn code(&self) -> &'static str {
        match self {
            WireError::TooLarge => "sync_message_too_large",
            WireError::Truncated => "sync_message_truncated",
            WireError::UnsupportedVersion { .. } => "sync_unsupported_version",
            WireError::UnknownKind => "sync_unknown_message_kind",
            WireError::InvalidFlag => "sync_invalid_flag",
            WireError::TrailingBytes => "sync_trailing_bytes",
        }
    }
}

/// The initiator's first message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hello {
    /// The version of the roster the initiator holds (`None`: none).
    pub roster_version: Option<u64>,
    /// The first negentropy message over the initiator's items.
    pub reconcile: Vec<u8>,
}

/// The responder's answer to [`Hello`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HelloReply {
    /// The version of the roster the responder holds (`None`: none).
    pub roster_version: Option<u64>,
    /// The responder's signed roster, present exactly when it is newer than the initiator's.
    pub roster: Option<Vec<u8>>,
    /// The negentropy answer.
    pub reconcile: Vec<u8>,
}

/// A further reconciliation round from the initiator.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reconcile {
    /// The initiator's roster, present exactly in the initiator's second message when its
    /// roster is newer than the responder's.
    pub roster: Option<Vec<u8>>,
    /// The next negentropy message.
    pub reconcile: Vec<u8>,
}

/// The responder's answer to [`Reconcile`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReconcileReply {
    /// The negentropy answer.
    pub reconcile: Vec<u8>,
}

/// A document the responder wants the initiator's changes of, with the responder's heads
/// (empty when it does not hold the document).
pub type Want = (DocRef, Vec<ChangeHash>);

/// A document as the initiator holds it: its case and heads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Held {
    /// The case it belongs to.
    pub case_id: ObjectId,
    /// Its current heads.
    pub heads: Vec<ChangeHash>,
}

/// One differing object id in an [`Offer`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OfferEntry {
    /// The object id (the first 16 bytes of a differing item id).
    pub object_id: ObjectId,
    /// The document as the initiator holds it (`None`: it does not).
    pub held: Option<Held>,
}

/// The initiator's naming of every object that differs, in one or more parts.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Offer {
    /// More parts follow (the responder answers only the last).
    pub more: bool,
    /// As in [`Reconcile::roster`] (only ever in the first part).
    pub roster: Option<Vec<u8>>,
    /// Each differing object id, with the document's case and heads if the initiator holds it.
    pub entries: Vec<OfferEntry>,
    /// The initiator's tombstones the responder lacks: case id and signed tombstone.
    pub tombstones: Vec<(ObjectId, Vec<u8>)>,
}

/// What one message carries for the store (see [`crate::Incoming`]).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Payload {
    /// Case keys, each before the first changes of its case.
    pub case_keys: Vec<CaseKeyWrap>,
    /// Sealed changes per document.
    pub changes: Vec<(DocRef, Vec<SealedChange>)>,
    /// Tombstones: case id and signed tombstone.
    pub tombstones: Vec<(ObjectId, Vec<u8>)>,
}

impl Payload {
    /// Whether it carries nothing.
    pub fn is_empty(&self) -> bool {
        self.case_keys.is_empty() && self.changes.is_empty() && self.tombstones.is_empty()
    }
}

/// The responder's answer to the [`Offer`], in one or more parts.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Changes {
    /// More parts follow.
    pub more: bool,
    /// Documents the responder wants the initiator's changes of.
    pub wants: Vec<Want>,
    /// The responder's changes and tombstones the initiator lacks.
    pub payload: Payload,
}

/// The initiator's changes the responder asked for, in one or more parts.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Final {
    /// More parts follow.
    pub more: bool,
    /// The changes (no tombstones: the initiator sent them in its [`Offer`]).
    pub payload: Payload,
}

/// The responder's last word on the documents: everything applied, and the attachments it
/// lacks (referenced by documents it now holds).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Ack {
    /// The attachments the responder wants, each from the first part it lacks.
    pub wants: Vec<BlobWant>,
}

/// Attachment parts, in one or more messages per side: the initiator's answer to the
/// [`Ack`]'s wants (its own wants in the first part), then the responder's answer to those.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Blobs {
    /// More parts follow.
    pub more: bool,
    /// The sender's own wants (only in the initiator's first message).
    pub wants: Vec<BlobWant>,
    /// Parts of wanted attachments, in order.
    pub parts: Vec<BlobPart>,
}

/// One sync message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Message {
    /// Initiator → responder, first.
    Hello(Hello),
    /// Responder → initiator.
    HelloReply(HelloReply),
    /// Initiator → responder, further reconciliation.
    Reconcile(Reconcile),
    /// Responder → initiator.
    ReconcileReply(ReconcileReply),
    /// Initiator → responder: the differing objects.
    Offer(Offer),
    /// Responder → initiator: its changes and what it wants.
    Changes(Changes),
    /// Initiator → responder: the changes it wanted.
    Final(Final),
    /// Responder → initiator: every document applied; the attachments it wants.
    Ack(Ack),
    /// Both ways: attachment parts.
    Blobs(Blobs),
}

impl Message {
    /// A fixed name for the kind (for errors and logs; no content).
    pub fn kind_name(&self) -> &'static str {
        match self {
            Message::Hello(_) => "hello",
            Message::HelloReply(_) => "hello_reply",
            Message::Reconcile(_) => "reconcile",
            Message::ReconcileReply(_) => "reconcile_reply",
            Message::Offer(_) => "offer",
            Message::Changes(_) => "changes",
            Message::Final(_) => "final",
            Message::Ack(_) => "ack",
            Message::Blobs(_) => "blobs",
        }
    }

    /// Encodes the message. The engine keeps every message it sends within
    /// [`MAX_MESSAGE_LEN`]; this function itself does not check.
    pub fn encode(&self) -> Vec<u8> {
        let mut w = Writer(Vec::new());
        w.u8(WIRE_VERSION);
        match self {
            Message::Hello(m) => {
                w.u8(KIND_HELLO);
                w.opt_u64(m.roster_version);
                w.bytes(&m.reconcile);
            }
            Message::HelloReply(m) => {
                w.u8(KIND_HELLO_REPLY);
                w.opt_u64(m.roster_version);
                w.opt_bytes(m.roster.as_deref());
                w.bytes(&m.reconcile);
            }
            Message::Reconcile(m) => {
                w.u8(KIND_RECONCILE);
                w.opt_bytes(m.roster.as_deref());
                w.bytes(&m.reconcile);
            }
            Message::ReconcileReply(m) => {
                w.u8(KIND_RECONCILE_REPLY);
                w.bytes(&m.reconcile);
            }
            Message::Offer(m) => {
                w.u8(KIND_OFFER);
                w.flag(m.more);
                w.opt_bytes(m.roster.as_deref());
                w.count(m.entries.len());
                for entry in &m.entries {
                    w.raw(&entry.object_id);
                    match &entry.held {
                        None => w.u8(0),
                        Some(held) => {
                            w.u8(1);
                            w.raw(&held.case_id);
                            w.heads(&held.heads);
                        }
                    }
                }
                w.tombstones(&m.tombstones);
            }
            Message::Changes(m) => {
                w.u8(KIND_CHANGES);
                w.flag(m.more);
                w.count(m.wants.len());
                for (doc, heads) in &m.wants {
                    w.doc(doc);
                    w.heads(heads);
                }
                w.payload(&m.payload);
            }
            Message::Final(m) => {
                w.u8(KIND_FINAL);
                w.flag(m.more);
                w.payload(&m.payload);
            }
            Message::Ack(m) => {
                w.u8(KIND_ACK);
                w.blob_wants(&m.wants);
            }
            Message::Blobs(m) => {
                w.u8(KIND_BLOBS);
                w.flag(m.more);
                w.blob_wants(&m.wants);
                w.count(m.parts.len());
                for part in &m.parts {
                    w.raw(&part.case_id);
                    w.raw(&part.address);
                    w.raw(&part.position.to_le_bytes());
                    w.flag(part.last);
                    w.bytes(&part.sealed);
                }
            }
        }
        w.0
    }

    /// Decodes one message, refusing anything malformed (see the module doc). Never panics.
    pub fn decode(bytes: &[u8]) -> Result<Message, WireError> {
        if bytes.len() > MAX_MESSAGE_LEN {
            return Err(WireError::TooLarge);
        }
        let mut r = Reader { bytes, position: 0 };
        let version = r.u8()?;
        if version != WIRE_VERSION {
            return Err(WireError::UnsupportedVersion { version });
        }
        let message = match r.u8()? {
            KIND_HELLO => Message::Hello(Hello { roster_version: r.opt_u64()?, reconcile: r.bytes()? }),
            KIND_HELLO_REPLY => Message::HelloReply(HelloReply {
                roster_version: r.opt_u64()?,
                roster: r.opt_bytes()?,
                reconcile: r.bytes()?,
            }),
            KIND_RECONCILE => Message::Reconcile(Reconcile { roster: r.opt_bytes()?, reconcile: r.bytes()? }),
            KIND_RECONCILE_REPLY => Message::ReconcileReply(ReconcileReply { reconcile: r.bytes()? }),
            KIND_OFFER => {
                let more = r.flag()?;
                let roster = r.opt_bytes()?;
                // An entry is at least an id and an option byte.
                let count = r.count(16 + 1)?;
                let mut entries = Vec::with_capacity(count);
                for _ in 0..count {
                    let object_id = r.array::<16>()?;
                    let held = if r.flag()? { Some(Held { case_id: r.array()?, heads: r.heads()? }) } else { None };
                    entries.push(OfferEntry { object_id, held });
                }
                let tombstones = r.tombstones()?;
                Message::Offer(Offer { more, roster, entries, tombstones })
            }
            KIND_CHANGES => {
                let more = r.flag()?;
                let count = r.count(32 + 4)?;
                let mut wants = Vec::with_capacity(count);
                for _ in 0..count {
                    wants.push((r.doc()?, r.heads()?));
                }
                let payload = r.payload()?;
                Message::Changes(Changes { more, wants, payload })
            }
            KIND_FINAL => Message::Final(Final { more: r.flag()?, payload: r.payload()? }),
            KIND_ACK => Message::Ack(Ack { wants: r.blob_wants()? }),
            KIND_BLOBS => {
                let more = r.flag()?;
                let wants = r.blob_wants()?;
                let count = r.count(size::BLOB_PART_ENTRY)?;
                let mut parts = Vec::with_capacity(count);
                for _ in 0..count {
                    parts.push(BlobPart {
                        case_id: r.array()?,
                        address: r.array()?,
                        position: u32::from_le_bytes(r.array()?),
                        last: r.flag()?,
                        sealed: r.bytes()?,
                    });
                }
                Message::Blobs(Blobs { more, wants, parts })
            }
            _ => return Err(WireError::UnknownKind),
        };
        if r.position != bytes.len() {
            return Err(WireError::TrailingBytes);
        }
        Ok(message)
    }
}

/// Exact encoded sizes, for splitting large change sets into messages that fit.
pub(crate) mod size {
    /// Version, kind, flag and the counts of the largest message shape, rounded up.
    pub(crate) const OVERHEAD: usize = 64;
    /// A case key.
    pub(crate) fn case_key(wrapped_len: usize) -> usize {
        16 + 4 + wrapped_len
    }
    /// A new changes entry (doc ref and count), without its changes.
    pub(crate) const CHANGES_ENTRY: usize = 32 + 4;
    /// One change within an entry.
    pub(crate) fn change(len: usize) -> usize {
        4 + len
    }
    /// A tombstone.
    pub(crate) fn tombstone(len: usize) -> usize {
        16 + 4 + len
    }
    /// A want.
    pub(crate) fn want(heads: usize) -> usize {
        32 + 4 + 32 * heads
    }
    /// A blob want.
    pub(crate) const BLOB_WANT: usize = 16 + 32 + 4;
    /// A blob part entry, without its bytes.
    pub(crate) const BLOB_PART_ENTRY: usize = 16 + 32 + 4 + 1 + 4;
    /// A blob part.
    pub(crate) fn blob_part(len: usize) -> usize {
        BLOB_PART_ENTRY + len
    }
    /// An offer entry.
    pub(crate) fn offer_entry(heads: Option<usize>) -> usize {
        16 + 1 + heads.map_or(0, |n| 16 + 4 + 32 * n)
    }
}

struct Writer(Vec<u8>);

impl Writer {
    fn u8(&mut self, value: u8) {
        self.0.push(value);
    }
    fn flag(&mut self, value: bool) {
        self.0.push(u8::from(value));
    }
    fn raw(&mut self, bytes: &[u8]) {
        self.0.extend_from_slice(bytes);
    }
    fn count(&mut self, count: usize) {
        // Counts and lengths are below MAX_MESSAGE_LEN in any message the engine sends.
        let count = u32::try_from(count).unwrap_or(u32::MAX);
        self.0.extend_from_slice(&count.to_le_bytes());
    }
    fn bytes(&mut self, bytes: &[u8]) {
        self.count(bytes.len());
        self.raw(bytes);
    }
    fn opt_u64(&mut self, value: Option<u64>) {
        match value {
            None => self.u8(0),
            Some(v) => {
                self.u8(1);
                self.raw(&v.to_le_bytes());
            }
        }
    }
    fn opt_bytes(&mut self, value: Option<&[u8]>) {
        match value {
            None => self.u8(0),
            Some(v) => {
                self.u8(1);
                self.bytes(v);
            }
        }
    }
    fn doc(&mut self, doc: &DocRef) {
        self.raw(&doc.case_id);
        self.raw(&doc.doc_id);
    }
    fn heads(&mut self, heads: &[ChangeHash]) {
        self.count(heads.len());
        for head in heads {
            self.raw(head);
        }
    }
    fn tombstones(&mut self, tombstones: &[(ObjectId, Vec<u8>)]) {
        self.count(tombstones.len());
        for (case_id, bytes) in tombstones {
            self.raw(case_id);
            self.bytes(bytes);
        }
    }
    fn blob_wants(&mut self, wants: &[BlobWant]) {
        self.count(wants.len());
        for want in wants {
            self.raw(&want.case_id);
            self.raw(&want.address);
            self.raw(&want.from.to_le_bytes());
        }
    }
    fn payload(&mut self, payload: &Payload) {
        self.count(payload.case_keys.len());
        for key in &payload.case_keys {
            self.raw(&key.case_id);
            self.bytes(&key.wrapped);
        }
        self.count(payload.changes.len());
        for (doc, changes) in &payload.changes {
            self.doc(doc);
            self.count(changes.len());
            for change in changes {
                self.bytes(&change.0);
            }
        }
        self.tombstones(&payload.tombstones);
    }
}

/// A bounds-checked reader: every read succeeds or reports truncation; nothing indexes past
/// the end, and no count is trusted before the remaining bytes could hold it.
struct Reader<'a> {
    bytes: &'a [u8],
    position: usize,
}

impl<'a> Reader<'a> {
    fn remaining(&self) -> usize {
        self.bytes.len() - self.position
    }
    fn take(&mut self, len: usize) -> Result<&'a [u8], WireError> {
        if self.remaining() < len {
            return Err(WireError::Truncated);
        }
        let slice = &self.bytes[self.position..self.position + len];
        self.position += len;
        Ok(slice)
    }
    fn array<const N: usize>(&mut self) -> Result<[u8; N], WireError> {
        let mut out = [0u8; N];
        out.copy_from_slice(self.take(N)?);
        Ok(out)
    }
    fn u8(&mut self) -> Result<u8, WireError> {
        Ok(self.array::<1>()?[0])
    }
    fn flag(&mut self) -> Result<bool, WireError> {
        match self.u8()? {
            0 => Ok(false),
            1 => Ok(true),
            _ => Err(WireError::InvalidFlag),
        }
    }
    fn u32(&mut self) -> Result<usize, WireError> {
        usize::try_from(u32::from_le_bytes(self.array()?)).map_err(|_| WireError::TooLarge)
    }
    /// A count of elements each at least `min_size` bytes, checked against what remains.
    fn count(&mut self, min_size: usize) -> Result<usize, WireError> {
        let count = self.u32()?;
        if count.checked_mul(min_size).is_none_or(|need| need > self.remaining()) {
            return Err(WireError::Truncated);
        }
        Ok(count)
    }
    fn bytes(&mut self) -> Result<Vec<u8>, WireError> {
        let len = self.count(1)?;
        Ok(self.take(len)?.to_vec())
    }
    fn opt_u64(&mut self) -> Result<Option<u64>, WireError> {
        Ok(if self.flag()? { Some(u64::from_le_bytes(self.array()?)) } else { None })
    }
    fn opt_bytes(&mut self) -> Result<Option<Vec<u8>>, WireError> {
        Ok(if self.flag()? { Some(self.bytes()?) } else { None })
    }
    fn doc(&mut self) -> Result<DocRef, WireError> {
        Ok(DocRef { case_id: self.array()?, doc_id: self.array()? })
    }
    fn heads(&mut self) -> Result<Vec<ChangeHash>, WireError> {
        let count = self.count(32)?;
        let mut heads = Vec::with_capacity(count);
        for _ in 0..count {
            heads.push(self.array()?);
        }
        Ok(heads)
    }
    fn tombstones(&mut self) -> Result<Vec<(ObjectId, Vec<u8>)>, WireError> {
        let count = self.count(16 + 4)?;
        let mut tombstones = Vec::with_capacity(count);
        for _ in 0..count {
            tombstones.push((self.array()?, self.bytes()?));
        }
        Ok(tombstones)
    }
    fn blob_wants(&mut self) -> Result<Vec<BlobWant>, WireError> {
        let count = self.count(size::BLOB_WANT)?;
        let mut wants = Vec::with_capacity(count);
        for _ in 0..count {
            wants.push(BlobWant { case_id: self.array()?, address: self.array()?, from: u32::from_le_bytes(self.array()?) });
        }
        Ok(wants)
    }
    fn payload(&mut self) -> Result<Payload, WireError> {
        let count = self.count(16 + 4)?;
        let mut case_keys = Vec::with_capacity(count);
        for _ in 0..count {
            case_keys.push(CaseKeyWrap { case_id: self.array()?, wrapped: self.bytes()? });
        }
        let count = self.count(32 + 4)?;
        let mut changes = Vec::with_capacity(count);
        for _ in 0..count {
            let doc = self.doc()?;
            let n = self.count(4)?;
            let mut list = Vec::with_capacity(n);
            for _ in 0..n {
                list.push(SealedChange(self.bytes()?));
            }
            changes.push((doc, list));
        }
        let tombstones = self.tombstones()?;
        Ok(Payload { case_keys, changes, tombstones })
    }
}
