// Generated from the DTOs in src-tauri/src (ts-rs) by `CAIRN_UPDATE_BINDINGS=1 cargo test -p cairn-desktop bindings`. Do not edit.

/**
 * Facts about the open vault for the settings screen.
 */
export type VaultStatus = { format_version: number, schema_version: number, kdf_memory_mib: number, kdf_iterations: number, insecure_kdf: boolean, device_id: string, case_count: number, };
