//! Case commands: cases, persons, testimonies, events, acts, notes, attachments, search.

use clap::Subcommand;

use crate::Cli;

/// Case commands (flattened into the top level).
#[derive(Debug, Subcommand)]
pub(crate) enum CaseCommand {}

pub(crate) fn run(_cli: &Cli, command: &CaseCommand) -> anyhow::Result<()> {
    match *command {}
}
