//! Attachments: files imported into a case as sealed blobs (photo metadata stripped unless
//! kept), and exported again, checked against their content hash, never leaving a partial file.

use std::{
    fs,
    io::{Read, Write},
    path::Path,
};

use cairn_crypto::{ContentHasher, attachment_address};
use cairn_model::{
    AttachmentRef, CaseDoc, ImageFormat, MetadataHandling, ObjectId, ObjectKind, StrippingReader, id_to_hex, parse_id,
    validate,
};
use cairn_store::{
    BlobInfo, StoreError, VaultTx,
    fsutil::{AtomicFile, Existing},
};

use super::{
    AttachmentInfo, Cancelled, CaseError,
    pipeline::{commit_doc, hex32, load_doc, new_id, now_ms, owner, read, transact},
};
use crate::{CoreError, Session};

/// An attachment's case, its reference in the case document, and its blob's id.
pub(crate) fn attachment_reference(
    tx: &VaultTx<'_>,
    attachment_id: &ObjectId,
    author: &str,
) -> Result<(ObjectId, AttachmentRef, ObjectId), CoreError> {
    let case_id = owner(tx, attachment_id, ObjectKind::Attachment)?;
    let doc: CaseDoc = load_doc(tx, &case_id, &case_id, author)?;
    let reference = doc
        .record()?
        .attachments
        .get(&id_to_hex(attachment_id))
        .cloned()
        .ok_or(CoreError::NotFound(ObjectKind::Attachment.as_str()))?;
    let blob_id = parse_id(&reference.blob_id)?;
    Ok((case_id, reference, blob_id))
}

/// Gives a blob this vault just made its address (a keyed hash of its content under the case
/// key, see `cairn_crypto::attachment_address`), recorded with the blob and in the reference.
pub(crate) fn address_new_blob(tx: &mut VaultTx<'_>, blob: &BlobInfo) -> Result<String, CoreError> {
    let (_, key) = tx.case_key(&blob.case_id)?;
    let address = attachment_address(&key, &blob.content_hash, blob.plain_len);
    tx.set_blob_address(&blob.blob_id, &address)?;
    Ok(hex32(&address))
}

/// Reads the whole source, hashing it (unless the stored bytes are the source's, whose hash
/// the sealer computes anyway) and keeping its first bytes (to recognise the format).
struct HashingReader<R> {
    inner: R,
    hasher: Option<ContentHasher>,
    length: u64,
    head: Vec<u8>,
    failed: bool,
    cancelled: bool,
    /// Stopped because the vault is being locked ([`Cancelled::locking_io_error`]).
    locking: bool,
}

impl<R> HashingReader<R> {
    /// Why the source stopped early, if it did: the worker cancelled, or it could not be read.
    fn failure(&self) -> Option<CaseError> {
        if self.cancelled {
            Some(CaseError::Cancelled)
        } else if self.failed {
            Some(CaseError::SourceUnreadable)
        } else {
            None
        }
    }
}

impl<R: Read> Read for HashingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let read = self.inner.read(buf).inspect_err(|error| {
            self.failed |= error.kind() != std::io::ErrorKind::Interrupted;
            self.cancelled |= Cancelled::caused(error);
            self.locking |= Cancelled::caused_by_lock(error);
        })?;
        if let Some(hasher) = &mut self.hasher {
            hasher.update(&buf[..read]);
        }
        self.length += read as u64;
        if self.head.len() < 8 {
            let take = (8 - self.head.len()).min(read);
            self.head.extend_from_slice(&buf[..take]);
        }
        Ok(read)
    }
}

/// The error of an import whose source stopped. When the vault is being locked, the keys go
/// before the import's transaction is rolled back (see `VaultTx::end_session_on_failure`).
fn stopped<R>(tx: &mut VaultTx<'_>, source: &HashingReader<R>, failure: CaseError) -> CoreError {
    if source.locking {
        tx.end_session_on_failure();
    }
    failure.into()
}

/// Passes writes through, remembering whether one was stopped by [`Cancelled::io_error`].
struct CancelWatch<W> {
    inner: W,
    cancelled: bool,
}

impl<W: Write> Write for CancelWatch<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.inner.write(buf).inspect_err(|error| self.cancelled |= Cancelled::caused(error))
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush().inspect_err(|error| self.cancelled |= Cancelled::caused(error))
    }
}

impl Session {
    /// JPEG and PNG metadata is removed unless `keep_metadata`.
    pub fn attach_file(
        &mut self,
        case_id: &ObjectId,
        path: &Path,
        keep_metadata: bool,
    ) -> Result<AttachmentInfo, CoreError> {
        let file_name = path.file_name().map(|name| name.to_string_lossy().into_owned()).unwrap_or_default();
        let mut file = fs::File::open(path).map_err(|_| CaseError::SourceUnreadable)?;
        self.attach_reader(case_id, &file_name, &mut file, keep_metadata)
    }

    /// Attaches everything `source` yields, recorded under `file_name`.
    pub fn attach_reader(
        &mut self,
        case_id: &ObjectId,
        file_name: &str,
        source: &mut dyn Read,
        keep_metadata: bool,
    ) -> Result<AttachmentInfo, CoreError> {
        let file_name = validate::optional_line("file name", file_name)?;
        // Read the first bytes before anything is stored: a file whose metadata cannot be
        // removed is refused unless the worker chose to keep metadata.
        let mut head = Vec::with_capacity(16);
        let mut peek = source.take(16);
        let peeked = peek.read_to_end(&mut head);
        if let Err(error) = peeked {
            return Err(if Cancelled::caused(&error) { CaseError::Cancelled } else { CaseError::SourceUnreadable }.into());
        }
        let unremovable = cairn_model::unremovable_metadata_format(&head);
        if let (Some(format), false) = (unremovable, keep_metadata) {
            return Err(CaseError::MetadataUnremovable { format }.into());
        }
        let mut rest = std::io::Cursor::new(head).chain(source);
        let source: &mut dyn Read = &mut rest;
        let author = self.worker_name()?;
        let signer = self.change_signer()?;
        let now = now_ms();
        let id = new_id();
        transact(self.vault_mut(), |tx| {
            let mut doc: CaseDoc = load_doc(tx, case_id, case_id, &author)?;
            let mut hashing = HashingReader {
                inner: source,
                // Kept metadata: the stored bytes are the source's, hashed by the sealer.
                hasher: (!keep_metadata).then(ContentHasher::new),
                length: 0,
                head: Vec::new(),
                failed: false,
                cancelled: false,
                locking: false,
            };
            let (blob, handling, removed_parts) = if keep_metadata {
                let imported = tx.import_blob(case_id, &mut hashing);
                if let Some(failure) = hashing.failure() {
                    return Err(stopped(tx, &hashing, failure));
                }
                let blob = imported?;
                let handling = match ImageFormat::sniff(&hashing.head) {
                    ImageFormat::Other if unremovable.is_none() => MetadataHandling::NotAnImage,
                    _ => MetadataHandling::Kept,
                };
                (blob, handling, 0)
            } else {
                let mut stripping = StrippingReader::new(&mut hashing);
                let imported = tx.import_blob(case_id, &mut stripping);
                let (strip_error, report) = (stripping.error().cloned(), stripping.report());
                drop(stripping);
                if let Some(failure) = hashing.failure() {
                    return Err(stopped(tx, &hashing, failure));
                }
                if let Some(error) = strip_error {
                    return Err(error.into());
                }
                let blob = imported?;
                let report = report.ok_or(CoreError::Internal("metadata report"))?;
                let handling = match report.format {
                    ImageFormat::Other => MetadataHandling::NotAnImage,
                    _ => MetadataHandling::Stripped,
                };
                (blob, handling, report.removed_parts)
            };
            let format = ImageFormat::sniff(&hashing.head);
            let address = address_new_blob(tx, &blob)?;
            let reference = AttachmentRef {
                blob_id: id_to_hex(&blob.blob_id),
                file_name: file_name.clone(),
                media_type: format.media_type().to_owned(),
                original_size: hashing.length,
                original_hash: hex32(&hashing.hasher.take().map_or(blob.content_hash, |hasher| hasher.finish())),
                stored_size: blob.plain_len,
                stored_hash: hex32(&blob.content_hash),
                metadata: handling.name().to_owned(),
                added_at: now,
                added_by: author.clone(),
                address,
                testimony: String::new(),
            };
            doc.add_attachment(&id, reference.clone(), now)?;
            commit_doc(tx, &signer, case_id, case_id, &mut doc, now)?;
            Ok(AttachmentInfo { id, case_id: *case_id, reference, removed_parts })
        })
    }

    /// Writes an attachment's content to `sink`, checking every chunk and the content hash.
    /// On error `sink` holds a prefix: write to a temporary file (as
    /// [`Session::export_attachment_to`] does).
    pub fn export_attachment(
        &mut self,
        attachment_id: &ObjectId,
        sink: &mut dyn Write,
    ) -> Result<AttachmentInfo, CoreError> {
        let author = self.worker_name()?;
        read(self.vault_mut(), |tx| {
            let (case_id, reference, blob_id) = attachment_reference(tx, attachment_id, &author)?;
            let blob = match tx.export_blob(&blob_id, sink) {
                Err(StoreError::NotFound { .. }) if !reference.address.is_empty() => {
                    return Err(CaseError::NotArrived.into());
                }
                other => other?,
            };
            if blob.case_id != case_id || hex32(&blob.content_hash) != reference.stored_hash {
                return Err(CaseError::HashMismatch.into());
            }
            Ok(AttachmentInfo { id: *attachment_id, case_id, reference, removed_parts: 0 })
        })
    }

    /// Exports an attachment to `target`: written to a temporary file beside it, flushed to
    /// disk, and renamed only when complete and verified, so `target` never holds a partial
    /// file. Refuses to replace an existing file unless `overwrite`.
    pub fn export_attachment_to(
        &mut self,
        attachment_id: &ObjectId,
        target: &Path,
        overwrite: bool,
    ) -> Result<AttachmentInfo, CoreError> {
        self.export_attachment_through(attachment_id, target, overwrite, &mut |file| Box::new(file))
    }

    /// [`Session::export_attachment_to`], with every byte passing through the writer that
    /// `through` wraps around the temporary file (a front end counts progress there, or stops
    /// the export by returning [`Cancelled::io_error`], reported as [`CaseError::Cancelled`]).
    /// However it ends early, neither `target` nor the temporary file is left behind.
    pub fn export_attachment_through(
        &mut self,
        attachment_id: &ObjectId,
        target: &Path,
        overwrite: bool,
        through: &mut dyn FnMut(&mut dyn Write) -> Box<dyn Write + '_>,
    ) -> Result<AttachmentInfo, CoreError> {
        let existing = if overwrite { Existing::Replace } else { Existing::Refuse };
        let mut file = AtomicFile::create(target, existing).map_err(|error| match error.kind() {
            std::io::ErrorKind::AlreadyExists => CaseError::TargetExists,
            _ => CaseError::TargetFolder,
        })?;
        let mut watched = CancelWatch { inner: through(&mut file), cancelled: false };
        let exported = self.export_attachment(attachment_id, &mut watched).and_then(|info| {
            watched.flush().map_err(|error| CoreError::Io(error.kind()))?;
            Ok(info)
        });
        // The store reports a failed write by its kind alone; the watch knows whether it was
        // the worker's Cancel. Either way, dropping `file` removes the temporary file.
        let info = match exported {
            Err(_) if watched.cancelled => return Err(CaseError::Cancelled.into()),
            other => other?,
        };
        drop(watched);
        file.commit().map_err(|error| CoreError::Io(error.kind()))?;
        Ok(info)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cases::test_support::{chunk_count, digest_of, session};

    #[test]
    fn the_original_hash_is_the_source_s_sha256_either_way() {
        let (_dir, mut session) = session();
        let case = session.create_case("hashes").expect("case");
        // SHA-256 of "abc" (FIPS 180-2's first example).
        let abc = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
        for keep_metadata in [true, false] {
            let info = session.attach_reader(&case, "abc.txt", &mut b"abc".as_slice(), keep_metadata).expect("attach");
            assert_eq!(info.reference.original_hash, abc, "keep metadata: {keep_metadata}");
            assert_eq!(info.reference.stored_hash, abc);
            assert_eq!(info.reference.original_size, 3);
        }
    }

    #[test]
    fn a_file_whose_metadata_cannot_be_removed_is_attached_only_by_choice() {
        let (_dir, mut session) = session();
        let case = session.create_case("metadata").expect("case");
        let heic = [b"\0\0\0\x18ftypheic\0\0\0\0".as_slice(), &[7u8; 5000]].concat();
        let pdf = [b"%PDF-1.7\n".as_slice(), b"GPS 39.0392 125.7625"].concat();
        for (bytes, format) in [(&heic, "heif"), (&pdf, "pdf")] {
            let before = session.open_case(&case).expect("open").record.attachments.len();
            let refused = session.attach_reader(&case, "from-phone", &mut bytes.as_slice(), false);
            assert!(
                matches!(refused, Err(CoreError::Case(CaseError::MetadataUnremovable { format: f })) if f == format),
                "{refused:?}"
            );
            assert_eq!(session.open_case(&case).expect("open").record.attachments.len(), before, "nothing was stored");
            let kept = session.attach_reader(&case, "from-phone", &mut bytes.as_slice(), true).expect("kept by choice");
            assert_eq!(kept.reference.metadata, "kept");
            let mut back = Vec::new();
            session.export_attachment(&kept.id, &mut back).expect("export");
            assert_eq!(&back, bytes, "stored byte for byte, the first bytes included");
        }
        // Files of other kinds still attach without a choice.
        let text = b"notes, not a photo".to_vec();
        let plain = session.attach_reader(&case, "notes.txt", &mut text.as_slice(), false).expect("plain");
        assert_eq!(plain.reference.metadata, "not_an_image");
    }

    /// Yields `left` bytes, then stops with `error` (as a front end's Cancel does).
    struct StopReading {
        left: usize,
        error: fn() -> std::io::Error,
    }

    impl Read for StopReading {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            if self.left == 0 {
                return Err((self.error)());
            }
            let read = buf.len().min(self.left);
            buf[..read].fill(b'a');
            self.left -= read;
            Ok(read)
        }
    }

    /// Passes `left` bytes through, then stops with `error`.
    struct StopWriting<W> {
        inner: W,
        left: usize,
        error: fn() -> std::io::Error,
    }

    impl<W: Write> Write for StopWriting<W> {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            if buf.len() > self.left {
                return Err((self.error)());
            }
            self.left -= buf.len();
            self.inner.write(buf)
        }

        fn flush(&mut self) -> std::io::Result<()> {
            self.inner.flush()
        }
    }

    #[test]
    fn a_cancelled_import_leaves_nothing_behind() {
        let (_dir, mut session) = session();
        let case = session.create_case("Cancelled imports").expect("case");
        let (digest, chunks) = (digest_of(&mut session, &case, &case), chunk_count(&mut session, &case, &case));
        // Several blob chunks are sealed and written in the transaction before the stop.
        for keep_metadata in [false, true] {
            let mut source = StopReading { left: 3 * 1024 * 1024 + 17, error: Cancelled::io_error };
            let error = session.attach_reader(&case, "large.bin", &mut source, keep_metadata).expect_err("cancelled");
            assert_eq!(error.code(), "cancelled");
        }
        // A source failing on its own is still reported as unreadable, not as cancelled.
        let mut broken = StopReading { left: 100_000, error: || std::io::Error::other("device gone") };
        let error = session.attach_reader(&case, "large.bin", &mut broken, false).expect_err("unreadable");
        assert_eq!(error.code(), "source_unreadable");
        assert_eq!(digest_of(&mut session, &case, &case), digest);
        assert_eq!(chunk_count(&mut session, &case, &case), chunks);
        assert!(session.open_case(&case).expect("open").record.attachments.is_empty());
        assert_eq!(session.list_cases().expect("list")[0].counts.attachments, 0);
        // The transaction was rolled back, not left open: the next import commits.
        let mut text: &[u8] = b"after the cancel";
        let info = session.attach_reader(&case, "after.txt", &mut text, false).expect("import");
        let mut exported = Vec::new();
        session.export_attachment(&info.id, &mut exported).expect("export");
        assert_eq!(exported, b"after the cancel");
    }

    #[test]
    fn a_cancelled_export_leaves_no_file_behind() {
        let (_dir, mut session) = session();
        let case = session.create_case("Cancelled exports").expect("case");
        let mut content: &[u8] = &vec![b'a'; 2 * 1024 * 1024];
        let info = session.attach_reader(&case, "large.bin", &mut content, true).expect("import");
        let folder = tempfile::tempdir().expect("folder");
        let target = folder.path().join("copy.bin");
        let error = session
            .export_attachment_through(&info.id, &target, false, &mut |file| {
                Box::new(StopWriting { inner: file, left: 700_000, error: Cancelled::io_error })
            })
            .expect_err("cancelled");
        assert_eq!(error.code(), "cancelled");
        assert_eq!(fs::read_dir(folder.path()).expect("list").count(), 0, "no target and no temporary file");
        // Any other write failure is an I/O error, and leaves nothing either.
        let error = session
            .export_attachment_through(&info.id, &target, false, &mut |file| {
                Box::new(StopWriting { inner: file, left: 700_000, error: || std::io::Error::other("disk") })
            })
            .expect_err("failed");
        assert_eq!(error.code(), "io");
        assert_eq!(fs::read_dir(folder.path()).expect("list").count(), 0);
        // Passed through whole, the copy is complete.
        session.export_attachment_through(&info.id, &target, false, &mut |file| Box::new(file)).expect("export");
        assert_eq!(fs::read(&target).expect("copy").len(), 2 * 1024 * 1024);
    }

    #[test]
    fn a_failed_import_leaves_nothing_behind() {
        let (_dir, mut session) = session();
        let case = session.create_case("Imports").expect("case");
        let mut broken: &[u8] = &[0xFF, 0xD8, 0xFF, 0xE1, 0x00, 0x40, b'E', b'x', b'i', b'f'];
        let error = session.attach_reader(&case, "photo.jpg", &mut broken, false).expect_err("refused");
        assert_eq!(error.code(), "image_unparseable");
        let digest = digest_of(&mut session, &case, &case);
        assert!(session.open_case(&case).expect("open").record.attachments.is_empty());
        assert_eq!(session.list_cases().expect("list")[0].counts.attachments, 0);
        let mut text: &[u8] = b"plain text evidence";
        let info = session.attach_reader(&case, "notes.txt", &mut text, false).expect("import");
        assert_eq!(info.reference.metadata, "not_an_image");
        assert_ne!(digest_of(&mut session, &case, &case), digest);
        let mut exported = Vec::new();
        session.export_attachment(&info.id, &mut exported).expect("export");
        assert_eq!(exported, b"plain text evidence");
    }
}
