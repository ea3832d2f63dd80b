//! Attachments between devices: which ones the case documents reference, which of those this
//! vault lacks, and the parts of one arriving (see `migrations/0006_attachment_sync.sql`).
//!
//! Parts arrive sealed under the case key by the sender and are kept as they came until the
//! last one is in; then they are opened one at a time, sealed as an ordinary blob under this
//! vault's newest case key, and deleted, in one transaction. A cut link leaves only whole
//! parts, so the next session resumes at the first missing one.

use std::io::Read;

use cairn_crypto::{AttachmentAddress, BLOB_CHUNK_LEN, ContentHash};
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

/// Opens one received part: given the transaction, its position, whether it is the last,
/// and its sealed bytes, its content.
pub type OpenPart<'o> = dyn FnMut(&VaultTx<'_>, u32, bool, &[u8]) -> Result<Zeroizing<Vec<u8>>, StoreError> + 'o;

fn damaged(_: Vec<u8>) -> StoreError {
    StoreError::Damaged { what: "attachment index" }
}

impl VaultTx<'_> {
    /// Replaces the attachment rows of a case (from its case document's state).
    pub fn replace_attachment_blobs(&mut self, case_id: &Id, rows: &[AttachmentBlobRow]) -> Result<(), StoreError> {
        self.tx.prepare_cached("DELETE FROM attachment_blobs WHERE case_id = ?1")?.execute([case_id.as_slice()])?;
        let mut insert = self.tx.prepare_cached(
            "INSERT OR REPLACE INTO attachment_blobs (case_id, blob_id, address, stored_size, stored_hash)
             VALUES (?1, ?2, ?3, ?4, ?5)",
        )?;
        for row in rows {
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
                    (SELECT COUNT(*) FROM sync_blob_parts p WHERE p.case_id = a.case_id AND p.address = a.address)
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

    /// Keeps one received part; parts arrive in order, so `position` must be the next one.
    pub fn stage_blob_part(
        &mut self,
        case_id: &Id,
        address: &AttachmentAddress,
        position: u32,
        sealed: &[u8],
    ) -> Result<(), StoreError> {
        if position != self.staged_part_count(case_id, address)? {
            return Err(StoreError::Damaged { what: "attachment part out of order" });
        }
        self.tx
            .prepare_cached("INSERT INTO sync_blob_parts (case_id, address, position, sealed) VALUES (?1, ?2, ?3, ?4)")?
            .execute(params![case_id.as_slice(), address.as_slice(), position, sealed])?;
        Ok(())
    }

    /// How many parts of `address` have arrived.
    pub fn staged_part_count(&self, case_id: &Id, address: &AttachmentAddress) -> Result<u32, StoreError> {
        Ok(self
            .tx
            .prepare_cached("SELECT COUNT(*) FROM sync_blob_parts WHERE case_id = ?1 AND address = ?2")?
            .query_row(params![case_id.as_slice(), address.as_slice()], |row| row.get(0))?)
    }

    /// Deletes the received parts of `address` (the whole did not check out).
    pub fn discard_staged_parts(&mut self, case_id: &Id, address: &AttachmentAddress) -> Result<(), StoreError> {
        self.tx
            .prepare_cached("DELETE FROM sync_blob_parts WHERE case_id = ?1 AND address = ?2")?
            .execute(params![case_id.as_slice(), address.as_slice()])?;
        Ok(())
    }

    /// Seals the `parts` received parts of `address` as the blob `blob_id` of `case_id` (one
    /// part in memory at a time; `open` turns a sealed part into its content, given this
    /// transaction, its position and whether it is the last), records the address, and deletes the parts.
    /// The caller checks the result against the case document before committing.
    pub fn assemble_blob(
        &mut self,
        case_id: &Id,
        address: &AttachmentAddress,
        blob_id: &Id,
        parts: u32,
        open: &mut OpenPart<'_>,
    ) -> Result<BlobInfo, StoreError> {
        if self.staged_part_count(case_id, address)? != parts {
            return Err(StoreError::Damaged { what: "attachment parts missing" });
        }
        let mut source = StagedParts {
            tx: self,
            case_id,
            address,
            parts,
            next: 0,
            open,
            buffer: Zeroizing::new(Vec::new()),
            offset: 0,
            failure: None,
        };
        let sealed = self.seal_blob_as(case_id, blob_id, &mut source);
        if let Some(failure) = source.failure.take() {
            return Err(failure);
        }
        let info = sealed?;
        self.set_blob_address(blob_id, address)?;
        self.discard_staged_parts(case_id, address)?;
        Ok(info)
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

/// Reads the content of received parts, opening one at a time.
struct StagedParts<'a, 't, 'o> {
    tx: &'a VaultTx<'t>,
    case_id: &'a Id,
    address: &'a AttachmentAddress,
    parts: u32,
    next: u32,
    open: &'a mut OpenPart<'o>,
    buffer: Zeroizing<Vec<u8>>,
    offset: usize,
    failure: Option<StoreError>,
}

impl StagedParts<'_, '_, '_> {
    fn next_part(&mut self) -> Result<(), StoreError> {
        let sealed: Vec<u8> = self
            .tx
            .tx
            .prepare_cached("SELECT sealed FROM sync_blob_parts WHERE case_id = ?1 AND address = ?2 AND position = ?3")?
            .query_row(params![self.case_id.as_slice(), self.address.as_slice(), self.next], |row| row.get(0))
            .optional()?
            .ok_or(StoreError::Damaged { what: "attachment parts missing" })?;
        let last = self.next + 1 == self.parts;
        let content = (self.open)(self.tx, self.next, last, &sealed)?;
        if !last && content.len() != BLOB_CHUNK_LEN {
            return Err(StoreError::Damaged { what: "attachment part length" });
        }
        self.buffer = content;
        self.offset = 0;
        self.next += 1;
        Ok(())
    }
}

impl Read for StagedParts<'_, '_, '_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        while self.offset == self.buffer.len() {
            if self.next == self.parts {
                return Ok(0);
            }
            if let Err(error) = self.next_part() {
                self.failure = Some(error);
                return Err(std::io::Error::other("attachment part refused"));
            }
        }
        let take = buf.len().min(self.buffer.len() - self.offset);
        buf[..take].copy_from_slice(&self.buffer[self.offset..self.offset + take]);
        self.offset += take;
        Ok(take)
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
