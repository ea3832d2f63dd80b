//! The application API every Cairn front end uses (desktop shell, CLI): a [`Session`] over
//! an unlocked vault. Front ends hold no logic another front end would need; it lives here.
//!
//! Errors are [`CoreError`]: each has a stable [`CoreError::code`] a UI can switch on, and a
//! message that never contains user data, paths or secrets.
#![deny(unsafe_code)]

pub mod bundle;
pub mod cases;
mod error;
pub mod evidence;
pub mod export;
pub mod handover;
mod hardening;
pub mod panic_lock;
mod passphrase;
pub mod recordings;
mod session;
pub mod sync;
pub mod team;
#[cfg(any(test, feature = "testing"))]
pub mod testing;

pub use cairn_crypto::{KdfParams, KdfProfile, RecoveryCode, random_id};
/// Crash-safe whole-file writes and size-limited reads, for every file that leaves the vault
/// or comes from outside (front ends use these, never `fs::write`).
pub use cairn_store::fsutil as files;
pub use cairn_store::{KdfChoice, WipeReport};
pub use error::CoreError;
pub use hardening::harden_process;
pub use passphrase::{MIN_PASSPHRASE_CHARS, check_new_passphrase};
pub use recordings::civil_from_days;
pub use session::{
    INSECURE_KDF_ALLOWED, Session, UNLOCK_LIMIT_MAX, UNLOCK_LIMIT_MIN, VaultStatus, WipeGesture, create_vault,
    recover_vault, unlock_vault, vault_exists, vault_uses_insecure_kdf, wipe_vault,
};

/// Re-exported so front ends can hold secrets without depending on `secrecy` themselves.
pub use secrecy::{ExposeSecret, SecretString};
