//! Cases: the documentation model, editing, conflicts, attachments and search (DESIGN §4).

/// Errors of case operations.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CaseError {}

impl CaseError {
    /// Stable machine-readable code.
    pub fn code(&self) -> &'static str {
        match *self {}
    }
}
