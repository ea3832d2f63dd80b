//! Live sync over TCP (DESIGN §5, "Transports"): the Noise handshake of `cairn-crypto`, the
//! roster check on both sides, and length-prefixed frames carrying application messages of any
//! size up to a limit.
//!
//! This crate moves bytes and names no primitive: every key and every Noise message comes from
//! `cairn-crypto` ([`NoiseHandshake`](cairn_crypto::NoiseHandshake)). It decides nothing about
//! what the bytes mean; the sync engine (`cairn-sync`) does, and it applies each received
//! message atomically, so a link that drops mid-message leaves nothing half-done: the partly
//! received message is simply discarded here and sent again next time.
//!
//! # Wire format
//!
//! ```text
//! frame    = length (u16, big-endian, 1..=65535) ‖ one Noise message of that length
//! handshake: 3 frames (Noise_XXpsk0: initiator, responder, initiator), empty payloads
//! accept   = 1 transport frame, responder to initiator, plaintext [ACCEPT]
//! message  = transport frames whose plaintexts are [MORE] ‖ up to 65,518 bytes, …,
//!            then [FINAL] ‖ up to 65,518 bytes
//! ```
//!
//! # Who learns what
//!
//! - A stranger (no team psk) connecting to a responder: the responder reads message 1, cannot
//!   authenticate it, and closes without writing a byte.
//! - The initiator checks the responder's static key against the roster after message 2. If the
//!   roster refuses it, the initiator closes without sending message 3, so an unauthorized
//!   responder never learns the initiator's static key nor receives any data.
//! - The responder checks the initiator's key after message 3. Only then does it send `ACCEPT`;
//!   the initiator's [`connect`] waits for it, so no application data leaves the initiator
//!   before both checks passed, and a refused initiator sees the connection closed.
//! - The refusing side returns [`NetError::PeerUnknown`] or [`NetError::PeerRevoked`]; the
//!   refused side sees [`NetError::ClosedByPeer`]. Errors never name the peer or its keys.
//!
//! Every read (and write) has a timeout: [`NetConfig::handshake_timeout`] until the channel is
//! up, [`NetConfig::idle_timeout`] afterwards.
//!
//! Not hidden: an observer of the link sees a TCP connection, the frame lengths (48, 96 and 64
//! bytes for the handshake) and the timing. A prober that sends 2 + n bytes and sees the close
//! right after could guess that lengths are read; hiding that (obfs4-style padding, reading on
//! until a timeout before closing) is not done here.
#![deny(unsafe_code)]

mod channel;
pub mod discovery;
mod error;
mod frame;
mod session;

pub use channel::{
    Authorize, AuthorizedPeer, DEFAULT_MAX_MESSAGE_LEN, NET_PROLOGUE, NetConfig, PeerId, Refusal, SecureChannel, accept,
    accept_stream, connect,
};
pub use error::NetError;
pub use frame::FRAGMENT_DATA_LEN;
pub use session::{SessionError, sync_as_initiator, sync_as_responder};
