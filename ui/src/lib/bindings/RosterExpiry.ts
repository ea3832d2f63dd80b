// Generated from the DTOs in src-tauri/src (ts-rs) by `CAIRN_UPDATE_BINDINGS=1 cargo test -p cairn-desktop bindings`. Do not edit.

/**
 * How long the roster this device holds stays valid.
 */
export type RosterExpiry = { 
/**
 * `valid`, `expires_soon` or `expired`.
 */
status: string, 
/**
 * When it ends or ended (ms since the Unix epoch); null when valid.
 */
at: number | null, };
