//! The roster: the HQ-signed list of the team's devices, their roles, the current team key
//! epoch (sealed to each member) and the revocations.
//!
//! Format v1 (integers little-endian):
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
//! Rules checked on every roster, before anything else looks at it: exact length for the
//! counts; valid public keys; no device id twice (members and revocations together); no
//! signing key twice; no agreement key twice among members; at least one `hq` member; every
//! revocation no later than the start of the current epoch (a revocation always rotates the
//! team key). Names are sealed under the team key, so a lost roster file shows ids, keys and
//! roles but not who or what the devices are called.

use cairn_crypto::{
    AgreementPublicKey, CryptoError, Fingerprint, LabelContext, LabelSubject, PUBLIC_KEY_LEN, SEALED_LABEL_LEN,
    SEALED_TEAM_KEY_LEN, SIGNATURE_LEN, Signature, SignaturePurpose, SigningPublicKey, SigningSecretKey, TeamKey,
    TeamKeyContext,
};

use crate::{DeviceId, DeviceKeys, OrgId, Role, TeamError, check_name, codec::Reader, ids::ID_LEN};

const FORMAT_V1: u8 = 1;
const KIND_ROSTER: u8 = 2;
const WHAT: &str = "roster";
/// Most member devices a roster holds.
pub const MAX_MEMBERS: usize = 1024;
/// Most revocations a roster holds.
pub const MAX_REVOCATIONS: usize = 4096;
const HEADER_LEN: usize = 2 + ID_LEN + 2 * PUBLIC_KEY_LEN + 8 + 4 + 8 + SEALED_LABEL_LEN + 2 + 2;
const MEMBER_LEN: usize = ID_LEN + 1 + 2 * PUBLIC_KEY_LEN + SEALED_TEAM_KEY_LEN + SEALED_LABEL_LEN;
const REVOCATION_LEN: usize = ID_LEN + 2 * PUBLIC_KEY_LEN + 8 + SEALED_LABEL_LEN;
/// Longest roster accepted, in bytes.
pub const MAX_ROSTER_LEN: usize = HEADER_LEN + MAX_MEMBERS * MEMBER_LEN + MAX_REVOCATIONS * REVOCATION_LEN + SIGNATURE_LEN;

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
}

/// A roster whose signature was checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Roster {
    org_id: OrgId,
    root: SigningPublicKey,
    intake: AgreementPublicKey,
    version: u64,
    epoch: u32,
    epoch_since: u64,
    sealed_org_name: [u8; SEALED_LABEL_LEN],
    members: Vec<Member>,
    revocations: Vec<Revocation>,
    signature: Signature,
    bytes: Vec<u8>,
}

impl Roster {
    /// Decodes a roster and checks its structural rules (not its signature).
    pub fn decode(bytes: &[u8]) -> Result<UnverifiedRoster, TeamError> {
        if bytes.len() > MAX_ROSTER_LEN {
            return Err(TeamError::TooLarge { what: WHAT });
        }
        let mut reader = Reader::new(bytes, WHAT);
        let version_byte = reader.u8()?;
        if version_byte != FORMAT_V1 {
            return Err(TeamError::UnsupportedVersion { what: WHAT, version: version_byte });
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
        let member_count = usize::from(reader.u16()?);
        let revocation_count = usize::from(reader.u16()?);
        if member_count == 0 || member_count > MAX_MEMBERS || revocation_count > MAX_REVOCATIONS {
            return Err(TeamError::Malformed { what: "roster counts" });
        }
        let expected = member_count * MEMBER_LEN + revocation_count * REVOCATION_LEN + SIGNATURE_LEN;
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
        let signature = Signature::from_bytes(reader.array()?);
        let roster = Roster {
            org_id,
            root,
            intake,
            version,
            epoch,
            epoch_since,
            sealed_org_name,
            members,
            revocations,
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
        Ok(())
    }

    fn devices(&self) -> impl Iterator<Item = &DeviceKeys> {
        self.members.iter().map(|m| &m.keys).chain(self.revocations.iter().map(|r| &r.keys))
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

    /// Member devices, by device id.
    pub fn members(&self) -> &[Member] {
        &self.members
    }

    /// Revoked devices, by device id.
    pub fn revocations(&self) -> &[Revocation] {
        &self.revocations
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
}

#[cfg(test)]
impl Roster {
    /// The encoding of the decoded fields (for golden vectors: decoding then encoding must
    /// give back the same bytes) and the signed prefix's length.
    pub(crate) fn reencode(&self) -> (Vec<u8>, usize) {
        let mut out = vec![FORMAT_V1, KIND_ROSTER];
        out.extend_from_slice(&self.org_id.0);
        out.extend_from_slice(self.root.as_bytes());
        out.extend_from_slice(self.intake.as_bytes());
        out.extend_from_slice(&self.version.to_le_bytes());
        out.extend_from_slice(&self.epoch.to_le_bytes());
        out.extend_from_slice(&self.epoch_since.to_le_bytes());
        out.extend_from_slice(&self.sealed_org_name);
        out.extend_from_slice(&(self.members.len() as u16).to_le_bytes());
        out.extend_from_slice(&(self.revocations.len() as u16).to_le_bytes());
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
        let signed_len = out.len();
        out.extend_from_slice(&self.signature.to_bytes());
        (out, signed_len)
    }
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

/// A roster as HQ edits it: names in clear, nothing sealed or signed yet.
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
    /// Members, in any order.
    pub members: Vec<DraftMember>,
    /// Revocations, in any order.
    pub revocations: Vec<DraftRevocation>,
}

impl RosterDraft {
    /// Opens every name of `roster` with its epoch's team key, for editing.
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
            members,
            revocations,
        })
    }

    /// Seals the team key to every member and every name under it, signs with the root
    /// key, and checks the result the way a device will.
    pub fn seal_and_sign(mut self, team_key: &TeamKey, root: &SigningSecretKey) -> Result<Roster, TeamError> {
        if self.members.len() > MAX_MEMBERS || self.revocations.len() > MAX_REVOCATIONS {
            return Err(TeamError::RosterFull);
        }
        check_name(&self.org_name, false)?;
        self.members.sort_by_key(|m| m.keys.device_id);
        self.revocations.sort_by_key(|r| r.keys.device_id);
        let label =
            |subject| LabelContext { org_id: self.org_id.0, roster_version: self.version, epoch: self.epoch, subject };
        let seal_name = |subject, name: &str| -> Result<[u8; SEALED_LABEL_LEN], TeamError> {
            check_name(name, true)?;
            team_key.seal_label(&label(subject), name).map_err(|_| TeamError::InvalidName)
        };
        let mut out = Vec::with_capacity(
            HEADER_LEN + self.members.len() * MEMBER_LEN + self.revocations.len() * REVOCATION_LEN + SIGNATURE_LEN,
        );
        out.push(FORMAT_V1);
        out.push(KIND_ROSTER);
        out.extend_from_slice(&self.org_id.0);
        out.extend_from_slice(root.public_key().as_bytes());
        out.extend_from_slice(self.intake.as_bytes());
        out.extend_from_slice(&self.version.to_le_bytes());
        out.extend_from_slice(&self.epoch.to_le_bytes());
        out.extend_from_slice(&self.epoch_since.to_le_bytes());
        out.extend_from_slice(&seal_name(LabelSubject::Organisation, &self.org_name)?);
        out.extend_from_slice(&u16::try_from(self.members.len()).map_err(|_| TeamError::RosterFull)?.to_le_bytes());
        out.extend_from_slice(&u16::try_from(self.revocations.len()).map_err(|_| TeamError::RosterFull)?.to_le_bytes());
        for member in &self.members {
            let id = member.keys.device_id;
            let context =
                TeamKeyContext { org_id: self.org_id.0, roster_version: self.version, epoch: self.epoch, device_id: id.0 };
            let sealed = team_key
                .seal_to(&member.keys.agreement, &context)
                .map_err(|_| TeamError::Malformed { what: "roster public key" })?;
            out.extend_from_slice(&id.0);
            out.push(member.role.to_byte());
            out.extend_from_slice(member.keys.signing.as_bytes());
            out.extend_from_slice(member.keys.agreement.as_bytes());
            out.extend_from_slice(&sealed);
            out.extend_from_slice(&seal_name(LabelSubject::Device(id.0), &member.name)?);
        }
        for revocation in &self.revocations {
            let id = revocation.keys.device_id;
            out.extend_from_slice(&id.0);
            out.extend_from_slice(revocation.keys.signing.as_bytes());
            out.extend_from_slice(revocation.keys.agreement.as_bytes());
            out.extend_from_slice(&revocation.revoked_at.to_le_bytes());
            out.extend_from_slice(&seal_name(LabelSubject::Device(id.0), &revocation.name)?);
        }
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
        let roster = draft(&[&hq, &a, &b]).seal_and_sign(&team_key, &root).expect("sign");
        assert_eq!(roster.to_bytes().len(), HEADER_LEN + 3 * MEMBER_LEN + SIGNATURE_LEN);
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
            no_hq.seal_and_sign(&team_key, &root).err(),
            Some(TeamError::Malformed { what: "roster without an HQ device" })
        );
        let mut twice = draft(&[&hq, &a]);
        twice.members.push(twice.members[1].clone());
        assert_eq!(twice.seal_and_sign(&team_key, &root).err(), Some(TeamError::Malformed { what: "roster order" }));
        let mut unrotated = draft(&[&hq]);
        unrotated.revocations.push(DraftRevocation { keys: a.keys, revoked_at: 4, name: String::new() });
        assert_eq!(
            unrotated.seal_and_sign(&team_key, &root).err(),
            Some(TeamError::Malformed { what: "roster revocation without rotation" })
        );
        let mut both = draft(&[&hq, &a]);
        both.revocations.push(DraftRevocation { keys: a.keys, revoked_at: 2, name: String::new() });
        assert_eq!(
            both.seal_and_sign(&team_key, &root).err(),
            Some(TeamError::Malformed { what: "roster duplicate device or key" })
        );
        let mut stolen_key = draft(&[&hq, &a]);
        let mut clone = device(3);
        clone.keys.signing = a.keys.signing;
        stolen_key.members.push(DraftMember { keys: clone.keys, role: Role::Field, name: String::new() });
        assert_eq!(
            stolen_key.seal_and_sign(&team_key, &root).err(),
            Some(TeamError::Malformed { what: "roster duplicate device or key" })
        );
        let mut hostile = draft(&[&hq, &a]);
        hostile.members[1].name = "\u{1b}]0;pwned\u{7}".into();
        assert_eq!(hostile.seal_and_sign(&team_key, &root).err(), Some(TeamError::InvalidName));
    }

    #[test]
    fn every_truncation_is_refused_as_truncated() {
        let (hq, a) = (device(9), device(1));
        let roster = draft(&[&hq, &a]).seal_and_sign(&TeamKey::generate(), &SigningSecretKey::generate()).expect("sign");
        let bytes = roster.to_bytes();
        for len in 0..bytes.len() {
            assert_eq!(Roster::decode(&bytes[..len]).err(), Some(TeamError::Truncated { what: WHAT }), "length {len}");
        }
        let mut longer = bytes.to_vec();
        longer.push(0);
        assert_eq!(Roster::decode(&longer).err(), Some(TeamError::Malformed { what: WHAT }));
        assert_eq!(Roster::decode(&vec![0u8; MAX_ROSTER_LEN + 1]).err(), Some(TeamError::TooLarge { what: WHAT }));
    }

    #[test]
    fn every_flipped_byte_is_refused() {
        let (hq, a) = (device(9), device(1));
        let root = SigningSecretKey::generate();
        let roster = draft(&[&hq, &a]).seal_and_sign(&TeamKey::generate(), &root).expect("sign");
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
