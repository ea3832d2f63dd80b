//! A device's side: deciding whether to accept a roster.
//!
//! The rules, in order (the first that fails decides the error):
//! 1. the bytes decode and pass the roster's structural rules (truncated, malformed, …);
//! 2. with a pinned organisation: the roster names the same organisation id
//!    ([`TeamError::WrongOrganisation`]) and either the pinned root key or the next root key
//!    the held roster committed to ([`TeamError::UncommittedRoot`]), and its signature
//!    verifies under that key ([`TeamError::BadRosterSignature`]); a roster under the committed
//!    key moves the pin to it (root rotation); without one (first import): the signature
//!    verifies under the key it carries and the organisation fingerprint confirmed in person
//!    matches ([`TeamError::FingerprintRequired`], [`TeamError::FingerprintMismatch`]);
//! 3. it is valid at the caller's time `now_ms` ([`TeamError::RosterNotYetValid`],
//!    [`TeamError::RosterExpired`]); the time is always a parameter, never read here;
//! 4. its version is higher than the held roster's ([`TeamError::Replay`]), and it keeps
//!    every device and revocation of the held roster, never lowers the team epoch, rotates
//!    the team key whenever it adds a revocation, never goes back from format v2 to v1,
//!    keeps the next root key commitment once one is set under the same root, and under a new
//!    root commits to the one after it ([`TeamError::Inconsistent`]);
//! 5. it lists this device with this device's own keys, as a member or as revoked
//!    ([`TeamError::NotOnRoster`], [`TeamError::KeyMismatch`]);
//! 6. as a member, the team key sealed to this device opens ([`TeamError::TeamKeyUnreadable`]),
//!    and so does every earlier epoch's key sealed under it
//!    ([`TeamError::EarlierTeamKeyUnreadable`]).
//!
//! The caller then compares the opened keys with those it already holds
//! ([`AcceptedRoster::check_held_keys`]).
//!
//! Nothing here stores anything: the caller writes the accepted roster, the pin and the team
//! key in one transaction, or nothing at all.

use cairn_crypto::{AgreementSecretKey, Fingerprint, TeamKey};

use crate::{DeviceKeys, Pin, Role, Roster, TeamError, roster::MAX_ROSTER_LEN};

/// What a device knows when a roster arrives.
#[derive(Debug, Clone, Copy)]
pub struct DeviceView<'a> {
    /// This device's id and public keys.
    pub keys: DeviceKeys,
    /// The pinned organisation, if a roster was imported before.
    pub pin: Option<Pin>,
    /// The roster held now, if any.
    pub current: Option<&'a Roster>,
    /// The time to check the roster's validity period against, in milliseconds since the Unix
    /// epoch (the caller's clock: this crate never reads one).
    pub now_ms: u64,
}

/// This device's place on a roster.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Standing {
    /// A member with this role.
    Member(Role),
    /// Revoked by the roster of this version.
    Revoked {
        /// The roster version that revoked it.
        at: u64,
    },
}

/// A roster that passed every rule, with what the device learns from it.
#[derive(Debug)]
pub struct AcceptedRoster {
    /// The verified roster.
    pub roster: Roster,
    /// The organisation to pin (the same as before, or the first pin).
    pub pin: Pin,
    /// Whether this import pins the organisation for the first time.
    pub first_pin: bool,
    /// Whether this roster is signed by the committed next root key, which replaces the pinned
    /// root from now on (the pin changes; the organisation fingerprint with it).
    pub rotated_root: bool,
    /// This device's standing.
    pub standing: Standing,
    /// The current epoch's team key, if this device is a member.
    pub team_key: Option<TeamKey>,
    /// Every earlier epoch's team key the roster carries, ascending by epoch (none for a
    /// revoked device, or from a v1 roster).
    pub earlier_team_keys: Vec<(u32, TeamKey)>,
}

impl AcceptedRoster {
    /// Checks every opened team key (current and earlier epochs) against the key this device
    /// already holds for the same epoch, as `held` gives it: one epoch has one key, so a
    /// different one means a forged or broken roster ([`TeamError::EpochConflict`]).
    pub fn check_held_keys<'k>(&self, held: impl Fn(u32) -> Option<&'k TeamKey>) -> Result<(), TeamError> {
        let current = self.team_key.as_ref().map(|key| (self.roster.epoch(), key));
        let earlier = self.earlier_team_keys.iter().map(|(epoch, key)| (*epoch, key));
        for (epoch, key) in current.into_iter().chain(earlier) {
            if held(epoch).is_some_and(|held| !held.same_key_as(key)) {
                return Err(TeamError::EpochConflict);
            }
        }
        Ok(())
    }
}

/// The organisation fingerprint of a roster, to show a person before a first import. It
/// says nothing about whether the roster is genuine until that person confirms it.
pub fn preview_fingerprint(bytes: &[u8]) -> Result<Fingerprint, TeamError> {
    let roster = Roster::decode(bytes)?.verify(None)?;
    Ok(roster.pin().fingerprint())
}

/// Applies the rules above to `bytes`. `confirmed` is the organisation fingerprint as typed
/// or scanned by the person (required on a first import, checked against the pin otherwise).
pub fn accept_roster(
    view: &DeviceView<'_>,
    agreement: &AgreementSecretKey,
    bytes: &[u8],
    confirmed: Option<&str>,
) -> Result<AcceptedRoster, TeamError> {
    if bytes.len() > MAX_ROSTER_LEN {
        return Err(TeamError::TooLarge { what: "roster" });
    }
    let unverified = Roster::decode(bytes)?;
    let confirmed =
        confirmed.map(|typed| Fingerprint::parse(typed).map_err(|_| TeamError::MalformedFingerprint)).transpose()?;
    let (roster, first_pin) = match view.pin {
        Some(pin) => {
            let committed = view.current.and_then(|current| current.policy().next_root);
            let roster = unverified.verify_rotated(&pin, committed.as_ref())?;
            // After a root rotation the person may have been given the new fingerprint.
            if confirmed.is_some_and(|typed| typed != pin.fingerprint() && typed != roster.pin().fingerprint()) {
                return Err(TeamError::FingerprintMismatch);
            }
            (roster, false)
        }
        None => {
            let roster = unverified.verify(None)?;
            match confirmed {
                None => return Err(TeamError::FingerprintRequired),
                Some(typed) if typed != roster.pin().fingerprint() => return Err(TeamError::FingerprintMismatch),
                Some(_) => (roster, true),
            }
        }
    };
    roster.check_validity(view.now_ms)?;
    if let Some(current) = view.current {
        check_succession(current, &roster)?;
    }
    let me = view.keys;
    let claims_my_key = roster
        .members()
        .iter()
        .map(|m| &m.keys)
        .chain(roster.revocations().iter().map(|r| &r.keys))
        .any(|keys| keys.device_id != me.device_id && (keys.signing == me.signing || keys.agreement == me.agreement));
    if claims_my_key {
        return Err(TeamError::KeyMismatch);
    }
    let (standing, team_key, earlier_team_keys) = match (roster.member(me.device_id), roster.revocation(me.device_id)) {
        (Some(member), _) => {
            if member.keys != me {
                return Err(TeamError::KeyMismatch);
            }
            let team_key = roster.open_team_key(me.device_id, agreement)?;
            let earlier = roster.open_earlier_team_keys(&team_key)?;
            (Standing::Member(member.role), Some(team_key), earlier)
        }
        (None, Some(revocation)) => {
            if revocation.keys != me {
                return Err(TeamError::KeyMismatch);
            }
            (Standing::Revoked { at: revocation.revoked_at }, None, Vec::new())
        }
        (None, None) => return Err(TeamError::NotOnRoster),
    };
    let pin = roster.pin();
    let rotated_root = view.pin.is_some_and(|held| held.root != pin.root);
    Ok(AcceptedRoster { roster, pin, first_pin, rotated_root, standing, team_key, earlier_team_keys })
}

/// The rules a roster must follow relative to the one it replaces.
fn check_succession(current: &Roster, next: &Roster) -> Result<(), TeamError> {
    if next.version() <= current.version() {
        return Err(TeamError::Replay);
    }
    if next.epoch() < current.epoch() {
        return Err(TeamError::Inconsistent { what: "the team epoch went back" });
    }
    for revocation in current.revocations() {
        if next.revocation(revocation.keys.device_id).map(|r| (r.keys, r.revoked_at))
            != Some((revocation.keys, revocation.revoked_at))
        {
            return Err(TeamError::Inconsistent { what: "a revocation was dropped" });
        }
    }
    for member in current.members() {
        let id = member.keys.device_id;
        let kept = next.member(id).map(|m| m.keys).or_else(|| next.revocation(id).map(|r| r.keys));
        if kept != Some(member.keys) {
            return Err(TeamError::Inconsistent { what: "a device vanished or changed keys" });
        }
    }
    if next.revocations().len() > current.revocations().len() && next.epoch() == current.epoch() {
        return Err(TeamError::Inconsistent { what: "a revocation without a new team key" });
    }
    if next.epoch() == current.epoch() && next.epoch_since() != current.epoch_since() {
        return Err(TeamError::Inconsistent { what: "the team epoch was restarted" });
    }
    // Going back to v1 would silently drop the policy and the earlier epochs.
    if next.format_version() < current.format_version() {
        return Err(TeamError::Inconsistent { what: "the roster format went back" });
    }
    // Pre-rotation: under the same root, a commitment once made is kept (only the committed
    // key, taking over, makes a new one), so a stolen root key alone cannot point the team at
    // a key of the thief's. A roster under the new root must commit to the key after it, so
    // the chain never ends in a key that can only be replaced by re-pinning in person.
    if next.pin().root == current.pin().root {
        if current.policy().next_root.is_some() && next.policy().next_root != current.policy().next_root {
            return Err(TeamError::Inconsistent { what: "the next root key commitment changed" });
        }
    } else if next.policy().next_root.is_none() {
        return Err(TeamError::Inconsistent { what: "a new root key without a commitment to the next" });
    } else if next.policy().next_root == Some(cairn_crypto::next_root_commitment(&current.pin().root)) {
        return Err(TeamError::Inconsistent { what: "a new root key that hands back to the retired one" });
    }
    Ok(())
}
