//! One sync session over an established [`SecureChannel`]: the sans-IO engine of
//! `cairn-sync` driven by the channel's messages. The engine applies everything a message
//! brings in one store transaction, so a link that drops mid-session leaves only whole
//! messages applied, and the next session picks up from there.

use cairn_sync::{Initiator, Responder, Side, Step, SyncError, SyncStore, SyncSummary};

use crate::{NetError, SecureChannel};

/// Why a sync session over a channel stopped.
#[derive(Debug, thiserror::Error)]
pub enum SessionError<E: std::error::Error + 'static> {
    /// The link failed (see [`NetError`]).
    #[error(transparent)]
    Net(#[from] NetError),
    /// The engine or the store refused (see [`SyncError`]).
    #[error(transparent)]
    Sync(SyncError<E>),
}

impl<E: std::error::Error + 'static> SessionError<E> {
    /// Stable machine-readable code.
    pub fn code(&self) -> &'static str {
        match self {
            SessionError::Net(error) => error.code(),
            SessionError::Sync(error) => error.code(),
        }
    }
}

impl<E: std::error::Error + 'static> From<SyncError<E>> for SessionError<E> {
    fn from(error: SyncError<E>) -> Self {
        SessionError::Sync(error)
    }
}

/// Receives the peer's messages and sends what the engine answers, until the session is over.
async fn drive<S: SyncStore>(
    channel: &mut SecureChannel,
    store: &mut S,
    engine: &mut Side,
) -> Result<SyncSummary, SessionError<S::Error>> {
    loop {
        let message = channel.recv().await?;
        let mut step = engine.receive(store, &message)?;
        loop {
            match step {
                Step::Send(messages) => {
                    send_all(channel, &messages).await?;
                    break;
                }
                Step::SendAndResume(messages) => {
                    send_all(channel, &messages).await?;
                    step = engine.resume(store)?;
                }
                Step::Wait => break,
                Step::Done { send, summary } => {
                    send_all(channel, &send).await?;
                    return Ok(summary);
                }
            }
        }
    }
}

async fn send_all(channel: &mut SecureChannel, messages: &[Vec<u8>]) -> Result<(), NetError> {
    for message in messages {
        channel.send(message).await?;
    }
    Ok(())
}

/// Runs one session as the side that connected.
pub async fn sync_as_initiator<S: SyncStore>(
    channel: &mut SecureChannel,
    store: &mut S,
) -> Result<SyncSummary, SessionError<S::Error>> {
    let (engine, first) = Initiator::start(store, channel.peer())?;
    channel.send(&first).await?;
    drive(channel, store, &mut Side::Initiator(engine)).await
}

/// Runs one session as the side that accepted.
pub async fn sync_as_responder<S: SyncStore>(
    channel: &mut SecureChannel,
    store: &mut S,
) -> Result<SyncSummary, SessionError<S::Error>> {
    drive(channel, store, &mut Side::Responder(Responder::new(channel.peer()))).await
}
