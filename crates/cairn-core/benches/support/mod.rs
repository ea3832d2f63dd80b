//! Helpers shared by the benchmarks.

/// A small deterministic generator (no dependency; a bench must be reproducible).
pub(crate) struct Rng(pub(crate) u64);

impl Rng {
    /// The next value of a xorshift64 sequence.
    pub(crate) fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    /// A value below `n`.
    #[allow(dead_code, reason = "each bench compiles this module; not every one draws bounded values")]
    pub(crate) fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}
