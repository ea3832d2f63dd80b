//! Exports for the tools HQ already uses (issue 11): the JSON of one case or all cases, and
//! CSVs in the layout Uwazi imports (one CSV per Uwazi template, one row per entity; the
//! mapping and the templates to create are in `docs/uwazi.md`).
//!
//! These files hold case content in plaintext, outside the vault. So:
//!
//! - only an HQ device (roster role `hq`) or a vault that belongs to no organisation may
//!   export; a field or coordinator device, or a revoked one, is refused with
//!   [`ExportError::NotAllowed`] (`export_not_allowed`): field devices hand cases over, they
//!   do not spread plaintext copies;
//! - a person's identity fields (real name, birth date, home town, family, contact) are never
//!   exported, on any device;
//! - files are written only where the caller points, each through
//!   [`AtomicFile`] (temporary file, fsync, rename), and an existing
//!   file is replaced only when the caller allows it.
//!
//! Free text (titles, descriptions, narratives, transcripts, notes) is exported as written.

mod csv;
mod json;
mod uwazi;

use std::{
    io::{ErrorKind, Write},
    path::{Path, PathBuf},
};

pub use json::{JSON_FORMAT, JSON_VERSION, cases_json};
pub use uwazi::{UWAZI_CSV_NAME, UWAZI_TEMPLATES, UwaziFile, uwazi_files};

use crate::{
    CoreError, Session,
    cases::{CaseError, CaseView, ObjectId},
    files::{self, AtomicFile, Existing},
    team::{Role, Standing},
};

/// A case as exported: the opened case and whether it is archived as deleted (HQ).
#[derive(Debug, Clone)]
pub struct ExportedCase {
    /// The opened case.
    pub view: CaseView,
    /// Whether a team member deleted it and this HQ vault keeps it archived.
    pub deleted: bool,
}

/// An export refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ExportError {
    /// This device may not export: only HQ, or a vault outside any organisation.
    #[error("only an HQ device (or a vault outside any organisation) may export cases")]
    NotAllowed,
    /// Identity fields were asked for outside HQ's vault (only HQ may export them, on request).
    #[error("identity fields are exported only from HQ's vault")]
    IdentityNotAllowed,
}

impl ExportError {
    /// Stable machine-readable code.
    pub fn code(&self) -> &'static str {
        match self {
            ExportError::NotAllowed => "export_not_allowed",
            ExportError::IdentityNotAllowed => "export_identity_not_allowed",
        }
    }
}

/// What an export wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExportReport {
    /// Cases exported.
    pub cases: usize,
    /// Files written, with the entities (cases for JSON, rows for a CSV) each holds.
    pub files: Vec<(PathBuf, usize)>,
}

impl Session {
    /// Whether this device may export ([`ExportError::NotAllowed`] if not): it is HQ (roster
    /// role `hq`), or its vault belongs to no organisation.
    pub fn check_export_allowed(&mut self) -> Result<(), CoreError> {
        match self.roster()? {
            None => Ok(()),
            Some(roster) if matches!(roster.standing, Standing::Member(Role::Hq)) => Ok(()),
            Some(_) => Err(CoreError::Export(ExportError::NotAllowed)),
        }
    }

    /// The cases to export: `case_id`, or every case not archived as deleted (oldest first).
    /// Refused unless [`Session::check_export_allowed`] passes.
    pub fn cases_for_export(&mut self, case_id: Option<&ObjectId>) -> Result<Vec<ExportedCase>, CoreError> {
        self.check_export_allowed()?;
        let mut summaries = self.list_cases()?;
        summaries.sort_by_key(|summary| (summary.created_at, summary.id));
        let chosen: Vec<_> = match case_id {
            Some(case_id) => {
                let summary = summaries.into_iter().find(|summary| summary.id == *case_id);
                vec![summary.ok_or(CoreError::NotFound("case"))?]
            }
            None => summaries.into_iter().filter(|summary| !summary.deleted).collect(),
        };
        chosen
            .into_iter()
            .map(|summary| Ok(ExportedCase { view: self.open_case(&summary.id)?, deleted: summary.deleted }))
            .collect()
    }

    /// Writes the JSON export ([`cases_json`]) of `case_id` (or every case) to `target`.
    /// An existing `target` is replaced only when `overwrite` is set
    /// ([`CaseError::TargetExists`] otherwise).
    pub fn export_json_to(
        &mut self,
        case_id: Option<&ObjectId>,
        target: &Path,
        overwrite: bool,
    ) -> Result<ExportReport, CoreError> {
        let cases = self.cases_for_export(case_id)?;
        let text = cases_json(&cases);
        let existing = if overwrite { Existing::Replace } else { Existing::Refuse };
        write_file(target, existing, text.as_bytes())?;
        Ok(ExportReport { cases: cases.len(), files: vec![(target.to_path_buf(), cases.len())] })
    }

    /// Writes the Uwazi CSVs ([`uwazi_files`]) of `case_id` (or every case) into `dir`: one
    /// folder per template (`1_cases/import.csv`, …, so each folder can be zipped for Uwazi's
    /// ZIP import). `dir` is created if missing (its parent must exist). Existing files are
    /// replaced only when `overwrite` is set; otherwise nothing is written if any exists.
    pub fn export_uwazi_to(
        &mut self,
        case_id: Option<&ObjectId>,
        dir: &Path,
        overwrite: bool,
    ) -> Result<ExportReport, CoreError> {
        let cases = self.cases_for_export(case_id)?;
        let tables = uwazi_files(&cases);
        let targets: Vec<PathBuf> = tables.iter().map(|table| dir.join(table.folder).join(UWAZI_CSV_NAME)).collect();
        if !overwrite && targets.iter().any(|target| std::fs::symlink_metadata(target).is_ok()) {
            return Err(CaseError::TargetExists.into());
        }
        let parent_ok = match dir.parent() {
            Some(parent) if !parent.as_os_str().is_empty() => parent.is_dir(),
            _ => true,
        };
        if !parent_ok {
            return Err(CaseError::TargetFolder.into());
        }
        let existing = if overwrite { Existing::Replace } else { Existing::Refuse };
        let mut written = Vec::new();
        for (table, target) in tables.iter().zip(targets) {
            if let Some(folder) = target.parent() {
                files::create_private_dir(folder).map_err(|_| CaseError::TargetFolder)?;
            }
            write_file(&target, existing, table.csv.as_bytes())?;
            written.push((target, table.rows));
        }
        Ok(ExportReport { cases: cases.len(), files: written })
    }
}

fn write_file(target: &Path, existing: Existing, bytes: &[u8]) -> Result<(), CoreError> {
    let mut file = AtomicFile::create(target, existing).map_err(|error| match error.kind() {
        ErrorKind::AlreadyExists => CaseError::TargetExists,
        _ => CaseError::TargetFolder,
    })?;
    file.write_all(bytes).map_err(|error| io_error(error.kind()))?;
    file.commit().map_err(|error| io_error(error.kind()))
}

fn io_error(kind: ErrorKind) -> CoreError {
    if kind == ErrorKind::StorageFull { CoreError::DiskFull } else { CoreError::Io(kind) }
}
