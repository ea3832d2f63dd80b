//! LAN presence beacons (opt-in): a device serving sync may announce itself on the local
//! network so team members there can find it without typing an address. Announcing presence is
//! itself a risk, so it is off unless the worker asks for it, and a beacon says nothing to
//! anyone outside the team:
//!
//! - it is sealed whole under a key derived from the team key (no plaintext version, magic or
//!   length field: 67 bytes that look random);
//! - it goes to a UDP port derived from the same key, so the port does not name Cairn either;
//! - it names the serving device and its TCP port, and when it was sent (a receiver drops
//!   beacons more than [`BEACON_MAX_AGE_MS`] old or ahead, so a recorded beacon cannot be
//!   replayed for long). Connecting is authenticated by the Noise handshake as always; a beacon
//!   only says where to try.
//!
//! ```text
//! beacon    = nonce (24, random) ‖ XChaCha20-Poly1305(K_beacon, body, AAD = "cairn/beacon/v1")
//! body      = u8 version (1) ‖ u16 TCP port (LE) ‖ u64 sent at, ms since the Unix epoch (LE)
//!             ‖ [16] device id
//! K_beacon  = HKDF-SHA256(team key, info = "cairn/beacon/v1" ‖ org id ‖ epoch (LE))
//! UDP port  = 49152 + (HKDF-SHA256(team key, info = "cairn/beacon-port/v1" ‖ org id ‖ epoch)
//!             as u16 LE) mod 16384
//! ```

use chacha20poly1305::{
    XChaCha20Poly1305, XNonce,
    aead::{Aead, KeyInit, Payload},
};
use zeroize::Zeroizing;

use crate::{CryptoError, random_array};

const VERSION: u8 = 1;
const BODY_LEN: usize = 1 + 2 + 8 + 16;
const AAD: &[u8] = b"cairn/beacon/v1";

/// The length of every beacon.
pub const BEACON_LEN: usize = 24 + BODY_LEN + 16;

/// How far a beacon's time may be from the receiver's clock, either way (2 minutes).
pub const BEACON_MAX_AGE_MS: u64 = 120_000;

/// What a beacon says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Beacon {
    /// The device serving sync.
    pub device_id: [u8; 16],
    /// The TCP port it serves on (the address is the beacon's source).
    pub port: u16,
    /// When it was sent, milliseconds since the Unix epoch.
    pub sent_at_ms: u64,
}

/// The beacon key of one team key epoch (see the module docs). Not printable.
pub struct BeaconKey {
    key: Zeroizing<[u8; 32]>,
    udp_port: u16,
}

impl std::fmt::Debug for BeaconKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BeaconKey").finish_non_exhaustive()
    }
}

impl BeaconKey {
    pub(crate) fn derive(team_key: &[u8; 32], org_id: &[u8; 16], epoch: u32) -> BeaconKey {
        let info = |label: &[u8]| [label, org_id.as_slice(), &epoch.to_le_bytes()].concat();
        let key = crate::team_key::hkdf_expand::<32>(None, team_key, &info(b"cairn/beacon/v1"));
        let port = crate::team_key::hkdf_expand::<2>(None, team_key, &info(b"cairn/beacon-port/v1"));
        let udp_port = 49152 + u16::from_le_bytes(*port) % 16384;
        BeaconKey { key, udp_port }
    }

    /// The UDP port this epoch's beacons go to.
    pub fn udp_port(&self) -> u16 {
        self.udp_port
    }

    /// Seals a beacon.
    pub fn seal(&self, beacon: &Beacon) -> Vec<u8> {
        self.seal_with_nonce(beacon, random_array())
    }

    pub(crate) fn seal_with_nonce(&self, beacon: &Beacon, nonce: [u8; 24]) -> Vec<u8> {
        let mut body = Zeroizing::new(Vec::with_capacity(BODY_LEN));
        body.push(VERSION);
        body.extend_from_slice(&beacon.port.to_le_bytes());
        body.extend_from_slice(&beacon.sent_at_ms.to_le_bytes());
        body.extend_from_slice(&beacon.device_id);
        let sealed = XChaCha20Poly1305::new(&chacha20poly1305::Key::from(*self.key))
            .encrypt(&XNonce::from(nonce), Payload { msg: &body, aad: AAD })
            .expect("a 27-byte body always seals");
        [nonce.as_slice(), &sealed].concat()
    }

    /// Opens a beacon received at `now_ms`: anything not sealed under this key, malformed, or
    /// sent more than [`BEACON_MAX_AGE_MS`] from `now_ms` is refused.
    pub fn open(&self, bytes: &[u8], now_ms: u64) -> Result<Beacon, CryptoError> {
        if bytes.len() != BEACON_LEN {
            return Err(CryptoError::Malformed { what: "beacon" });
        }
        let nonce = XNonce::try_from(&bytes[..24]).map_err(|_| CryptoError::Malformed { what: "beacon" })?;
        let body = Zeroizing::new(
            XChaCha20Poly1305::new(&chacha20poly1305::Key::from(*self.key))
                .decrypt(&nonce, Payload { msg: &bytes[24..], aad: AAD })
                .map_err(|_| CryptoError::Tampered)?,
        );
        if body.len() != BODY_LEN || body[0] != VERSION {
            return Err(CryptoError::UnsupportedVersion {
                what: "beacon",
                version: body.first().copied().unwrap_or(0).into(),
            });
        }
        let port = u16::from_le_bytes([body[1], body[2]]);
        let mut sent = [0u8; 8];
        sent.copy_from_slice(&body[3..11]);
        let sent_at_ms = u64::from_le_bytes(sent);
        let mut device_id = [0u8; 16];
        device_id.copy_from_slice(&body[11..27]);
        if sent_at_ms.abs_diff(now_ms) > BEACON_MAX_AGE_MS {
            return Err(CryptoError::Tampered);
        }
        Ok(Beacon { device_id, port, sent_at_ms })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(seed: u8, epoch: u32) -> BeaconKey {
        BeaconKey::derive(&[seed; 32], &[1; 16], epoch)
    }

    const BEACON: Beacon = Beacon { device_id: [7; 16], port: 4242, sent_at_ms: 1_800_000_000_000 };

    #[test]
    fn a_beacon_opens_only_under_its_team_key_while_fresh() {
        let sealed = key(1, 1).seal(&BEACON);
        assert_eq!(sealed.len(), BEACON_LEN);
        assert_eq!(key(1, 1).open(&sealed, BEACON.sent_at_ms + 5_000), Ok(BEACON));
        assert_eq!(key(2, 1).open(&sealed, BEACON.sent_at_ms), Err(CryptoError::Tampered), "another team");
        assert_eq!(key(1, 2).open(&sealed, BEACON.sent_at_ms), Err(CryptoError::Tampered), "another epoch");
        for late in [BEACON.sent_at_ms + BEACON_MAX_AGE_MS + 1, BEACON.sent_at_ms - BEACON_MAX_AGE_MS - 1] {
            assert_eq!(key(1, 1).open(&sealed, late), Err(CryptoError::Tampered), "stale or early");
        }
        for index in 0..sealed.len() {
            let mut flipped = sealed.clone();
            flipped[index] ^= 1;
            assert!(key(1, 1).open(&flipped, BEACON.sent_at_ms).is_err(), "byte {index}");
        }
        assert!(key(1, 1).open(&sealed[..BEACON_LEN - 1], BEACON.sent_at_ms).is_err());
        // Two beacons of the same device share no byte pattern a stranger could match.
        assert_ne!(key(1, 1).seal(&BEACON)[..24], key(1, 1).seal(&BEACON)[..24]);
    }

    #[test]
    fn the_port_is_in_the_dynamic_range_and_depends_on_the_team_key() {
        let ports: Vec<u16> = (0..20).map(|seed| key(seed, 1).udp_port()).collect();
        assert!(ports.iter().all(|port| *port >= 49152));
        assert!(ports.iter().collect::<std::collections::BTreeSet<_>>().len() > 10);
        assert_eq!(key(3, 1).udp_port(), key(3, 1).udp_port());
    }
}
