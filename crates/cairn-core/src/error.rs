use cairn_crypto::CryptoError;
use cairn_store::StoreError;
use thiserror::Error;

/// An error a front end can show: stable code, safe message.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum CoreError {
    /// The passphrase does not open the vault.
    #[error("the passphrase is wrong")]
    WrongPassphrase,
    /// The recovery code does not open the vault.
    #[error("the recovery code is wrong")]
    WrongRecoveryCode,
    /// The recovery code is not in the right form (a typo: the check symbols do not match).
    #[error("the recovery code is mistyped: check each group of four and try again")]
    MalformedRecoveryCode,
    /// There is no vault at the chosen location.
    #[error("no vault was found at this location")]
    VaultNotFound,
    /// A vault already exists at the chosen location.
    #[error("a vault already exists at this location")]
    VaultExists,
    /// The vault files are damaged or are not a vault.
    #[error("the vault is damaged or unreadable ({0})")]
    VaultDamaged(&'static str),
    /// The vault was written by a newer Cairn.
    #[error("the vault was written by a newer version of Cairn; update Cairn to open it")]
    NewerFormat,
    /// A new passphrase was refused.
    #[error("the new passphrase is too weak: use at least {min} characters, e.g. several unrelated words")]
    WeakPassphrase {
        /// Minimum number of characters.
        min: usize,
    },
    /// A failed-unlock limit outside the allowed range was asked for.
    #[error("the failed-unlock limit must be between {min} and {max}")]
    UnlockLimitOutOfRange {
        /// Smallest allowed limit.
        min: u32,
        /// Largest allowed limit.
        max: u32,
    },
    /// The duress passphrase asked for already opens this vault (the passphrase or the
    /// recovery code), or the decoy to copy is this vault itself.
    #[error(
        "the duress passphrase must differ from the passphrase and the recovery code, and the decoy must be another vault"
    )]
    DuressNotDistinct,
    /// The disk is full; nothing was half-written.
    #[error("the disk is full; the change was not saved")]
    DiskFull,
    /// The operating system refused a file operation.
    #[error("the vault's files could not be read or written ({0:?})")]
    Io(std::io::ErrorKind),
    /// Something requested does not exist.
    #[error("{0} not found")]
    NotFound(&'static str),
    /// The session was locked while in use (the panic lock stopped a long import): its keys
    /// are gone. Unlock again.
    #[error("the vault was locked")]
    Locked,
    /// Another Cairn window or command has the vault open, and this needs it alone (a
    /// re-key), or it held the vault's write lock too long.
    #[error("the vault is open in another Cairn window or command: lock it or let it finish, then try again")]
    VaultInUse,
    /// A re-key stopped after the new passphrase and recovery code took effect: unlocking with
    /// the new passphrase finishes it.
    #[error(
        "the re-key did not finish: the new passphrase and recovery code are in force; unlock with the new passphrase to finish it"
    )]
    RekeyUnfinished,
    /// A team operation was refused (see [`crate::team::TeamError`]).
    #[error(transparent)]
    Team(#[from] crate::team::TeamError),
    /// A case operation was refused (see [`crate::cases::CaseError`]).
    #[error(transparent)]
    Case(#[from] crate::cases::CaseError),
    /// A recording operation was refused (see [`crate::recordings::RecordingError`]).
    #[error(transparent)]
    Recording(#[from] crate::recordings::RecordingError),
    /// Sync could not start, or a peer's message was refused (see [`crate::sync::SyncRefusal`]).
    #[error(transparent)]
    Sync(crate::sync::SyncRefusal),
    /// A store-and-forward bundle was refused (see [`crate::bundle::BundleRefusal`]).
    #[error(transparent)]
    Bundle(crate::bundle::BundleRefusal),
    /// An export was refused (see [`crate::export::ExportError`]).
    #[error(transparent)]
    Export(#[from] crate::export::ExportError),
    /// An evidence package could not be verified at all (see
    /// [`crate::evidence::EvidenceError`]); what a package gets wrong is in its report.
    #[error(transparent)]
    Evidence(#[from] crate::evidence::EvidenceError),
    /// A bug: an invariant did not hold.
    #[error("internal error ({0})")]
    Internal(&'static str),
}

impl CoreError {
    /// Stable machine-readable code.
    pub fn code(&self) -> &'static str {
        match self {
            CoreError::WrongPassphrase => "wrong_passphrase",
            CoreError::WrongRecoveryCode => "wrong_recovery_code",
            CoreError::MalformedRecoveryCode => "malformed_recovery_code",
            CoreError::VaultNotFound => "vault_not_found",
            CoreError::VaultExists => "vault_exists",
            CoreError::VaultDamaged(_) => "vault_damaged",
            CoreError::NewerFormat => "vault_newer_format",
            CoreError::WeakPassphrase { .. } => "weak_passphrase",
            CoreError::UnlockLimitOutOfRange { .. } => "unlock_limit_out_of_range",
            CoreError::DuressNotDistinct => "duress_not_distinct",
            CoreError::DiskFull => "disk_full",
            CoreError::Io(_) => "io",
            CoreError::NotFound(_) => "not_found",
            CoreError::Locked => "locked",
            CoreError::VaultInUse => "vault_in_use",
            CoreError::RekeyUnfinished => "rekey_unfinished",
            CoreError::Team(error) => error.code(),
            CoreError::Case(error) => error.code(),
            CoreError::Recording(error) => error.code(),
            CoreError::Sync(refusal) => refusal.code(),
            CoreError::Bundle(refusal) => refusal.code(),
            CoreError::Export(error) => error.code(),
            CoreError::Evidence(error) => error.code(),
            CoreError::Internal(_) => "internal",
        }
    }
}

impl From<StoreError> for CoreError {
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::VaultNotFound => CoreError::VaultNotFound,
            StoreError::VaultExists => CoreError::VaultExists,
            StoreError::WrongPassphrase => CoreError::WrongPassphrase,
            StoreError::WrongRecoveryCode => CoreError::WrongRecoveryCode,
            StoreError::Damaged { what } => CoreError::VaultDamaged(what),
            StoreError::NewerFormat { .. } => CoreError::NewerFormat,
            StoreError::DiskFull => CoreError::DiskFull,
            StoreError::DuressNotDistinct => CoreError::DuressNotDistinct,
            StoreError::Io { kind } => CoreError::Io(kind),
            StoreError::NotFound { what } => CoreError::NotFound(what),
            StoreError::Locked => CoreError::Locked,
            StoreError::VaultInUse => CoreError::VaultInUse,
            StoreError::RekeyUnfinished => CoreError::RekeyUnfinished,
            // What the store opens is sealed inside this vault, whose schema version already
            // refuses a newer Cairn's vault at unlock: an unknown version there is damage (a
            // flipped version byte), not a reason to tell the worker to update Cairn.
            StoreError::Crypto(CryptoError::UnsupportedVersion { what, .. }) => CoreError::VaultDamaged(what),
            StoreError::Crypto(error) => error.into(),
            StoreError::Database { .. } => CoreError::Internal("database"),
            _ => CoreError::Internal("storage"),
        }
    }
}

impl From<CryptoError> for CoreError {
    fn from(error: CryptoError) -> Self {
        match error {
            CryptoError::WrongSecret => CoreError::WrongPassphrase,
            CryptoError::Tampered => CoreError::VaultDamaged("authentication failed"),
            CryptoError::Malformed { what } => CoreError::VaultDamaged(what),
            CryptoError::UnsupportedVersion { .. } => CoreError::NewerFormat,
            CryptoError::KdfParamsOutOfRange => CoreError::VaultDamaged("key-derivation parameters"),
            _ => CoreError::Internal("cryptography"),
        }
    }
}
