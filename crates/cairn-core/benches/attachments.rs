//! First full sync with attachments over loopback (issue 9): device A holds N cases (default
//! 1,000, each with a person and a short testimony) and M MB of attachments (default 100, in
//! 1 MB files spread over the cases); device B is empty. B connects to A over TCP on 127.0.0.1
//! through `cairn-net` (Noise handshake, roster check, framing) and the two vaults sync until
//! B holds everything, each side on its own thread as two processes would run.
//!
//! Compared in the same run with `cp` of the same attachment bytes (one file of M MB, copied
//! with the system's `cp` to a fresh file on the same disk, then `sync`ed to disk like the
//! vault's commits are). Peak memory is this process's high-water mark (`VmHWM`) during the
//! sync, minus the mark before it: both devices together, with the test content already held.
//!
//! `cargo bench -p cairn-core --bench attachments` (`CAIRN_BENCH_CASES`, `CAIRN_BENCH_MB`).
//! Progress goes to stderr, the figures to stdout.
#![allow(missing_docs, clippy::print_stdout, clippy::print_stderr, clippy::unwrap_used, clippy::expect_used)]

use std::{
    sync::mpsc,
    time::{Duration, Instant},
};

use cairn_core::sync::AgreementPublicKey;
use cairn_core::{
    Session,
    cases::{NewPerson, NewTestimony, id_to_hex},
    sync::{PeerRefusal, SyncCredentials},
    testing::TestTeam,
};
use cairn_net::{AuthorizedPeer, NetConfig, Refusal};

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name).ok().and_then(|value| value.parse().ok()).unwrap_or(default)
}

fn authorizer(credentials: &SyncCredentials) -> impl Fn(&AgreementPublicKey) -> Result<AuthorizedPeer, Refusal> + Sync + '_ {
    move |key| match credentials.check_peer(key) {
        Ok((id, fingerprint)) => Ok(AuthorizedPeer { id, fingerprint }),
        Err(PeerRefusal::Unknown) => Err(Refusal::Unknown),
        Err(PeerRefusal::Revoked) => Err(Refusal::Revoked),
    }
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread().enable_io().enable_time().build().expect("runtime")
}

/// This process's peak resident memory so far, in KiB.
fn peak_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmHWM:"))
        .and_then(|value| value.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

/// Resets the peak resident memory mark to the current size (Linux: write 5 to clear_refs).
fn reset_peak() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

fn content(seed: usize, len: usize) -> Vec<u8> {
    // Not compressible and not all alike: a cheap generator per file.
    let mut x = (seed as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect()
}

fn fill(session: &mut Session, cases: usize, megabytes: usize) -> u64 {
    let mut case_ids = Vec::with_capacity(cases);
    for n in 0..cases {
        let case = session.create_case(&format!("Case {n}")).expect("case");
        let person =
            session.add_person(&case, &NewPerson { pseudonym: format!("P-{n}"), ..NewPerson::default() }).expect("p");
        let testimony = NewTestimony {
            source_person: id_to_hex(&person),
            language: "ko".into(),
            narrative: format!("{n}번째 증언: 국경을 건넜다."),
            ..NewTestimony::default()
        };
        session.add_testimony(&case, &testimony).expect("testimony");
        case_ids.push(case);
        if (n + 1) % 250 == 0 {
            eprintln!("  {} cases", n + 1);
        }
    }
    let mut bytes = 0;
    for m in 0..megabytes {
        let file = content(m, 1024 * 1024);
        let case = &case_ids[m * case_ids.len() / megabytes.max(1)];
        session.attach_reader(case, &format!("recording-{m}.m4a"), &mut file.as_slice(), true).expect("attach");
        bytes += file.len() as u64;
    }
    bytes
}

fn main() {
    let cases = env_usize("CAIRN_BENCH_CASES", 1_000);
    let megabytes = env_usize("CAIRN_BENCH_MB", 100);
    eprintln!("setting up: {cases} cases, {megabytes} MB of attachments on A");
    let mut team = TestTeam::new(2);
    let attachment_bytes = fill(team.device(0), cases, megabytes);
    let [a, b] = team.devices.get_disjoint_mut([0, 1]).expect("devices");

    // Baseline: cp of the same bytes (one file), flushed to disk.
    let folder = tempfile::tempdir().expect("folder");
    let source = folder.path().join("attachments.bin");
    let mut all = Vec::with_capacity(attachment_bytes as usize);
    for m in 0..megabytes {
        all.extend_from_slice(&content(m, 1024 * 1024));
    }
    std::fs::write(&source, &all).expect("write");
    drop(all);
    let started = Instant::now();
    let status = std::process::Command::new("cp").arg(&source).arg(folder.path().join("copy.bin")).status().expect("cp");
    assert!(status.success());
    let status = std::process::Command::new("sync").status().expect("sync");
    assert!(status.success());
    let cp_time = started.elapsed();

    // Cairn: A serves, B connects, over loopback.
    eprintln!("syncing over loopback");
    let (address_tx, address_rx) = mpsc::channel();
    reset_peak();
    let peak_before = peak_kib();
    let started = Instant::now();
    let summaries = std::thread::scope(|scope| {
        let server = scope.spawn(|| {
            let credentials = a.session.sync_credentials().expect("credentials");
            let authorize = authorizer(&credentials);
            let config = NetConfig::new(&credentials.local_static, &credentials.psks, &authorize);
            runtime().block_on(async {
                let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
                address_tx.send(listener.local_addr().expect("address")).expect("send address");
                let mut channel = cairn_net::accept(&listener, &config).await.expect("accept");
                let mut store = a.session.sync_store().expect("store");
                let summary = cairn_net::sync_as_responder(&mut channel, &mut store).await.expect("serve");
                let _ = channel.close().await;
                summary
            })
        });
        let address = address_rx.recv_timeout(Duration::from_secs(30)).expect("address");
        let credentials = b.session.sync_credentials().expect("credentials");
        let authorize = authorizer(&credentials);
        let config = NetConfig::new(&credentials.local_static, &credentials.psks, &authorize);
        let client = runtime().block_on(async {
            let mut channel = cairn_net::connect(address, &config).await.expect("connect");
            let mut store = b.session.sync_store().expect("store");
            let summary = cairn_net::sync_as_initiator(&mut channel, &mut store).await.expect("connect");
            let _ = channel.close().await;
            summary
        });
        (client, server.join().expect("server"))
    });
    let sync_time = started.elapsed();
    let peak = peak_kib().saturating_sub(peak_before);
    let (from_b, from_a) = summaries;
    assert_eq!(from_b.attachments_received as usize, megabytes, "every attachment arrived");
    assert!(b.session.attachments_arriving().expect("arriving").is_empty());
    assert_eq!(b.session.list_cases().expect("list").len(), cases);

    let mb = attachment_bytes as f64 / (1024.0 * 1024.0);
    println!("First full sync over loopback: {cases} cases, {megabytes} attachments ({mb:.0} MB)");
    println!("| | time | throughput | ratio to cp |");
    println!("|---|---|---|---|");
    println!(
        "| `cp` of the attachment bytes (+ `sync`) | {:.2} s | {:.0} MB/s | 1.00 |",
        cp_time.as_secs_f64(),
        mb / cp_time.as_secs_f64()
    );
    println!(
        "| Cairn sync (Noise over TCP, both vaults) | {:.2} s | {:.0} MB/s | {:.2} |",
        sync_time.as_secs_f64(),
        mb / sync_time.as_secs_f64(),
        sync_time.as_secs_f64() / cp_time.as_secs_f64()
    );
    println!(
        "Bytes A→B {} (attachments {:.1}% of it), B→A {}; round trips {}; documents {}; peak memory of both devices during the sync +{} MiB",
        from_a.bytes_sent,
        attachment_bytes as f64 * 100.0 / from_a.bytes_sent.max(1) as f64,
        from_b.bytes_sent,
        from_b.round_trips,
        from_b.documents_received,
        peak / 1024
    );
}
