//! Chain of custody (issue 11.3): every change this device writes to a case document is
//! signed with its device key, and the signature travels with the change, so HQ can tell which
//! device wrote what and flag what no valid member vouches for.
//!
//! - **Writing.** The write path (`pipeline::save_doc`, and `replace_doc` for a history
//!   rewrite) signs the hash of each new change (`cairn_crypto::ChangeCustody`: case id ‖
//!   document id ‖ change hash, purpose `ChangeCustody`) and records it in the same transaction
//!   as the change. Every vault has a device identity from its creation, so every local change
//!   is signed, in a team or not. A history rewrite (`identity.rs`, only in a vault that never
//!   had a roster) writes one new change holding the current state: it is this device's change
//!   like any other and is signed; the records of the changes it replaced go with them.
//! - **Receiving.** A change from a peer (live link or bundle) carries its author's custody in
//!   its change envelope (v2; v1 envelopes and changes written before custody carry none).
//!   What arrives is recorded as it arrived, valid or not, never refused for its custody: HQ
//!   keeps the evidence and the trail flags it. Only the first arrival of a change is recorded,
//!   with the roster version this vault held then and the time.
//! - **Sending.** A change leaves with the custody recorded for it: a device that relays
//!   another's change forwards the author's signature and never signs it itself.
//! - **Reading.** [`Session::custody_trail`] lists every change of every document of a case
//!   with a [`CustodyVerdict`] computed against the roster this vault holds now.

use std::collections::BTreeMap;

use cairn_crypto::{ChangeCustody, SigningPublicKey, SigningSecretKey};
use cairn_model::{AppliedChange, CaseRecord, Millis, ObjectId};
use cairn_store::{CustodyRow, StoreError, VaultTx};

use super::pipeline::{load_held, read};
use crate::{CoreError, Session};

/// A raw change with the custody recorded for it (what leaves with it).
pub(crate) type CustodiedChange = (Vec<u8>, Option<ChangeCustody>);

/// This device's signing key and id, unwrapped for one write (zeroized when dropped): what
/// signs the changes it writes.
pub(crate) struct ChangeSigner {
    device_id: [u8; 16],
    signing: SigningSecretKey,
}

impl ChangeSigner {
    pub(crate) fn new(device_id: [u8; 16], signing: SigningSecretKey) -> Self {
        ChangeSigner { device_id, signing }
    }

    /// Signs each of `hashes` (new changes this device wrote to `doc_id` of `case_id`) and
    /// records the signatures in the caller's transaction.
    pub(crate) fn record(
        &self,
        tx: &mut VaultTx<'_>,
        case_id: &ObjectId,
        doc_id: &ObjectId,
        hashes: &[[u8; 32]],
        now: Millis,
    ) -> Result<(), CoreError> {
        let roster_version = tx.roster_version()?;
        for hash in hashes {
            let custody = ChangeCustody::sign(&self.signing, self.device_id, case_id, doc_id, hash);
            tx.put_change_custody(&CustodyRow {
                case_id: *case_id,
                doc_id: *doc_id,
                change_hash: *hash,
                custody: Some(custody),
                first_roster_version: roster_version,
                first_seen_ms: now,
            })?;
        }
        Ok(())
    }
}

/// Records the custody of changes received from a peer (`custody[i]` came with `applied[i]`;
/// missing entries are changes that came without any), for the changes this vault did not
/// hold before. Kept as they came: the verdict is computed when the trail is read.
pub(crate) fn record_received(
    tx: &mut VaultTx<'_>,
    case_id: &ObjectId,
    doc_id: &ObjectId,
    applied: &[AppliedChange],
    custody: &[Option<ChangeCustody>],
    now: Millis,
) -> Result<(), CoreError> {
    let roster_version = tx.roster_version()?;
    for (index, change) in applied.iter().enumerate().filter(|(_, change)| !change.held_before) {
        tx.put_change_custody(&CustodyRow {
            case_id: *case_id,
            doc_id: *doc_id,
            change_hash: change.hash,
            custody: custody.get(index).copied().flatten(),
            first_roster_version: roster_version,
            first_seen_ms: now,
        })?;
    }
    Ok(())
}

/// The custody recorded for one change (to send it with the change), if any.
pub(crate) fn recorded(tx: &VaultTx<'_>, doc_id: &ObjectId, hash: &[u8; 32]) -> Result<Option<ChangeCustody>, CoreError> {
    Ok(tx.change_custody(doc_id, hash)?.and_then(|row| row.custody))
}

/// What the roster this vault holds says of one device that may have signed a change.
pub(crate) struct KnownSigner {
    /// Its signing key.
    pub(crate) key: SigningPublicKey,
    /// The roster version that revoked it, if it was revoked.
    pub(crate) revoked_at: Option<u64>,
    /// Its name on the roster, if this device can read names.
    pub(crate) name: Option<String>,
}

/// The verdict on one change's chain of custody. Every verdict but [`CustodyVerdict::Signed`]
/// flags the change.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum CustodyVerdict {
    /// Signed by a device on the roster (or this device), not revoked when this vault first
    /// received the change.
    Signed,
    /// No signature: written or received before custody existed, sealed in a v1 envelope, or
    /// given to this vault without one.
    Unsigned,
    /// The signature does not verify with the signer's key for this change.
    BadSignature,
    /// Signed by a device that is on no roster this vault holds (never a member, or from
    /// another organisation).
    UnknownSigner,
    /// Validly signed, but this vault first received the change after HQ revoked its signer
    /// (a revoked device's key is no longer trusted for changes that appear afterwards).
    ReceivedAfterRevocation,
}

impl CustodyVerdict {
    /// Stable machine-readable name (`signed`, `unsigned`, `bad_signature`, `unknown_signer`,
    /// `received_after_revocation`).
    pub fn as_str(self) -> &'static str {
        match self {
            CustodyVerdict::Signed => "signed",
            CustodyVerdict::Unsigned => "unsigned",
            CustodyVerdict::BadSignature => "bad_signature",
            CustodyVerdict::UnknownSigner => "unknown_signer",
            CustodyVerdict::ReceivedAfterRevocation => "received_after_revocation",
        }
    }

    /// Whether the change is flagged (anything but [`CustodyVerdict::Signed`]).
    pub fn is_flagged(self) -> bool {
        self != CustodyVerdict::Signed
    }
}

/// One change of a case document in the chain of custody (see [`Session::custody_trail`]).
/// Ids, times and a verdict: no key material, no case content.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CustodyEntry {
    /// The document of the case the change belongs to (the case id for the case document).
    pub document_id: ObjectId,
    /// The change's Automerge hash.
    pub change_hash: [u8; 32],
    /// The device the change names as its signer (32 hex digits), if it carries a signature.
    pub signer: Option<String>,
    /// That device's name on the roster, if it is there and this device can read names.
    pub signer_name: Option<String>,
    /// When this vault first had the change (written here, or received), ms since the Unix
    /// epoch by this device's clock; `None` for changes held from before custody existed.
    pub first_seen_ms: Option<Millis>,
    /// The roster version this vault held when it first had the change (`None`: no roster
    /// then, or held from before custody existed).
    pub first_roster_version: Option<u64>,
    /// The verdict against the roster held now.
    pub verdict: CustodyVerdict,
}

/// The verdict on one recorded change (`None`: nothing recorded).
pub(crate) fn verdict(
    known: &BTreeMap<[u8; 16], KnownSigner>,
    case_id: &ObjectId,
    doc_id: &ObjectId,
    hash: &[u8; 32],
    row: Option<&CustodyRow>,
) -> CustodyVerdict {
    let Some((custody, row)) = row.and_then(|row| row.custody.map(|custody| (custody, row))) else {
        return CustodyVerdict::Unsigned;
    };
    let Some(signer) = known.get(&custody.signer) else { return CustodyVerdict::UnknownSigner };
    if custody.verify(&signer.key, case_id, doc_id, hash).is_err() {
        return CustodyVerdict::BadSignature;
    }
    match (signer.revoked_at, row.first_roster_version) {
        (Some(revoked_at), Some(first)) if first >= revoked_at => CustodyVerdict::ReceivedAfterRevocation,
        _ => CustodyVerdict::Signed,
    }
}

impl Session {
    /// The chain of custody of a case: every change of every document of the case this vault
    /// holds (case document first, then testimonies; each in causal order), with its signer,
    /// when this vault first had it, and a [`CustodyVerdict`] against the roster held now.
    /// A change is flagged when it has no signature, a signature that does not verify, a
    /// signer on no roster held here, or a signer HQ had revoked before the change first
    /// arrived here. Works on a deleted case HQ keeps archived.
    pub fn custody_trail(&mut self, case_id: &ObjectId) -> Result<Vec<CustodyEntry>, CoreError> {
        let author = self.worker_name()?;
        let known = self.custody_signers()?;
        read(self.vault_mut(), |tx| {
            match tx.case_key(case_id) {
                Ok(_) => {}
                Err(StoreError::NotFound { .. }) => return Err(CoreError::NotFound("case")),
                Err(error) => return Err(error.into()),
            }
            let mut documents: Vec<ObjectId> = tx.case_digests(case_id)?.into_iter().map(|digest| digest.doc_id).collect();
            documents.sort_by_key(|doc_id| (doc_id != case_id, *doc_id));
            let recorded: BTreeMap<([u8; 16], [u8; 32]), CustodyRow> =
                tx.case_custody(case_id)?.into_iter().map(|row| ((row.doc_id, row.change_hash), row)).collect();
            let mut trail = Vec::new();
            for doc_id in documents {
                // Any root will do: only the change graph is read.
                let Some(mut doc) = load_held::<CaseRecord>(tx, case_id, &doc_id, &author)? else { continue };
                for hash in doc.change_hashes() {
                    let row = recorded.get(&(doc_id, hash));
                    let signer = row.and_then(|row| row.custody).map(|custody| custody.signer);
                    trail.push(CustodyEntry {
                        document_id: doc_id,
                        change_hash: hash,
                        signer: signer.map(|signer| cairn_model::id_to_hex(&signer)),
                        signer_name: signer.and_then(|signer| known.get(&signer)).and_then(|known| known.name.clone()),
                        first_seen_ms: row.map(|row| row.first_seen_ms),
                        first_roster_version: row.and_then(|row| row.first_roster_version),
                        verdict: verdict(&known, case_id, &doc_id, &hash, row),
                    });
                }
            }
            Ok(trail)
        })
    }
}
