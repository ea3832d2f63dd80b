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

/// A baseline database at `path` (plain SQLite with `key = None`, or SQLCipher with a raw key),
/// with the vault's pragmas (WAL, synchronous=FULL, secure_delete, an 8 MiB page cache) and the
/// tables `schema` creates. It frees memory as the vault does: through the zeroing allocator
/// (process-wide), or with SQLCipher's memory security where that allocator came too late (as
/// the vault falls back).
#[allow(dead_code, reason = "each bench compiles this module; not every one has a baseline database")]
pub(crate) fn baseline_db(path: &std::path::Path, key: Option<&str>, schema: &str) -> rusqlite::Connection {
    let zeroing = cairn_sqlite_memory::install();
    let connection = rusqlite::Connection::open(path).unwrap();
    if let Some(key) = key {
        connection.pragma_update(None, "key", key).unwrap();
        if !zeroing {
            connection.execute_batch("PRAGMA cipher_memory_security = ON;").unwrap();
        }
    }
    connection.execute_batch("PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA temp_store = MEMORY; PRAGMA secure_delete = ON; PRAGMA cache_size = -8192;").unwrap();
    connection.execute_batch(schema).unwrap();
    connection
}
