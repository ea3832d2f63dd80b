use thiserror::Error;

/// Everything a team operation can refuse.
///
/// Messages are fixed sentences: they never contain names, keys, ids or paths. `code()` is
/// stable for UIs and scripts.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum TeamError {
    /// The input ends before the structure it announces.
    #[error("the {what} is truncated")]
    Truncated {
        /// Which structure (a fixed label).
        what: &'static str,
    },
    /// The input is not a well-formed structure of this kind.
    #[error("the {what} is malformed")]
    Malformed {
        /// Which structure or field (a fixed label).
        what: &'static str,
    },
    /// The input is larger than the format allows.
    #[error("the {what} is too large")]
    TooLarge {
        /// Which structure (a fixed label).
        what: &'static str,
    },
    /// The format version is not one this build reads.
    #[error("unsupported {what} format version {version}")]
    UnsupportedVersion {
        /// Which format.
        what: &'static str,
        /// The version found.
        version: u8,
    },
    /// The input is another kind of Cairn team file (a roster given as a request, …).
    #[error("this is not {expected}")]
    WrongKind {
        /// What was expected (a fixed label).
        expected: &'static str,
    },
    /// An enrollment request's self-signature does not match its keys and contents.
    #[error("the enrollment request's self-signature is not valid: it was altered or forged")]
    BadRequestSignature,
    /// A roster's signature does not verify under the organisation's root key.
    #[error("the roster's signature is not valid: it was altered or forged")]
    BadRosterSignature,
    /// A tombstone's signature does not verify under its signer's key.
    #[error("the case deletion's signature is not valid: it was altered or forged")]
    BadTombstoneSignature,
    /// A handover receipt's signature does not verify under its signer's key.
    #[error("the handover receipt's signature is not valid: it was altered or forged")]
    BadReceiptSignature,
    /// A handover receipt is signed by a member that is not an HQ device.
    #[error("the handover receipt is not signed by an HQ device")]
    ReceiptNotFromHq,
    /// The roster is signed by another organisation's root key.
    #[error("the roster belongs to another organisation")]
    WrongOrganisation,
    /// The roster is signed by a new root key of the pinned organisation that the roster held
    /// did not commit to in advance: refused (only a committed key may take over; otherwise
    /// HQ must be re-pinned in person).
    #[error("the roster is signed by a new HQ root key the current roster did not announce")]
    UncommittedRoot,
    /// The organisation's root key is kept offline and no root key file was opened for this
    /// session: give the root key file (and its passphrase).
    #[error("the organisation's root key is kept offline: open its root key file first")]
    RootOffline,
    /// The root key file did not open: wrong passphrase, or the file is damaged.
    #[error("the root key file did not open: wrong passphrase, or the file is damaged")]
    RootFileLocked,
    /// The root key file is not the organisation's current or committed root key.
    #[error("this root key file is not the key the roster expects")]
    WrongRootKey,
    /// The roster's version is not higher than the one held: a replayed or stale roster.
    #[error("the roster is not newer than the one this device holds (replayed or stale)")]
    Replay,
    /// The roster contradicts the one held (a revocation dropped, a device vanished, …).
    #[error("the roster contradicts the one this device holds ({what})")]
    Inconsistent {
        /// Which rule (a fixed label).
        what: &'static str,
    },
    /// A first roster import (or an enrollment) needs the fingerprint compared in person.
    #[error("the fingerprint must be confirmed in person before this is trusted")]
    FingerprintRequired,
    /// The fingerprint given does not match.
    #[error("the fingerprint does not match: nothing was changed")]
    FingerprintMismatch,
    /// The fingerprint given is not 30 digits.
    #[error("the fingerprint is mistyped: it has six groups of five digits")]
    MalformedFingerprint,
    /// This device is not on the roster.
    #[error("this device is not on the roster")]
    NotOnRoster,
    /// The roster lists this device's id with keys that are not this device's.
    #[error("the roster lists this device with keys that are not its own")]
    KeyMismatch,
    /// The team key sealed to this device does not open.
    #[error("the team key sealed for this device does not open")]
    TeamKeyUnreadable,
    /// An earlier epoch's team key in the roster does not open under the current one.
    #[error("an earlier team key in the roster does not open")]
    EarlierTeamKeyUnreadable,
    /// The roster's validity period has not begun at the time given.
    #[error("the roster is not valid yet: check this device's clock")]
    RosterNotYetValid,
    /// The roster's validity period ended before the time given.
    #[error("the roster has expired: ask HQ for a newer one")]
    RosterExpired,
    /// The roster carries a different key for a team epoch this device already holds.
    #[error("the roster carries another key for a team epoch this device already holds")]
    EpochConflict,
    /// The operation needs the organisation's keys, which only the HQ vault holds.
    #[error("this vault is not the organisation's HQ vault")]
    NotOrganisation,
    /// `org init` on a vault that already belongs to an organisation.
    #[error("this vault already belongs to an organisation")]
    AlreadyInOrganisation,
    /// No roster has been imported or issued yet.
    #[error("this vault has no roster yet")]
    NoRoster,
    /// The device (or one of its keys) is already on the roster.
    #[error("the device or one of its keys is already enrolled")]
    AlreadyEnrolled,
    /// The device was revoked; a revoked device or key is never enrolled again.
    #[error("the device was revoked and cannot be enrolled again")]
    DeviceRevoked,
    /// No device with this id is on the roster.
    #[error("no device with this id is on the roster")]
    UnknownDevice,
    /// The device is already revoked.
    #[error("the device is already revoked")]
    AlreadyRevoked,
    /// HQ cannot revoke its own device.
    #[error("HQ cannot revoke its own device")]
    CannotRevokeSelf,
    /// The roster holds the most devices the format allows.
    #[error("the roster is full")]
    RosterFull,
    /// A name is too long or contains control or direction-override characters.
    #[error("invalid name: at most 64 bytes, without control or direction-override characters")]
    InvalidName,
    /// A device id is not 32 hexadecimal digits.
    #[error("invalid device id: it has 32 hexadecimal digits")]
    InvalidDeviceId,
    /// A role is not one of field, coordinator, hq.
    #[error("invalid role: use field, coordinator or hq")]
    InvalidRole,
}

impl TeamError {
    /// A stable, machine-readable code for this error.
    pub fn code(&self) -> &'static str {
        match self {
            TeamError::Truncated { .. } => "truncated",
            TeamError::Malformed { .. } => "malformed",
            TeamError::TooLarge { .. } => "too_large",
            TeamError::UnsupportedVersion { .. } => "unsupported_version",
            TeamError::WrongKind { .. } => "wrong_kind",
            TeamError::BadRequestSignature => "bad_request_signature",
            TeamError::BadRosterSignature => "bad_roster_signature",
            TeamError::BadTombstoneSignature => "bad_tombstone_signature",
            TeamError::BadReceiptSignature => "bad_receipt_signature",
            TeamError::ReceiptNotFromHq => "receipt_not_from_hq",
            TeamError::WrongOrganisation => "wrong_organisation",
            TeamError::UncommittedRoot => "uncommitted_root",
            TeamError::WrongRootKey => "wrong_root_key",
            TeamError::RootOffline => "root_offline",
            TeamError::RootFileLocked => "root_file_locked",
            TeamError::Replay => "roster_replay",
            TeamError::Inconsistent { .. } => "roster_inconsistent",
            TeamError::FingerprintRequired => "fingerprint_required",
            TeamError::FingerprintMismatch => "fingerprint_mismatch",
            TeamError::MalformedFingerprint => "malformed_fingerprint",
            TeamError::NotOnRoster => "not_on_roster",
            TeamError::KeyMismatch => "key_mismatch",
            TeamError::TeamKeyUnreadable => "team_key_unreadable",
            TeamError::EarlierTeamKeyUnreadable => "earlier_team_key_unreadable",
            TeamError::RosterNotYetValid => "roster_not_yet_valid",
            TeamError::RosterExpired => "roster_expired",
            TeamError::EpochConflict => "epoch_conflict",
            TeamError::NotOrganisation => "not_organisation",
            TeamError::AlreadyInOrganisation => "already_in_organisation",
            TeamError::NoRoster => "no_roster",
            TeamError::AlreadyEnrolled => "already_enrolled",
            TeamError::DeviceRevoked => "device_revoked",
            TeamError::UnknownDevice => "unknown_device",
            TeamError::AlreadyRevoked => "already_revoked",
            TeamError::CannotRevokeSelf => "cannot_revoke_self",
            TeamError::RosterFull => "roster_full",
            TeamError::InvalidName => "invalid_name",
            TeamError::InvalidDeviceId => "invalid_device_id",
            TeamError::InvalidRole => "invalid_role",
        }
    }

    /// Whether the error is about the caller's arguments (a name, id or role as typed)
    /// rather than a refusal of the input or the operation.
    pub fn is_usage(&self) -> bool {
        matches!(
            self,
            TeamError::InvalidName | TeamError::InvalidDeviceId | TeamError::InvalidRole | TeamError::MalformedFingerprint
        )
    }
}
