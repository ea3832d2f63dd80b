//! Live sync commands: wait for one team device on an address (`sync_serve`, announcing itself
//! on the LAN only if the worker asks), connect to one (`sync_connect`), look for team devices
//! announcing themselves (`sync_discover`), Cancel (`cancel_sync`), and the last sync with each
//! peer (`sync_peers`).
//!
//! The link is TCP with Noise (`cairn-net`); both devices check each other against the roster
//! before anything is exchanged, and the window shows the peer's fingerprint so the people
//! holding the two devices can compare it.
//!
//! **Where the work runs.** The network work (listening, the handshake, every read and write)
//! runs as one task on Tauri's async runtime. The vault work runs on the blocking pool, one
//! engine step at a time: this module drives the sans-IO engine of `cairn-sync` itself (as
//! `cairn_net::sync_as_initiator` does for the CLI), taking the session for each message the
//! engine applies or answers and letting go of it while waiting for the peer. So the session
//! is held only while the vault works, other commands go on between messages, and a Lock
//! never waits for a slow peer. Each message the vault applies is one transaction.
//!
//! **Cancel.** The task is aborted by Cancel, Lock, the auto-lock and sleep (`SyncControl` in
//! `work.rs`, called by `Desktop::lock`); the connection closes at once. A sync whose session
//! was locked between two messages fails with `locked` at the next one.
//!
//! **Progress.** `sync-progress` events: listening (with the address actually bound), the
//! peer once the roster accepted it (id, name, fingerprint), then the messages exchanged; the
//! command answers the summary.

use std::{
    net::SocketAddr,
    sync::Arc,
    time::{Duration, Instant},
};

use cairn_core::{
    CoreError,
    cases::id_to_hex,
    sync::{AgreementPublicKey, PeerRefusal, SyncCredentials, VaultSync},
};
use cairn_net::{AuthorizedPeer, NetConfig, NetError, Refusal, SecureChannel};
use cairn_sync::{Initiator, Responder, Step, SyncError, SyncSummary};
use serde::Serialize;
use ts_rs::TS;

use super::{DesktopState, blocking, in_session};
use crate::{
    error::{CommandError, CommandResult},
    events,
    state::Desktop,
};

/// The address the Sync screen suggests for waiting: every interface, on Cairn's port.
pub(crate) const DEFAULT_LISTEN_ADDRESS: &str = "0.0.0.0:7405";

/// A peer device as the Sync screen shows it.
#[derive(Debug, Clone, Serialize, TS)]
#[ts(rename = "SyncDevice")]
pub(crate) struct PeerDto {
    device_id: String,
    /// Its name on the roster, if the roster this device holds names it.
    name: Option<String>,
    /// Its device fingerprint, the one the people compare.
    fingerprint: String,
}

/// How far a live sync is.
#[derive(Debug, Clone, Serialize, TS)]
#[ts(rename = "SyncProgress")]
#[serde(tag = "stage", rename_all = "snake_case")]
pub(crate) enum SyncProgress {
    /// Waiting for a device on this address (the port actually bound, if 0 was asked).
    Listening { address: String },
    /// Connecting to this address.
    Connecting { address: String },
    /// The secure channel is up and both rosters accepted the other device.
    Connected { peer: PeerDto },
    /// Messages exchanged so far.
    Exchanging { received: u64, sent: u64 },
    /// The session is over; `cases_changed` when cases arrived, changed or were deleted here,
    /// so an open case reloads and shows what arrived.
    Finished { cases_changed: bool },
}

/// What one sync moved.
#[derive(Debug, Serialize, TS)]
#[ts(rename = "SyncSummary")]
pub(crate) struct SummaryDto {
    documents_sent: u64,
    documents_received: u64,
    changes_sent: u64,
    changes_received: u64,
    tombstones_sent: u64,
    tombstones_received: u64,
    attachments_sent: u64,
    attachments_received: u64,
    bytes_sent: u64,
    bytes_received: u64,
    round_trips: u64,
    roster_updated: bool,
    /// This device's roster has expired and the peer is not HQ: only the roster could move.
    roster_only: bool,
    millis: u64,
}

/// A finished sync: with whom, and what moved.
#[derive(Debug, Serialize, TS)]
#[ts(rename = "SyncOutcome")]
pub(crate) struct OutcomeDto {
    peer: PeerDto,
    summary: SummaryDto,
}

/// The last sync with one peer.
#[derive(Debug, Serialize, TS)]
#[ts(rename = "SyncPeer")]
pub(crate) struct LastSyncDto {
    device_id: String,
    name: Option<String>,
    /// `None` if the roster no longer lists the device.
    fingerprint: Option<String>,
    revoked: bool,
    /// Milliseconds since the Unix epoch (this device's clock).
    last_sync_at: i64,
    documents_sent: u64,
    documents_received: u64,
    changes_sent: u64,
    changes_received: u64,
    bytes_sent: u64,
    bytes_received: u64,
}

/// What the Sync screen needs before it can offer anything.
#[derive(Debug, Serialize, TS)]
#[ts(rename = "SyncOverview")]
pub(crate) struct OverviewDto {
    /// Whether this device holds a roster and its team key (otherwise sync is refused).
    in_team: bool,
    default_listen_address: String,
    peers: Vec<LastSyncDto>,
}

/// The last sync with every peer (most recent first), named from the roster.
#[tauri::command]
pub(crate) async fn sync_overview(state: DesktopState<'_>) -> CommandResult<OverviewDto> {
    in_session(&state, |session| {
        let in_team = match session.sync_credentials() {
            Ok(_) => true,
            Err(CoreError::Sync(_)) => false,
            Err(other) => return Err(other),
        };
        let roster = session.roster()?;
        let peers = session.sync_peers()?;
        let (members, revoked) = match roster {
            Some(view) => (view.members, view.revoked),
            None => (Vec::new(), Vec::new()),
        };
        let peers = peers
            .into_iter()
            .map(|peer| {
                let device_id = id_to_hex(&peer.peer_id);
                let member = members.iter().find(|member| member.device_id == device_id);
                let gone = revoked.iter().find(|revoked| revoked.device_id == device_id);
                LastSyncDto {
                    name: member.and_then(|m| m.name.clone()).or_else(|| gone.and_then(|r| r.name.clone())),
                    fingerprint: member.map(|m| m.fingerprint.clone()).or_else(|| gone.map(|r| r.fingerprint.clone())),
                    revoked: gone.is_some(),
                    device_id,
                    last_sync_at: peer.last_sync_at,
                    documents_sent: peer.documents_sent,
                    documents_received: peer.documents_received,
                    changes_sent: peer.changes_sent,
                    changes_received: peer.changes_received,
                    bytes_sent: peer.bytes_sent,
                    bytes_received: peer.bytes_received,
                }
            })
            .collect();
        Ok(OverviewDto { in_team, default_listen_address: DEFAULT_LISTEN_ADDRESS.to_owned(), peers })
    })
    .await
}

/// Waits on `address` for one team device, syncs with it, and stops (or stops on Cancel).
/// With `announce`, sealed beacons go to the LAN while it waits (opt-in: anyone on the network
/// can see that some device is announcing), and stop once a device connected.
#[tauri::command]
pub(crate) async fn sync_serve(
    app: tauri::AppHandle,
    state: DesktopState<'_>,
    address: String,
    announce: bool,
) -> CommandResult<OutcomeDto> {
    let address = parse_address(&address)?;
    live(reporter(app), state.inner().clone(), Link::Serve { address, announce }).await
}

/// A team device found announcing itself on the LAN.
#[derive(Debug, Clone, Serialize, TS)]
#[ts(rename = "FoundDevice")]
pub(crate) struct FoundDto {
    device_id: String,
    /// Its name on the roster, if this device can read names.
    name: Option<String>,
    /// Its device fingerprint, to compare once connected.
    fingerprint: String,
    /// Where it waits: what to connect to.
    address: String,
}

/// How long `sync_discover` listens.
const DISCOVER_FOR: Duration = Duration::from_secs(4);

/// Listens on the LAN for a few seconds for team devices announcing themselves (`sync_serve`
/// with `announce`, or `cairn sync serve --announce`), and answers those found.
#[tauri::command]
pub(crate) async fn sync_discover(state: DesktopState<'_>) -> CommandResult<Vec<FoundDto>> {
    let discovery = in_session(&state, |session| session.discovery()).await?;
    let port = discovery.udp_ports().first().copied().ok_or_else(CommandError::internal)?;
    let datagrams = cairn_net::discovery::listen(cairn_net::discovery::listen_address(port), DISCOVER_FOR, 4096)
        .await
        .map_err(net_error)?;
    let now = u64::try_from(cairn_core::cases::now_ms()).unwrap_or(0);
    let mut found: Vec<FoundDto> = Vec::new();
    for (source, datagram) in datagrams {
        if let Some(peer) = discovery.recognise(&datagram, now)
            && !found.iter().any(|known| known.device_id == peer.device_id)
        {
            found.push(FoundDto {
                address: SocketAddr::new(source.ip(), peer.port).to_string(),
                device_id: peer.device_id,
                name: peer.name,
                fingerprint: peer.fingerprint,
            });
        }
    }
    Ok(found)
}

/// Connects to a team device waiting on `address` and syncs with it.
#[tauri::command]
pub(crate) async fn sync_connect(
    app: tauri::AppHandle,
    state: DesktopState<'_>,
    address: String,
) -> CommandResult<OutcomeDto> {
    let address = parse_address(&address)?;
    live(reporter(app), state.inner().clone(), Link::Connect(address)).await
}

/// Stops the sync under way (it then fails with `sync_cancelled`); nothing if there is none.
#[tauri::command]
pub(crate) async fn cancel_sync(state: DesktopState<'_>) -> CommandResult<()> {
    let desktop = state.inner().clone();
    blocking(move || {
        desktop.sync.cancel();
        Ok(())
    })
    .await
}

fn parse_address(text: &str) -> CommandResult<SocketAddr> {
    text.trim().parse().map_err(|_| CommandError::invalid_address())
}

#[derive(Debug, Clone, Copy)]
enum Link {
    Serve { address: SocketAddr, announce: bool },
    Connect(SocketAddr),
}

/// Where progress goes (the window, or a test).
type Report = Arc<dyn Fn(SyncProgress) + Send + Sync>;

fn reporter(app: tauri::AppHandle) -> Report {
    Arc::new(move |progress| events::sync_progress(&app, progress))
}

/// Runs one sync as an abortable task and answers its outcome.
async fn live(report: Report, desktop: Arc<Desktop>, link: Link) -> CommandResult<OutcomeDto> {
    desktop.sync.admit().map_err(|_| CommandError::sync_busy())?;
    let task = tauri::async_runtime::spawn(run(report, desktop.clone(), link));
    desktop.sync.started(task.inner().abort_handle());
    let outcome = task.await;
    desktop.sync.finished();
    match outcome {
        Ok(outcome) => outcome,
        Err(tauri::Error::JoinError(error)) if error.is_cancelled() => Err(CommandError::sync_cancelled()),
        // A panic in the task (a bug): the connection is gone with it.
        Err(_) => Err(CommandError::internal()),
    }
}

/// Accepts one connection while announcing this device on the LAN; the announcing stops with
/// the first connection (or fails the wait if it cannot start).
async fn accept_announcing(
    listener: &tokio::net::TcpListener,
    discovery: &cairn_core::sync::Discovery,
    tcp_port: u16,
) -> CommandResult<(tokio::net::TcpStream, SocketAddr)> {
    let udp_port = discovery.udp_ports().first().copied().ok_or_else(CommandError::internal)?;
    let beacon = || discovery.beacon(tcp_port, u64::try_from(cairn_core::cases::now_ms()).unwrap_or(0));
    let mut beacons = std::pin::pin!(cairn_net::discovery::announce(
        cairn_net::discovery::broadcast(udp_port),
        Duration::from_secs(2),
        beacon
    ));
    let mut accepted = std::pin::pin!(listener.accept());
    std::future::poll_fn(|context| {
        if let std::task::Poll::Ready(accepted) = accepted.as_mut().poll(context) {
            return std::task::Poll::Ready(accepted.map_err(io_error));
        }
        match beacons.as_mut().poll(context) {
            std::task::Poll::Ready(Err(error)) => std::task::Poll::Ready(Err(net_error(error))),
            _ => std::task::Poll::Pending,
        }
    })
    .await
}

/// The roster check, in the transport's terms.
fn authorizer(credentials: &SyncCredentials) -> impl Fn(&AgreementPublicKey) -> Result<AuthorizedPeer, Refusal> + Sync + '_ {
    move |key| match credentials.check_peer(key) {
        Ok((id, fingerprint)) => Ok(AuthorizedPeer { id, fingerprint }),
        Err(PeerRefusal::Unknown) => Err(Refusal::Unknown),
        Err(PeerRefusal::Revoked) => Err(Refusal::Revoked),
    }
}

/// A network failure as the window sees it: the transport's stable code, with the socket
/// errors a worker can act on named apart.
fn net_error(error: NetError) -> CommandError {
    let code = match &error {
        NetError::Io { kind } => match kind {
            std::io::ErrorKind::ConnectionRefused => "connection_refused",
            std::io::ErrorKind::AddrInUse => "address_in_use",
            std::io::ErrorKind::AddrNotAvailable => "address_unavailable",
            std::io::ErrorKind::HostUnreachable | std::io::ErrorKind::NetworkUnreachable => "network_unreachable",
            _ => error.code(),
        },
        _ => error.code(),
    };
    CommandError::coded(code, error.to_string())
}

fn io_error(error: std::io::Error) -> CommandError {
    net_error(NetError::from(error))
}

/// An engine failure: the store's own error keeps its code (`sync_not_in_team`, …); the
/// engine's messages are fixed sentences with nothing from the peer.
fn engine_error(error: SyncError<CoreError>) -> CommandError {
    match error {
        SyncError::Store(error) => CommandError::from(error),
        other => CommandError::coded(other.code(), other.to_string()),
    }
}

/// The two sides of the engine, driven alike once the session is under way.
enum Engine {
    Initiator(Box<Initiator>),
    Responder(Box<Responder>),
}

impl Engine {
    fn receive(&mut self, store: &mut VaultSync<'_>, bytes: &[u8]) -> Result<Step, SyncError<CoreError>> {
        match self {
            Engine::Initiator(engine) => engine.receive(store, bytes),
            Engine::Responder(engine) => engine.receive(store, bytes),
        }
    }

    fn resume(&mut self, store: &mut VaultSync<'_>) -> Result<Step, SyncError<CoreError>> {
        match self {
            Engine::Initiator(engine) => engine.resume(store),
            Engine::Responder(engine) => engine.resume(store),
        }
    }
}

/// One engine step on the blocking pool, holding the session only for that step (`locked` if
/// the vault was locked meanwhile).
async fn vault_step<R: Send + 'static>(
    desktop: &Arc<Desktop>,
    work: impl FnOnce(&mut VaultSync<'_>) -> Result<R, SyncError<CoreError>> + Send + 'static,
) -> CommandResult<R> {
    let desktop = desktop.clone();
    blocking(move || desktop.with_session(move |session| Ok(work(&mut session.sync_store()?)))?.map_err(engine_error)).await
}

/// Counts messages and tells the window, at most once per message received.
struct Exchange<'a> {
    report: &'a Report,
    received: u64,
    sent: u64,
}

impl Exchange<'_> {
    async fn send_all(&mut self, channel: &mut SecureChannel, messages: &[Vec<u8>]) -> CommandResult<()> {
        for message in messages {
            channel.send(message).await.map_err(net_error)?;
            self.sent += 1;
        }
        Ok(())
    }

    fn report(&self) {
        (self.report)(SyncProgress::Exchanging { received: self.received, sent: self.sent });
    }
}

/// Drives one session over an established channel until the engine is done.
async fn drive(
    report: &Report,
    desktop: &Arc<Desktop>,
    channel: &mut SecureChannel,
    initiator: bool,
) -> CommandResult<SyncSummary> {
    let mut exchange = Exchange { report, received: 0, sent: 0 };
    let peer = channel.peer();
    let mut engine = if initiator {
        let (engine, first) = vault_step(desktop, move |store| Initiator::start(store, peer)).await?;
        exchange.send_all(channel, &[first]).await?;
        Engine::Initiator(Box::new(engine))
    } else {
        Engine::Responder(Box::new(Responder::new(peer)))
    };
    loop {
        let message = channel.recv().await.map_err(net_error)?;
        exchange.received += 1;
        let (next, mut step) = vault_step(desktop, move |store| {
            let step = engine.receive(store, &message)?;
            Ok((engine, step))
        })
        .await?;
        engine = next;
        loop {
            match step {
                Step::Send(messages) => {
                    exchange.send_all(channel, &messages).await?;
                    break;
                }
                Step::SendAndResume(messages) => {
                    exchange.send_all(channel, &messages).await?;
                    let (next, resumed) = vault_step(desktop, move |store| {
                        let step = engine.resume(store)?;
                        Ok((engine, step))
                    })
                    .await?;
                    engine = next;
                    step = resumed;
                }
                Step::Wait => break,
                Step::Done { send, summary } => {
                    exchange.send_all(channel, &send).await?;
                    return Ok(summary);
                }
            }
        }
        exchange.report();
    }
}

/// The whole sync: credentials, the link, the session, the summary.
async fn run(report: Report, desktop: Arc<Desktop>, link: Link) -> CommandResult<OutcomeDto> {
    let session_desktop = desktop.clone();
    let announce = matches!(link, Link::Serve { announce: true, .. });
    let (credentials, names, discovery) = blocking(move || {
        session_desktop.with_session(|session| {
            let credentials = session.sync_credentials()?;
            let names: Vec<(String, Option<String>)> = session
                .roster()?
                .map(|view| view.members.into_iter().map(|member| (member.device_id, member.name)).collect())
                .unwrap_or_default();
            let discovery = if announce { Some(session.discovery()?) } else { None };
            Ok((credentials, names, discovery))
        })
    })
    .await?;
    let authorize = authorizer(&credentials);
    let config = NetConfig::new(&credentials.local_static, &credentials.psks, &authorize);
    let (mut channel, initiator) = match link {
        Link::Serve { address, .. } => {
            let listener = tokio::net::TcpListener::bind(address).await.map_err(io_error)?;
            let bound = listener.local_addr().map_err(io_error)?;
            report(SyncProgress::Listening { address: bound.to_string() });
            let (stream, _) = match &discovery {
                None => listener.accept().await.map_err(io_error)?,
                Some(discovery) => accept_announcing(&listener, discovery, bound.port()).await?,
            };
            // One device per wait: nobody else can connect while this one syncs.
            drop(listener);
            (cairn_net::accept_stream(stream, &config).await.map_err(net_error)?, false)
        }
        Link::Connect(address) => {
            report(SyncProgress::Connecting { address: address.to_string() });
            (cairn_net::connect(address, &config).await.map_err(net_error)?, true)
        }
    };
    let device_id = id_to_hex(&channel.peer());
    let name = names.iter().find(|(id, _)| *id == device_id).and_then(|(_, name)| name.clone());
    let peer = PeerDto { device_id, name, fingerprint: channel.peer_fingerprint().to_string() };
    report(SyncProgress::Connected { peer: peer.clone() });
    let started = Instant::now();
    let summary = drive(&report, &desktop, &mut channel, initiator).await?;
    report(SyncProgress::Finished {
        cases_changed: summary.documents_received > 0 || summary.tombstones_received > 0 || summary.attachments_received > 0,
    });
    // The peer has everything it needs; a failed goodbye changes nothing.
    let _ = channel.close().await;
    Ok(OutcomeDto {
        peer,
        summary: SummaryDto {
            documents_sent: summary.documents_sent,
            documents_received: summary.documents_received,
            changes_sent: summary.changes_sent,
            changes_received: summary.changes_received,
            tombstones_sent: summary.tombstones_sent,
            tombstones_received: summary.tombstones_received,
            attachments_sent: summary.attachments_sent,
            attachments_received: summary.attachments_received,
            bytes_sent: summary.bytes_sent,
            bytes_received: summary.bytes_received,
            round_trips: summary.round_trips,
            roster_updated: summary.roster_updated,
            roster_only: summary.roster_only,
            millis: u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
        },
    })
}

#[cfg(test)]
mod tests {
    use std::{sync::mpsc, time::Duration};

    use cairn_core::testing::{TestDevice, TestTeam};

    use super::*;
    use crate::{options::Options, settings::Settings, state::LockReason, work::SyncControl};

    /// A desktop whose vault is open on a team device's session.
    fn desktop(device: TestDevice, dir: &std::path::Path) -> (Arc<Desktop>, cairn_core::testing::TestVault) {
        let options = Options {
            vault_dir: device.vault.path().to_owned(),
            settings_file: dir.join(format!("{}.json", device.name)),
            insecure_fast_kdf: true,
            folder_for_tests: None,
        };
        let desktop = Arc::new(Desktop::new(options, Settings::default()));
        desktop.open(device.session);
        (desktop, device.vault)
    }

    fn quiet() -> Report {
        Arc::new(|_| {})
    }

    /// Starts `sync_serve` on a free loopback port; answers the task and the address bound.
    fn serve(desktop: &Arc<Desktop>) -> (tauri::async_runtime::JoinHandle<CommandResult<OutcomeDto>>, SocketAddr) {
        let (sender, receiver) = mpsc::channel();
        let report: Report = Arc::new(move |progress| {
            if let SyncProgress::Listening { address } = progress {
                let _ = sender.send(address);
            }
        });
        let link = Link::Serve { address: parse_address("127.0.0.1:0").expect("address"), announce: false };
        let task = tauri::async_runtime::spawn(live(report, desktop.clone(), link));
        let address = receiver.recv_timeout(Duration::from_secs(10)).expect("listening");
        (task, parse_address(&address).expect("the address bound"))
    }

    fn titles(desktop: &Desktop) -> Vec<String> {
        let mut titles: Vec<String> = desktop
            .with_session(|session| session.list_cases())
            .expect("cases")
            .into_iter()
            .map(|case| case.title)
            .collect();
        titles.sort();
        titles
    }

    /// Two desktops sync through the shell's own driver: one waits, the other connects; each
    /// sees the other's fingerprint as the roster has it, and both end with both cases.
    #[test]
    fn a_waiting_desktop_and_a_connecting_one_converge() {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut team = TestTeam::new(2);
        let second = team.devices.pop().expect("device");
        let first = team.devices.pop().expect("device");
        let (a, _vault_a) = desktop(first, dir.path());
        let (b, _vault_b) = desktop(second, dir.path());
        a.with_session(|session| session.create_case("Hoeryong")).expect("case");
        b.with_session(|session| session.create_case("Sinuiju")).expect("case");
        let fingerprint_a = a.with_session(|session| session.device_identity()).expect("identity").fingerprint;
        let fingerprint_b = b.with_session(|session| session.device_identity()).expect("identity").fingerprint;

        let (server, address) = serve(&a);
        let connected = tauri::async_runtime::block_on(live(quiet(), b.clone(), Link::Connect(address))).expect("connect");
        let served = tauri::async_runtime::block_on(server).expect("task").expect("serve");
        assert_eq!(connected.peer.fingerprint, fingerprint_a);
        assert_eq!(served.peer.fingerprint, fingerprint_b);
        assert_eq!((connected.summary.documents_sent, connected.summary.documents_received), (1, 1));
        assert_eq!(titles(&a), ["Hoeryong", "Sinuiju"]);
        assert_eq!(titles(&b), titles(&a));
        let peers = a.with_session(|session| session.sync_peers()).expect("peers");
        assert_eq!(peers.len(), 1);
        assert_eq!(id_to_hex(&peers[0].peer_id), served.peer.device_id);
    }

    /// Lock (and so the auto-lock and sleep) ends a sync waiting for a peer; only one sync at
    /// a time; Cancel before the task started still cancels it.
    #[test]
    fn locking_cancels_a_sync_and_only_one_runs_at_a_time() {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut team = TestTeam::new(1);
        let (a, _vault) = desktop(team.devices.pop().expect("device"), dir.path());
        let (server, address) = serve(&a);
        let busy = tauri::async_runtime::block_on(live(quiet(), a.clone(), Link::Connect(address)));
        assert_eq!(busy.map(|_| ()).map_err(|e| e.code), Err("sync_busy"));
        assert!(a.lock(LockReason::Sleep));
        let outcome = tauri::async_runtime::block_on(server).expect("task");
        assert_eq!(outcome.map(|_| ()).map_err(|e| e.code), Err("sync_cancelled"));
        // The listener is gone with the task.
        assert!(std::net::TcpStream::connect_timeout(&address, Duration::from_secs(2)).is_err());

        let control = SyncControl::default();
        control.admit().expect("admit");
        control.cancel();
        let task = tauri::async_runtime::spawn(std::future::pending::<()>());
        control.started(task.inner().abort_handle());
        assert!(tauri::async_runtime::block_on(task).is_err(), "aborted at once");
        control.finished();
        control.admit().expect("free again");
    }

    #[test]
    fn addresses_are_an_ip_and_a_port() {
        assert_eq!(parse_address(" 127.0.0.1:7405 ").map(|a| a.port()), Ok(7405));
        assert!(parse_address("[::1]:7405").is_ok());
        for bad in ["", "localhost:7405", "192.168.1.20", "192.168.1.20:99999", "host"] {
            assert_eq!(parse_address(bad).map_err(|e| e.code), Err("invalid_address"), "{bad}");
        }
    }

    #[test]
    fn socket_errors_a_worker_can_act_on_have_their_own_codes() {
        let refused = io_error(std::io::Error::from(std::io::ErrorKind::ConnectionRefused));
        assert_eq!(refused.code, "connection_refused");
        assert_eq!(io_error(std::io::Error::from(std::io::ErrorKind::AddrInUse)).code, "address_in_use");
        assert_eq!(io_error(std::io::Error::from(std::io::ErrorKind::UnexpectedEof)).code, "closed_by_peer");
        assert_eq!(net_error(NetError::PeerRevoked).code, "peer_revoked");
        assert_eq!(net_error(NetError::Timeout).code, "timeout");
        assert_eq!(
            engine_error(SyncError::Store(CoreError::Sync(cairn_core::sync::SyncRefusal::NotInTeam))).code,
            "sync_not_in_team"
        );
    }
}
