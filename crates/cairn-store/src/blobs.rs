//! Sealed blobs (attachments), written and read as a stream in bounded memory.

use std::io::{Read, Write};

use cairn_crypto::{BLOB_CHUNK_LEN, BlobContext, BlobOpener, BlobSealer, BlobSummary, ContentHash, ContentHasher};
use rusqlite::{OptionalExtension, params};
use zeroize::Zeroizing;

use crate::{Id, StoreError, VaultTx};

/// What the vault knows about a stored blob.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BlobInfo {
    /// The blob's id.
    pub blob_id: Id,
    /// The case it belongs to.
    pub case_id: Id,
    /// Plaintext length.
    pub plain_len: u64,
    /// SHA-256 of the plaintext.
    pub content_hash: ContentHash,
    /// Number of sealed chunks.
    pub chunk_count: u32,
}

impl VaultTx<'_> {
    /// Seals everything `source` yields as a new blob of `case_id`, one chunk at a time.
    /// Inside the caller's transaction: an error (or a crash) leaves no partial blob.
    pub fn import_blob(&mut self, case_id: &Id, source: &mut dyn Read) -> Result<BlobInfo, StoreError> {
        self.seal_blob_as(case_id, &cairn_crypto::random_id(), source)
    }

    /// Seals everything `source` yields as the blob `blob_id` of `case_id`, under the case's
    /// newest key (a new random id for a local import; the id a case document names for one
    /// received from a peer).
    pub(crate) fn seal_blob_as(&self, case_id: &Id, blob_id: &Id, source: &mut dyn Read) -> Result<BlobInfo, StoreError> {
        let (key_version, key) = self.case_key(case_id)?;
        let blob_id = *blob_id;
        let context = BlobContext { case_id: *case_id, blob_id, key_version };
        let (mut sealer, header) = BlobSealer::new(&key, &context);
        let mut insert =
            self.tx.prepare_cached("INSERT INTO blob_chunks (blob_id, position, sealed) VALUES (?1, ?2, ?3)")?;
        let mut buffer = Zeroizing::new(vec![0u8; BLOB_CHUNK_LEN]);
        loop {
            let read = match source.read(&mut buffer) {
                Ok(0) => break,
                Ok(read) => read,
                Err(error) if error.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(error) => return Err(error.into()),
            };
            for (position, sealed) in sealer.update(&buffer[..read])? {
                insert.execute(params![blob_id.as_slice(), position, sealed])?;
            }
        }
        let ((position, sealed), summary) = sealer.finish()?;
        insert.execute(params![blob_id.as_slice(), position, sealed])?;
        drop(insert);
        crate::uploads::insert_blob_row(self, &blob_id, case_id, key_version, &header, &summary)?;
        let BlobSummary { plain_len, content_hash, chunk_count } = summary;
        Ok(BlobInfo { blob_id, case_id: *case_id, plain_len, content_hash, chunk_count })
    }

    /// What is known about a blob.
    pub fn blob_info(&self, blob_id: &Id) -> Result<BlobInfo, StoreError> {
        self.blob_row(blob_id).map(|(info, _, _)| info)
    }

    fn blob_row(&self, blob_id: &Id) -> Result<(BlobInfo, u32, Vec<u8>), StoreError> {
        let row = self
            .tx
            .query_row(
                "SELECT case_id, key_version, header, plain_len, content_hash, chunk_count FROM blobs WHERE blob_id = ?1",
                [blob_id.as_slice()],
                |row| {
                    Ok((
                        row.get::<_, Vec<u8>>(0)?,
                        row.get::<_, u32>(1)?,
                        row.get::<_, Vec<u8>>(2)?,
                        row.get::<_, i64>(3)?,
                        row.get::<_, Vec<u8>>(4)?,
                        row.get::<_, u32>(5)?,
                    ))
                },
            )
            .optional()?;
        let (case_id, key_version, header, plain_len, content_hash, chunk_count) =
            row.ok_or(StoreError::NotFound { what: "attachment" })?;
        let damaged = |_| StoreError::Damaged { what: "attachment metadata" };
        let info = BlobInfo {
            blob_id: *blob_id,
            case_id: case_id.try_into().map_err(damaged)?,
            plain_len: plain_len as u64,
            content_hash: content_hash.try_into().map_err(damaged)?,
            chunk_count,
        };
        Ok((info, key_version, header))
    }

    fn blob_opener(&self, blob_id: &Id) -> Result<(BlobInfo, BlobOpener), StoreError> {
        let (info, key_version, header) = self.blob_row(blob_id)?;
        let key = self.case_key_version(&info.case_id, key_version)?;
        let context = BlobContext { case_id: info.case_id, blob_id: *blob_id, key_version };
        Ok((info, BlobOpener::new(&key, &context, &header, info.chunk_count)?))
    }

    /// Opens one chunk of a blob (for seeking, e.g. audio playback).
    pub fn blob_chunk(&self, blob_id: &Id, position: u32) -> Result<Zeroizing<Vec<u8>>, StoreError> {
        let (_, opener) = self.blob_opener(blob_id)?;
        let sealed: Vec<u8> = self
            .tx
            .query_row(
                "SELECT sealed FROM blob_chunks WHERE blob_id = ?1 AND position = ?2",
                params![blob_id.as_slice(), position],
                |row| row.get(0),
            )
            .optional()?
            .ok_or(StoreError::Damaged { what: "attachment chunk missing" })?;
        Ok(opener.open_chunk(position, &sealed)?)
    }

    /// Reads up to `max_len` plaintext bytes of a blob starting at `offset` (fewer at its
    /// end, none past it), opening only the chunks that cover them: how playback streams and
    /// seeks without decrypting the whole file. Every chunk read is authenticated; the
    /// whole-file hash is not checked (that needs every byte: see [`VaultTx::export_blob`]).
    pub fn read_blob_range(
        &self,
        blob_id: &Id,
        offset: u64,
        max_len: usize,
    ) -> Result<(BlobInfo, Zeroizing<Vec<u8>>), StoreError> {
        let (info, opener) = self.blob_opener(blob_id)?;
        let end = offset.saturating_add(max_len as u64).min(info.plain_len);
        let mut out = Zeroizing::new(Vec::with_capacity(end.saturating_sub(offset) as usize));
        if offset >= end {
            return Ok((info, out));
        }
        let chunk_len = BLOB_CHUNK_LEN as u64;
        let (first, last) = (offset / chunk_len, (end - 1) / chunk_len);
        let mut select = self.tx.prepare_cached("SELECT sealed FROM blob_chunks WHERE blob_id = ?1 AND position = ?2")?;
        for position in first..=last {
            let position = u32::try_from(position).map_err(|_| StoreError::Damaged { what: "attachment metadata" })?;
            let sealed: Vec<u8> = select
                .query_row(params![blob_id.as_slice(), position], |row| row.get(0))
                .optional()?
                .ok_or(StoreError::Damaged { what: "attachment chunk missing" })?;
            let plain = opener.open_chunk(position, &sealed)?;
            let chunk_start = u64::from(position) * chunk_len;
            let from = offset.saturating_sub(chunk_start) as usize;
            let to = ((end - chunk_start) as usize).min(plain.len());
            if from > to {
                return Err(StoreError::Damaged { what: "attachment chunk" });
            }
            out.extend_from_slice(&plain[from..to]);
        }
        if out.len() as u64 != end - offset {
            return Err(StoreError::Damaged { what: "attachment incomplete" });
        }
        Ok((info, out))
    }

    /// Writes a blob's plaintext to `sink`, checking every chunk and, at the end, the content
    /// hash. On error the sink holds a prefix: callers write to a temporary file and keep it
    /// only on success.
    pub fn export_blob(&self, blob_id: &Id, sink: &mut dyn Write) -> Result<BlobInfo, StoreError> {
        let (info, opener) = self.blob_opener(blob_id)?;
        let mut statement =
            self.tx.prepare("SELECT position, sealed FROM blob_chunks WHERE blob_id = ?1 ORDER BY position")?;
        let mut rows = statement.query([blob_id.as_slice()])?;
        let mut expected = 0u32;
        let mut hasher = ContentHasher::new();
        while let Some(row) = rows.next()? {
            let position: u32 = row.get(0)?;
            if position != expected {
                return Err(StoreError::Damaged { what: "attachment chunk missing" });
            }
            let sealed = row.get_ref(1)?.as_blob().map_err(|_| StoreError::Damaged { what: "attachment chunk" })?;
            let plain = opener.open_chunk(position, sealed)?;
            hasher.update(&plain);
            sink.write_all(&plain)?;
            expected += 1;
        }
        if expected != info.chunk_count || hasher.finish() != info.content_hash {
            return Err(StoreError::Damaged { what: "attachment incomplete" });
        }
        Ok(info)
    }
}
