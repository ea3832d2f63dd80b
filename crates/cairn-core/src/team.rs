//! Device identity, organisation, enrollment, roster and revocation (DESIGN §6).

use crate::Session;

/// Errors of team operations.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TeamError {}

impl TeamError {
    /// Stable machine-readable code.
    pub fn code(&self) -> &'static str {
        match *self {}
    }
}

/// Called once right after a vault is created, inside `create_vault`.
pub(crate) fn on_vault_created(_session: &mut Session) -> Result<(), crate::CoreError> {
    Ok(())
}
