// Generated from the DTOs in src-tauri/src (ts-rs) by `CAIRN_UPDATE_BINDINGS=1 cargo test -p cairn-desktop bindings`. Do not edit.
import type { RefusedBundle } from "./RefusedBundle";

/**
 * What an import did.
 */
export type BundleImport = { files: number, imported: number, 
/**
 * Files for other devices, left on the stick for them.
 */
skipped: number, refused: Array<RefusedBundle>, documents: number, tombstones: number, attachments: number, roster_updated: boolean, 
/**
 * Cases purged after HQ's receipt arrived (a field device).
 */
cases_purged: number, 
/**
 * Receipts issued for cases handed over (HQ).
 */
receipts_issued: number, 
/**
 * Bundles of which only the roster was applied (this device's roster has expired and
 * their sender is not HQ).
 */
roster_only: number, };
