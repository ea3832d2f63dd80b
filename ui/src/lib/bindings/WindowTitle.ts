// Generated from the DTOs in src-tauri/src (ts-rs) by `CAIRN_UPDATE_BINDINGS=1 cargo test -p cairn-desktop bindings`. Do not edit.

/**
 * The window's title and icon in the taskbar and the window list (and the tray item's). `Notes`
 * says nothing of what the app is: a plain note icon and the title "Notes". Both are set
 * before the page loads, so they hold from the start, before any unlock.
 */
export type WindowTitle = "app" | "notes";
