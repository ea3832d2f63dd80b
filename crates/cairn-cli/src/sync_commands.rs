//! Sync commands: `cairn sync serve`, `cairn sync connect`, `cairn sync peers`.
//!
//! A live link is TCP with Noise (`cairn-net`); both devices check each other against the
//! roster before anything is exchanged, and each shows the other's fingerprint so the people
//! holding them can compare it. The summary says what moved each way.

use std::{net::SocketAddr, time::Instant};

use anyhow::Context;
use cairn_core::{
    Session,
    cases::id_to_hex,
    sync::{AgreementPublicKey, PeerRefusal, SyncCredentials},
    unlock_vault,
};
use cairn_net::{AuthorizedPeer, NetConfig, Refusal, SecureChannel};
use cairn_sync::SyncSummary;
use clap::Subcommand;
use serde_json::json;

use crate::{Cli, output, secrets};

/// `cairn sync …`
#[derive(Debug, Subcommand)]
pub(crate) enum SyncCommand {
    /// Wait for team devices to connect and sync with each (Ctrl+C stops; `--once` after one).
    Serve {
        /// The address to listen on, e.g. 0.0.0.0:7405 on a safe-house LAN (nothing is announced).
        #[arg(long, value_name = "ADDR")]
        listen: SocketAddr,
        /// Stop after one session.
        #[arg(long)]
        once: bool,
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
    /// The last sync with each peer.
    Peers {
        /// JSON: {"peers":[{"peer","last_sync_at","documents_sent","documents_received","changes_sent","changes_received","bytes_sent","bytes_received"}]}.
        #[arg(long)]
        json: bool,
    },
}

pub(crate) fn run(cli: &Cli, command: &SyncCommand) -> anyhow::Result<()> {
    match command {
        SyncCommand::Serve { listen, once, json } => serve(cli, *listen, *once, *json),
        SyncCommand::Connect { addr, json } => connect(cli, *addr, *json),
        SyncCommand::Peers { json } => peers(cli, *json),
    }
}

fn open(cli: &Cli) -> anyhow::Result<Session> {
    Ok(unlock_vault(&cli.vault_dir()?, &secrets::passphrase(cli)?)?)
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
    let mut store = session.sync_store()?;
    let outcome = if initiator {
        cairn_net::sync_as_initiator(channel, &mut store).await
    } else {
        cairn_net::sync_as_responder(channel, &mut store).await
    };
    let summary = outcome.map_err(crate::exit::SyncFailed::from_session)?;
    print_summary(&id_to_hex(&channel.peer()), &fingerprint, &summary, started.elapsed().as_millis(), json)
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

fn serve(cli: &Cli, listen: SocketAddr, once: bool, json: bool) -> anyhow::Result<()> {
    let mut session = open(cli)?;
    let credentials = session.sync_credentials()?;
    let authorize = authorizer(&credentials);
    let config = NetConfig::new(&credentials.local_static, &credentials.psks, &authorize);
    runtime()?.block_on(async {
        let listener = tokio::net::TcpListener::bind(listen).await.context("could not listen on that address")?;
        if !json {
            output::notice(format!("Waiting for team devices on {}", listener.local_addr()?));
        }
        loop {
            let (stream, _) = listener.accept().await.context("could not accept a connection")?;
            let outcome = match cairn_net::accept_stream(stream, &config).await {
                Ok(mut channel) => one_session(&mut session, &mut channel, false, json).await,
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
