//! `wipe` (the panic wipe), `unlock-limit` (the failed-unlock wipe) and `duress` (the
//! duress passphrase and its decoy).

use std::{
    io::{BufRead, IsTerminal},
    path::PathBuf,
};

use cairn_core::{CoreError, UNLOCK_LIMIT_MAX, UNLOCK_LIMIT_MIN};
use clap::Subcommand;

use crate::{Cli, exit::Usage, output, secrets, vault_commands};

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

/// `duress` subcommands.
#[derive(Debug, Subcommand)]
pub(crate) enum DuressCommand {
    /// Set (or replace) the duress passphrase: typed at unlock instead of the passphrase, it
    /// destroys this vault's keys and opens a decoy, and answers exactly like an ordinary
    /// unlock. The duress passphrase comes from CAIRN_DURESS_PASSPHRASE or a prompt (twice).
    /// Needs the passphrase.
    Set {
        /// Fill the decoy with the cases of the vault in DIR (make one with `cairn --vault DIR
        /// init` and a few believable cases). Its passphrase comes from
        /// CAIRN_DECOY_PASSPHRASE or a prompt. DIR is wiped once its cases are copied. Without
        /// it, the decoy is an empty vault.
        #[arg(long, value_name = "DIR")]
        decoy: Option<PathBuf>,
    },
    /// Remove the duress passphrase (and empty the decoy). Needs the passphrase.
    Remove,
}

/// `duress set [--decoy DIR]` and `duress remove`.
pub(crate) fn duress(cli: &Cli, command: &DuressCommand) -> anyhow::Result<()> {
    let mut session = vault_commands::open(cli)?;
    match command {
        DuressCommand::Set { decoy } => {
            let duress = secrets::new_passphrase("CAIRN_DURESS_PASSPHRASE", "Duress passphrase")?;
            let source = match decoy {
                Some(dir) => {
                    if !cairn_core::vault_exists(dir) {
                        return Err(CoreError::VaultNotFound.into());
                    }
                    let passphrase = secrets::secret("CAIRN_DECOY_PASSPHRASE", "Passphrase of the decoy's vault")?;
                    Some(cairn_core::unlock_vault(dir, &passphrase)?)
                }
                None => None,
            };
            let cases = match &source {
                Some(source) => source.status()?.case_count,
                None => 0,
            };
            session.set_duress(&duress, source)?;
            session.lock();
            output::line(format_args!(
                "Duress passphrase set. Typed at unlock, it destroys this vault's keys and opens a decoy with {cases} {}.",
                if cases == 1 { "case" } else { "cases" }
            ));
            if decoy.is_some() {
                output::line("The decoy's source vault was wiped.");
            }
            output::line("Cases already handed over are safe at HQ; nothing else in this vault survives a duress unlock.");
        }
        DuressCommand::Remove => {
            session.remove_duress()?;
            session.lock();
            output::line("Duress passphrase removed.");
        }
    }
    Ok(())
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
