//! HQ's side: the first roster of a new organisation, enrollment, revocation, policy and root
//! rotation. Each
//! operation takes the current roster and keys as plain values and returns the next signed
//! roster (format v2); storing it is the caller's business.
//!
//! Every roster carries the team keys of all earlier epochs, sealed under its current one, so
//! a device enrolled late reads what the team shared before it joined. The keys come from the
//! current roster itself (opened with the current team key) and from `held_earlier`, the keys
//! HQ holds: a team upgraded from v1 rosters has earlier epochs that only HQ's vault knows.

use cairn_crypto::{AgreementPublicKey, Fingerprint, SigningPublicKey, SigningSecretKey, TeamKey, next_root_commitment};

use crate::{
    DeviceId, DeviceKeys, EnrollmentRequest, OrgId, Role, Roster, RosterDraft, RosterPolicy, TeamError, Validity,
    roster::{DraftMember, DraftRevocation, MAX_MEMBERS},
};

/// The first roster (version 1, epoch 1) of a new organisation, with the HQ device as its
/// only member.
pub fn genesis(
    org_id: OrgId,
    root: &SigningSecretKey,
    intake: AgreementPublicKey,
    team_key: &TeamKey,
    hq_device: DeviceKeys,
    org_name: &str,
    hq_device_name: &str,
) -> Result<Roster, TeamError> {
    RosterDraft {
        org_id,
        intake,
        version: 1,
        epoch: 1,
        epoch_since: 1,
        org_name: org_name.to_owned(),
        policy: RosterPolicy::default(),
        members: vec![DraftMember { keys: hq_device, role: Role::Hq, name: hq_device_name.to_owned() }],
        revocations: vec![],
    }
    .seal_and_sign(team_key, &[], root)
}

/// Adds the device of a verified `request` with `role` and `name`, after its fingerprint was
/// compared in person (`confirmed` is what the person at HQ typed or scanned from the device's
/// screen). Returns the next roster (same team key epoch, with every earlier epoch's key: see
/// the module docs for `held_earlier`), valid for `validity` (`current.policy().validity`
/// keeps the current period).
// Each argument is a distinct key or decision of the person at HQ; a struct grouping them
// would only rename the list.
#[allow(clippy::too_many_arguments)]
pub fn enroll(
    current: &Roster,
    team_key: &TeamKey,
    held_earlier: &[(u32, &TeamKey)],
    root: &SigningSecretKey,
    request: &EnrollmentRequest,
    confirmed: &Fingerprint,
    role: Role,
    name: &str,
    validity: Validity,
) -> Result<Roster, TeamError> {
    if *confirmed != request.keys().fingerprint() {
        return Err(TeamError::FingerprintMismatch);
    }
    let keys = request.keys();
    let revoked = current
        .revocations()
        .iter()
        .any(|r| r.keys.device_id == keys.device_id || r.keys.signing == keys.signing || r.keys.agreement == keys.agreement);
    if revoked {
        return Err(TeamError::DeviceRevoked);
    }
    let enrolled = current
        .members()
        .iter()
        .any(|m| m.keys.device_id == keys.device_id || m.keys.signing == keys.signing || m.keys.agreement == keys.agreement);
    if enrolled || keys.signing == current.pin().root || keys.agreement == current.intake() {
        return Err(TeamError::AlreadyEnrolled);
    }
    if current.members().len() >= MAX_MEMBERS {
        return Err(TeamError::RosterFull);
    }
    crate::check_name(name, false)?;
    let mut draft = RosterDraft::open(current, team_key)?;
    draft.version = next_version(current)?;
    draft.members.push(DraftMember { keys, role, name: name.to_owned() });
    draft.policy.validity = validity;
    let carried = current.open_earlier_team_keys(team_key)?;
    let earlier = earlier_epochs(current, &carried, held_earlier)?;
    draft.seal_and_sign(team_key, &earlier, root)
}

/// Revokes `device`: it moves to the revocations, the team key rotates to a new epoch
/// (`new_team_key`), sealed to the remaining members only. `hq_device` (the vault doing
/// this) cannot revoke itself. The new roster carries the current key and every earlier one
/// (see the module docs for `held_earlier`) sealed under the new key, which the revoked
/// device never receives. The new roster is valid for `validity` (`current.policy().validity`
/// keeps the current period).
// As for `enroll`: each argument is a distinct key or decision.
#[allow(clippy::too_many_arguments)]
pub fn revoke(
    current: &Roster,
    team_key: &TeamKey,
    held_earlier: &[(u32, &TeamKey)],
    new_team_key: &TeamKey,
    root: &SigningSecretKey,
    device: DeviceId,
    hq_device: DeviceId,
    validity: Validity,
) -> Result<Roster, TeamError> {
    if device == hq_device {
        return Err(TeamError::CannotRevokeSelf);
    }
    if current.revocation(device).is_some() {
        return Err(TeamError::AlreadyRevoked);
    }
    if current.member(device).is_none() {
        return Err(TeamError::UnknownDevice);
    }
    if new_team_key.same_key_as(team_key) {
        return Err(TeamError::Inconsistent { what: "the team key did not change" });
    }
    let mut draft = RosterDraft::open(current, team_key)?;
    let version = next_version(current)?;
    draft.version = version;
    draft.epoch = current.epoch().checked_add(1).ok_or(TeamError::RosterFull)?;
    draft.epoch_since = version;
    let position = draft.members.iter().position(|m| m.keys.device_id == device).ok_or(TeamError::UnknownDevice)?;
    let removed = draft.members.remove(position);
    draft.revocations.push(DraftRevocation { keys: removed.keys, revoked_at: version, name: removed.name });
    draft.policy.validity = validity;
    let carried = current.open_earlier_team_keys(team_key)?;
    let mut earlier = earlier_epochs(current, &carried, held_earlier)?;
    earlier.push((current.epoch(), team_key));
    draft.seal_and_sign(new_team_key, &earlier, root)
}

/// The earlier epochs of `current` (`carried`, opened from it) merged with those HQ holds.
/// Held keys of the current epoch or later are not earlier epochs and are left out; a held key
/// that differs from the roster's key for the same epoch is refused (one epoch, one key).
fn earlier_epochs<'k>(
    current: &Roster,
    carried: &'k [(u32, TeamKey)],
    held: &[(u32, &'k TeamKey)],
) -> Result<Vec<(u32, &'k TeamKey)>, TeamError> {
    let mut earlier: Vec<(u32, &TeamKey)> = carried.iter().map(|(epoch, key)| (*epoch, key)).collect();
    for (epoch, key) in held.iter().filter(|(epoch, _)| *epoch < current.epoch()) {
        match earlier.iter().find(|(known, _)| known == epoch) {
            Some((_, known)) if !known.same_key_as(key) => return Err(TeamError::EpochConflict),
            Some(_) => {}
            None => earlier.push((*epoch, *key)),
        }
    }
    Ok(earlier)
}

/// Sets the team policy (handover purge, identity readers, validity period, next root key
/// commitment). Returns the next roster (same team key epoch). A next root commitment, once
/// set, is kept: devices refuse a roster under the same root that changes it. With the same
/// policy but a new validity period it reissues the roster (same members, next version), so
/// HQ can renew devices' rosters before they expire.
pub fn set_policy(
    current: &Roster,
    team_key: &TeamKey,
    held_earlier: &[(u32, &TeamKey)],
    root: &SigningSecretKey,
    policy: RosterPolicy,
) -> Result<Roster, TeamError> {
    if current.policy().next_root.is_some() && policy.next_root != current.policy().next_root {
        return Err(TeamError::Inconsistent { what: "the next root key commitment changed" });
    }
    let mut draft = RosterDraft::open(current, team_key)?;
    draft.version = next_version(current)?;
    draft.policy = policy;
    let carried = current.open_earlier_team_keys(team_key)?;
    let earlier = earlier_epochs(current, &carried, held_earlier)?;
    draft.seal_and_sign(team_key, &earlier, root)
}

/// Commits the organisation to `next_root` as the root key that takes over from the current
/// one (pre-rotation): the next roster carries its commitment, and devices from then on refuse
/// any roster under the current root that changes or drops it. Keep the next root key offline
/// (a root key file); [`rotate_root`] uses it when the current one is lost or compromised.
pub fn commit_next_root(
    current: &Roster,
    team_key: &TeamKey,
    held_earlier: &[(u32, &TeamKey)],
    root: &SigningSecretKey,
    next_root: &SigningPublicKey,
    validity: Validity,
) -> Result<Roster, TeamError> {
    if current.policy().next_root.is_some() {
        return Err(TeamError::Inconsistent { what: "a next root key is already committed" });
    }
    if *next_root == current.pin().root {
        return Err(TeamError::WrongRootKey);
    }
    let policy = RosterPolicy { next_root: Some(next_root_commitment(next_root)), validity, ..*current.policy() };
    set_policy(current, team_key, held_earlier, root, policy)
}

/// Root rotation: the next roster (same members, epoch and policy), signed by `next_root`,
/// the key the current roster committed to, and committing in turn to `following`. A device
/// holding the current roster accepts it and moves its pin to `next_root`; the old root key
/// signs nothing any device accepts from then on. `next_root` must be the committed key
/// ([`TeamError::WrongRootKey`]; with no commitment, [`TeamError::UncommittedRoot`]).
pub fn rotate_root(
    current: &Roster,
    team_key: &TeamKey,
    held_earlier: &[(u32, &TeamKey)],
    next_root: &SigningSecretKey,
    following: &SigningPublicKey,
    validity: Validity,
) -> Result<Roster, TeamError> {
    let committed = current.policy().next_root.ok_or(TeamError::UncommittedRoot)?;
    if committed != next_root_commitment(&next_root.public_key()) {
        return Err(TeamError::WrongRootKey);
    }
    if *following == next_root.public_key() || *following == current.pin().root {
        return Err(TeamError::WrongRootKey);
    }
    let mut draft = RosterDraft::open(current, team_key)?;
    draft.version = next_version(current)?;
    draft.policy.next_root = Some(next_root_commitment(following));
    draft.policy.validity = validity;
    let carried = current.open_earlier_team_keys(team_key)?;
    let earlier = earlier_epochs(current, &carried, held_earlier)?;
    draft.seal_and_sign(team_key, &earlier, next_root)
}

fn next_version(current: &Roster) -> Result<u64, TeamError> {
    current.version().checked_add(1).ok_or(TeamError::RosterFull)
}
