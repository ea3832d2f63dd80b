//! Tombstones: the signed deletion of a case, which syncs so a deleted case never comes back
//! from a peer. It names only ids (no title, no reason), and is signed by the deleting device.
//!
//! Format v1 (146 bytes):
//!
//! ```text
//! u8   format version (1)
//! u8   kind (3: tombstone)
//! [16] organisation id
//! [16] case id
//! [16] id of the device that deleted it
//! [64] Ed25519 signature by that device (purpose "case-deletion/v1") over the bytes above
//! ```
//!
//! A tombstone counts only if its signer is a member of the organisation's current roster: one
//! signed by a revoked or unknown device is refused (a captured device cannot erase the team's
//! evidence after HQ revoked it).

use cairn_crypto::{SIGNATURE_LEN, Signature, SignaturePurpose, SigningSecretKey};

use crate::{DeviceId, OrgId, Roster, TeamError, codec::Reader};

const FORMAT_V1: u8 = 1;
pub(crate) const KIND_TOMBSTONE: u8 = 3;
const BODY_LEN: usize = 2 + 16 + 16 + 16;

/// Length of a tombstone.
pub const TOMBSTONE_LEN: usize = BODY_LEN + SIGNATURE_LEN;

/// The signed deletion of one case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tombstone {
    org_id: OrgId,
    case_id: [u8; 16],
    deleted_by: DeviceId,
    signature: Signature,
}

impl Tombstone {
    /// Signs the deletion of `case_id` by this device (`device_id`, whose signing key is
    /// `signing`) in organisation `org_id`.
    pub fn sign(org_id: OrgId, case_id: [u8; 16], device_id: DeviceId, signing: &SigningSecretKey) -> Tombstone {
        let body = body(org_id, case_id, device_id);
        let signature = signing.sign(SignaturePurpose::CaseDeletion, &body);
        Tombstone { org_id, case_id, deleted_by: device_id, signature }
    }

    /// The deleted case.
    pub fn case_id(&self) -> [u8; 16] {
        self.case_id
    }

    /// The device that deleted it.
    pub fn deleted_by(&self) -> DeviceId {
        self.deleted_by
    }

    /// The organisation.
    pub fn org_id(&self) -> OrgId {
        self.org_id
    }

    /// The bytes that travel.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = body(self.org_id, self.case_id, self.deleted_by);
        out.extend_from_slice(&self.signature.to_bytes());
        out
    }

    /// Parses a tombstone (structure only; [`Tombstone::verify`] checks who signed it).
    pub fn from_bytes(bytes: &[u8]) -> Result<Tombstone, TeamError> {
        let what = "tombstone";
        if bytes.len() > TOMBSTONE_LEN {
            return Err(TeamError::TooLarge { what });
        }
        let mut reader = Reader::new(bytes, what);
        let version = reader.u8()?;
        if version != FORMAT_V1 {
            return Err(TeamError::UnsupportedVersion { what, version });
        }
        if reader.u8()? != KIND_TOMBSTONE {
            return Err(TeamError::WrongKind { expected: "a case deletion" });
        }
        let org_id = OrgId(reader.array()?);
        let case_id = reader.array()?;
        let deleted_by = DeviceId(reader.array()?);
        let signature = Signature::from_bytes(reader.array()?);
        if reader.remaining() != 0 {
            return Err(TeamError::Malformed { what });
        }
        Ok(Tombstone { org_id, case_id, deleted_by, signature })
    }

    /// Checks that the tombstone belongs to `roster`'s organisation and was signed by one of
    /// its current members. A revoked signer is refused with [`TeamError::DeviceRevoked`], an
    /// unknown one with [`TeamError::UnknownDevice`], a bad signature with
    /// [`TeamError::BadTombstoneSignature`].
    pub fn verify(&self, roster: &Roster) -> Result<(), TeamError> {
        if self.org_id != roster.org_id() {
            return Err(TeamError::WrongOrganisation);
        }
        let Some(member) = roster.member(self.deleted_by) else {
            return Err(if roster.revocation(self.deleted_by).is_some() {
                TeamError::DeviceRevoked
            } else {
                TeamError::UnknownDevice
            });
        };
        member
            .keys
            .signing
            .verify(SignaturePurpose::CaseDeletion, &body(self.org_id, self.case_id, self.deleted_by), &self.signature)
            .map_err(|_| TeamError::BadTombstoneSignature)
    }
}

fn body(org_id: OrgId, case_id: [u8; 16], device_id: DeviceId) -> Vec<u8> {
    let mut out = Vec::with_capacity(TOMBSTONE_LEN);
    out.push(FORMAT_V1);
    out.push(KIND_TOMBSTONE);
    out.extend_from_slice(&org_id.0);
    out.extend_from_slice(&case_id);
    out.extend_from_slice(&device_id.0);
    out
}
