//! Store-and-forward commands: `cairn bundle export`, `cairn bundle import`,
//! `cairn bundle inspect` (sync by USB stick, DESIGN §5).
//!
//! A bundle file has an opaque name (32 hex digits, no extension) and reveals nothing but its
//! padded size. Export writes each file under a temporary name, fsyncs and renames it, and
//! records it only then; import verifies a whole file before applying any of it.

use std::path::{Path, PathBuf};

use anyhow::Context;
use cairn_core::{
    CoreError, Session,
    bundle::{BundleApplied, BundleContents, BundleRefusal},
    cases::id_to_hex,
    files, unlock_vault,
};
use clap::Subcommand;
use serde_json::{Value, json};

use crate::{Cli, exit, output, secrets};

/// Files larger than this are not read as bundles (bounds memory; a bundle is read whole to be
/// verified before anything is applied).
const MAX_BUNDLE_FILE_LEN: usize = 2 * 1024 * 1024 * 1024;

/// `cairn bundle …`
#[derive(Debug, Subcommand)]
pub(crate) enum BundleCommand {
    /// Write a bundle for each team device into a folder (e.g. a USB stick): everything it has
    /// not acknowledged yet. A later export replaces the earlier file for the same device.
    Export {
        /// The folder to write into (it must exist).
        #[arg(long, value_name = "DIR")]
        out: PathBuf,
        /// The device to write for (32 hex digits); repeat for several. Default: every
        /// device on the roster but this one.
        #[arg(long = "to", value_name = "DEVICE_ID")]
        to: Vec<String>,
        /// JSON: {"bundles":[{"device","file","size","documents","changes","case_keys","tombstones","roster","attachments"}]}.
        #[arg(long)]
        json: bool,
    },
    /// Import the bundles addressed to this device from a file or every file of a folder
    /// (files for other devices are skipped without error).
    Import {
        /// A bundle file or a folder of them.
        path: PathBuf,
        /// JSON: {"files","imported","skipped","refused","documents","tombstones","attachments","roster_updated"}.
        #[arg(long)]
        json: bool,
    },
    /// Tell a bundle's size, whether it is for this device, and if so its sender and contents.
    Inspect {
        /// The bundle file.
        path: PathBuf,
        /// JSON: {"size","for_this_device","sender","counter","documents","changes","case_keys","tombstones","roster","attachments","sender_documents"}.
        #[arg(long)]
        json: bool,
    },
}

pub(crate) fn run(cli: &Cli, command: &BundleCommand) -> anyhow::Result<()> {
    match command {
        BundleCommand::Export { out, to, json } => export(cli, out, to, *json),
        BundleCommand::Import { path, json } => import(cli, path, *json),
        BundleCommand::Inspect { path, json } => inspect(cli, path, *json),
    }
}

fn open(cli: &Cli) -> anyhow::Result<Session> {
    Ok(unlock_vault(&cli.vault_dir()?, &secrets::passphrase(cli)?)?)
}

fn contents_json(contents: &BundleContents) -> Value {
    json!({
        "documents": contents.documents,
        "changes": contents.changes,
        "case_keys": contents.case_keys,
        "tombstones": contents.tombstones,
        "roster": contents.roster,
        "attachments": contents.attachments,
        "sender_documents": contents.sender_documents,
    })
}

fn contents_text(contents: &BundleContents) -> String {
    format!(
        "{} documents ({} changes), {} case keys, {} deletions, {} attachments{}",
        contents.documents,
        contents.changes,
        contents.case_keys,
        contents.tombstones,
        contents.attachments,
        if contents.roster { ", a roster" } else { "" }
    )
}

fn export(cli: &Cli, out: &Path, to: &[String], json: bool) -> anyhow::Result<()> {
    if !out.is_dir() {
        return Err(exit::Usage("--out must be an existing folder").into());
    }
    let mut session = open(cli)?;
    let recipients = if to.is_empty() {
        session.bundle_recipients()?
    } else {
        to.iter()
            .map(|id| cairn_core::cases::parse_id(id).map_err(|_| exit::Usage("--to takes a device id of 32 hex digits")))
            .collect::<Result<Vec<_>, _>>()?
    };
    let progress = output::Progress::spinner(json);
    let mut written = Vec::new();
    for (index, recipient) in recipients.iter().enumerate() {
        progress.set(|| format!("Writing bundle {} of {}…", index + 1, recipients.len()));
        let bundle = session.export_bundle(recipient)?;
        let target = out.join(&bundle.file_name);
        files::write_atomically(&target, &bundle.bytes).context("could not write the bundle file")?;
        // Recorded only once the file is in place under its final name.
        session.record_bundle_written(&bundle)?;
        written.push((id_to_hex(recipient), bundle.file_name.clone(), bundle.bytes.len(), bundle.contents));
    }
    progress.finish();
    let value = json!({
        "bundles": written.iter().map(|(device, file, size, contents)| {
            let mut entry = contents_json(contents);
            entry["device"] = json!(device);
            entry["file"] = json!(file);
            entry["size"] = json!(size);
            entry
        }).collect::<Vec<_>>(),
    });
    output::result(json, &value, || {
        if written.is_empty() {
            return "No team device to write for.".to_owned();
        }
        written
            .iter()
            .map(|(device, file, size, contents)| {
                format!("For device {device}: {file} ({size} bytes): {}", contents_text(contents))
            })
            .collect::<Vec<_>>()
            .join("\n")
    })
}

/// The files `path` names: itself, or every regular file of the folder (not temporaries or
/// hidden files), in name order.
fn bundle_files(path: &Path) -> anyhow::Result<Vec<PathBuf>> {
    if !path.is_dir() {
        return Ok(vec![path.to_path_buf()]);
    }
    let mut found = Vec::new();
    for entry in std::fs::read_dir(path).context("could not read the folder")? {
        let entry = entry.context("could not read the folder")?;
        let hidden = entry.file_name().to_string_lossy().starts_with('.');
        if !hidden && entry.file_type().is_ok_and(|kind| kind.is_file()) {
            found.push(entry.path());
        }
    }
    found.sort();
    Ok(found)
}

fn read_bundle_file(path: &Path) -> anyhow::Result<Vec<u8>> {
    files::read_limited(path, MAX_BUNDLE_FILE_LEN).map_err(|error| match error {
        files::LimitedReadError::TooLarge => CoreError::Bundle(BundleRefusal::Damaged).into(),
        files::LimitedReadError::Io(error) => anyhow::Error::new(error).context("could not read the bundle file"),
    })
}

fn import(cli: &Cli, path: &Path, json: bool) -> anyhow::Result<()> {
    let paths = bundle_files(path)?;
    let mut session = open(cli)?;
    let progress = output::Progress::spinner(json);
    let (mut imported, mut skipped) = (0u64, 0u64);
    let mut total = BundleApplied::default();
    let mut refused: Option<anyhow::Error> = None;
    let mut refused_count = 0u64;
    for (index, file) in paths.iter().enumerate() {
        progress.set(|| format!("Checking file {} of {}…", index + 1, paths.len()));
        let outcome = read_bundle_file(file).and_then(|bytes| Ok(session.read_bundle(&bytes)?));
        let bundle = match outcome {
            Ok(Some(bundle)) => bundle,
            Ok(None) => {
                skipped += 1;
                continue;
            }
            Err(error) if paths.len() > 1 => {
                // One bad file on a stick does not stop the others; the command still fails.
                exit::warn(&error);
                refused_count += 1;
                refused = Some(error);
                continue;
            }
            Err(error) => return Err(error),
        };
        let applied = session.apply_bundle(&bundle, |done, all| {
            progress.set(|| format!("Importing file {} of {}: {done} of {all} items", index + 1, paths.len()));
        })?;
        imported += 1;
        total.documents += applied.documents;
        total.tombstones += applied.tombstones;
        total.attachments += applied.attachments;
        total.roster_updated |= applied.roster_updated;
    }
    progress.finish();
    let value = json!({
        "files": paths.len(),
        "imported": imported,
        "skipped": skipped,
        "refused": refused_count,
        "documents": total.documents,
        "tombstones": total.tombstones,
        "attachments": total.attachments,
        "roster_updated": total.roster_updated,
    });
    output::result(json, &value, || {
        format!(
            "Imported {imported} bundles ({skipped} for other devices skipped, {refused_count} refused): {} documents updated, {} deletions, {} attachments{}",
            total.documents,
            total.tombstones,
            total.attachments,
            if total.roster_updated { ", a newer roster" } else { "" }
        )
    })?;
    match refused {
        Some(error) => Err(error),
        None => Ok(()),
    }
}

fn inspect(cli: &Cli, path: &Path, json: bool) -> anyhow::Result<()> {
    let bytes = read_bundle_file(path)?;
    let mut session = open(cli)?;
    let bundle = session.read_bundle(&bytes)?;
    let value = match &bundle {
        None => json!({ "size": bytes.len(), "for_this_device": false }),
        Some(bundle) => {
            let mut value = contents_json(&bundle.contents);
            value["size"] = json!(bytes.len());
            value["for_this_device"] = json!(true);
            value["sender"] = json!(id_to_hex(&bundle.sender));
            value["counter"] = json!(bundle.counter);
            value
        }
    };
    output::result(json, &value, || match &bundle {
        None => format!("{} bytes; not addressed to this device (it can be passed on).", bytes.len()),
        Some(bundle) => format!(
            "{} bytes; for this device, from device {} (verified): {}; the sender holds {} documents.",
            bytes.len(),
            id_to_hex(&bundle.sender),
            contents_text(&bundle.contents),
            bundle.contents.sender_documents
        ),
    })
}
