//! The application API every Cairn front end uses (desktop shell, CLI): a [`Session`] over
//! an unlocked vault. Front ends hold no logic another front end would need; it lives here.
//!
//! Errors are [`CoreError`]: each has a stable [`CoreError::code`] a UI can switch on, and a
//! message that never contains user data, paths or secrets.
#![deny(unsafe_code)]

pub mod cases;
mod error;
mod hardening;
mod passphrase;
pub mod recordings;
mod session;
pub mod team;

pub use cairn_crypto::{KdfParams, KdfProfile, RecoveryCode, random_id};
pub use cairn_store::KdfChoice;
pub use error::CoreError;
pub use hardening::harden_process;
pub use passphrase::{MIN_PASSPHRASE_CHARS, check_new_passphrase};
pub use session::{Session, VaultStatus, create_vault, recover_vault, unlock_vault, vault_exists};

/// Re-exported so front ends can hold secrets without depending on `secrecy` themselves.
pub use secrecy::{ExposeSecret, SecretString};
