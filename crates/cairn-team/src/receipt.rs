//! Handover receipts: HQ's signed statement that it holds a case exactly as far as it names,
//! which lets a field device purge the case (DESIGN §6). It names only ids and hashes: the
//! heads of every document of the case HQ holds, and the address (a keyed hash under the case
//! key) of every attachment HQ holds whole. It travels sealed inside the case (core keeps it
//! in the case's receipts document), so only holders of the case key read even that.
//!
//! Format v1:
//!
//! ```text
//! u8   format version (1)
//! u8   kind (4: handover receipt)
//! [16] organisation id
//! [16] case id
//! [16] id of the HQ device that signed it
//! u64  issued at, milliseconds since the Unix epoch (LE; HQ's clock, informative only)
//! u16  document count (LE), then per document, by ascending id:
//!      [16] document id, u16 head count (LE, ≥ 1), heads ([32] each, ascending)
//! u32  attachment count (LE), then the addresses ([32] each, ascending)
//! [64] Ed25519 signature by that device (purpose "handover-receipt/v1") over the bytes above
//! ```
//!
//! Every list is sorted and free of duplicates, so one receipt has exactly one encoding. A
//! receipt counts only if its signer is a current HQ member of the organisation's roster: one
//! from a revoked, unknown or non-HQ device is refused.

use cairn_crypto::{SIGNATURE_LEN, Signature, SignaturePurpose, SigningSecretKey};

use crate::{DeviceId, OrgId, Role, Roster, TeamError, codec::Reader};

const FORMAT_V1: u8 = 1;
const KIND_RECEIPT: u8 = 4;

/// Most documents one receipt names.
pub const MAX_RECEIPT_DOCUMENTS: usize = 4096;
/// Most heads one document may have in a receipt.
pub const MAX_RECEIPT_HEADS: usize = 256;
/// Most attachments one receipt names.
pub const MAX_RECEIPT_ATTACHMENTS: usize = 65_536;
/// Largest encoded receipt (4 MiB: far above any case, small enough to check in memory).
pub const MAX_RECEIPT_LEN: usize = 4 * 1024 * 1024;

/// What a receipt covers: document heads and attachment addresses, each sorted.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ReceiptCoverage {
    /// Each document HQ holds, with its heads (sorted), by ascending document id.
    pub documents: Vec<([u8; 16], Vec<[u8; 32]>)>,
    /// The address of each attachment HQ holds whole, ascending.
    pub attachments: Vec<[u8; 32]>,
}

impl ReceiptCoverage {
    /// Sorts every list and removes duplicates (the one canonical form).
    pub fn normalise(mut self) -> ReceiptCoverage {
        for (_, heads) in &mut self.documents {
            heads.sort_unstable();
            heads.dedup();
        }
        self.documents.retain(|(_, heads)| !heads.is_empty());
        self.documents.sort_unstable_by_key(|(doc_id, _)| *doc_id);
        self.documents.dedup_by(|a, b| a.0 == b.0);
        self.attachments.sort_unstable();
        self.attachments.dedup();
        self
    }

    /// The heads it names for `doc_id`.
    pub fn heads_of(&self, doc_id: &[u8; 16]) -> Option<&[[u8; 32]]> {
        self.documents.binary_search_by(|(id, _)| id.cmp(doc_id)).ok().map(|index| self.documents[index].1.as_slice())
    }

    /// Whether it names the attachment at `address`.
    pub fn has_attachment(&self, address: &[u8; 32]) -> bool {
        self.attachments.binary_search(address).is_ok()
    }
}

/// HQ's signed receipt for one case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Receipt {
    org_id: OrgId,
    case_id: [u8; 16],
    signed_by: DeviceId,
    issued_at_ms: u64,
    coverage: ReceiptCoverage,
    signature: Signature,
}

impl Receipt {
    /// Signs a receipt for `case_id` covering `coverage` (normalised here) by the HQ device
    /// `device_id`, whose signing key is `signing`. Refuses a coverage beyond the format's
    /// limits with [`TeamError::TooLarge`].
    pub fn sign(
        org_id: OrgId,
        case_id: [u8; 16],
        device_id: DeviceId,
        issued_at_ms: u64,
        coverage: ReceiptCoverage,
        signing: &SigningSecretKey,
    ) -> Result<Receipt, TeamError> {
        let coverage = coverage.normalise();
        let too_large = TeamError::TooLarge { what: "handover receipt" };
        if coverage.documents.len() > MAX_RECEIPT_DOCUMENTS
            || coverage.attachments.len() > MAX_RECEIPT_ATTACHMENTS
            || coverage.documents.iter().any(|(_, heads)| heads.len() > MAX_RECEIPT_HEADS)
        {
            return Err(too_large);
        }
        let body = body(org_id, case_id, device_id, issued_at_ms, &coverage);
        if body.len() + SIGNATURE_LEN > MAX_RECEIPT_LEN {
            return Err(too_large);
        }
        let signature = signing.sign(SignaturePurpose::HandoverReceipt, &body);
        Ok(Receipt { org_id, case_id, signed_by: device_id, issued_at_ms, coverage, signature })
    }

    /// The case.
    pub fn case_id(&self) -> [u8; 16] {
        self.case_id
    }

    /// The HQ device that signed it.
    pub fn signed_by(&self) -> DeviceId {
        self.signed_by
    }

    /// The organisation.
    pub fn org_id(&self) -> OrgId {
        self.org_id
    }

    /// When HQ says it issued it (its clock; never used to decide anything).
    pub fn issued_at_ms(&self) -> u64 {
        self.issued_at_ms
    }

    /// What it covers.
    pub fn coverage(&self) -> &ReceiptCoverage {
        &self.coverage
    }

    /// The bytes that travel.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = body(self.org_id, self.case_id, self.signed_by, self.issued_at_ms, &self.coverage);
        out.extend_from_slice(&self.signature.to_bytes());
        out
    }

    /// Parses a receipt (structure only; [`Receipt::verify`] checks who signed it). Refuses
    /// unsorted or repeated entries, so every receipt has one encoding.
    pub fn from_bytes(bytes: &[u8]) -> Result<Receipt, TeamError> {
        let what = "handover receipt";
        let malformed = TeamError::Malformed { what };
        if bytes.len() > MAX_RECEIPT_LEN {
            return Err(TeamError::TooLarge { what });
        }
        let mut reader = Reader::new(bytes, what);
        let version = reader.u8()?;
        if version != FORMAT_V1 {
            return Err(TeamError::UnsupportedVersion { what, version });
        }
        if reader.u8()? != KIND_RECEIPT {
            return Err(TeamError::WrongKind { expected: "a handover receipt" });
        }
        let org_id = OrgId(reader.array()?);
        let case_id = reader.array()?;
        let signed_by = DeviceId(reader.array()?);
        let issued_at_ms = reader.u64()?;
        let document_count = usize::from(reader.u16()?);
        if document_count > MAX_RECEIPT_DOCUMENTS {
            return Err(malformed);
        }
        let mut documents: Vec<([u8; 16], Vec<[u8; 32]>)> = Vec::with_capacity(document_count);
        for _ in 0..document_count {
            let doc_id: [u8; 16] = reader.array()?;
            if documents.last().is_some_and(|(last, _)| *last >= doc_id) {
                return Err(malformed);
            }
            let head_count = usize::from(reader.u16()?);
            if head_count == 0 || head_count > MAX_RECEIPT_HEADS {
                return Err(malformed);
            }
            let mut heads: Vec<[u8; 32]> = Vec::with_capacity(head_count);
            for _ in 0..head_count {
                let head: [u8; 32] = reader.array()?;
                if heads.last().is_some_and(|last| *last >= head) {
                    return Err(malformed);
                }
                heads.push(head);
            }
            documents.push((doc_id, heads));
        }
        let attachment_count = usize::try_from(reader.u32()?).map_err(|_| malformed.clone())?;
        if attachment_count > MAX_RECEIPT_ATTACHMENTS || attachment_count * 32 > reader.remaining() {
            return Err(malformed);
        }
        let mut attachments: Vec<[u8; 32]> = Vec::with_capacity(attachment_count);
        for _ in 0..attachment_count {
            let address: [u8; 32] = reader.array()?;
            if attachments.last().is_some_and(|last| *last >= address) {
                return Err(malformed);
            }
            attachments.push(address);
        }
        let signature = Signature::from_bytes(reader.array()?);
        if reader.remaining() != 0 {
            return Err(malformed);
        }
        let coverage = ReceiptCoverage { documents, attachments };
        Ok(Receipt { org_id, case_id, signed_by, issued_at_ms, coverage, signature })
    }

    /// Checks that the receipt belongs to `roster`'s organisation and was signed by one of its
    /// current HQ members. A revoked signer is refused with [`TeamError::DeviceRevoked`], an
    /// unknown one with [`TeamError::UnknownDevice`], a member of another role with
    /// [`TeamError::ReceiptNotFromHq`], a bad signature with [`TeamError::BadReceiptSignature`].
    pub fn verify(&self, roster: &Roster) -> Result<(), TeamError> {
        if self.org_id != roster.org_id() {
            return Err(TeamError::WrongOrganisation);
        }
        let Some(member) = roster.member(self.signed_by) else {
            return Err(if roster.revocation(self.signed_by).is_some() {
                TeamError::DeviceRevoked
            } else {
                TeamError::UnknownDevice
            });
        };
        if member.role != Role::Hq {
            return Err(TeamError::ReceiptNotFromHq);
        }
        let body = body(self.org_id, self.case_id, self.signed_by, self.issued_at_ms, &self.coverage);
        member
            .keys
            .signing
            .verify(SignaturePurpose::HandoverReceipt, &body, &self.signature)
            .map_err(|_| TeamError::BadReceiptSignature)
    }
}

fn body(org_id: OrgId, case_id: [u8; 16], device_id: DeviceId, issued_at_ms: u64, coverage: &ReceiptCoverage) -> Vec<u8> {
    let heads: usize = coverage.documents.iter().map(|(_, heads)| 18 + 32 * heads.len()).sum();
    let mut out = Vec::with_capacity(2 + 48 + 8 + 2 + heads + 4 + 32 * coverage.attachments.len() + SIGNATURE_LEN);
    out.push(FORMAT_V1);
    out.push(KIND_RECEIPT);
    out.extend_from_slice(&org_id.0);
    out.extend_from_slice(&case_id);
    out.extend_from_slice(&device_id.0);
    out.extend_from_slice(&issued_at_ms.to_le_bytes());
    // Counts fit: `sign` and `from_bytes` bound them.
    out.extend_from_slice(&(coverage.documents.len() as u16).to_le_bytes());
    for (doc_id, heads) in &coverage.documents {
        out.extend_from_slice(doc_id);
        out.extend_from_slice(&(heads.len() as u16).to_le_bytes());
        for head in heads {
            out.extend_from_slice(head);
        }
    }
    out.extend_from_slice(&(coverage.attachments.len() as u32).to_le_bytes());
    for address in &coverage.attachments {
        out.extend_from_slice(address);
    }
    out
}
