//! Handover to HQ on the device side (migration `0009_handover.sql`): the purge of a case HQ
//! confirmed, the markers it leaves, and when a covering receipt was first verified.

use rusqlite::{OptionalExtension, params};

use crate::{Id, StoreError, VaultTx};

/// One document of a purged case, as sync keeps counting it: its heads when it was purged.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PurgedDocument {
    /// The case.
    pub case_id: Id,
    /// The document.
    pub doc_id: Id,
    /// Its sorted heads when purged.
    pub heads: Vec<[u8; 32]>,
    /// cairn-core's hash of those heads (as in the digest).
    pub heads_hash: [u8; 32],
}

/// What a case's attachments are on this device, for checking a receipt against them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CaseBlobs {
    /// The address of every attachment held whole (sorted, without duplicates).
    pub addresses: Vec<[u8; 32]>,
    /// Attachments held whole without an address (no receipt can name them).
    pub unaddressed: u64,
    /// Recordings under way or interrupted (their content is not whole yet).
    pub recordings: u64,
}

fn id(bytes: Vec<u8>) -> Result<Id, StoreError> {
    Id::try_from(bytes.as_slice()).map_err(|_| StoreError::Damaged { what: "handover row" })
}

fn hash(bytes: Vec<u8>) -> Result<[u8; 32], StoreError> {
    <[u8; 32]>::try_from(bytes.as_slice()).map_err(|_| StoreError::Damaged { what: "handover row" })
}

fn heads(bytes: &[u8]) -> Result<Vec<[u8; 32]>, StoreError> {
    if !bytes.len().is_multiple_of(32) {
        return Err(StoreError::Damaged { what: "handover row" });
    }
    Ok(bytes.chunks_exact(32).map(|head| <[u8; 32]>::try_from(head).unwrap_or([0; 32])).collect())
}

impl VaultTx<'_> {
    /// Purges a case: destroys its keys, changes, blobs and every derived row, exactly as a
    /// deletion does (the commit rotates the key-wrapping key and checkpoints the WAL), and
    /// leaves only `documents` as markers (ids and heads), the addresses of the attachments it
    /// had, and the case id. Refuses a case this
    /// vault does not hold.
    pub fn purge_case(&mut self, case_id: &Id, documents: &[PurgedDocument], now: i64) -> Result<(), StoreError> {
        let addresses = self.case_blobs(case_id)?.addresses;
        self.delete_case(case_id)?;
        for address in &addresses {
            self.tx
                .prepare_cached("INSERT OR IGNORE INTO purged_attachments (case_id, address) VALUES (?1, ?2)")?
                .execute(params![case_id.as_slice(), address.as_slice()])?;
        }
        self.forget_case(case_id)?;
        self.tx.prepare_cached("DELETE FROM handover_covered WHERE case_id = ?1")?.execute([case_id.as_slice()])?;
        for document in documents.iter().filter(|document| document.case_id == *case_id) {
            let heads: Vec<u8> = document.heads.concat();
            self.tx
                .prepare_cached(
                    "INSERT OR REPLACE INTO purged_documents (doc_id, case_id, heads, heads_hash) VALUES (?1, ?2, ?3, ?4)",
                )?
                .execute(params![document.doc_id.as_slice(), case_id.as_slice(), heads, document.heads_hash.as_slice()])?;
        }
        self.tx
            .prepare_cached("INSERT OR IGNORE INTO purged_cases (case_id, purged_at) VALUES (?1, ?2)")?
            .execute(params![case_id.as_slice(), now])?;
        Ok(())
    }

    /// The attachments this vault holds of `case_id` (see [`CaseBlobs`]).
    pub fn case_blobs(&self, case_id: &Id) -> Result<CaseBlobs, StoreError> {
        let mut statement = self.tx.prepare_cached("SELECT address FROM blobs WHERE case_id = ?1")?;
        let rows = statement.query_map([case_id.as_slice()], |row| row.get::<_, Option<Vec<u8>>>(0))?;
        let mut blobs = CaseBlobs::default();
        for row in rows {
            match row? {
                Some(address) => blobs.addresses.push(hash(address)?),
                None => blobs.unaddressed += 1,
            }
        }
        blobs.addresses.sort_unstable();
        blobs.addresses.dedup();
        blobs.recordings = self
            .tx
            .prepare_cached("SELECT count(*) FROM blob_uploads WHERE case_id = ?1 AND address IS NULL")?
            .query_row([case_id.as_slice()], |row| row.get::<_, i64>(0))?
            .max(0) as u64;
        Ok(blobs)
    }

    /// Whether `case_id` was purged here.
    pub fn is_purged(&self, case_id: &Id) -> Result<bool, StoreError> {
        Ok(self
            .tx
            .prepare_cached("SELECT 1 FROM purged_cases WHERE case_id = ?1")?
            .query_row([case_id.as_slice()], |_| Ok(()))
            .optional()?
            .is_some())
    }

    /// Every purged case with when it was purged, by id.
    pub fn purged_cases(&self) -> Result<Vec<(Id, i64)>, StoreError> {
        let mut statement = self.tx.prepare_cached("SELECT case_id, purged_at FROM purged_cases ORDER BY case_id")?;
        let rows = statement.query_map([], |row| Ok((row.get::<_, Vec<u8>>(0)?, row.get::<_, i64>(1)?)))?;
        rows.map(|row| {
            let (case_id, at) = row?;
            Ok((id(case_id)?, at))
        })
        .collect()
    }

    /// The attachment addresses every purged case had here.
    pub fn purged_attachments(&self) -> Result<Vec<(Id, [u8; 32])>, StoreError> {
        let mut statement =
            self.tx.prepare_cached("SELECT case_id, address FROM purged_attachments ORDER BY case_id, address")?;
        let rows = statement.query_map([], |row| Ok((row.get::<_, Vec<u8>>(0)?, row.get::<_, Vec<u8>>(1)?)))?;
        rows.map(|row| {
            let (case_id, address) = row?;
            Ok((id(case_id)?, hash(address)?))
        })
        .collect()
    }

    /// Every document marker of every purged case.
    pub fn purged_documents(&self) -> Result<Vec<PurgedDocument>, StoreError> {
        let mut statement =
            self.tx.prepare_cached("SELECT case_id, doc_id, heads, heads_hash FROM purged_documents ORDER BY doc_id")?;
        let rows = statement.query_map([], |row| {
            Ok((row.get::<_, Vec<u8>>(0)?, row.get::<_, Vec<u8>>(1)?, row.get::<_, Vec<u8>>(2)?, row.get::<_, Vec<u8>>(3)?))
        })?;
        rows.map(|row| {
            let (case_id, doc_id, heads_bytes, heads_hash) = row?;
            Ok(PurgedDocument {
                case_id: id(case_id)?,
                doc_id: id(doc_id)?,
                heads: heads(&heads_bytes)?,
                heads_hash: hash(heads_hash)?,
            })
        })
        .collect()
    }

    /// The marker of one purged document, if `doc_id` is one.
    pub fn purged_document(&self, doc_id: &Id) -> Result<Option<PurgedDocument>, StoreError> {
        let row = self
            .tx
            .prepare_cached("SELECT case_id, heads, heads_hash FROM purged_documents WHERE doc_id = ?1")?
            .query_row([doc_id.as_slice()], |row| {
                Ok((row.get::<_, Vec<u8>>(0)?, row.get::<_, Vec<u8>>(1)?, row.get::<_, Vec<u8>>(2)?))
            })
            .optional()?;
        row.map(|(case_id, heads_bytes, heads_hash)| {
            Ok(PurgedDocument {
                case_id: id(case_id)?,
                doc_id: *doc_id,
                heads: heads(&heads_bytes)?,
                heads_hash: hash(heads_hash)?,
            })
        })
        .transpose()
    }

    /// When this device first verified a receipt covering all it holds of `case_id`.
    pub fn handover_covered_at(&self, case_id: &Id) -> Result<Option<i64>, StoreError> {
        Ok(self
            .tx
            .prepare_cached("SELECT covered_at FROM handover_covered WHERE case_id = ?1")?
            .query_row([case_id.as_slice()], |row| row.get(0))
            .optional()?)
    }

    /// Records that a covering receipt was verified at `now` (the first time counts), or,
    /// with `None`, that no receipt covers the case any more (an edit after the receipt).
    pub fn set_handover_covered(&mut self, case_id: &Id, now: Option<i64>) -> Result<(), StoreError> {
        match now {
            Some(now) => self
                .tx
                .prepare_cached("INSERT OR IGNORE INTO handover_covered (case_id, covered_at) VALUES (?1, ?2)")?
                .execute(params![case_id.as_slice(), now])?,
            None => {
                self.tx.prepare_cached("DELETE FROM handover_covered WHERE case_id = ?1")?.execute([case_id.as_slice()])?
            }
        };
        Ok(())
    }
}
