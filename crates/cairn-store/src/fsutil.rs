//! Crash-safe file operations: the one place where Cairn writes a whole file or reads a file
//! from outside with a size limit. The vault's key file, exported attachments, rosters,
//! enrollment requests and the desktop's settings all go through here (re-exported by
//! `cairn-core` as `cairn_core::files`).

use std::{
    fs::{self, File, OpenOptions},
    io::{self, BufWriter, Read, Write},
    path::{Path, PathBuf},
};

/// Creates `dir` (and parents) readable only by this user.
pub fn create_private_dir(dir: &Path) -> io::Result<()> {
    let mut builder = fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(dir)
}

/// A file that appears at its target only when complete: written to a temporary file beside
/// the target (readable only by this user), flushed to disk, then renamed over the target and
/// the folder flushed, so a reader (or a crash) sees the old content or the new, never a mix.
/// Dropped without [`AtomicFile::commit`], it removes its temporary file.
///
/// The temporary file's name is random (`.<hex>.tmp`): it reveals neither the target's name nor
/// the app (a stick pulled out mid-write may keep it).
#[derive(Debug)]
pub struct AtomicFile {
    writer: Option<BufWriter<File>>,
    temp: PathBuf,
    target: PathBuf,
    folder: PathBuf,
}

/// How an [`AtomicFile`] may treat an existing target.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Existing {
    /// Replace it (atomically).
    Replace,
    /// Refuse with [`io::ErrorKind::AlreadyExists`], before anything is written.
    Refuse,
}

impl AtomicFile {
    /// Starts writing `target`. Fails with [`io::ErrorKind::NotFound`] when its folder does
    /// not exist, and with [`io::ErrorKind::AlreadyExists`] when `existing` is
    /// [`Existing::Refuse`] and the target exists.
    pub fn create(target: &Path, existing: Existing) -> io::Result<AtomicFile> {
        if existing == Existing::Refuse && fs::symlink_metadata(target).is_ok() {
            return Err(io::ErrorKind::AlreadyExists.into());
        }
        let folder = match target.parent() {
            Some(parent) if !parent.as_os_str().is_empty() => parent.to_path_buf(),
            _ => PathBuf::from("."),
        };
        if target.file_name().is_none() {
            return Err(io::ErrorKind::InvalidInput.into());
        }
        if !folder.is_dir() {
            return Err(io::ErrorKind::NotFound.into());
        }
        let temp = folder.join(format!(".{}.tmp", hex::encode(cairn_crypto::random_array::<8>())));
        let mut options = OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let file = options.open(&temp)?;
        Ok(AtomicFile {
            writer: Some(BufWriter::with_capacity(256 * 1024, file)),
            temp,
            target: target.to_path_buf(),
            folder,
        })
    }

    /// Flushes everything to disk and puts the file in place.
    pub fn commit(mut self) -> io::Result<()> {
        let writer = self.writer.take().ok_or(io::ErrorKind::BrokenPipe)?;
        let file = writer.into_inner().map_err(|error| error.into_error())?;
        file.sync_all()?;
        drop(file);
        fs::rename(&self.temp, &self.target)?;
        sync_dir(&self.folder)
    }
}

impl Write for AtomicFile {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.writer.as_mut().ok_or(io::ErrorKind::BrokenPipe)?.write(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.writer.as_mut().ok_or(io::ErrorKind::BrokenPipe)?.flush()
    }
}

impl Drop for AtomicFile {
    fn drop(&mut self) {
        if self.writer.take().is_some() {
            let _ = fs::remove_file(&self.temp);
        }
    }
}

/// Replaces `path` with `bytes` atomically (see [`AtomicFile`]).
pub fn write_atomically(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let mut file = AtomicFile::create(path, Existing::Replace)?;
    file.write_all(bytes)?;
    file.commit()
}

/// Flushes a folder's entries (a rename) to disk.
pub fn sync_dir(dir: &Path) -> io::Result<()> {
    File::open(dir)?.sync_all()
}

/// Why [`read_limited`] refused a file.
#[derive(Debug, thiserror::Error)]
pub enum LimitedReadError {
    /// The file is larger than the limit; it was not read whole.
    #[error("the file is larger than allowed")]
    TooLarge,
    /// The file could not be opened or read.
    #[error("the file could not be read")]
    Io(#[from] io::Error),
}

/// Reads a file that came from outside (a stick, another device) when it holds at most
/// `limit` bytes; a larger one is refused after reading `limit + 1` bytes, so a hostile file
/// cannot make the app allocate without bound.
pub fn read_limited(path: &Path, limit: usize) -> Result<Vec<u8>, LimitedReadError> {
    let file = File::open(path)?;
    let mut bytes = Vec::new();
    file.take(limit as u64 + 1).read_to_end(&mut bytes)?;
    if bytes.len() > limit {
        return Err(LimitedReadError::TooLarge);
    }
    Ok(bytes)
}

/// Removes the temporary files of [`AtomicFile`]s that a crash or a pulled stick cut off in
/// `dir`: only names of exactly its form (`.` 16 hex digits `.tmp`), so a folder the worker
/// chose keeps anything else, hidden or not.
pub fn remove_stale_atomic_temporaries(dir: &Path) {
    let Ok(entries) = fs::read_dir(dir) else { return };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let name = name.to_string_lossy();
        let ours = name
            .strip_prefix('.')
            .and_then(|rest| rest.strip_suffix(".tmp"))
            .is_some_and(|hex| hex.len() == 16 && hex.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)));
        if ours && entry.file_type().is_ok_and(|kind| kind.is_file()) {
            let _ = fs::remove_file(entry.path());
        }
    }
}

/// Removes temporary files a crash may have left behind in `dir`.
pub fn remove_stale_temporaries(dir: &Path) {
    let Ok(entries) = fs::read_dir(dir) else { return };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let name = name.to_string_lossy();
        if name.starts_with('.') && name.ends_with(".tmp") {
            let _ = fs::remove_file(entry.path());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> = fs::read_dir(dir)
            .expect("list")
            .map(|entry| entry.expect("entry").file_name().to_string_lossy().into())
            .collect();
        names.sort();
        names
    }

    #[test]
    fn a_file_appears_whole_or_not_at_all() {
        let dir = tempfile::tempdir().expect("dir");
        let target = dir.path().join("roster.cairn");
        write_atomically(&target, b"first").expect("write");
        let mut replacing = AtomicFile::create(&target, Existing::Replace).expect("create");
        replacing.write_all(b"second, not committed").expect("write");
        assert_eq!(fs::read(&target).expect("read"), b"first", "the target is untouched until commit");
        assert_eq!(names(dir.path()).len(), 2, "the target and one temporary file");
        drop(replacing);
        assert_eq!(names(dir.path()), ["roster.cairn"], "an abandoned write leaves no temporary file");
        write_atomically(&target, b"second").expect("replace");
        assert_eq!(fs::read(&target).expect("read"), b"second");
        assert_eq!(names(dir.path()), ["roster.cairn"]);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = fs::metadata(&target).expect("metadata").permissions().mode();
            assert_eq!(mode & 0o077, 0, "readable only by this user");
        }
    }

    #[test]
    fn only_temporaries_of_the_atomic_form_are_removed_from_a_chosen_folder() {
        let dir = tempfile::tempdir().expect("dir");
        let cut_off = AtomicFile::create(&dir.path().join("bundle"), Existing::Replace).expect("create");
        // A crash: the temporary file stays (its drop would have removed it).
        std::mem::forget(cut_off);
        for other in [".notes.tmp", ".0123456789abcdeg.tmp", ".0123456789ABCDEF.tmp", "0123456789abcdef.tmp", "keep"] {
            fs::write(dir.path().join(other), b"the worker's").expect("write");
        }
        assert_eq!(names(dir.path()).len(), 6);
        remove_stale_atomic_temporaries(dir.path());
        assert_eq!(
            names(dir.path()),
            [".0123456789ABCDEF.tmp", ".0123456789abcdeg.tmp", ".notes.tmp", "0123456789abcdef.tmp", "keep"]
        );
    }

    #[test]
    fn refusing_to_replace_and_missing_folders_are_specific_errors() {
        let dir = tempfile::tempdir().expect("dir");
        let target = dir.path().join("copy.bin");
        fs::write(&target, b"keep").expect("write");
        let error = AtomicFile::create(&target, Existing::Refuse).expect_err("exists");
        assert_eq!(error.kind(), io::ErrorKind::AlreadyExists);
        let error = AtomicFile::create(&dir.path().join("absent/copy.bin"), Existing::Replace).expect_err("no folder");
        assert_eq!(error.kind(), io::ErrorKind::NotFound);
        assert_eq!(fs::read(&target).expect("read"), b"keep");
        assert_eq!(names(dir.path()), ["copy.bin"]);
    }

    #[test]
    fn reads_are_limited() {
        let dir = tempfile::tempdir().expect("dir");
        let path = dir.path().join("request");
        fs::write(&path, vec![7u8; 100]).expect("write");
        assert_eq!(read_limited(&path, 100).expect("at the limit").len(), 100);
        assert!(matches!(read_limited(&path, 99), Err(LimitedReadError::TooLarge)));
        assert!(matches!(read_limited(&dir.path().join("absent"), 99), Err(LimitedReadError::Io(_))));
    }
}
