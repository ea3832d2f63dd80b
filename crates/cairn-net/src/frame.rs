//! Frames and fragments: a frame is one Noise message behind its 2-byte big-endian length; an
//! application message is split into fragments of at most [`FRAGMENT_DATA_LEN`] bytes, each
//! behind a 1-byte kind, so that each fragment fits in one Noise transport message.

use cairn_crypto::NOISE_MAX_PAYLOAD_LEN;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

use crate::NetError;

/// Bytes of an application message carried by one frame (one Noise plaintext less its kind byte).
pub const FRAGMENT_DATA_LEN: usize = NOISE_MAX_PAYLOAD_LEN - 1;

/// The last fragment of a message.
pub(crate) const FINAL: u8 = 0;
/// More fragments of this message follow.
pub(crate) const MORE: u8 = 1;
/// The responder accepted the initiator (first transport message, no data).
pub(crate) const ACCEPT: u8 = 2;

/// Reads one frame. An empty frame is a protocol violation; an end of stream is
/// [`NetError::ClosedByPeer`].
pub(crate) async fn read_frame<R: AsyncRead + Unpin>(reader: &mut R) -> Result<Vec<u8>, NetError> {
    let mut length = [0u8; 2];
    reader.read_exact(&mut length).await?;
    let length = usize::from(u16::from_be_bytes(length));
    if length == 0 {
        return Err(NetError::ProtocolViolation);
    }
    let mut frame = vec![0u8; length];
    reader.read_exact(&mut frame).await?;
    Ok(frame)
}

/// Writes one frame (a Noise message, at most 65,535 bytes by construction).
pub(crate) async fn write_frame<W: AsyncWrite + Unpin>(writer: &mut W, message: &[u8]) -> Result<(), NetError> {
    let length = u16::try_from(message.len()).map_err(|_| NetError::MessageTooLarge)?;
    let mut frame = Vec::with_capacity(2 + message.len());
    frame.extend_from_slice(&length.to_be_bytes());
    frame.extend_from_slice(message);
    writer.write_all(&frame).await?;
    writer.flush().await?;
    Ok(())
}

/// The plaintexts of the fragments of `message`: kind byte ‖ data. An empty message is one
/// empty final fragment.
pub(crate) fn fragments(message: &[u8]) -> Vec<Vec<u8>> {
    let count = message.len().div_ceil(FRAGMENT_DATA_LEN).max(1);
    (0..count)
        .map(|i| {
            let start = i * FRAGMENT_DATA_LEN;
            let end = (start + FRAGMENT_DATA_LEN).min(message.len());
            let mut fragment = Vec::with_capacity(1 + end - start);
            fragment.push(if i + 1 == count { FINAL } else { MORE });
            fragment.extend_from_slice(&message[start..end]);
            fragment
        })
        .collect()
}

/// Collects fragments into a message, refusing one larger than `max` as soon as it grows past it.
pub(crate) struct Reassembler {
    buffer: Vec<u8>,
    max: usize,
}

impl Reassembler {
    pub(crate) fn new(max: usize) -> Self {
        Self { buffer: Vec::new(), max }
    }

    /// Adds one fragment's plaintext; returns the message when it was the last.
    pub(crate) fn push(&mut self, fragment: &[u8]) -> Result<Option<Vec<u8>>, NetError> {
        let (&kind, data) = fragment.split_first().ok_or(NetError::ProtocolViolation)?;
        if kind != FINAL && kind != MORE {
            return Err(NetError::ProtocolViolation);
        }
        if self.buffer.len() + data.len() > self.max {
            return Err(NetError::MessageTooLarge);
        }
        self.buffer.extend_from_slice(data);
        Ok((kind == FINAL).then(|| std::mem::take(&mut self.buffer)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fragments_reassemble_at_every_boundary() {
        for len in [0, 1, FRAGMENT_DATA_LEN - 1, FRAGMENT_DATA_LEN, FRAGMENT_DATA_LEN + 1, 3 * FRAGMENT_DATA_LEN + 7] {
            let message: Vec<u8> = (0..len).map(|i| (i % 253) as u8).collect();
            let parts = fragments(&message);
            assert_eq!(parts.len(), len.div_ceil(FRAGMENT_DATA_LEN).max(1), "{len}");
            assert!(parts.iter().all(|p| p.len() <= NOISE_MAX_PAYLOAD_LEN));
            let mut reassembler = Reassembler::new(len);
            let mut out = None;
            for (i, part) in parts.iter().enumerate() {
                let done = reassembler.push(part).expect("push");
                assert_eq!(done.is_some(), i + 1 == parts.len());
                out = done.or(out);
            }
            assert_eq!(out.expect("message"), message);
        }
    }

    #[test]
    fn oversized_and_malformed_fragments_are_refused() {
        let parts = fragments(&vec![7; 2 * FRAGMENT_DATA_LEN]);
        let mut reassembler = Reassembler::new(FRAGMENT_DATA_LEN + 1);
        assert_eq!(reassembler.push(&parts[0]), Ok(None));
        assert_eq!(reassembler.push(&parts[1]), Err(NetError::MessageTooLarge));
        let mut reassembler = Reassembler::new(10);
        assert_eq!(reassembler.push(&[]), Err(NetError::ProtocolViolation));
        assert_eq!(reassembler.push(&[ACCEPT]), Err(NetError::ProtocolViolation));
        assert_eq!(reassembler.push(&[9, 1, 2]), Err(NetError::ProtocolViolation));
    }
}
