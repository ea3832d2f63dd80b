// Generated from the DTOs in src-tauri/src (ts-rs) by `CAIRN_UPDATE_BINDINGS=1 cargo test -p cairn-desktop bindings`. Do not edit.

/**
 * An error as it crosses to the webview: `{ code, message }`.
 */
export type CommandError = { 
/**
 * Stable machine-readable code (`CoreError::code()` or one of the shell's own below).
 */
code: string, 
/**
 * A fixed English sentence, for logs and as a last resort; the UI shows its own text.
 */
message: string, };
