// Generated from the DTOs in src-tauri/src (ts-rs) by `CAIRN_UPDATE_BINDINGS=1 cargo test -p cairn-desktop bindings`. Do not edit.
import type { SyncDevice } from "./SyncDevice";

/**
 * How far a live sync is.
 */
export type SyncProgress = { "stage": "listening", address: string, } | { "stage": "connecting", address: string, } | { "stage": "connected", peer: SyncDevice, } | { "stage": "exchanging", received: number, sent: number, } | { "stage": "finished", cases_changed: boolean, };
