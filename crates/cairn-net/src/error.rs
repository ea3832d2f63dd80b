use cairn_crypto::NoiseError;
use thiserror::Error;

/// Everything that can end a connection or refuse a message.
///
/// Messages are fixed sentences: no addresses, keys, device ids or message bytes; `code()` is
/// stable for front ends.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum NetError {
    /// The peer closed the connection (or it was reset), during the handshake or after.
    #[error("the other device closed the connection")]
    ClosedByPeer,
    /// The handshake failed: the peer does not hold this team's secret, or sent bytes that are
    /// not a valid handshake.
    #[error("the secure handshake failed")]
    HandshakeFailed,
    /// The peer's device key is on no roster this device holds.
    #[error("the other device is not a member of this team")]
    PeerUnknown,
    /// The peer's device key was revoked.
    #[error("the other device was revoked")]
    PeerRevoked,
    /// A read or write took longer than the configured timeout.
    #[error("the connection timed out")]
    Timeout,
    /// A message exceeds [`NetConfig::max_message_len`](crate::NetConfig::max_message_len)
    /// (sending: nothing was sent; receiving: the connection is closed).
    #[error("the message is too large")]
    MessageTooLarge,
    /// The peer broke the wire format (an empty frame, an unknown fragment kind, a message
    /// that does not authenticate).
    #[error("the other device broke the protocol")]
    ProtocolViolation,
    /// The configuration cannot work (no team psk).
    #[error("the network configuration is incomplete")]
    InvalidConfig,
    /// The channel failed earlier and cannot be used again.
    #[error("the connection is no longer usable")]
    ChannelBroken,
    /// Any other socket error (kind only; no address or OS message).
    #[error("network error ({kind})")]
    Io {
        /// What kind of I/O error.
        kind: std::io::ErrorKind,
    },
    /// The secure channel refused an operation.
    #[error(transparent)]
    Noise(#[from] NoiseError),
}

impl NetError {
    /// A stable, machine-readable code for this error.
    pub fn code(&self) -> &'static str {
        match self {
            NetError::ClosedByPeer => "closed_by_peer",
            NetError::HandshakeFailed => "handshake_failed",
            NetError::PeerUnknown => "peer_unknown",
            NetError::PeerRevoked => "peer_revoked",
            NetError::Timeout => "timeout",
            NetError::MessageTooLarge => "message_too_large",
            NetError::ProtocolViolation => "protocol_violation",
            NetError::InvalidConfig => "invalid_config",
            NetError::ChannelBroken => "channel_broken",
            NetError::Io { .. } => "network_io",
            NetError::Noise(error) => error.code(),
        }
    }
}

impl From<std::io::Error> for NetError {
    fn from(error: std::io::Error) -> Self {
        use std::io::ErrorKind::*;
        match error.kind() {
            UnexpectedEof | ConnectionReset | ConnectionAborted | BrokenPipe => NetError::ClosedByPeer,
            TimedOut => NetError::Timeout,
            kind => NetError::Io { kind },
        }
    }
}
