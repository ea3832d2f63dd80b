//! `org root …` and `--root-file`: HQ's root key kept offline in a root key file, the next
//! root key committed to in advance, and root rotation (see `cairn_core::team::root`).
//!
//! Root key files are never overwritten (one may be the only copy of the key), and every file
//! written is read back and opened before the vault relies on it: the vault forgets its root,
//! or the roster commits to a key, only once the file on the disk opens to that key.

use std::path::{Path, PathBuf};

use anyhow::Context;
use cairn_core::{SecretString, Session, files};
use clap::Subcommand;

use crate::{Cli, exit::Usage, output, secrets};

/// Largest root key file worth reading.
const MAX_ROOT_FILE_LEN: usize = 4096;
/// Where the passphrase of the root key file given with `--root-file` comes from.
const ROOT_PASSPHRASE_ENV: &str = "CAIRN_ROOT_PASSPHRASE";
/// Where the passphrase of a new root key file comes from.
const NEW_ROOT_PASSPHRASE_ENV: &str = "CAIRN_NEW_ROOT_PASSPHRASE";
/// Where the passphrase of the committed next root key's file comes from (`rotate`).
const NEXT_ROOT_PASSPHRASE_ENV: &str = "CAIRN_NEXT_ROOT_PASSPHRASE";

/// `org root …`: where the organisation's root key lives, and its successor.
#[derive(Debug, Subcommand)]
pub(crate) enum RootCommand {
    /// Where the root key is (this vault or a root key file), whether a next root key is
    /// committed, and the organisation fingerprint.
    Status {
        /// Machine-readable output: {"in_vault","next_committed","fingerprint"}.
        #[arg(long)]
        json: bool,
    },
    /// Move the root key out of this vault into a new root key file (passphrase from
    /// CAIRN_NEW_ROOT_PASSPHRASE or typed twice). The file is written, read back and opened
    /// before the vault forgets the key; from then on, commands that issue a roster need
    /// --root-file. Keep the file offline (a stick in a safe) and a second copy apart.
    Export {
        /// The new root key file (never overwritten).
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
    },
    /// Prepare the next root key (pre-rotation): write it to a new root key file (passphrase
    /// from CAIRN_NEW_ROOT_PASSPHRASE or typed twice), then issue a roster committing to it.
    /// Once devices hold that roster, only this key can take over from the current one. Keep
    /// it offline, apart from the current root key.
    CommitNext {
        /// The next root key's file (never overwritten).
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
    },
    /// Root rotation, when the current root key is lost or may be stolen: the committed next
    /// root key (its file and CAIRN_NEXT_ROOT_PASSPHRASE, or typed) signs the next roster,
    /// which commits to a fresh key written to --following-out (CAIRN_NEW_ROOT_PASSPHRASE or
    /// typed twice). Devices holding the commitment follow; the old key signs nothing they
    /// accept. Devices that never received the commitment must be re-pinned in person.
    Rotate {
        /// The committed next root key's file.
        #[arg(long, value_name = "FILE")]
        next: PathBuf,
        /// Where to write the key after it (never overwritten).
        #[arg(long, value_name = "FILE")]
        following_out: PathBuf,
    },
}

/// Runs one `org root` command.
pub(crate) fn run(cli: &Cli, root_file: Option<&Path>, command: &RootCommand) -> anyhow::Result<()> {
    match command {
        RootCommand::Status { json } => status(cli, root_file, *json),
        RootCommand::Export { out } => export(cli, out),
        RootCommand::CommitNext { out } => commit_next(cli, root_file, out),
        RootCommand::Rotate { next, following_out } => rotate(cli, next, following_out),
    }
}

/// Unlocks the vault for an HQ command and, with `--root-file`, opens the root key file for
/// the session (its passphrase from CAIRN_ROOT_PASSPHRASE or typed).
pub(crate) fn open_hq(cli: &Cli, root_file: Option<&Path>) -> anyhow::Result<Session> {
    let file = root_file.map(read_root_file).transpose()?;
    let mut session = crate::vault_commands::open(cli)?;
    if let Some(file) = file {
        let passphrase = secrets::secret(ROOT_PASSPHRASE_ENV, "Root key file passphrase")?;
        session.open_root_file(&file, &passphrase)?;
    }
    Ok(session)
}

/// `org init --root-out FILE`: a new organisation whose root key never enters the vault.
pub(crate) fn init_with_root_file(cli: &Cli, out: &Path, name: &str, device_name: &str) -> anyhow::Result<()> {
    refuse_existing(out)?;
    let mut session = crate::vault_commands::open(cli)?;
    let passphrase = new_root_passphrase()?;
    let file = session.new_organisation_root_file(&passphrase)?;
    let written = write_and_read_back(out, &file)?;
    let created = session.create_organisation_with_root_file(&written, &passphrase, name, device_name)?;
    session.lock();
    output::line(format_args!("Organisation created; this vault is its HQ (roster version {}).", created.roster_version));
    output::line(format_args!("Organisation id:           {}", created.org_id));
    output::line(format_args!("Organisation fingerprint:  {}", created.fingerprint));
    output::line("The root key is in the root key file only; this vault never held it. Issue rosters with");
    output::line("--root-file FILE, and keep the file offline, with a second copy apart.");
    output::blank_line();
    output::line("Every device confirms this fingerprint, in person, when it imports its first roster.");
    Ok(())
}

fn status(cli: &Cli, root_file: Option<&Path>, json: bool) -> anyhow::Result<()> {
    let mut session = open_hq(cli, root_file)?;
    let status = session.root_status()?;
    session.lock();
    let value = serde_json::json!({
        "in_vault": status.in_vault,
        "next_committed": status.next_committed,
        "fingerprint": status.fingerprint,
    });
    output::result(json, &value, || {
        let place = if status.in_vault { "in this vault" } else { "offline, in a root key file (--root-file)" };
        let next = if status.next_committed { "committed" } else { "not committed (cairn org root commit-next)" };
        format!(
            "Root key:                  {place}\nNext root key:             {next}\nOrganisation fingerprint:  {}",
            status.fingerprint
        )
    })
}

fn export(cli: &Cli, out: &Path) -> anyhow::Result<()> {
    refuse_existing(out)?;
    let mut session = crate::vault_commands::open(cli)?;
    let passphrase = new_root_passphrase()?;
    let file = session.export_root_file(&passphrase)?;
    let written = write_and_read_back(out, &file)?;
    session.take_root_offline(&written, &passphrase)?;
    session.lock();
    output::line("The root key is now only in the root key file; this vault forgot it.");
    output::line("Issue rosters with --root-file FILE. Keep the file offline, with a second copy apart.");
    output::line("An SSD may still hold old copies of the vault's pages with the key wrapped under this vault's");
    output::line("keys: if this computer may be seized, also prepare and commit a next root key.");
    Ok(())
}

fn commit_next(cli: &Cli, root_file: Option<&Path>, out: &Path) -> anyhow::Result<()> {
    refuse_existing(out)?;
    let mut session = open_hq(cli, root_file)?;
    let passphrase = new_root_passphrase()?;
    let file = session.new_root_file(&passphrase)?;
    let written = write_and_read_back(out, &file)?;
    let issued = session.commit_next_root(&written, &passphrase)?;
    session.lock();
    output::line(format_args!("Roster version {} commits to the next root key in the file written.", issued.roster_version));
    output::line("Keep that file offline, apart from the current root key. Carry the new roster to every");
    output::line("device: cairn org roster --out FILE (a device that never holds it cannot follow a rotation).");
    Ok(())
}

fn rotate(cli: &Cli, next: &Path, following_out: &Path) -> anyhow::Result<()> {
    refuse_existing(following_out)?;
    let next_file = read_root_file(next)?;
    let mut session = crate::vault_commands::open(cli)?;
    let next_passphrase = secrets::secret(NEXT_ROOT_PASSPHRASE_ENV, "Next root key file passphrase")?;
    let following_passphrase = new_root_passphrase()?;
    let following = session.new_root_file(&following_passphrase)?;
    let written = write_and_read_back(following_out, &following)?;
    let issued = match session.rotate_root(&next_file, &next_passphrase, &written, &following_passphrase) {
        Ok(issued) => issued,
        Err(error) => {
            // Nothing committed to the key just written (this command created the file): it
            // would only be mistaken for one that matters.
            let _ = std::fs::remove_file(following_out);
            return Err(error.into());
        }
    };
    let fingerprint = session.root_status()?.fingerprint;
    session.lock();
    output::line(format_args!("Root rotated: roster version {} is signed by the next root key.", issued.roster_version));
    output::line(format_args!("Organisation fingerprint:  {fingerprint}"));
    output::line("From now on issue rosters with --root-file set to that key's file; the key after it is in the");
    output::line("file just written: keep both offline, apart. Carry the new roster to every device (cairn org");
    output::line("roster --out FILE); devices that never held the commitment must be re-pinned in person.");
    Ok(())
}

/// A new root key file's passphrase: CAIRN_NEW_ROOT_PASSPHRASE, or typed twice.
fn new_root_passphrase() -> anyhow::Result<SecretString> {
    secrets::new_passphrase(NEW_ROOT_PASSPHRASE_ENV, "New root key file passphrase")
}

fn read_root_file(path: &Path) -> anyhow::Result<Vec<u8>> {
    files::read_limited(path, MAX_ROOT_FILE_LEN).map_err(|error| match error {
        files::LimitedReadError::TooLarge => anyhow::Error::new(Usage("that is not a root key file (too large)")),
        files::LimitedReadError::Io(error) => anyhow::Error::new(error).context("could not read the root key file"),
    })
}

fn refuse_existing(path: &Path) -> anyhow::Result<()> {
    if path.exists() {
        return Err(Usage("the root key file exists already: a root key file is never overwritten").into());
    }
    Ok(())
}

/// Writes `bytes` atomically (fsynced) and reads them back from the disk: what the vault may
/// rely on is what the file holds, not what was meant to be written.
fn write_and_read_back(path: &Path, bytes: &[u8]) -> anyhow::Result<Vec<u8>> {
    files::write_atomically(path, bytes).context("could not write the root key file")?;
    read_root_file(path)
}
