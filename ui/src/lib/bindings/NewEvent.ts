// Generated from the DTOs in src-tauri/src (ts-rs) by `CAIRN_UPDATE_BINDINGS=1 cargo test -p cairn-desktop bindings`. Do not edit.

/**
 * A new event as the form sends it.
 */
export type NewEvent = { title: string, description: string, date_start: string, date_end: string, certainty: string, place: string, };
