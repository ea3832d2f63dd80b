// Generated from the DTOs in src-tauri/src (ts-rs) by `CAIRN_UPDATE_BINDINGS=1 cargo test -p cairn-desktop bindings`. Do not edit.

/**
 * Which export.
 */
export type ExportKind = "json" | "uwazi";
