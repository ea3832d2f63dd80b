//! `search`: the full-text search over every case.

use super::{render, session};
use crate::{Cli, output};

/// `search`: at most `limit` cases matching every term of `query`.
pub(super) fn run(cli: &Cli, query: &str, limit: usize, json: bool) -> anyhow::Result<()> {
    let mut session = session(cli)?;
    let hits = session.search(query, limit)?;
    session.lock();
    output::result(json, &render::search_hits(query, &hits), || render::search_hits_text(&hits))
}
