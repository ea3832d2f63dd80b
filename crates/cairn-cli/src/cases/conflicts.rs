//! `conflicts`: list a case's conflicts, resolve one by keeping a value, or merge a text
//! field by typing the value to keep.

use super::{input::id_arg, render, session};
use crate::{Cli, output};

/// `conflicts CASE`, with `resolve` (path, choice) or `merge` (path, value) when given.
/// `document` defaults to the case document.
pub(super) fn run(
    cli: &Cli,
    case: &str,
    document: Option<&str>,
    resolve: Option<(&str, usize)>,
    merge: Option<(&str, &str)>,
    json: bool,
) -> anyhow::Result<()> {
    let case_id = id_arg(case)?;
    let document_id = match document {
        Some(document) => id_arg(document)?,
        None => case_id,
    };
    let mut session = session(cli)?;
    if let Some((path, value)) = merge {
        session.merge_conflict(&case_id, &document_id, path, value)?;
        session.lock();
        return output::result(json, &render::conflict_merged(&case_id, &document_id, path), || "merged".to_owned());
    }
    if let Some((path, choice)) = resolve {
        session.resolve_conflict(&case_id, &document_id, path, choice)?;
        session.lock();
        return output::result(json, &render::conflict_resolved(&case_id, &document_id, path), || "resolved".to_owned());
    }
    let conflicts = session.conflicts(&case_id)?;
    session.lock();
    output::result(json, &render::case_conflicts(&case_id, &conflicts), || render::conflicts_text(&conflicts))
}
