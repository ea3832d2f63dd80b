// Generated from the DTOs in src-tauri/src (ts-rs) by `CAIRN_UPDATE_BINDINGS=1 cargo test -p cairn-desktop bindings`. Do not edit.

/**
 * The recovery code to show once, grouped `XXXX-XXXX-…`.
 */
export type RecoveryCode = { code: string, };
