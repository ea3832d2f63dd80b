//! The roster: the HQ-signed list of the team's devices, their roles, the current team key
//! epoch (sealed to each member) and the revocations; from format v2 also every earlier team
//! key epoch (sealed under the current one) and the team policy ([`RosterPolicy`]).
//!
//! Format v2, what HQ issues (integers little-endian):
//!
//! ```text
//! 0    u8     format version (2)
//! 1    u8     kind (2 = roster)
//! 2    [16]   organisation id
//! 18   [32]   HQ root Ed25519 public key (signs this roster)
//! 50   [32]   HQ intake X25519 public key
//! 82   u64    roster version, ≥ 1, strictly increasing
//! 90   u32    team key epoch e, ≥ 1
//! 94   u64    roster version at which this epoch began (1 ≤ it ≤ roster version)
//! 102  [105]  organisation name, sealed under the team key (see cairn-crypto team_key)
//! 207  u64    valid from, ms since the Unix epoch (0: no lower bound)
//! 215  u64    valid until, ms since the Unix epoch (u64::MAX: no upper bound), ≥ valid from
//! 223  u8     handover purge policy: 0 keep, 1 immediately, 2 after N days
//! 224  u16    N days: 0 unless the policy is 2, then ≥ 1
//! 226  u8     identity readers, a role bitset: bit 0 field, 1 coordinator, 2 hq; hq always
//!             set, other bits 0
//! 227  [32]   next root key commitment (cairn-crypto `next_root_commitment`; all zero: none;
//!             never the commitment of the current root key)
//! 259  u16    member count m (1..=1024)
//! 261  u16    revocation count r (0..=4096)
//! 263  u16    earlier epoch count p (0..=4096)
//! 265  m × 266-byte member entries, as in v1
//!      r × 193-byte revocation entries, as in v1
//!      p × 76-byte earlier epoch entries, strictly ascending by epoch:
//!        u32 epoch (1 ≤ it < e) ‖ [72] that epoch's team key sealed under epoch e's team key
//!        (cairn-crypto `TeamKey::seal_earlier`, both epoch numbers in the AAD)
//! end  [64]   Ed25519 signature by the root key, purpose "roster/v1", over all bytes before it
//! ```
//!
//! Format v1 (still read and verified; no longer issued):
//!
//! ```text
//! 0    u8     format version (1)
//! 1    u8     kind (2 = roster)
//! 2    [16]   organisation id
//! 18   [32]   HQ root Ed25519 public key (signs this roster)
//! 50   [32]   HQ intake X25519 public key
//! 82   u64    roster version, ≥ 1, strictly increasing
//! 90   u32    team key epoch, ≥ 1
//! 94   u64    roster version at which this epoch began (1 ≤ it ≤ roster version)
//! 102  [105]  organisation name, sealed under the team key (see cairn-crypto team_key)
//! 207  u16    member count m (1..=1024)
//! 209  u16    revocation count r (0..=4096)
//! 211  m × 266-byte member entries, strictly ascending by device id:
//!        [16] device id ‖ u8 role (1 field, 2 coordinator, 3 hq) ‖ [32] Ed25519 key
//!        ‖ [32] X25519 key ‖ [80] team key sealed to the X25519 key ‖ [105] sealed name
//!      r × 193-byte revocation entries, strictly ascending by device id:
//!        [16] device id ‖ [32] Ed25519 key ‖ [32] X25519 key ‖ u64 roster version of the
//!        revocation (1 ≤ it ≤ epoch start) ‖ [105] sealed name
//! end  [64]   Ed25519 signature by the root key, purpose "roster/v1", over all bytes before it
//! ```
//!
//! A v1 roster reads as a v2 roster without earlier epochs and with the default policy
//! ([`RosterPolicy::default`]: keep after handover, identity fields for HQ only, always valid,
//! no next root key). The signature's purpose string is the same for both formats: the format
//! byte is the first signed byte, so a v2 roster can never verify as v1 or the reverse.
//!
//! Rules checked on every roster, before anything else looks at it: exact length for the
//! counts (checked before anything is allocated); valid public keys; no device id twice
//! (members and revocations together); no signing key twice; no agreement key twice among
//! members; at least one `hq` member; every revocation no later than the start of the current
//! epoch (a revocation always rotates the team key); in v2, the canonical encoding of every
//! policy field and earlier epochs strictly ascending below the current one. Names are sealed
//! under the team key, so a lost roster file shows ids, keys and roles but not who or what the
//! devices are called; earlier team keys are sealed under it too, so a revoked device (which
//! never receives the current key) learns nothing from them.

use cairn_crypto::{
    AgreementPublicKey, CryptoError, EarlierTeamKeyContext, Fingerprint, LabelContext, LabelSubject, PUBLIC_KEY_LEN,
    ROOT_COMMITMENT_LEN, SEALED_EARLIER_TEAM_KEY_LEN, SEALED_LABEL_LEN, SEALED_TEAM_KEY_LEN, SIGNATURE_LEN, Signature,
    SignaturePurpose, SigningPublicKey, SigningSecretKey, TeamKey, TeamKeyContext, next_root_commitment,
};

use crate::{
    DeviceId, DeviceKeys, OrgId, Role, TeamError, check_name,
    codec::Reader,
    ids::ID_LEN,
    policy::{HandoverPurge, RoleSet, RosterPolicy, Validity},
};

const FORMAT_V1: u8 = 1;
const FORMAT_V2: u8 = 2;
const KIND_ROSTER: u8 = 2;
const WHAT: &str = "roster";
/// Most member devices a roster holds.
pub const MAX_MEMBERS: usize = 1024;
/// Most revocations a roster holds.
pub const MAX_REVOCATIONS: usize = 4096;
/// Most earlier team key epochs a roster holds. Every epoch after the first began with a
/// revocation, so a roster never needs more earlier epochs than revocations.
pub const MAX_EARLIER_EPOCHS: usize = MAX_REVOCATIONS;
/// Header fields both formats share (format byte to sealed organisation name).
const COMMON_LEN: usize = 2 + ID_LEN + 2 * PUBLIC_KEY_LEN + 8 + 4 + 8 + SEALED_LABEL_LEN;
/// The v2 policy fields: validity, purge policy, identity readers, next root commitment.
const POLICY_LEN: usize = 8 + 8 + 3 + 1 + ROOT_COMMITMENT_LEN;
const HEADER_V1_LEN: usize = COMMON_LEN + 2 + 2;
const HEADER_V2_LEN: usize = COMMON_LEN + POLICY_LEN + 2 + 2 + 2;
const MEMBER_LEN: usize = ID_LEN + 1 + 2 * PUBLIC_KEY_LEN + SEALED_TEAM_KEY_LEN + SEALED_LABEL_LEN;
const REVOCATION_LEN: usize = ID_LEN + 2 * PUBLIC_KEY_LEN + 8 + SEALED_LABEL_LEN;
const EARLIER_EPOCH_LEN: usize = 4 + SEALED_EARLIER_TEAM_KEY_LEN;
/// Longest roster accepted, in bytes (a full v2 roster; a full v1 roster is shorter).
pub const MAX_ROSTER_LEN: usize = HEADER_V2_LEN
    + MAX_MEMBERS * MEMBER_LEN
    + MAX_REVOCATIONS * REVOCATION_LEN
    + MAX_EARLIER_EPOCHS * EARLIER_EPOCH_LEN
    + SIGNATURE_LEN;

/// The organisation a device trusts: pinned at its first roster import, never changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pin {
    /// The organisation id.
    pub org_id: OrgId,
    /// The HQ root signing key.
    pub root: SigningPublicKey,
}

impl Pin {
    /// The organisation fingerprint, compared in person before pinning.
    pub fn fingerprint(&self) -> Fingerprint {
        Fingerprint::of_organisation(&self.org_id.0, &self.root)
    }
}

/// One member device.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Member {
    /// Its id and public keys.
    pub keys: DeviceKeys,
    /// Its role.
    pub role: Role,
    /// The current team key sealed to it.
    pub sealed_team_key: [u8; SEALED_TEAM_KEY_LEN],
    /// Its name, sealed under the team key.
    pub sealed_name: [u8; SEALED_LABEL_LEN],
}

/// One revoked device.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Revocation {
    /// Its id and public keys (peers refuse the keys, not just the id).
    pub keys: DeviceKeys,
    /// The roster version that revoked it.
    pub revoked_at: u64,
    /// Its name, sealed under the team key.
    pub sealed_name: [u8; SEALED_LABEL_LEN],
}

/// The team key of an earlier epoch, sealed under the roster's current team key (format v2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EarlierEpoch {
    /// The epoch (lower than the roster's).
    pub epoch: u32,
    /// Its team key, sealed under the current epoch's key.
    pub sealed_team_key: [u8; SEALED_EARLIER_TEAM_KEY_LEN],
}

/// A decoded roster whose structure is valid but whose signature is not yet checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnverifiedRoster(Roster);

impl UnverifiedRoster {
    /// The organisation it claims.
    pub fn pin(&self) -> Pin {
        self.0.pin()
    }

    /// Checks the signature under `pinned`'s root key (refusing another organisation), or,
    /// with no pin yet, under the root key the roster carries (the caller must then have
    /// the organisation fingerprint confirmed in person).
    pub fn verify(self, pinned: Option<&Pin>) -> Result<Roster, TeamError> {
        let root = match pinned {
            Some(pin) if *pin != self.0.pin() => return Err(TeamError::WrongOrganisation),
            Some(pin) => pin.root,
            None => self.0.root,
        };
        let signed = &self.0.bytes[..self.0.bytes.len() - SIGNATURE_LEN];
        root.verify(SignaturePurpose::Roster, signed, &self.0.signature).map_err(|error| match error {
            CryptoError::BadSignature => TeamError::BadRosterSignature,
            _ => TeamError::Malformed { what: WHAT },
        })?;
        Ok(self.0)
    }

    /// Checks a roster of the `pinned` organisation signed by a new root key: accepted only
    /// when `committed` (the next root key commitment of the roster held) is that key's
    /// commitment, and the signature verifies under it ([`TeamError::UncommittedRoot`]
    /// otherwise). This is the one way a pin changes after the first import.
    pub fn verify_rotated(self, pinned: &Pin, committed: Option<&[u8; ROOT_COMMITMENT_LEN]>) -> Result<Roster, TeamError> {
        let claimed = self.0.pin();
        if claimed.org_id != pinned.org_id {
            return Err(TeamError::WrongOrganisation);
        }
        if claimed.root == pinned.root {
            return self.verify(Some(pinned));
        }
        if committed != Some(&next_root_commitment(&claimed.root)) {
            return Err(TeamError::UncommittedRoot);
        }
        self.verify(None)
    }
}

/// A roster whose signature was checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Roster {
    format: u8,
    org_id: OrgId,
    root: SigningPublicKey,
    intake: AgreementPublicKey,
    version: u64,
    epoch: u32,
    epoch_since: u64,
    sealed_org_name: [u8; SEALED_LABEL_LEN],
    policy: RosterPolicy,
    members: Vec<Member>,
    revocations: Vec<Revocation>,
    earlier_epochs: Vec<EarlierEpoch>,
    signature: Signature,
    bytes: Vec<u8>,
}

impl Roster {
    /// Decodes a roster (format v1 or v2) and checks its structural rules (not its signature).
    pub fn decode(bytes: &[u8]) -> Result<UnverifiedRoster, TeamError> {
        if bytes.len() > MAX_ROSTER_LEN {
            return Err(TeamError::TooLarge { what: WHAT });
        }
        let mut reader = Reader::new(bytes, WHAT);
        let format = reader.u8()?;
        if format != FORMAT_V1 && format != FORMAT_V2 {
            return Err(TeamError::UnsupportedVersion { what: WHAT, version: format });
        }
        if reader.u8()? != KIND_ROSTER {
            return Err(TeamError::WrongKind { expected: "a roster" });
        }
        let org_id = OrgId(reader.array()?);
        let root = signing_key(reader.array()?)?;
        let intake = agreement_key(reader.array()?)?;
        let version = reader.u64()?;
        let epoch = reader.u32()?;
        let epoch_since = reader.u64()?;
        let sealed_org_name = reader.array()?;
        let policy = if format == FORMAT_V2 { read_policy(&mut reader)? } else { RosterPolicy::default() };
        let member_count = usize::from(reader.u16()?);
        let revocation_count = usize::from(reader.u16()?);
        let earlier_count = if format == FORMAT_V2 { usize::from(reader.u16()?) } else { 0 };
        if member_count == 0
            || member_count > MAX_MEMBERS
            || revocation_count > MAX_REVOCATIONS
            || earlier_count > MAX_EARLIER_EPOCHS
        {
            return Err(TeamError::Malformed { what: "roster counts" });
        }
        // The exact length is known from the counts: checked before anything is allocated.
        let expected = member_count * MEMBER_LEN
            + revocation_count * REVOCATION_LEN
            + earlier_count * EARLIER_EPOCH_LEN
            + SIGNATURE_LEN;
        if reader.remaining() < expected {
            return Err(TeamError::Truncated { what: WHAT });
        }
        if reader.remaining() > expected {
            return Err(TeamError::Malformed { what: WHAT });
        }
        let mut members = Vec::with_capacity(member_count);
        for _ in 0..member_count {
            let device_id = DeviceId(reader.array()?);
            let role = Role::from_byte(reader.u8()?).ok_or(TeamError::Malformed { what: "roster role" })?;
            let signing = signing_key(reader.array()?)?;
            let agreement = agreement_key(reader.array()?)?;
            members.push(Member {
                keys: DeviceKeys { device_id, signing, agreement },
                role,
                sealed_team_key: reader.array()?,
                sealed_name: reader.array()?,
            });
        }
        let mut revocations = Vec::with_capacity(revocation_count);
        for _ in 0..revocation_count {
            let device_id = DeviceId(reader.array()?);
            let signing = signing_key(reader.array()?)?;
            let agreement = agreement_key(reader.array()?)?;
            revocations.push(Revocation {
                keys: DeviceKeys { device_id, signing, agreement },
                revoked_at: reader.u64()?,
                sealed_name: reader.array()?,
            });
        }
        let mut earlier_epochs = Vec::with_capacity(earlier_count);
        for _ in 0..earlier_count {
            earlier_epochs.push(EarlierEpoch { epoch: reader.u32()?, sealed_team_key: reader.array()? });
        }
        let signature = Signature::from_bytes(reader.array()?);
        let roster = Roster {
            format,
            org_id,
            root,
            intake,
            version,
            epoch,
            epoch_since,
            sealed_org_name,
            policy,
            members,
            revocations,
            earlier_epochs,
            signature,
            bytes: bytes.to_vec(),
        };
        roster.check_rules()?;
        Ok(UnverifiedRoster(roster))
    }

    /// Decodes and verifies in one step (see [`UnverifiedRoster::verify`]).
    pub fn parse(bytes: &[u8], pinned: Option<&Pin>) -> Result<Roster, TeamError> {
        Self::decode(bytes)?.verify(pinned)
    }

    fn check_rules(&self) -> Result<(), TeamError> {
        let malformed = |what| Err(TeamError::Malformed { what });
        if self.version == 0 || self.epoch == 0 || self.epoch_since == 0 || self.epoch_since > self.version {
            return malformed("roster version or epoch");
        }
        if !self.members.windows(2).all(|pair| pair[0].keys.device_id < pair[1].keys.device_id)
            || !self.revocations.windows(2).all(|pair| pair[0].keys.device_id < pair[1].keys.device_id)
        {
            return malformed("roster order");
        }
        let mut ids: Vec<DeviceId> = self.devices().map(|keys| keys.device_id).collect();
        ids.sort_unstable();
        let mut signing: Vec<SigningPublicKey> = self.devices().map(|keys| keys.signing).collect();
        signing.push(self.root);
        signing.sort_unstable();
        let mut agreement: Vec<AgreementPublicKey> = self.members.iter().map(|m| m.keys.agreement).collect();
        agreement.push(self.intake);
        agreement.sort_unstable();
        if has_duplicates(&ids) || has_duplicates(&signing) || has_duplicates(&agreement) {
            return malformed("roster duplicate device or key");
        }
        if !self.members.iter().any(|member| member.role == Role::Hq) {
            return malformed("roster without an HQ device");
        }
        if self.revocations.iter().any(|r| r.revoked_at == 0 || r.revoked_at > self.epoch_since) {
            return malformed("roster revocation without rotation");
        }
        // Strictly ascending and below the current epoch: at most one key per epoch, and never
        // the current key sealed under itself.
        if !self.earlier_epochs.windows(2).all(|pair| pair[0].epoch < pair[1].epoch)
            || self.earlier_epochs.iter().any(|earlier| earlier.epoch == 0 || earlier.epoch >= self.epoch)
        {
            return malformed("roster earlier epochs");
        }
        if !self.policy.validity.is_well_formed() {
            return malformed("roster validity period");
        }
        if !self.policy.identity_readers.contains(Role::Hq) {
            return malformed("roster identity readers");
        }
        if self.policy.next_root == Some(next_root_commitment(&self.root)) {
            return malformed("roster next root key");
        }
        Ok(())
    }

    fn devices(&self) -> impl Iterator<Item = &DeviceKeys> {
        self.members.iter().map(|m| &m.keys).chain(self.revocations.iter().map(|r| &r.keys))
    }

    /// The format version it was encoded in (1 or 2).
    pub fn format_version(&self) -> u8 {
        self.format
    }

    /// The organisation (id and root key) that signed it.
    pub fn pin(&self) -> Pin {
        Pin { org_id: self.org_id, root: self.root }
    }

    /// The organisation id.
    pub fn org_id(&self) -> OrgId {
        self.org_id
    }

    /// The HQ intake key devices seal to.
    pub fn intake(&self) -> AgreementPublicKey {
        self.intake
    }

    /// The roster version.
    pub fn version(&self) -> u64 {
        self.version
    }

    /// The current team key epoch.
    pub fn epoch(&self) -> u32 {
        self.epoch
    }

    /// The roster version at which the current epoch began.
    pub fn epoch_since(&self) -> u64 {
        self.epoch_since
    }

    /// The team policy (the default for a v1 roster).
    pub fn policy(&self) -> &RosterPolicy {
        &self.policy
    }

    /// Checks `now_ms` (milliseconds since the Unix epoch, from the caller's clock) against
    /// the roster's validity period.
    pub fn check_validity(&self, now_ms: u64) -> Result<(), TeamError> {
        self.policy.validity.check(now_ms)
    }

    /// Member devices, by device id.
    pub fn members(&self) -> &[Member] {
        &self.members
    }

    /// Revoked devices, by device id.
    pub fn revocations(&self) -> &[Revocation] {
        &self.revocations
    }

    /// Earlier team key epochs, ascending (none in a v1 roster).
    pub fn earlier_epochs(&self) -> &[EarlierEpoch] {
        &self.earlier_epochs
    }

    /// The member with this id.
    pub fn member(&self, device_id: DeviceId) -> Option<&Member> {
        self.members.binary_search_by(|m| m.keys.device_id.cmp(&device_id)).ok().map(|i| &self.members[i])
    }

    /// The revocation of this id.
    pub fn revocation(&self, device_id: DeviceId) -> Option<&Revocation> {
        self.revocations.binary_search_by(|r| r.keys.device_id.cmp(&device_id)).ok().map(|i| &self.revocations[i])
    }

    /// The signed bytes, exactly as received or issued.
    pub fn to_bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// The context a member's sealed team key is bound to.
    pub fn team_key_context(&self, device_id: DeviceId) -> TeamKeyContext {
        TeamKeyContext { org_id: self.org_id.0, roster_version: self.version, epoch: self.epoch, device_id: device_id.0 }
    }

    fn label_context(&self, subject: LabelSubject) -> LabelContext {
        LabelContext { org_id: self.org_id.0, roster_version: self.version, epoch: self.epoch, subject }
    }

    fn earlier_context(&self, earlier_epoch: u32) -> EarlierTeamKeyContext {
        EarlierTeamKeyContext { org_id: self.org_id.0, sealing_epoch: self.epoch, earlier_epoch }
    }

    /// Opens the current team key sealed to member `device_id` with its agreement key.
    pub fn open_team_key(
        &self,
        device_id: DeviceId,
        secret: &cairn_crypto::AgreementSecretKey,
    ) -> Result<TeamKey, TeamError> {
        let member = self.member(device_id).ok_or(TeamError::NotOnRoster)?;
        TeamKey::open_sealed(secret, &self.team_key_context(device_id), &member.sealed_team_key)
            .map_err(|_| TeamError::TeamKeyUnreadable)
    }

    /// Opens every earlier epoch's team key with the current epoch's `team_key`, ascending by
    /// epoch. One that does not open refuses them all ([`TeamError::EarlierTeamKeyUnreadable`]):
    /// a signed roster carrying a key that does not open is broken, not partly usable.
    pub fn open_earlier_team_keys(&self, team_key: &TeamKey) -> Result<Vec<(u32, TeamKey)>, TeamError> {
        self.earlier_epochs
            .iter()
            .map(|earlier| {
                team_key
                    .open_earlier(&self.earlier_context(earlier.epoch), &earlier.sealed_team_key)
                    .map(|key| (earlier.epoch, key))
                    .map_err(|_| TeamError::EarlierTeamKeyUnreadable)
            })
            .collect()
    }

    /// The organisation's name, opened with the current epoch's team key.
    pub fn org_name(&self, team_key: &TeamKey) -> Result<String, TeamError> {
        open_name(team_key, &self.label_context(LabelSubject::Organisation), &self.sealed_org_name)
    }

    /// A device's name (member or revoked), opened with the current epoch's team key.
    pub fn device_name(&self, device_id: DeviceId, team_key: &TeamKey) -> Result<String, TeamError> {
        let sealed = match (self.member(device_id), self.revocation(device_id)) {
            (Some(member), _) => &member.sealed_name,
            (None, Some(revocation)) => &revocation.sealed_name,
            (None, None) => return Err(TeamError::UnknownDevice),
        };
        open_name(team_key, &self.label_context(LabelSubject::Device(device_id.0)), sealed)
    }

    /// The bytes the signature covers, encoded from the fields in this roster's format. HQ
    /// issues through this, and the golden tests prove that decoding then encoding gives back
    /// the committed bytes.
    fn encode_signed_part(&self) -> Result<Vec<u8>, TeamError> {
        let v2 = self.format == FORMAT_V2;
        let (header, earlier_len) =
            if v2 { (HEADER_V2_LEN, self.earlier_epochs.len() * EARLIER_EPOCH_LEN) } else { (HEADER_V1_LEN, 0) };
        let count = |len: usize| u16::try_from(len).map(u16::to_le_bytes).map_err(|_| TeamError::RosterFull);
        let mut out = Vec::with_capacity(
            header + self.members.len() * MEMBER_LEN + self.revocations.len() * REVOCATION_LEN + earlier_len + SIGNATURE_LEN,
        );
        out.push(self.format);
        out.push(KIND_ROSTER);
        out.extend_from_slice(&self.org_id.0);
        out.extend_from_slice(self.root.as_bytes());
        out.extend_from_slice(self.intake.as_bytes());
        out.extend_from_slice(&self.version.to_le_bytes());
        out.extend_from_slice(&self.epoch.to_le_bytes());
        out.extend_from_slice(&self.epoch_since.to_le_bytes());
        out.extend_from_slice(&self.sealed_org_name);
        if v2 {
            write_policy(&mut out, &self.policy);
        }
        out.extend_from_slice(&count(self.members.len())?);
        out.extend_from_slice(&count(self.revocations.len())?);
        if v2 {
            out.extend_from_slice(&count(self.earlier_epochs.len())?);
        }
        for m in &self.members {
            out.extend_from_slice(&m.keys.device_id.0);
            out.push(m.role.to_byte());
            out.extend_from_slice(m.keys.signing.as_bytes());
            out.extend_from_slice(m.keys.agreement.as_bytes());
            out.extend_from_slice(&m.sealed_team_key);
            out.extend_from_slice(&m.sealed_name);
        }
        for r in &self.revocations {
            out.extend_from_slice(&r.keys.device_id.0);
            out.extend_from_slice(r.keys.signing.as_bytes());
            out.extend_from_slice(r.keys.agreement.as_bytes());
            out.extend_from_slice(&r.revoked_at.to_le_bytes());
            out.extend_from_slice(&r.sealed_name);
        }
        if v2 {
            for earlier in &self.earlier_epochs {
                out.extend_from_slice(&earlier.epoch.to_le_bytes());
                out.extend_from_slice(&earlier.sealed_team_key);
            }
        }
        Ok(out)
    }
}

#[cfg(test)]
impl Roster {
    /// The encoding of the decoded fields (for golden vectors: decoding then encoding must
    /// give back the same bytes) and the signed prefix's length.
    pub(crate) fn reencode(&self) -> (Vec<u8>, usize) {
        let mut out = self.encode_signed_part().expect("a decoded roster re-encodes");
        let signed_len = out.len();
        out.extend_from_slice(&self.signature.to_bytes());
        (out, signed_len)
    }
}

fn read_policy(reader: &mut Reader<'_>) -> Result<RosterPolicy, TeamError> {
    let validity = Validity { not_before_ms: reader.u64()?, not_after_ms: reader.u64()? };
    let purge_kind = reader.u8()?;
    let handover_purge = HandoverPurge::decode(purge_kind, reader.u16()?)?;
    let identity_readers =
        RoleSet::from_bits(reader.u8()?).ok_or(TeamError::Malformed { what: "roster identity readers" })?;
    let commitment: [u8; ROOT_COMMITMENT_LEN] = reader.array()?;
    let next_root = (commitment != [0; ROOT_COMMITMENT_LEN]).then_some(commitment);
    Ok(RosterPolicy { handover_purge, identity_readers, validity, next_root })
}

fn write_policy(out: &mut Vec<u8>, policy: &RosterPolicy) {
    out.extend_from_slice(&policy.validity.not_before_ms.to_le_bytes());
    out.extend_from_slice(&policy.validity.not_after_ms.to_le_bytes());
    out.extend_from_slice(&policy.handover_purge.encode());
    out.push(policy.identity_readers.bits());
    out.extend_from_slice(&policy.next_root.unwrap_or([0; ROOT_COMMITMENT_LEN]));
}

fn open_name(team_key: &TeamKey, context: &LabelContext, sealed: &[u8]) -> Result<String, TeamError> {
    let name = team_key.open_label(context, sealed).map_err(|_| TeamError::Malformed { what: "roster name" })?;
    check_name(&name, true).map_err(|_| TeamError::Malformed { what: "roster name" })?;
    Ok(name)
}

fn has_duplicates<T: PartialEq>(sorted: &[T]) -> bool {
    sorted.windows(2).any(|pair| pair[0] == pair[1])
}

fn signing_key(bytes: [u8; PUBLIC_KEY_LEN]) -> Result<SigningPublicKey, TeamError> {
    SigningPublicKey::from_bytes(bytes).map_err(|_| TeamError::Malformed { what: "roster public key" })
}

fn agreement_key(bytes: [u8; PUBLIC_KEY_LEN]) -> Result<AgreementPublicKey, TeamError> {
    AgreementPublicKey::from_bytes(bytes).map_err(|_| TeamError::Malformed { what: "roster public key" })
}

/// A member of a [`RosterDraft`], with its name in clear.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DraftMember {
    /// Its id and public keys.
    pub keys: DeviceKeys,
    /// Its role.
    pub role: Role,
    /// Its name.
    pub name: String,
}

/// A revocation in a [`RosterDraft`], with its name in clear.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DraftRevocation {
    /// Its id and public keys.
    pub keys: DeviceKeys,
    /// The roster version that revoked it.
    pub revoked_at: u64,
    /// Its name.
    pub name: String,
}

/// A roster as HQ edits it: names in clear, nothing sealed or signed yet. The earlier epochs'
/// team keys are not part of it (keys are never copied into plain values): they are given to
/// [`RosterDraft::seal_and_sign`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RosterDraft {
    /// The organisation id.
    pub org_id: OrgId,
    /// The HQ intake key.
    pub intake: AgreementPublicKey,
    /// The roster version.
    pub version: u64,
    /// The team key epoch.
    pub epoch: u32,
    /// The roster version at which the epoch began.
    pub epoch_since: u64,
    /// The organisation's name.
    pub org_name: String,
    /// The team policy.
    pub policy: RosterPolicy,
    /// Members, in any order.
    pub members: Vec<DraftMember>,
    /// Revocations, in any order.
    pub revocations: Vec<DraftRevocation>,
}

impl RosterDraft {
    /// Opens every name of `roster` with its epoch's team key, for editing; the policy is
    /// carried over as it is.
    pub fn open(roster: &Roster, team_key: &TeamKey) -> Result<Self, TeamError> {
        let members = roster
            .members
            .iter()
            .map(|m| Ok(DraftMember { keys: m.keys, role: m.role, name: roster.device_name(m.keys.device_id, team_key)? }))
            .collect::<Result<_, TeamError>>()?;
        let revocations = roster
            .revocations
            .iter()
            .map(|r| {
                Ok(DraftRevocation {
                    keys: r.keys,
                    revoked_at: r.revoked_at,
                    name: roster.device_name(r.keys.device_id, team_key)?,
                })
            })
            .collect::<Result<_, TeamError>>()?;
        Ok(RosterDraft {
            org_id: roster.org_id,
            intake: roster.intake,
            version: roster.version,
            epoch: roster.epoch,
            epoch_since: roster.epoch_since,
            org_name: roster.org_name(team_key)?,
            policy: roster.policy,
            members,
            revocations,
        })
    }

    /// Seals the team key to every member, every name and every `earlier` epoch's key (epoch
    /// number and key, in any order) under it, signs with the root key as format v2, and
    /// checks the result the way a device will.
    pub fn seal_and_sign(
        self,
        team_key: &TeamKey,
        earlier: &[(u32, &TeamKey)],
        root: &SigningSecretKey,
    ) -> Result<Roster, TeamError> {
        self.seal_and_sign_as(FORMAT_V2, team_key, earlier, root)
    }

    /// Issues format v1, which HQ no longer does: only so tests can prove that a team whose
    /// devices hold v1 rosters moves to v2. A draft with anything v1 cannot carry (a policy
    /// other than the default) is refused.
    #[cfg(any(test, feature = "test-v1-rosters"))]
    pub fn seal_and_sign_v1(self, team_key: &TeamKey, root: &SigningSecretKey) -> Result<Roster, TeamError> {
        if self.policy != RosterPolicy::default() {
            return Err(TeamError::Malformed { what: "roster v1 policy" });
        }
        self.seal_and_sign_as(FORMAT_V1, team_key, &[], root)
    }

    fn seal_and_sign_as(
        mut self,
        format: u8,
        team_key: &TeamKey,
        earlier: &[(u32, &TeamKey)],
        root: &SigningSecretKey,
    ) -> Result<Roster, TeamError> {
        if self.members.len() > MAX_MEMBERS || self.revocations.len() > MAX_REVOCATIONS || earlier.len() > MAX_EARLIER_EPOCHS
        {
            return Err(TeamError::RosterFull);
        }
        check_name(&self.org_name, false)?;
        self.members.sort_by_key(|m| m.keys.device_id);
        self.revocations.sort_by_key(|r| r.keys.device_id);
        let (org_id, version, epoch) = (self.org_id.0, self.version, self.epoch);
        let label = |subject| LabelContext { org_id, roster_version: version, epoch, subject };
        let seal_name = |subject, name: &str| -> Result<[u8; SEALED_LABEL_LEN], TeamError> {
            check_name(name, true)?;
            team_key.seal_label(&label(subject), name).map_err(|_| TeamError::InvalidName)
        };
        let members = self
            .members
            .iter()
            .map(|member| {
                let id = member.keys.device_id;
                let context = TeamKeyContext { org_id, roster_version: version, epoch, device_id: id.0 };
                Ok(Member {
                    keys: member.keys,
                    role: member.role,
                    sealed_team_key: team_key
                        .seal_to(&member.keys.agreement, &context)
                        .map_err(|_| TeamError::Malformed { what: "roster public key" })?,
                    sealed_name: seal_name(LabelSubject::Device(id.0), &member.name)?,
                })
            })
            .collect::<Result<Vec<_>, TeamError>>()?;
        let revocations = self
            .revocations
            .iter()
            .map(|revocation| {
                Ok(Revocation {
                    keys: revocation.keys,
                    revoked_at: revocation.revoked_at,
                    sealed_name: seal_name(LabelSubject::Device(revocation.keys.device_id.0), &revocation.name)?,
                })
            })
            .collect::<Result<Vec<_>, TeamError>>()?;
        let mut earlier: Vec<&(u32, &TeamKey)> = earlier.iter().collect();
        earlier.sort_by_key(|(epoch, _)| *epoch);
        let earlier_epochs = earlier
            .iter()
            .map(|(earlier_epoch, key)| {
                let context = EarlierTeamKeyContext { org_id, sealing_epoch: epoch, earlier_epoch: *earlier_epoch };
                Ok(EarlierEpoch {
                    epoch: *earlier_epoch,
                    sealed_team_key: team_key
                        .seal_earlier(&context, key)
                        .map_err(|_| TeamError::Malformed { what: "roster earlier epochs" })?,
                })
            })
            .collect::<Result<Vec<_>, TeamError>>()?;
        let unsigned = Roster {
            format,
            org_id: self.org_id,
            root: root.public_key(),
            intake: self.intake,
            version,
            epoch,
            epoch_since: self.epoch_since,
            sealed_org_name: seal_name(LabelSubject::Organisation, &self.org_name)?,
            policy: self.policy,
            members,
            revocations,
            earlier_epochs,
            // Replaced by the real signature below, over the encoded bytes.
            signature: Signature::from_bytes([0; SIGNATURE_LEN]),
            bytes: Vec::new(),
        };
        let mut out = unsigned.encode_signed_part()?;
        let signature = root.sign(SignaturePurpose::Roster, &out);
        out.extend_from_slice(&signature.to_bytes());
        // What HQ issues must be exactly what a device accepts.
        Roster::parse(&out, Some(&Pin { org_id: self.org_id, root: root.public_key() }))
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use cairn_crypto::AgreementSecretKey;

    use super::*;

    pub(crate) struct TestDevice {
        pub(crate) keys: DeviceKeys,
        pub(crate) agreement: AgreementSecretKey,
    }

    pub(crate) fn device(id: u8) -> TestDevice {
        let agreement = AgreementSecretKey::generate();
        let keys = DeviceKeys {
            device_id: DeviceId([id; 16]),
            signing: SigningSecretKey::generate().public_key(),
            agreement: agreement.public_key(),
        };
        TestDevice { keys, agreement }
    }

    fn draft(members: &[&TestDevice]) -> RosterDraft {
        RosterDraft {
            org_id: OrgId([0x0a; 16]),
            intake: AgreementSecretKey::generate().public_key(),
            version: 3,
            epoch: 2,
            epoch_since: 3,
            org_name: "Seoul office".into(),
            policy: RosterPolicy::default(),
            members: members
                .iter()
                .enumerate()
                .map(|(i, d)| DraftMember {
                    keys: d.keys,
                    role: if i == 0 { Role::Hq } else { Role::Field },
                    name: format!("dev {i}"),
                })
                .collect(),
            revocations: vec![],
        }
    }

    #[test]
    fn a_sealed_and_signed_draft_round_trips() {
        let (hq, a, b) = (device(9), device(1), device(5));
        let root = SigningSecretKey::generate();
        let team_key = TeamKey::generate();
        let roster = draft(&[&hq, &a, &b]).seal_and_sign(&team_key, &[], &root).expect("sign");
        assert_eq!(roster.to_bytes().len(), HEADER_V2_LEN + 3 * MEMBER_LEN + SIGNATURE_LEN);
        let ids: Vec<_> = roster.members().iter().map(|m| m.keys.device_id).collect();
        assert_eq!(ids, vec![DeviceId([1; 16]), DeviceId([5; 16]), DeviceId([9; 16])], "sorted by id");
        for device in [&hq, &a, &b] {
            let opened = roster.open_team_key(device.keys.device_id, &device.agreement).expect("open");
            assert!(opened.same_key_as(&team_key));
        }
        assert_eq!(roster.open_team_key(a.keys.device_id, &b.agreement).err(), Some(TeamError::TeamKeyUnreadable));
        assert_eq!(roster.device_name(DeviceId([9; 16]), &team_key).expect("name"), "dev 0");
        assert_eq!(roster.org_name(&team_key).expect("name"), "Seoul office");
        let reopened = RosterDraft::open(&roster, &team_key).expect("open");
        assert_eq!(reopened.members.len(), 3);
        assert_eq!(reopened.org_name, "Seoul office");
        assert_eq!(Roster::parse(roster.to_bytes(), Some(&roster.pin())).expect("parse"), roster);
    }

    #[test]
    fn structural_rules_are_enforced_when_signing() {
        let (hq, a) = (device(9), device(1));
        let root = SigningSecretKey::generate();
        let team_key = TeamKey::generate();
        let mut no_hq = draft(&[&hq, &a]);
        no_hq.members[0].role = Role::Coordinator;
        assert_eq!(
            no_hq.seal_and_sign(&team_key, &[], &root).err(),
            Some(TeamError::Malformed { what: "roster without an HQ device" })
        );
        let mut twice = draft(&[&hq, &a]);
        twice.members.push(twice.members[1].clone());
        assert_eq!(twice.seal_and_sign(&team_key, &[], &root).err(), Some(TeamError::Malformed { what: "roster order" }));
        let mut unrotated = draft(&[&hq]);
        unrotated.revocations.push(DraftRevocation { keys: a.keys, revoked_at: 4, name: String::new() });
        assert_eq!(
            unrotated.seal_and_sign(&team_key, &[], &root).err(),
            Some(TeamError::Malformed { what: "roster revocation without rotation" })
        );
        let mut both = draft(&[&hq, &a]);
        both.revocations.push(DraftRevocation { keys: a.keys, revoked_at: 2, name: String::new() });
        assert_eq!(
            both.seal_and_sign(&team_key, &[], &root).err(),
            Some(TeamError::Malformed { what: "roster duplicate device or key" })
        );
        let mut stolen_key = draft(&[&hq, &a]);
        let mut clone = device(3);
        clone.keys.signing = a.keys.signing;
        stolen_key.members.push(DraftMember { keys: clone.keys, role: Role::Field, name: String::new() });
        assert_eq!(
            stolen_key.seal_and_sign(&team_key, &[], &root).err(),
            Some(TeamError::Malformed { what: "roster duplicate device or key" })
        );
        let mut hostile = draft(&[&hq, &a]);
        hostile.members[1].name = "\u{1b}]0;pwned\u{7}".into();
        assert_eq!(hostile.seal_and_sign(&team_key, &[], &root).err(), Some(TeamError::InvalidName));
    }

    #[test]
    fn every_truncation_is_refused_as_truncated() {
        let (hq, a) = (device(9), device(1));
        let roster =
            draft(&[&hq, &a]).seal_and_sign(&TeamKey::generate(), &[], &SigningSecretKey::generate()).expect("sign");
        let bytes = roster.to_bytes();
        for len in 0..bytes.len() {
            assert_eq!(Roster::decode(&bytes[..len]).err(), Some(TeamError::Truncated { what: WHAT }), "length {len}");
        }
        let mut longer = bytes.to_vec();
        longer.push(0);
        assert_eq!(Roster::decode(&longer).err(), Some(TeamError::Malformed { what: WHAT }));
        assert_eq!(Roster::decode(&vec![0u8; MAX_ROSTER_LEN + 1]).err(), Some(TeamError::TooLarge { what: WHAT }));
    }

    /// A v2 roster at epoch 3 carrying epochs 1 and 2, and its three team keys.
    fn with_earlier_epochs() -> (Roster, [TeamKey; 3]) {
        let (hq, a) = (device(9), device(1));
        let keys = [TeamKey::generate(), TeamKey::generate(), TeamKey::generate()];
        let mut draft = draft(&[&hq, &a]);
        draft.epoch = 3;
        let roster =
            draft.seal_and_sign(&keys[2], &[(2, &keys[1]), (1, &keys[0])], &SigningSecretKey::generate()).expect("sign");
        (roster, keys)
    }

    #[test]
    fn earlier_epochs_are_sorted_sealed_under_the_current_key_and_open_only_with_it() {
        let (roster, keys) = with_earlier_epochs();
        assert_eq!(roster.format_version(), 2);
        let epochs: Vec<u32> = roster.earlier_epochs().iter().map(|e| e.epoch).collect();
        assert_eq!(epochs, vec![1, 2], "sorted whatever order they were given in");
        let opened = roster.open_earlier_team_keys(&keys[2]).expect("open");
        assert!(opened[0].1.same_key_as(&keys[0]) && opened[1].1.same_key_as(&keys[1]));
        for wrong in [&keys[0], &keys[1]] {
            assert_eq!(roster.open_earlier_team_keys(wrong).err(), Some(TeamError::EarlierTeamKeyUnreadable));
        }
        assert_eq!(
            roster.to_bytes().len(),
            HEADER_V2_LEN + 2 * MEMBER_LEN + 2 * EARLIER_EPOCH_LEN + SIGNATURE_LEN,
            "exactly the documented layout"
        );
    }

    #[test]
    fn earlier_epochs_must_be_below_the_current_one_and_unique() {
        let (hq, a) = (device(9), device(1));
        let root = SigningSecretKey::generate();
        let keys = [TeamKey::generate(), TeamKey::generate()];
        let earlier_malformed = Some(TeamError::Malformed { what: "roster earlier epochs" });
        let at_epoch_2 = || {
            let mut draft = draft(&[&hq, &a]);
            draft.epoch = 2;
            draft
        };
        assert_eq!(at_epoch_2().seal_and_sign(&keys[1], &[(2, &keys[0])], &root).err(), earlier_malformed);
        assert_eq!(at_epoch_2().seal_and_sign(&keys[1], &[(0, &keys[0])], &root).err(), earlier_malformed);
        assert_eq!(at_epoch_2().seal_and_sign(&keys[1], &[(1, &keys[0]), (1, &keys[0])], &root).err(), earlier_malformed);
    }

    /// Decodes `roster` with `edit` applied to its bytes (the signature is not checked, so
    /// each structural rule is reached).
    fn decode_edited(roster: &Roster, edit: impl Fn(&mut Vec<u8>)) -> Option<TeamError> {
        let mut bytes = roster.to_bytes().to_vec();
        edit(&mut bytes);
        Roster::decode(&bytes).err()
    }

    #[test]
    fn every_malformed_v2_field_is_refused_with_its_own_error() {
        let (roster, _) = with_earlier_epochs();
        let malformed = |what| Some(TeamError::Malformed { what });
        fn set(at: usize, value: &[u8]) -> impl Fn(&mut Vec<u8>) + use<> {
            let value = value.to_vec();
            move |bytes| bytes[at..at + value.len()].copy_from_slice(&value)
        }
        // Validity: ends before it begins.
        assert_eq!(decode_edited(&roster, set(207, &5u64.to_le_bytes())), None, "a lower bound alone is fine");
        let backwards = |bytes: &mut Vec<u8>| {
            bytes[207..215].copy_from_slice(&9u64.to_le_bytes());
            bytes[215..223].copy_from_slice(&8u64.to_le_bytes());
        };
        assert_eq!(decode_edited(&roster, backwards), malformed("roster validity period"));
        // Purge policy: unknown kind, days without "after days", "after 0 days".
        for encoded in [[3, 0, 0], [0, 1, 0], [1, 0, 1], [2, 0, 0]] {
            assert_eq!(decode_edited(&roster, set(223, &encoded)), malformed("roster handover purge policy"), "{encoded:?}");
        }
        assert_eq!(decode_edited(&roster, set(223, &[2, 30, 0])), None, "after 30 days");
        // Identity readers: unknown bits, or without HQ.
        assert_eq!(decode_edited(&roster, set(226, &[0b1100])), malformed("roster identity readers"));
        assert_eq!(decode_edited(&roster, set(226, &[0b011])), malformed("roster identity readers"));
        // The next root key may not be the current one.
        let own = next_root_commitment(&roster.pin().root);
        assert_eq!(decode_edited(&roster, set(227, &own)), malformed("roster next root key"));
        // Earlier epochs out of order, equal to the current one, or zero.
        let first = HEADER_V2_LEN + 2 * MEMBER_LEN;
        let second = first + EARLIER_EPOCH_LEN;
        assert_eq!(decode_edited(&roster, set(first, &2u32.to_le_bytes())), malformed("roster earlier epochs"));
        assert_eq!(decode_edited(&roster, set(second, &3u32.to_le_bytes())), malformed("roster earlier epochs"));
        assert_eq!(decode_edited(&roster, set(first, &0u32.to_le_bytes())), malformed("roster earlier epochs"));
        // Counts beyond the limits are refused before any allocation; a count that disagrees
        // with the length is truncated or malformed.
        let too_many = u16::try_from(MAX_EARLIER_EPOCHS + 1).expect("fits").to_le_bytes();
        assert_eq!(decode_edited(&roster, set(263, &too_many)), malformed("roster counts"));
        assert_eq!(decode_edited(&roster, set(263, &3u16.to_le_bytes())), Some(TeamError::Truncated { what: WHAT }));
        assert_eq!(decode_edited(&roster, set(263, &1u16.to_le_bytes())), malformed(WHAT));
        // An unknown format version.
        assert_eq!(decode_edited(&roster, set(0, &[3])), Some(TeamError::UnsupportedVersion { what: WHAT, version: 3 }));
    }

    #[test]
    fn a_v1_roster_carries_no_policy_and_v1_cannot_be_issued_with_one() {
        let (hq, a) = (device(9), device(1));
        let root = SigningSecretKey::generate();
        let team_key = TeamKey::generate();
        let v1 = draft(&[&hq, &a]).seal_and_sign_v1(&team_key, &root).expect("sign v1");
        assert_eq!(v1.format_version(), 1);
        assert_eq!(v1.to_bytes().len(), HEADER_V1_LEN + 2 * MEMBER_LEN + SIGNATURE_LEN);
        assert_eq!(*v1.policy(), RosterPolicy::default());
        assert_eq!(v1.check_validity(0), Ok(()));
        let mut with_policy = draft(&[&hq, &a]);
        with_policy.policy.handover_purge = crate::HandoverPurge::Immediately;
        assert_eq!(
            with_policy.seal_and_sign_v1(&team_key, &root).err(),
            Some(TeamError::Malformed { what: "roster v1 policy" })
        );
        // A roster's format byte is signed: v2 bytes relabelled as v1 do not verify (nor decode).
        let v2 = draft(&[&hq, &a]).seal_and_sign(&team_key, &[], &root).expect("sign v2");
        let mut relabelled = v2.to_bytes().to_vec();
        relabelled[0] = FORMAT_V1;
        assert!(Roster::parse(&relabelled, Some(&v2.pin())).is_err());
    }

    #[test]
    fn every_flipped_byte_is_refused() {
        let (hq, a) = (device(9), device(1));
        let root = SigningSecretKey::generate();
        let roster = draft(&[&hq, &a]).seal_and_sign(&TeamKey::generate(), &[], &root).expect("sign");
        let pin = roster.pin();
        let bytes = roster.to_bytes();
        for i in 0..bytes.len() {
            let mut tampered = bytes.to_vec();
            tampered[i] ^= 0x10;
            let outcome = Roster::parse(&tampered, Some(&pin));
            assert!(outcome.is_err(), "byte {i} accepted");
            // Flips in the org id or root key are another organisation; everywhere else the
            // signature (or an earlier structural check) catches it.
            if (2..50).contains(&i) {
                assert!(
                    matches!(outcome, Err(TeamError::WrongOrganisation | TeamError::Malformed { .. })),
                    "byte {i}: {outcome:?}"
                );
            }
        }
    }
}
