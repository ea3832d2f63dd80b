// Generated from the DTOs in src-tauri/src (ts-rs) by `CAIRN_UPDATE_BINDINGS=1 cargo test -p cairn-desktop bindings`. Do not edit.

/**
 * How the worker confirms the panic wipe in the app.
 */
export type WipeGesture = "type_word" | "hold_button";
