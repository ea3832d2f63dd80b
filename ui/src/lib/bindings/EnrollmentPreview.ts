// Generated from the DTOs in src-tauri/src (ts-rs) by `CAIRN_UPDATE_BINDINGS=1 cargo test -p cairn-desktop bindings`. Do not edit.

/**
 * What HQ compares before enrolling.
 */
export type EnrollmentPreview = { device_id: string, fingerprint: string, requested_name: string, };
