//! Writing and reading the files of an evidence package, as a folder or as one `.zip` with
//! the same entries. Writing goes through [`AtomicFile`] (one per file in a folder, one for a
//! whole zip); every file is hashed as it is written. Reading takes only names the package
//! layout allows (no absolute path, no `..`, no hidden file), streams, and never follows a
//! symbolic link.

use std::{
    fs::File,
    io::{ErrorKind, Read, Write},
    path::{Path, PathBuf},
};

use cairn_crypto::ContentHasher;
use zip::{
    CompressionMethod, ZipArchive, ZipWriter,
    write::{SimpleFileOptions, StreamWriter},
};

use super::manifest::FileEntry;
use crate::{
    CoreError,
    cases::CaseError,
    files::{self, AtomicFile, Existing},
};

/// Most files a folder package is searched for (unlisted files are only a warning).
const MAX_LISTED_FILES: usize = 1_000_000;

/// Whether `out` names a zip package (ends in `.zip`, any case).
pub(crate) fn is_zip_target(out: &Path) -> bool {
    out.extension().is_some_and(|extension| extension.eq_ignore_ascii_case("zip"))
}

pub(crate) fn io_error(kind: ErrorKind) -> CoreError {
    if kind == ErrorKind::StorageFull { CoreError::DiskFull } else { CoreError::Io(kind) }
}

fn zip_error(error: zip::result::ZipError) -> CoreError {
    match error {
        zip::result::ZipError::Io(error) => io_error(error.kind()),
        _ => CoreError::Internal("zip"),
    }
}

/// Passes writes through, hashing and counting what was written.
struct Hashing<'a> {
    inner: &'a mut dyn Write,
    hasher: ContentHasher,
    len: u64,
}

impl Write for Hashing<'_> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let written = self.inner.write(buf)?;
        self.hasher.update(&buf[..written]);
        self.len += written as u64;
        Ok(written)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

/// A package being written.
pub(crate) enum PackageWriter {
    /// Files in a folder, each an [`AtomicFile`].
    Folder {
        /// The package folder.
        dir: PathBuf,
        /// How an existing file is treated.
        existing: Existing,
    },
    /// One zip, streamed into one [`AtomicFile`].
    Zip(Box<ZipWriter<StreamWriter<AtomicFile>>>),
}

/// How an entry is stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Entry {
    /// Text the package writes (DEFLATE in a zip).
    Text,
    /// An attachment of `size` bytes, stored as it is (media is compressed already).
    Attachment(u64),
}

impl PackageWriter {
    /// Starts a package at `out`: a zip when it ends in `.zip`, else a folder (created if
    /// missing; its parent must exist). Without `overwrite`, an existing zip or a folder that
    /// is not empty is refused ([`CaseError::TargetExists`]) before anything is written.
    pub(crate) fn create(out: &Path, overwrite: bool) -> Result<PackageWriter, CoreError> {
        let existing = if overwrite { Existing::Replace } else { Existing::Refuse };
        if is_zip_target(out) {
            let file = AtomicFile::create(out, existing).map_err(|error| match error.kind() {
                ErrorKind::AlreadyExists => CaseError::TargetExists,
                _ => CaseError::TargetFolder,
            })?;
            return Ok(PackageWriter::Zip(Box::new(ZipWriter::new_stream(file))));
        }
        match std::fs::symlink_metadata(out) {
            Ok(metadata) if !metadata.is_dir() => return Err(CaseError::TargetExists.into()),
            Ok(_) => {
                let empty = std::fs::read_dir(out).map_err(|_| CaseError::TargetFolder)?.next().is_none();
                if !empty && !overwrite {
                    return Err(CaseError::TargetExists.into());
                }
            }
            Err(_) => {
                let parent_ok = match out.parent() {
                    Some(parent) if !parent.as_os_str().is_empty() => parent.is_dir(),
                    _ => true,
                };
                if !parent_ok {
                    return Err(CaseError::TargetFolder.into());
                }
                files::create_private_dir(out).map_err(|_| CaseError::TargetFolder)?;
            }
        }
        Ok(PackageWriter::Folder { dir: out.to_path_buf(), existing })
    }

    /// Writes one file of the package at `path` with what `write` writes; returns its size and
    /// SHA-256.
    pub(crate) fn add(
        &mut self,
        path: &str,
        entry: Entry,
        write: &mut dyn FnMut(&mut dyn Write) -> Result<(), CoreError>,
    ) -> Result<FileEntry, CoreError> {
        let (len, hash) = match self {
            PackageWriter::Folder { dir, existing } => {
                let target = dir.join(path);
                if let Some(folder) = target.parent() {
                    files::create_private_dir(folder).map_err(|_| CaseError::TargetFolder)?;
                }
                let mut file = AtomicFile::create(&target, *existing).map_err(|error| match error.kind() {
                    ErrorKind::AlreadyExists => CaseError::TargetExists,
                    _ => CaseError::TargetFolder,
                })?;
                let mut hashing = Hashing { inner: &mut file, hasher: ContentHasher::new(), len: 0 };
                write(&mut hashing)?;
                hashing.flush().map_err(|error| io_error(error.kind()))?;
                let (len, hash) = (hashing.len, hashing.hasher.finish());
                file.commit().map_err(|error| io_error(error.kind()))?;
                (len, hash)
            }
            PackageWriter::Zip(zip) => {
                let options = match entry {
                    Entry::Text => SimpleFileOptions::default().compression_method(CompressionMethod::Deflated),
                    Entry::Attachment(size) => SimpleFileOptions::default()
                        .compression_method(CompressionMethod::Stored)
                        .large_file(size >= u64::from(u32::MAX)),
                }
                .unix_permissions(0o600);
                zip.start_file(path, options).map_err(zip_error)?;
                let mut hashing = Hashing { inner: &mut **zip, hasher: ContentHasher::new(), len: 0 };
                write(&mut hashing)?;
                (hashing.len, hashing.hasher.finish())
            }
        };
        Ok(FileEntry { path: path.to_owned(), size: len, sha256: hex::encode(hash) })
    }

    /// Completes the package (a zip's central directory, then its rename into place).
    pub(crate) fn finish(self) -> Result<(), CoreError> {
        match self {
            PackageWriter::Folder { .. } => Ok(()),
            PackageWriter::Zip(zip) => {
                let file = zip.finish().map_err(zip_error)?.into_inner();
                file.commit().map_err(|error| io_error(error.kind()))
            }
        }
    }
}

/// Whether `name` is a path the package layout can hold: `/`-separated, relative, no empty,
/// `.` or `..` component, no component starting with `.`, no `\`, `:` or control character.
pub(crate) fn is_safe_path(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 512
        && !name.chars().any(|c| c == '\\' || c == ':' || c.is_control())
        && name.split('/').all(|part| !part.is_empty() && !part.starts_with('.'))
}

/// A package being read.
pub(crate) enum PackageReader {
    /// A folder.
    Folder(PathBuf),
    /// A zip file.
    Zip(Box<ZipArchive<File>>),
}

/// One file looked up in a package.
pub(crate) enum Lookup<'a> {
    /// Not there.
    Missing,
    /// There, but not a regular file, or not openable.
    Unreadable,
    /// Its bytes.
    Found(Box<dyn Read + 'a>),
}

impl PackageReader {
    /// Opens the package at `path`: a folder, or a file read as a zip. `Ok(None)`: a file that
    /// is not a readable zip.
    pub(crate) fn open(path: &Path) -> Result<Option<PackageReader>, CoreError> {
        let metadata = std::fs::metadata(path).map_err(|_| super::EvidenceError::NotFound)?;
        if metadata.is_dir() {
            return Ok(Some(PackageReader::Folder(path.to_path_buf())));
        }
        let file = File::open(path).map_err(|_| super::EvidenceError::NotFound)?;
        Ok(ZipArchive::new(file).ok().map(|archive| PackageReader::Zip(Box::new(archive))))
    }

    /// The file at `name` (a path the layout allows; anything else is [`Lookup::Missing`]).
    pub(crate) fn lookup(&mut self, name: &str) -> Lookup<'_> {
        if !is_safe_path(name) {
            return Lookup::Missing;
        }
        match self {
            PackageReader::Folder(dir) => {
                let path = dir.join(name);
                match std::fs::symlink_metadata(&path) {
                    Err(_) => Lookup::Missing,
                    Ok(metadata) if !metadata.is_file() => Lookup::Unreadable,
                    Ok(_) => match File::open(&path) {
                        Ok(file) => Lookup::Found(Box::new(file)),
                        Err(_) => Lookup::Unreadable,
                    },
                }
            }
            PackageReader::Zip(archive) => match archive.by_name(name) {
                Ok(file) => Lookup::Found(Box::new(file)),
                Err(zip::result::ZipError::FileNotFound) => Lookup::Missing,
                Err(_) => Lookup::Unreadable,
            },
        }
    }

    /// Every file the package holds (paths `/`-separated; a zip's folder entries left out).
    pub(crate) fn names(&mut self) -> Vec<String> {
        match self {
            PackageReader::Folder(dir) => {
                let mut found = Vec::new();
                list_folder(dir, "", 0, &mut found);
                found
            }
            PackageReader::Zip(archive) => archive
                .file_names()
                .filter_map(|name| name.ok().map(|name| name.into_owned()))
                .filter(|name| !name.ends_with('/'))
                .collect(),
        }
    }
}

fn list_folder(dir: &Path, prefix: &str, depth: usize, found: &mut Vec<String>) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for entry in entries.flatten() {
        if found.len() >= MAX_LISTED_FILES {
            return;
        }
        let name = format!("{prefix}{}", entry.file_name().to_string_lossy());
        match entry.file_type() {
            Ok(kind) if kind.is_dir() && depth < 4 => list_folder(&entry.path(), &format!("{name}/"), depth + 1, found),
            _ => found.push(name),
        }
    }
}

/// Why a whole-file read failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ReadFailure {
    /// Larger than allowed.
    TooLarge,
    /// A read failed (damaged zip entry, I/O error).
    Unreadable,
}

/// Reads a whole file of at most `limit` bytes.
pub(crate) fn read_all(mut reader: impl Read, limit: usize) -> Result<Vec<u8>, ReadFailure> {
    let mut bytes = Vec::new();
    (&mut reader).take(limit as u64 + 1).read_to_end(&mut bytes).map_err(|_| ReadFailure::Unreadable)?;
    if bytes.len() > limit {
        return Err(ReadFailure::TooLarge);
    }
    Ok(bytes)
}

/// A file hashed as it streams: its length, its SHA-256, and whether a read failed (what was
/// read before it is hashed all the same, so a zip entry whose checksum fails at its end is
/// still compared by its hash).
pub(crate) struct Streamed {
    pub(crate) len: u64,
    pub(crate) sha256: [u8; 32],
    pub(crate) failed: bool,
}

/// Hashes a file in 64 KiB pieces.
pub(crate) fn hash_stream(mut reader: impl Read) -> Streamed {
    let mut buffer = vec![0u8; 64 * 1024];
    let mut hasher = ContentHasher::new();
    let mut len = 0u64;
    let mut failed = false;
    loop {
        match reader.read(&mut buffer) {
            Ok(0) => break,
            Ok(read) => {
                hasher.update(&buffer[..read]);
                len += read as u64;
            }
            Err(error) if error.kind() == ErrorKind::Interrupted => continue,
            Err(_) => {
                failed = true;
                break;
            }
        }
    }
    Streamed { len, sha256: hasher.finish(), failed }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_layout_paths_are_read() {
        for good in ["manifest.json", "documents/ab.changes", "attachments/ab-면담.ogg"] {
            assert!(is_safe_path(good), "{good}");
        }
        for bad in ["", "/etc/passwd", "../x", "a/../b", "a//b", ".hidden", "a/.b", "a\\b", "c:x", "a\nb", "a/"] {
            assert!(!is_safe_path(bad), "{bad:?}");
        }
    }
}
