//! Decryption of raw SQLCipher pages with K_db (feature `sqlcipher-pages`, tests only).
//!
//! A seized disk plus a coerced passphrase gives an adversary K_db, and with it every page of
//! `vault.db` and every frame of `vault.db-wal`, including pages SQLite no longer uses. Tests
//! that promise "deleted means gone" must look where that adversary looks, so they decrypt the
//! files page by page here instead of asking SQLite (which only shows live rows).
//!
//! The layout is SQLCipher 4's default, which the vault uses unchanged (`PRAGMA key` with a raw
//! key and no other cipher pragma): 4096-byte pages, AES-256-CBC over the page minus an
//! 80-byte reserve (a 16-byte IV, then a 64-byte HMAC-SHA512 that this module does not check),
//! the raw key used as is, and page 1 starting with the file's 16-byte plaintext salt.

use aes::cipher::{BlockModeDecrypt, KeyIvInit, block_padding::NoPadding};

use crate::{CryptoError, DbKey};

/// SQLCipher 4's default page size.
pub const SQLCIPHER_PAGE_LEN: usize = 4096;
/// Bytes at the end of every page that SQLCipher reserves: IV (16) and HMAC-SHA512 (64).
const RESERVE_LEN: usize = 16 + 64;
/// Page 1 starts with the database's salt in the clear.
const SALT_LEN: usize = 16;

type Aes256CbcDec = cbc::Decryptor<aes::Aes256>;

/// Decrypts one raw page (as stored in the database file or a WAL frame). `first_page` says
/// whether it is page 1, whose first 16 bytes are the plaintext salt (returned unchanged).
/// The HMAC is not checked: a test wants whatever the bytes decrypt to, stale or not.
pub fn decrypt_sqlcipher_page(key: &DbKey, page: &[u8], first_page: bool) -> Result<Vec<u8>, CryptoError> {
    if page.len() != SQLCIPHER_PAGE_LEN {
        return Err(CryptoError::Malformed { what: "sqlcipher page" });
    }
    let start = if first_page { SALT_LEN } else { 0 };
    let end = SQLCIPHER_PAGE_LEN - RESERVE_LEN;
    let iv = &page[end..end + 16];
    let mut out = page.to_vec();
    Aes256CbcDec::new_from_slices(key.bytes(), iv)
        .map_err(|_| CryptoError::Malformed { what: "sqlcipher page" })?
        .decrypt_padded::<NoPadding>(&mut out[start..end])
        .map_err(|_| CryptoError::Malformed { what: "sqlcipher page" })?;
    Ok(out)
}
