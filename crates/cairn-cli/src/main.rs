//! `cairn`: the command-line front end. Thin: parsing, prompting and printing only; every
//! decision is made in `cairn-core`.

use std::{path::PathBuf, process::ExitCode};

use clap::{Parser, Subcommand};

mod bundle_commands;
mod cases;
mod exit;
mod export_commands;
mod handover_commands;
mod lock_commands;
mod output;
mod root_commands;
mod secrets;
mod sync_commands;
mod team_commands;
mod vault_commands;
mod wipe_commands;

/// Cairn: encrypted, offline-first case documentation for human-rights field work.
#[derive(Debug, Parser)]
#[command(name = "cairn", version, about, after_help = exit::EXIT_CODES_HELP)]
pub(crate) struct Cli {
    /// The vault folder.
    #[arg(long, global = true, env = "CAIRN_VAULT", value_name = "DIR")]
    vault: Option<PathBuf>,
    /// Read the passphrase from this file (first line) instead of prompting.
    /// Scripts may also set CAIRN_PASSPHRASE.
    #[arg(long, global = true, value_name = "FILE")]
    passphrase_file: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Create a new vault and print its recovery code (shown once).
    Init {
        /// Tiny key-derivation parameters, for automated tests only. Recorded in the vault
        /// and reported by `status`. Never use it for real data.
        #[arg(long)]
        insecure_fast_kdf: bool,
    },
    /// Unlock the vault and report its format, key-derivation parameters, device and cases.
    Status {
        /// Machine-readable output.
        #[arg(long)]
        json: bool,
        /// Also check every page of the encrypted database.
        #[arg(long)]
        check: bool,
    },
    /// Passphrase management.
    Passphrase {
        #[command(subcommand)]
        command: PassphraseCommand,
    },
    /// Open the vault with the recovery code and set a new passphrase.
    /// The code comes from a prompt or CAIRN_RECOVERY_CODE; the new passphrase from a prompt
    /// (twice) or CAIRN_NEW_PASSPHRASE.
    Recover,
    /// The recovery code (`rotate`).
    RecoveryCode {
        #[command(subcommand)]
        command: RecoveryCodeCommand,
    },
    /// Full re-key: a new master key, the database re-encrypted under a new key, a new
    /// passphrase (a prompt, twice, or CAIRN_NEW_PASSPHRASE) and a new recovery code (printed
    /// first). Afterwards an old copy of vault.keys, with the old passphrase or code, opens
    /// nothing of the vault as it is now. Close the desktop app's vault first: a vault open
    /// elsewhere is refused (vault_in_use).
    Rekey,
    /// Panic wipe: destroy every keyslot (neither the passphrase nor the recovery code opens
    /// the vault again), then remove the vault's files. Needs no passphrase. Without --yes,
    /// asks you to type WIPE on a terminal (and refuses without one).
    Wipe {
        /// Do not ask for confirmation.
        #[arg(long)]
        yes: bool,
    },
    /// Panic lock: the running desktop app locks now (window hidden, keys zeroized) over the
    /// session D-Bus. Needs no passphrase. Bind it to a desktop keyboard shortcut for a lock
    /// that works whatever has the focus (X11 and Wayland).
    Lock,
    /// Wipe the vault after N failed unlocks in a row, or not (`set N`, `off`).
    UnlockLimit {
        #[command(subcommand)]
        command: wipe_commands::UnlockLimitCommand,
    },
    /// A duress passphrase that destroys this vault's keys and opens a decoy (`set
    /// [--decoy DIR]`, `remove`).
    Duress {
        #[command(subcommand)]
        command: wipe_commands::DuressCommand,
    },
    #[command(flatten)]
    Team(team_commands::TeamCommand),
    #[command(flatten)]
    Case(cases::CaseCommand),
    /// Sync with team devices over a live link (TCP with Noise, both checked against the roster).
    Sync {
        #[command(subcommand)]
        command: sync_commands::SyncCommand,
    },
    /// Sync by USB stick: sealed, signed bundles written to and read from a folder.
    Bundle {
        #[command(subcommand)]
        command: bundle_commands::BundleCommand,
    },
    /// Handover to HQ: each case's state, the receipts held, HQ's purge policy. Mark a case
    /// ready with `cairn case ready`.
    Handover {
        #[command(subcommand)]
        command: handover_commands::HandoverCommand,
    },
    /// Plaintext exports for HQ's tools (JSON, Uwazi CSV, evidence packages); only on an HQ
    /// device or a vault outside any organisation. Identity fields are never exported, except
    /// in an evidence report from HQ's vault when asked.
    Export {
        #[command(subcommand)]
        command: export_commands::ExportCommand,
    },
    /// Check an evidence package (folder or .zip) offline: needs no vault and no passphrase.
    /// Exit 0 when it verifies, 10 when it does not (what fails is printed).
    Verify {
        /// The package: a folder or a .zip written by `cairn export evidence`.
        path: PathBuf,
        /// The organisation fingerprint as compared in person (for a package exported outside
        /// any organisation, the exporting device's fingerprint).
        #[arg(long, value_name = "FINGERPRINT")]
        org_fingerprint: String,
        /// JSON: {"verified","case_id","exported_at_ms","exporting_device",
        /// "organisation_fingerprint","roster_version","documents","changes","attachments",
        /// "attachment_bytes","failures":[{"code","message","file","document","change",
        /// "attachment","device"}],"warnings":[…]}.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Subcommand)]
enum RecoveryCodeCommand {
    /// Replace the recovery code (after `recover`, or when the paper may have been seen): the
    /// new one is printed once and the old one stops working. Needs the passphrase.
    Rotate,
}

#[derive(Debug, Subcommand)]
enum PassphraseCommand {
    /// Change the passphrase. The new one comes from a prompt (twice) or CAIRN_NEW_PASSPHRASE.
    Change,
}

impl Cli {
    /// The vault folder: `--vault` or `CAIRN_VAULT`, else `vault` in this user's data folder.
    pub(crate) fn vault_dir(&self) -> anyhow::Result<PathBuf> {
        if let Some(dir) = &self.vault {
            return Ok(dir.clone());
        }
        let dirs = directories::ProjectDirs::from("org", "Cairn", "Cairn")
            .ok_or_else(|| anyhow::anyhow!("no home folder: pass --vault DIR"))?;
        Ok(dirs.data_dir().join("vault"))
    }
}

fn main() -> ExitCode {
    cairn_core::harden_process();
    let cli = Cli::parse();
    let outcome = match &cli.command {
        Command::Init { insecure_fast_kdf } => vault_commands::init(&cli, *insecure_fast_kdf),
        Command::Status { json, check } => vault_commands::status(&cli, *json, *check),
        Command::Passphrase { command: PassphraseCommand::Change } => vault_commands::change_passphrase(&cli),
        Command::Recover => vault_commands::recover(&cli),
        Command::Rekey => vault_commands::rekey(&cli),
        Command::RecoveryCode { command: RecoveryCodeCommand::Rotate } => vault_commands::rotate_recovery_code(&cli),
        Command::Wipe { yes } => wipe_commands::wipe(&cli, *yes),
        Command::Lock => lock_commands::lock(),
        Command::UnlockLimit { command } => wipe_commands::unlock_limit(&cli, command),
        Command::Duress { command } => wipe_commands::duress(&cli, command),
        Command::Team(command) => team_commands::run(&cli, command),
        Command::Case(command) => cases::run(&cli, command),
        Command::Sync { command } => sync_commands::run(&cli, command),
        Command::Bundle { command } => bundle_commands::run(&cli, command),
        Command::Handover { command } => handover_commands::run(&cli, command),
        Command::Export { command } => export_commands::run(&cli, command),
        Command::Verify { path, org_fingerprint, json } => export_commands::verify(path, org_fingerprint, *json),
    };
    // A result that could not be written is a failure, whatever the command did.
    let outcome = outcome.and_then(|()| if output::failed() { Err(output::Unwritable.into()) } else { Ok(()) });
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => exit::report(&error),
    }
}
