//! Blobs (attachments): a chunked STREAM (Hoang, Reyhanitabar, Rogaway, Vizár 2015) over
//! XChaCha20-Poly1305, so a file of any size is sealed and opened in bounded memory, each
//! chunk authenticated on its own (playback can seek; sync can resume chunk by chunk), and
//! reordering, dropping or truncating chunks is detected.
//!
//! Format v1:
//!
//! ```text
//! header (24 bytes): u8 version (1) ‖ u32 key version (LE) ‖ [19] random nonce prefix
//! chunk i: XChaCha20-Poly1305(DEK_case, nonce = prefix ‖ u32 BE i ‖ u8 last, plaintext_i, AAD)
//!          every chunk but the last holds exactly BLOB_CHUNK_LEN plaintext bytes
//! AAD = "cairn/blob/v1" ‖ case id ‖ blob id ‖ key version (LE)
//! ```

use aead_stream::{NewStream, StreamBE32, StreamPrimitive};
use chacha20poly1305::{XChaCha20Poly1305, aead::Payload};
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

use crate::{CaseKey, ContentHash, CryptoError, random_array};

/// Plaintext bytes per chunk (64 KiB).
pub const BLOB_CHUNK_LEN: usize = 64 * 1024;
const FORMAT_V1: u8 = 1;
const HEADER_LEN: usize = 24;
const TAG_LEN: usize = 16;

type Stream = StreamBE32<XChaCha20Poly1305>;

/// Where a blob belongs. Every field is authenticated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BlobContext {
    /// The case the blob belongs to.
    pub case_id: [u8; 16],
    /// The blob's identifier.
    pub blob_id: [u8; 16],
    /// The version of the case key that seals it.
    pub key_version: u32,
}

impl BlobContext {
    fn aad(&self) -> Vec<u8> {
        [b"cairn/blob/v1".as_slice(), &self.case_id, &self.blob_id, &self.key_version.to_le_bytes()].concat()
    }
}

/// What is known about a blob once it is sealed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BlobSummary {
    /// Plaintext length in bytes.
    pub plain_len: u64,
    /// SHA-256 of the plaintext.
    pub content_hash: ContentHash,
    /// Number of sealed chunks (at least 1).
    pub chunk_count: u32,
}

fn stream(key: &CaseKey, prefix: &[u8]) -> Result<Stream, CryptoError> {
    let prefix = prefix.try_into().map_err(|_| CryptoError::Malformed { what: "blob header" })?;
    Ok(Stream::from_aead(key.cipher(), prefix))
}

/// Seals a blob incrementally: feed plaintext with [`BlobSealer::update`], then
/// [`BlobSealer::finish`]. Memory stays bounded by one chunk plus the caller's buffer.
pub struct BlobSealer {
    stream: Stream,
    aad: Vec<u8>,
    next_position: u32,
    pending: Zeroizing<Vec<u8>>,
    hasher: Sha256,
    plain_len: u64,
}

impl BlobSealer {
    /// Starts sealing a blob; returns the sealer and the blob header to store with it.
    pub fn new(key: &CaseKey, context: &BlobContext) -> (BlobSealer, Vec<u8>) {
        Self::with_prefix(key, context, random_array())
    }

    pub(crate) fn with_prefix(key: &CaseKey, context: &BlobContext, prefix: [u8; 19]) -> (BlobSealer, Vec<u8>) {
        let mut header = Vec::with_capacity(HEADER_LEN);
        header.push(FORMAT_V1);
        header.extend_from_slice(&context.key_version.to_le_bytes());
        header.extend_from_slice(&prefix);
        let sealer = BlobSealer {
            stream: stream(key, &prefix).expect("19-byte prefix"),
            aad: context.aad(),
            next_position: 0,
            pending: Zeroizing::new(Vec::with_capacity(BLOB_CHUNK_LEN * 2)),
            hasher: Sha256::new(),
            plain_len: 0,
        };
        (sealer, header)
    }

    /// Adds plaintext; returns the chunks completed so far as `(position, sealed bytes)`.
    pub fn update(&mut self, mut data: &[u8]) -> Result<Vec<(u32, Vec<u8>)>, CryptoError> {
        self.hasher.update(data);
        self.plain_len += data.len() as u64;
        let mut sealed = Vec::new();
        while !data.is_empty() {
            // A full chunk is sealed only once more data follows, since the last chunk is
            // sealed differently.
            if self.pending.len() == BLOB_CHUNK_LEN {
                sealed.push(self.seal_pending(false)?);
            }
            let take = (BLOB_CHUNK_LEN - self.pending.len()).min(data.len());
            self.pending.extend_from_slice(&data[..take]);
            data = &data[take..];
        }
        Ok(sealed)
    }

    /// Seals the final chunk.
    pub fn finish(mut self) -> Result<((u32, Vec<u8>), BlobSummary), CryptoError> {
        let last = self.seal_pending(true)?;
        let summary = BlobSummary {
            plain_len: self.plain_len,
            content_hash: self.hasher.finalize().into(),
            chunk_count: self.next_position,
        };
        Ok((last, summary))
    }

    fn seal_pending(&mut self, last: bool) -> Result<(u32, Vec<u8>), CryptoError> {
        let position = self.next_position;
        let sealed = self
            .stream
            .encrypt(position, last, Payload { msg: &self.pending, aad: &self.aad })
            .map_err(|_| CryptoError::TooLarge { what: "blob" })?;
        self.next_position = position.checked_add(1).ok_or(CryptoError::TooLarge { what: "blob" })?;
        self.pending.clear();
        Ok((position, sealed))
    }
}

/// Seals the chunks of a blob one at a time, at positions the caller gives: for content that
/// arrives part by part over several sessions (sync), where no sealer state survives between
/// them. Every chunk but the last must hold exactly [`BLOB_CHUNK_LEN`] bytes; the caller seals
/// each position once, and learns the content's length and hash by opening the chunks when
/// the last is in.
pub struct BlobChunkSealer {
    stream: Stream,
    aad: Vec<u8>,
}

impl BlobChunkSealer {
    /// Starts a blob; returns the sealer and the header to store with it.
    pub fn new(key: &CaseKey, context: &BlobContext) -> (BlobChunkSealer, Vec<u8>) {
        let (sealer, header) = BlobSealer::new(key, context);
        (BlobChunkSealer { stream: sealer.stream, aad: sealer.aad }, header)
    }

    /// Continues a blob started by [`BlobChunkSealer::new`] whose header was stored.
    pub fn resume(key: &CaseKey, context: &BlobContext, header: &[u8]) -> Result<BlobChunkSealer, CryptoError> {
        if header.len() != HEADER_LEN {
            return Err(CryptoError::Malformed { what: "blob header" });
        }
        if header[0] != FORMAT_V1 {
            return Err(CryptoError::UnsupportedVersion { what: "blob", version: header[0].into() });
        }
        if u32::from_le_bytes([header[1], header[2], header[3], header[4]]) != context.key_version {
            return Err(CryptoError::Tampered);
        }
        Ok(BlobChunkSealer { stream: stream(key, &header[5..])?, aad: context.aad() })
    }

    /// Seals the chunk at `position` (`last`: the blob's final chunk).
    pub fn seal_chunk(&self, position: u32, last: bool, plaintext: &[u8]) -> Result<Vec<u8>, CryptoError> {
        if plaintext.len() > BLOB_CHUNK_LEN || (!last && plaintext.len() != BLOB_CHUNK_LEN) {
            return Err(CryptoError::Malformed { what: "blob chunk" });
        }
        self.stream
            .encrypt(position, last, Payload { msg: plaintext, aad: &self.aad })
            .map_err(|_| CryptoError::TooLarge { what: "blob" })
    }
}

/// Opens the chunks of a sealed blob, in any order (for seeking).
pub struct BlobOpener {
    stream: Stream,
    aad: Vec<u8>,
    chunk_count: u32,
    /// Whether the last of `chunk_count` chunks was sealed as the last one. An unfinished
    /// blob (a recording cut short by a crash) has only non-last chunks.
    finished: bool,
}

impl BlobOpener {
    /// Prepares to open a blob whose header and chunk count were stored with it.
    pub fn new(key: &CaseKey, context: &BlobContext, header: &[u8], chunk_count: u32) -> Result<BlobOpener, CryptoError> {
        if header.len() != HEADER_LEN {
            return Err(CryptoError::Malformed { what: "blob header" });
        }
        if header[0] != FORMAT_V1 {
            return Err(CryptoError::UnsupportedVersion { what: "blob", version: header[0].into() });
        }
        if u32::from_le_bytes([header[1], header[2], header[3], header[4]]) != context.key_version || chunk_count == 0 {
            return Err(CryptoError::Tampered);
        }
        Ok(BlobOpener { stream: stream(key, &header[5..])?, aad: context.aad(), chunk_count, finished: true })
    }

    /// Prepares to open the first `sealed_count` chunks of a blob whose sealing never finished
    /// (the writer stopped before [`BlobSealer::finish`]): every chunk was sealed as a
    /// non-last chunk, so the reader cannot tell where the blob was meant to end. Only for
    /// salvaging such a blob into a new, finished one.
    pub fn for_unfinished(
        key: &CaseKey,
        context: &BlobContext,
        header: &[u8],
        sealed_count: u32,
    ) -> Result<BlobOpener, CryptoError> {
        // `new` refuses a count of 0; an unfinished blob may have no complete chunk yet.
        let mut opener = BlobOpener::new(key, context, header, sealed_count.max(1))?;
        opener.chunk_count = sealed_count;
        opener.finished = false;
        Ok(opener)
    }

    /// Opens chunk `position`.
    pub fn open_chunk(&self, position: u32, sealed: &[u8]) -> Result<Zeroizing<Vec<u8>>, CryptoError> {
        if position >= self.chunk_count {
            return Err(CryptoError::Malformed { what: "blob chunk position" });
        }
        let last = self.finished && position + 1 == self.chunk_count;
        let well_sized = if last {
            sealed.len() >= TAG_LEN && sealed.len() <= BLOB_CHUNK_LEN + TAG_LEN
        } else {
            sealed.len() == BLOB_CHUNK_LEN + TAG_LEN
        };
        if !well_sized {
            return Err(CryptoError::Malformed { what: "blob chunk" });
        }
        self.stream
            .decrypt(position, last, Payload { msg: sealed, aad: &self.aad })
            .map(Zeroizing::new)
            .map_err(|_| CryptoError::Tampered)
    }

    /// Number of chunks.
    pub fn chunk_count(&self) -> u32 {
        self.chunk_count
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keys::test_keys::case_key;

    #[test]
    fn chunks_sealed_one_at_a_time_open_as_one_blob() {
        let key = case_key(9);
        let context = BlobContext { case_id: [1; 16], blob_id: [2; 16], key_version: 3 };
        let data: Vec<u8> = (0..(2 * BLOB_CHUNK_LEN + 10)).map(|i| (i % 249) as u8).collect();
        let (_, header) = BlobChunkSealer::new(&key, &context);
        let parts: Vec<&[u8]> = data.chunks(BLOB_CHUNK_LEN).collect();
        let mut sealed = Vec::new();
        for (position, part) in parts.iter().enumerate() {
            // A new sealer for each chunk, as over several sessions.
            let sealer = BlobChunkSealer::resume(&key, &context, &header).expect("resume");
            sealed.push(sealer.seal_chunk(position as u32, position + 1 == parts.len(), part).expect("seal"));
        }
        let opener = BlobOpener::new(&key, &context, &header, sealed.len() as u32).expect("opener");
        let opened: Vec<u8> = sealed
            .iter()
            .enumerate()
            .flat_map(|(i, chunk)| opener.open_chunk(i as u32, chunk).expect("open").to_vec())
            .collect();
        assert_eq!(opened, data);
        let sealer = BlobChunkSealer::resume(&key, &context, &header).expect("resume");
        assert!(sealer.seal_chunk(0, false, &data[..10]).is_err(), "a short chunk must be the last");
        let other = BlobContext { key_version: 4, ..context };
        assert!(BlobChunkSealer::resume(&key, &other, &header).is_err());
    }

    fn context() -> BlobContext {
        BlobContext { case_id: [1; 16], blob_id: [2; 16], key_version: 1 }
    }

    fn seal(data: &[u8], feed: usize) -> (Vec<u8>, Vec<Vec<u8>>, BlobSummary) {
        let (mut sealer, header) = BlobSealer::new(&case_key(5), &context());
        let mut chunks = Vec::new();
        for piece in data.chunks(feed.max(1)) {
            for (position, chunk) in sealer.update(piece).expect("update") {
                assert_eq!(position as usize, chunks.len());
                chunks.push(chunk);
            }
        }
        let ((position, chunk), summary) = sealer.finish().expect("finish");
        assert_eq!(position as usize, chunks.len());
        chunks.push(chunk);
        (header, chunks, summary)
    }

    fn open_all(header: &[u8], chunks: &[Vec<u8>]) -> Result<Vec<u8>, CryptoError> {
        let opener = BlobOpener::new(&case_key(5), &context(), header, chunks.len() as u32)?;
        let mut out = Vec::new();
        for (i, chunk) in chunks.iter().enumerate() {
            out.extend_from_slice(&opener.open_chunk(i as u32, chunk)?);
        }
        Ok(out)
    }

    #[test]
    fn round_trip_at_chunk_boundaries() {
        for len in [0, 1, BLOB_CHUNK_LEN - 1, BLOB_CHUNK_LEN, BLOB_CHUNK_LEN + 1, 3 * BLOB_CHUNK_LEN, 200_000] {
            let data: Vec<u8> = (0..len).map(|i| (i * 7) as u8).collect();
            for feed in [1000, BLOB_CHUNK_LEN, 1 << 20] {
                let (header, chunks, summary) = seal(&data, feed);
                assert_eq!(summary.plain_len as usize, len);
                assert_eq!(summary.chunk_count as usize, chunks.len());
                assert_eq!(chunks.len(), len.div_ceil(BLOB_CHUNK_LEN).max(1));
                assert_eq!(summary.content_hash, <[u8; 32]>::from(Sha256::digest(&data)));
                assert_eq!(open_all(&header, &chunks).expect("open"), data);
            }
        }
    }

    #[test]
    fn an_unfinished_blob_opens_as_non_last_chunks_only() {
        let data: Vec<u8> = (0..3 * BLOB_CHUNK_LEN + 10).map(|i| (i * 13) as u8).collect();
        let (mut sealer, header) = BlobSealer::new(&case_key(5), &context());
        let sealed = sealer.update(&data).expect("update");
        assert_eq!(sealed.len(), 3);
        let opener = BlobOpener::for_unfinished(&case_key(5), &context(), &header, 3).expect("opener");
        for (position, chunk) in &sealed {
            let plain = opener.open_chunk(*position, chunk).expect("open");
            let start = *position as usize * BLOB_CHUNK_LEN;
            assert_eq!(&plain[..], &data[start..start + BLOB_CHUNK_LEN]);
        }
        assert!(opener.open_chunk(3, &sealed[0].1).is_err(), "beyond the sealed count");
        // A finished blob's last chunk is not a valid unfinished chunk, and vice versa.
        let ((last_position, last), _) = sealer.finish().expect("finish");
        let opener = BlobOpener::for_unfinished(&case_key(5), &context(), &header, 4).expect("opener");
        assert!(opener.open_chunk(last_position, &last).is_err());
        let finished = BlobOpener::new(&case_key(5), &context(), &header, 3).expect("opener");
        assert_eq!(finished.open_chunk(2, &sealed[2].1).err(), Some(CryptoError::Tampered));
        assert!(BlobOpener::for_unfinished(&case_key(5), &context(), &header, 0).is_ok());
    }

    #[test]
    fn dropped_reordered_or_tampered_chunks_are_refused() {
        let data = vec![42u8; 3 * BLOB_CHUNK_LEN + 10];
        let (header, chunks, _) = seal(&data, 1 << 20);
        // Truncation: drop the last chunk (the new last was not sealed as last).
        assert!(open_all(&header, &chunks[..3]).is_err());
        // Reordering.
        let mut swapped = chunks.clone();
        swapped.swap(0, 1);
        assert!(open_all(&header, &swapped).is_err());
        // A flipped bit anywhere.
        for i in [0usize, 100, BLOB_CHUNK_LEN + 15] {
            let mut tampered = chunks.clone();
            tampered[0][i] ^= 1;
            assert_eq!(open_all(&header, &tampered).err(), Some(CryptoError::Tampered));
        }
        for i in 0..header.len() {
            let mut tampered = header.clone();
            tampered[i] ^= 1;
            assert!(open_all(&tampered, &chunks).is_err(), "header byte {i}");
        }
        // Another blob's context.
        let other = BlobContext { blob_id: [3; 16], ..context() };
        let opener = BlobOpener::new(&case_key(5), &other, &header, 4).expect("opener");
        assert_eq!(opener.open_chunk(0, &chunks[0]).err(), Some(CryptoError::Tampered));
    }
}
