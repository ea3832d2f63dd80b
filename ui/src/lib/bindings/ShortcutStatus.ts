// Generated from the DTOs in src-tauri/src (ts-rs) by `CAIRN_UPDATE_BINDINGS=1 cargo test -p cairn-desktop bindings`. Do not edit.

/**
 * Whether the shortcut works, as Settings shows it.
 */
export type ShortcutStatus = "off" | "active" | "wayland" | "no_display" | "taken";
