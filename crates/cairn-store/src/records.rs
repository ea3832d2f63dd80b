//! Sealed records: the chunks of a case document, each an envelope under the case key.

use cairn_crypto::{RecordContext, open_record, seal_record};
use rusqlite::params;
use zeroize::Zeroizing;

use crate::{Id, StoreError, VaultTx};

/// One opened record.
pub struct StoredRecord {
    /// Position in the document's log.
    pub chunk_id: u64,
    /// The plaintext, zeroized when dropped.
    pub plaintext: Zeroizing<Vec<u8>>,
}

impl std::fmt::Debug for StoredRecord {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StoredRecord").field("chunk_id", &self.chunk_id).finish_non_exhaustive()
    }
}

impl VaultTx<'_> {
    /// Seals `plaintext` as the next chunk of a document and returns its chunk id.
    pub fn append_record(&mut self, case_id: &Id, doc_id: &Id, plaintext: &[u8]) -> Result<u64, StoreError> {
        let (key_version, key) = self.case_key(case_id)?;
        let next: i64 = self
            .tx
            .prepare_cached("SELECT coalesce(max(chunk_id) + 1, 0) FROM records WHERE case_id = ?1 AND doc_id = ?2")?
            .query_row(params![case_id.as_slice(), doc_id.as_slice()], |row| row.get(0))?;
        let chunk_id = next as u64;
        let context = RecordContext { case_id: *case_id, doc_id: *doc_id, chunk_id, key_version };
        let envelope = seal_record(&key, &context, plaintext)?;
        self.tx
            .prepare_cached(
                "INSERT INTO records (case_id, doc_id, chunk_id, key_version, envelope) VALUES (?1, ?2, ?3, ?4, ?5)",
            )?
            .execute(params![case_id.as_slice(), doc_id.as_slice(), next, key_version, envelope])?;
        Ok(chunk_id)
    }

    /// Opens every chunk of a document, in log order.
    pub fn records(&self, case_id: &Id, doc_id: &Id) -> Result<Vec<StoredRecord>, StoreError> {
        let mut statement = self.tx.prepare_cached(
            "SELECT chunk_id, key_version, envelope FROM records WHERE case_id = ?1 AND doc_id = ?2 ORDER BY chunk_id",
        )?;
        let rows = statement.query_map(params![case_id.as_slice(), doc_id.as_slice()], |row| {
            Ok((row.get::<_, i64>(0)?, row.get::<_, u32>(1)?, row.get::<_, Vec<u8>>(2)?))
        })?;
        let mut opened = Vec::new();
        let mut keys: Vec<(u32, cairn_crypto::CaseKey)> = Vec::new();
        for row in rows {
            let (chunk_id, key_version, envelope) = row?;
            if !keys.iter().any(|(version, _)| *version == key_version) {
                keys.push((key_version, self.case_key_version(case_id, key_version)?));
            }
            let key = &keys.iter().find(|(version, _)| *version == key_version).expect("just inserted").1;
            let context = RecordContext { case_id: *case_id, doc_id: *doc_id, chunk_id: chunk_id as u64, key_version };
            opened.push(StoredRecord { chunk_id: chunk_id as u64, plaintext: open_record(key, &context, &envelope)? });
        }
        Ok(opened)
    }

    /// Replaces chunks up to and including `through_chunk` with one new chunk (compaction:
    /// many small Automerge changes become one snapshot). Returns the new chunk's id.
    pub fn compact_records(
        &mut self,
        case_id: &Id,
        doc_id: &Id,
        through_chunk: u64,
        snapshot: &[u8],
    ) -> Result<u64, StoreError> {
        let new_chunk = self.append_record(case_id, doc_id, snapshot)?;
        self.tx.execute(
            "DELETE FROM records WHERE case_id = ?1 AND doc_id = ?2 AND chunk_id <= ?3",
            params![case_id.as_slice(), doc_id.as_slice(), through_chunk as i64],
        )?;
        Ok(new_chunk)
    }

    /// Replaces a document's whole log with one chunk, `snapshot` (a document rewritten
    /// without its history). The commit checkpoints the WAL, so the old chunks' rows leave no
    /// page or frame behind. Returns the new chunk's id.
    pub fn rewrite_records(&mut self, case_id: &Id, doc_id: &Id, snapshot: &[u8]) -> Result<u64, StoreError> {
        let new_chunk = self.append_record(case_id, doc_id, snapshot)?;
        self.tx.execute(
            "DELETE FROM records WHERE case_id = ?1 AND doc_id = ?2 AND chunk_id < ?3",
            params![case_id.as_slice(), doc_id.as_slice(), new_chunk as i64],
        )?;
        self.erasure = self.erasure.max(crate::erasure::Erasure::Content);
        Ok(new_chunk)
    }

    /// Ids of every document of a case that has records.
    pub fn document_ids(&self, case_id: &Id) -> Result<Vec<Id>, StoreError> {
        let mut statement = self.tx.prepare("SELECT DISTINCT doc_id FROM records WHERE case_id = ?1 ORDER BY doc_id")?;
        let ids = statement.query_map([case_id.as_slice()], |row| row.get::<_, Vec<u8>>(0))?;
        ids.map(|id| id?.try_into().map_err(|_| StoreError::Damaged { what: "document id" })).collect()
    }
}
