// Generated from the DTOs in src-tauri/src (ts-rs) by `CAIRN_UPDATE_BINDINGS=1 cargo test -p cairn-desktop bindings`. Do not edit.
import type { SyncDevice } from "./SyncDevice";
import type { SyncSummary } from "./SyncSummary";

/**
 * A finished sync: with whom, and what moved.
 */
export type SyncOutcome = { peer: SyncDevice, summary: SyncSummary, };
