// Generated from the DTOs in src-tauri/src (ts-rs) by `CAIRN_UPDATE_BINDINGS=1 cargo test -p cairn-desktop bindings`. Do not edit.

/**
 * A device's place on the roster.
 */
export type Standing = { "kind": "member", role: string, } | { "kind": "revoked", at: number, };
