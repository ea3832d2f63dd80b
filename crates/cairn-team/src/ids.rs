//! Identifiers, roles, device public keys and names.

use cairn_crypto::{AgreementPublicKey, Fingerprint, MAX_LABEL_LEN, SigningPublicKey};

use crate::TeamError;

/// Length of a device or organisation id.
pub const ID_LEN: usize = 16;

fn hex(bytes: &[u8; ID_LEN]) -> String {
    hex::encode(bytes)
}

fn parse_hex(text: &str) -> Option<[u8; ID_LEN]> {
    let mut out = [0u8; ID_LEN];
    hex::decode_to_slice(text.trim(), &mut out).ok()?;
    Some(out)
}

/// A device's random 128-bit identifier (the vault's `device_id`).
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct DeviceId(pub [u8; ID_LEN]);

impl DeviceId {
    /// Parses 32 hexadecimal digits.
    pub fn parse_hex(text: &str) -> Result<Self, TeamError> {
        parse_hex(text).map(Self).ok_or(TeamError::InvalidDeviceId)
    }
}

impl std::fmt::Display for DeviceId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&hex(&self.0))
    }
}

impl std::fmt::Debug for DeviceId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "DeviceId({self})")
    }
}

/// An organisation's random 128-bit identifier.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct OrgId(pub [u8; ID_LEN]);

impl std::fmt::Display for OrgId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&hex(&self.0))
    }
}

impl std::fmt::Debug for OrgId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "OrgId({self})")
    }
}

/// What a device may do in the team.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Role {
    /// A field worker's device.
    Field,
    /// A coordinator's device.
    Coordinator,
    /// An HQ device (the HQ vault itself is one).
    Hq,
}

impl Role {
    pub(crate) fn to_byte(self) -> u8 {
        match self {
            Role::Field => 1,
            Role::Coordinator => 2,
            Role::Hq => 3,
        }
    }

    pub(crate) fn from_byte(byte: u8) -> Option<Self> {
        match byte {
            1 => Some(Role::Field),
            2 => Some(Role::Coordinator),
            3 => Some(Role::Hq),
            _ => None,
        }
    }

    /// The role's name as typed and shown: `field`, `coordinator`, `hq`.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Field => "field",
            Role::Coordinator => "coordinator",
            Role::Hq => "hq",
        }
    }
}

impl std::str::FromStr for Role {
    type Err = TeamError;

    fn from_str(text: &str) -> Result<Self, TeamError> {
        match text.trim().to_ascii_lowercase().as_str() {
            "field" => Ok(Role::Field),
            "coordinator" => Ok(Role::Coordinator),
            "hq" => Ok(Role::Hq),
            _ => Err(TeamError::InvalidRole),
        }
    }
}

impl std::fmt::Display for Role {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A device's public identity: its id and both public keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DeviceKeys {
    /// The device id.
    pub device_id: DeviceId,
    /// Its Ed25519 signing key.
    pub signing: SigningPublicKey,
    /// Its X25519 agreement key (team keys are sealed to it).
    pub agreement: AgreementPublicKey,
}

impl DeviceKeys {
    /// The fingerprint to compare in person.
    pub fn fingerprint(&self) -> Fingerprint {
        Fingerprint::of_device(&self.device_id.0, &self.signing, &self.agreement)
    }
}

/// Checks a device or organisation name: at most [`MAX_LABEL_LEN`] bytes of UTF-8, no
/// control characters and no bidirectional overrides (which could make one name display
/// as another on a terminal or screen), no surrounding spaces; empty only if `allow_empty`.
pub fn check_name(name: &str, allow_empty: bool) -> Result<(), TeamError> {
    let forbidden =
        |c: char| c.is_control() || matches!(c, '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}');
    if name.len() > MAX_LABEL_LEN || name.chars().any(forbidden) || name.trim() != name || (!allow_empty && name.is_empty())
    {
        return Err(TeamError::InvalidName);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn device_ids_round_trip_through_hex() {
        let id = DeviceId([0xab; 16]);
        assert_eq!(id.to_string(), "ab".repeat(16));
        assert_eq!(DeviceId::parse_hex(&"AB".repeat(16)), Ok(id));
        assert_eq!(DeviceId::parse_hex(&"ab".repeat(15)), Err(TeamError::InvalidDeviceId));
        assert_eq!(DeviceId::parse_hex(&format!("{}zz", "ab".repeat(15))), Err(TeamError::InvalidDeviceId));
        assert_eq!(DeviceId::parse_hex(&"가".repeat(11)), Err(TeamError::InvalidDeviceId));
    }

    #[test]
    fn roles_parse_and_encode() {
        for role in [Role::Field, Role::Coordinator, Role::Hq] {
            assert_eq!(role.as_str().parse::<Role>(), Ok(role));
            assert_eq!(Role::from_byte(role.to_byte()), Some(role));
        }
        assert_eq!("admin".parse::<Role>(), Err(TeamError::InvalidRole));
        assert_eq!(Role::from_byte(0), None);
        assert_eq!(Role::from_byte(4), None);
    }

    #[test]
    fn names_refuse_control_and_direction_characters() {
        assert_eq!(check_name("현장 노트북 3", false), Ok(()));
        assert_eq!(check_name("", true), Ok(()));
        assert_eq!(check_name("", false), Err(TeamError::InvalidName));
        for bad in ["a\u{1b}[2Jb", "tab\there", "new\nline", "evil\u{202e}txt", " padded", &"x".repeat(65)] {
            assert_eq!(check_name(bad, true), Err(TeamError::InvalidName), "{bad:?}");
        }
        assert_eq!(check_name(&"가".repeat(21), false), Ok(()));
        assert_eq!(check_name(&"가".repeat(22), false), Err(TeamError::InvalidName));
    }
}
