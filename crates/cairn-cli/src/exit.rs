//! Exit codes (stable, documented in `--help` and the README).

use std::process::ExitCode;

use cairn_core::CoreError;

use crate::output;

pub(crate) const EXIT_CODES_HELP: &str = "Exit codes:
  0  success
  1  unexpected failure (I/O error, full disk, internal error)
  2  usage error (bad arguments, no passphrase available without a terminal)
  3  wrong passphrase or recovery code (or a mistyped recovery code)
  4  vault damaged, truncated, or written by a newer Cairn
  5  no vault at the location (or, for init, one exists already)
  6  new passphrase refused (too weak, or the two entries differ)
  7  refused by the team rules: bad signature, replayed or older roster, another
     organisation, fingerprint mismatch, device unknown, revoked or already enrolled,
     truncated or malformed roster or request";

/// A usage problem discovered after parsing (exit 2).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub(crate) struct Usage(pub(crate) &'static str);

/// The new passphrase's two entries differ (exit 6).
#[derive(Debug, thiserror::Error)]
#[error("the two passphrases differ; nothing was changed")]
pub(crate) struct Mismatch;

fn exit_code_for(error: &anyhow::Error) -> u8 {
    if error.downcast_ref::<Usage>().is_some() {
        return 2;
    }
    if error.downcast_ref::<Mismatch>().is_some() {
        return 6;
    }
    match error.downcast_ref::<CoreError>() {
        Some(CoreError::WrongPassphrase | CoreError::WrongRecoveryCode | CoreError::MalformedRecoveryCode) => 3,
        Some(CoreError::VaultDamaged(_) | CoreError::NewerFormat) => 4,
        Some(CoreError::VaultNotFound | CoreError::VaultExists) => 5,
        Some(CoreError::WeakPassphrase { .. }) => 6,
        Some(CoreError::Team(error)) if error.is_usage() => 2,
        Some(CoreError::Team(_)) => 7,
        _ => 1,
    }
}

/// Prints the error (a fixed, data-free message) and returns its exit code.
pub(crate) fn report(error: &anyhow::Error) -> ExitCode {
    output::error(error, error.downcast_ref::<CoreError>().map(CoreError::code));
    ExitCode::from(exit_code_for(error))
}
