//! Tauri commands: thin adapters from IPC to `cairn-core`, returning purpose-built DTOs.
//!
//! Every command is declared in `build.rs` (deny by default) and granted in
//! `capabilities/main.json`. Secrets arrive as arguments (a passphrase typed in the UI) and
//! are wrapped in `SecretString` at once; no key, passphrase or database handle ever leaves.
//!
//! Commands that touch the vault are `async` (or `#[tauri::command(async)]`), so database work
//! and key derivation never run on the main thread that draws the window.

pub(crate) mod attachments;
pub(crate) mod cases;
pub(crate) mod recording;
pub(crate) mod team;
pub(crate) mod vault;

use std::sync::Arc;

use crate::error::{CommandError, CommandResult};

/// The managed state as commands receive it.
pub(crate) type DesktopState<'a> = tauri::State<'a, Arc<crate::state::Desktop>>;

/// Runs slow work (key derivation, database work) off the IPC thread.
pub(crate) async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> CommandResult<T> + Send + 'static,
) -> CommandResult<T> {
    tauri::async_runtime::spawn_blocking(work).await.map_err(|_| CommandError::internal())?
}
