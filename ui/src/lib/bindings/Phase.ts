// Generated from the DTOs in src-tauri/src (ts-rs) by `CAIRN_UPDATE_BINDINGS=1 cargo test -p cairn-desktop bindings`. Do not edit.

/**
 * What the UI is told about the phase.
 */
export type Phase = "no_vault" | "locked" | "confirm_recovery" | "unlocked";
