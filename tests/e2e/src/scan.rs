//! Scans folders for a byte string: the check that nothing the app wrote holds plaintext.

use std::{
    fs,
    io::Read,
    path::{Path, PathBuf},
    time::SystemTime,
};

use anyhow::Result;

/// Looks for `needle` in every regular file under `roots` (symbolic links are not followed).
/// Returns how many files were read and which held it.
pub(crate) fn scan_for(roots: &[PathBuf], needle: &[u8]) -> Result<(usize, Vec<PathBuf>)> {
    scan_for_except(roots, &[], None, needle)
}

/// [`scan_for`], not descending into the folders `skip` names (found while walking a root; a
/// root itself is always read), and with `changed_since`, reading only files modified since
/// then (what a shared folder such as /tmp held before the app started is not the app's).
pub(crate) fn scan_for_except(
    roots: &[PathBuf],
    skip: &[PathBuf],
    changed_since: Option<SystemTime>,
    needle: &[u8],
) -> Result<(usize, Vec<PathBuf>)> {
    let skip: Vec<PathBuf> = skip.iter().filter_map(|path| fs::canonicalize(path).ok()).collect();
    let mut files = 0;
    let mut hits = Vec::new();
    let mut pending: Vec<PathBuf> = roots.to_vec();
    while let Some(path) = pending.pop() {
        let Ok(metadata) = fs::symlink_metadata(&path) else { continue };
        if metadata.is_dir() {
            for entry in fs::read_dir(&path)? {
                let entry = entry?.path();
                let skipped = entry.is_dir() && fs::canonicalize(&entry).is_ok_and(|real| skip.contains(&real));
                if !skipped {
                    pending.push(entry);
                }
            }
        } else if metadata.is_file() {
            if let (Some(since), Ok(modified)) = (changed_since, metadata.modified())
                && modified < since
            {
                continue;
            }
            files += 1;
            if file_contains(&path, needle)? {
                hits.push(path);
            }
        }
    }
    Ok((files, hits))
}

/// Reads the file in blocks, keeping the last `needle.len() - 1` bytes between blocks so a
/// match across two blocks is found.
fn file_contains(path: &Path, needle: &[u8]) -> Result<bool> {
    let Ok(mut file) = fs::File::open(path) else { return Ok(false) };
    let mut window: Vec<u8> = Vec::new();
    let mut block = vec![0u8; 1 << 20];
    loop {
        let read = file.read(&mut block)?;
        if read == 0 {
            return Ok(false);
        }
        window.extend_from_slice(&block[..read]);
        if window.windows(needle.len()).any(|candidate| candidate == needle) {
            return Ok(true);
        }
        let keep = needle.len().saturating_sub(1).min(window.len());
        window.drain(..window.len() - keep);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_a_needle_across_block_boundaries_and_in_nested_folders() {
        let dir = tempfile::tempdir().expect("tempdir");
        let nested = dir.path().join("a/b");
        fs::create_dir_all(&nested).expect("mkdir");
        let mut across = vec![0u8; (1 << 20) - 3];
        across.extend_from_slice(b"ftypiso5");
        fs::write(nested.join("across"), &across).expect("write");
        fs::write(dir.path().join("clean"), vec![7u8; 5000]).expect("write");
        let (files, hits) = scan_for(&[dir.path().to_path_buf()], b"ftypiso5").expect("scan");
        assert_eq!(files, 2);
        assert_eq!(hits, vec![nested.join("across")]);
        // A skipped folder is not read when found in a walk, but is when it is a root.
        let (files, hits) =
            scan_for_except(&[dir.path().to_path_buf()], &[dir.path().join("a")], None, b"ftypiso5").expect("scan");
        assert_eq!((files, hits), (1, Vec::new()));
        let (_, hits) =
            scan_for_except(std::slice::from_ref(&nested), std::slice::from_ref(&nested), None, b"ftypiso5").expect("scan");
        assert_eq!(hits, vec![nested.join("across")]);
        // Files older than the cut-off are not read; newer ones are.
        let later = SystemTime::now() + std::time::Duration::from_secs(3600);
        let (files, _) = scan_for_except(&[dir.path().to_path_buf()], &[], Some(later), b"ftypiso5").expect("scan");
        assert_eq!(files, 0);
        let earlier = SystemTime::now() - std::time::Duration::from_secs(3600);
        let (files, hits) = scan_for_except(&[dir.path().to_path_buf()], &[], Some(earlier), b"ftypiso5").expect("scan");
        assert_eq!((files, hits), (2, vec![nested.join("across")]));
    }
}
