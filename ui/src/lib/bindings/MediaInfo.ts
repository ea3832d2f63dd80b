// Generated from the DTOs in src-tauri/src (ts-rs) by `CAIRN_UPDATE_BINDINGS=1 cargo test -p cairn-desktop bindings`. Do not edit.

/**
 * An attachment opened for playback.
 */
export type MediaInfo = { 
/**
 * Names the attachment to `read_media` until the vault locks.
 */
token: string, media_type: string, size: number, };
