//! Case commands: cases, persons, testimonies, events, acts, notes, attachments, search,
//! conflicts and vocabularies.
//!
//! Every command takes `--json`; the JSON shapes are a stable contract, tabled in
//! [`render`], the module that builds them. Each command follows the same steps: check the
//! arguments ([`input`]) before asking for the passphrase, unlock the vault, call
//! `Session`, lock, and print the result through [`crate::output`].
//!
//! | module | job |
//! |---|---|
//! | [`args`] | clap definitions |
//! | [`case`] | `case new/list/show/set/delete/custody` |
//! | [`items`] | persons, testimonies, events, acts, notes |
//! | [`attachments`] | `attach`, `attachment get` |
//! | [`search`] | `search` |
//! | [`conflicts`] | `conflicts` (list, resolve, merge) |
//! | [`vocab`], [`worker`] | vocabularies; this device's worker name |
//! | [`render`] | core types to JSON and text |

mod args;
mod attachments;
mod case;
mod conflicts;
mod input;
mod items;
mod render;
mod search;
mod vocab;
mod worker;

pub(crate) use args::CaseCommand;
use args::{AttachmentSub, VocabSub};
use cairn_core::Session;

use crate::Cli;

/// Runs one case command: hands it to the module of its domain.
pub(crate) fn run(cli: &Cli, command: &CaseCommand) -> anyhow::Result<()> {
    match command {
        CaseCommand::Case { command } => case::run(cli, command),
        CaseCommand::Person { command } => items::run_person(cli, command),
        CaseCommand::Testimony { command } => items::run_testimony(cli, command),
        CaseCommand::Event { command } => items::run_event(cli, command),
        CaseCommand::Act { command } => items::run_act(cli, command),
        CaseCommand::Note { command } => items::run_note(cli, command),
        CaseCommand::Attach { case, file, keep_metadata, json } => {
            attachments::attach(cli, case, file, *keep_metadata, *json)
        }
        CaseCommand::Attachment { command: AttachmentSub::Get { id, out, overwrite, json } } => {
            attachments::get(cli, id, out, *overwrite, *json)
        }
        CaseCommand::Search { query, limit, json } => search::run(cli, query, *limit, *json),
        CaseCommand::Conflicts { case, resolve, choose, merge, value, document, json } => conflicts::run(
            cli,
            case,
            document.as_deref(),
            resolve.as_deref().zip(*choose),
            merge.as_deref().zip(value.as_deref()),
            *json,
        ),
        CaseCommand::Vocab { command: VocabSub::List { kind, json } } => vocab::list(kind.as_deref(), *json),
        CaseCommand::Worker { command } => worker::run(cli, command),
    }
}

/// Unlocks the vault for one command, which locks it again before it prints its result.
fn session(cli: &Cli) -> anyhow::Result<Session> {
    crate::vault_commands::open(cli)
}
