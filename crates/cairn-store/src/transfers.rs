//! Attachments between devices: which ones the case documents reference, which of those this
//! vault lacks, and the parts of one arriving (see `migrations/0006_attachment_sync.sql`).
//!
//! An attachment being received is an upload (`blob_uploads`) that names its address: each
//! part, once opened by the caller, is sealed at once as the blob chunk at its position, under
//! this vault's newest case key. When the last part is in, the chunks are opened once more to
//! learn the content's length and hash, and the upload becomes an ordinary blob. A cut link
//! leaves only whole chunks, so the next session resumes at the first missing one.

use std::io::Read;

use cairn_crypto::{
    AttachmentAddress, BLOB_CHUNK_LEN, BlobChunkSealer, BlobContext, BlobOpener, BlobSummary, ContentHash, ContentHasher,
};
use rusqlite::{OptionalExtension, params};
use zeroize::Zeroizing;

use crate::{BlobInfo, Id, StoreError, VaultTx};

/// One attachment a case document references (a derived row, rebuilt from the document).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttachmentBlobRow {
    /// The blob id the document names.
    pub blob_id: Id,
    /// The content's address.
    pub address: AttachmentAddress,
    /// The content's length.
    pub stored_size: u64,
    /// SHA-256 of the content.
    pub stored_hash: ContentHash,
}

/// Content a held case document references and this vault does not hold.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MissingAttachment {
    /// The case.
    pub case_id: Id,
    /// The content's address.
    pub address: AttachmentAddress,
    /// The content's length, as the case document records it.
    pub stored_size: u64,
    /// SHA-256 of the content, as the case document records it.
    pub stored_hash: ContentHash,
    /// Every blob id the case documents give this content (usually one).
    pub blob_ids: Vec<Id>,
    /// Parts already received (the next one wanted is at this position).
    pub parts_received: u32,
}

impl MissingAttachment {
    /// How many parts the content travels in (an empty file still has one, empty).
    pub fn part_count(&self) -> u32 {
        part_count(self.stored_size)
    }
}

/// How many parts content of `len` bytes travels in: one per blob chunk, at least one.
pub fn part_count(len: u64) -> u32 {
    u32::try_from(len.div_ceil(BLOB_CHUNK_LEN as u64).max(1)).unwrap_or(u32::MAX)
}

/// One received part, opened, for [`VaultTx::receive_blob_part`].
#[derive(Debug, Clone, Copy)]
pub struct ReceivedPart<'a> {
    /// The case.
    pub case_id: &'a Id,
    /// The attachment's address.
    pub address: &'a AttachmentAddress,
    /// The blob id the attachment gets (used when the first part starts the upload).
    pub blob_id: &'a Id,
    /// The part's position.
    pub position: u32,
    /// Whether it is the last part.
    pub last: bool,
    /// Its content.
    pub content: &'a [u8],
}

/// An upload receiving an attachment.
struct Receiving {
    blob_id: Id,
    key_version: u32,
    header: Vec<u8>,
    sealed_count: u32,
}

fn damaged(_: Vec<u8>) -> StoreError {
    StoreError::Damaged { what: "attachment index" }
}

impl VaultTx<'_> {
    /// Replaces the attachment rows of a case (from its case document's state). Only rows that
    /// differ are written: most edits change no attachment.
    pub fn replace_attachment_blobs(&mut self, case_id: &Id, rows: &[AttachmentBlobRow]) -> Result<(), StoreError> {
        type Stored = (Vec<u8>, Vec<u8>, i64, Vec<u8>);
        let existing: Vec<Stored> = self
            .tx
            .prepare_cached("SELECT blob_id, address, stored_size, stored_hash FROM attachment_blobs WHERE case_id = ?1")?
            .query_map([case_id.as_slice()], |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?)))?
            .collect::<Result<_, _>>()?;
        let as_stored = |row: &AttachmentBlobRow| -> Stored {
            (row.blob_id.to_vec(), row.address.to_vec(), row.stored_size as i64, row.stored_hash.to_vec())
        };
        let wanted: Vec<Stored> = rows.iter().map(as_stored).collect();
        for stored in &existing {
            if !wanted.contains(stored) {
                self.tx
                    .prepare_cached("DELETE FROM attachment_blobs WHERE case_id = ?1 AND blob_id = ?2")?
                    .execute(params![case_id.as_slice(), stored.0])?;
            }
        }
        let mut insert = self.tx.prepare_cached(
            "INSERT OR REPLACE INTO attachment_blobs (case_id, blob_id, address, stored_size, stored_hash)
             VALUES (?1, ?2, ?3, ?4, ?5)",
        )?;
        for row in rows.iter().filter(|row| !existing.contains(&as_stored(row))) {
            insert.execute(params![
                case_id.as_slice(),
                row.blob_id.as_slice(),
                row.address.as_slice(),
                row.stored_size as i64,
                row.stored_hash.as_slice()
            ])?;
        }
        Ok(())
    }

    /// Records the address of a blob this vault made.
    pub fn set_blob_address(&mut self, blob_id: &Id, address: &AttachmentAddress) -> Result<(), StoreError> {
        let updated = self
            .tx
            .prepare_cached("UPDATE blobs SET address = ?2 WHERE blob_id = ?1")?
            .execute(params![blob_id.as_slice(), address.as_slice()])?;
        if updated == 0 {
            return Err(StoreError::NotFound { what: "attachment" });
        }
        Ok(())
    }

    /// Every attachment the held case documents reference whose content this vault lacks,
    /// one entry per case and address, in a fixed order. Cases with a tombstone are left out.
    pub fn missing_attachments(&self) -> Result<Vec<MissingAttachment>, StoreError> {
        let mut statement = self.tx.prepare_cached(
            "SELECT a.case_id, a.address, a.stored_size, a.stored_hash, a.blob_id,
                    COALESCE((SELECT u.sealed_count FROM blob_uploads u
                              WHERE u.case_id = a.case_id AND u.address = a.address), 0)
             FROM attachment_blobs a
             WHERE NOT EXISTS (SELECT 1 FROM blobs b WHERE b.blob_id = a.blob_id)
               AND NOT EXISTS (SELECT 1 FROM tombstones t WHERE t.case_id = a.case_id)
             ORDER BY a.case_id, a.address, a.blob_id",
        )?;
        let rows = statement.query_map([], |row| {
            Ok((
                row.get::<_, Vec<u8>>(0)?,
                row.get::<_, Vec<u8>>(1)?,
                row.get::<_, i64>(2)?,
                row.get::<_, Vec<u8>>(3)?,
                row.get::<_, Vec<u8>>(4)?,
                row.get::<_, u32>(5)?,
            ))
        })?;
        let mut missing: Vec<MissingAttachment> = Vec::new();
        for row in rows {
            let (case_id, address, stored_size, stored_hash, blob_id, parts_received) = row?;
            let (case_id, address): (Id, AttachmentAddress) =
                (case_id.try_into().map_err(damaged)?, address.try_into().map_err(damaged)?);
            let blob_id: Id = blob_id.try_into().map_err(damaged)?;
            match missing.last_mut() {
                Some(last) if last.case_id == case_id && last.address == address => last.blob_ids.push(blob_id),
                _ => missing.push(MissingAttachment {
                    case_id,
                    address,
                    stored_size: stored_size as u64,
                    stored_hash: stored_hash.try_into().map_err(damaged)?,
                    blob_ids: vec![blob_id],
                    parts_received,
                }),
            }
        }
        Ok(missing)
    }

    /// The missing attachment of `case_id` at `address`, if it is missing.
    pub fn missing_attachment(
        &self,
        case_id: &Id,
        address: &AttachmentAddress,
    ) -> Result<Option<MissingAttachment>, StoreError> {
        // Few rows are ever missing at once; the full list is one indexed query.
        Ok(self.missing_attachments()?.into_iter().find(|m| &m.case_id == case_id && &m.address == address))
    }

    /// The blob of `case_id` stored at `address`, if this vault holds it.
    pub fn blob_by_address(&self, case_id: &Id, address: &AttachmentAddress) -> Result<Option<BlobInfo>, StoreError> {
        let blob_id: Option<Vec<u8>> = self
            .tx
            .prepare_cached("SELECT blob_id FROM blobs WHERE case_id = ?1 AND address = ?2 ORDER BY blob_id LIMIT 1")?
            .query_row(params![case_id.as_slice(), address.as_slice()], |row| row.get(0))
            .optional()?;
        match blob_id {
            Some(id) => Ok(Some(self.blob_info(&id.try_into().map_err(damaged)?)?)),
            None => Ok(None),
        }
    }

    /// Seals one received part (its content, opened by the caller) as the chunk at its
    /// position of the attachment being received, in the caller's transaction. The first part
    /// starts the upload, as the blob `part.blob_id`; parts arrive in order, each once.
    pub fn receive_blob_part(&mut self, part: &ReceivedPart<'_>, now: i64) -> Result<(), StoreError> {
        let (case_id, address) = (part.case_id, part.address);
        let upload = match self.receiving(case_id, address)? {
            Some(upload) => upload,
            None => {
                let (key_version, key) = self.case_key(case_id)?;
                let context = BlobContext { case_id: *case_id, blob_id: *part.blob_id, key_version };
                let (_, header) = BlobChunkSealer::new(&key, &context);
                self.tx.execute(
                    "INSERT INTO blob_uploads
                     (blob_id, case_id, key_version, header, media_type, started_at, sealed_count, address)
                     VALUES (?1, ?2, ?3, ?4, '', ?5, 0, ?6)",
                    params![part.blob_id.as_slice(), case_id.as_slice(), key_version, header, now, address.as_slice()],
                )?;
                Receiving { blob_id: *part.blob_id, key_version, header, sealed_count: 0 }
            }
        };
        if part.position != upload.sealed_count {
            return Err(StoreError::Damaged { what: "attachment part out of order" });
        }
        let key = self.case_key_version(case_id, upload.key_version)?;
        let context = BlobContext { case_id: *case_id, blob_id: upload.blob_id, key_version: upload.key_version };
        let sealed = BlobChunkSealer::resume(&key, &context, &upload.header)?
            .seal_chunk(part.position, part.last, part.content)
            .map_err(|_| StoreError::Damaged { what: "attachment part length" })?;
        self.tx
            .prepare_cached("INSERT INTO blob_chunks (blob_id, position, sealed) VALUES (?1, ?2, ?3)")?
            .execute(params![upload.blob_id.as_slice(), part.position, sealed])?;
        self.tx
            .prepare_cached("UPDATE blob_uploads SET sealed_count = ?2 WHERE blob_id = ?1")?
            .execute(params![upload.blob_id.as_slice(), part.position + 1])?;
        Ok(())
    }

    /// Turns the attachment at `address`, whose last part was received, into an ordinary blob:
    /// opens every chunk once to learn its length and hash (the caller checks them against the
    /// case document before committing) and records its address.
    pub fn finish_received_blob(&mut self, case_id: &Id, address: &AttachmentAddress) -> Result<BlobInfo, StoreError> {
        let Receiving { blob_id, key_version, header, sealed_count: chunk_count } =
            self.receiving(case_id, address)?.ok_or(StoreError::NotFound { what: "attachment" })?;
        let key = self.case_key_version(case_id, key_version)?;
        let context = BlobContext { case_id: *case_id, blob_id, key_version };
        let opener = BlobOpener::new(&key, &context, &header, chunk_count)?;
        let mut hasher = ContentHasher::new();
        let mut plain_len = 0u64;
        {
            let mut select =
                self.tx.prepare_cached("SELECT sealed FROM blob_chunks WHERE blob_id = ?1 AND position = ?2")?;
            for position in 0..chunk_count {
                let sealed: Vec<u8> = select
                    .query_row(params![blob_id.as_slice(), position], |row| row.get(0))
                    .optional()?
                    .ok_or(StoreError::Damaged { what: "attachment chunk missing" })?;
                let content = opener.open_chunk(position, &sealed)?;
                hasher.update(&content);
                plain_len += content.len() as u64;
            }
        }
        let summary = BlobSummary { plain_len, content_hash: hasher.finish(), chunk_count };
        crate::uploads::insert_blob_row(self, &blob_id, case_id, key_version, &header, &summary)?;
        self.tx.execute("DELETE FROM blob_uploads WHERE blob_id = ?1", [blob_id.as_slice()])?;
        self.set_blob_address(&blob_id, address)?;
        Ok(BlobInfo { blob_id, case_id: *case_id, plain_len, content_hash: summary.content_hash, chunk_count })
    }

    /// Deletes what was received of the attachment at `address` (the whole did not check out).
    pub fn discard_received_blob(&mut self, case_id: &Id, address: &AttachmentAddress) -> Result<(), StoreError> {
        if let Some(upload) = self.receiving(case_id, address)? {
            self.discard_upload(&upload.blob_id)?;
        }
        Ok(())
    }

    /// The upload receiving `address`, if one was started.
    fn receiving(&self, case_id: &Id, address: &AttachmentAddress) -> Result<Option<Receiving>, StoreError> {
        let row = self
            .tx
            .prepare_cached(
                "SELECT blob_id, key_version, header, sealed_count FROM blob_uploads WHERE case_id = ?1 AND address = ?2",
            )?
            .query_row(params![case_id.as_slice(), address.as_slice()], |row| {
                Ok((row.get::<_, Vec<u8>>(0)?, row.get::<_, u32>(1)?, row.get::<_, Vec<u8>>(2)?, row.get::<_, u32>(3)?))
            })
            .optional()?;
        row.map(|(blob_id, key_version, header, sealed_count)| {
            Ok(Receiving { blob_id: blob_id.try_into().map_err(damaged)?, key_version, header, sealed_count })
        })
        .transpose()
    }

    /// Copies a blob this vault holds as `new_blob_id` (the same content attached twice, on
    /// two devices, under two ids), keeping its address.
    pub fn copy_blob(&mut self, source_id: &Id, new_blob_id: &Id) -> Result<BlobInfo, StoreError> {
        let info = self.blob_info(source_id)?;
        let address: Option<Vec<u8>> = self
            .tx
            .prepare_cached("SELECT address FROM blobs WHERE blob_id = ?1")?
            .query_row([source_id.as_slice()], |row| row.get(0))?;
        let mut source = BlobChunks { tx: self, blob_id: source_id, chunks: info.chunk_count, next: 0, buffer: None };
        let copied = self.seal_blob_as(&info.case_id, new_blob_id, &mut source)?;
        if let Some(address) = address {
            let address: AttachmentAddress = address.try_into().map_err(damaged)?;
            self.set_blob_address(new_blob_id, &address)?;
        }
        Ok(copied)
    }
}

/// Reads the content of a stored blob, one chunk at a time.
struct BlobChunks<'a, 't> {
    tx: &'a VaultTx<'t>,
    blob_id: &'a Id,
    chunks: u32,
    next: u32,
    buffer: Option<(Zeroizing<Vec<u8>>, usize)>,
}

impl Read for BlobChunks<'_, '_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        loop {
            if let Some((chunk, offset)) = &mut self.buffer
                && *offset < chunk.len()
            {
                let take = buf.len().min(chunk.len() - *offset);
                buf[..take].copy_from_slice(&chunk[*offset..*offset + take]);
                *offset += take;
                return Ok(take);
            }
            if self.next == self.chunks {
                return Ok(0);
            }
            let chunk = self.tx.blob_chunk(self.blob_id, self.next).map_err(std::io::Error::other)?;
            self.next += 1;
            self.buffer = Some((chunk, 0));
        }
    }
}

#[cfg(test)]
mod tests {
    use secrecy::SecretString;

    use super::*;
    use crate::{KdfChoice, Vault};

    fn vault_with_case() -> (tempfile::TempDir, Vault, Id) {
        let dir = tempfile::tempdir().expect("tempdir");
        let (mut vault, _) =
            Vault::create(dir.path(), &SecretString::from("correct horse battery staple"), KdfChoice::InsecureTestOnly)
                .expect("create");
        let case_id = [7; 16];
        vault.transaction(|tx| tx.create_case_key(&case_id)).expect("case");
        (dir, vault, case_id)
    }

    const BLOB_ID: Id = [1; 16];
    const ADDRESS: AttachmentAddress = [2; 32];

    fn part<'a>(case_id: &'a Id, position: u32, last: bool, content: &'a [u8]) -> ReceivedPart<'a> {
        ReceivedPart { case_id, address: &ADDRESS, blob_id: &BLOB_ID, position, last, content }
    }

    fn row(content: &[u8], blob_id: Id, address: AttachmentAddress) -> AttachmentBlobRow {
        let mut hasher = ContentHasher::new();
        hasher.update(content);
        AttachmentBlobRow { blob_id, address, stored_size: content.len() as u64, stored_hash: hasher.finish() }
    }

    #[test]
    fn the_attachment_rows_end_as_asked_whatever_they_held() {
        let (_dir, mut vault, case_id) = vault_with_case();
        let held = |vault: &mut Vault| {
            let mut rows: Vec<(Vec<u8>, Vec<u8>, i64)> = vault
                .read(|tx| {
                    Ok(tx
                        .tx
                        .prepare("SELECT blob_id, address, stored_size FROM attachment_blobs WHERE case_id = ?1")?
                        .query_map([case_id.as_slice()], |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)))?
                        .collect::<Result<_, _>>()?)
                })
                .expect("read");
            rows.sort();
            rows
        };
        let (one, two, three) =
            (row(b"one", [1; 16], [1; 32]), row(b"two", [2; 16], [2; 32]), row(b"three", [3; 16], [3; 32]));
        vault.transaction(|tx| tx.replace_attachment_blobs(&case_id, &[one.clone(), two.clone()])).expect("first");
        // One gone, one whose content changed, one new.
        let two_again = row(b"two, longer", [2; 16], [4; 32]);
        vault.transaction(|tx| tx.replace_attachment_blobs(&case_id, &[two_again, three])).expect("second");
        assert_eq!(held(&mut vault), vec![(vec![2; 16], vec![4; 32], 11), (vec![3; 16], vec![3; 32], 5)]);
        vault.transaction(|tx| tx.replace_attachment_blobs(&case_id, &[])).expect("emptied");
        assert!(held(&mut vault).is_empty());
    }

    #[test]
    fn parts_received_over_several_transactions_become_one_blob() {
        let (_dir, mut vault, case_id) = vault_with_case();
        let content: Vec<u8> = (0..(2 * BLOB_CHUNK_LEN + 500)).map(|i| (i % 251) as u8).collect();
        let (blob_id, address) = (BLOB_ID, ADDRESS);
        vault.transaction(|tx| tx.replace_attachment_blobs(&case_id, &[row(&content, blob_id, address)])).expect("rows");
        let missing = vault.read(|tx| tx.missing_attachments()).expect("missing");
        assert_eq!((missing.len(), missing[0].part_count(), missing[0].parts_received), (1, 3, 0));
        let parts: Vec<&[u8]> = content.chunks(BLOB_CHUNK_LEN).collect();
        // One part per transaction, as over a link that drops between messages.
        vault.transaction(|tx| tx.receive_blob_part(&part(&case_id, 0, false, parts[0]), 1)).expect("0");
        // Out of order or again: refused, nothing changes.
        for position in [0, 2] {
            let error = vault
                .transaction(|tx| tx.receive_blob_part(&part(&case_id, position, false, parts[1]), 1))
                .expect_err("out of order");
            assert!(matches!(error, StoreError::Damaged { .. }));
        }
        assert_eq!(vault.read(|tx| tx.missing_attachments()).expect("missing")[0].parts_received, 1);
        // A recording's salvage never sees it.
        assert!(vault.read(|tx| tx.unfinished_uploads()).expect("uploads").is_empty());
        vault.transaction(|tx| tx.receive_blob_part(&part(&case_id, 1, false, parts[1]), 1)).expect("1");
        let info = vault
            .transaction(|tx| {
                tx.receive_blob_part(&part(&case_id, 2, true, parts[2]), 1)?;
                tx.finish_received_blob(&case_id, &address)
            })
            .expect("finish");
        assert_eq!((info.blob_id, info.plain_len, info.chunk_count), (blob_id, content.len() as u64, 3));
        assert_eq!(info.content_hash, row(&content, blob_id, address).stored_hash);
        let mut exported = Vec::new();
        vault.read(|tx| tx.export_blob(&blob_id, &mut exported)).expect("export");
        assert_eq!(exported, content);
        assert!(vault.read(|tx| tx.missing_attachments()).expect("missing").is_empty());
        assert_eq!(
            vault.read(|tx| tx.blob_by_address(&case_id, &address)).expect("by address").map(|b| b.blob_id),
            Some(blob_id)
        );
        // A copy under another id (the same file attached on two devices) keeps the address.
        let copy = vault.transaction(|tx| tx.copy_blob(&blob_id, &[3; 16])).expect("copy");
        assert_eq!((copy.plain_len, copy.content_hash), (info.plain_len, info.content_hash));
    }

    #[test]
    fn a_discarded_reception_starts_again_from_the_first_part() {
        let (_dir, mut vault, case_id) = vault_with_case();
        let content = vec![9u8; BLOB_CHUNK_LEN + 1];
        let (blob_id, address) = (BLOB_ID, ADDRESS);
        vault.transaction(|tx| tx.replace_attachment_blobs(&case_id, &[row(&content, blob_id, address)])).expect("rows");
        vault.transaction(|tx| tx.receive_blob_part(&part(&case_id, 0, false, &content[..BLOB_CHUNK_LEN]), 1)).expect("0");
        vault.transaction(|tx| tx.discard_received_blob(&case_id, &address)).expect("discard");
        assert_eq!(vault.read(|tx| tx.missing_attachments()).expect("missing")[0].parts_received, 0);
        // A short part that is not the last is refused.
        let error =
            vault.transaction(|tx| tx.receive_blob_part(&part(&case_id, 0, false, &content[..10]), 1)).expect_err("short");
        assert!(matches!(error, StoreError::Damaged { .. }));
    }
}
