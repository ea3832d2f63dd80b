//! The events the shell sends to the window, defined once: each name and the one function that
//! emits it with its payload type. `bindings.rs` writes the names and payload types into the
//! UI's generated bindings (`events.ts`), which `api.ts` listens through, so a renamed event or
//! a changed payload breaks the build instead of silently never arriving.

use tauri::{AppHandle, Emitter};

use crate::{commands::bundles::BundleProgressDto, commands::sync::SyncProgress, state::LockReason, work::Progress};

/// The vault was locked behind the page's back (idle auto-lock, sleep, screen lock).
pub(crate) const VAULT_LOCKED: &str = "vault-locked";

/// How far long work (importing or exporting a large attachment) is, at most ten times a second.
pub(crate) const WORK_PROGRESS: &str = "work-progress";

/// How far a live sync is: listening, connected (with the peer's fingerprint), messages.
pub(crate) const SYNC_PROGRESS: &str = "sync-progress";

/// How far a bundle export or import (sync by USB stick) is: which file, which unit.
pub(crate) const BUNDLE_PROGRESS: &str = "bundle-progress";

/// Tells the window why the vault was locked.
pub(crate) fn vault_locked(app: &AppHandle, reason: LockReason) {
    // A window that is gone has nothing to lock; the page is reloaded anyway (`on_locked`).
    let _ = app.emit(VAULT_LOCKED, reason);
}

/// Reports progress of the work under way to the window.
pub(crate) fn work_progress(app: &AppHandle, progress: Progress) {
    // A window that is gone needs no progress; the work goes on and answers as usual.
    let _ = app.emit(WORK_PROGRESS, progress);
}

/// Reports the stage of the live sync under way to the window.
pub(crate) fn sync_progress(app: &AppHandle, progress: SyncProgress) {
    // A window that is gone needs no progress; the sync goes on and answers as usual.
    let _ = app.emit(SYNC_PROGRESS, progress);
}

/// Reports the step of the bundle export or import under way to the window.
pub(crate) fn bundle_progress(app: &AppHandle, progress: BundleProgressDto) {
    // A window that is gone needs no progress; the work goes on and answers as usual.
    let _ = app.emit(BUNDLE_PROGRESS, progress);
}
