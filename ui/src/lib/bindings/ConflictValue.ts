// Generated from the DTOs in src-tauri/src (ts-rs) by `CAIRN_UPDATE_BINDINGS=1 cargo test -p cairn-desktop bindings`. Do not edit.

/**
 * One value of a conflicting field.
 */
export type ConflictValue = { 
/**
 * The value as text (empty when `sealed`).
 */
value: string, is_object: boolean, by: string, at: number, shown: boolean, 
/**
 * A sealed identity value this device cannot open: shown as "sealed for HQ".
 */
sealed: boolean, };
