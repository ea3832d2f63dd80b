use cairn_crypto::CryptoError;
use thiserror::Error;

/// Everything that can go wrong with the vault on disk.
///
/// Display strings are fixed sentences: no paths, no user data, no SQL text.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum StoreError {
    /// There is no vault in the given folder.
    #[error("no vault was found in this folder")]
    VaultNotFound,
    /// `create` was asked to overwrite an existing vault.
    #[error("a vault already exists in this folder")]
    VaultExists,
    /// The passphrase (or recovery code) does not open the vault.
    #[error("the passphrase does not open this vault")]
    WrongPassphrase,
    /// The recovery code does not open the vault.
    #[error("the recovery code does not open this vault")]
    WrongRecoveryCode,
    /// The duress passphrase asked for already opens this vault (it is the passphrase or the
    /// recovery code), or the decoy's source is this vault.
    #[error("the duress passphrase must differ from the passphrase and the recovery code")]
    DuressNotDistinct,
    /// The vault's files are damaged, truncated, or not a vault.
    #[error("the vault is damaged or unreadable ({what})")]
    Damaged {
        /// Which part is damaged (a fixed label).
        what: &'static str,
    },
    /// The vault was written by a newer version of Cairn.
    #[error("the vault was written by a newer version of Cairn ({what} version {version})")]
    NewerFormat {
        /// Which part.
        what: &'static str,
        /// The version found.
        version: u32,
    },
    /// The disk is full; nothing was half-written.
    #[error("the disk is full; the last change was not saved")]
    DiskFull,
    /// An operating-system I/O error.
    #[error("the vault's files could not be read or written ({kind})")]
    Io {
        /// The kind of I/O error.
        kind: std::io::ErrorKind,
    },
    /// Something this code asked for does not exist.
    #[error("{what} not found")]
    NotFound {
        /// What was missing (a fixed label).
        what: &'static str,
    },
    /// Sealed data failed authentication or was malformed.
    #[error(transparent)]
    Crypto(#[from] CryptoError),
    /// The vault was locked while this handle was in use: its keys are gone (see
    /// `VaultTx::end_session_on_failure`). Unlock again.
    #[error("the vault was locked")]
    Locked,
    /// Another connection (the desktop app, another command) has the vault open, and this
    /// operation needs it alone, or held its write lock too long.
    #[error("the vault is in use by another Cairn window or command")]
    VaultInUse,
    /// A re-key stopped after the new passphrase took effect and before the database was
    /// under the new key: the next unlock, with the new passphrase, finishes it.
    #[error("the re-key did not finish; unlock with the new passphrase to finish it")]
    RekeyUnfinished,
    /// An unexpected database error (a bug, not bad input).
    #[error("internal database error (code {code})")]
    Database {
        /// SQLite's extended result code.
        code: i32,
    },
}

impl StoreError {
    /// A stable, machine-readable code for this error.
    pub fn code(&self) -> &'static str {
        match self {
            StoreError::VaultNotFound => "vault_not_found",
            StoreError::VaultExists => "vault_exists",
            StoreError::WrongPassphrase => "wrong_passphrase",
            StoreError::WrongRecoveryCode => "wrong_recovery_code",
            StoreError::DuressNotDistinct => "duress_not_distinct",
            StoreError::Damaged { .. } => "vault_damaged",
            StoreError::NewerFormat { .. } => "vault_newer_format",
            StoreError::DiskFull => "disk_full",
            StoreError::Io { .. } => "io",
            StoreError::NotFound { .. } => "not_found",
            StoreError::Locked => "locked",
            StoreError::VaultInUse => "vault_in_use",
            StoreError::RekeyUnfinished => "rekey_unfinished",
            StoreError::Crypto(CryptoError::Tampered | CryptoError::Malformed { .. }) => "vault_damaged",
            StoreError::Crypto(error) => error.code(),
            StoreError::Database { .. } => "internal",
        }
    }
}

impl From<std::io::Error> for StoreError {
    fn from(error: std::io::Error) -> Self {
        match error.kind() {
            std::io::ErrorKind::StorageFull | std::io::ErrorKind::QuotaExceeded => StoreError::DiskFull,
            kind => StoreError::Io { kind },
        }
    }
}

impl From<rusqlite::Error> for StoreError {
    fn from(error: rusqlite::Error) -> Self {
        use rusqlite::ErrorCode;
        match &error {
            rusqlite::Error::SqliteFailure(failure, _) => match failure.code {
                ErrorCode::NotADatabase | ErrorCode::DatabaseCorrupt => StoreError::Damaged { what: "database" },
                ErrorCode::DiskFull => StoreError::DiskFull,
                ErrorCode::DatabaseBusy => StoreError::VaultInUse,
                ErrorCode::CannotOpen | ErrorCode::SystemIoFailure | ErrorCode::PermissionDenied | ErrorCode::ReadOnly => {
                    StoreError::Io { kind: std::io::ErrorKind::Other }
                }
                _ => StoreError::Database { code: failure.extended_code },
            },
            rusqlite::Error::QueryReturnedNoRows => StoreError::NotFound { what: "row" },
            _ => StoreError::Database { code: -1 },
        }
    }
}
