// Generated from the DTOs in src-tauri/src (ts-rs) by `CAIRN_UPDATE_BINDINGS=1 cargo test -p cairn-desktop bindings`. Do not edit.

/**
 * One device that signed changes of a case.
 */
export type CustodySigner = { 
/**
 * Its device id (hex); null for changes that carry no signature.
 */
device_id: string | null, 
/**
 * Its name on the roster, when known.
 */
name: string | null, changes: number, first_seen_ms: number | null, last_seen_ms: number | null, };
