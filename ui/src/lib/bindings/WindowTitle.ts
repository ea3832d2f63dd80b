// Generated from the DTOs in src-tauri/src (ts-rs) by `CAIRN_UPDATE_BINDINGS=1 cargo test -p cairn-desktop bindings`. Do not edit.

/**
 * The window's title in the taskbar and the window list. `Notes` says nothing of what the app
 * is; it is set before the page loads, so it holds from the start, before any unlock.
 */
export type WindowTitle = "app" | "notes";
