//! Exit codes (stable, documented in `--help` and the README).

use std::process::ExitCode;

use cairn_core::{CoreError, bundle::BundleRefusal, cases::CaseError, sync::SyncRefusal};

use crate::output;

pub(crate) const EXIT_CODES_HELP: &str = "Exit codes:
  0  success
  1  unexpected failure (I/O error, full disk, internal error)
  2  usage error (bad arguments, no passphrase available without a terminal, a wipe not
     confirmed, an unlock limit out of range, a handover whose missing consent to sharing
     with HQ was not confirmed, a file whose metadata Cairn cannot remove attached without
     --keep-metadata, a fingerprint to verify against not in the right form, nothing at the
     path to verify)
  3  wrong passphrase or recovery code (or a mistyped recovery code)
  4  vault damaged, truncated, or written by a newer Cairn
  5  no vault at the location (or, for init, one exists already)
  6  new passphrase refused (too weak, or the two entries differ)
  7  refused by the team rules: bad signature, replayed or older roster, another
     organisation, fingerprint mismatch, device unknown, revoked or already enrolled,
     truncated or malformed roster or request; a sync peer not on the roster or revoked;
     an export on a device that is not HQ (export_not_allowed), identity fields asked for
     outside HQ's vault (export_identity_not_allowed); a handover from HQ's vault;
     a sync or bundle with a team member other than HQ while this device's roster has expired
     (roster_expired_sync_limited: only the roster moved); HQ's root key kept offline and no
     --root-file given (root_offline), a root key file that does not open (root_file_locked)
     or holds another key (wrong_root_key); a roster under a new root key the held roster
     did not commit to (uncommitted_root)
  8  sync failed: the link was refused, dropped or timed out, or the peer broke the protocol
     (nothing half-applied: whole messages only; sync again)
  9  bundle refused: damaged, truncated or altered, or its signature or sender does not
     check out against the roster (nothing of it was applied)
 10  evidence package not verified (cairn verify): a file altered or missing, a change
     missing or not signed by a device on the roster, another organisation's fingerprint;
     each failure is printed with its code";

/// A usage problem discovered after parsing (exit 2).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub(crate) struct Usage(pub(crate) &'static str);

/// The new passphrase's two entries differ (exit 6).
#[derive(Debug, thiserror::Error)]
#[error("the two passphrases differ; nothing was changed")]
pub(crate) struct Mismatch;

/// A sync that stopped (exit 7 when the roster refused the peer or this device, else 8),
/// with the transport's or engine's stable code and fixed message.
#[derive(Debug, thiserror::Error)]
#[error("{message}")]
pub(crate) struct SyncFailed {
    code: &'static str,
    message: String,
}

impl SyncFailed {
    /// From a link that could not be established or broke.
    pub(crate) fn from_net(error: cairn_net::NetError) -> Self {
        SyncFailed { code: error.code(), message: error.to_string() }
    }

    /// From a session that stopped (the link, the engine or the vault).
    pub(crate) fn from_session(error: cairn_net::SessionError<CoreError>) -> anyhow::Error {
        match error {
            // This vault refused (a roster, a deletion or a change it will not accept): the
            // vault's own error, code and exit code.
            cairn_net::SessionError::Sync(
                cairn_sync::SyncError::Store(refused) | cairn_sync::SyncError::RosterRefused(refused),
            ) => anyhow::Error::new(refused),
            other => anyhow::Error::new(SyncFailed { code: other.code(), message: other.to_string() }),
        }
    }

    fn is_refusal(&self) -> bool {
        matches!(self.code, "peer_unknown" | "peer_revoked")
    }
}

/// Reports an error that does not stop the command (a server's refused connection).
pub(crate) fn warn(error: &anyhow::Error) {
    let code = error
        .downcast_ref::<SyncFailed>()
        .map(|failed| failed.code)
        .or(error.downcast_ref::<CoreError>().map(CoreError::code));
    match code {
        Some(code) => output::notice(format_args!("warning: {error} [{code}]")),
        None => output::notice(format_args!("warning: {error}")),
    }
}

fn exit_code_for(error: &anyhow::Error) -> u8 {
    if error.downcast_ref::<Usage>().is_some() {
        return 2;
    }
    if error.downcast_ref::<Mismatch>().is_some() {
        return 6;
    }
    if error.downcast_ref::<crate::export_commands::NotVerified>().is_some() {
        return 10;
    }
    if let Some(failed) = error.downcast_ref::<SyncFailed>() {
        return if failed.is_refusal() { 7 } else { 8 };
    }
    match error.downcast_ref::<CoreError>() {
        Some(CoreError::WrongPassphrase | CoreError::WrongRecoveryCode | CoreError::MalformedRecoveryCode) => 3,
        Some(CoreError::VaultDamaged(_) | CoreError::NewerFormat) => 4,
        Some(CoreError::VaultNotFound | CoreError::VaultExists) => 5,
        Some(CoreError::WeakPassphrase { .. }) => 6,
        Some(CoreError::UnlockLimitOutOfRange { .. } | CoreError::DuressNotDistinct) => 2,
        Some(CoreError::Bundle(BundleRefusal::UnknownRecipient)) => 2,
        Some(CoreError::Bundle(_)) => 9,
        Some(CoreError::Team(error)) if error.is_usage() => 2,
        Some(CoreError::Team(_)) => 7,
        Some(CoreError::Export(_)) => 7,
        Some(CoreError::Sync(SyncRefusal::RosterExpiredSyncLimited)) => 7,
        Some(CoreError::Evidence(_)) => 2,
        Some(CoreError::Case(CaseError::HandoverConsentUnconfirmed | CaseError::MetadataUnremovable { .. })) => 2,
        Some(CoreError::Case(CaseError::HandoverAtHq)) => 7,
        _ => 1,
    }
}

/// Prints the error (a fixed, data-free message) and returns its exit code.
pub(crate) fn report(error: &anyhow::Error) -> ExitCode {
    let code = error
        .downcast_ref::<SyncFailed>()
        .map(|failed| failed.code)
        .or_else(|| error.downcast_ref::<CoreError>().map(CoreError::code))
        .or_else(|| error.downcast_ref::<output::Unwritable>().map(|_| "output_unwritable"))
        .or_else(|| error.downcast_ref::<crate::lock_commands::LockFailed>().map(crate::lock_commands::LockFailed::code))
        .or_else(|| error.downcast_ref::<crate::export_commands::NotVerified>().map(|_| "evidence_not_verified"));
    output::error(error, code);
    ExitCode::from(exit_code_for(error))
}
