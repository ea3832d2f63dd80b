//! Writes and reads N records through the vault (SQLCipher + per-case envelopes), through
//! SQLCipher alone, and through plain SQLite, in one run, and prints the ratios.
//!
//! `cargo bench -p cairn-store --bench vault_vs_sqlite` (set CAIRN_BENCH_N to change N).
//! Plain SQLite is the same bundled library opened without a key, so the only difference
//! measured is the encryption. All three use WAL and synchronous=FULL.
#![allow(missing_docs, clippy::print_stdout, clippy::unwrap_used)]

use std::{
    hint::black_box,
    path::Path,
    time::{Duration, Instant},
};

use cairn_crypto::KdfParams;
use cairn_store::{KdfChoice, Vault};
use rusqlite::{Connection, params};
use secrecy::SecretString;

const RECORD_LEN: usize = 1024;
const CASES: usize = 100;
const SINGLE_COMMITS: usize = 100;
const RUNS: usize = 3;

fn record(i: usize) -> Vec<u8> {
    let text = format!("record {i} 증언 기록 testimony text ");
    text.as_bytes().iter().copied().cycle().take(RECORD_LEN).collect()
}

struct Timings {
    bulk_write: Duration,
    read_all: Duration,
    single_commit: Duration,
}

fn min(a: Duration, b: Duration) -> Duration {
    a.min(b)
}

/// Plain SQLite (no key) or SQLCipher alone (raw key, like the vault), storing the plaintext
/// rows. Every column frees memory through the vault's zeroing allocator; `memory_security`
/// adds SQLCipher's own wipe (pseudo-random bytes), what the vault falls back to.
fn bench_sqlite(dir: &Path, n: usize, key: Option<&str>, memory_security: bool) -> Timings {
    let path = dir.join(if key.is_some() { "sqlcipher.db" } else { "plain.db" });
    let connection = Connection::open(&path).unwrap();
    if let Some(key) = key {
        connection.pragma_update(None, "key", key).unwrap();
        if memory_security {
            connection.execute_batch("PRAGMA cipher_memory_security = ON;").unwrap();
        }
    }
    connection
        .execute_batch(
            "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA temp_store = MEMORY; PRAGMA secure_delete = ON; PRAGMA cache_size = -8192;
             CREATE TABLE records (case_id INTEGER, chunk_id INTEGER, body BLOB, PRIMARY KEY (case_id, chunk_id)) WITHOUT ROWID;",
        )
        .unwrap();
    let started = Instant::now();
    {
        let tx = connection.unchecked_transaction().unwrap();
        let mut insert = tx.prepare("INSERT INTO records VALUES (?1, ?2, ?3)").unwrap();
        for i in 0..n {
            insert.execute(params![(i % CASES) as i64, (i / CASES) as i64, record(i)]).unwrap();
        }
        drop(insert);
        tx.commit().unwrap();
    }
    let bulk_write = started.elapsed();
    let started = Instant::now();
    let mut statement = connection.prepare("SELECT body FROM records WHERE case_id = ?1 ORDER BY chunk_id").unwrap();
    let mut total = 0usize;
    for case in 0..CASES {
        let rows = statement.query_map([case as i64], |row| row.get::<_, Vec<u8>>(0)).unwrap();
        for row in rows {
            total += black_box(row.unwrap()).len();
        }
    }
    assert_eq!(total, n * RECORD_LEN);
    let read_all = started.elapsed();
    let started = Instant::now();
    for i in 0..SINGLE_COMMITS {
        connection.execute("INSERT INTO records VALUES (?1, ?2, ?3)", params![-1i64, i as i64, record(i)]).unwrap();
    }
    let single_commit = started.elapsed() / SINGLE_COMMITS as u32;
    drop(statement);
    drop(connection);
    Timings { bulk_write, read_all, single_commit }
}

/// The vault: SQLCipher page encryption plus an XChaCha20-Poly1305 envelope per record.
fn bench_vault(dir: &Path, n: usize) -> Timings {
    let vault_dir = dir.join("vault");
    let (mut vault, _) =
        Vault::create(&vault_dir, &SecretString::from("benchmark passphrase"), KdfChoice::InsecureTestOnly).unwrap();
    let cases: Vec<[u8; 16]> = (0..CASES).map(|_| cairn_crypto::random_id()).collect();
    let doc = cairn_crypto::random_id();
    vault
        .transaction(|tx| {
            for case in &cases {
                tx.create_case_key(case)?;
            }
            Ok(())
        })
        .unwrap();
    let started = Instant::now();
    vault
        .transaction(|tx| {
            for i in 0..n {
                tx.append_record(&cases[i % CASES], &doc, &record(i))?;
            }
            Ok(())
        })
        .unwrap();
    let bulk_write = started.elapsed();
    let started = Instant::now();
    let total = vault
        .read(|tx| {
            let mut total = 0usize;
            for case in &cases {
                for stored in tx.records(case, &doc)? {
                    total += black_box(stored.plaintext).len();
                }
            }
            Ok(total)
        })
        .unwrap();
    assert_eq!(total, n * RECORD_LEN);
    let read_all = started.elapsed();
    let started = Instant::now();
    for i in 0..SINGLE_COMMITS {
        vault.transaction(|tx| tx.append_record(&cases[0], &cairn_crypto::random_id(), &record(i)).map(|_| ())).unwrap();
    }
    let single_commit = started.elapsed() / SINGLE_COMMITS as u32;
    vault.lock();
    Timings { bulk_write, read_all, single_commit }
}

fn best_of(mut run: impl FnMut(&Path) -> Timings) -> Timings {
    let mut best: Option<Timings> = None;
    for _ in 0..RUNS {
        let dir = tempfile::tempdir().unwrap();
        let timings = run(dir.path());
        best = Some(match best {
            None => timings,
            Some(b) => Timings {
                bulk_write: min(b.bulk_write, timings.bulk_write),
                read_all: min(b.read_all, timings.read_all),
                single_commit: min(b.single_commit, timings.single_commit),
            },
        });
    }
    best.unwrap()
}

fn ms(duration: Duration) -> String {
    format!("{:.2} ms", duration.as_secs_f64() * 1e3)
}

fn ratio(a: Duration, b: Duration) -> String {
    format!("{:.2}×", a.as_secs_f64() / b.as_secs_f64())
}

fn main() {
    // `cargo bench` passes `--bench`; `cargo test --benches` passes nothing and expects speed.
    let n: usize = std::env::var("CAIRN_BENCH_N").ok().and_then(|v| v.parse().ok()).unwrap_or(10_000);
    let raw_key = format!("x'{}'", "ab".repeat(32));
    println!("Vault vs SQLCipher alone vs plain SQLite: {n} records of {RECORD_LEN} B in {CASES} cases, best of {RUNS}");
    // Everything here frees memory as the vault does, through the zeroing allocator.
    assert!(cairn_sqlite_memory::install(), "the allocator goes in before SQLite starts");
    let plain = best_of(|dir| bench_sqlite(dir, n, None, false));
    let cipher = best_of(|dir| bench_sqlite(dir, n, Some(&raw_key), false));
    let vault = best_of(|dir| bench_vault(dir, n));
    // Last: SQLCipher's own memory security cannot be switched off again in this process.
    let cipher_random_wipe = best_of(|dir| bench_sqlite(dir, n, Some(&raw_key), true));
    println!();
    println!(
        "| operation | plain SQLite | SQLCipher alone | vault | vault / plain | vault / SQLCipher | SQLCipher wiping with its memory security instead |"
    );
    println!("|---|---|---|---|---|---|---|");
    for (name, p, c, v, r) in [
        (
            "write N records, one transaction",
            plain.bulk_write,
            cipher.bulk_write,
            vault.bulk_write,
            cipher_random_wipe.bulk_write,
        ),
        ("read all N records", plain.read_all, cipher.read_all, vault.read_all, cipher_random_wipe.read_all),
        (
            "one record, own transaction (fsync)",
            plain.single_commit,
            cipher.single_commit,
            vault.single_commit,
            cipher_random_wipe.single_commit,
        ),
    ] {
        println!("| {name} | {} | {} | {} | {} | {} | {} |", ms(p), ms(c), ms(v), ratio(v, p), ratio(v, c), ms(r));
    }

    // Unlock time against the Argon2id parameters it is made of.
    println!();
    println!("| unlock at Argon2id parameters | Argon2id alone | full unlock | unlock / Argon2id |");
    println!("|---|---|---|---|");
    for params in [KdfParams::FLOOR, KdfParams::START] {
        let dir = tempfile::tempdir().unwrap();
        let passphrase = SecretString::from("benchmark passphrase");
        Vault::create(dir.path(), &passphrase, KdfChoice::Fixed(params)).unwrap().0.lock();
        let mut argon = Duration::MAX;
        let mut unlock = Duration::MAX;
        for _ in 0..RUNS {
            argon = argon.min(cairn_crypto::time_kdf(&params));
            let started = Instant::now();
            Vault::unlock(dir.path(), &passphrase).unwrap().lock();
            unlock = unlock.min(started.elapsed());
        }
        println!(
            "| m={} MiB, t={}, p={} | {} | {} | {} |",
            params.memory_kib / 1024,
            params.iterations,
            params.parallelism,
            ms(argon),
            ms(unlock),
            ratio(unlock, argon)
        );
    }
}
