//! Creating, listing, opening and deleting cases.

use cairn_model::{CaseDoc, CaseField, DocumentKind, ObjectId, TestimonyDoc, parse_id};
use cairn_store::DocDigest;

use super::{
    CaseConflict, CaseSummary, CaseView,
    pipeline::{commit_doc, load_doc, new_id, now_ms, read, transact},
    views::summary_from_row,
};
use crate::{CoreError, Session};

impl Session {
    /// Creates a case (status draft, risk high) and returns its id.
    pub fn create_case(&mut self, title: &str) -> Result<ObjectId, CoreError> {
        let author = self.worker_name()?;
        let now = now_ms();
        let mut doc = CaseDoc::new_case(title, &author, now)?;
        let case_id = new_id();
        transact(self.vault_mut(), |tx| {
            tx.create_case_key(&case_id)?;
            commit_doc(tx, &case_id, &case_id, &mut doc, now)?;
            Ok(())
        })?;
        Ok(case_id)
    }

    /// Every case, most recently changed first (no document is opened).
    pub fn list_cases(&mut self) -> Result<Vec<CaseSummary>, CoreError> {
        let rows = read(self.vault_mut(), |tx| Ok(tx.case_summaries()?))?;
        Ok(rows.into_iter().map(summary_from_row).collect())
    }

    /// Opens a whole case: the case document, its testimonies and its conflicts.
    pub fn open_case(&mut self, case_id: &ObjectId) -> Result<CaseView, CoreError> {
        let author = self.worker_name()?;
        read(self.vault_mut(), |tx| {
            let mut doc: CaseDoc = load_doc(tx, case_id, case_id, &author)?;
            let record = doc.record()?;
            let mut conflicts: Vec<CaseConflict> = doc
                .conflicts()?
                .into_iter()
                .map(|conflict| CaseConflict { document_id: *case_id, document_kind: DocumentKind::Case, conflict })
                .collect();
            let mut testimonies = Vec::new();
            for key in record.testimonies.keys() {
                let testimony_id = parse_id(key)?;
                let mut testimony: TestimonyDoc = load_doc(tx, case_id, &testimony_id, &author)?;
                conflicts.extend(testimony.conflicts()?.into_iter().map(|conflict| CaseConflict {
                    document_id: testimony_id,
                    document_kind: DocumentKind::Testimony,
                    conflict,
                }));
                testimonies.push((testimony_id, testimony.record()?));
            }
            let updated_at = tx.case_summary(case_id)?.map_or(record.created_at, |summary| summary.updated_at);
            Ok(CaseView { id: *case_id, record, testimonies, conflicts, updated_at })
        })
    }

    /// that field.
    pub fn set_case_field(&mut self, case_id: &ObjectId, field: CaseField, value: &str) -> Result<(), CoreError> {
        self.edit_case(case_id, |doc, _, now| doc.set_field(field, value, now))
    }

    /// Crypto-shreds a case: its keys, chunks, blobs, digests, summary and search rows are
    /// deleted in one transaction.
    pub fn delete_case(&mut self, case_id: &ObjectId) -> Result<(), CoreError> {
        transact(self.vault_mut(), |tx| {
            tx.delete_case(case_id)?;
            tx.forget_case(case_id)?;
            Ok(())
        })
    }

    /// The case an object (person, testimony, event, act, note, attachment) belongs to.
    pub fn case_of(&mut self, object_id: &ObjectId) -> Result<ObjectId, CoreError> {
        read(self.vault_mut(), |tx| Ok(tx.case_object(object_id)?.ok_or(CoreError::NotFound("object"))?.0))
    }

    /// The digests of a case's documents (what sync compares).
    pub fn case_digests(&mut self, case_id: &ObjectId) -> Result<Vec<DocDigest>, CoreError> {
        read(self.vault_mut(), |tx| Ok(tx.case_digests(case_id)?))
    }
}
