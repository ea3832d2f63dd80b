//! `wipe` (the panic wipe) and `unlock-limit` (the failed-unlock wipe).

use std::io::{BufRead, IsTerminal};

use cairn_core::{CoreError, UNLOCK_LIMIT_MAX, UNLOCK_LIMIT_MIN};
use clap::Subcommand;

use crate::{Cli, exit::Usage, output, vault_commands};

/// What a worker types to confirm a wipe at the terminal.
const CONFIRMATION: &str = "WIPE";

/// `unlock-limit` subcommands.
#[derive(Debug, Subcommand)]
pub(crate) enum UnlockLimitCommand {
    /// Destroy the vault's keys after N failed unlocks in a row (passphrase or recovery code
    /// attempts alike; N from 3 to 100). Needs the passphrase.
    Set {
        /// The number of failed unlocks.
        #[arg(value_name = "N")]
        limit: u32,
    },
    /// No limit on failed unlocks. Needs the passphrase.
    Off,
}

/// `wipe`: destroys every keyslot, then removes the vault. Needs no secret (see
/// `cairn_core::wipe_vault`); without `--yes`, the worker types WIPE at a terminal.
pub(crate) fn wipe(cli: &Cli, yes: bool) -> anyhow::Result<()> {
    let dir = cli.vault_dir()?;
    if !cairn_core::vault_exists(&dir) {
        return Err(CoreError::VaultNotFound.into());
    }
    if !yes {
        if !std::io::stdin().is_terminal() {
            return Err(Usage("wipe asks for a typed confirmation on a terminal: run it in one, or pass --yes").into());
        }
        output::notice("This destroys the vault's keys: neither the passphrase nor the recovery code will open it");
        output::notice("again, and its files are removed. Cases already handed over are safe at HQ; nothing else is.");
        output::prompt(format_args!("Type {CONFIRMATION} to wipe this vault: "));
        let mut typed = String::new();
        std::io::stdin().lock().read_line(&mut typed)?;
        if typed.trim() != CONFIRMATION {
            return Err(Usage("not confirmed; nothing was wiped").into());
        }
    }
    let report = cairn_core::wipe_vault(&dir)?;
    output::line(format_args!(
        "Vault wiped: its keys were destroyed in {} ms; its files {} removed.",
        report.unrecoverable_after.as_millis(),
        if report.folder_removed { "and folder were" } else { "were (the folder holds other files and stays)" }
    ));
    Ok(())
}

/// `unlock-limit set N` and `unlock-limit off`.
pub(crate) fn unlock_limit(cli: &Cli, command: &UnlockLimitCommand) -> anyhow::Result<()> {
    let limit = match command {
        UnlockLimitCommand::Set { limit } => {
            if !(UNLOCK_LIMIT_MIN..=UNLOCK_LIMIT_MAX).contains(limit) {
                return Err(CoreError::UnlockLimitOutOfRange { min: UNLOCK_LIMIT_MIN, max: UNLOCK_LIMIT_MAX }.into());
            }
            Some(*limit)
        }
        UnlockLimitCommand::Off => None,
    };
    let mut session = vault_commands::open(cli)?;
    session.set_unlock_limit(limit)?;
    session.lock();
    match limit {
        Some(limit) => {
            output::line(format_args!(
                "After {limit} failed unlocks in a row (passphrase or recovery code), this vault's keys are destroyed."
            ));
            output::line(
                "The limit is stored unencrypted in vault.keys: it stops guessing on this computer, not on a copy of the files.",
            );
        }
        None => output::line("No limit on failed unlocks."),
    }
    Ok(())
}
