//! Blobs written over many short transactions: audio recorded in the app arrives a second at
//! a time for as long as an interview lasts, and holding one write transaction open for all
//! of it would lock the vault. Each piece is sealed as it comes (no plaintext ever reaches
//! the disk) and every completed chunk is committed at once, so a crash loses at most the
//! last, not yet complete chunk (under [`BLOB_CHUNK_LEN`] bytes).
//!
//! The writer's state (the STREAM cipher position, the pending partial chunk, the running
//! hash) lives only in memory, in [`BlobUpload`]. If it is lost (a crash, or the vault locked
//! mid-recording), the upload row and its chunks stay behind as an *unfinished* blob, which
//! [`VaultTx::salvage_upload`] turns into a new finished blob.

use cairn_crypto::{BLOB_CHUNK_LEN, BlobContext, BlobOpener, BlobSealer, BlobSummary};
use rusqlite::{OptionalExtension, params};

use crate::{BlobInfo, Id, StoreError, VaultTx};

/// A blob being written. Not `Clone`: exactly one writer owns an upload.
pub struct BlobUpload {
    blob_id: Id,
    case_id: Id,
    key_version: u32,
    header: Vec<u8>,
    sealer: BlobSealer,
    written: u64,
}

impl std::fmt::Debug for BlobUpload {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BlobUpload").field("written", &self.written).finish_non_exhaustive()
    }
}

/// An upload whose writer is gone (found after a crash or a lock).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnfinishedUpload {
    /// The unfinished blob's id.
    pub blob_id: Id,
    /// The case it belongs to.
    pub case_id: Id,
    /// The media type given when it started.
    pub media_type: String,
    /// When it started, milliseconds since the Unix epoch.
    pub started_at: i64,
    /// Complete chunks stored.
    pub sealed_count: u32,
    /// The testimony being recorded, if the recording was linked to one.
    pub testimony_id: Option<Id>,
}

impl BlobUpload {
    /// The id the finished blob will have.
    pub fn blob_id(&self) -> Id {
        self.blob_id
    }

    /// The case the blob belongs to.
    pub fn case_id(&self) -> Id {
        self.case_id
    }

    /// Plaintext bytes accepted so far.
    pub fn written(&self) -> u64 {
        self.written
    }

    /// Seals `data`; every chunk it completes is stored in `tx` (commit it promptly). If the
    /// transaction is rolled back, this upload is out of step with the vault: drop it, and
    /// salvage what was committed.
    pub fn append(&mut self, tx: &mut VaultTx<'_>, data: &[u8]) -> Result<(), StoreError> {
        self.check_owner(tx)?;
        let sealed = self.sealer.update(data)?;
        if !sealed.is_empty() {
            let mut insert =
                tx.tx.prepare_cached("INSERT INTO blob_chunks (blob_id, position, sealed) VALUES (?1, ?2, ?3)")?;
            for (position, chunk) in &sealed {
                insert.execute(params![self.blob_id.as_slice(), position, chunk])?;
            }
            let sealed_count = sealed.last().map_or(0, |(position, _)| position + 1);
            tx.tx.execute(
                "UPDATE blob_uploads SET sealed_count = ?2 WHERE blob_id = ?1",
                params![self.blob_id.as_slice(), sealed_count],
            )?;
        }
        self.written += data.len() as u64;
        Ok(())
    }

    /// Seals the last chunk and turns the upload into an ordinary blob, in `tx`.
    pub fn finish(self, tx: &mut VaultTx<'_>) -> Result<BlobInfo, StoreError> {
        self.check_owner(tx)?;
        let ((position, last), summary) = self.sealer.finish()?;
        tx.tx.execute(
            "INSERT INTO blob_chunks (blob_id, position, sealed) VALUES (?1, ?2, ?3)",
            params![self.blob_id.as_slice(), position, last],
        )?;
        insert_blob_row(tx, &self.blob_id, &self.case_id, self.key_version, &self.header, &summary)?;
        tx.tx.execute("DELETE FROM blob_uploads WHERE blob_id = ?1", [self.blob_id.as_slice()])?;
        let BlobSummary { plain_len, content_hash, chunk_count } = summary;
        Ok(BlobInfo { blob_id: self.blob_id, case_id: self.case_id, plain_len, content_hash, chunk_count })
    }

    /// The upload row must still be there: a case deleted (or an upload discarded)
    /// mid-recording must not leave orphan chunks behind.
    fn check_owner(&self, tx: &VaultTx<'_>) -> Result<(), StoreError> {
        let found: Option<i64> = tx
            .tx
            .prepare_cached("SELECT 1 FROM blob_uploads WHERE blob_id = ?1")?
            .query_row([self.blob_id.as_slice()], |row| row.get(0))
            .optional()?;
        found.map(|_| ()).ok_or(StoreError::NotFound { what: "recording" })
    }
}

/// Records a finished blob (its chunks already stored), in the caller's transaction.
pub(crate) fn insert_blob_row(
    tx: &VaultTx<'_>,
    blob_id: &Id,
    case_id: &Id,
    key_version: u32,
    header: &[u8],
    summary: &BlobSummary,
) -> Result<(), StoreError> {
    tx.tx.execute(
        "INSERT INTO blobs (blob_id, case_id, key_version, header, plain_len, content_hash, chunk_count)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        params![
            blob_id.as_slice(),
            case_id.as_slice(),
            key_version,
            header,
            summary.plain_len as i64,
            summary.content_hash.as_slice(),
            summary.chunk_count
        ],
    )?;
    Ok(())
}

impl VaultTx<'_> {
    /// Starts a blob of `case_id` that will be written over many transactions.
    pub fn begin_upload(
        &mut self,
        case_id: &Id,
        media_type: &str,
        now: i64,
        testimony_id: Option<&Id>,
    ) -> Result<BlobUpload, StoreError> {
        let (key_version, key) = self.case_key(case_id)?;
        let blob_id = cairn_crypto::random_id();
        let context = BlobContext { case_id: *case_id, blob_id, key_version };
        let (sealer, header) = BlobSealer::new(&key, &context);
        self.tx.execute(
            "INSERT INTO blob_uploads (blob_id, case_id, key_version, header, media_type, started_at, sealed_count, testimony_id)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, 0, ?7)",
            params![
                blob_id.as_slice(),
                case_id.as_slice(),
                key_version,
                header,
                media_type,
                now,
                testimony_id.map(|id| id.as_slice())
            ],
        )?;
        Ok(BlobUpload { blob_id, case_id: *case_id, key_version, header, sealer, written: 0 })
    }

    /// Recordings whose writer is gone, oldest first. Call it when no writer is active (right
    /// after unlocking): an upload still being written is listed too. Attachments being
    /// received from a peer are not listed: they resume at the next sync.
    pub fn unfinished_uploads(&self) -> Result<Vec<UnfinishedUpload>, StoreError> {
        let mut statement = self.tx.prepare(
            "SELECT blob_id, case_id, media_type, started_at, sealed_count, testimony_id FROM blob_uploads
             WHERE address IS NULL ORDER BY started_at, blob_id",
        )?;
        let rows = statement.query_map([], |row| {
            Ok((
                row.get::<_, Vec<u8>>(0)?,
                row.get::<_, Vec<u8>>(1)?,
                row.get(2)?,
                row.get(3)?,
                row.get(4)?,
                row.get::<_, Option<Vec<u8>>>(5)?,
            ))
        })?;
        let damaged = |_| StoreError::Damaged { what: "recording metadata" };
        rows.map(|row| {
            let (blob_id, case_id, media_type, started_at, sealed_count, testimony_id) = row?;
            Ok(UnfinishedUpload {
                blob_id: blob_id.try_into().map_err(damaged)?,
                case_id: case_id.try_into().map_err(damaged)?,
                media_type,
                started_at,
                sealed_count,
                testimony_id: testimony_id.map(|id| id.try_into().map_err(damaged)).transpose()?,
            })
        })
        .collect()
    }

    /// Re-seals the committed chunks of an unfinished upload as a new, finished blob (one
    /// chunk in memory at a time) and removes the upload. `None` (and the upload removed)
    /// when not one chunk was complete.
    pub fn salvage_upload(&mut self, blob_id: &Id) -> Result<Option<BlobInfo>, StoreError> {
        let row = self
            .tx
            .query_row(
                "SELECT case_id, key_version, header, sealed_count FROM blob_uploads WHERE blob_id = ?1",
                [blob_id.as_slice()],
                |row| {
                    Ok((row.get::<_, Vec<u8>>(0)?, row.get::<_, u32>(1)?, row.get::<_, Vec<u8>>(2)?, row.get::<_, u32>(3)?))
                },
            )
            .optional()?;
        let (case_id, key_version, header, sealed_count) = row.ok_or(StoreError::NotFound { what: "recording" })?;
        let case_id: Id = case_id.try_into().map_err(|_| StoreError::Damaged { what: "recording metadata" })?;
        if sealed_count == 0 {
            self.discard_upload(blob_id)?;
            return Ok(None);
        }
        let old_key = self.case_key_version(&case_id, key_version)?;
        let old_context = BlobContext { case_id, blob_id: *blob_id, key_version };
        let opener = BlobOpener::for_unfinished(&old_key, &old_context, &header, sealed_count)?;

        let (new_version, new_key) = self.case_key(&case_id)?;
        let new_id = cairn_crypto::random_id();
        let new_context = BlobContext { case_id, blob_id: new_id, key_version: new_version };
        let (mut sealer, new_header) = BlobSealer::new(&new_key, &new_context);
        let summary = {
            let mut select =
                self.tx.prepare_cached("SELECT sealed FROM blob_chunks WHERE blob_id = ?1 AND position = ?2")?;
            let mut insert =
                self.tx.prepare_cached("INSERT INTO blob_chunks (blob_id, position, sealed) VALUES (?1, ?2, ?3)")?;
            for position in 0..sealed_count {
                let sealed: Vec<u8> = select
                    .query_row(params![blob_id.as_slice(), position], |row| row.get(0))
                    .optional()?
                    .ok_or(StoreError::Damaged { what: "recording chunk missing" })?;
                let plain = opener.open_chunk(position, &sealed)?;
                if plain.len() != BLOB_CHUNK_LEN {
                    return Err(StoreError::Damaged { what: "recording chunk" });
                }
                for (new_position, chunk) in sealer.update(&plain)? {
                    insert.execute(params![new_id.as_slice(), new_position, chunk])?;
                }
            }
            let ((position, last), summary) = sealer.finish()?;
            insert.execute(params![new_id.as_slice(), position, last])?;
            summary
        };
        insert_blob_row(self, &new_id, &case_id, new_version, &new_header, &summary)?;
        self.discard_upload(blob_id)?;
        let BlobSummary { plain_len, content_hash, chunk_count } = summary;
        Ok(Some(BlobInfo { blob_id: new_id, case_id, plain_len, content_hash, chunk_count }))
    }

    /// Deletes an unfinished upload and its chunks.
    pub fn discard_upload(&mut self, blob_id: &Id) -> Result<(), StoreError> {
        self.tx.execute("DELETE FROM blob_chunks WHERE blob_id = ?1", [blob_id.as_slice()])?;
        let deleted = self.tx.execute("DELETE FROM blob_uploads WHERE blob_id = ?1", [blob_id.as_slice()])?;
        if deleted == 0 {
            return Err(StoreError::NotFound { what: "recording" });
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use secrecy::SecretString;

    use super::*;
    use crate::{KdfChoice, Vault};

    const PASSPHRASE: &str = "correct horse battery staple";

    fn vault_with_case() -> (tempfile::TempDir, Vault, Id) {
        let dir = tempfile::tempdir().expect("tempdir");
        let (mut vault, _) =
            Vault::create(dir.path(), &SecretString::from(PASSPHRASE), KdfChoice::InsecureTestOnly).expect("create");
        let case_id = cairn_crypto::random_id();
        vault.transaction(|tx| tx.create_case_key(&case_id)).expect("case");
        (dir, vault, case_id)
    }

    fn sample(len: usize) -> Vec<u8> {
        (0..len).map(|i| (i * 31 + i / 7) as u8).collect()
    }

    /// Feeds `data` in pieces of `piece` bytes, one committed transaction per piece.
    fn record(vault: &mut Vault, case_id: &Id, data: &[u8], piece: usize) -> BlobUpload {
        let mut upload = vault.transaction(|tx| tx.begin_upload(case_id, "audio/mp4", 1, None)).expect("begin");
        for part in data.chunks(piece) {
            vault.transaction(|tx| upload.append(tx, part)).expect("append");
        }
        upload
    }

    fn chunk_rows(vault: &mut Vault, blob_id: &Id) -> i64 {
        vault
            .read(|tx| {
                Ok(tx.tx.query_row("SELECT count(*) FROM blob_chunks WHERE blob_id = ?1", [blob_id.as_slice()], |row| {
                    row.get(0)
                })?)
            })
            .expect("count")
    }

    #[test]
    fn an_upload_over_many_transactions_reads_back_whole_and_by_range() {
        let (_dir, mut vault, case_id) = vault_with_case();
        let data = sample(3 * BLOB_CHUNK_LEN + 12_345);
        let upload = record(&mut vault, &case_id, &data, 17_000);
        assert_eq!(upload.written(), data.len() as u64);
        let info = vault.transaction(|tx| upload.finish(tx)).expect("finish");
        assert_eq!((info.plain_len, info.chunk_count), (data.len() as u64, 4));
        let mut exported = Vec::new();
        vault.read(|tx| tx.export_blob(&info.blob_id, &mut exported)).expect("export");
        assert_eq!(exported, data);
        let last = data.len() as u64;
        for (offset, len) in
            [(0u64, 10usize), (0, 1 << 20), (65_530, 20), (BLOB_CHUNK_LEN as u64, BLOB_CHUNK_LEN), (last - 5, 100)]
        {
            let (_, bytes) = vault.read(|tx| tx.read_blob_range(&info.blob_id, offset, len)).expect("range");
            let end = (offset as usize + len).min(data.len());
            assert_eq!(&bytes[..], &data[offset as usize..end], "range {offset}+{len}");
        }
        let (_, past_end) = vault.read(|tx| tx.read_blob_range(&info.blob_id, last, 10)).expect("past end");
        assert!(past_end.is_empty());
        assert!(vault.read(|tx| tx.unfinished_uploads()).expect("list").is_empty());
    }

    #[test]
    fn a_lost_writer_leaves_an_unfinished_upload_that_is_salvaged() {
        let (dir, mut vault, case_id) = vault_with_case();
        let data = sample(3 * BLOB_CHUNK_LEN + 999);
        let upload = record(&mut vault, &case_id, &data, 40_000);
        let lost_id = upload.blob_id();
        // The writer disappears (the app crashed, or the vault locked mid-recording).
        drop(upload);
        vault.lock();
        let mut vault = Vault::unlock(dir.path(), &SecretString::from(PASSPHRASE)).expect("unlock");
        let unfinished = vault.read(|tx| tx.unfinished_uploads()).expect("list");
        assert_eq!(unfinished.len(), 1);
        assert_eq!((unfinished[0].blob_id, unfinished[0].case_id, unfinished[0].sealed_count), (lost_id, case_id, 3));
        assert_eq!(unfinished[0].media_type, "audio/mp4");
        let info = vault.transaction(|tx| tx.salvage_upload(&lost_id)).expect("salvage").expect("something to salvage");
        assert_ne!(info.blob_id, lost_id);
        let mut exported = Vec::new();
        vault.read(|tx| tx.export_blob(&info.blob_id, &mut exported)).expect("export");
        // Everything in complete chunks survives; the partial last chunk was only in memory.
        assert_eq!(exported, data[..3 * BLOB_CHUNK_LEN]);
        assert!(vault.read(|tx| tx.unfinished_uploads()).expect("list").is_empty());
        assert_eq!(chunk_rows(&mut vault, &lost_id), 0);
    }

    #[test]
    fn an_upload_with_no_complete_chunk_is_removed_on_salvage() {
        let (_dir, mut vault, case_id) = vault_with_case();
        let upload = record(&mut vault, &case_id, &sample(1000), 100);
        let id = upload.blob_id();
        drop(upload);
        assert_eq!(vault.transaction(|tx| tx.salvage_upload(&id)).expect("salvage"), None);
        assert!(vault.read(|tx| tx.unfinished_uploads()).expect("list").is_empty());
    }

    #[test]
    fn a_rolled_back_append_stores_nothing() {
        let (_dir, mut vault, case_id) = vault_with_case();
        let mut upload = vault.transaction(|tx| tx.begin_upload(&case_id, "audio/mp4", 1, None)).expect("begin");
        let outcome: Result<(), StoreError> = vault.transaction(|tx| {
            upload.append(tx, &sample(2 * BLOB_CHUNK_LEN + 1))?;
            Err(StoreError::DiskFull)
        });
        assert!(outcome.is_err());
        assert_eq!(chunk_rows(&mut vault, &upload.blob_id()), 0);
        let listed = vault.read(|tx| tx.unfinished_uploads()).expect("list");
        assert_eq!(listed[0].sealed_count, 0);
    }

    #[test]
    fn a_tampered_chunk_stops_salvage_and_changes_nothing() {
        let (_dir, mut vault, case_id) = vault_with_case();
        let upload = record(&mut vault, &case_id, &sample(2 * BLOB_CHUNK_LEN + 5), BLOB_CHUNK_LEN);
        let id = upload.blob_id();
        drop(upload);
        vault
            .transaction(|tx| {
                let sealed: Vec<u8> = tx.tx.query_row(
                    "SELECT sealed FROM blob_chunks WHERE blob_id = ?1 AND position = 1",
                    [id.as_slice()],
                    |row| row.get(0),
                )?;
                let mut flipped = sealed.clone();
                flipped[100] ^= 0x01;
                tx.tx.execute(
                    "UPDATE blob_chunks SET sealed = ?2 WHERE blob_id = ?1 AND position = 1",
                    params![id.as_slice(), flipped],
                )?;
                Ok(())
            })
            .expect("tamper");
        let outcome = vault.transaction(|tx| tx.salvage_upload(&id));
        assert!(matches!(outcome, Err(StoreError::Crypto(_))), "{outcome:?}");
        assert_eq!(vault.read(|tx| tx.unfinished_uploads()).expect("list").len(), 1);
        assert_eq!(chunk_rows(&mut vault, &id), 2);
        let blobs: i64 =
            vault.read(|tx| Ok(tx.tx.query_row("SELECT count(*) FROM blobs", [], |row| row.get(0))?)).expect("n");
        assert_eq!(blobs, 0);
    }

    #[test]
    fn deleting_the_case_removes_its_uploads_and_stops_the_writer() {
        let (_dir, mut vault, case_id) = vault_with_case();
        let mut upload = record(&mut vault, &case_id, &sample(BLOB_CHUNK_LEN + 1), 50_000);
        let id = upload.blob_id();
        vault.transaction(|tx| tx.delete_case(&case_id)).expect("delete");
        assert!(vault.read(|tx| tx.unfinished_uploads()).expect("list").is_empty());
        assert_eq!(chunk_rows(&mut vault, &id), 0);
        let next = vault.transaction(|tx| upload.append(tx, &sample(BLOB_CHUNK_LEN)));
        assert!(matches!(next, Err(StoreError::NotFound { .. }) | Err(StoreError::Crypto(_))), "{next:?}");
        assert_eq!(chunk_rows(&mut vault, &id), 0);
    }
}
