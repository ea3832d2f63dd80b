//! Creating, listing, opening and deleting cases.

use std::collections::BTreeMap;

use cairn_model::{CaseDoc, CaseField, Document, DocumentKind, ObjectId, TestimonyRecord, parse_id};
use cairn_store::DocDigest;
use cairn_store::VaultTx;

use super::{
    CaseConflict, CaseSummary, CaseView,
    pipeline::{DocRoot, commit_doc, current_hot, keep_hot, load_for_edit, load_held, new_id, now_ms, read, transact},
    views::summary_from_row,
};
use crate::{CoreError, Session};

/// A document whose changes have all arrived, or `None` while it is missing or incomplete
/// (its root not whole yet). A damaged log is still an error.
fn load_arrived<R: DocRoot>(
    tx: &VaultTx<'_>,
    case_id: &ObjectId,
    doc_id: &ObjectId,
    author: &str,
) -> Result<Option<Document<R>>, CoreError> {
    Ok(load_held::<R>(tx, case_id, doc_id, author)?.filter(|doc| doc.record().is_ok()))
}

impl Session {
    /// Creates a case (status draft, risk high) and returns its id.
    pub fn create_case(&mut self, title: &str) -> Result<ObjectId, CoreError> {
        let author = self.worker_name()?;
        let signer = self.change_signer()?;
        let now = now_ms();
        let mut doc = CaseDoc::new_case(title, &author, now)?;
        let case_id = new_id();
        transact(self.vault_mut(), |tx| {
            tx.create_case_key(&case_id)?;
            commit_doc(tx, &signer, &case_id, &case_id, &mut doc, now)?;
            Ok(())
        })?;
        Ok(case_id)
    }

    /// Every case, most recently changed first (no document is opened).
    pub fn list_cases(&mut self) -> Result<Vec<CaseSummary>, CoreError> {
        let rows = read(self.vault_mut(), |tx| Ok(tx.case_summaries()?))?;
        Ok(rows.into_iter().map(summary_from_row).collect())
    }

    /// Opens a whole case: the case document, its testimonies and its conflicts. Conflicting
    /// identity values this device opens are shown as text; the others stay sealed (see
    /// [`CaseConflict::sealed`]).
    pub fn open_case(&mut self, case_id: &ObjectId) -> Result<CaseView, CoreError> {
        let author = self.worker_name()?;
        let keys = self.identity_keys(false)?;
        // The documents read stay loaded for the edits and the reopening that follow an open.
        let mut hot_docs = std::mem::take(&mut self.hot_docs);
        let mut read_docs = Vec::new();
        let opened = read(self.vault_mut(), |tx| {
            // Documents kept in memory open no chunk: a damaged case key must still be
            // reported, as a read from the chunks would.
            tx.check_case_keys(case_id).map_err(|error| match error {
                cairn_store::StoreError::NotFound { .. } => CoreError::NotFound("case"),
                other => other.into(),
            })?;
            let mut doc: CaseDoc = load_for_edit(tx, hot_docs.take(case_id), case_id, case_id, &author)?;
            let record = doc.record()?;
            let mut conflicts: Vec<CaseConflict> = doc
                .conflicts()?
                .into_iter()
                .map(|conflict| CaseConflict { document_id: *case_id, document_kind: DocumentKind::Case, conflict })
                .collect();
            let mut testimonies = Vec::new();
            let mut arriving_testimonies = Vec::new();
            let mut document_heads = vec![(*case_id, doc.heads())];
            for key in record.testimonies.keys() {
                let testimony_id = parse_id(key)?;
                // Sync sends a case's documents independently: the case document may list a
                // testimony whose own changes are still on their way (or wait for earlier ones).
                let held = match current_hot(tx, hot_docs.take(&testimony_id), case_id, &testimony_id, &author)? {
                    Some(testimony) => Some(testimony),
                    None => load_arrived::<TestimonyRecord>(tx, case_id, &testimony_id, &author)?,
                };
                let Some(mut testimony) = held else {
                    arriving_testimonies.push(testimony_id);
                    continue;
                };
                conflicts.extend(testimony.conflicts()?.into_iter().map(|conflict| CaseConflict {
                    document_id: testimony_id,
                    document_kind: DocumentKind::Testimony,
                    conflict,
                }));
                document_heads.push((testimony_id, testimony.heads()));
                testimonies.push((testimony_id, testimony.record()?));
                read_docs.push(keep_hot(&testimony_id, &author, testimony));
            }
            let mut arriving_attachments = Vec::new();
            for (key, reference) in &record.attachments {
                let blob_id = parse_id(&reference.blob_id)?;
                match tx.blob_info(&blob_id) {
                    Err(cairn_store::StoreError::NotFound { .. }) => arriving_attachments.push(parse_id(key)?),
                    other => drop(other?),
                }
            }
            let updated_at = tx.case_summary(case_id)?.map_or(record.created_at, |summary| summary.updated_at);
            for conflict in &mut conflicts {
                keys.open_conflict(case_id, conflict)?;
            }
            let mut identity_sealed = BTreeMap::new();
            for (key, person) in &record.persons {
                let Ok(person_id) = parse_id(key) else { continue };
                let sealed = keys.reveal(case_id, &person_id, &person.identity)?.sealed;
                if !sealed.is_empty() {
                    identity_sealed.insert(key.clone(), sealed);
                }
            }
            read_docs.push(keep_hot(case_id, &author, doc));
            Ok(CaseView {
                id: *case_id,
                record,
                identity_sealed,
                testimonies,
                conflicts,
                arriving_testimonies,
                arriving_attachments,
                document_heads,
                updated_at,
            })
        });
        self.hot_docs = hot_docs;
        if opened.is_ok() {
            for hot in read_docs {
                self.hot_docs.keep(hot);
            }
        }
        opened
    }

    /// that field.
    pub fn set_case_field(&mut self, case_id: &ObjectId, field: CaseField, value: &str) -> Result<(), CoreError> {
        self.edit_case(case_id, |doc, _, now| doc.set_field(field, value, now))
    }

    /// Crypto-shreds a case: its keys, chunks, blobs, digests, summary and search rows are
    /// deleted in one transaction. On a team member's device the same transaction keeps the
    /// signed deletion (a tombstone: the case id only), which syncs to every peer so the case
    /// is destroyed there too and never comes back.
    pub fn delete_case(&mut self, case_id: &ObjectId) -> Result<(), CoreError> {
        self.hot_docs.clear();
        let tombstone = self.sign_tombstone(case_id)?;
        transact(self.vault_mut(), |tx| {
            tx.delete_case(case_id)?;
            tx.forget_case(case_id)?;
            if let Some(tombstone) = &tombstone {
                tx.put_tombstone(case_id, tombstone)?;
            }
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

#[cfg(test)]
mod tests {
    use cairn_model::{NewAct, NewEvent, NewPerson, TestimonyDoc, id_to_hex};
    use cairn_store::CaseSummaryRow;

    use super::*;
    use crate::cases::{
        DocumentKind,
        pipeline::{load_doc, transact},
        test_support::session,
    };

    #[test]
    fn the_case_list_is_computed_by_the_write_path_from_every_document() {
        let (vault, mut session) = session();
        let case = session.create_case("Listed").expect("case");
        session.set_case_field(&case, CaseField::Tags, "detention, border, detention").expect("tags");
        let person = session.add_person(&case, &NewPerson { pseudonym: "V".into(), ..NewPerson::default() }).expect("p");
        let event = NewEvent {
            title: "Held".into(),
            date_start: "2019-03".into(),
            date_end: "2019-06-02".into(),
            ..NewEvent::default()
        };
        let event = session.add_event(&case, &event).expect("event");
        let act = NewAct { act_type: "arbitrary_detention".into(), victim: id_to_hex(&person), ..NewAct::default() };
        session.add_act(&event, &act).expect("act");
        let early = NewEvent { title: "Crossed".into(), date_start: "2018".into(), ..NewEvent::default() };
        session.add_event(&case, &early).expect("early");
        let testimony = cairn_model::NewTestimony {
            source_person: id_to_hex(&person),
            language: "ko".into(),
            ..cairn_model::NewTestimony::default()
        };
        let testimony = session.add_testimony(&case, &testimony).expect("testimony");
        // A conflict in the testimony document (not the case document) counts too.
        let author = session.worker_name().expect("author");
        let mut other: TestimonyDoc =
            read(session.vault_mut(), |tx| load_doc(tx, &case, &testimony, &author)).expect("load").fork("Worker B");
        let base = other.heads();
        other
            .edit_metadata(
                &session.open_case(&case).expect("open").record,
                &cairn_model::TestimonyEdit { interviewer: Some("B".into()), ..Default::default() },
                1,
            )
            .expect("b");
        session
            .edit_testimony_metadata(
                &testimony,
                &cairn_model::TestimonyEdit { interviewer: Some("A".into()), ..Default::default() },
            )
            .expect("a");
        let doc = cairn_sync::DocRef { case_id: case, doc_id: testimony };
        session.apply_peer_changes(&doc, &other.changes_since(&base)).expect("peer");
        let listed = session.list_cases().expect("list").remove(0);
        assert_eq!(listed.tags, ["detention", "border"]);
        assert_eq!(listed.act_types, ["arbitrary_detention"]);
        assert_eq!((listed.first_date.as_deref(), listed.last_date.as_deref()), (Some("2018"), Some("2019-06-02")));
        assert_eq!((listed.counts.events, listed.counts.acts, listed.counts.testimonies), (2, 1, 1));
        let view = session.open_case(&case).expect("open");
        assert_eq!(listed.conflicts as usize, view.conflicts.len());
        assert_eq!(view.conflicts[0].document_kind, DocumentKind::Testimony);

        // A vault upgraded from a version without these columns rebuilds them once, at unlock,
        // keeping the times.
        transact(session.vault_mut(), |tx| {
            let mut bare = tx.case_summary(&case)?.expect("summary");
            bare = CaseSummaryRow { tags: Vec::new(), act_types: Vec::new(), acts: 0, first_date: String::new(), ..bare };
            tx.put_case_summary(&bare)?;
            tx.set_doc_conflicts(&case, &testimony, 0)?;
            tx.put_case_setting("summaries_stale", "1")?;
            Ok(())
        })
        .expect("downgrade");
        assert_ne!(session.list_cases().expect("list")[0], listed);
        session.lock();
        let mut session = vault.reopen();
        assert_eq!(session.list_cases().expect("list")[0], listed);
        assert_eq!(read(session.vault_mut(), |tx| Ok(tx.case_setting("summaries_stale")?)).expect("mark"), None);
    }
}
