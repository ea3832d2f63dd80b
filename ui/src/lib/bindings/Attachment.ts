// Generated from the DTOs in src-tauri/src (ts-rs) by `CAIRN_UPDATE_BINDINGS=1 cargo test -p cairn-desktop bindings`. Do not edit.

export type Attachment = { id: string, file_name: string, media_type: string, stored_size: number, 
/**
 * `stripped`, `kept` or `not_an_image`.
 */
metadata: string, added_at: number, added_by: string, 
/**
 * Whether its content is on this device (one added on another device arrives with the
 * sync after its case document).
 */
arrived: boolean, 
/**
 * The testimony a recording was made of (hex id), if it is linked to one.
 */
testimony: string | null, };
