// Generated from the DTOs in src-tauri/src (ts-rs) by `CAIRN_UPDATE_BINDINGS=1 cargo test -p cairn-desktop bindings`. Do not edit.

/**
 * What an enrollment or revocation issued.
 */
export type Issued = { device_id: string, roster_version: number, epoch: number, };
