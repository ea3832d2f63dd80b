// Generated from the DTOs in src-tauri/src (ts-rs) by `CAIRN_UPDATE_BINDINGS=1 cargo test -p cairn-desktop bindings`. Do not edit.

/**
 * What an evidence export wrote.
 */
export type EvidenceWritten = { 
/**
 * The package's folder name, inside the chosen folder.
 */
package: string, 
/**
 * Changes in the chain of custody, and how many of them are flagged.
 */
changes: number, flagged_changes: number, };
