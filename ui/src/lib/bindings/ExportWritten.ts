// Generated from the DTOs in src-tauri/src (ts-rs) by `CAIRN_UPDATE_BINDINGS=1 cargo test -p cairn-desktop bindings`. Do not edit.

/**
 * What an export wrote.
 */
export type ExportWritten = { 
/**
 * The files written (names only, inside the chosen folder).
 */
files: Array<string>, };
