//! Checks and reads what the person typed, before the vault is unlocked: a malformed id or
//! an edit that changes nothing fails without asking for the passphrase.

use std::{io::Read, path::PathBuf};

use anyhow::Context;
use cairn_core::cases::{ObjectId, parse_id};

use crate::exit::Usage;

/// An id argument (32 hex characters); anything else is a usage error.
pub(super) fn id_arg(text: &str) -> anyhow::Result<ObjectId> {
    parse_id(text).map_err(|_| Usage("an id must be 32 hexadecimal characters").into())
}

/// The UTF-8 text of a file, or of standard input when the path is `-`.
pub(super) fn read_text(path: &PathBuf) -> anyhow::Result<String> {
    let mut text = String::new();
    if path.as_os_str() == "-" {
        std::io::stdin().read_to_string(&mut text).context("could not read standard input as UTF-8 text")?;
    } else {
        std::fs::File::open(path)
            .and_then(|mut file| file.read_to_string(&mut text))
            .context("could not read the file as UTF-8 text")?;
    }
    Ok(text)
}

/// Refuses an edit command that names no field to change.
pub(super) fn require_changes(any: bool) -> anyhow::Result<()> {
    if any { Ok(()) } else { Err(Usage("give at least one field to change (see --help)").into()) }
}
