//! LAN discovery, opt-in (DESIGN §5): a serving device may send sealed beacons (see
//! `cairn_crypto::BeaconKey`) as UDP datagrams, by default to the LAN broadcast address on the
//! team's beacon port; a device looking for peers listens on that port for a while. This module
//! only moves datagrams: sealing, opening and recognising members is the caller's (the beacon
//! key and the roster live in the vault).
//!
//! Announcing is never automatic: a front end calls [`announce`] only when the worker asked
//! for it, and stops it by dropping the future.

use std::{
    net::{Ipv4Addr, SocketAddr},
    time::Duration,
};

use tokio::net::UdpSocket;

use crate::NetError;

/// Where beacons go unless a front end says otherwise: the LAN broadcast address.
pub fn broadcast(udp_port: u16) -> SocketAddr {
    SocketAddr::from((Ipv4Addr::BROADCAST, udp_port))
}

/// The largest datagram [`listen`] keeps (a beacon is smaller; anything larger is dropped).
pub const MAX_DATAGRAM_LEN: usize = 256;

/// Sends a fresh beacon (made by `beacon` each time, so it carries the current time) to
/// `target` every `every`, until the future is dropped. Fails only if the socket cannot be
/// opened; a datagram that cannot be sent (no network yet) is tried again next time.
pub async fn announce(target: SocketAddr, every: Duration, mut beacon: impl FnMut() -> Vec<u8>) -> Result<(), NetError> {
    let bind =
        if target.is_ipv4() { SocketAddr::from((Ipv4Addr::UNSPECIFIED, 0)) } else { SocketAddr::from(([0u16; 8], 0)) };
    let socket = UdpSocket::bind(bind).await?;
    if target.ip().is_ipv4() && target.ip() == Ipv4Addr::BROADCAST {
        socket.set_broadcast(true)?;
    }
    let mut ticker = tokio::time::interval(every);
    loop {
        ticker.tick().await;
        let _ = socket.send_to(&beacon(), target).await;
    }
}

/// Listens on `bind` for `wait` and returns every datagram received (its source and bytes), at
/// most `max` of them; datagrams longer than [`MAX_DATAGRAM_LEN`] are dropped unread.
pub async fn listen(bind: SocketAddr, wait: Duration, max: usize) -> Result<Vec<(SocketAddr, Vec<u8>)>, NetError> {
    let socket = UdpSocket::bind(bind).await?;
    let mut received = Vec::new();
    let deadline = tokio::time::Instant::now() + wait;
    let mut buffer = [0u8; MAX_DATAGRAM_LEN + 1];
    while received.len() < max {
        match tokio::time::timeout_at(deadline, socket.recv_from(&mut buffer)).await {
            Err(_) => break,
            Ok(Err(error)) => return Err(error.into()),
            Ok(Ok((len, _))) if len > MAX_DATAGRAM_LEN => {}
            Ok(Ok((len, source))) => received.push((source, buffer[..len].to_vec())),
        }
    }
    Ok(received)
}

/// The address a listener for `udp_port` binds to by default: every IPv4 interface.
pub fn listen_address(udp_port: u16) -> SocketAddr {
    SocketAddr::from((Ipv4Addr::UNSPECIFIED, udp_port))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn beacons_sent_to_a_listener_arrive_and_oversized_datagrams_are_dropped() {
        let probe = std::net::UdpSocket::bind("127.0.0.1:0").expect("probe");
        let port = probe.local_addr().expect("addr").port();
        drop(probe);
        let target = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
        let listener = tokio::spawn(listen(target, Duration::from_millis(1500), 3));
        tokio::time::sleep(Duration::from_millis(100)).await;
        let sender = std::net::UdpSocket::bind("127.0.0.1:0").expect("sender");
        sender.send_to(&[0u8; MAX_DATAGRAM_LEN + 1], target).expect("oversized");
        let announcer = tokio::spawn(announce(target, Duration::from_millis(100), || b"beacon".to_vec()));
        let received = listener.await.expect("join").expect("listen");
        announcer.abort();
        assert_eq!(received.len(), 3);
        assert!(received.iter().all(|(source, bytes)| bytes == b"beacon" && source.ip().is_loopback()));
    }
}
