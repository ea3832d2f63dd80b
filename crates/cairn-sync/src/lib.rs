//! Cairn's sync engine, sans-IO: messages in, messages out (DESIGN §5). No sockets, no files,
//! no clock. Storage is behind [`SyncStore`], which `cairn-core` implements over the vault;
//! transports (`cairn-net` for live links, bundles for USB sticks) carry the messages.
#![deny(unsafe_code)]

pub mod store;

pub use store::{
    CaseKeyWrap, ChangeHash, DocRef, Incoming, Item, ItemId, ItemKind, ObjectId, PeerId, SealedChange, SyncStore,
    SyncSummary,
};
