//! Shared helpers for the cross-crate scenarios in `tests/`.

/// First passphrase of the crash tests.
pub const PASSPHRASE_A: &str = "first passphrase of the crash loop";
/// Second passphrase of the crash tests (Korean, to exercise normalisation on the way).
pub const PASSPHRASE_B: &str = "두 번째 비밀번호 충돌 시험";
/// The case the record crash loop writes to.
pub const CRASH_CASE_ID: [u8; 16] = [0xc4; 16];
/// The document the record crash loop writes to.
pub const CRASH_DOC_ID: [u8; 16] = [0xd0; 16];

/// The content of record `n` in the crash loop.
pub fn record_text(n: u64) -> String {
    format!("crash-loop record {n:08} 기록")
}

/// xorshift64*: the same pseudo-random choices on every run, shared by the kill-loop writer
/// (`core-writer`) and the tests that check what it left.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    /// A generator for `seed` (any value; zero is mapped to a fixed non-zero state).
    pub fn new(seed: u64) -> Rng {
        let mut rng = Rng(seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1);
        rng.next_u64();
        rng
    }

    /// The next 64 pseudo-random bits.
    pub fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    /// A number in `0..bound` (`bound` > 0).
    pub fn below(&mut self, bound: u64) -> u64 {
        self.next_u64() % bound
    }

    /// A number in `low..=high`.
    pub fn between(&mut self, low: u64, high: u64) -> u64 {
        low + self.below(high - low + 1)
    }

    /// `len` pseudo-random bytes.
    pub fn bytes(&mut self, len: usize) -> Vec<u8> {
        let mut bytes: Vec<u8> = (0..len.div_ceil(8)).flat_map(|_| self.next_u64().to_le_bytes()).collect();
        bytes.truncate(len);
        bytes
    }
}

/// A token unique to one write of one writer run: fixed width, so no token is a substring of
/// another, and long enough for the trigram search index.
pub fn token(round: u64, n: u64) -> String {
    format!("t{round:04}n{n:05}q")
}

/// Bytes in a sealed blob chunk's plaintext (cairn-store's `BLOB_CHUNK_LEN`).
pub const CHUNK: usize = 64 * 1024;

/// What one recording of the kill loop records: its audio, the pieces it arrives in, and
/// whether the writer discards it instead of finishing it. The same for the writer and the
/// test, from the writer run (`round`) and the recording's number in it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordingPlan {
    /// The whole recording.
    pub audio: Vec<u8>,
    /// The length of each piece, in order (they add up to `audio.len()`).
    pub pieces: Vec<usize>,
    /// Whether the writer discards the recording after its last piece.
    pub discard: bool,
}

impl RecordingPlan {
    /// The plan of recording `number` of writer run `round`.
    pub fn new(round: u64, number: u64) -> RecordingPlan {
        let mut rng = Rng::new(0x5eed_0000_0000_0000 ^ (round << 20) ^ number);
        let len = rng.between(CHUNK as u64 / 2, 4 * CHUNK as u64 + 5000) as usize;
        let audio = rng.bytes(len);
        let mut pieces = Vec::new();
        let mut left = len;
        while left > 0 {
            let piece = (rng.between(500, 24_000) as usize).min(left);
            pieces.push(piece);
            left -= piece;
        }
        RecordingPlan { audio, pieces, discard: rng.below(6) == 0 }
    }

    /// Bytes written once the first `count` pieces are in.
    pub fn written_after(&self, count: usize) -> usize {
        self.pieces[..count.min(self.pieces.len())].iter().sum()
    }
}

/// The content of the attachment the delete loop's writer adds to case `n` of run `round`.
pub fn attachment_content(round: u64, n: u64) -> Vec<u8> {
    let mut rng = Rng::new(0xa77a_c400_0000_0000 ^ (round << 20) ^ n);
    let len = rng.between(CHUNK as u64 + 1, 3 * CHUNK as u64) as usize;
    rng.bytes(len)
}
