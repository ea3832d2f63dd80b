// Generated from the DTOs in src-tauri/src (ts-rs) by `CAIRN_UPDATE_BINDINGS=1 cargo test -p cairn-desktop bindings`. Do not edit.

/**
 * A QR code as rows of dark (true) and light modules.
 */
export type QrMatrix = { width: number, dark: Array<boolean>, };
