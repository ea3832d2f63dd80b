// Generated from the DTOs in src-tauri/src (ts-rs) by `CAIRN_UPDATE_BINDINGS=1 cargo test -p cairn-desktop bindings`. Do not edit.

export type RevokedDevice = { device_id: string, name: string | null, revoked_at: number, fingerprint: string, };
