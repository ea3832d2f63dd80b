//! Cairn's sync engine, sans-IO: messages in, messages out (DESIGN §5). No sockets, no files,
//! no clock. Storage is behind [`SyncStore`], which `cairn-core` implements over the vault;
//! transports (`cairn-net` for live links, bundles for USB sticks) carry the messages.
//!
//! # Use
//!
//! The initiator calls [`Initiator::start`] and sends the bytes it returns; the responder
//! makes a [`Responder::new`]. Each side feeds every message it receives to `receive`, which
//! returns a [`Step`]: messages to send before waiting for the peer (`Send`); messages to send
//! before calling `resume` for more (`SendAndResume`: a large change set is produced a few
//! 4 MiB messages at a time, never held whole); `Wait` (the peer announced more parts); or
//! `Done` with the last messages to send and the [`SyncSummary`] (already given to
//! [`SyncStore::record_session`]). Any error ends the session; so does a message after `Done`.
//! Messages must reach the peer in order (a reliable stream, or a bundle that keeps them in
//! order).
//!
//! # The protocol, message by message
//!
//! The byte format of each message is in [`wire`]. Every message starts with the format
//! version ([`wire::WIRE_VERSION`], which is also the protocol version) and a kind byte; no
//! message exceeds [`wire::MAX_MESSAGE_LEN`]. "I" is the initiator, "R" the responder.
//!
//! 1. **I → R `Hello`**: I's roster version and negentropy's first message over I's items
//!    (from [`SyncStore::items`]; every timestamp 0, the 32-byte item ids as the store gives
//!    them).
//! 2. **R → I `HelloReply`**: R's roster version, R's roster bytes when R's is newer
//!    (I calls [`SyncStore::accept_roster`]; a refusal ends the session with
//!    [`SyncError::RosterRefused`]), and negentropy's answer. When I's roster is newer, I
//!    puts its roster bytes in its next message (`Reconcile` or the first `Offer` part) and R
//!    accepts it the same way before anything else.
//! 3. **I → R `Reconcile` / R → I `ReconcileReply`**, repeated while negentropy needs more
//!    rounds (at most [`MAX_RECONCILE_ROUNDS`]). Only I learns which items differ: `have`
//!    (I holds them, R does not) and `need` (the reverse). A changed document shows in both,
//!    with different ids.
//! 4. **I → R `Offer`** (one or more parts; `more` set on all but the last): every differing
//!    object id (the first 16 bytes of each differing item id), each with I's case id and heads
//!    ([`SyncStore::heads`]) when I holds the document; and I's tombstones
//!    ([`SyncStore::tombstone`]) for the differing tombstone items, which R applies on arrival.
//!    Unchanged documents are never named, so `heads` is called only for differing ones.
//! 5. **R → I `Changes`** (one or more parts), answering the last `Offer` part. Per object
//!    named: if R holds its tombstone (and I did not send it), the tombstone; if R holds the
//!    document and its case is not deleted on either side, the changes I lacks
//!    ([`SyncStore::changes_since`] I's heads; all of them when I does not hold it) and, when
//!    I holds it with other heads, a *want* naming R's heads and a few recent ancestors
//!    ([`SyncStore::want_hashes`], so I's answer stays exact when I does not know R's newest
//!    changes); if only I holds it, a want with no heads. When I's heads include changes R
//!    does not hold ([`SyncStore::holds_heads`]), R sends only the want now: computed now, its
//!    answer would be a superset, often the whole history. The case key ([`SyncStore::export_case_key`]) travels once per case per
//!    session, before that case's first changes. If there is nothing to send or want, R
//!    answers `Ack` instead and the session ends.
//! 6. **I → R `Final`** (one or more parts): for every want, the changes R lacks
//!    (`changes_since` R's heads), unless the case was deleted meanwhile; possibly empty.
//! 7. **R → I `Changes`… `Ack`**: R applied everything; for the documents it deferred in 5 it
//!    now holds all of I's changes, so it sends exactly what I lacks (`Changes` parts without
//!    wants, in the same batch as the `Ack`: no round trip is added). The `Ack` names the
//!    attachments R lacks ([`SyncStore::missing_blobs`]: referenced by documents R now holds,
//!    content not held, each from the first part R has not received yet).
//! 8. **I → R `Blobs`** (one or more parts): I's own missing attachments (first part only),
//!    then the parts R wants, in order ([`SyncStore::blob_part`]; attachments I does not hold
//!    are skipped). If I wants nothing, I is done after its last part; R, after applying it.
//! 9. **R → I `Blobs`** (one or more parts, no wants): the parts I wants; both are done.
//!
//! Attachments thus travel after the documents that reference them, part by part (each part
//! kept on arrival with [`SyncStore::apply_blob_parts`], checked whole when its last part is
//! in), and a session cut short resumes at the first missing part: nothing is sent twice. A
//! session where neither side lacks an attachment adds one message (I's empty `Blobs`) and
//! no round trip.
//!
//! Each received message's keys, changes and tombstones are applied with one
//! [`SyncStore::apply`] call (all or nothing). Large sets are split into parts that each fit a
//! message (at most [`MAX_PARTS`] per phase). A small difference takes 3–4 round trips:
//! Hello/HelloReply, zero or one further negentropy round, Offer/Changes, Final/Ack
//! (measured: 10 changed among 10,000 documents, 4 round trips and about 12 KB in all).
//! negentropy needs about one more round each time the archive grows sixteenfold, and more
//! when a difference exceeds its frame limit (1 MiB per message).
//!
//! A session limited to the rosters ([`SessionScope::RosterOnly`], decided by the store for the
//! peer as the session starts: a device whose roster has expired with a peer that is not HQ)
//! runs the same messages with nothing in them but the rosters. The limited side reads no
//! items (its `Hello` or its reconciliation answer is over an empty set); as initiator it
//! sends its `Offer` right after the `HelloReply`, naming nothing, and answers the `Ack` with
//! an empty `Blobs`; as responder it drops the `Offer`'s entries and tombstones unread and
//! answers with an `Ack` naming no attachment. The roster steps (2) are unchanged, so a newer
//! roster still arrives; the next session, with the scope it then gets, syncs the rest.
//!
//! Validation: a message of an unexpected kind, a part of an attachment not asked for or out
//! of order, a roster out of turn, a document, case key or
//! tombstone outside what is in play (for I: the ids it offered; for R: the documents it
//! wanted), too many rounds or parts, or malformed negentropy data is a [`ProtocolError`].
//! R cannot check I's reconciliation, so R only answers for objects it holds and treats an
//! `Offer` naming other objects as harmless.
#![deny(unsafe_code)]

mod engine;
pub mod store;
pub mod wire;

#[cfg(test)]
mod golden;
#[cfg(test)]
mod testing;
#[cfg(test)]
mod tests;

pub use engine::{
    Initiator, MAX_BLOB_WANTS, MAX_PARTS, MAX_RECONCILE_ROUNDS, ProtocolError, Responder, Side, Step, SyncError,
};
pub use store::{
    BlobAddress, BlobPart, BlobWant, CaseKeyWrap, ChangeHash, DocRef, Incoming, Item, ItemId, ItemKind, ObjectId, PeerId,
    SealedChange, SessionScope, SyncStore, SyncSummary,
};
pub use wire::WireError;
