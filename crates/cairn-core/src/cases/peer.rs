//! What sync needs from the case store: reconciliation items, a document's heads, the changes
//! a peer lacks, and changes received from a peer, applied through the same write path as a
//! local edit (`pipeline::apply_remote_changes`), so a person, note or testimony that arrives
//! from a peer is listed, indexed and searchable exactly like one made here.

use cairn_crypto::ContentHasher;
use cairn_model::{CaseRecord, ObjectId};
use cairn_store::StoreError;
use cairn_sync::{DocRef, Item, ItemId, ItemKind};

use super::{
    CaseError,
    pipeline::{apply_remote_any, load_held, now_ms, read, transact},
};
use crate::{CoreError, Session};

/// How many recent change hashes a want names beside the heads (see
/// `cairn_sync::SyncStore::want_hashes`): 8 × 32 bytes per differing document.
pub const RECENT_HASHES: usize = 8;

/// Most changes one call may apply (a peer's message is bounded well below this).
pub const MAX_PEER_CHANGES: usize = 100_000;

/// The reconciliation item id of a tombstone: the case id, then the first 16 bytes of
/// SHA-256(`"cairn/sync-tombstone/v1"` ‖ case id). A tombstone never changes, so neither does
/// its id.
pub fn tombstone_item_id(case_id: &ObjectId) -> ItemId {
    let mut hasher = ContentHasher::new();
    hasher.update(b"cairn/sync-tombstone/v1");
    hasher.update(case_id);
    let digest = hasher.finish();
    let mut id = [0u8; 32];
    id[..16].copy_from_slice(case_id);
    id[16..].copy_from_slice(&digest[..16]);
    id
}

/// The reconciliation item id of a document: its id, then the first 16 bytes of
/// SHA-256(`"cairn/sync-item/v1"` ‖ case id ‖ heads hash). Every device holding the same
/// document at the same heads derives the same id; no clock is involved.
pub fn document_item_id(case_id: &ObjectId, doc_id: &ObjectId, heads_hash: &[u8; 32]) -> ItemId {
    let mut hasher = ContentHasher::new();
    hasher.update(b"cairn/sync-item/v1");
    hasher.update(case_id);
    hasher.update(heads_hash);
    let digest = hasher.finish();
    let mut id = [0u8; 32];
    id[..16].copy_from_slice(doc_id);
    id[16..].copy_from_slice(&digest[..16]);
    id
}

impl Session {
    /// One reconciliation item per document this vault holds and one per deleted case, read
    /// from the stored digests and tombstones (no document is opened). The documents of a
    /// deleted case an HQ vault keeps archived are not offered.
    pub fn sync_items(&mut self) -> Result<Vec<Item>, CoreError> {
        let (digests, deleted, purged) =
            read(self.vault_mut(), |tx| Ok((tx.digests()?, tx.tombstoned_cases()?, tx.purged_documents()?)))?;
        let documents =
            digests.into_iter().filter(|digest| deleted.binary_search(&digest.case_id).is_err()).map(|digest| Item {
                id: document_item_id(&digest.case_id, &digest.doc_id, &digest.heads_hash),
                kind: ItemKind::Document(DocRef { case_id: digest.case_id, doc_id: digest.doc_id }),
            });
        let tombstones = deleted
            .iter()
            .map(|case_id| Item { id: tombstone_item_id(case_id), kind: ItemKind::Tombstone { case_id: *case_id } });
        // A purged case's documents count as held at the heads HQ confirmed, so a peer that
        // holds no more offers nothing and one that holds more is not asked for it.
        let purged = purged.into_iter().map(|purged| Item {
            id: document_item_id(&purged.case_id, &purged.doc_id, &purged.heads_hash),
            kind: ItemKind::Document(DocRef { case_id: purged.case_id, doc_id: purged.doc_id }),
        });
        Ok(documents.chain(purged).chain(tombstones).collect())
    }

    /// The vault-wide change sequence number of the latest document write.
    pub fn change_seq(&mut self) -> Result<u64, CoreError> {
        read(self.vault_mut(), |tx| Ok(tx.change_seq()?))
    }

    /// The current heads of one document (sorted), or `None` when this vault does not hold it.
    pub fn document_heads(&mut self, doc: &DocRef) -> Result<Option<Vec<[u8; 32]>>, CoreError> {
        let author = self.worker_name()?;
        read(self.vault_mut(), |tx| {
            Ok(match load_held::<CaseRecord>(tx, &doc.case_id, &doc.doc_id, &author)? {
                Some(mut loaded) => Some(loaded.heads()),
                None => tx.purged_document(&doc.doc_id)?.map(|purged| purged.heads),
            })
        })
    }

    /// A document's heads and up to [`RECENT_HASHES`] hashes of its latest changes before them:
    /// what this vault names when it asks a peer for the document's changes.
    pub fn document_want_hashes(&mut self, doc: &DocRef) -> Result<Vec<[u8; 32]>, CoreError> {
        let author = self.worker_name()?;
        read(self.vault_mut(), |tx| {
            Ok(match load_held::<CaseRecord>(tx, &doc.case_id, &doc.doc_id, &author)? {
                Some(mut loaded) => loaded.heads_and_recent(RECENT_HASHES),
                None => tx.purged_document(&doc.doc_id)?.map(|purged| purged.heads).unwrap_or_default(),
            })
        })
    }

    /// Whether this vault holds every change `heads` names in one document (`false` when it
    /// does not hold the document).
    pub fn document_holds(&mut self, doc: &DocRef, heads: &[[u8; 32]]) -> Result<bool, CoreError> {
        let author = self.worker_name()?;
        read(self.vault_mut(), |tx| {
            Ok(match load_held::<CaseRecord>(tx, &doc.case_id, &doc.doc_id, &author)? {
                Some(mut loaded) => loaded.holds(heads),
                // A purged document holds exactly the heads it was purged at (their ancestors
                // are unknown here, so anything else counts as not held).
                None => {
                    tx.purged_document(&doc.doc_id)?.is_some_and(|purged| heads.iter().all(|h| purged.heads.contains(h)))
                }
            })
        })
    }

    /// The changes of one document that a peer holding `their_heads` lacks, as raw Automerge
    /// changes (heads unknown here are ignored, so the result may be a superset).
    pub fn document_changes_since(&mut self, doc: &DocRef, their_heads: &[[u8; 32]]) -> Result<Vec<Vec<u8>>, CoreError> {
        let changes = self.document_changes_with_custody(doc, their_heads)?;
        Ok(changes.into_iter().map(|(change, _)| change).collect())
    }

    /// [`Session::document_changes_since`], each change with the custody recorded for it (what
    /// leaves with it: the author's signature, never this relaying device's).
    pub(crate) fn document_changes_with_custody(
        &mut self,
        doc: &DocRef,
        their_heads: &[[u8; 32]],
    ) -> Result<Vec<super::custody::CustodiedChange>, CoreError> {
        let author = self.worker_name()?;
        read(self.vault_mut(), |tx| {
            let mut loaded =
                load_held::<CaseRecord>(tx, &doc.case_id, &doc.doc_id, &author)?.ok_or(CoreError::NotFound("document"))?;
            loaded
                .hashed_changes_since(their_heads)
                .into_iter()
                .map(|(hash, change)| Ok((change, super::custody::recorded(tx, &doc.doc_id, &hash)?)))
                .collect()
        })
    }

    /// Applies changes of one document received from a peer, in one transaction, through the
    /// write path every local edit takes. The case must be held here (its key arrives before
    /// its changes). Raw changes carry no custody: the trail lists them as unsigned. Returns
    /// whether the document changed.
    pub fn apply_peer_changes(&mut self, doc: &DocRef, changes: &[Vec<u8>]) -> Result<bool, CoreError> {
        if changes.len() > MAX_PEER_CHANGES {
            return Err(CaseError::Invalid(cairn_model::ModelError::DocumentUnreadable).into());
        }
        let author = self.worker_name()?;
        let now = now_ms();
        transact(self.vault_mut(), |tx| {
            match tx.case_key(&doc.case_id) {
                Ok(_) => {}
                Err(StoreError::NotFound { .. }) => return Err(CoreError::NotFound("case")),
                Err(error) => return Err(error.into()),
            }
            apply_remote_any(tx, &doc.case_id, &doc.doc_id, changes, &[], &author, now)
        })
    }
}

#[cfg(test)]
mod tests {
    use cairn_model::{CaseDoc, CaseField, Document, NewPerson, NewTestimony, TestimonyDoc, id_to_hex};

    use super::*;
    use crate::cases::{
        pipeline::load_doc,
        test_support::{chunk_count, digest_of, session},
    };

    /// A second replica of a stored document, as another device would hold it.
    fn replica<R: super::super::pipeline::DocRoot>(session: &mut Session, doc: &DocRef, author: &str) -> Document<R> {
        read(session.vault_mut(), |tx| load_doc(tx, &doc.case_id, &doc.doc_id, author)).expect("load").fork(author)
    }

    #[test]
    fn a_person_from_a_peer_is_indexed_like_a_local_one() {
        let (_vault, mut session) = session();
        let case = session.create_case("Peer edits").expect("case");
        let doc = DocRef { case_id: case, doc_id: case };
        let before = digest_of(&mut session, &case, &case);
        let items_before = session.sync_items().expect("items");
        let mut other: CaseDoc = replica(&mut session, &doc, "Worker B");
        let base = other.heads();
        let person = cairn_crypto::random_id();
        let keys = session.identity_keys(false).expect("keys");
        let new = NewPerson { pseudonym: "PEER-7".into(), ..NewPerson::default() };
        other.add_person(&person, &new, &mut keys.sealer(&case), 5).expect("person");
        let changes = other.changes_since(&base);
        assert!(session.apply_peer_changes(&doc, &changes).expect("apply"));
        // Found by id alone, counted, searchable, editable: the object index and the summary
        // were rebuilt from the document's state.
        assert_eq!(session.case_of(&person).expect("owner"), case);
        assert_eq!(session.list_cases().expect("list")[0].counts.persons, 1);
        assert_eq!(session.search("PEER-7", 10).expect("search").len(), 1);
        session
            .edit_person(&person, &cairn_model::PersonEdit { pseudonym: Some("PEER-8".into()), ..Default::default() })
            .expect("edit");
        // The digest, the change sequence and the item moved; applying again changes nothing.
        let after = digest_of(&mut session, &case, &case);
        assert_ne!(after.heads_hash, before.heads_hash);
        assert!(after.change_seq > before.change_seq);
        assert_ne!(session.sync_items().expect("items"), items_before);
        let chunks = chunk_count(&mut session, &case, &case);
        assert!(!session.apply_peer_changes(&doc, &changes).expect("again"));
        assert_eq!(chunk_count(&mut session, &case, &case), chunks, "nothing written twice");
    }

    #[test]
    fn a_new_testimony_document_from_a_peer_opens_with_its_case() {
        let (_vault, mut session) = session();
        let case = session.create_case("Peer testimony").expect("case");
        let person = session.add_person(&case, &NewPerson { pseudonym: "K".into(), ..NewPerson::default() }).expect("p");
        let doc = DocRef { case_id: case, doc_id: case };
        let mut other: CaseDoc = replica(&mut session, &doc, "Worker B");
        let base = other.heads();
        let testimony_id = cairn_crypto::random_id();
        let new = NewTestimony {
            source_person: id_to_hex(&person),
            language: "ko".into(),
            narrative: "동료 기기에서 온 진술".into(),
            ..NewTestimony::default()
        };
        let mut testimony = TestimonyDoc::new_testimony(&case, &other.record().expect("r"), &new, "Worker B", 9).expect("t");
        other.add_testimony_ref(&testimony_id, 9).expect("ref");
        let testimony_doc = DocRef { case_id: case, doc_id: testimony_id };
        // The case's reference arrives first: the case opens, the testimony marked arriving.
        assert!(session.apply_peer_changes(&doc, &other.changes_since(&base)).expect("case"));
        let view = session.open_case(&case).expect("open before the testimony arrived");
        assert_eq!((view.testimonies.len(), view.arriving_testimonies.as_slice()), (0, [testimony_id].as_slice()));
        // Once its changes arrive, it opens with the case.
        let changes = testimony.changes_since(&[]);
        assert!(session.apply_peer_changes(&testimony_doc, &changes).expect("testimony"));
        let view = session.open_case(&case).expect("open");
        assert!(view.arriving_testimonies.is_empty());
        assert_eq!(view.testimonies.len(), 1);
        assert_eq!(view.testimonies[0].1.narrative.as_str(), "동료 기기에서 온 진술");
        assert_eq!(session.case_of(&testimony_id).expect("owner"), case);
        assert_eq!(session.search("진술", 10).expect("search").len(), 1);
        assert_eq!(session.sync_items().expect("items").len(), 2);
        assert_eq!(session.document_heads(&testimony_doc).expect("heads"), Some(testimony.heads()));
    }

    #[test]
    fn changes_waiting_for_dependencies_are_kept_and_apply_later() {
        let (vault, mut session) = session();
        let case = session.create_case("Out of order").expect("case");
        let doc = DocRef { case_id: case, doc_id: case };
        let mut other: CaseDoc = replica(&mut session, &doc, "Worker B");
        let base = other.heads();
        other.set_field(CaseField::Title, "first", 1).expect("first");
        other.set_field(CaseField::Title, "second", 2).expect("second");
        let changes = other.changes_since(&base);
        let digest = digest_of(&mut session, &case, &case);
        // The second change alone waits: stored, but the document (and its digest) unchanged.
        assert!(!session.apply_peer_changes(&doc, &changes[1..]).expect("orphan"));
        assert_eq!(digest_of(&mut session, &case, &case).heads_hash, digest.heads_hash);
        assert_eq!(session.open_case(&case).expect("open").record.title, "Out of order");
        // It survives locking; when its dependency arrives, both apply.
        session.lock();
        let mut session = vault.reopen();
        assert!(session.apply_peer_changes(&doc, &changes[..1]).expect("dependency"));
        assert_eq!(session.open_case(&case).expect("open").record.title, "second");
        assert_eq!(session.list_cases().expect("list")[0].title, "second");
    }

    #[test]
    fn damaged_or_misaddressed_changes_change_nothing() {
        let (_vault, mut session) = session();
        let case = session.create_case("Refusals").expect("case");
        let doc = DocRef { case_id: case, doc_id: case };
        let mut other: CaseDoc = replica(&mut session, &doc, "Worker B");
        let base = other.heads();
        other.set_field(CaseField::Title, "changed", 1).expect("edit");
        let mut changes = other.changes_since(&base);
        let chunks = chunk_count(&mut session, &case, &case);
        let last = changes[0].len() - 1;
        changes[0][last] ^= 1;
        assert_eq!(session.apply_peer_changes(&doc, &changes).expect_err("damaged").code(), "case_document_unreadable");
        assert_eq!(chunk_count(&mut session, &case, &case), chunks);
        let unknown = DocRef { case_id: cairn_crypto::random_id(), doc_id: cairn_crypto::random_id() };
        assert_eq!(session.apply_peer_changes(&unknown, &changes).expect_err("unknown case").code(), "not_found");
        assert_eq!(session.document_heads(&unknown).expect("heads"), None);
        assert_eq!(session.open_case(&case).expect("open").record.title, "Refusals");
    }

    #[test]
    fn an_edit_made_on_an_older_version_keeps_what_arrived_meanwhile() {
        let (_vault, mut session) = session();
        let case = session.create_case("Base").expect("case");
        let person = session.add_person(&case, &NewPerson { pseudonym: "K".into(), ..NewPerson::default() }).expect("p");
        let new = NewTestimony {
            source_person: id_to_hex(&person),
            language: "ko".into(),
            narrative: "가운데".into(),
            ..NewTestimony::default()
        };
        let testimony = session.add_testimony(&case, &new).expect("testimony");
        // The editor opens the case and shows the narrative at these heads.
        let view = session.open_case(&case).expect("open");
        let base = view.document_heads.iter().find(|(id, _)| *id == testimony).expect("heads").1.clone();
        // Meanwhile a peer's edit arrives: it adds to the start.
        let doc = DocRef { case_id: case, doc_id: testimony };
        let mut other: TestimonyDoc = replica(&mut session, &doc, "Worker B");
        let before = other.heads();
        other.set_narrative("처음 가운데", 5).expect("peer edit");
        assert!(session.apply_peer_changes(&doc, &other.changes_since(&before)).expect("arrives"));
        // The worker saves the text as they edited it from the older version: an addition at
        // the end. The whole-text save would have removed the peer's words; this keeps both.
        let edited = session.set_narrative_from(&testimony, &base, "가운데 끝").expect("save");
        let narrative = session.open_case(&case).expect("open").testimonies[0].1.narrative.as_str().to_owned();
        assert_eq!(narrative, "처음 가운데 끝");
        // The editor keeps typing on its own version: its next save builds on `edited`, so
        // the peer's words (which the editor does not show) are still not taken for deleted.
        session.set_narrative_from(&testimony, &edited, "가운데 끝!").expect("next save");
        let narrative = session.open_case(&case).expect("open").testimonies[0].1.narrative.as_str().to_owned();
        assert_eq!(narrative, "처음 가운데 끝!");
        // A base this vault never held is refused, and changes nothing.
        let error = session.set_narrative_from(&testimony, &[[7; 32]], "x").expect_err("unknown base");
        assert_eq!(error.code(), "edit_base_unknown");
        assert_eq!(session.open_case(&case).expect("open").testimonies[0].1.narrative.as_str(), "처음 가운데 끝!");
    }
}
