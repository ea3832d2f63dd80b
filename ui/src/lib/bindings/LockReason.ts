// Generated from the DTOs in src-tauri/src (ts-rs) by `CAIRN_UPDATE_BINDINGS=1 cargo test -p cairn-desktop bindings`. Do not edit.

/**
 * Why the vault was last locked (shown on the unlock screen).
 */
export type LockReason = "user" | "idle" | "sleep" | "screen_locked" | "panic";
