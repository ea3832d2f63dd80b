// Generated from the DTOs in src-tauri/src (ts-rs) by `CAIRN_UPDATE_BINDINGS=1 cargo test -p cairn-desktop bindings`. Do not edit.

/**
 * A search result.
 */
export type SearchHit = { case_id: string, title: string, status: string, fields: Array<string>, snippet: string, };
