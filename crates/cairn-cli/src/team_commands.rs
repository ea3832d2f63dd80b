//! Team commands: device identity, organisation, enrollment, roster, revocation.

use clap::Subcommand;

use crate::Cli;

/// Team commands (flattened into the top level).
#[derive(Debug, Subcommand)]
pub(crate) enum TeamCommand {}

pub(crate) fn run(_cli: &Cli, command: &TeamCommand) -> anyhow::Result<()> {
    match *command {}
}
