//! The error every command returns: a stable code the UI translates, and CoreError's fixed
//! English sentence as a fallback. Neither ever contains user data, paths or secrets.

use cairn_core::CoreError;
use serde::Serialize;
use ts_rs::TS;

/// An error as it crosses to the webview: `{ code, message }`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub(crate) struct CommandError {
    /// Stable machine-readable code (`CoreError::code()` or one of the shell's own below).
    pub(crate) code: &'static str,
    /// A fixed English sentence, for logs and as a last resort; the UI shows its own text.
    pub(crate) message: String,
}

impl CommandError {
    /// The vault is locked (or not yet created): the view must return to unlock.
    pub(crate) fn locked() -> Self {
        Self::shell("locked", "the vault is locked")
    }

    /// A lock (sleep, lid, Lock) arrived while the vault was being opened; it stayed closed.
    pub(crate) fn locked_while_opening() -> Self {
        Self::shell("locked_while_opening", "the vault was locked while it opened; unlock it again")
    }

    /// The two entries of a new passphrase differ.
    pub(crate) fn passphrase_mismatch() -> Self {
        Self::shell("passphrase_mismatch", "the two passphrases differ")
    }

    /// The recovery code typed back does not match the one shown.
    pub(crate) fn recovery_code_mismatch() -> Self {
        Self::shell("recovery_code_mismatch", "the recovery code typed does not match the one shown")
    }

    /// The request came in the wrong phase (e.g. create while a vault exists).
    pub(crate) fn wrong_phase() -> Self {
        Self::shell("wrong_phase", "this action is not possible now")
    }

    /// An argument is outside what the command accepts.
    pub(crate) fn invalid(what: &'static str) -> Self {
        Self::shell("invalid_input", what)
    }

    /// The settings file could not be written.
    pub(crate) fn settings_not_saved() -> Self {
        Self::shell("settings_not_saved", "the settings could not be saved")
    }

    /// A live sync is already under way.
    pub(crate) fn sync_busy() -> Self {
        Self::shell("sync_busy", "a sync is already under way")
    }

    /// The worker pressed Cancel, or the vault locked, during a live sync.
    pub(crate) fn sync_cancelled() -> Self {
        Self::shell("sync_cancelled", "the sync was cancelled")
    }

    /// The address typed is not an IP address with a port.
    pub(crate) fn invalid_address() -> Self {
        Self::shell("invalid_address", "the address is not an IP address and port")
    }

    /// A fixed code and sentence from another crate's error (`NetError`, `SyncError`), whose
    /// messages contain no user data either.
    pub(crate) fn coded(code: &'static str, message: String) -> Self {
        CommandError { code, message }
    }

    /// A background task failed to run to completion (a bug).
    pub(crate) fn internal() -> Self {
        Self::shell("internal", "internal error")
    }

    fn shell(code: &'static str, message: &str) -> Self {
        CommandError { code, message: message.to_owned() }
    }
}

impl From<CoreError> for CommandError {
    fn from(error: CoreError) -> Self {
        CommandError { code: error.code(), message: error.to_string() }
    }
}

/// What every command returns.
pub(crate) type CommandResult<T> = Result<T, CommandError>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn core_errors_keep_their_stable_code() {
        let error = CommandError::from(CoreError::WrongPassphrase);
        assert_eq!(error.code, "wrong_passphrase");
        let json = serde_json::to_value(&error).expect("json");
        assert_eq!(json, serde_json::json!({ "code": "wrong_passphrase", "message": "the passphrase is wrong" }));
        assert_eq!(CommandError::from(CoreError::WeakPassphrase { min: 12 }).code, "weak_passphrase");
    }
}
