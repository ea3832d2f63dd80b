//! `attach` and `attachment get`: files sealed into a case, and exported back out.

use std::path::Path;

use super::{input::id_arg, render, session};
use crate::{Cli, output};

/// `attach`: seals a file into the case, removing photo metadata unless `keep_metadata`.
pub(super) fn attach(cli: &Cli, case: &str, file: &Path, keep_metadata: bool, json: bool) -> anyhow::Result<()> {
    let case_id = id_arg(case)?;
    let mut session = session(cli)?;
    let info = session.attach_file(&case_id, file, keep_metadata)?;
    session.lock();
    output::result(json, &render::attachment(&info), || render::attachment_text(&info))
}

/// `attachment get`: exports an attachment to `out` (replacing a file there only if
/// `overwrite`).
pub(super) fn get(cli: &Cli, id: &str, out: &Path, overwrite: bool, json: bool) -> anyhow::Result<()> {
    let attachment_id = id_arg(id)?;
    let mut session = session(cli)?;
    let info = session.export_attachment_to(&attachment_id, out, overwrite)?;
    session.lock();
    output::result(json, &render::exported_attachment(&info, out), || {
        format!("written {} bytes", info.reference.stored_size)
    })
}
