// Generated from the DTOs in src-tauri/src (ts-rs) by `CAIRN_UPDATE_BINDINGS=1 cargo test -p cairn-desktop bindings`. Do not edit.

/**
 * What one sync moved.
 */
export type SyncSummary = { documents_sent: number, documents_received: number, changes_sent: number, changes_received: number, tombstones_sent: number, tombstones_received: number, attachments_sent: number, attachments_received: number, bytes_sent: number, bytes_received: number, round_trips: number, roster_updated: boolean, 
/**
 * This device's roster has expired and the peer is not HQ: only the roster could move.
 */
roster_only: boolean, millis: number, };
