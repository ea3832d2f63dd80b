//! Handover to HQ, as the case's documents record it: the worker's "ready for handover" mark in
//! the case document, and the receipts document, where HQ devices put their signed receipts.
//!
//! The receipts document is a separate document of the case so that a receipt, which names
//! the heads of every other document, never changes what it names. Its root is a flat map from
//! the signing HQ device's id (hex) to that device's latest receipt (opaque bytes here; the
//! format is cairn-team's): no nested object, so two HQ devices writing at once never conflict.

use automerge::{ROOT, ReadDoc, ScalarValue, Value, transaction::Transactable};

use crate::{CaseDoc, Document, Millis, ModelError, types::Hydrate, types::Reconcile};

/// The root of a case's receipts document: nothing typed (the entries are read directly).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ReceiptsRecord;

impl Reconcile for ReceiptsRecord {
    type Key<'a> = autosurgeon::reconcile::NoKey;

    fn reconcile<R: autosurgeon::Reconciler>(&self, reconciler: R) -> Result<(), R::Error> {
        // The root is written only through `put_receipt`; reconciling leaves it as it is.
        let _ = reconciler;
        Ok(())
    }
}

impl Hydrate for ReceiptsRecord {
    fn hydrate_map<D: autosurgeon::ReadDoc>(_doc: &D, _obj: &automerge::ObjId) -> Result<Self, autosurgeon::HydrateError> {
        Ok(ReceiptsRecord)
    }
}

/// A case's receipts document.
pub type ReceiptsDoc = Document<ReceiptsRecord>;

/// Longest receipt the document accepts (cairn-team bounds the format well below this).
pub const MAX_RECEIPT_BYTES: usize = 8 * 1024 * 1024;

impl Document<ReceiptsRecord> {
    /// Puts `receipt` as the latest receipt of the HQ device `signer_hex`, replacing its
    /// earlier one. The bytes are checked by cairn-team before and after; here they are opaque.
    pub fn put_receipt(&mut self, signer_hex: &str, receipt: &[u8], now: Millis) -> Result<(), ModelError> {
        if signer_hex.is_empty() || receipt.is_empty() || receipt.len() > MAX_RECEIPT_BYTES {
            return Err(ModelError::ReceiptInvalid);
        }
        self.doc.put(ROOT, signer_hex, ScalarValue::Bytes(receipt.to_vec()))?;
        self.commit(now);
        Ok(())
    }

    /// Every receipt the document holds, by signer (hex id), including every value of a key
    /// in conflict (each is verified on its own by the caller). Non-byte values are skipped.
    pub fn receipts(&self) -> Vec<(String, Vec<u8>)> {
        let mut out = Vec::new();
        for key in self.doc.keys(ROOT) {
            let Ok(values) = self.doc.get_all(ROOT, key.as_str()) else { continue };
            for (value, _) in values {
                if let Value::Scalar(scalar) = value
                    && let ScalarValue::Bytes(bytes) = scalar.as_ref()
                {
                    out.push((key.clone(), bytes.clone()));
                }
            }
        }
        out
    }
}

impl CaseDoc {
    /// Marks the case ready for handover to HQ at `now` (`ready` false clears the mark).
    pub fn set_ready_for_handover(&mut self, ready: bool, now: Millis) -> Result<(), ModelError> {
        self.doc.put(ROOT, "handover_ready_at", if ready { now.max(1) } else { 0 })?;
        self.commit(now);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn receipts_from_two_hq_devices_merge_without_conflict_and_replace_their_own() {
        let mut one: ReceiptsDoc = Document::empty("hq-1");
        one.put_receipt("aa", b"first receipt", 1).expect("put");
        let mut two = one.fork("hq-2");
        one.put_receipt("aa", b"newer receipt", 2).expect("put");
        two.put_receipt("bb", b"other device", 2).expect("put");
        one.merge(&mut two).expect("merge");
        let mut receipts = one.receipts();
        receipts.sort();
        assert_eq!(receipts, [("aa".to_owned(), b"newer receipt".to_vec()), ("bb".to_owned(), b"other device".to_vec())]);
        assert!(one.put_receipt("aa", b"", 3).is_err());
        assert!(one.put_receipt("", b"x", 3).is_err());
    }

    #[test]
    fn the_ready_mark_is_set_and_cleared() {
        let mut case = CaseDoc::new_case("t", "worker", 5).expect("case");
        assert_eq!(case.record().expect("record").handover_ready_at, 0);
        case.set_ready_for_handover(true, 7).expect("ready");
        assert_eq!(case.record().expect("record").handover_ready_at, 7);
        case.set_ready_for_handover(false, 8).expect("not ready");
        assert_eq!(case.record().expect("record").handover_ready_at, 0);
    }
}
