// Generated from the DTOs in src-tauri/src (ts-rs) by `CAIRN_UPDATE_BINDINGS=1 cargo test -p cairn-desktop bindings`. Do not edit.

/**
 * A roster file waiting for the worker to compare its organisation fingerprint.
 */
export type RosterPreview = { organisation_fingerprint: string, 
/**
 * Whether this device already trusts an organisation (then the fingerprint must match it).
 */
already_pinned: boolean, };
