// Generated from the DTOs in src-tauri/src (ts-rs) by `CAIRN_UPDATE_BINDINGS=1 cargo test -p cairn-desktop bindings`. Do not edit.

/**
 * A file the import refused (nothing of it was applied).
 */
export type RefusedBundle = { 
/**
 * Its opaque name in the folder.
 */
file_name: string, 
/**
 * The error code (`bundle_damaged`, `bundle_bad_signature`, …).
 */
code: string, };
