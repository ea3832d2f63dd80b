// Generated from the DTOs in src-tauri/src (ts-rs) by `CAIRN_UPDATE_BINDINGS=1 cargo test -p cairn-desktop bindings`. Do not edit.
import type { ShortcutStatus } from "./ShortcutStatus";

/**
 * What is in place now.
 */
export type LockAnywhere = { 
/**
 * Whether the worker turned it on.
 */
enabled: boolean, 
/**
 * The global shortcut.
 */
shortcut: ShortcutStatus, 
/**
 * Whether the tray item is shown (it needs the panel's indicator library).
 */
tray: boolean, };
