//! Conflicts: concurrent values of one field, listed, resolved by keeping one, or merged by a
//! typed value. Both are saved as ordinary edits, so they reach other devices like any other.

use cairn_model::{ObjectId, ObjectKind, TestimonyDoc};

use super::{
    CaseConflict,
    pipeline::{commit_doc, load_doc, now_ms, owner, read, transact},
};
use crate::{CoreError, Session};

impl Session {
    /// Every unresolved conflict in a case's documents.
    pub fn conflicts(&mut self, case_id: &ObjectId) -> Result<Vec<CaseConflict>, CoreError> {
        Ok(self.open_case(case_id)?.conflicts)
    }

    /// Resolves a conflict by keeping value number `choice` of [`Conflict::values`](cairn_model::Conflict::values). The
    /// choice is saved as an ordinary edit, so it reaches other devices like any other. A
    /// conflict between sealed identity values is refused (`identity_sealed`) unless this
    /// device opens every value (HQ).
    pub fn resolve_conflict(
        &mut self,
        case_id: &ObjectId,
        document_id: &ObjectId,
        path: &str,
        choice: usize,
    ) -> Result<(), CoreError> {
        if document_id == case_id {
            // Keeping a sealed identity value writes its bytes back as they are; only a device
            // that opens every value may choose between them (HQ).
            self.check_identity_conflict(case_id, path)?;
            return self.edit_case(case_id, |doc, _, now| doc.resolve_conflict(path, choice, now));
        }
        let belongs = read(self.vault_mut(), |tx| Ok(owner(tx, document_id, ObjectKind::Testimony)? == *case_id))?;
        if !belongs {
            return Err(CoreError::NotFound(ObjectKind::Testimony.as_str()));
        }
        self.edit_testimony(document_id, |doc, now| doc.resolve_conflict(path, choice, now))
    }

    /// Settles a conflict on a single text field with a value the worker typed (for example
    /// both values joined). The path must name a field an edit can change (see
    /// [`CaseConflict::mergeable`]); the value is checked as that edit would check it. Saved
    /// as an ordinary edit, so the merge reaches other devices like any other.
    pub fn merge_conflict(
        &mut self,
        case_id: &ObjectId,
        document_id: &ObjectId,
        path: &str,
        value: &str,
    ) -> Result<(), CoreError> {
        if document_id == case_id {
            let keys = self.check_identity_conflict(case_id, path)?;
            return self.edit_case(case_id, |doc, _, now| doc.merge_conflict(path, value, &mut keys.sealer(case_id), now));
        }
        let author = self.worker_name()?;
        let signer = self.change_signer()?;
        let now = now_ms();
        transact(self.vault_mut(), |tx| {
            if owner(tx, document_id, ObjectKind::Testimony)? != *case_id {
                return Err(CoreError::NotFound(ObjectKind::Testimony.as_str()));
            }
            let mut doc: TestimonyDoc = load_doc(tx, case_id, document_id, &author)?;
            doc.merge_conflict(path, value, now)?;
            commit_doc(tx, &signer, case_id, document_id, &mut doc, now)?;
            Ok(())
        })
    }
}

#[cfg(test)]
mod tests {
    use cairn_model::{CaseDoc, CaseField, DocumentKind};

    use super::*;
    use crate::cases::test_support::session;

    #[test]
    fn concurrent_values_are_reported_and_resolved_through_the_session() {
        let (_dir, mut session) = session();
        session.set_worker_name("Worker A").expect("name");
        let case = session.create_case("Original").expect("case");
        // A second device's concurrent edit, as sync will deliver it: a chunk made from the
        // same starting state by another worker.
        let mut other: CaseDoc = read(session.vault_mut(), |tx| load_doc(tx, &case, &case, "Worker B")).expect("load");
        let mut other = other.fork("Worker B");
        other.set_field(CaseField::Title, "Title from B", 1_000).expect("b edit");
        session.set_case_field(&case, CaseField::Title, "Title from A").expect("a edit");
        let change = other.take_changes().expect("one change");
        // Delivered as sync and bundles deliver: stored, and the document's digest moved.
        transact(session.vault_mut(), |tx| {
            crate::cases::pipeline::apply_remote_changes::<cairn_model::CaseRecord>(
                tx,
                &case,
                &case,
                &[change],
                &[None],
                "Worker A",
                2_000,
            )?;
            Ok(())
        })
        .expect("deliver");
        let conflicts = session.conflicts(&case).expect("conflicts");
        assert_eq!(conflicts.len(), 1);
        let conflict = &conflicts[0];
        assert_eq!(
            (conflict.document_kind, conflict.document_id, conflict.conflict.path.as_str()),
            (DocumentKind::Case, case, "title")
        );
        let mut values: Vec<(&str, &str)> =
            conflict.conflict.values.iter().map(|v| (v.value.as_str(), v.by.as_str())).collect();
        values.sort();
        assert_eq!(values, [("Title from A", "Worker A"), ("Title from B", "Worker B")]);
        assert!(conflict.conflict.values.iter().any(|v| v.at == 1_000));
        let choice = conflict.conflict.values.iter().position(|v| v.value == "Title from B").expect("B");
        session.resolve_conflict(&case, &case, "title", choice).expect("resolve");
        assert!(session.conflicts(&case).expect("after").is_empty());
        let listed = &session.list_cases().expect("list")[0];
        assert_eq!((listed.title.as_str(), listed.conflicts), ("Title from B", 0));
    }
}
