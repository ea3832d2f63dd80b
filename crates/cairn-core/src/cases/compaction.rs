//! Compaction of every document's log into one snapshot chunk, for an idle moment.

use cairn_model::{
    Document,
    types::{Hydrate, Reconcile},
};

use super::pipeline::transact;
use crate::{CoreError, Session};

impl Session {
    /// Compacts every document with more than one chunk into a single snapshot chunk, and
    /// merges the search index. For an idle moment; edits compact on their own as they go.
    /// Returns how many documents were compacted.
    pub fn compact_cases(&mut self) -> Result<usize, CoreError> {
        let author = self.worker_name()?;
        transact(self.vault_mut(), |tx| {
            let mut compacted = 0;
            for digest in tx.digests()? {
                let stats = tx.record_stats(&digest.case_id, &digest.doc_id)?;
                if stats.count < 2 {
                    continue;
                }
                let records = tx.records(&digest.case_id, &digest.doc_id)?;
                let mut doc: CaseDocAny = Document::load(records.iter().map(|record| record.plaintext.as_slice()), &author)?;
                let snapshot = doc.snapshot();
                tx.compact_records(&digest.case_id, &digest.doc_id, stats.last_chunk, &snapshot)?;
                compacted += 1;
            }
            tx.optimize_search_index()?;
            Ok(compacted)
        })
    }
}

/// Compaction needs no typed root: any document loads as a map.
type CaseDocAny = Document<AnyRoot>;

/// A root that accepts any map (for compaction, which never looks inside).
#[derive(Debug, Default)]
struct AnyRoot;

impl Hydrate for AnyRoot {
    fn hydrate_map<D: cairn_model::types::ReadDoc>(
        _: &D,
        _: &cairn_model::types::ObjId,
    ) -> Result<Self, cairn_model::types::HydrateError> {
        Ok(AnyRoot)
    }
}

impl Reconcile for AnyRoot {
    type Key<'a> = cairn_model::types::NoKey;

    fn reconcile<R: cairn_model::types::Reconciler>(&self, _: R) -> Result<(), R::Error> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use cairn_model::CaseField;

    use crate::cases::{
        COMPACT_AFTER_CHUNKS,
        test_support::{chunk_count, session},
    };

    #[test]
    fn long_logs_are_compacted_as_they_grow() {
        let (_dir, mut session) = session();
        let case = session.create_case("Compaction").expect("case");
        for i in 0..(COMPACT_AFTER_CHUNKS + 8) {
            session.set_case_field(&case, CaseField::Title, &format!("title {i}")).expect("edit");
            assert!(chunk_count(&mut session, &case, &case) < COMPACT_AFTER_CHUNKS);
        }
        assert_eq!(session.open_case(&case).expect("open").record.title, format!("title {}", COMPACT_AFTER_CHUNKS + 7));
        assert!(session.compact_cases().expect("compact") >= 1);
        assert_eq!(chunk_count(&mut session, &case, &case), 1);
        assert_eq!(session.list_cases().expect("list")[0].title, format!("title {}", COMPACT_AFTER_CHUNKS + 7));
    }
}
