//! The Noise handshake and transport of live sync, sans-IO: bytes in, bytes out. `snow` is
//! named here and nowhere else; `cairn-net` moves the bytes over TCP.
//!
//! # Pattern: `Noise_XXpsk0_25519_ChaChaPoly_BLAKE2s`
//!
//! ```text
//! -> psk, e                 message 1 (initiator): 32-byte ephemeral ‖ AEAD(empty payload)
//! <- e, ee, s, es           message 2 (responder): its static key, encrypted
//! -> s, se                  message 3 (initiator): its static key, encrypted
//! ```
//!
//! DESIGN §5 asks that "a live connection from a device without the team secret fails without
//! revealing that it reached Cairn or any static key". Plain XX fails that: message 2 carries
//! the responder's static key encrypted under a key from `ee` alone, so anyone who sends a
//! message 1 learns it. The psk position decides who can read it:
//!
//! - `psk3` (the usual `XXpsk3`) mixes the psk only after message 2: the responder answers any
//!   stranger, and its static key is readable by them. Refused.
//! - `psk2` mixes it at the end of message 2, after `s` was already encrypted: the same leak.
//! - `psk1` and `psk0` mix it in message 1, so message 1's payload is authenticated under a key
//!   that needs the psk, and every later key (the one encrypting the responder's `s` too)
//!   depends on it. `psk0` mixes it first (before `e`, which psk modes also mix into the key),
//!   so it is the simplest to reason about: no key of the handshake is ever independent of the
//!   team secret. Chosen.
//!
//! The responder therefore reads message 1 and, if its tag does not verify under any psk it
//! holds, closes without writing a byte: a stranger learns nothing but that something accepted
//! a TCP connection and read 48 bytes. A replayed message 1 gets a message 2 that only a
//! holder of the psk can read. The psk does not identify a device (every member and, for one
//! epoch, a revoked device holds it): identity is the static key, checked against the roster
//! by the caller after message 2 (initiator) and message 3 (responder).
//!
//! # The psk and the "one epoch behind" path
//!
//! The psk of epoch *n* is HKDF-SHA256(ikm = team key of epoch *n*, info =
//! `"cairn/noise-psk/v1"` ‖ org id[16] ‖ epoch (u32 LE)) ([`crate::TeamKey::noise_psk`]).
//! No epoch number travels in the clear (it would be metadata): the initiator uses one psk
//! (its newest), and the responder is built with every psk it accepts, newest first (its
//! current epoch and the previous one), and tries each on message 1 (one AEAD check each, no
//! Diffie-Hellman). [`NoiseHandshake::psk_index`] tells which matched, so a responder knows its
//! peer is behind and the sync protocol sends it the newer roster. The reverse case (the
//! responder is behind) is the initiator's to handle: it reconnects once with its previous
//! epoch's psk (cairn-net does).
//!
//! # Static keys
//!
//! The Noise static key is the device's X25519 agreement key ([`AgreementSecretKey`]), the one
//! the roster already lists and binds to the device, so the roster check needs no second key.
//! That key also opens sealed team keys; both uses feed the X25519 output only into their own
//! domain-separated hash chains (HKDF with `"cairn/team-key-seal/v1"`, the Noise chaining key
//! seeded with the protocol name), and neither returns a raw shared secret, so neither can
//! serve as an oracle for the other. A remote static key must parse as an
//! [`AgreementPublicKey`] (canonical, not of small order) or the handshake fails.
//!
//! # Limits
//!
//! One Noise message is at most [`NOISE_MAX_MESSAGE_LEN`] bytes, so a transport message
//! carries at most [`NOISE_MAX_PAYLOAD_LEN`] bytes of plaintext; splitting larger messages
//! belongs to cairn-net. After any failed read the state refuses further use: a stream that
//! delivered one bad message is not trusted again.
//!
//! # What is zeroized
//!
//! Our own secrets (the psk, the agreement key) are zeroized when dropped. `snow` 0.10 copies
//! the static key, the psk, the ephemeral key, the chaining key and the cipher keys into plain
//! arrays that it does not zeroize; they live in heap boxes owned by [`NoiseHandshake`] and
//! [`NoiseTransport`] and are freed when those drop. A zeroizing `CryptoResolver` (our own
//! X25519/ChaCha20-Poly1305/BLAKE2s behind snow's traits) would close most of that gap.

use secrecy::{ExposeSecret, SecretBox};
use thiserror::Error;

use crate::{AgreementPublicKey, AgreementSecretKey};

/// The Noise protocol name: pattern, DH, cipher and hash.
pub const NOISE_PROTOCOL: &str = "Noise_XXpsk0_25519_ChaChaPoly_BLAKE2s";
/// The largest Noise message (handshake or transport), including its 16-byte tag.
pub const NOISE_MAX_MESSAGE_LEN: usize = 65_535;
/// The largest plaintext one transport message carries.
pub const NOISE_MAX_PAYLOAD_LEN: usize = NOISE_MAX_MESSAGE_LEN - NOISE_TAG_LEN;
/// The authentication tag every encrypted Noise payload carries.
pub const NOISE_TAG_LEN: usize = 16;
/// Length of a pre-shared key.
pub const NOISE_PSK_LEN: usize = 32;

/// The Noise pre-shared key of one team epoch ([`crate::TeamKey::noise_psk`]). Not `Clone`,
/// not printable; zeroized when dropped.
pub struct NoisePsk(SecretBox<[u8; NOISE_PSK_LEN]>);

impl NoisePsk {
    pub(crate) fn from_bytes(bytes: &[u8; NOISE_PSK_LEN]) -> Self {
        Self(SecretBox::new(Box::new(*bytes)))
    }

    fn bytes(&self) -> &[u8; NOISE_PSK_LEN] {
        self.0.expose_secret()
    }
}

impl std::fmt::Debug for NoisePsk {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("NoisePsk(<redacted>)")
    }
}

/// What can go wrong in a handshake or on a channel. No variant carries key material, message
/// bytes or anything about the peer; [`NoiseError::code`] is stable.
#[derive(Debug, Error, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum NoiseError {
    /// A handshake message did not verify (another team secret, altered or truncated bytes,
    /// an invalid static key) or the state had already failed.
    #[error("the secure handshake failed")]
    HandshakeFailed,
    /// A message was written or read out of turn (or after the handshake ended).
    #[error("a secure channel message was used out of turn")]
    OutOfTurn,
    /// The payload or message is larger than one Noise message allows.
    #[error("the message is larger than one secure channel message allows")]
    TooLarge,
    /// A transport message failed authentication (altered, reordered, replayed or
    /// truncated), or the channel had already failed.
    #[error("a secure channel message failed authentication")]
    Decrypt,
    /// The channel used every nonce; reconnect.
    #[error("the secure channel is exhausted; reconnect")]
    Exhausted,
    /// The handshake could not be set up (no psk given, or an internal parameter error).
    #[error("the secure handshake could not be set up")]
    Setup,
}

impl NoiseError {
    /// A stable, machine-readable code for this error.
    pub fn code(&self) -> &'static str {
        match self {
            NoiseError::HandshakeFailed => "handshake_failed",
            NoiseError::OutOfTurn => "noise_out_of_turn",
            NoiseError::TooLarge => "noise_too_large",
            NoiseError::Decrypt => "noise_decrypt_failed",
            NoiseError::Exhausted => "noise_exhausted",
            NoiseError::Setup => "noise_setup",
        }
    }
}

fn write_error(error: snow::Error) -> NoiseError {
    match error {
        snow::Error::Input => NoiseError::TooLarge,
        snow::Error::State(snow::error::StateProblem::Exhausted) => NoiseError::Exhausted,
        snow::Error::State(_) => NoiseError::OutOfTurn,
        _ => NoiseError::Setup,
    }
}

enum Stage {
    /// A responder before message 1: one state per psk it accepts, newest first.
    Candidates(Vec<snow::HandshakeState>),
    Running(Box<snow::HandshakeState>),
    Failed,
}

/// One side of a `Noise_XXpsk0_25519_ChaChaPoly_BLAKE2s` handshake, as a state machine: the
/// initiator writes message 1, reads 2, writes 3; the responder reads 1, writes 2, reads 3.
pub struct NoiseHandshake {
    stage: Stage,
    psk_index: Option<usize>,
}

impl std::fmt::Debug for NoiseHandshake {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("NoiseHandshake(<redacted>)")
    }
}

fn build(
    local_static: &AgreementSecretKey,
    psk: &NoisePsk,
    prologue: &[u8],
    initiator: bool,
    fixed_ephemeral: Option<&[u8; 32]>,
) -> Result<snow::HandshakeState, NoiseError> {
    let params: snow::params::NoiseParams = NOISE_PROTOCOL.parse().map_err(|_| NoiseError::Setup)?;
    let mut builder = snow::Builder::new(params)
        .local_private_key(local_static.secret_bytes())
        .and_then(|b| b.psk(0, psk.bytes()))
        .and_then(|b| b.prologue(prologue))
        .map_err(|_| NoiseError::Setup)?;
    if let Some(ephemeral) = fixed_ephemeral {
        builder = builder.fixed_ephemeral_key_for_testing_only(ephemeral);
    }
    let state = if initiator { builder.build_initiator() } else { builder.build_responder() };
    state.map_err(|_| NoiseError::Setup)
}

impl NoiseHandshake {
    /// The initiator (the side that connects), with its device key, its newest epoch's psk,
    /// and the prologue both sides must agree on (hashed, never sent).
    pub fn initiator(local_static: &AgreementSecretKey, psk: &NoisePsk, prologue: &[u8]) -> Result<Self, NoiseError> {
        Self::initiator_inner(local_static, psk, prologue, None)
    }

    fn initiator_inner(
        local_static: &AgreementSecretKey,
        psk: &NoisePsk,
        prologue: &[u8],
        fixed_ephemeral: Option<&[u8; 32]>,
    ) -> Result<Self, NoiseError> {
        let state = build(local_static, psk, prologue, true, fixed_ephemeral)?;
        Ok(Self { stage: Stage::Running(Box::new(state)), psk_index: Some(0) })
    }

    /// The responder (the side that accepts), with its device key, every psk it accepts
    /// newest first (its current epoch, then the previous one), and the prologue.
    pub fn responder(
        local_static: &AgreementSecretKey,
        psk_candidates: &[&NoisePsk],
        prologue: &[u8],
    ) -> Result<Self, NoiseError> {
        Self::responder_inner(local_static, psk_candidates, prologue, None)
    }

    fn responder_inner(
        local_static: &AgreementSecretKey,
        psk_candidates: &[&NoisePsk],
        prologue: &[u8],
        fixed_ephemeral: Option<&[u8; 32]>,
    ) -> Result<Self, NoiseError> {
        if psk_candidates.is_empty() {
            return Err(NoiseError::Setup);
        }
        let states = psk_candidates
            .iter()
            .map(|psk| build(local_static, psk, prologue, false, fixed_ephemeral))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Self { stage: Stage::Candidates(states), psk_index: None })
    }

    /// Writes the next handshake message, carrying `payload` (encrypted in every message of
    /// this pattern; usually empty).
    pub fn write_message(&mut self, payload: &[u8]) -> Result<Vec<u8>, NoiseError> {
        let Stage::Running(state) = &mut self.stage else {
            return Err(match self.stage {
                Stage::Failed => NoiseError::HandshakeFailed,
                _ => NoiseError::OutOfTurn,
            });
        };
        if payload.len() > NOISE_MAX_PAYLOAD_LEN {
            return Err(NoiseError::TooLarge);
        }
        let mut out = vec![0u8; NOISE_MAX_MESSAGE_LEN];
        let len = state.write_message(payload, &mut out).map_err(write_error)?;
        out.truncate(len);
        Ok(out)
    }

    /// Reads the peer's next handshake message and returns its payload. Any failure ends the
    /// handshake: later calls fail too.
    pub fn read_message(&mut self, message: &[u8]) -> Result<Vec<u8>, NoiseError> {
        match self.read_inner(message) {
            Ok(payload) => Ok(payload),
            Err(error) => {
                if error != NoiseError::OutOfTurn {
                    self.stage = Stage::Failed;
                }
                Err(error)
            }
        }
    }

    fn read_inner(&mut self, message: &[u8]) -> Result<Vec<u8>, NoiseError> {
        if message.len() > NOISE_MAX_MESSAGE_LEN {
            return Err(NoiseError::TooLarge);
        }
        let mut payload = vec![0u8; message.len()];
        let len = match std::mem::replace(&mut self.stage, Stage::Failed) {
            Stage::Failed => return Err(NoiseError::HandshakeFailed),
            Stage::Candidates(states) => {
                let mut found = None;
                for (index, mut state) in states.into_iter().enumerate() {
                    if let Ok(len) = state.read_message(message, &mut payload) {
                        found = Some((index, state, len));
                        break;
                    }
                }
                let (index, state, len) = found.ok_or(NoiseError::HandshakeFailed)?;
                self.psk_index = Some(index);
                self.stage = Stage::Running(Box::new(state));
                len
            }
            Stage::Running(mut state) => {
                if state.is_my_turn() || state.is_handshake_finished() {
                    self.stage = Stage::Running(state);
                    return Err(NoiseError::OutOfTurn);
                }
                let len = state.read_message(message, &mut payload).map_err(|_| NoiseError::HandshakeFailed)?;
                if let Some(remote) = state.get_remote_static() {
                    parse_remote(remote).ok_or(NoiseError::HandshakeFailed)?;
                }
                self.stage = Stage::Running(state);
                len
            }
        };
        payload.truncate(len);
        Ok(payload)
    }

    /// The peer's static key (its device agreement key), once its message carrying it was
    /// read: after message 2 for the initiator, after message 3 for the responder.
    pub fn remote_static(&self) -> Option<AgreementPublicKey> {
        match &self.stage {
            Stage::Running(state) => state.get_remote_static().and_then(parse_remote),
            _ => None,
        }
    }

    /// Which psk matched: always 0 for the initiator; for the responder, the index into its
    /// candidates (0 = its newest epoch, 1 = the peer is one epoch behind), once message 1
    /// was read.
    pub fn psk_index(&self) -> Option<usize> {
        self.psk_index
    }

    /// Whether all three messages were written and read.
    pub fn is_finished(&self) -> bool {
        matches!(&self.stage, Stage::Running(state) if state.is_handshake_finished())
    }

    /// The transport, once the handshake is finished.
    pub fn into_transport(self) -> Result<NoiseTransport, NoiseError> {
        let Stage::Running(state) = self.stage else { return Err(NoiseError::HandshakeFailed) };
        if !state.is_handshake_finished() {
            return Err(NoiseError::OutOfTurn);
        }
        let remote = state.get_remote_static().and_then(parse_remote).ok_or(NoiseError::HandshakeFailed)?;
        let transport = state.into_transport_mode().map_err(|_| NoiseError::HandshakeFailed)?;
        Ok(NoiseTransport { state: Box::new(transport), remote, failed: false })
    }
}

fn parse_remote(bytes: &[u8]) -> Option<AgreementPublicKey> {
    AgreementPublicKey::from_bytes(bytes.try_into().ok()?).ok()
}

/// The two directions of an established channel: each [`NoiseTransport::encrypt`] gives one
/// Noise message, to be delivered in order; each [`NoiseTransport::decrypt`] takes the peer's
/// next one.
pub struct NoiseTransport {
    state: Box<snow::TransportState>,
    remote: AgreementPublicKey,
    failed: bool,
}

impl std::fmt::Debug for NoiseTransport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("NoiseTransport(<redacted>)")
    }
}

impl NoiseTransport {
    /// Encrypts at most [`NOISE_MAX_PAYLOAD_LEN`] bytes into one message.
    pub fn encrypt(&mut self, plaintext: &[u8]) -> Result<Vec<u8>, NoiseError> {
        if plaintext.len() > NOISE_MAX_PAYLOAD_LEN {
            return Err(NoiseError::TooLarge);
        }
        let mut out = vec![0u8; plaintext.len() + NOISE_TAG_LEN];
        let len = self.state.write_message(plaintext, &mut out).map_err(write_error)?;
        out.truncate(len);
        Ok(out)
    }

    /// Decrypts the peer's next message. After one failure every later call fails.
    pub fn decrypt(&mut self, message: &[u8]) -> Result<Vec<u8>, NoiseError> {
        if self.failed {
            return Err(NoiseError::Decrypt);
        }
        if message.len() > NOISE_MAX_MESSAGE_LEN {
            self.failed = true;
            return Err(NoiseError::TooLarge);
        }
        let mut out = vec![0u8; message.len()];
        match self.state.read_message(message, &mut out) {
            Ok(len) => {
                out.truncate(len);
                Ok(out)
            }
            Err(_) => {
                self.failed = true;
                Err(NoiseError::Decrypt)
            }
        }
    }

    /// The peer's static key (its device agreement key).
    pub fn remote_static(&self) -> AgreementPublicKey {
        self.remote
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{TeamKey, golden::check_fixture};

    const PROLOGUE: &[u8] = b"cairn/net/v1";
    const ORG: [u8; 16] = [0x0a; 16];

    fn psk(byte: u8, epoch: u32) -> NoisePsk {
        TeamKey::from_bytes(&[byte; 32]).noise_psk(&ORG, epoch)
    }

    struct Run {
        initiator: NoiseHandshake,
        responder: NoiseHandshake,
        messages: Vec<Vec<u8>>,
    }

    fn handshake(mut initiator: NoiseHandshake, mut responder: NoiseHandshake) -> Result<Run, NoiseError> {
        let m1 = initiator.write_message(b"")?;
        assert_eq!(responder.read_message(&m1)?, b"");
        let m2 = responder.write_message(b"")?;
        assert_eq!(initiator.read_message(&m2)?, b"");
        let m3 = initiator.write_message(b"")?;
        assert_eq!(responder.read_message(&m3)?, b"");
        Ok(Run { initiator, responder, messages: vec![m1, m2, m3] })
    }

    #[test]
    fn round_trip_authenticates_both_static_keys() {
        let alice = AgreementSecretKey::generate();
        let bob = AgreementSecretKey::generate();
        let key = psk(1, 1);
        let initiator = NoiseHandshake::initiator(&alice, &key, PROLOGUE).expect("initiator");
        let responder = NoiseHandshake::responder(&bob, &[&key], PROLOGUE).expect("responder");
        let run = handshake(initiator, responder).expect("handshake");
        assert_eq!(run.messages.iter().map(Vec::len).collect::<Vec<_>>(), [48, 96, 64]);
        assert_eq!(run.initiator.remote_static(), Some(bob.public_key()));
        assert_eq!(run.responder.remote_static(), Some(alice.public_key()));
        assert!(run.initiator.is_finished() && run.responder.is_finished());
        let mut a = run.initiator.into_transport().expect("transport");
        let mut b = run.responder.into_transport().expect("transport");
        let big = vec![0x5a; NOISE_MAX_PAYLOAD_LEN];
        let sealed = a.encrypt(&big).expect("encrypt");
        assert_eq!(sealed.len(), NOISE_MAX_MESSAGE_LEN);
        assert_eq!(b.decrypt(&sealed).expect("decrypt"), big);
        assert_eq!(a.encrypt(&[0; NOISE_MAX_PAYLOAD_LEN + 1]).err(), Some(NoiseError::TooLarge));
        let reply = b.encrypt(b"reply").expect("encrypt");
        let mut tampered = reply.clone();
        tampered[0] ^= 1;
        assert_eq!(a.decrypt(&tampered).err(), Some(NoiseError::Decrypt));
        // A failed channel stays failed, even for the genuine message.
        assert_eq!(a.decrypt(&reply).err(), Some(NoiseError::Decrypt));
        assert_eq!(b.remote_static(), alice.public_key());
    }

    #[test]
    fn a_stranger_cannot_get_past_message_one() {
        let member = AgreementSecretKey::generate();
        let stranger = AgreementSecretKey::generate();
        let mut initiator = NoiseHandshake::initiator(&stranger, &psk(9, 1), PROLOGUE).expect("initiator");
        let mut responder = NoiseHandshake::responder(&member, &[&psk(1, 1)], PROLOGUE).expect("responder");
        let m1 = initiator.write_message(b"").expect("m1");
        assert_eq!(responder.read_message(&m1).err(), Some(NoiseError::HandshakeFailed));
        // Nothing to answer with, and the state stays failed.
        assert_eq!(responder.write_message(b"").err(), Some(NoiseError::HandshakeFailed));
        assert_eq!(responder.read_message(&m1).err(), Some(NoiseError::HandshakeFailed));
        assert_eq!(responder.remote_static(), None);
        // The same team key under another organisation or epoch is another psk.
        for other in [TeamKey::from_bytes(&[1; 32]).noise_psk(&[0x0b; 16], 1), psk(1, 2)] {
            let mut initiator = NoiseHandshake::initiator(&stranger, &other, PROLOGUE).expect("initiator");
            let mut responder = NoiseHandshake::responder(&member, &[&psk(1, 1)], PROLOGUE).expect("responder");
            let m1 = initiator.write_message(b"").expect("m1");
            assert_eq!(responder.read_message(&m1).err(), Some(NoiseError::HandshakeFailed));
        }
        // Another prologue fails too.
        let mut initiator = NoiseHandshake::initiator(&stranger, &psk(1, 1), b"other").expect("initiator");
        let mut responder = NoiseHandshake::responder(&member, &[&psk(1, 1)], PROLOGUE).expect("responder");
        let m1 = initiator.write_message(b"").expect("m1");
        assert_eq!(responder.read_message(&m1).err(), Some(NoiseError::HandshakeFailed));
    }

    #[test]
    fn message_two_hides_the_responder_key_from_anyone_without_the_psk() {
        // A replayed message 1 (recorded from a member) draws a message 2; an eavesdropper
        // without the psk cannot read it with any state of its own.
        let member = AgreementSecretKey::generate();
        let responder_key = AgreementSecretKey::generate();
        let mut initiator = NoiseHandshake::initiator(&member, &psk(1, 1), PROLOGUE).expect("initiator");
        let m1 = initiator.write_message(b"").expect("m1");
        let mut responder = NoiseHandshake::responder(&responder_key, &[&psk(1, 1)], PROLOGUE).expect("responder");
        responder.read_message(&m1).expect("m1");
        let m2 = responder.write_message(b"").expect("m2");
        assert!(!m2.windows(32).any(|w| w == responder_key.public_key().as_bytes()));
        let mut guess = NoiseHandshake::initiator(&AgreementSecretKey::generate(), &psk(2, 1), PROLOGUE).expect("guess");
        guess.write_message(b"").expect("m1");
        assert_eq!(guess.read_message(&m2).err(), Some(NoiseError::HandshakeFailed));
    }

    #[test]
    fn a_responder_accepts_the_previous_epoch_and_says_so() {
        let alice = AgreementSecretKey::generate();
        let bob = AgreementSecretKey::generate();
        let (current, previous, older) = (psk(2, 2), psk(1, 1), psk(0, 0));
        let initiator = NoiseHandshake::initiator(&alice, &psk(1, 1), PROLOGUE).expect("initiator");
        let responder = NoiseHandshake::responder(&bob, &[&current, &previous], PROLOGUE).expect("responder");
        let run = handshake(initiator, responder).expect("one epoch behind connects");
        assert_eq!(run.responder.psk_index(), Some(1));
        assert_eq!(run.initiator.psk_index(), Some(0));
        let initiator = NoiseHandshake::initiator(&alice, &psk(2, 2), PROLOGUE).expect("initiator");
        let responder = NoiseHandshake::responder(&bob, &[&current, &previous], PROLOGUE).expect("responder");
        assert_eq!(handshake(initiator, responder).expect("current").responder.psk_index(), Some(0));
        let initiator = NoiseHandshake::initiator(&alice, &older, PROLOGUE).expect("initiator");
        let responder = NoiseHandshake::responder(&bob, &[&current, &previous], PROLOGUE).expect("responder");
        assert_eq!(handshake(initiator, responder).err(), Some(NoiseError::HandshakeFailed));
        assert_eq!(NoiseHandshake::responder(&bob, &[], PROLOGUE).err(), Some(NoiseError::Setup));
    }

    #[test]
    fn messages_out_of_turn_and_tampered_messages_are_refused() {
        let alice = AgreementSecretKey::generate();
        let bob = AgreementSecretKey::generate();
        let key = psk(1, 1);
        let mut responder = NoiseHandshake::responder(&bob, &[&key], PROLOGUE).expect("responder");
        assert_eq!(responder.write_message(b"").err(), Some(NoiseError::OutOfTurn));
        let mut initiator = NoiseHandshake::initiator(&alice, &key, PROLOGUE).expect("initiator");
        assert_eq!(initiator.read_message(&[0; 48]).err(), Some(NoiseError::OutOfTurn));
        assert!(initiator.into_transport().is_err());
        // Every single-byte change of every handshake message is caught. Fixed ephemeral keys
        // make the runs identical, so each tampered message replaces its genuine twin.
        let fixed = |e_i: &[u8; 32], e_r: &[u8; 32]| {
            let i = NoiseHandshake::initiator_inner(&alice, &key, PROLOGUE, Some(e_i)).expect("initiator");
            let r = NoiseHandshake::responder_inner(&bob, &[&key], PROLOGUE, Some(e_r)).expect("responder");
            (i, r)
        };
        let (initiator, responder) = fixed(&[0x11; 32], &[0x12; 32]);
        let genuine = handshake(initiator, responder).expect("handshake").messages;
        for which in 0..genuine.len() {
            for i in 0..genuine[which].len() {
                let (mut initiator, mut responder) = fixed(&[0x11; 32], &[0x12; 32]);
                let mut messages = genuine.clone();
                messages[which][i] ^= 0x20;
                let result = (|| {
                    assert_eq!(initiator.write_message(b"")?, genuine[0]);
                    responder.read_message(&messages[0])?;
                    assert_eq!(responder.write_message(b"")?, genuine[1]);
                    initiator.read_message(&messages[1])?;
                    assert_eq!(initiator.write_message(b"")?, genuine[2]);
                    responder.read_message(&messages[2])
                })();
                assert_eq!(result.err(), Some(NoiseError::HandshakeFailed), "message {which} byte {i}");
            }
        }
        let mut responder = NoiseHandshake::responder(&bob, &[&key], PROLOGUE).expect("responder");
        assert_eq!(responder.read_message(&vec![0; NOISE_MAX_MESSAGE_LEN + 1]).err(), Some(NoiseError::TooLarge));
    }

    #[test]
    fn secrets_do_not_print() {
        assert_eq!(format!("{:?}", psk(1, 1)), "NoisePsk(<redacted>)");
        let key = AgreementSecretKey::generate();
        let handshake = NoiseHandshake::initiator(&key, &psk(1, 1), PROLOGUE).expect("initiator");
        assert_eq!(format!("{handshake:?}"), "NoiseHandshake(<redacted>)");
    }

    /// Golden vector: the psk derivation and a whole handshake with fixed static and ephemeral
    /// keys, then one transport message each way. Pins the protocol name, the psk position, the
    /// psk label and the prologue.
    #[test]
    fn golden_noise_xxpsk0_v1() {
        let key = psk(0x71, 2);
        let alice = AgreementSecretKey::from_bytes(&[0x72; 32]);
        let bob = AgreementSecretKey::from_bytes(&[0x73; 32]);
        let mut initiator = NoiseHandshake::initiator_inner(&alice, &key, PROLOGUE, Some(&[0x74; 32])).expect("i");
        let mut responder = NoiseHandshake::responder_inner(&bob, &[&key], PROLOGUE, Some(&[0x75; 32])).expect("r");
        let mut messages = Vec::new();
        messages.push(initiator.write_message(b"").expect("m1"));
        responder.read_message(&messages[0]).expect("read m1");
        messages.push(responder.write_message(b"").expect("m2"));
        initiator.read_message(&messages[1]).expect("read m2");
        messages.push(initiator.write_message(b"").expect("m3"));
        responder.read_message(&messages[2]).expect("read m3");
        let mut a = initiator.into_transport().expect("transport");
        let mut b = responder.into_transport().expect("transport");
        messages.push(a.encrypt("신의주 → Dandong".as_bytes()).expect("t1"));
        messages.push(b.encrypt(b"ack").expect("t2"));
        let mut fresh = key.bytes().to_vec();
        for message in &messages {
            fresh.extend_from_slice(&u16::try_from(message.len()).expect("short").to_be_bytes());
            fresh.extend_from_slice(message);
        }
        let committed = check_fixture("noise_xxpsk0_v1.bin", &fresh);
        // The committed transcript is read by fresh states with the same fixed keys.
        let mut parts = Vec::new();
        let mut rest = &committed[NOISE_PSK_LEN..];
        while rest.len() >= 2 {
            let len = usize::from(u16::from_be_bytes([rest[0], rest[1]]));
            parts.push(rest[2..2 + len].to_vec());
            rest = &rest[2 + len..];
        }
        let mut responder = NoiseHandshake::responder_inner(&bob, &[&key], PROLOGUE, Some(&[0x75; 32])).expect("r");
        responder.read_message(&parts[0]).expect("m1");
        assert_eq!(responder.write_message(b"").expect("m2"), parts[1]);
        responder.read_message(&parts[2]).expect("m3");
        let mut b = responder.into_transport().expect("transport");
        assert_eq!(b.decrypt(&parts[3]).expect("t1"), "신의주 → Dandong".as_bytes());
        assert_eq!(b.remote_static(), alice.public_key());
    }
}
