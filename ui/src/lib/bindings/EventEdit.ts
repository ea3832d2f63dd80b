// Generated from the DTOs in src-tauri/src (ts-rs) by `CAIRN_UPDATE_BINDINGS=1 cargo test -p cairn-desktop bindings`. Do not edit.

/**
 * Changes to an event (fields left out stay).
 */
export type EventEdit = { title?: string, description?: string, date_start?: string, date_end?: string, certainty?: string, place?: string, };
