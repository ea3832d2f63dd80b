// Generated from the DTOs in src-tauri/src (ts-rs) by `CAIRN_UPDATE_BINDINGS=1 cargo test -p cairn-desktop bindings`. Do not edit.

/**
 * How far the work is, as the window sees it.
 */
export type WorkProgress = { 
/**
 * Bytes read or written so far.
 */
done: number, 
/**
 * Bytes in all, when the shell knows (the file to import); the window knows an export's.
 */
total: number | null, };
