//! Tauri commands: thin adapters from IPC to `cairn-core`, returning purpose-built DTOs.
//!
//! Every command is declared in `build.rs` (deny by default) and granted in
//! `capabilities/main.json`. Secrets arrive as arguments (a passphrase typed in the UI) and
//! are wrapped in `SecretString` at once; no key, passphrase or database handle ever leaves.
//!
//! **One async convention.** Every command is a plain `#[tauri::command] async fn` whose work
//! runs inside [`blocking`] (or [`in_session`]: the same, on the open session), i.e. on Tokio's
//! blocking pool. Not a plain `fn`: Tauri runs those on the main thread, which draws the window.
//! Not `#[tauri::command(async)] fn`: Tauri runs those on an async worker, where a key
//! derivation or a large import stalls other commands (a two-core laptop has two workers). Only
//! cheap checks of the arguments (ids, ranges, headers) run before the hop, and only plain data
//! conversion after it. Even small commands hop, so that nobody has to judge, one
//! command at a time, what is slow: the phase mutex may be held by a long import, the settings
//! are a file, the phase looks for the vault on disk. `every_command_is_an_async_fn` (below)
//! holds every command to this form.
//!
//! The one place where work runs on the async runtime itself is network I/O: a live sync's
//! socket reads and writes (`sync.rs`) wait on the network, not on the CPU; its vault work
//! still hops to the blocking pool, one message at a time.
//!
//! The DTOs derive `ts_rs::TS`: `bindings.rs` generates the UI's types from them.

pub(crate) mod attachments;
pub(crate) mod bundles;
pub(crate) mod cases;
pub(crate) mod exports;
pub(crate) mod handover;
pub(crate) mod recording;
pub(crate) mod sync;
pub(crate) mod team;
pub(crate) mod vault;

use std::sync::Arc;

use cairn_core::{CoreError, Session};

use crate::error::{CommandError, CommandResult};

/// The managed state as commands receive it.
pub(crate) type DesktopState<'a> = tauri::State<'a, Arc<crate::state::Desktop>>;

/// Runs a command's work (key derivation, database work, file dialogs, file I/O) on Tokio's
/// blocking pool, off the main thread and off the async workers.
pub(crate) async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> CommandResult<T> + Send + 'static,
) -> CommandResult<T> {
    tauri::async_runtime::spawn_blocking(work).await.map_err(|_| CommandError::internal())?
}

/// [`blocking`] on the open session (`locked` if there is none); counts as activity.
pub(crate) fn in_session<T, W>(state: &DesktopState<'_>, work: W) -> impl Future<Output = CommandResult<T>> + use<T, W>
where
    T: Send + 'static,
    W: FnOnce(&mut Session) -> Result<T, CoreError> + Send + 'static,
{
    let desktop = state.inner().clone();
    blocking(move || desktop.with_session(work))
}

#[cfg(test)]
mod tests {
    /// Every command follows the convention above: `#[tauri::command]` (never `(async)`) on an
    /// `async fn`. A text check, because the attribute leaves nothing to inspect at run time.
    #[test]
    fn every_command_is_an_async_fn() {
        let sources = [
            ("attachments.rs", include_str!("attachments.rs")),
            ("bundles.rs", include_str!("bundles.rs")),
            ("cases.rs", include_str!("cases.rs")),
            ("exports.rs", include_str!("exports.rs")),
            ("handover.rs", include_str!("handover.rs")),
            ("recording.rs", include_str!("recording.rs")),
            ("sync.rs", include_str!("sync.rs")),
            ("team.rs", include_str!("team.rs")),
            ("vault.rs", include_str!("vault.rs")),
        ];
        let mut names = Vec::new();
        for (file, source) in sources {
            let lines: Vec<&str> = source.lines().collect();
            for (index, line) in lines.iter().enumerate() {
                if !line.trim_start().starts_with("#[tauri::command") {
                    continue;
                }
                assert_eq!(line.trim(), "#[tauri::command]", "{file}:{}: use a plain #[tauri::command]", index + 1);
                let signature = lines.get(index + 1).map(|next| next.trim()).unwrap_or_default();
                let name = signature
                    .strip_prefix("pub(crate) async fn ")
                    .and_then(|rest| rest.split('(').next())
                    .unwrap_or_else(|| panic!("{file}:{}: a command must be `pub(crate) async fn`", index + 2));
                names.push(name.to_owned());
            }
        }
        names.sort();
        let mut declared: Vec<String> = crate::command_names::COMMANDS.iter().map(|name| (*name).to_owned()).collect();
        declared.sort();
        assert_eq!(names, declared, "the commands found here are the commands declared in command_names.rs");
    }
}
