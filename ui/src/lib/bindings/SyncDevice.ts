// Generated from the DTOs in src-tauri/src (ts-rs) by `CAIRN_UPDATE_BINDINGS=1 cargo test -p cairn-desktop bindings`. Do not edit.

/**
 * A peer device as the Sync screen shows it.
 */
export type SyncDevice = { device_id: string, 
/**
 * Its name on the roster, if the roster this device holds names it.
 */
name: string | null, 
/**
 * Its device fingerprint, the one the people compare.
 */
fingerprint: string, };
