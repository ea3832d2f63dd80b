//! Connecting, accepting and the established channel. See the crate documentation for the
//! order of checks and what each side learns.

use std::{future::Future, net::SocketAddr, time::Duration};

use cairn_crypto::{AgreementPublicKey, AgreementSecretKey, Fingerprint, NoiseHandshake, NoisePsk, NoiseTransport};
use tokio::{
    io::AsyncWriteExt,
    net::{TcpListener, TcpStream},
};

use crate::{
    NetError,
    frame::{ACCEPT, Reassembler, fragments, read_frame, write_frame},
};

/// The Noise prologue of this protocol, version 1: hashed into the handshake by both sides
/// (never sent), so a peer speaking another version fails at message 1.
pub const NET_PROLOGUE: &[u8] = b"cairn/net/v1";
/// The default largest application message: 8 MiB.
pub const DEFAULT_MAX_MESSAGE_LEN: usize = 8 * 1024 * 1024;

/// A device's id, as on the roster (the same as `cairn_sync::PeerId`).
pub type PeerId = [u8; 16];

/// Why the roster refuses a static key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// On no roster this device holds.
    Unknown,
    /// Listed as revoked.
    Revoked,
}

/// A peer the roster accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AuthorizedPeer {
    /// Its device id.
    pub id: PeerId,
    /// Its device fingerprint (`Fingerprint::of_device` over the roster's entry), the one a
    /// person compares.
    pub fingerprint: Fingerprint,
}

/// The roster check: maps a peer's static key (its device agreement key) to a member, or
/// refuses it. Called once per handshake, on both sides. Closures implement it.
pub trait Authorize: Sync {
    /// Accepts or refuses the device whose agreement key is `key`.
    fn authorize(&self, key: &AgreementPublicKey) -> Result<AuthorizedPeer, Refusal>;
}

impl<F> Authorize for F
where
    F: Fn(&AgreementPublicKey) -> Result<AuthorizedPeer, Refusal> + Sync,
{
    fn authorize(&self, key: &AgreementPublicKey) -> Result<AuthorizedPeer, Refusal> {
        self(key)
    }
}

/// What a connection needs: this device's key, the team psks, the roster check, limits.
pub struct NetConfig<'a> {
    /// This device's agreement key, its Noise static key.
    pub local_static: &'a AgreementSecretKey,
    /// The team psks this device holds, newest epoch first; a responder accepts any of them,
    /// an initiator uses the first and, if the responder closes before answering, the second.
    /// Give at most the current and the previous epoch.
    pub psks: &'a [NoisePsk],
    /// The roster check.
    pub authorize: &'a dyn Authorize,
    /// Limit for each read and write until the channel is established (and for connecting).
    pub handshake_timeout: Duration,
    /// Limit for each read and write of an established channel.
    pub idle_timeout: Duration,
    /// Largest application message sent or accepted.
    pub max_message_len: usize,
}

impl<'a> NetConfig<'a> {
    /// A configuration with the default limits: 15 s per handshake step, 120 s idle, 8 MiB
    /// messages.
    pub fn new(local_static: &'a AgreementSecretKey, psks: &'a [NoisePsk], authorize: &'a dyn Authorize) -> Self {
        Self {
            local_static,
            psks,
            authorize,
            handshake_timeout: Duration::from_secs(15),
            idle_timeout: Duration::from_secs(120),
            max_message_len: DEFAULT_MAX_MESSAGE_LEN,
        }
    }
}

impl std::fmt::Debug for NetConfig<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NetConfig")
            .field("psks", &self.psks.len())
            .field("handshake_timeout", &self.handshake_timeout)
            .field("idle_timeout", &self.idle_timeout)
            .field("max_message_len", &self.max_message_len)
            .finish_non_exhaustive()
    }
}

async fn timed<T>(limit: Duration, operation: impl Future<Output = Result<T, NetError>>) -> Result<T, NetError> {
    tokio::time::timeout(limit, operation).await.map_err(|_| NetError::Timeout)?
}

/// A handshake read: bytes that are not a valid frame are a failed handshake.
async fn read_handshake_frame(stream: &mut TcpStream, limit: Duration) -> Result<Vec<u8>, NetError> {
    match timed(limit, read_frame(stream)).await {
        Err(NetError::ProtocolViolation) => Err(NetError::HandshakeFailed),
        other => other,
    }
}

fn check(config: &NetConfig<'_>, key: &AgreementPublicKey) -> Result<AuthorizedPeer, NetError> {
    config.authorize.authorize(key).map_err(|refusal| match refusal {
        Refusal::Unknown => NetError::PeerUnknown,
        Refusal::Revoked => NetError::PeerRevoked,
    })
}

enum Attempt {
    /// The responder closed before message 2: perhaps it holds only an older epoch.
    NoAnswer,
    Failed(NetError),
}

impl<E: Into<NetError>> From<E> for Attempt {
    fn from(error: E) -> Self {
        Attempt::Failed(error.into())
    }
}

/// Connects to `addr` and runs the handshake as initiator. Returns once the responder has
/// accepted this device, so nothing is ever sent to a peer that refused it or that this
/// device's roster refuses. If the responder closes without answering message 1 and `config`
/// holds a second psk, tries once more with it (the responder may be one epoch behind).
pub async fn connect(addr: SocketAddr, config: &NetConfig<'_>) -> Result<SecureChannel, NetError> {
    if config.psks.is_empty() {
        return Err(NetError::InvalidConfig);
    }
    for (index, psk) in config.psks.iter().enumerate().take(2) {
        let stream = timed(config.handshake_timeout, async { Ok(TcpStream::connect(addr).await?) }).await?;
        match initiate(stream, config, psk, index).await {
            Ok(channel) => return Ok(channel),
            Err(Attempt::NoAnswer) => continue,
            Err(Attempt::Failed(error)) => return Err(error),
        }
    }
    Err(NetError::ClosedByPeer)
}

async fn initiate(
    mut stream: TcpStream,
    config: &NetConfig<'_>,
    psk: &NoisePsk,
    psk_index: usize,
) -> Result<SecureChannel, Attempt> {
    let limit = config.handshake_timeout;
    let mut handshake = NoiseHandshake::initiator(config.local_static, psk, NET_PROLOGUE)?;
    let message1 = handshake.write_message(&[])?;
    timed(limit, write_frame(&mut stream, &message1)).await?;
    let message2 = match read_handshake_frame(&mut stream, limit).await {
        Err(NetError::ClosedByPeer) => return Err(Attempt::NoAnswer),
        other => other?,
    };
    handshake.read_message(&message2).map_err(|_| NetError::HandshakeFailed)?;
    let remote = handshake.remote_static().ok_or(NetError::HandshakeFailed)?;
    // The roster check before message 3: a refused responder never learns our static key.
    // Returning drops (closes) the stream.
    let peer = check(config, &remote)?;
    let message3 = handshake.write_message(&[])?;
    timed(limit, write_frame(&mut stream, &message3)).await?;
    let mut transport = handshake.into_transport()?;
    let accept = read_handshake_frame(&mut stream, limit).await?;
    match transport.decrypt(&accept) {
        Ok(plaintext) if plaintext == [ACCEPT] => {}
        _ => return Err(Attempt::Failed(NetError::HandshakeFailed)),
    }
    Ok(SecureChannel::new(stream, transport, peer, psk_index, config))
}

/// Waits for one connection on `listener` and runs the handshake as responder. A server calls
/// this in a loop, or better accepts itself and runs [`accept_stream`] per connection, so one
/// stalled handshake does not hold up the others.
pub async fn accept(listener: &TcpListener, config: &NetConfig<'_>) -> Result<SecureChannel, NetError> {
    let (stream, _) = listener.accept().await?;
    accept_stream(stream, config).await
}

/// Runs the handshake as responder on an accepted connection. A peer without a team psk gets
/// the connection closed without a single byte written; an initiator the roster refuses gets
/// it closed before any application data is read.
pub async fn accept_stream(mut stream: TcpStream, config: &NetConfig<'_>) -> Result<SecureChannel, NetError> {
    let limit = config.handshake_timeout;
    let psks: Vec<&NoisePsk> = config.psks.iter().collect();
    let mut handshake =
        NoiseHandshake::responder(config.local_static, &psks, NET_PROLOGUE).map_err(|_| NetError::InvalidConfig)?;
    let message1 = read_handshake_frame(&mut stream, limit).await?;
    // Not one of our psks: return, which closes the stream with nothing written.
    handshake.read_message(&message1).map_err(|_| NetError::HandshakeFailed)?;
    let message2 = handshake.write_message(&[])?;
    timed(limit, write_frame(&mut stream, &message2)).await?;
    let message3 = read_handshake_frame(&mut stream, limit).await?;
    handshake.read_message(&message3).map_err(|_| NetError::HandshakeFailed)?;
    let remote = handshake.remote_static().ok_or(NetError::HandshakeFailed)?;
    let peer = check(config, &remote)?;
    let psk_index = handshake.psk_index().unwrap_or(0);
    let mut transport = handshake.into_transport()?;
    let accept = transport.encrypt(&[ACCEPT])?;
    timed(limit, write_frame(&mut stream, &accept)).await?;
    Ok(SecureChannel::new(stream, transport, peer, psk_index, config))
}

/// An established, mutually authenticated channel to a roster member.
///
/// `send` and `recv` are not cancel-safe: a message interrupted by a cancelled future or an
/// error leaves the channel broken ([`NetError::ChannelBroken`]); reconnect. Nothing of a
/// partly received message is returned.
pub struct SecureChannel {
    stream: TcpStream,
    transport: NoiseTransport,
    peer: AuthorizedPeer,
    psk_index: usize,
    idle_timeout: Duration,
    max_message_len: usize,
    broken: bool,
}

impl std::fmt::Debug for SecureChannel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SecureChannel(<redacted>)")
    }
}

impl SecureChannel {
    fn new(
        stream: TcpStream,
        transport: NoiseTransport,
        peer: AuthorizedPeer,
        psk_index: usize,
        config: &NetConfig<'_>,
    ) -> Self {
        Self {
            stream,
            transport,
            peer,
            psk_index,
            idle_timeout: config.idle_timeout,
            max_message_len: config.max_message_len,
            broken: false,
        }
    }

    /// Sends one application message (at most the configured maximum; a larger one is refused
    /// before anything is sent).
    pub async fn send(&mut self, message: &[u8]) -> Result<(), NetError> {
        if self.broken {
            return Err(NetError::ChannelBroken);
        }
        if message.len() > self.max_message_len {
            return Err(NetError::MessageTooLarge);
        }
        self.broken = true;
        for fragment in fragments(message) {
            let sealed = self.transport.encrypt(&fragment)?;
            timed(self.idle_timeout, write_frame(&mut self.stream, &sealed)).await?;
        }
        self.broken = false;
        Ok(())
    }

    /// Receives the next application message. Fails with [`NetError::ClosedByPeer`] when the
    /// peer closed, [`NetError::Timeout`] when no frame came within the idle timeout, and
    /// [`NetError::MessageTooLarge`] or [`NetError::ProtocolViolation`] (the channel is then
    /// unusable) when the peer sent too much or bytes that do not authenticate.
    pub async fn recv(&mut self) -> Result<Vec<u8>, NetError> {
        if self.broken {
            return Err(NetError::ChannelBroken);
        }
        self.broken = true;
        let mut reassembler = Reassembler::new(self.max_message_len);
        loop {
            let frame = timed(self.idle_timeout, read_frame(&mut self.stream)).await?;
            let fragment = self.transport.decrypt(&frame).map_err(|_| NetError::ProtocolViolation)?;
            if let Some(message) = reassembler.push(&fragment)? {
                self.broken = false;
                return Ok(message);
            }
        }
    }

    /// The peer's device id, as the roster check returned it.
    pub fn peer(&self) -> PeerId {
        self.peer.id
    }

    /// The peer's device fingerprint, to show the person.
    pub fn peer_fingerprint(&self) -> Fingerprint {
        self.peer.fingerprint
    }

    /// The peer's static key (its device agreement key), as authenticated by the handshake.
    pub fn peer_key(&self) -> AgreementPublicKey {
        self.transport.remote_static()
    }

    /// Which of [`NetConfig::psks`] the handshake used: 0 for the newest epoch, 1 when the
    /// peer (as seen by a responder) or this device's responder (as seen by an initiator) is
    /// one epoch behind, so the sync protocol should bring the older side the newer roster.
    pub fn psk_index(&self) -> usize {
        self.psk_index
    }

    /// Closes the connection (sends end-of-stream).
    pub async fn close(mut self) -> Result<(), NetError> {
        timed(self.idle_timeout, async { Ok(self.stream.shutdown().await?) }).await
    }
}
