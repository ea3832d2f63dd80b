// Generated from the DTOs in src-tauri/src (ts-rs) by `CAIRN_UPDATE_BINDINGS=1 cargo test -p cairn-desktop bindings`. Do not edit.
import type { Language } from "./Language";
import type { LockAnywhere } from "./LockAnywhere";
import type { LockReason } from "./LockReason";
import type { Phase } from "./Phase";
import type { WindowTitle } from "./WindowTitle";

/**
 * Everything the shell of the UI needs before (and after) unlock. Nothing sensitive.
 */
export type AppState = { phase: Phase, 
/**
 * The language to show now.
 */
language: Language, 
/**
 * The stored choice: `None` follows the system locale.
 */
language_choice: Language | null, auto_lock_minutes: number, min_auto_lock_minutes: number, max_auto_lock_minutes: number, min_passphrase_chars: number, 
/**
 * New vaults get the insecure test-only key derivation (automated tests only).
 */
test_mode: boolean, 
/**
 * Why the vault was last locked in this run.
 */
last_lock: LockReason | null, 
/**
 * The window's title and icon: the app's, or neutral ones.
 */
window_title: WindowTitle, 
/**
 * The panic lock from any program: the global shortcut and the tray item.
 */
lock_anywhere: LockAnywhere, };
