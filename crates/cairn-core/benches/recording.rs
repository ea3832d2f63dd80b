//! In-app recording and streamed playback, each beside the same work through plain SQLite and
//! through SQLCipher alone, in the same run:
//!
//! - **record:** ten minutes of audio in one-second pieces of 8,000 bytes (64 kbit/s), each
//!   piece sealed before the next, as the desktop app does (a transaction per piece, which
//!   writes and fsyncs only when a 64 KiB chunk is complete); baseline: each piece inserted
//!   into a table in its own fsynced transaction;
//! - **play:** reads of 1 MiB (what the media handler answers per range request) at random
//!   offsets of the finished recording; baseline: selecting the same 16 rows of 64 KiB.
//!
//! `cargo bench -p cairn-core --bench recording`. All databases use WAL and synchronous=FULL
//! on the same disk.
#![allow(missing_docs, clippy::print_stdout, clippy::print_stderr, clippy::unwrap_used, clippy::expect_used)]

use std::{
    path::Path,
    time::{Duration, Instant},
};

use cairn_core::{KdfChoice, SecretString, create_vault};
use rusqlite::{Connection, params};

#[allow(dead_code, reason = "this bench uses only the baseline database of the shared helpers")]
mod support;

const PIECE: usize = 8_000;
const PIECES: usize = 600;
const READ_LEN: usize = 1 << 20;
const READS: usize = 200;
const CHUNK: usize = 64 * 1024;

fn percentile(samples: &mut [Duration], p: f64) -> Duration {
    samples.sort();
    samples[((samples.len() - 1) as f64 * p).round() as usize]
}

fn ms(duration: Duration) -> String {
    format!("{:.2} ms", duration.as_secs_f64() * 1e3)
}

/// A deterministic stream of offsets (xorshift), so every run reads the same places.
fn offsets(len: u64) -> Vec<u64> {
    let mut state = 0x9e37_79b9_7f4a_7c15u64;
    (0..READS)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state % len.saturating_sub(READ_LEN as u64).max(1)
        })
        .collect()
}

fn audio() -> Vec<u8> {
    (0..PIECE * PIECES).map(|i| (i * 31 + i / 977) as u8).collect()
}

/// The baseline database: plain (`key = None`) or SQLCipher with a raw key.
fn baseline_db(dir: &Path, name: &str, key: Option<&str>) -> Connection {
    support::baseline_db(
        &dir.join(name),
        key,
        "CREATE TABLE pieces (position INTEGER PRIMARY KEY, bytes BLOB);
         CREATE TABLE chunks (position INTEGER PRIMARY KEY, bytes BLOB);",
    )
}

/// Per-piece commit times and per-read times through a baseline database.
fn baseline(connection: &Connection, data: &[u8]) -> (Vec<Duration>, Vec<Duration>) {
    let mut record = Vec::with_capacity(PIECES);
    for (position, piece) in data.chunks(PIECE).enumerate() {
        let started = Instant::now();
        let tx = connection.unchecked_transaction().unwrap();
        tx.execute("INSERT INTO pieces VALUES (?1, ?2)", params![position as i64, piece]).unwrap();
        tx.commit().unwrap();
        record.push(started.elapsed());
    }
    let tx = connection.unchecked_transaction().unwrap();
    for (position, chunk) in data.chunks(CHUNK).enumerate() {
        tx.execute("INSERT INTO chunks VALUES (?1, ?2)", params![position as i64, chunk]).unwrap();
    }
    tx.commit().unwrap();
    let mut play = Vec::with_capacity(READS);
    let mut select = connection.prepare("SELECT bytes FROM chunks WHERE position BETWEEN ?1 AND ?2").unwrap();
    for offset in offsets(data.len() as u64) {
        let started = Instant::now();
        let (first, last) = (offset / CHUNK as u64, (offset + READ_LEN as u64 - 1) / CHUNK as u64);
        let mut out = Vec::with_capacity(READ_LEN + CHUNK);
        let mut rows = select.query(params![first as i64, last as i64]).unwrap();
        while let Some(row) = rows.next().unwrap() {
            out.extend_from_slice(row.get_ref(0).unwrap().as_blob().unwrap());
        }
        std::hint::black_box(&out);
        play.push(started.elapsed());
    }
    (record, play)
}

fn main() {
    let dir = tempfile::tempdir().unwrap();
    let data = audio();
    let (mut session, _) =
        create_vault(&dir.path().join("vault"), &SecretString::from("bench passphrase long"), KdfChoice::InsecureTestOnly)
            .unwrap();
    let case = session.create_case("녹음 벤치").unwrap();
    let recording = session.start_recording(&case, None, "audio/mp4").unwrap();
    let mut record_times = Vec::with_capacity(PIECES);
    let mut offset = 0;
    for piece in data.chunks(PIECE) {
        let started = Instant::now();
        offset = session.append_recording(&recording, offset, piece).unwrap();
        record_times.push(started.elapsed());
    }
    let started = Instant::now();
    let attachment = session.finish_recording(&recording).unwrap();
    let finish = started.elapsed();
    let stream = session.open_stream(&attachment.id).unwrap();
    let mut play_times = Vec::with_capacity(READS);
    for offset in offsets(data.len() as u64) {
        let started = Instant::now();
        let bytes = session.read_stream(&stream, offset, READ_LEN).unwrap();
        assert_eq!(bytes.len(), READ_LEN);
        play_times.push(started.elapsed());
    }

    let plain = baseline_db(dir.path(), "plain.db", None);
    let (mut plain_record, mut plain_play) = baseline(&plain, &data);
    let cipher =
        baseline_db(dir.path(), "cipher.db", Some("x'2DD29CA851E7B56E4697B0E1F08507293D761A05CE4D1B628663F411A8086D99'"));
    let (mut cipher_record, mut cipher_play) = baseline(&cipher, &data);

    let total = |times: &[Duration]| times.iter().sum::<Duration>();
    let (record_total, plain_total, cipher_total) = (total(&record_times), total(&plain_record), total(&cipher_record));
    let (r50, r99) = (percentile(&mut record_times, 0.5), percentile(&mut record_times, 0.99));
    let (pr50, pr99) = (percentile(&mut plain_record, 0.5), percentile(&mut plain_record, 0.99));
    let (cr50, cr99) = (percentile(&mut cipher_record, 0.5), percentile(&mut cipher_record, 0.99));
    let (p50, p99) = (percentile(&mut play_times, 0.5), percentile(&mut play_times, 0.99));
    let (pp50, pp99) = (percentile(&mut plain_play, 0.5), percentile(&mut plain_play, 0.99));
    let (cp50, cp99) = (percentile(&mut cipher_play, 0.5), percentile(&mut cipher_play, 0.99));
    let ratio = |a: Duration, b: Duration| a.as_secs_f64() / b.as_secs_f64();
    println!("record {PIECES} pieces of {PIECE} B, one transaction each (finish: {}):", ms(finish));
    println!("  vault            p50 {}  p99 {}", ms(r50), ms(r99));
    println!(
        "  plain SQLite     p50 {}  p99 {}   vault/plain p50 {:.2}×  p99 {:.2}×",
        ms(pr50),
        ms(pr99),
        ratio(r50, pr50),
        ratio(r99, pr99)
    );
    println!(
        "  SQLCipher alone  p50 {}  p99 {}   vault/SQLCipher p50 {:.2}×  p99 {:.2}×",
        ms(cr50),
        ms(cr99),
        ratio(r50, cr50),
        ratio(r99, cr99)
    );
    println!(
        "  all {PIECES} pieces: vault {}, plain SQLite {} ({:.2}×), SQLCipher alone {} ({:.2}×)",
        ms(record_total),
        ms(plain_total),
        ratio(record_total, plain_total),
        ms(cipher_total),
        ratio(record_total, cipher_total)
    );
    println!("play: {READS} reads of {READ_LEN} B at random offsets:");
    println!("  vault            p50 {}  p99 {}", ms(p50), ms(p99));
    println!(
        "  plain SQLite     p50 {}  p99 {}   vault/plain p50 {:.2}×  p99 {:.2}×",
        ms(pp50),
        ms(pp99),
        ratio(p50, pp50),
        ratio(p99, pp99)
    );
    println!(
        "  SQLCipher alone  p50 {}  p99 {}   vault/SQLCipher p50 {:.2}×  p99 {:.2}×",
        ms(cp50),
        ms(cp99),
        ratio(p50, cp50),
        ratio(p99, cp99)
    );
}
