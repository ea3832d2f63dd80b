// Generated from the DTOs in src-tauri/src (ts-rs) by `CAIRN_UPDATE_BINDINGS=1 cargo test -p cairn-desktop bindings`. Do not edit.

/**
 * Which document of a case a conflict is in.
 */
export type DocumentKind = "case" | "testimony";
