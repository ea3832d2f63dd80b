//! Sync commands: `cairn sync serve`, `cairn sync connect`, `cairn sync discover`,
//! `cairn sync peers`.
//!
//! A live link is TCP with Noise (`cairn-net`); both devices check each other against the
//! roster before anything is exchanged, and each shows the other's fingerprint so the people
//! holding them can compare it. The summary says what moved each way.

use std::{
    net::{IpAddr, SocketAddr},
    time::{Duration, Instant},
};

use anyhow::Context;
use cairn_core::{
    CoreError, Session,
    cases::id_to_hex,
    sync::{AgreementPublicKey, PeerRefusal, SyncCredentials, SyncRefusal},
};
use cairn_net::{AuthorizedPeer, NetConfig, Refusal, SecureChannel};
use cairn_sync::SyncSummary;
use clap::Subcommand;
use serde_json::json;

use crate::{Cli, output};

/// `cairn sync …`
#[derive(Debug, Subcommand)]
pub(crate) enum SyncCommand {
    /// Wait for team devices to connect and sync with each (Ctrl+C stops; `--once` after one).
    Serve {
        /// The address to listen on, e.g. 0.0.0.0:7405 on a safe-house LAN (nothing is
        /// announced unless --announce is given).
        #[arg(long, value_name = "ADDR")]
        listen: SocketAddr,
        /// Stop after one session.
        #[arg(long)]
        once: bool,
        /// Announce this device on the local network while serving, so team devices there find
        /// it with `sync discover`. Anyone on the network can see that some device is
        /// broadcasting (not what it is or whose): use it only where that is safe.
        #[arg(long)]
        announce: bool,
        /// Send the announcements to this address instead of the LAN broadcast address
        /// (implies --announce).
        #[arg(long, value_name = "ADDR")]
        announce_to: Option<SocketAddr>,
        /// JSON: one {"peer","fingerprint","summary"} per session on standard output.
        #[arg(long)]
        json: bool,
    },
    /// Connect to a team device that is serving and sync with it.
    Connect {
        /// Its address, e.g. 192.0.2.10:7405.
        addr: SocketAddr,
        /// JSON: {"peer","fingerprint","summary"}.
        #[arg(long)]
        json: bool,
    },
    /// Look for team devices announcing themselves on the local network (`serve --announce`).
    Discover {
        /// How long to listen, in seconds.
        #[arg(long, default_value_t = 5, value_parser = clap::value_parser!(u64).range(1..=600))]
        wait: u64,
        /// The local address to listen on (default: every interface).
        #[arg(long, value_name = "IP", default_value = "0.0.0.0")]
        listen_on: IpAddr,
        /// JSON: {"devices":[{"device_id","name","fingerprint","address"}]}.
        #[arg(long)]
        json: bool,
    },
    /// The last sync with each peer.
    Peers {
        /// JSON: {"peers":[{"peer","last_sync_at","documents_sent","documents_received","changes_sent","changes_received","bytes_sent","bytes_received"}]}.
        #[arg(long)]
        json: bool,
    },
}

pub(crate) fn run(cli: &Cli, command: &SyncCommand) -> anyhow::Result<()> {
    match command {
        SyncCommand::Serve { listen, once, announce, announce_to, json } => {
            let announce = announce_to.map(Announce::To).or(announce.then_some(Announce::Broadcast));
            serve(cli, *listen, *once, announce, *json)
        }
        SyncCommand::Discover { wait, listen_on, json } => discover(cli, Duration::from_secs(*wait), *listen_on, *json),
        SyncCommand::Connect { addr, json } => connect(cli, *addr, *json),
        SyncCommand::Peers { json } => peers(cli, *json),
    }
}

fn open(cli: &Cli) -> anyhow::Result<Session> {
    crate::vault_commands::open(cli)
}

/// The roster check, in the transport's terms.
fn authorizer(credentials: &SyncCredentials) -> impl Fn(&AgreementPublicKey) -> Result<AuthorizedPeer, Refusal> + Sync + '_ {
    move |key| match credentials.check_peer(key) {
        Ok((id, fingerprint)) => Ok(AuthorizedPeer { id, fingerprint }),
        Err(PeerRefusal::Unknown) => Err(Refusal::Unknown),
        Err(PeerRefusal::Revoked) => Err(Refusal::Revoked),
    }
}

fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_current_thread().enable_io().enable_time().build().context("could not start the network")
}

async fn one_session(session: &mut Session, channel: &mut SecureChannel, initiator: bool, json: bool) -> anyhow::Result<()> {
    let fingerprint = channel.peer_fingerprint().to_string();
    if !json {
        output::notice(format!(
            "Connected to device {} — compare its fingerprint: {fingerprint}",
            id_to_hex(&channel.peer())
        ));
    }
    let started = Instant::now();
    let progress = output::Progress::spinner(json);
    let mut store = Watched { store: session.sync_store()?, progress: &progress, moved: Moved::default() };
    let outcome = if initiator {
        cairn_net::sync_as_initiator(channel, &mut store).await
    } else {
        cairn_net::sync_as_responder(channel, &mut store).await
    };
    progress.finish();
    let summary = outcome.map_err(crate::exit::SyncFailed::from_session)?;
    print_summary(&id_to_hex(&channel.peer()), &fingerprint, &summary, started.elapsed().as_millis(), json)?;
    if summary.roster_only {
        // Never silent: the session moved no case because this device's roster has expired.
        if summary.roster_updated {
            output::notice("A newer roster arrived: sync again to exchange cases.");
        }
        return Err(CoreError::Sync(SyncRefusal::RosterExpiredSyncLimited).into());
    }
    Ok(())
}

/// What a session has moved so far, as the progress line shows it.
#[derive(Debug, Default)]
struct Moved {
    documents_received: usize,
    parts_sent: u64,
    parts_received: u64,
    attachments_received: u64,
}

/// The vault's sync store, watched: every call that moves something updates the progress line.
struct Watched<'p, S> {
    store: S,
    progress: &'p output::Progress,
    moved: Moved,
}

impl<S> Watched<'_, S> {
    fn show(&self) {
        let moved = &self.moved;
        self.progress.set(|| {
            format!(
                "Syncing: {} documents received; attachments: {} parts sent, {} parts received ({} complete)",
                moved.documents_received, moved.parts_sent, moved.parts_received, moved.attachments_received
            )
        });
    }
}

impl<S: cairn_sync::SyncStore> cairn_sync::SyncStore for Watched<'_, S> {
    type Error = S::Error;

    fn session_scope(&mut self, peer: &cairn_sync::PeerId) -> Result<cairn_sync::SessionScope, S::Error> {
        self.store.session_scope(peer)
    }
    fn roster(&mut self) -> Result<Option<(u64, Vec<u8>)>, S::Error> {
        self.store.roster()
    }
    fn accept_roster(&mut self, bytes: &[u8]) -> Result<(), S::Error> {
        self.store.accept_roster(bytes)
    }
    fn items(&mut self) -> Result<Vec<cairn_sync::Item>, S::Error> {
        self.progress.set(|| "Comparing what each device holds…".to_owned());
        self.store.items()
    }
    fn heads(
        &mut self,
        doc_id: &cairn_sync::ObjectId,
    ) -> Result<Option<(cairn_sync::DocRef, Vec<cairn_sync::ChangeHash>)>, S::Error> {
        self.store.heads(doc_id)
    }
    fn changes_since(
        &mut self,
        doc: &cairn_sync::DocRef,
        their_heads: &[cairn_sync::ChangeHash],
    ) -> Result<Vec<cairn_sync::SealedChange>, S::Error> {
        self.store.changes_since(doc, their_heads)
    }
    fn holds_heads(&mut self, doc: &cairn_sync::DocRef, heads: &[cairn_sync::ChangeHash]) -> Result<bool, S::Error> {
        self.store.holds_heads(doc, heads)
    }
    fn want_hashes(
        &mut self,
        doc: &cairn_sync::DocRef,
        heads: &[cairn_sync::ChangeHash],
    ) -> Result<Vec<cairn_sync::ChangeHash>, S::Error> {
        self.store.want_hashes(doc, heads)
    }
    fn export_case_key(&mut self, case_id: &cairn_sync::ObjectId) -> Result<cairn_sync::CaseKeyWrap, S::Error> {
        self.store.export_case_key(case_id)
    }
    fn tombstone(&mut self, case_id: &cairn_sync::ObjectId) -> Result<Option<Vec<u8>>, S::Error> {
        self.store.tombstone(case_id)
    }
    fn apply(&mut self, incoming: &cairn_sync::Incoming) -> Result<(), S::Error> {
        self.store.apply(incoming)?;
        self.moved.documents_received += incoming.changes.len();
        self.show();
        Ok(())
    }
    fn missing_blobs(&mut self, limit: usize) -> Result<Vec<cairn_sync::BlobWant>, S::Error> {
        self.store.missing_blobs(limit)
    }
    fn blob_part_count(
        &mut self,
        case_id: &cairn_sync::ObjectId,
        address: &cairn_sync::BlobAddress,
    ) -> Result<Option<u32>, S::Error> {
        self.store.blob_part_count(case_id, address)
    }
    fn blob_part(
        &mut self,
        case_id: &cairn_sync::ObjectId,
        address: &cairn_sync::BlobAddress,
        position: u32,
    ) -> Result<cairn_sync::BlobPart, S::Error> {
        let part = self.store.blob_part(case_id, address, position)?;
        self.moved.parts_sent += 1;
        self.show();
        Ok(part)
    }
    fn apply_blob_parts(&mut self, parts: &[cairn_sync::BlobPart]) -> Result<u64, S::Error> {
        let completed = self.store.apply_blob_parts(parts)?;
        self.moved.parts_received += parts.len() as u64;
        self.moved.attachments_received += completed;
        self.show();
        Ok(completed)
    }
    fn record_session(&mut self, peer: &cairn_sync::PeerId, summary: &SyncSummary) -> Result<(), S::Error> {
        self.store.record_session(peer, summary)
    }
}

fn print_summary(peer: &str, fingerprint: &str, summary: &SyncSummary, millis: u128, json: bool) -> anyhow::Result<()> {
    let value = json!({
        "peer": peer,
        "fingerprint": fingerprint,
        "summary": {
            "documents_sent": summary.documents_sent,
            "documents_received": summary.documents_received,
            "changes_sent": summary.changes_sent,
            "changes_received": summary.changes_received,
            "tombstones_sent": summary.tombstones_sent,
            "tombstones_received": summary.tombstones_received,
            "attachments_sent": summary.attachments_sent,
            "attachments_received": summary.attachments_received,
            "bytes_sent": summary.bytes_sent,
            "bytes_received": summary.bytes_received,
            "round_trips": summary.round_trips,
            "roster_updated": summary.roster_updated,
            "roster_only": summary.roster_only,
            "millis": millis,
        }
    });
    output::result(json, &value, || {
        format!(
            "Synced: {} documents sent, {} received, {} attachments sent, {} received ({} and {} bytes), {} deletions sent, {} received, {} round trips, {} ms{}",
            summary.documents_sent,
            summary.documents_received,
            summary.attachments_sent,
            summary.attachments_received,
            summary.bytes_sent,
            summary.bytes_received,
            summary.tombstones_sent,
            summary.tombstones_received,
            summary.round_trips,
            millis,
            if summary.roster_updated { "; a newer roster was received" } else { "" },
        )
    })
}

/// Where `serve` announces itself, when asked to.
#[derive(Debug, Clone, Copy)]
enum Announce {
    /// The LAN broadcast address, on the team's beacon port.
    Broadcast,
    /// A given address.
    To(SocketAddr),
}

fn serve(cli: &Cli, listen: SocketAddr, once: bool, announce: Option<Announce>, json: bool) -> anyhow::Result<()> {
    let mut session = open(cli)?;
    let credentials = session.sync_credentials()?;
    let discovery = announce.map(|_| session.discovery()).transpose()?;
    let authorize = authorizer(&credentials);
    let config = NetConfig::new(&credentials.local_static, &credentials.psks, &authorize);
    runtime()?.block_on(async {
        let listener = tokio::net::TcpListener::bind(listen).await.context("could not listen on that address")?;
        let local = listener.local_addr()?;
        if !json {
            output::notice(format!("Waiting for team devices on {local}"));
        }
        let beacons = async {
            let (Some(announce), Some(discovery)) = (announce, &discovery) else {
                return std::future::pending::<anyhow::Result<()>>().await;
            };
            let udp_port = discovery.udp_ports().first().copied().context("no beacon port")?;
            let target = match announce {
                Announce::Broadcast => cairn_net::discovery::broadcast(udp_port),
                Announce::To(target) => target,
            };
            if !json {
                output::notice(format!(
                    "Announcing this device on the local network (UDP port {udp_port}): anyone on it can see that a device is announcing"
                ));
            }
            let beacon = || discovery.beacon(local.port(), u64::try_from(cairn_core::cases::now_ms()).unwrap_or(0));
            cairn_net::discovery::announce(target, Duration::from_secs(2), beacon)
                .await
                .map_err(|error| anyhow::Error::from(crate::exit::SyncFailed::from_net(error)))
        };
        let mut beacons = std::pin::pin!(beacons);
        let mut sessions = std::pin::pin!(serve_sessions(&mut session, &listener, &config, once, json));
        // The announcements stop when serving does (or end it if they cannot start).
        std::future::poll_fn(|context| {
            if let std::task::Poll::Ready(served) = sessions.as_mut().poll(context) {
                return std::task::Poll::Ready(served);
            }
            beacons.as_mut().poll(context)
        })
        .await
    })
}

async fn serve_sessions(
    session: &mut Session,
    listener: &tokio::net::TcpListener,
    config: &NetConfig<'_>,
    once: bool,
    json: bool,
) -> anyhow::Result<()> {
    {
        loop {
            let (stream, _) = listener.accept().await.context("could not accept a connection")?;
            let outcome = match cairn_net::accept_stream(stream, config).await {
                Ok(mut channel) => one_session(session, &mut channel, false, json).await,
                Err(error) => Err(crate::exit::SyncFailed::from_net(error).into()),
            };
            match outcome {
                // One refused or broken connection does not stop a server; it is reported.
                Err(error) if !once => crate::exit::warn(&error),
                other => other?,
            }
            if once {
                return Ok(());
            }
        }
    }
}

fn discover(cli: &Cli, wait: Duration, listen_on: IpAddr, json: bool) -> anyhow::Result<()> {
    let mut session = open(cli)?;
    let discovery = session.discovery()?;
    let udp_port = discovery.udp_ports().first().copied().context("no beacon port")?;
    let bind = SocketAddr::new(listen_on, udp_port);
    // On standard error even with --json: a script waits for this line before announcing.
    output::notice(format!("Listening for team devices on {bind} for {} s", wait.as_secs()));
    let datagrams =
        runtime()?.block_on(cairn_net::discovery::listen(bind, wait, 4096)).map_err(crate::exit::SyncFailed::from_net)?;
    let now = u64::try_from(cairn_core::cases::now_ms()).unwrap_or(0);
    let mut found: Vec<(SocketAddr, cairn_core::sync::DiscoveredPeer)> = Vec::new();
    for (source, datagram) in datagrams {
        if let Some(peer) = discovery.recognise(&datagram, now)
            && !found.iter().any(|(_, known)| known.device_id == peer.device_id)
        {
            found.push((SocketAddr::new(source.ip(), peer.port), peer));
        }
    }
    let value = json!({
        "devices": found.iter().map(|(address, peer)| json!({
            "device_id": peer.device_id,
            "name": peer.name,
            "fingerprint": peer.fingerprint,
            "address": address.to_string(),
        })).collect::<Vec<_>>()
    });
    output::result(json, &value, || {
        if found.is_empty() {
            return "No team device announced itself.".to_owned();
        }
        found
            .iter()
            .map(|(address, peer)| {
                format!(
                    "{}  {}  fingerprint {}  (sync connect {address})",
                    peer.device_id,
                    peer.name.as_deref().unwrap_or("(name unreadable)"),
                    peer.fingerprint
                )
            })
            .collect::<Vec<_>>()
            .join("\n")
    })
}

fn connect(cli: &Cli, addr: SocketAddr, json: bool) -> anyhow::Result<()> {
    let mut session = open(cli)?;
    let credentials = session.sync_credentials()?;
    let authorize = authorizer(&credentials);
    let config = NetConfig::new(&credentials.local_static, &credentials.psks, &authorize);
    runtime()?.block_on(async {
        let mut channel = cairn_net::connect(addr, &config).await.map_err(crate::exit::SyncFailed::from_net)?;
        one_session(&mut session, &mut channel, true, json).await
    })
}

fn peers(cli: &Cli, json: bool) -> anyhow::Result<()> {
    let mut session = open(cli)?;
    let peers = session.sync_peers()?;
    let value = json!({
        "peers": peers.iter().map(|peer| json!({
            "peer": id_to_hex(&peer.peer_id),
            "last_sync_at": peer.last_sync_at,
            "documents_sent": peer.documents_sent,
            "documents_received": peer.documents_received,
            "changes_sent": peer.changes_sent,
            "changes_received": peer.changes_received,
            "bytes_sent": peer.bytes_sent,
            "bytes_received": peer.bytes_received,
        })).collect::<Vec<_>>()
    });
    output::result(json, &value, || {
        if peers.is_empty() {
            return "No sync yet.".to_owned();
        }
        let now = cairn_core::cases::now_ms();
        peers
            .iter()
            .map(|peer| {
                format!(
                    "{}  last sync {} min ago; sent {} documents, received {}",
                    id_to_hex(&peer.peer_id),
                    (now - peer.last_sync_at).max(0) / 60_000,
                    peer.documents_sent,
                    peer.documents_received
                )
            })
            .collect::<Vec<_>>()
            .join("\n")
    })
}
