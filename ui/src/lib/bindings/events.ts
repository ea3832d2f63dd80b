// Generated from src-tauri/src/events.rs by `CAIRN_UPDATE_BINDINGS=1 cargo test -p cairn-desktop bindings`. Do not edit.
import type { BundleProgress } from "./BundleProgress";
import type { LockReason } from "./LockReason";
import type { SyncProgress } from "./SyncProgress";
import type { WorkProgress } from "./WorkProgress";

/** The vault was locked behind the page's back (idle auto-lock, sleep, screen lock). */
export const VAULT_LOCKED_EVENT = "vault-locked";

/** How far long work (importing or exporting a large attachment) is, at most ten times a second. */
export const WORK_PROGRESS_EVENT = "work-progress";

/** How far a live sync is: listening, connected (with the peer's fingerprint), messages exchanged. */
export const SYNC_PROGRESS_EVENT = "sync-progress";

/** How far a bundle export or import (sync by USB stick) is: which file, which unit. */
export const BUNDLE_PROGRESS_EVENT = "bundle-progress";

/** What each event carries. */
export type EventPayloads = {
  "vault-locked": LockReason,
  "work-progress": WorkProgress,
  "sync-progress": SyncProgress,
  "bundle-progress": BundleProgress,
};
