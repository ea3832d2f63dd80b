//! Case digests, case summaries and the object index (migration `0003_cases.sql`; the
//! full-text search index is in `search.rs`). Everything here is derived from the sealed documents, lives
//! only inside the SQLCipher database, and is written in the caller's transaction, so it
//! always matches the records it was derived from.

use rusqlite::{OptionalExtension, params};

use crate::{Id, StoreError, VaultTx};

/// The digest of one document (DESIGN §5.1): what sync compares to find changed documents.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DocDigest {
    /// The case.
    pub case_id: Id,
    /// The document.
    pub doc_id: Id,
    /// A hash of the document's sorted heads.
    pub heads_hash: [u8; 32],
    /// When this device last changed the document, milliseconds since the Unix epoch (local
    /// information only: never part of what peers compare).
    pub modified_at: i64,
    /// The vault-wide change sequence number of the document's last write.
    pub change_seq: u64,
}

/// What a case list shows about a case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaseSummaryRow {
    /// The case.
    pub case_id: Id,
    /// Title.
    pub title: String,
    /// Status code.
    pub status: String,
    /// Risk code.
    pub risk: String,
    /// Creation time (ms).
    pub created_at: i64,
    /// Last change on this device (ms).
    pub updated_at: i64,
    /// Number of persons.
    pub persons: u32,
    /// Number of testimonies.
    pub testimonies: u32,
    /// Number of events.
    pub events: u32,
    /// Number of notes.
    pub notes: u32,
    /// Number of attachments.
    pub attachments: u32,
    /// Number of acts (in all events).
    pub acts: u32,
    /// Unresolved conflicts in all of the case's documents (read from the per-document counts
    /// the write path keeps; ignored when writing a summary).
    pub conflicts: u32,
    /// Whether a team member deleted the case and this vault keeps it archived (HQ; read
    /// from the tombstones, ignored when writing a summary).
    pub deleted: bool,
    /// Tags, without duplicates.
    pub tags: Vec<String>,
    /// The act types of every act, sorted, without duplicates.
    pub act_types: Vec<String>,
    /// The earliest event date (`YYYY`, `YYYY-MM` or `YYYY-MM-DD`), empty if none.
    pub first_date: String,
    /// The latest event date, empty if none.
    pub last_date: String,
    /// When a worker marked the case ready for handover to HQ (ms; 0: not marked).
    pub handover_ready_at: i64,
    /// When a handover receipt was found to cover the case as held here (read from the
    /// handover rows, ignored when writing a summary; see `handover.rs`).
    pub handover_covered_at: Option<i64>,
}

/// Joins single-line values for one text column. The model validates tags, codes and dates as
/// single lines; a line break only a hostile peer could write splits a value in two, nothing
/// worse.
fn join_lines(values: &[String]) -> String {
    values.join("\n")
}

fn split_lines(text: String) -> Vec<String> {
    if text.is_empty() { Vec::new() } else { text.split('\n').map(str::to_owned).collect() }
}

/// The last sync with one peer device.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyncPeerRow {
    /// The peer's device id.
    pub peer_id: Id,
    /// When the session ended (ms since the Unix epoch, this device's clock).
    pub last_sync_at: i64,
    /// Documents this device sent changes of.
    pub documents_sent: u64,
    /// Documents it received changes of.
    pub documents_received: u64,
    /// Changes sent.
    pub changes_sent: u64,
    /// Changes received.
    pub changes_received: u64,
    /// Bytes sent.
    pub bytes_sent: u64,
    /// Bytes received.
    pub bytes_received: u64,
}

/// Statistics of a document's chunk log.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RecordStats {
    /// Number of chunks.
    pub count: u64,
    /// Id of the last chunk.
    pub last_chunk: u64,
}

fn id_from(bytes: Vec<u8>, what: &'static str) -> Result<Id, StoreError> {
    bytes.try_into().map_err(|_| StoreError::Damaged { what })
}

fn count(value: i64) -> u32 {
    u32::try_from(value).unwrap_or(u32::MAX)
}

impl VaultTx<'_> {
    /// Records a document's digest (replacing the previous one) under the next number of the
    /// vault-wide change sequence, and returns that number.
    pub fn put_digest(
        &mut self,
        case_id: &Id,
        doc_id: &Id,
        heads_hash: &[u8; 32],
        modified_at: i64,
    ) -> Result<u64, StoreError> {
        let seq: i64 = self
            .tx
            .prepare_cached("UPDATE change_sequence SET seq = seq + 1 WHERE id = 1 RETURNING seq")?
            .query_row([], |row| row.get(0))?;
        self.tx
            .prepare_cached(
                "INSERT INTO doc_digests (case_id, doc_id, heads_hash, modified_at, change_seq) VALUES (?1, ?2, ?3, ?4, ?5)
                 ON CONFLICT (case_id, doc_id) DO UPDATE SET heads_hash = excluded.heads_hash,
                     modified_at = excluded.modified_at, change_seq = excluded.change_seq",
            )?
            .execute(params![case_id.as_slice(), doc_id.as_slice(), heads_hash.as_slice(), modified_at, seq])?;
        // A receipt was checked against the heads held before: it must be checked again.
        self.tx.prepare_cached("DELETE FROM handover_covered WHERE case_id = ?1")?.execute([case_id.as_slice()])?;
        u64::try_from(seq).map_err(|_| StoreError::Damaged { what: "change sequence" })
    }

    /// Every document digest in the vault, ordered by case and document.
    pub fn digests(&self) -> Result<Vec<DocDigest>, StoreError> {
        self.query_digests(
            "SELECT case_id, doc_id, heads_hash, modified_at, change_seq FROM doc_digests ORDER BY case_id, doc_id",
            [],
        )
    }

    /// The digests of one case's documents.
    pub fn case_digests(&self, case_id: &Id) -> Result<Vec<DocDigest>, StoreError> {
        self.query_digests(
            "SELECT case_id, doc_id, heads_hash, modified_at, change_seq FROM doc_digests WHERE case_id = ?1 ORDER BY doc_id",
            [case_id.as_slice()],
        )
    }

    /// The digest of one document, found by its id alone (document ids are unique in a vault).
    pub fn digest_of_document(&self, doc_id: &Id) -> Result<Option<DocDigest>, StoreError> {
        Ok(self
            .query_digests(
                "SELECT case_id, doc_id, heads_hash, modified_at, change_seq FROM doc_digests WHERE doc_id = ?1",
                [doc_id.as_slice()],
            )?
            .pop())
    }

    /// The hash of a document's heads as last written (by its key: no scan), if it is held.
    pub fn doc_heads_hash(&self, case_id: &Id, doc_id: &Id) -> Result<Option<[u8; 32]>, StoreError> {
        let hash: Option<Vec<u8>> = self
            .tx
            .prepare_cached("SELECT heads_hash FROM doc_digests WHERE case_id = ?1 AND doc_id = ?2")?
            .query_row([case_id.as_slice(), doc_id.as_slice()], |row| row.get(0))
            .optional()?;
        hash.map(|hash| hash.try_into().map_err(|_| StoreError::Damaged { what: "document digest" })).transpose()
    }

    /// How many values of a document conflict, as last counted, if it is held.
    pub fn doc_conflicts(&self, case_id: &Id, doc_id: &Id) -> Result<Option<u32>, StoreError> {
        Ok(self
            .tx
            .prepare_cached("SELECT conflicts FROM doc_digests WHERE case_id = ?1 AND doc_id = ?2")?
            .query_row([case_id.as_slice(), doc_id.as_slice()], |row| row.get(0))
            .optional()?)
    }

    /// Keeps the signed deletion of a case (idempotent).
    pub fn put_tombstone(&mut self, case_id: &Id, record: &[u8]) -> Result<(), StoreError> {
        self.tx
            .prepare_cached("INSERT OR IGNORE INTO tombstones (case_id, record) VALUES (?1, ?2)")?
            .execute(params![case_id.as_slice(), record])?;
        Ok(())
    }

    /// The signed deletion of a case, if this vault holds one.
    pub fn tombstone(&self, case_id: &Id) -> Result<Option<Vec<u8>>, StoreError> {
        Ok(self
            .tx
            .prepare_cached("SELECT record FROM tombstones WHERE case_id = ?1")?
            .query_row([case_id.as_slice()], |row| row.get(0))
            .optional()?)
    }

    /// The ids of every deleted case this vault knows of.
    pub fn tombstoned_cases(&self) -> Result<Vec<Id>, StoreError> {
        let mut statement = self.tx.prepare_cached("SELECT case_id FROM tombstones ORDER BY case_id")?;
        let ids = statement.query_map([], |row| row.get::<_, Vec<u8>>(0))?.collect::<Result<Vec<_>, _>>()?;
        ids.into_iter().map(|id| id_from(id, "tombstone")).collect()
    }

    /// Records the last sync with a peer (replacing the previous record).
    pub fn put_sync_peer(&mut self, row: &SyncPeerRow) -> Result<(), StoreError> {
        let number = |value: u64| i64::try_from(value).unwrap_or(i64::MAX);
        self.tx
            .prepare_cached(
                "INSERT OR REPLACE INTO sync_peers (peer_id, last_sync_at, documents_sent, documents_received,
                 changes_sent, changes_received, bytes_sent, bytes_received) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            )?
            .execute(params![
                row.peer_id.as_slice(),
                row.last_sync_at,
                number(row.documents_sent),
                number(row.documents_received),
                number(row.changes_sent),
                number(row.changes_received),
                number(row.bytes_sent),
                number(row.bytes_received),
            ])?;
        Ok(())
    }

    /// The last sync with every peer, most recent first.
    pub fn sync_peers(&self) -> Result<Vec<SyncPeerRow>, StoreError> {
        let mut statement = self.tx.prepare_cached(
            "SELECT peer_id, last_sync_at, documents_sent, documents_received, changes_sent, changes_received,
             bytes_sent, bytes_received FROM sync_peers ORDER BY last_sync_at DESC, peer_id",
        )?;
        let rows = statement
            .query_map([], |row| {
                let number = |index: usize| row.get::<_, i64>(index).map(|value| u64::try_from(value).unwrap_or(0));
                Ok((
                    row.get::<_, Vec<u8>>(0)?,
                    SyncPeerRow {
                        peer_id: [0; 16],
                        last_sync_at: row.get(1)?,
                        documents_sent: number(2)?,
                        documents_received: number(3)?,
                        changes_sent: number(4)?,
                        changes_received: number(5)?,
                        bytes_sent: number(6)?,
                        bytes_received: number(7)?,
                    },
                ))
            })?
            .collect::<Result<Vec<_>, _>>()?;
        rows.into_iter().map(|(id, row)| Ok(SyncPeerRow { peer_id: id_from(id, "sync peer")?, ..row })).collect()
    }

    /// The digests of documents written after change number `after`, in write order.
    pub fn digests_changed_since(&self, after: u64) -> Result<Vec<DocDigest>, StoreError> {
        let after = i64::try_from(after).unwrap_or(i64::MAX);
        self.query_digests(
            "SELECT case_id, doc_id, heads_hash, modified_at, change_seq FROM doc_digests
             WHERE change_seq > ?1 ORDER BY change_seq",
            [after],
        )
    }

    /// The number of the vault's latest document write (0 before the first).
    pub fn change_seq(&self) -> Result<u64, StoreError> {
        let seq: i64 =
            self.tx.prepare_cached("SELECT seq FROM change_sequence WHERE id = 1")?.query_row([], |row| row.get(0))?;
        u64::try_from(seq).map_err(|_| StoreError::Damaged { what: "change sequence" })
    }

    fn query_digests(&self, sql: &str, params: impl rusqlite::Params) -> Result<Vec<DocDigest>, StoreError> {
        let mut statement = self.tx.prepare_cached(sql)?;
        let rows = statement
            .query_map(params, |row| {
                Ok((
                    row.get::<_, Vec<u8>>(0)?,
                    row.get::<_, Vec<u8>>(1)?,
                    row.get::<_, Vec<u8>>(2)?,
                    row.get::<_, i64>(3)?,
                    row.get::<_, i64>(4)?,
                ))
            })?
            .collect::<Result<Vec<_>, _>>()?;
        rows.into_iter()
            .map(|(case_id, doc_id, hash, modified_at, change_seq)| {
                Ok(DocDigest {
                    case_id: id_from(case_id, "digest")?,
                    doc_id: id_from(doc_id, "digest")?,
                    heads_hash: hash.try_into().map_err(|_| StoreError::Damaged { what: "digest" })?,
                    modified_at,
                    change_seq: u64::try_from(change_seq).map_err(|_| StoreError::Damaged { what: "digest" })?,
                })
            })
            .collect()
    }

    /// Number of chunks of a document and the id of the last one.
    pub fn record_stats(&self, case_id: &Id, doc_id: &Id) -> Result<RecordStats, StoreError> {
        let (count, last): (i64, Option<i64>) = self
            .tx
            .prepare_cached("SELECT count(*), max(chunk_id) FROM records WHERE case_id = ?1 AND doc_id = ?2")?
            .query_row(params![case_id.as_slice(), doc_id.as_slice()], |row| Ok((row.get(0)?, row.get(1)?)))?;
        Ok(RecordStats { count: count as u64, last_chunk: last.unwrap_or(0) as u64 })
    }

    /// Records (or replaces) a case's summary.
    pub fn put_case_summary(&mut self, row: &CaseSummaryRow) -> Result<(), StoreError> {
        self.tx
            .prepare_cached(
                "INSERT OR REPLACE INTO case_summaries
                 (case_id, title, status, risk, created_at, updated_at, persons, testimonies, events, notes, attachments,
                  conflicts, acts, tags, act_types, first_date, last_date, handover_ready_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, 0, ?12, ?13, ?14, ?15, ?16, ?17)",
            )?
            .execute(params![
                row.case_id.as_slice(),
                row.title,
                row.status,
                row.risk,
                row.created_at,
                row.updated_at,
                row.persons,
                row.testimonies,
                row.events,
                row.notes,
                row.attachments,
                row.acts,
                join_lines(&row.tags),
                join_lines(&row.act_types),
                row.first_date,
                row.last_date,
                row.handover_ready_at,
            ])?;
        Ok(())
    }

    /// Records how many unresolved conflicts a document holds (part of its case's summary).
    pub fn set_doc_conflicts(&mut self, case_id: &Id, doc_id: &Id, conflicts: u32) -> Result<(), StoreError> {
        self.tx
            .prepare_cached("UPDATE doc_digests SET conflicts = ?3 WHERE case_id = ?1 AND doc_id = ?2")?
            .execute(params![case_id.as_slice(), doc_id.as_slice(), conflicts])?;
        Ok(())
    }

    /// Marks a case as changed at `updated_at` (e.g. after a testimony edit).
    pub fn touch_case_summary(&mut self, case_id: &Id, updated_at: i64) -> Result<(), StoreError> {
        self.tx
            .prepare_cached("UPDATE case_summaries SET updated_at = max(updated_at, ?2) WHERE case_id = ?1")?
            .execute(params![case_id.as_slice(), updated_at])?;
        Ok(())
    }

    const SUMMARY_COLUMNS: &'static str = "case_id, title, status, risk, created_at, updated_at, persons, testimonies,
        events, notes, attachments,
        (SELECT COALESCE(SUM(d.conflicts), 0) FROM doc_digests AS d WHERE d.case_id = case_summaries.case_id),
        acts, tags, act_types, first_date, last_date,
        EXISTS (SELECT 1 FROM tombstones AS t WHERE t.case_id = case_summaries.case_id),
        handover_ready_at,
        (SELECT h.covered_at FROM handover_covered AS h WHERE h.case_id = case_summaries.case_id)";

    fn summary_from(row: &rusqlite::Row<'_>) -> rusqlite::Result<(Vec<u8>, CaseSummaryRow)> {
        Ok((
            row.get(0)?,
            CaseSummaryRow {
                case_id: [0; 16],
                title: row.get(1)?,
                status: row.get(2)?,
                risk: row.get(3)?,
                created_at: row.get(4)?,
                updated_at: row.get(5)?,
                persons: count(row.get(6)?),
                testimonies: count(row.get(7)?),
                events: count(row.get(8)?),
                notes: count(row.get(9)?),
                attachments: count(row.get(10)?),
                conflicts: count(row.get(11)?),
                acts: count(row.get(12)?),
                tags: split_lines(row.get(13)?),
                act_types: split_lines(row.get(14)?),
                first_date: row.get(15)?,
                last_date: row.get(16)?,
                deleted: row.get(17)?,
                handover_ready_at: row.get(18)?,
                handover_covered_at: row.get(19)?,
            },
        ))
    }

    /// Every case summary, most recently changed first.
    pub fn case_summaries(&self) -> Result<Vec<CaseSummaryRow>, StoreError> {
        // Every row: one pass over the table and a sort beat walking the order's index, which
        // would look each row up again by its key.
        let sql =
            format!("SELECT {} FROM case_summaries NOT INDEXED ORDER BY updated_at DESC, case_id", Self::SUMMARY_COLUMNS);
        let mut statement = self.tx.prepare_cached(&sql)?;
        let rows = statement.query_map([], Self::summary_from)?;
        rows.map(|row| {
            let (id, mut summary) = row?;
            summary.case_id = id_from(id, "case summary")?;
            Ok(summary)
        })
        .collect()
    }

    /// One case's summary.
    pub fn case_summary(&self, case_id: &Id) -> Result<Option<CaseSummaryRow>, StoreError> {
        let sql = format!("SELECT {} FROM case_summaries WHERE case_id = ?1", Self::SUMMARY_COLUMNS);
        let row = self.tx.prepare_cached(&sql)?.query_row([case_id.as_slice()], Self::summary_from).optional()?;
        Ok(row.map(|(_, summary)| CaseSummaryRow { case_id: *case_id, ..summary }))
    }

    /// Replaces the object index of a case with `objects` (id, kind): derived from the case
    /// document's state on every write, so objects that arrived from a peer are found too.
    ///
    /// Only rows that differ are written: most edits add or remove no object, and rewriting
    /// every row dirtied their pages at each save (BENCHMARKS.md, issue 14).
    pub fn replace_case_objects(&mut self, case_id: &Id, objects: &[(Id, &str)]) -> Result<(), StoreError> {
        let existing: Vec<(Vec<u8>, String)> = self
            .tx
            .prepare_cached("SELECT object_id, kind FROM case_objects WHERE case_id = ?1")?
            .query_map([case_id.as_slice()], |row| Ok((row.get(0)?, row.get(1)?)))?
            .collect::<Result<_, _>>()?;
        let wanted: std::collections::BTreeMap<&[u8], &str> =
            objects.iter().map(|(object_id, kind)| (object_id.as_slice(), *kind)).collect();
        for (object_id, kind) in &existing {
            if wanted.get(object_id.as_slice()) != Some(&kind.as_str()) {
                self.tx
                    .prepare_cached("DELETE FROM case_objects WHERE object_id = ?1 AND case_id = ?2")?
                    .execute(params![object_id, case_id.as_slice()])?;
            }
        }
        let held: std::collections::BTreeSet<(&[u8], &str)> =
            existing.iter().map(|(object_id, kind)| (object_id.as_slice(), kind.as_str())).collect();
        let mut insert =
            self.tx.prepare_cached("INSERT OR REPLACE INTO case_objects (object_id, case_id, kind) VALUES (?1, ?2, ?3)")?;
        for (object_id, kind) in wanted {
            if !held.contains(&(object_id, kind)) {
                insert.execute(params![object_id, case_id.as_slice(), kind])?;
            }
        }
        Ok(())
    }

    /// The case an object belongs to, and the object's kind.
    pub fn case_object(&self, object_id: &Id) -> Result<Option<(Id, String)>, StoreError> {
        let row: Option<(Vec<u8>, String)> = self
            .tx
            .prepare_cached("SELECT case_id, kind FROM case_objects WHERE object_id = ?1")?
            .query_row([object_id.as_slice()], |row| Ok((row.get(0)?, row.get(1)?)))
            .optional()?;
        row.map(|(case_id, kind)| Ok((id_from(case_id, "object index")?, kind))).transpose()
    }

    /// Removes everything derived from a case: digests, summary, object index, search rows,
    /// attachment rows and custody (the shredding triggers do the same when the case's last
    /// key is deleted).
    pub fn forget_case(&mut self, case_id: &Id) -> Result<(), StoreError> {
        let id = case_id.as_slice();
        // Titles, summaries and search text are under K_db only: the commit checkpoints the
        // WAL so no frame keeps them (`erasure.rs`).
        self.erasure = self.erasure.max(crate::erasure::Erasure::Content);
        for sql in [
            "DELETE FROM doc_digests WHERE case_id = ?1",
            "DELETE FROM case_summaries WHERE case_id = ?1",
            "DELETE FROM case_objects WHERE case_id = ?1",
            "DELETE FROM search_docs WHERE case_id = ?1",
            "DELETE FROM attachment_blobs WHERE case_id = ?1",
            "DELETE FROM change_custody WHERE case_id = ?1",
        ] {
            self.tx.prepare_cached(sql)?.execute([id])?;
        }
        Ok(())
    }

    /// A setting of the case feature on this device.
    pub fn case_setting(&self, key: &str) -> Result<Option<String>, StoreError> {
        Ok(self
            .tx
            .prepare_cached("SELECT value FROM case_settings WHERE key = ?1")?
            .query_row([key], |row| row.get(0))
            .optional()?)
    }

    /// Sets a setting of the case feature.
    pub fn put_case_setting(&mut self, key: &str, value: &str) -> Result<(), StoreError> {
        self.tx
            .prepare_cached("INSERT OR REPLACE INTO case_settings (key, value) VALUES (?1, ?2)")?
            .execute([key, value])?;
        Ok(())
    }

    /// Removes a case-feature setting (nothing happens if it is not set).
    pub fn delete_case_setting(&mut self, key: &str) -> Result<(), StoreError> {
        self.tx.prepare_cached("DELETE FROM case_settings WHERE key = ?1")?.execute([key])?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::vault;

    #[test]
    fn the_object_index_ends_as_asked_whatever_it_held() {
        let (_dir, mut vault) = vault();
        let (case, other) = ([1u8; 16], [9u8; 16]);
        let objects = |vault: &mut crate::Vault, case: Id| {
            vault
                .read(|tx| {
                    let mut rows: Vec<(Vec<u8>, String)> = tx
                        .tx
                        .prepare("SELECT object_id, kind FROM case_objects WHERE case_id = ?1 ORDER BY object_id")?
                        .query_map([case.as_slice()], |row| Ok((row.get(0)?, row.get(1)?)))?
                        .collect::<Result<_, _>>()?;
                    rows.sort();
                    Ok(rows)
                })
                .expect("read")
        };
        vault
            .transaction(|tx| {
                tx.replace_case_objects(&case, &[([3; 16], "person"), ([4; 16], "note"), ([5; 16], "event")])?;
                tx.replace_case_objects(&other, &[([6; 16], "person")])
            })
            .expect("first");
        // One object gone, one changed kind, one new, one kept; the other case untouched.
        vault
            .transaction(|tx| {
                tx.replace_case_objects(&case, &[([4; 16], "act"), ([5; 16], "event"), ([7; 16], "testimony")])
            })
            .expect("second");
        assert_eq!(
            objects(&mut vault, case),
            vec![(vec![4; 16], "act".to_owned()), (vec![5; 16], "event".to_owned()), (vec![7; 16], "testimony".to_owned())]
        );
        assert_eq!(objects(&mut vault, other), vec![(vec![6; 16], "person".to_owned())]);
        vault.transaction(|tx| tx.replace_case_objects(&case, &[])).expect("emptied");
        assert!(objects(&mut vault, case).is_empty());
    }

    #[test]
    fn shredding_a_case_removes_everything_derived_from_it() {
        let (_dir, mut vault) = vault();
        let (one, two) = ([1u8; 16], [2u8; 16]);
        vault
            .transaction(|tx| {
                for id in [one, two] {
                    tx.create_case_key(&id)?;
                    tx.append_record(&id, &id, b"chunk")?;
                    tx.put_digest(&id, &id, &[7; 32], 5)?;
                    tx.replace_case_objects(&id, &[([id[0] + 10; 16], "note")])?;
                    tx.replace_search_entries(&id, &id, &[("title", "shared marker text")])?;
                    let summary = CaseSummaryRow {
                        notes: 1,
                        tags: vec!["a".into(), "b".into()],
                        ..crate::test_support::summary(id, 2)
                    };
                    tx.put_case_summary(&summary)?;
                }
                Ok(())
            })
            .expect("fill");
        vault.transaction(|tx| tx.delete_case(&one)).expect("delete");
        vault
            .read(|tx| {
                assert_eq!(tx.digests()?.iter().map(|d| d.case_id).collect::<Vec<_>>(), [two]);
                assert_eq!(tx.case_summaries()?.iter().map(|s| s.case_id).collect::<Vec<_>>(), [two]);
                assert_eq!(tx.case_object(&[11; 16])?, None);
                assert_eq!(tx.case_object(&[12; 16])?.map(|(id, _)| id), Some(two));
                let hits = tx.search_rows("marker", 10)?;
                assert_eq!(hits.iter().map(|h| h.case_id).collect::<Vec<_>>(), [two]);
                assert_eq!(tx.record_stats(&one, &one)?.count, 0);
                assert_eq!(tx.record_stats(&two, &two)?, RecordStats { count: 1, last_chunk: 0 });
                Ok(())
            })
            .expect("check");
    }

    #[test]
    fn digests_are_replaced_and_listed() {
        let (_dir, mut vault) = vault();
        let case = [3u8; 16];
        vault
            .transaction(|tx| {
                tx.create_case_key(&case)?;
                tx.put_digest(&case, &[4; 16], &[1; 32], 10)?;
                tx.put_digest(&case, &[4; 16], &[2; 32], 20)?;
                tx.put_digest(&case, &[5; 16], &[3; 32], 30)?;
                tx.put_case_setting("worker_name", "김 활동가")?;
                Ok(())
            })
            .expect("digests");
        let digests = vault.read(|tx| tx.case_digests(&case)).expect("read");
        assert_eq!(digests.len(), 2);
        assert_eq!((digests[0].heads_hash, digests[0].modified_at), ([2; 32], 20));
        assert_eq!(vault.read(|tx| tx.case_setting("worker_name")).expect("setting").as_deref(), Some("김 활동가"));
    }

    #[test]
    fn a_document_is_found_by_its_id_through_an_index() {
        // Sync asks for each document it receives by its id alone; a scan of every digest for
        // each made a large sync grow with the square of the archive.
        let (_dir, mut vault) = vault();
        let plan: Vec<String> = vault
            .read(|tx| {
                Ok(tx
                    .tx
                    .prepare("EXPLAIN QUERY PLAN SELECT case_id, doc_id, heads_hash, modified_at, change_seq FROM doc_digests WHERE doc_id = ?1")?
                    .query_map([[7u8; 16].as_slice()], |row| row.get::<_, String>(3))?
                    .collect::<Result<_, _>>()?)
            })
            .expect("plan");
        assert!(plan.iter().any(|step| step.contains("USING INDEX doc_digests_by_doc")), "{plan:?}");
        vault
            .transaction(|tx| {
                tx.put_digest(&[1; 16], &[2; 16], &[3; 32], 10)?;
                tx.put_digest(&[4; 16], &[5; 16], &[6; 32], 20).map(drop)
            })
            .expect("digests");
        let found = vault.read(|tx| tx.digest_of_document(&[5; 16])).expect("read").expect("found");
        assert_eq!((found.case_id, found.heads_hash), ([4; 16], [6; 32]));
        assert!(vault.read(|tx| tx.digest_of_document(&[9; 16])).expect("read").is_none());
    }
}
