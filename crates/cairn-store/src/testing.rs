//! Test support (feature `testing`): what an adversary with the disk and the passphrase sees.
//!
//! [`decrypted_pages`] reads `vault.db` and `vault.db-wal` byte by byte, as a forensic tool
//! would, and decrypts every page and every WAL frame with the vault's K_db, whether SQLite
//! still uses it or not. Tests use it to prove that a deleted case left nothing behind.
//! Never for real data: it exposes plaintext pages.

use std::fs;

use cairn_crypto::{SQLCIPHER_PAGE_LEN, decrypt_sqlcipher_page};

use crate::{DATABASE_FILE, Id, StoreError, Vault, VaultTx};

/// Where a decrypted page was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PageSource {
    /// A page of `vault.db`.
    Database,
    /// A frame of `vault.db-wal` (any frame, including ones a checkpoint already copied).
    Wal,
}

/// One decrypted page.
#[derive(Debug, Clone)]
pub struct DecryptedPage {
    /// The file it came from.
    pub source: PageSource,
    /// Its page number (1-based).
    pub page_number: u32,
    /// The page's plaintext.
    pub plaintext: Vec<u8>,
}

/// A WAL file's header, before its frames.
const WAL_HEADER_LEN: usize = 32;
/// A WAL frame's header, before its page.
const WAL_FRAME_HEADER_LEN: usize = 24;

/// Every page of `vault.db` and every frame of `vault.db-wal`, decrypted with K_db. The
/// vault may be open (its connection keeps the WAL as a long-lived app would).
pub fn decrypted_pages(vault: &Vault) -> Result<Vec<DecryptedPage>, StoreError> {
    let key = vault.master_key.db_key(&vault.header.vault_id());
    let mut pages = Vec::new();
    let database = fs::read(vault.dir.join(DATABASE_FILE))?;
    if database.len() % SQLCIPHER_PAGE_LEN != 0 {
        return Err(StoreError::Damaged { what: "database length" });
    }
    for (index, page) in database.chunks(SQLCIPHER_PAGE_LEN).enumerate() {
        let page_number = u32::try_from(index + 1).map_err(|_| StoreError::Damaged { what: "database length" })?;
        let plaintext = decrypt_sqlcipher_page(&key, page, page_number == 1)?;
        if page_number == 1 && (plaintext[16..18] != [0x10, 0x00] || plaintext[20] != 80) {
            // Not SQLite's header: the layout assumed here is not the one SQLCipher wrote.
            return Err(StoreError::Damaged { what: "database page layout" });
        }
        pages.push(DecryptedPage { source: PageSource::Database, page_number, plaintext });
    }
    let wal = match fs::read(vault.dir.join(format!("{DATABASE_FILE}-wal"))) {
        Ok(bytes) => bytes,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => Vec::new(),
        Err(error) => return Err(error.into()),
    };
    if wal.len() > WAL_HEADER_LEN {
        for frame in wal[WAL_HEADER_LEN..].chunks(WAL_FRAME_HEADER_LEN + SQLCIPHER_PAGE_LEN) {
            if frame.len() < WAL_FRAME_HEADER_LEN + SQLCIPHER_PAGE_LEN {
                break;
            }
            let page_number = u32::from_be_bytes([frame[0], frame[1], frame[2], frame[3]]);
            let plaintext = decrypt_sqlcipher_page(&key, &frame[WAL_FRAME_HEADER_LEN..], page_number == 1)?;
            pages.push(DecryptedPage { source: PageSource::Wal, page_number, plaintext });
        }
    }
    Ok(pages)
}

impl VaultTx<'_> {
    /// Every wrapped key of a case as stored (to look for its bytes in raw pages later).
    pub fn wrapped_case_keys(&self, case_id: &Id) -> Result<Vec<Vec<u8>>, StoreError> {
        let mut statement = self.tx.prepare("SELECT wrapped FROM case_keys WHERE case_id = ?1 ORDER BY key_version")?;
        let rows = statement.query_map([case_id.as_slice()], |row| row.get(0))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }
}

/// Tamper tests: the stored bytes of a blob and of a wrapped case key, read and rewritten
/// exactly as stored, so a test can flip bytes in them and prove that every flip is caught.
impl VaultTx<'_> {
    /// A blob's header (format version, key version, nonce prefix) as stored.
    pub fn stored_blob_header(&self, blob_id: &Id) -> Result<Vec<u8>, StoreError> {
        Ok(self.tx.query_row("SELECT header FROM blobs WHERE blob_id = ?1", [blob_id.as_slice()], |row| row.get(0))?)
    }

    /// Replaces a blob's stored header.
    pub fn replace_stored_blob_header(&mut self, blob_id: &Id, header: &[u8]) -> Result<(), StoreError> {
        let sql = "UPDATE blobs SET header = ?2 WHERE blob_id = ?1";
        expect_one(self.tx.execute(sql, rusqlite::params![blob_id.as_slice(), header])?)
    }

    /// A blob's sealed chunks as stored, in order of position.
    pub fn stored_blob_chunks(&self, blob_id: &Id) -> Result<Vec<Vec<u8>>, StoreError> {
        let mut statement = self.tx.prepare("SELECT sealed FROM blob_chunks WHERE blob_id = ?1 ORDER BY position")?;
        let rows = statement.query_map([blob_id.as_slice()], |row| row.get(0))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Replaces the stored bytes of the sealed chunk at `position` of a blob.
    pub fn replace_stored_blob_chunk(&mut self, blob_id: &Id, position: u32, sealed: &[u8]) -> Result<(), StoreError> {
        let sql = "UPDATE blob_chunks SET sealed = ?3 WHERE blob_id = ?1 AND position = ?2";
        expect_one(self.tx.execute(sql, rusqlite::params![blob_id.as_slice(), position, sealed])?)
    }

    /// Replaces the stored wrapped key `key_version` of a case.
    pub fn replace_wrapped_case_key(&mut self, case_id: &Id, key_version: u32, wrapped: &[u8]) -> Result<(), StoreError> {
        let sql = "UPDATE case_keys SET wrapped = ?3 WHERE case_id = ?1 AND key_version = ?2";
        expect_one(self.tx.execute(sql, rusqlite::params![case_id.as_slice(), key_version, wrapped])?)
    }
}

/// One row changed, or the row was not there.
fn expect_one(changed: usize) -> Result<(), StoreError> {
    if changed == 1 { Ok(()) } else { Err(StoreError::NotFound { what: "row" }) }
}

pub use crate::vault::KeyLoss;

/// Calls `probe` once, at the moment the vault zeroizes its keys because it is being locked in
/// the middle of a write (`VaultTx::end_session_on_failure`), before that write is rolled back.
pub fn watch_key_loss(vault: &mut Vault, probe: impl FnMut(KeyLoss) + Send + 'static) {
    vault.key_loss_probe = Some(Box::new(probe));
}
