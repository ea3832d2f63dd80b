//! `vocab list`: the controlled vocabularies. They are data shipped with Cairn, so no vault
//! is unlocked.

use cairn_core::cases::{VocabKind, vocabularies, vocabulary};

use super::render;
use crate::{exit::Usage, output};

/// `vocab list [KIND]`: one vocabulary, or all of them.
pub(super) fn list(kind: Option<&str>, json: bool) -> anyhow::Result<()> {
    let selected = match kind {
        Some(kind) => vec![vocabulary(VocabKind::parse(kind).map_err(|_| Usage("unknown vocabulary kind"))?)?],
        None => vocabularies()?.iter().collect(),
    };
    output::result(json, &render::vocabularies(&selected), || render::vocabularies_text(&selected))
}
