//! Destroying a vault's keys (issue 13): the failed-unlock limit (the unlock guard of a v3
//! `vault.keys`, see `cairn_crypto::keyslots`) and the panic wipe.
//!
//! Both destroy the keys the same way: every keyslot and wrap slot of `vault.keys` is
//! overwritten **in place** (same file, same offsets, same length) with fresh random bytes and
//! flushed (`fsync`). That is the moment the vault becomes unrecoverable: the VMK existed only
//! inside those slots, and K_db, K_wrap and every case key come from it. Writing a new file and
//! renaming it over the old one (how `vault.keys` is otherwise replaced) would leave the old
//! blocks where they were until the file system reuses them; overwriting in place at least
//! asks the disk to replace these very blocks. An SSD or a copy-on-write file system may still
//! keep an old copy of them (or of an earlier `vault.keys`) in blocks no file names: someone
//! who carves the raw disk *and* knows the passphrase could find one. Full-disk encryption is
//! the defence against that (README, "What Cairn cannot do").
//!
//! ## The failed-unlock limit
//!
//! With a limit N set, every attempt with the passphrase or the recovery code:
//!
//! 1. if N failures are already counted (an earlier attempt was cut off after it was counted),
//!    destroys the keys first;
//! 2. counts itself: writes the counter + 1 in place and flushes it, *before* the key
//!    derivation starts, so an attempt killed or cut off by a power loss is still counted
//!    (a write of 8 bytes inside one sector is all or nothing);
//! 3. derives the key and tries the slots. Success resets the counter to 0 (written and
//!    flushed before the vault opens). Failure that brings the count to N destroys the keys;
//!    the answer is the same `wrong_passphrase` (or `wrong_recovery_code`) as any wrong
//!    attempt, after the same key derivation, plus one small in-place write (a few
//!    milliseconds beside a derivation calibrated to 0.5–1 s). `vault.keys` stays, so every
//!    later attempt is an ordinary wrong one (still counted; harmless).
//!
//! What it does not do, said plainly: the limit and the counter are stored in the clear (they
//! must be read before anything is unlocked), so anyone can read them, and anyone who can
//! write the file can reset them. Someone who copies the vault files first guesses against
//! the copy, with no limit. Two attempts at the same instant in two processes may count once.
//! An attempt whose header cannot be written (a read-only disk) fails with an I/O error rather
//! than guess uncounted.
//!
//! ## The panic wipe
//!
//! [`wipe`] (and [`Vault::wipe`]) destroy the keys as above, then remove `vault.keys`,
//! `vault.db` and its `-wal` and `-shm` files (blobs live inside `vault.db`), the decoy's, a
//! rollback journal and re-key journal a cut-off re-key left (see `rekey.rs`), any temporary
//! file a crash left, and the folder when nothing else is in it. A kill at any moment leaves
//! either the vault as it was (before the flush of the overwritten slots) or a vault that no
//! secret opens (after). It needs no secret: a worker under pressure must be able to wipe in
//! one gesture, and someone with access to this user's files could delete them anyway; what
//! the wipe adds over deleting is that the key material is overwritten first.

use std::{
    fs::{self, OpenOptions},
    io::{self, Seek, SeekFrom, Write},
    ops::Range,
    path::Path,
    time::{Duration, Instant},
};

use cairn_crypto::{CryptoError, SlotKind, UnlockGuard, UnlockedHeader, VaultHeader};

use crate::{DATABASE_FILE, DECOY_FILE, HEADER_FILE, StoreError, fsutil, vault::read_header};

/// How often a write in place is tried again when another process replaced `vault.keys`
/// (an atomic rename) between writing and reading back.
const ATTEMPTS: usize = 4;

/// What a panic wipe did, and how long it took.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WipeReport {
    /// From the start until every keyslot and wrap slot was overwritten and flushed: from
    /// then on no secret opens the vault.
    pub unrecoverable_after: Duration,
    /// From the start until the files (and the folder) were removed.
    pub total: Duration,
    /// Whether the folder itself was removed (it stays when it holds files not the vault's).
    pub folder_removed: bool,
}

/// Panic wipe of the vault in `dir` (see the module documentation): no secret needed. Fails
/// with [`StoreError::VaultNotFound`] when there is no vault there.
pub fn wipe(dir: &Path) -> Result<WipeReport, StoreError> {
    let start = Instant::now();
    match destroy_keys(dir) {
        Ok(()) => {}
        // The remains of an interrupted wipe (keys already gone): finish removing them.
        Err(StoreError::VaultNotFound) if database_files(dir).iter().any(|file| file.exists()) => {}
        Err(error) => return Err(error),
    }
    let unrecoverable_after = start.elapsed();
    let folder_removed = remove_files(dir)?;
    Ok(WipeReport { unrecoverable_after, total: start.elapsed(), folder_removed })
}

/// The vault's database files: its own and the decoy's, with SQLite's companions (the rollback
/// journal exists only during a re-key), and the re-key journal.
pub(crate) fn database_files(dir: &Path) -> [std::path::PathBuf; 8] {
    let companion = |name: &str, suffix: &str| dir.join(format!("{name}{suffix}"));
    [
        companion(DATABASE_FILE, ""),
        companion(DATABASE_FILE, "-wal"),
        companion(DATABASE_FILE, "-shm"),
        companion(DATABASE_FILE, "-journal"),
        dir.join(crate::rekey::JOURNAL_FILE),
        companion(DECOY_FILE, ""),
        companion(DECOY_FILE, "-wal"),
        companion(DECOY_FILE, "-shm"),
    ]
}

/// Overwrites every keyslot and wrap slot of `dir/vault.keys` in place with random bytes and
/// flushes them. A header that does not parse has everything after its 48-byte prefix
/// overwritten.
pub(crate) fn destroy_keys(dir: &Path) -> Result<(), StoreError> {
    let path = dir.join(HEADER_FILE);
    for _ in 0..ATTEMPTS {
        let bytes = match fs::read(&path) {
            Ok(bytes) => bytes,
            Err(error) if error.kind() == io::ErrorKind::NotFound => return Err(StoreError::VaultNotFound),
            Err(error) => return Err(error.into()),
        };
        let (range, fresh) = match VaultHeader::parse(&bytes) {
            Ok(header) => {
                let range = header.key_material();
                (range.clone(), header.destroyed().to_bytes()[range].to_vec())
            }
            Err(_) => {
                let start = bytes.len().min(48);
                let mut fresh = vec![0u8; bytes.len() - start];
                for chunk in fresh.chunks_mut(32) {
                    chunk.copy_from_slice(&cairn_crypto::random_array::<32>()[..chunk.len()]);
                }
                (start..bytes.len(), fresh)
            }
        };
        if write_in_place(&path, bytes.len(), range, &fresh)? {
            return Ok(());
        }
    }
    Err(StoreError::Io { kind: io::ErrorKind::ResourceBusy })
}

/// Writes `bytes` over `range` of the file at `path` (which must still be `len` bytes long),
/// flushes it, and reads it back through the path. Returns false when the file changed under
/// it (another process replaced `vault.keys`): the write then went to the replaced file.
pub(crate) fn write_in_place(path: &Path, len: usize, range: Range<usize>, bytes: &[u8]) -> Result<bool, StoreError> {
    let mut file = match OpenOptions::new().write(true).open(path) {
        Ok(file) => file,
        Err(error) if error.kind() == io::ErrorKind::NotFound => return Err(StoreError::VaultNotFound),
        Err(error) => return Err(error.into()),
    };
    if file.metadata()?.len() != len as u64 {
        return Ok(false);
    }
    file.seek(SeekFrom::Start(range.start as u64))?;
    file.write_all(bytes)?;
    file.sync_all()?;
    drop(file);
    Ok(fs::read(path)?.get(range) == Some(bytes))
}

/// Writes the unlock guard of a v3 or v4 `vault.keys` in place.
fn write_guard(dir: &Path, guard: UnlockGuard) -> Result<(), StoreError> {
    let path = dir.join(HEADER_FILE);
    for _ in 0..ATTEMPTS {
        let header = read_header(dir)?;
        // Replaced by a header without a guard (an older Cairn): nothing to count in.
        let Some(range) = header.guard_range() else { return Ok(()) };
        if write_in_place(&path, header.to_bytes().len(), range, &guard.to_bytes())? {
            return Ok(());
        }
    }
    Err(StoreError::Io { kind: io::ErrorKind::ResourceBusy })
}

/// Tries a secret of `kind` (`open`: one key derivation) on the header in `dir`, counting the attempt against
/// the unlock guard and destroying the keys when the limit is reached (see the module
/// documentation). Returns the header (its counter back at 0) and what it opened.
pub(crate) fn unlock_guarded(
    dir: &Path,
    kind: SlotKind,
    open: impl FnOnce(&VaultHeader) -> Result<UnlockedHeader, CryptoError>,
) -> Result<(VaultHeader, UnlockedHeader), StoreError> {
    let wrong = || match kind {
        SlotKind::Passphrase | SlotKind::Duress => StoreError::WrongPassphrase,
        SlotKind::Recovery => StoreError::WrongRecoveryCode,
    };
    let header = read_header(dir)?;
    let guard = header.unlock_guard();
    let mut destroyed = false;
    if guard.is_reached() {
        // The attempt that reached the limit was cut off before it could destroy the keys.
        destroy_keys(dir)?;
        destroyed = true;
    }
    if guard.is_on() {
        write_guard(dir, guard.counted())?;
    }
    match open(&header) {
        // The duress passphrase is typed where the passphrase is, and answered like it.
        Ok(unlocked)
            if !destroyed
                && (unlocked.kind == kind || (kind == SlotKind::Passphrase && unlocked.kind == SlotKind::Duress)) =>
        {
            let mut header = header;
            if guard.is_on() {
                let reset = UnlockGuard { limit: guard.limit, failures: 0 };
                write_guard(dir, reset)?;
                header = header.with_unlock_guard(reset)?;
            }
            Ok((header, unlocked))
        }
        Ok(_) | Err(CryptoError::WrongSecret) => {
            if guard.counted().is_reached() && !destroyed {
                // Whatever happens here, the answer is the ordinary one.
                let _ = destroy_keys(dir);
            }
            Err(wrong())
        }
        Err(other) => Err(other.into()),
    }
}

/// Removes the vault's files, its temporaries and (when then empty) the folder. Returns
/// whether the folder was removed.
fn remove_files(dir: &Path) -> Result<bool, StoreError> {
    let mut files = vec![dir.join(HEADER_FILE)];
    files.extend(database_files(dir));
    for file in files {
        match fs::remove_file(&file) {
            Ok(()) => {}
            Err(error) if error.kind() == io::ErrorKind::NotFound => {}
            Err(error) => return Err(error.into()),
        }
    }
    fsutil::remove_stale_temporaries(dir);
    let removed = fs::remove_dir(dir).is_ok();
    let flushed = if removed { dir.parent().filter(|parent| !parent.as_os_str().is_empty()) } else { Some(dir) };
    if let Some(folder) = flushed {
        let _ = fsutil::sync_dir(folder);
    }
    Ok(removed)
}

#[cfg(test)]
mod tests {
    use cairn_crypto::RecoveryCode;
    use secrecy::SecretString;

    use super::*;
    use crate::{KdfChoice, Vault};

    const PASSPHRASE: &str = "correct horse battery staple";

    fn create(dir: &Path) -> RecoveryCode {
        let (mut vault, recovery) =
            Vault::create(dir, &SecretString::from(PASSPHRASE), KdfChoice::InsecureTestOnly).expect("create");
        vault.transaction(|tx| tx.create_case_key(&[7; 16]).map(|_| ())).expect("case");
        vault.lock();
        recovery
    }

    fn unlock(dir: &Path, passphrase: &str) -> Result<Vault, StoreError> {
        Vault::unlock(dir, &SecretString::from(passphrase))
    }

    fn recover(dir: &Path, code: &RecoveryCode) -> Result<Vault, StoreError> {
        Vault::recover(dir, code, &SecretString::from("a brand new passphrase"))
    }

    fn guard(dir: &Path) -> UnlockGuard {
        read_header(dir).expect("header").unlock_guard()
    }

    /// Whether the keyslots on disk still open, looked at without counting an attempt.
    fn keys_open(dir: &Path, recovery: &RecoveryCode) -> (bool, bool) {
        let header = read_header(dir).expect("header");
        (header.unlock(PASSPHRASE).is_ok(), header.unlock_with_recovery_code(recovery).is_ok())
    }

    #[test]
    fn n_minus_one_failures_then_the_passphrase_opens_and_resets_the_count() {
        let dir = tempfile::tempdir().expect("dir");
        let recovery = create(dir.path());
        let mut vault = unlock(dir.path(), PASSPHRASE).expect("unlock");
        vault.set_unlock_limit(4).expect("limit");
        assert_eq!(vault.info().expect("info").unlock_limit, 4);
        vault.lock();
        // Both kinds of secret count; each attempt is a separate unlock, read from disk.
        let other_code = RecoveryCode::generate();
        assert!(matches!(unlock(dir.path(), "wrong one"), Err(StoreError::WrongPassphrase)));
        assert!(matches!(recover(dir.path(), &other_code), Err(StoreError::WrongRecoveryCode)));
        // The recovery code at the passphrase prompt is a failed attempt too.
        let as_passphrase = unlock(dir.path(), &recovery.display_grouped());
        assert!(matches!(as_passphrase, Err(StoreError::WrongPassphrase)));
        assert_eq!(guard(dir.path()), UnlockGuard { limit: 4, failures: 3 });
        assert_eq!(keys_open(dir.path(), &recovery), (true, true));
        let mut vault = unlock(dir.path(), PASSPHRASE).expect("the passphrase still opens after N-1 failures");
        assert_eq!(guard(dir.path()), UnlockGuard { limit: 4, failures: 0 });
        assert_eq!(vault.read(|tx| tx.case_ids()).expect("cases").len(), 1);
        vault.lock();
        // A success in between starts the count again.
        for _ in 0..3 {
            assert!(matches!(unlock(dir.path(), "wrong one"), Err(StoreError::WrongPassphrase)));
        }
        recover(dir.path(), &recovery).expect("the recovery code opens too, and resets").lock();
        assert_eq!(guard(dir.path()).failures, 0);
    }

    #[test]
    fn n_failures_destroy_every_keyslot_and_look_like_any_wrong_passphrase() {
        let dir = tempfile::tempdir().expect("dir");
        let recovery = create(dir.path());
        let mut vault = unlock(dir.path(), PASSPHRASE).expect("unlock");
        vault.set_unlock_limit(3).expect("limit");
        vault.lock();
        let before = fs::read(dir.path().join(HEADER_FILE)).expect("header");
        for attempt in 1..=3 {
            let outcome = unlock(dir.path(), &format!("wrong {attempt}"));
            assert!(matches!(outcome, Err(StoreError::WrongPassphrase)), "attempt {attempt}");
        }
        assert_eq!(keys_open(dir.path(), &recovery), (false, false));
        let after = fs::read(dir.path().join(HEADER_FILE)).expect("the file stays");
        assert_eq!(after.len(), before.len());
        assert_eq!(after[..48], before[..48], "same parameters, salt and vault id");
        assert_ne!(after[48..VaultHeader::GUARD_OFFSET], before[48..VaultHeader::GUARD_OFFSET]);
        // From now on, every attempt is an ordinary wrong one, with either secret.
        assert!(matches!(unlock(dir.path(), PASSPHRASE), Err(StoreError::WrongPassphrase)));
        assert!(matches!(recover(dir.path(), &recovery), Err(StoreError::WrongRecoveryCode)));
        assert_eq!(guard(dir.path()), UnlockGuard { limit: 3, failures: 5 });
        assert!(dir.path().join(DATABASE_FILE).exists(), "a failed-unlock wipe keeps the files");
    }

    #[test]
    fn the_attempt_is_counted_on_disk_before_the_key_derivation() {
        let dir = tempfile::tempdir().expect("dir");
        let recovery = create(dir.path());
        let mut vault = unlock(dir.path(), PASSPHRASE).expect("unlock");
        vault.set_unlock_limit(3).expect("limit");
        vault.lock();
        // A derivation that never finishes (a kill): the count is already on disk.
        for _ in 0..3 {
            let outcome = unlock_guarded(dir.path(), SlotKind::Passphrase, |_| {
                Err(CryptoError::Malformed { what: "killed during the key derivation" })
            });
            assert!(outcome.is_err());
        }
        assert_eq!(guard(dir.path()).failures, 3);
        assert_eq!(keys_open(dir.path(), &recovery), (true, true), "cut off before it could destroy");
        // The next attempt destroys first, whatever the secret.
        assert!(matches!(unlock(dir.path(), PASSPHRASE), Err(StoreError::WrongPassphrase)));
        assert_eq!(keys_open(dir.path(), &recovery), (false, false));
    }

    #[test]
    fn without_a_limit_nothing_is_counted_or_written() {
        let dir = tempfile::tempdir().expect("dir");
        create(dir.path());
        let before = fs::read(dir.path().join(HEADER_FILE)).expect("header");
        for _ in 0..5 {
            assert!(matches!(unlock(dir.path(), "wrong"), Err(StoreError::WrongPassphrase)));
        }
        assert_eq!(fs::read(dir.path().join(HEADER_FILE)).expect("header"), before);
        let mut vault = unlock(dir.path(), PASSPHRASE).expect("unlock");
        assert!(vault.set_unlock_limit(2).is_err());
        assert!(vault.set_unlock_limit(UnlockGuard::MAX_LIMIT + 1).is_err());
        vault.set_unlock_limit(3).expect("on");
        vault.set_unlock_limit(0).expect("off");
        assert_eq!(guard(dir.path()), UnlockGuard::OFF);
    }

    #[test]
    fn a_v2_or_v3_header_becomes_v4_at_the_next_unlock() {
        let dir = tempfile::tempdir().expect("dir");
        let recovery = create(dir.path());
        let path = dir.path().join(HEADER_FILE);
        let mut bytes = fs::read(&path).expect("header");
        bytes.truncate(VaultHeader::LEN_V2);
        bytes[..2].copy_from_slice(&2u16.to_le_bytes());
        fs::write(&path, &bytes).expect("write v2");
        assert!(matches!(unlock(dir.path(), "wrong"), Err(StoreError::WrongPassphrase)));
        assert_eq!(fs::read(&path).expect("header"), bytes, "a v2 header is not written before an unlock");
        let vault = unlock(dir.path(), PASSPHRASE).expect("unlock v2");
        assert_eq!(vault.info().expect("info").header_format, 4);
        vault.lock();
        assert_eq!(fs::read(&path).expect("header").len(), VaultHeader::LEN);
        assert_eq!(keys_open(dir.path(), &recovery), (true, true));
        // A v3 header (the guard right after the slots, on and counting) keeps counting, then
        // gains its checksum at the next unlock with the guard as it was.
        let mut vault = unlock(dir.path(), PASSPHRASE).expect("unlock");
        vault.set_unlock_limit(3).expect("limit");
        vault.lock();
        let v4 = fs::read(&path).expect("header");
        let mut v3 = v4[..VaultHeader::LEN_V2].to_vec();
        v3[..2].copy_from_slice(&3u16.to_le_bytes());
        v3.extend_from_slice(&v4[VaultHeader::GUARD_OFFSET..]);
        fs::write(&path, &v3).expect("write v3");
        assert!(matches!(unlock(dir.path(), "wrong"), Err(StoreError::WrongPassphrase)));
        assert_eq!(guard(dir.path()), UnlockGuard { limit: 3, failures: 1 }, "a v3 guard is counted in place");
        let vault = unlock(dir.path(), PASSPHRASE).expect("unlock v3");
        assert_eq!(vault.info().expect("info").header_format, 4);
        vault.lock();
        assert_eq!(guard(dir.path()), UnlockGuard { limit: 3, failures: 0 });
        assert_eq!(fs::read(&path).expect("header").len(), VaultHeader::LEN);
    }

    #[test]
    fn a_panic_wipe_destroys_the_keys_then_removes_the_vault() {
        let parent = tempfile::tempdir().expect("dir");
        let dir = parent.path().join("vault");
        create(&dir);
        let copy = fs::read(dir.join(HEADER_FILE)).expect("header");
        let report = wipe(&dir).expect("wipe");
        assert!(report.folder_removed && !dir.exists(), "the folder is gone");
        assert!(report.unrecoverable_after <= report.total);
        assert!(report.unrecoverable_after < Duration::from_secs(1));
        assert!(matches!(wipe(&dir), Err(StoreError::VaultNotFound)));
        assert!(matches!(unlock(&dir, PASSPHRASE), Err(StoreError::VaultNotFound)));
        drop(copy);

        // From an unlocked vault; a folder holding other files keeps them.
        let recovery = create(&dir);
        fs::write(dir.join("notes.txt"), b"not the vault's").expect("write");
        let vault = unlock(&dir, PASSPHRASE).expect("unlock");
        let report = vault.wipe().expect("wipe");
        assert!(!report.folder_removed);
        let mut left: Vec<_> = fs::read_dir(&dir).expect("list").map(|entry| entry.expect("entry").file_name()).collect();
        left.sort();
        assert_eq!(left, ["notes.txt"]);
        drop(recovery);
    }

    #[test]
    fn destroyed_keys_alone_already_open_nothing() {
        // The state a kill leaves right after the keyslots were overwritten.
        let dir = tempfile::tempdir().expect("dir");
        let recovery = create(dir.path());
        destroy_keys(dir.path()).expect("destroy");
        assert_eq!(keys_open(dir.path(), &recovery), (false, false));
        assert!(matches!(unlock(dir.path(), PASSPHRASE), Err(StoreError::WrongPassphrase)));
        assert!(matches!(recover(dir.path(), &recovery), Err(StoreError::WrongRecoveryCode)));
        // A header that does not parse is overwritten after its prefix all the same.
        fs::write(dir.path().join(HEADER_FILE), [9u8; 100]).expect("write");
        destroy_keys(dir.path()).expect("destroy damaged");
        let bytes = fs::read(dir.path().join(HEADER_FILE)).expect("read");
        assert_eq!((bytes.len(), &bytes[..48]), (100, &[9u8; 48][..]));
        assert_ne!(bytes[48..], [9u8; 52]);
        // The remains of a wipe cut off after the header went: a second wipe finishes.
        fs::remove_file(dir.path().join(HEADER_FILE)).expect("remove");
        assert!(wipe(dir.path()).expect("finish").folder_removed);
    }
}
