//! Crash-safe file operations.

use std::{
    fs::{self, File, OpenOptions},
    io::Write,
    path::Path,
};

use crate::StoreError;

/// Creates `dir` (and parents) readable only by this user.
pub(crate) fn create_private_dir(dir: &Path) -> Result<(), StoreError> {
    let mut builder = fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(dir)?;
    Ok(())
}

/// Replaces `path` with `bytes` atomically: a reader (or a crash) sees the old content or the
/// new, never a mix. The temporary file sits in the same folder so the rename is atomic.
pub(crate) fn write_atomically(path: &Path, bytes: &[u8]) -> Result<(), StoreError> {
    let dir = path.parent().ok_or(StoreError::Io { kind: std::io::ErrorKind::InvalidInput })?;
    let suffix = hex::encode(cairn_crypto::random_array::<8>());
    let file_name = path.file_name().ok_or(StoreError::Io { kind: std::io::ErrorKind::InvalidInput })?;
    let temp = dir.join(format!(".{}.{suffix}.tmp", file_name.to_string_lossy()));
    let result = (|| {
        let mut options = OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let mut file = options.open(&temp)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        drop(file);
        fs::rename(&temp, path)?;
        sync_dir(dir)
    })();
    if result.is_err() {
        let _ = fs::remove_file(&temp);
    }
    result
}

/// Flushes a folder's entries (the rename above) to disk.
pub(crate) fn sync_dir(dir: &Path) -> Result<(), StoreError> {
    File::open(dir)?.sync_all()?;
    Ok(())
}

/// Removes temporary files a crash may have left behind.
pub(crate) fn remove_stale_temporaries(dir: &Path) {
    let Ok(entries) = fs::read_dir(dir) else { return };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let name = name.to_string_lossy();
        if name.starts_with('.') && name.ends_with(".tmp") {
            let _ = fs::remove_file(entry.path());
        }
    }
}
