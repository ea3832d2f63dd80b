//! Store-and-forward commands: `cairn bundle export`, `cairn bundle import`,
//! `cairn bundle inspect` (sync by USB stick, DESIGN §5).
//!
//! A bundle file has an opaque name (32 hex digits, no extension) and reveals nothing but its
//! padded size. Export writes each file under a temporary name, fsyncs and renames it, and
//! records it only then; import verifies a whole file before applying any of it.

use std::path::{Path, PathBuf};

use cairn_core::{
    CoreError, Session,
    bundle::{BundleContents, BundleObserver, BundleStep},
    cases::id_to_hex,
    sync::SyncRefusal,
};
use clap::Subcommand;
use serde_json::{Value, json};

use crate::{Cli, exit, output};

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
    crate::vault_commands::open(cli)
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

/// Shows a bundle export's or import's steps on the terminal's spinner.
struct Spinner(output::Progress);

impl BundleObserver for Spinner {
    fn step(&mut self, step: BundleStep) {
        self.0.set(|| match step {
            BundleStep::Writing { index, of } => format!("Writing bundle {} of {of}…", index + 1),
            BundleStep::Checking { index, of } => format!("Checking file {} of {of}…", index + 1),
            BundleStep::Applying { index, of, done, all } => {
                format!("Importing file {} of {of}: {done} of {all} items", index + 1)
            }
            _ => String::new(),
        });
    }
}

/// Debug builds only (tests): `CAIRN_DEBUG_BUNDLE_PART_LEN` sets the largest part a bundle is
/// cut into, so a few hundred kilobytes make a split bundle. A release build always cuts below
/// FAT32's 4 GiB and never reads it.
fn debug_part_len() -> Option<u64> {
    if !cfg!(debug_assertions) {
        return None;
    }
    std::env::var("CAIRN_DEBUG_BUNDLE_PART_LEN").ok()?.parse().ok()
}

fn export(cli: &Cli, out: &Path, to: &[String], json: bool) -> anyhow::Result<()> {
    if !out.is_dir() {
        return Err(exit::Usage("--out must be an existing folder").into());
    }
    let recipients = to
        .iter()
        .map(|id| cairn_core::cases::parse_id(id).map_err(|_| exit::Usage("--to takes a device id of 32 hex digits")))
        .collect::<Result<Vec<_>, _>>()?;
    let mut session = open(cli)?;
    let mut spinner = Spinner(output::Progress::spinner(json));
    let written = match debug_part_len() {
        Some(len) => session.export_bundles_in_parts(out, &recipients, &mut spinner, len),
        None => session.export_bundles(out, &recipients, &mut spinner),
    };
    spinner.0.finish();
    let written = written?;
    let value = json!({
        "bundles": written.iter().map(|bundle| {
            let mut entry = contents_json(&bundle.contents);
            entry["device"] = json!(id_to_hex(&bundle.recipient));
            entry["files"] = json!(bundle.file_names);
            entry["size"] = json!(bundle.size);
            entry
        }).collect::<Vec<_>>(),
    });
    output::result(json, &value, || {
        if written.is_empty() {
            return "No team device to write for.".to_owned();
        }
        written
            .iter()
            .map(|bundle| {
                format!(
                    "For device {}: {} ({} bytes): {}",
                    id_to_hex(&bundle.recipient),
                    bundle.file_names.join(", "),
                    bundle.size,
                    contents_text(&bundle.contents)
                )
            })
            .collect::<Vec<_>>()
            .join("\n")
    })
}

fn import(cli: &Cli, path: &Path, json: bool) -> anyhow::Result<()> {
    let mut session = open(cli)?;
    let mut spinner = Spinner(output::Progress::spinner(json));
    let report = session.import_bundles(path, &mut spinner);
    spinner.0.finish();
    let report = report?;
    let total = &report.applied;
    let refused = report.refused.len();
    let value = json!({
        "files": report.files,
        "imported": report.imported,
        "skipped": report.skipped,
        "refused": refused,
        "documents": total.documents,
        "tombstones": total.tombstones,
        "attachments": total.attachments,
        "roster_updated": total.roster_updated,
        "roster_only": report.roster_only,
    });
    // One bad file on a stick does not stop the others; the command still fails.
    for file in &report.refused {
        output::notice(format_args!("warning: file {}: {} [{}]", file.file_name, file.error, file.error.code()));
    }
    output::result(json, &value, || {
        format!(
            "Imported {} bundles ({} for other devices skipped, {refused} refused): {} documents updated, {} deletions, {} attachments{}",
            report.imported,
            report.skipped,
            total.documents,
            total.tombstones,
            total.attachments,
            if total.roster_updated { ", a newer roster" } else { "" }
        )
    })?;
    if report.roster_only > 0 {
        output::notice(format_args!(
            "warning: {} bundle(s) from team members other than HQ gave only their roster: this device's roster has expired; import them again once it holds a newer one",
            report.roster_only
        ));
    }
    match report.refused.into_iter().last() {
        Some(file) => Err(file.error.into()),
        None if report.roster_only > 0 => Err(CoreError::Sync(SyncRefusal::RosterExpiredSyncLimited).into()),
        None => Ok(()),
    }
}

fn inspect(cli: &Cli, path: &Path, json: bool) -> anyhow::Result<()> {
    let mut session = open(cli)?;
    let inspection = session.inspect_bundle(path)?;
    let size = inspection.size;
    let value = match &inspection.verified {
        None => json!({ "size": size, "for_this_device": false }),
        Some((sender, counter, contents)) => {
            let mut value = contents_json(contents);
            value["size"] = json!(size);
            value["for_this_device"] = json!(true);
            value["sender"] = json!(id_to_hex(sender));
            value["counter"] = json!(counter);
            value
        }
    };
    output::result(json, &value, || match &inspection.verified {
        None => format!("{size} bytes; not addressed to this device (it can be passed on)."),
        Some((sender, _, contents)) => format!(
            "{size} bytes; for this device, from device {} (verified): {}; the sender holds {} documents.",
            id_to_hex(sender),
            contents_text(contents),
            contents.sender_documents
        ),
    })
}
