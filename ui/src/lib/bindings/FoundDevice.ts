// Generated from the DTOs in src-tauri/src (ts-rs) by `CAIRN_UPDATE_BINDINGS=1 cargo test -p cairn-desktop bindings`. Do not edit.

/**
 * A team device found announcing itself on the LAN.
 */
export type FoundDevice = { device_id: string, 
/**
 * Its name on the roster, if this device can read names.
 */
name: string | null, 
/**
 * Its device fingerprint, to compare once connected.
 */
fingerprint: string, 
/**
 * Where it waits: what to connect to.
 */
address: string, };
