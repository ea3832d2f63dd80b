//! cairn-net over loopback (127.0.0.1 only): two members, strangers, refused keys, an epoch
//! behind, stalls and garbage. Every test is bounded by short timeouts.

use std::{net::SocketAddr, time::Duration};

use cairn_crypto::{
    AgreementPublicKey, AgreementSecretKey, Fingerprint, NoiseHandshake, NoisePsk, SigningSecretKey, TeamKey,
};
use cairn_net::{AuthorizedPeer, NET_PROLOGUE, NetConfig, NetError, Refusal, accept, connect};
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::{TcpListener, TcpStream},
};

const ORG: [u8; 16] = [0x0a; 16];

struct Device {
    id: [u8; 16],
    key: AgreementSecretKey,
    fingerprint: Fingerprint,
}

impl Device {
    fn new(byte: u8) -> Self {
        let key = AgreementSecretKey::generate();
        let id = [byte; 16];
        let fingerprint = Fingerprint::of_device(&id, &SigningSecretKey::generate().public_key(), &key.public_key());
        Self { id, key, fingerprint }
    }

    fn peer(&self) -> AuthorizedPeer {
        AuthorizedPeer { id: self.id, fingerprint: self.fingerprint }
    }
}

/// A roster: members and revoked devices, by agreement key.
struct Roster {
    members: Vec<(AgreementPublicKey, AuthorizedPeer)>,
    revoked: Vec<AgreementPublicKey>,
}

impl Roster {
    fn of(members: &[&Device], revoked: &[&Device]) -> Self {
        Self {
            members: members.iter().map(|d| (d.key.public_key(), d.peer())).collect(),
            revoked: revoked.iter().map(|d| d.key.public_key()).collect(),
        }
    }

    fn check(&self, key: &AgreementPublicKey) -> Result<AuthorizedPeer, Refusal> {
        if self.revoked.contains(key) {
            return Err(Refusal::Revoked);
        }
        self.members.iter().find(|(k, _)| k == key).map(|(_, p)| *p).ok_or(Refusal::Unknown)
    }
}

fn psks(team: &[(&TeamKey, u32)]) -> Vec<NoisePsk> {
    team.iter().map(|(key, epoch)| key.noise_psk(&ORG, *epoch)).collect()
}

fn short(mut config: NetConfig<'_>) -> NetConfig<'_> {
    config.handshake_timeout = Duration::from_secs(5);
    config.idle_timeout = Duration::from_secs(10);
    config
}

async fn listener() -> (TcpListener, SocketAddr) {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind loopback");
    let addr = listener.local_addr().expect("addr");
    (listener, addr)
}

#[tokio::test]
async fn two_members_exchange_a_mebibyte_both_ways() {
    let team = TeamKey::generate();
    let (alice, bob) = (Device::new(1), Device::new(2));
    let roster = Roster::of(&[&alice, &bob], &[]);
    let check = |k: &AgreementPublicKey| roster.check(k);
    let team_psks = psks(&[(&team, 1)]);
    let alice_config = short(NetConfig::new(&alice.key, &team_psks, &check));
    let bob_config = short(NetConfig::new(&bob.key, &team_psks, &check));
    let (listener, addr) = listener().await;
    let (client, server) = tokio::join!(connect(addr, &alice_config), accept(&listener, &bob_config));
    let (mut client, mut server) = (client.expect("connect"), server.expect("accept"));
    assert_eq!(client.peer(), bob.id);
    assert_eq!(server.peer(), alice.id);
    assert_eq!(client.peer_fingerprint(), bob.fingerprint);
    assert_eq!(server.peer_key(), alice.key.public_key());
    assert_eq!((client.psk_index(), server.psk_index()), (0, 0));
    let big: Vec<u8> = (0..1024 * 1024).map(|i| (i % 251) as u8).collect();
    let back: Vec<u8> = big.iter().rev().copied().collect();
    let (sent, received) = tokio::join!(client.send(&big), server.recv());
    sent.expect("send");
    assert_eq!(received.expect("recv"), big);
    let (sent, received) = tokio::join!(server.send(&back), client.recv());
    sent.expect("send");
    assert_eq!(received.expect("recv"), back);
    // Empty messages and several in a row keep their boundaries.
    for message in [&b""[..], b"x", b"second"] {
        client.send(message).await.expect("send");
    }
    for message in [&b""[..], b"x", b"second"] {
        assert_eq!(server.recv().await.expect("recv"), message);
    }
    client.close().await.expect("close");
    assert_eq!(server.recv().await.err(), Some(NetError::ClosedByPeer));
    assert_eq!(server.recv().await.err(), Some(NetError::ChannelBroken));
}

#[tokio::test]
async fn a_stranger_gets_a_closed_connection_and_not_one_byte() {
    let (team, other_team) = (TeamKey::generate(), TeamKey::generate());
    let (bob, stranger) = (Device::new(2), Device::new(9));
    // Even a roster that would accept the stranger's key does not help without the psk.
    let roster = Roster::of(&[&bob, &stranger], &[]);
    let check = |k: &AgreementPublicKey| roster.check(k);
    let team_psks = psks(&[(&team, 1)]);
    let bob_config = short(NetConfig::new(&bob.key, &team_psks, &check));
    let (listener, addr) = listener().await;
    let probe = async {
        let mut stream = TcpStream::connect(addr).await.expect("connect");
        let mut handshake =
            NoiseHandshake::initiator(&stranger.key, &other_team.noise_psk(&ORG, 1), NET_PROLOGUE).expect("hs");
        let message1 = handshake.write_message(&[]).expect("m1");
        let mut frame = u16::try_from(message1.len()).expect("len").to_be_bytes().to_vec();
        frame.extend_from_slice(&message1);
        stream.write_all(&frame).await.expect("write");
        let mut received = Vec::new();
        tokio::time::timeout(Duration::from_secs(5), stream.read_to_end(&mut received))
            .await
            .expect("closed in time")
            .expect("clean close");
        received
    };
    let (received, accepted) = tokio::join!(probe, accept(&listener, &bob_config));
    assert!(received.is_empty(), "the responder wrote {} bytes to a stranger", received.len());
    assert_eq!(accepted.err(), Some(NetError::HandshakeFailed));
    // Through the API the stranger sees only a closed connection.
    let other_psks = psks(&[(&other_team, 1)]);
    let stranger_config = short(NetConfig::new(&stranger.key, &other_psks, &check));
    let (client, server) = tokio::join!(connect(addr, &stranger_config), accept(&listener, &bob_config));
    assert_eq!(client.err(), Some(NetError::ClosedByPeer));
    assert_eq!(server.err(), Some(NetError::HandshakeFailed));
}

#[tokio::test]
async fn an_unknown_initiator_is_refused_by_the_responder() {
    let team = TeamKey::generate();
    let (alice, bob, eve) = (Device::new(1), Device::new(2), Device::new(5));
    // Eve holds the team psk (say, an old device never enrolled on this roster).
    let bobs_roster = Roster::of(&[&alice, &bob], &[]);
    let eves_roster = Roster::of(&[&alice, &bob, &eve], &[]);
    let (bob_check, eve_check) =
        (|k: &AgreementPublicKey| bobs_roster.check(k), |k: &AgreementPublicKey| eves_roster.check(k));
    let team_psks = psks(&[(&team, 1)]);
    let bob_config = short(NetConfig::new(&bob.key, &team_psks, &bob_check));
    let eve_config = short(NetConfig::new(&eve.key, &team_psks, &eve_check));
    let (listener, addr) = listener().await;
    let (client, server) = tokio::join!(connect(addr, &eve_config), accept(&listener, &bob_config));
    assert_eq!(server.err(), Some(NetError::PeerUnknown));
    assert_eq!(client.err(), Some(NetError::ClosedByPeer));
}

#[tokio::test]
async fn a_revoked_responder_is_refused_before_message_three() {
    let (epoch1, epoch2) = (TeamKey::generate(), TeamKey::generate());
    let (alice, mallory) = (Device::new(1), Device::new(6));
    // Alice's roster (epoch 2) revoked Mallory; Mallory still holds epoch 1, which Alice's
    // responder side would accept for one epoch, but here Alice connects to Mallory.
    let alices_roster = Roster::of(&[&alice], &[&mallory]);
    let mallorys_roster = Roster::of(&[&alice, &mallory], &[]);
    let alice_check = |k: &AgreementPublicKey| alices_roster.check(k);
    let mallory_check = |k: &AgreementPublicKey| mallorys_roster.check(k);
    let alice_psks = psks(&[(&epoch2, 2), (&epoch1, 1)]);
    let mallory_psks = psks(&[(&epoch1, 1)]);
    let alice_config = short(NetConfig::new(&alice.key, &alice_psks, &alice_check));
    let mallory_config = short(NetConfig::new(&mallory.key, &mallory_psks, &mallory_check));
    let (listener, addr) = listener().await;
    // Mallory accepts: she cannot read epoch 2's message 1 and closes; Alice retries with
    // epoch 1, reads Mallory's key in message 2, and refuses her without sending message 3.
    let mallory_side = async {
        let first = accept(&listener, &mallory_config).await;
        let second = accept(&listener, &mallory_config).await;
        (first, second)
    };
    let (client, (first, second)) = tokio::join!(connect(addr, &alice_config), mallory_side);
    assert_eq!(client.err(), Some(NetError::PeerRevoked));
    assert_eq!(first.err(), Some(NetError::HandshakeFailed));
    assert_eq!(second.err(), Some(NetError::ClosedByPeer));
    // And Mallory connecting to Alice with epoch 1 gets through the psk, then is refused by
    // the roster, with the specific error on Alice's side.
    let (client, server) = tokio::join!(connect(addr, &mallory_config), accept(&listener, &alice_config));
    assert_eq!(server.err(), Some(NetError::PeerRevoked));
    assert_eq!(client.err(), Some(NetError::ClosedByPeer));
}

#[tokio::test]
async fn a_device_one_epoch_behind_still_connects_either_way() {
    let (epoch1, epoch2, epoch3) = (TeamKey::generate(), TeamKey::generate(), TeamKey::generate());
    let (alice, bob) = (Device::new(1), Device::new(2));
    let roster = Roster::of(&[&alice, &bob], &[]);
    let check = |k: &AgreementPublicKey| roster.check(k);
    let current = psks(&[(&epoch2, 2), (&epoch1, 1)]);
    let behind = psks(&[(&epoch1, 1)]);
    let (listener, addr) = listener().await;
    // The initiator is behind: the responder tries its previous epoch.
    let behind_config = short(NetConfig::new(&alice.key, &behind, &check));
    let current_config = short(NetConfig::new(&bob.key, &current, &check));
    let (client, server) = tokio::join!(connect(addr, &behind_config), accept(&listener, &current_config));
    let (mut client, mut server) = (client.expect("connect"), server.expect("accept"));
    assert_eq!((client.psk_index(), server.psk_index()), (0, 1));
    client.send(b"roster please").await.expect("send");
    assert_eq!(server.recv().await.expect("recv"), b"roster please");
    // The responder is behind: the initiator's newest psk draws a close, its previous one works.
    let current_config = short(NetConfig::new(&alice.key, &current, &check));
    let behind_config = short(NetConfig::new(&bob.key, &behind, &check));
    let responder = async {
        let first = accept(&listener, &behind_config).await;
        (first.err(), accept(&listener, &behind_config).await)
    };
    let (client, (first, second)) = tokio::join!(connect(addr, &current_config), responder);
    assert_eq!(first, Some(NetError::HandshakeFailed));
    assert_eq!(client.expect("connect").psk_index(), 1);
    assert_eq!(second.expect("accept").psk_index(), 0);
    // Two epochs behind is a stranger.
    let far_behind = psks(&[(&epoch1, 1)]);
    let newest = psks(&[(&epoch3, 3), (&epoch2, 2)]);
    let far_config = short(NetConfig::new(&alice.key, &far_behind, &check));
    let newest_config = short(NetConfig::new(&bob.key, &newest, &check));
    let (client, server) = tokio::join!(connect(addr, &far_config), accept(&listener, &newest_config));
    assert_eq!(client.err(), Some(NetError::ClosedByPeer));
    assert_eq!(server.err(), Some(NetError::HandshakeFailed));
}

#[tokio::test]
async fn stalls_hit_the_timeouts() {
    let team = TeamKey::generate();
    let (alice, bob) = (Device::new(1), Device::new(2));
    let roster = Roster::of(&[&alice, &bob], &[]);
    let check = |k: &AgreementPublicKey| roster.check(k);
    let team_psks = psks(&[(&team, 1)]);
    let mut bob_config = NetConfig::new(&bob.key, &team_psks, &check);
    bob_config.handshake_timeout = Duration::from_millis(200);
    let mut alice_config = NetConfig::new(&alice.key, &team_psks, &check);
    alice_config.handshake_timeout = Duration::from_millis(200);
    let (listener, addr) = listener().await;
    // A client that sends half a length prefix and stalls.
    let stall = async {
        let mut stream = TcpStream::connect(addr).await.expect("connect");
        stream.write_all(&[0]).await.expect("write");
        tokio::time::sleep(Duration::from_secs(2)).await;
        drop(stream);
    };
    let started = tokio::time::Instant::now();
    let (accepted, ()) = tokio::join!(
        async {
            let result = accept(&listener, &bob_config).await;
            (result, started.elapsed())
        },
        stall
    );
    assert_eq!(accepted.0.err(), Some(NetError::Timeout));
    assert!(accepted.1 < Duration::from_secs(2));
    // A server that accepts and never answers message 1.
    let silent = async {
        let (stream, _) = listener.accept().await.expect("accept");
        tokio::time::sleep(Duration::from_secs(1)).await;
        drop(stream);
    };
    let (client, ()) = tokio::join!(connect(addr, &alice_config), silent);
    assert_eq!(client.err(), Some(NetError::Timeout));
    // An established channel with nothing coming hits the idle timeout.
    alice_config.idle_timeout = Duration::from_millis(200);
    bob_config.handshake_timeout = Duration::from_secs(5);
    alice_config.handshake_timeout = Duration::from_secs(5);
    let (client, server) = tokio::join!(connect(addr, &alice_config), accept(&listener, &bob_config));
    let (mut client, _server) = (client.expect("connect"), server.expect("accept"));
    assert_eq!(client.recv().await.err(), Some(NetError::Timeout));
}

#[tokio::test]
async fn garbage_and_oversized_input_is_refused() {
    let team = TeamKey::generate();
    let (alice, bob) = (Device::new(1), Device::new(2));
    let roster = Roster::of(&[&alice, &bob], &[]);
    let check = |k: &AgreementPublicKey| roster.check(k);
    let team_psks = psks(&[(&team, 1)]);
    let alice_config = short(NetConfig::new(&alice.key, &team_psks, &check));
    let bob_config = short(NetConfig::new(&bob.key, &team_psks, &check));
    let (listener, addr) = listener().await;
    // A maximal frame of garbage, an empty frame, and a short garbage frame as message 1.
    let garbage: Vec<u8> = (0..65_535u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8).collect();
    for frame in [[&[0xff, 0xff][..], &garbage].concat(), vec![0, 0], vec![0, 3, 1, 2, 3]] {
        let probe = async {
            let mut stream = TcpStream::connect(addr).await.expect("connect");
            stream.write_all(&frame).await.expect("write");
            let mut received = Vec::new();
            let _ = tokio::time::timeout(Duration::from_secs(5), stream.read_to_end(&mut received)).await;
            received
        };
        let (received, accepted) = tokio::join!(probe, accept(&listener, &bob_config));
        assert!(received.is_empty());
        assert_eq!(accepted.err(), Some(NetError::HandshakeFailed));
    }
    // Over an established channel: too large to send, and too large to receive.
    let mut small = short(NetConfig::new(&bob.key, &team_psks, &check));
    small.max_message_len = 100_000;
    let (client, server) = tokio::join!(connect(addr, &alice_config), accept(&listener, &small));
    let (mut client, mut server) = (client.expect("connect"), server.expect("accept"));
    assert_eq!(server.send(&vec![1; 100_001]).await.err(), Some(NetError::MessageTooLarge));
    server.send(&vec![1; 100_000]).await.expect("a message at the limit is sent");
    assert_eq!(client.recv().await.expect("recv").len(), 100_000);
    let too_large = vec![2; 200_000];
    let (sent, received) = tokio::join!(client.send(&too_large), server.recv());
    sent.expect("the sender's limit is larger");
    assert_eq!(received.err(), Some(NetError::MessageTooLarge));
    assert_eq!(server.recv().await.err(), Some(NetError::ChannelBroken));
}

#[test]
fn error_codes_are_stable() {
    let codes = [
        (NetError::ClosedByPeer, "closed_by_peer"),
        (NetError::HandshakeFailed, "handshake_failed"),
        (NetError::PeerUnknown, "peer_unknown"),
        (NetError::PeerRevoked, "peer_revoked"),
        (NetError::Timeout, "timeout"),
        (NetError::MessageTooLarge, "message_too_large"),
        (NetError::ProtocolViolation, "protocol_violation"),
    ];
    for (error, code) in codes {
        assert_eq!(error.code(), code);
        assert!(!error.to_string().is_empty());
    }
}
