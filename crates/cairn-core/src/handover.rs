//! Handover to HQ (DESIGN §6): a worker marks a case ready; it reaches HQ by live sync or by
//! bundle; HQ's vault answers with a signed receipt naming the heads of every document and the
//! address of every attachment it holds; the field device verifies the receipt and, by the
//! roster's policy, purges the case.
//!
//! - Receipts live in a document of their own in each case (the *receipts document*, id
//!   [`receipts_doc_id`]), so they sync, travel in bundles and are custody-signed like any
//!   change, and a receipt never changes what it names. Each HQ device keeps its latest receipt
//!   there under its own key.
//! - HQ issues a receipt ([`Session::settle_handovers`]) for every case marked ready whose
//!   documents or attachments changed since its last receipt, once it holds every attachment
//!   the case references.
//! - A field device purges a case only when a receipt verified against the roster it holds (a
//!   current HQ member, this organisation, this case) covers **everything** it holds of the
//!   case: each document's heads are among HQ's (no change here that HQ lacks; nothing still
//!   waiting for dependencies), and each attachment held here is named (none without an
//!   address, no recording under way). An edit after the receipt waits for a newer one.
//! - A purge destroys the case like a deletion (keys, changes, blobs, search rows, summary;
//!   the commit rotates the key-wrapping key and checkpoints the WAL) but never syncs as one:
//!   only ids and heads stay, so sync still counts the case's documents as held at the heads
//!   HQ confirmed and nothing of it is asked for, offered or applied again.
//!
//! Settling runs when the vault opens, after a roster import, after a live sync and after a
//! bundle import. It looks only at cases that can need it (marked ready and not yet covered,
//! on HQ; holding a receipts document, elsewhere), so it costs nothing for an archive of
//! untouched cases.

use cairn_crypto::ContentHasher;
use cairn_model::{
    CaseDoc, CaseRecord, Document, DocumentKind, Millis, ObjectId, ReceiptsDoc, ReceiptsRecord, id_to_hex, parse_id,
};
use cairn_store::{PurgedDocument, VaultTx};
use cairn_team::{HandoverPurge, Receipt, ReceiptCoverage, Roster};

use crate::{
    CoreError, Session,
    cases::{CaseError, heads_hash, now_ms},
    cases::{commit_doc, load_doc, read, transact},
    team::HandoverKeys,
};

/// One day in milliseconds (the unit of the "after N days" purge policy).
const DAY_MS: i64 = 24 * 60 * 60 * 1000;

/// The consent scope that covers sharing a testimony with HQ.
const SHARE_WITH_HQ: &str = "share_with_hq";

/// The id of a case's receipts document: the first 16 bytes of
/// SHA-256(`"cairn/receipts-doc/v1"` ‖ case id), so every device names it alike.
pub fn receipts_doc_id(case_id: &ObjectId) -> ObjectId {
    let mut hasher = ContentHasher::new();
    hasher.update(b"cairn/receipts-doc/v1");
    hasher.update(case_id);
    let digest = hasher.finish();
    let mut id = [0u8; 16];
    id.copy_from_slice(&digest[..16]);
    id
}

/// Which kind of document `doc_id` is within `case_id`.
pub(crate) fn document_kind(case_id: &ObjectId, doc_id: &ObjectId) -> DocumentKind {
    if doc_id == case_id {
        DocumentKind::Case
    } else if *doc_id == receipts_doc_id(case_id) {
        DocumentKind::Receipts
    } else {
        DocumentKind::Testimony
    }
}

impl crate::cases::DocRoot for ReceiptsRecord {
    const KIND: DocumentKind = DocumentKind::Receipts;

    fn rebuild_derived(
        _tx: &mut VaultTx<'_>,
        _case_id: &ObjectId,
        _doc_id: &ObjectId,
        _doc: &mut ReceiptsDoc,
        _now: Millis,
        _origin: crate::cases::pipeline::Origin,
    ) -> Result<(), CoreError> {
        // Nothing is derived from receipts: they are checked when handovers settle.
        Ok(())
    }
}

/// Where a case stands in its handover.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HandoverState {
    /// Not marked ready.
    Draft,
    /// Marked ready; no receipt covers it as held here yet.
    Ready,
    /// A receipt from HQ covers everything held here (on HQ: HQ issued it).
    ReceivedByHq,
}

impl HandoverState {
    /// The state a summary's ready mark and covered time give.
    pub(crate) fn of(ready_at: Millis, covered_at: Option<Millis>) -> HandoverState {
        match (covered_at, ready_at) {
            (Some(_), _) => HandoverState::ReceivedByHq,
            (None, 0) => HandoverState::Draft,
            (None, _) => HandoverState::Ready,
        }
    }

    /// The stable name: `draft`, `ready` or `received`.
    pub fn code(self) -> &'static str {
        match self {
            HandoverState::Draft => "draft",
            HandoverState::Ready => "ready",
            HandoverState::ReceivedByHq => "received",
        }
    }
}

/// One case's handover, for the case list and `handover status`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaseHandover {
    /// The case.
    pub case_id: ObjectId,
    /// Its title.
    pub title: String,
    /// Where it stands.
    pub state: HandoverState,
    /// When a worker marked it ready.
    pub ready_at: Option<Millis>,
    /// When a covering receipt was verified here (on HQ: issued).
    pub received_at: Option<Millis>,
    /// When the roster's policy purges it (a field device holding a covering receipt under
    /// "after N days"); `None` when it is kept or not covered.
    pub purge_due_at: Option<Millis>,
}

/// A case purged from this device after HQ confirmed it: only its id is left.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PurgedCase {
    /// The case.
    pub case_id: ObjectId,
    /// When it was purged.
    pub purged_at: Millis,
}

/// Every case's handover on this device.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HandoverOverview {
    /// Whether this vault is HQ's (it issues receipts; its list is the intake list).
    pub is_hq: bool,
    /// The roster's purge policy (`None` outside a team).
    pub policy: Option<HandoverPurge>,
    /// The cases held (HQ's archived deleted cases left out).
    pub cases: Vec<CaseHandover>,
    /// The cases purged here.
    pub purged: Vec<PurgedCase>,
}

/// What a receipt held here says, checked against this device's roster and holdings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReceiptVerdict {
    /// Valid and covering everything this device holds of the case.
    Covers,
    /// Valid, but this device holds something it does not name (an edit after it, a document
    /// or attachment HQ did not have yet).
    Partial,
    /// Not valid here; the code says why (`bad_receipt_signature`, `device_revoked`,
    /// `unknown_device`, `receipt_not_from_hq`, `wrong_organisation`, `receipt_wrong_case`,
    /// or a format error).
    Refused(&'static str),
}

/// One receipt held in a case's receipts document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReceiptView {
    /// The case.
    pub case_id: ObjectId,
    /// The signing HQ device's id (hex), as the receipt names it.
    pub signed_by: String,
    /// Its name on the roster, when this device can read it.
    pub signer_name: Option<String>,
    /// When HQ says it issued it (HQ's clock).
    pub issued_at_ms: u64,
    /// How many documents it names.
    pub documents: usize,
    /// How many attachments it names.
    pub attachments: usize,
    /// What it is worth here.
    pub verdict: ReceiptVerdict,
}

/// What one settling did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct HandoverSettled {
    /// Receipts this (HQ) vault issued.
    pub receipts_issued: u32,
    /// Cases this vault purged.
    pub cases_purged: u32,
}

/// Documents with their heads, as a receipt names them.
type DocumentHeads = Vec<(ObjectId, Vec<[u8; 32]>)>;

/// The documents of a case this vault holds (the receipts document left out), with heads.
fn held_documents(tx: &VaultTx<'_>, case_id: &ObjectId, author: &str) -> Result<DocumentHeads, CoreError> {
    let receipts = receipts_doc_id(case_id);
    let mut documents = Vec::new();
    for digest in tx.case_digests(case_id)? {
        if digest.doc_id == receipts {
            continue;
        }
        let Some(mut doc) = crate::cases::load_held::<CaseRecord>(tx, case_id, &digest.doc_id, author)? else { continue };
        documents.push((digest.doc_id, doc.heads()));
    }
    Ok(documents)
}

/// Whether `receipt` covers everything this vault holds of its case.
fn covers(tx: &VaultTx<'_>, case_id: &ObjectId, coverage: &ReceiptCoverage, author: &str) -> Result<bool, CoreError> {
    let receipts = receipts_doc_id(case_id);
    for digest in tx.case_digests(case_id)? {
        if digest.doc_id == receipts {
            continue;
        }
        let Some(named) = coverage.heads_of(&digest.doc_id) else { return Ok(false) };
        let Some(mut doc) = crate::cases::load_held::<CaseRecord>(tx, case_id, &digest.doc_id, author)? else {
            continue;
        };
        if doc.has_missing_dependencies() || !doc.holds(named) || !doc.changes_since(named).is_empty() {
            return Ok(false);
        }
    }
    let blobs = tx.case_blobs(case_id)?;
    Ok(blobs.unaddressed == 0
        && blobs.recordings == 0
        && blobs.addresses.iter().all(|address| coverage.has_attachment(address)))
}

/// A receipt found in a case's receipts document.
struct HeldReceipt {
    /// The key it is kept under (the signer's id, hex).
    signer: String,
    /// The receipt, when it parses.
    parsed: Option<Receipt>,
    /// Why it is not valid here, if it is not.
    refused: Option<&'static str>,
}

impl HeldReceipt {
    fn valid(&self) -> Option<&Receipt> {
        if self.refused.is_none() { self.parsed.as_ref() } else { None }
    }
}

/// Every receipt in a case's receipts document, parsed and verified against `roster`.
fn case_receipts(
    tx: &VaultTx<'_>,
    case_id: &ObjectId,
    roster: &Roster,
    author: &str,
) -> Result<Vec<HeldReceipt>, CoreError> {
    let receipts_id = receipts_doc_id(case_id);
    let Some(doc) = crate::cases::load_held::<ReceiptsRecord>(tx, case_id, &receipts_id, author)? else {
        return Ok(Vec::new());
    };
    Ok(doc
        .receipts()
        .into_iter()
        .map(|(signer, bytes)| match Receipt::from_bytes(&bytes) {
            Err(error) => HeldReceipt { signer, parsed: None, refused: Some(error.code()) },
            Ok(receipt) => {
                let refused = match receipt.verify(roster) {
                    Err(error) => Some(error.code()),
                    Ok(()) if receipt.case_id() != *case_id || id_to_hex(&receipt.signed_by().0) != signer => {
                        Some("receipt_wrong_case")
                    }
                    Ok(()) => None,
                };
                HeldReceipt { signer, parsed: Some(receipt), refused }
            }
        })
        .collect())
}

impl Session {
    /// Marks a case ready for handover to HQ (or, with `ready` false, takes the mark back).
    /// When a testimony of the case lacks consent to sharing with HQ, marking it ready is
    /// refused with [`CaseError::HandoverConsentUnconfirmed`] unless `consent_confirmed`.
    /// HQ's own vault refuses ([`CaseError::HandoverAtHq`]).
    pub fn set_ready_for_handover(
        &mut self,
        case_id: &ObjectId,
        ready: bool,
        consent_confirmed: bool,
    ) -> Result<(), CoreError> {
        if self.is_hq_vault()? {
            return Err(CaseError::HandoverAtHq.into());
        }
        let author = self.worker_name()?;
        let change_signer = self.change_signer()?;
        let now = now_ms();
        transact(self.vault_mut(), |tx| {
            let mut doc: CaseDoc = load_doc(tx, case_id, case_id, &author)?;
            let record = doc.record()?;
            if ready && !consent_confirmed {
                for testimony_hex in record.testimonies.keys() {
                    let Ok(testimony_id) = parse_id(testimony_hex) else { continue };
                    let Some(testimony) =
                        crate::cases::load_held::<cairn_model::TestimonyRecord>(tx, case_id, &testimony_id, &author)?
                    else {
                        continue;
                    };
                    let Ok(testimony) = testimony.record() else { continue };
                    if !testimony.consent.given || !testimony.consent.scopes.iter().any(|scope| scope == SHARE_WITH_HQ) {
                        return Err(CaseError::HandoverConsentUnconfirmed.into());
                    }
                }
            }
            if (record.handover_ready_at != 0) == ready {
                return Ok(());
            }
            doc.set_ready_for_handover(ready, now)?;
            commit_doc(tx, &change_signer, case_id, case_id, &mut doc, now)?;
            Ok(())
        })
    }

    /// Issues the receipts HQ owes (HQ's vault) or verifies receipts and purges what the
    /// roster's policy says (any other member). Outside a team it does nothing. Runs when the
    /// vault opens and after every sync, bundle import and roster import; front ends may call
    /// it at any time.
    pub fn settle_handovers(&mut self) -> Result<HandoverSettled, CoreError> {
        let Some(keys) = self.handover_keys()? else { return Ok(HandoverSettled::default()) };
        if keys.is_hq { self.issue_receipts(&keys) } else { self.purge_handed_over(&keys) }
    }

    fn issue_receipts(&mut self, keys: &HandoverKeys) -> Result<HandoverSettled, CoreError> {
        let author = self.worker_name()?;
        let change_signer = self.change_signer()?;
        let candidates: Vec<ObjectId> = read(self.vault_mut(), |tx| {
            Ok(tx
                .case_summaries()?
                .into_iter()
                .filter(|summary| {
                    summary.handover_ready_at != 0 && summary.handover_covered_at.is_none() && !summary.deleted
                })
                .map(|summary| summary.case_id)
                .collect())
        })?;
        let signer = id_to_hex(&keys.device_id.0);
        let mut settled = HandoverSettled::default();
        for case_id in candidates {
            let now = now_ms();
            let issued = transact(self.vault_mut(), |tx| {
                let documents = held_documents(tx, &case_id, &author)?;
                let attachments = tx.case_blobs(&case_id)?.addresses;
                let coverage = ReceiptCoverage { documents, attachments }.normalise();
                let receipts_id = receipts_doc_id(&case_id);
                let mut doc: ReceiptsDoc = crate::cases::load_held(tx, &case_id, &receipts_id, &author)?
                    .unwrap_or_else(|| Document::empty(&author));
                let current = doc.receipts().into_iter().any(|(key, bytes)| {
                    key == signer && Receipt::from_bytes(&bytes).is_ok_and(|receipt| receipt.coverage() == &coverage)
                });
                let mut issued = false;
                if !current {
                    let receipt = Receipt::sign(
                        keys.org_id,
                        case_id,
                        keys.device_id,
                        u64::try_from(now).unwrap_or(0),
                        coverage,
                        &keys.signing,
                    )?;
                    doc.put_receipt(&signer, &receipt.to_bytes(), now)?;
                    commit_doc(tx, &change_signer, &case_id, &receipts_id, &mut doc, now)?;
                    issued = true;
                }
                // Until every attachment the case references is here, a later receipt is owed.
                let complete = !tx.missing_attachments()?.iter().any(|missing| missing.case_id == case_id);
                if complete {
                    tx.set_handover_covered(&case_id, Some(now))?;
                }
                Ok(issued)
            })?;
            settled.receipts_issued += u32::from(issued);
        }
        Ok(settled)
    }

    fn purge_handed_over(&mut self, keys: &HandoverKeys) -> Result<HandoverSettled, CoreError> {
        self.hot_docs.clear();
        let author = self.worker_name()?;
        let policy = keys.roster.policy().handover_purge;
        let candidates: Vec<(ObjectId, Option<Millis>)> = read(self.vault_mut(), |tx| {
            let deleted = tx.tombstoned_cases()?;
            let mut candidates = Vec::new();
            for digest in tx.digests()? {
                if digest.doc_id != receipts_doc_id(&digest.case_id) || deleted.binary_search(&digest.case_id).is_ok() {
                    continue;
                }
                candidates.push((digest.case_id, tx.handover_covered_at(&digest.case_id)?));
            }
            Ok(candidates)
        })?;
        let mut settled = HandoverSettled::default();
        for (case_id, covered_at) in candidates {
            let now = now_ms();
            let due = |since: Millis| match policy {
                HandoverPurge::Keep => false,
                HandoverPurge::Immediately => true,
                HandoverPurge::AfterDays(days) => now >= since.saturating_add(i64::from(days.get()) * DAY_MS),
            };
            // Covered already and not due: nothing to do until the policy says so.
            if covered_at.is_some_and(|since| !due(since)) {
                continue;
            }
            let purged = transact(self.vault_mut(), |tx| {
                let mut covering = false;
                for held in case_receipts(tx, &case_id, &keys.roster, &author)? {
                    if let Some(receipt) = held.valid()
                        && covers(tx, &case_id, receipt.coverage(), &author)?
                    {
                        covering = true;
                        break;
                    }
                }
                if !covering {
                    tx.set_handover_covered(&case_id, None)?;
                    return Ok(false);
                }
                tx.set_handover_covered(&case_id, Some(now))?;
                let since = tx.handover_covered_at(&case_id)?.unwrap_or(now);
                if !due(since) {
                    return Ok(false);
                }
                let mut markers = Vec::new();
                for digest in tx.case_digests(&case_id)? {
                    let Some(mut doc) = crate::cases::load_held::<CaseRecord>(tx, &case_id, &digest.doc_id, &author)? else {
                        continue;
                    };
                    let heads = doc.heads();
                    markers.push(PurgedDocument { case_id, doc_id: digest.doc_id, heads_hash: heads_hash(&heads), heads });
                }
                tx.purge_case(&case_id, &markers, now)?;
                Ok(true)
            })?;
            settled.cases_purged += u32::from(purged);
        }
        Ok(settled)
    }

    /// Every case's handover state, and the cases purged here.
    pub fn handover_status(&mut self) -> Result<HandoverOverview, CoreError> {
        let keys = self.handover_keys()?;
        let policy = keys.as_ref().map(|keys| keys.roster.policy().handover_purge);
        let is_hq = keys.as_ref().is_some_and(|keys| keys.is_hq);
        let (summaries, purged) = read(self.vault_mut(), |tx| Ok((tx.case_summaries()?, tx.purged_cases()?)))?;
        let cases = summaries
            .into_iter()
            .filter(|summary| !summary.deleted)
            .map(|summary| {
                let state = HandoverState::of(summary.handover_ready_at, summary.handover_covered_at);
                let purge_due_at = match (is_hq, policy, summary.handover_covered_at) {
                    (false, Some(HandoverPurge::AfterDays(days)), Some(since)) => {
                        Some(since.saturating_add(i64::from(days.get()) * DAY_MS))
                    }
                    _ => None,
                };
                CaseHandover {
                    case_id: summary.case_id,
                    title: summary.title,
                    state,
                    ready_at: (summary.handover_ready_at != 0).then_some(summary.handover_ready_at),
                    received_at: summary.handover_covered_at,
                    purge_due_at,
                }
            })
            .collect();
        let purged = purged.into_iter().map(|(case_id, purged_at)| PurgedCase { case_id, purged_at }).collect();
        Ok(HandoverOverview { is_hq, policy, cases, purged })
    }

    /// Every receipt this vault holds, with what it is worth here.
    pub fn receipts(&mut self) -> Result<Vec<ReceiptView>, CoreError> {
        let Some(keys) = self.handover_keys()? else { return Ok(Vec::new()) };
        let names: Vec<(String, Option<String>)> = self
            .roster()?
            .map(|view| view.members.into_iter().map(|member| (member.device_id, member.name)).collect())
            .unwrap_or_default();
        let author = self.worker_name()?;
        read(self.vault_mut(), |tx| {
            let mut views = Vec::new();
            for digest in tx.digests()? {
                let case_id = digest.case_id;
                if digest.doc_id != receipts_doc_id(&case_id) {
                    continue;
                }
                for held in case_receipts(tx, &case_id, &keys.roster, &author)? {
                    let verdict = match (held.valid(), held.refused) {
                        (Some(receipt), _) if covers(tx, &case_id, receipt.coverage(), &author)? => ReceiptVerdict::Covers,
                        (Some(_), _) => ReceiptVerdict::Partial,
                        (None, code) => ReceiptVerdict::Refused(code.unwrap_or("malformed")),
                    };
                    let signer_name = names.iter().find(|(id, _)| *id == held.signer).and_then(|(_, name)| name.clone());
                    let parsed = held.parsed.as_ref();
                    views.push(ReceiptView {
                        case_id,
                        signed_by: held.signer.clone(),
                        signer_name,
                        issued_at_ms: parsed.map_or(0, Receipt::issued_at_ms),
                        documents: parsed.map_or(0, |receipt| receipt.coverage().documents.len()),
                        attachments: parsed.map_or(0, |receipt| receipt.coverage().attachments.len()),
                        verdict,
                    });
                }
            }
            Ok(views)
        })
    }
}

#[cfg(test)]
mod tests {
    use cairn_team::Role;

    use super::*;
    use crate::testing::TestTeam;

    /// A receipt for `case` covering exactly what `field` holds of it, signed by `signer`
    /// (any device's keys), planted in `field`'s receipts document under the signer's id.
    /// `tamper` may change the bytes before they are planted.
    fn plant(
        field: &mut Session,
        case: &ObjectId,
        named_case: &ObjectId,
        signer: &HandoverKeys,
        tamper: impl Fn(&mut Vec<u8>),
    ) {
        let author = field.worker_name().expect("author");
        let change_signer = field.change_signer().expect("signer");
        transact(field.vault_mut(), |tx| {
            let coverage = ReceiptCoverage {
                documents: held_documents(tx, case, &author)?,
                attachments: tx.case_blobs(case)?.addresses,
            };
            let receipt = Receipt::sign(signer.org_id, *named_case, signer.device_id, 1, coverage, &signer.signing)?;
            let mut bytes = receipt.to_bytes();
            tamper(&mut bytes);
            let receipts_id = receipts_doc_id(case);
            let mut doc: ReceiptsDoc =
                crate::cases::load_held(tx, case, &receipts_id, &author)?.unwrap_or_else(|| Document::empty(&author));
            doc.put_receipt(&id_to_hex(&signer.device_id.0), &bytes, 1)?;
            commit_doc(tx, &change_signer, case, &receipts_id, &mut doc, 1)?;
            Ok(())
        })
        .expect("plant");
    }

    fn verdicts(field: &mut Session, case: &ObjectId) -> Vec<ReceiptVerdict> {
        field.receipts().expect("receipts").into_iter().filter(|r| r.case_id == *case).map(|r| r.verdict).collect()
    }

    fn is_purged(field: &mut Session, case: &ObjectId) -> bool {
        field.handover_status().expect("status").purged.iter().any(|p| p.case_id == *case)
    }

    #[test]
    fn only_a_valid_receipt_from_a_current_hq_member_covering_everything_purges() {
        let mut team = TestTeam::new(1);
        team.hq.session.set_handover_purge(HandoverPurge::Immediately).expect("policy");
        team.distribute_roster().expect("roster");
        let second_hq = team.enroll(Role::Hq, "hq-2");
        let hq2_keys = team.device(second_hq).handover_keys().expect("keys").expect("in team");
        let field = &mut team.devices[0].session;
        let field_keys = field.handover_keys().expect("keys").expect("in team");
        let case = field.create_case("forged receipts").expect("case");
        let other = field.create_case("another case").expect("case");

        // Signed by a field device (this one): not from HQ.
        plant(field, &case, &case, &field_keys, |_| {});
        assert_eq!(field.settle_handovers().expect("settle").cases_purged, 0);
        assert_eq!(verdicts(field, &case), [ReceiptVerdict::Refused("receipt_not_from_hq")]);
        // HQ's device id with a flipped signature byte: forged.
        plant(field, &case, &case, &hq2_keys, |bytes| {
            let last = bytes.len() - 1;
            bytes[last] ^= 1;
        });
        assert_eq!(field.settle_handovers().expect("settle").cases_purged, 0);
        assert!(verdicts(field, &case).contains(&ReceiptVerdict::Refused("bad_receipt_signature")));
        // A valid receipt for another case, moved into this one.
        plant(field, &case, &other, &hq2_keys, |_| {});
        assert_eq!(field.settle_handovers().expect("settle").cases_purged, 0);
        assert!(verdicts(field, &case).contains(&ReceiptVerdict::Refused("receipt_wrong_case")));
        // Naming older heads: a valid receipt, then an edit it does not name.
        plant(field, &case, &case, &hq2_keys, |_| {});
        // (The planting itself changed only the receipts document, which no receipt names.)
        field.add_note(&case, "after the receipt", None).expect("note");
        assert_eq!(field.settle_handovers().expect("settle").cases_purged, 0);
        assert!(verdicts(field, &case).contains(&ReceiptVerdict::Partial));
        assert!(!is_purged(field, &case));

        // The control: a valid, covering receipt from a current HQ member purges.
        plant(field, &case, &case, &hq2_keys, |_| {});
        assert!(verdicts(field, &case).contains(&ReceiptVerdict::Covers));
        assert_eq!(field.settle_handovers().expect("settle").cases_purged, 1);
        assert!(is_purged(field, &case));

        // The same from a revoked HQ device purges nothing.
        plant(field, &other, &other, &hq2_keys, |_| {});
        team.revoke(second_hq);
        let field = &mut team.devices[0].session;
        assert_eq!(field.settle_handovers().expect("settle").cases_purged, 0);
        assert_eq!(verdicts(field, &other), [ReceiptVerdict::Refused("device_revoked")]);
        assert!(!is_purged(field, &other));
    }
}
