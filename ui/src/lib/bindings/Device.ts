// Generated from the DTOs in src-tauri/src (ts-rs) by `CAIRN_UPDATE_BINDINGS=1 cargo test -p cairn-desktop bindings`. Do not edit.

/**
 * This device, as the team screen shows it.
 */
export type Device = { device_id: string, fingerprint: string, organisation_fingerprint: string | null, };
