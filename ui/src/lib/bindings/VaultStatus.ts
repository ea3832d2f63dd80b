// Generated from the DTOs in src-tauri/src (ts-rs) by `CAIRN_UPDATE_BINDINGS=1 cargo test -p cairn-desktop bindings`. Do not edit.
import type { WipeGesture } from "./WipeGesture";

/**
 * Facts about the open vault for the settings screen.
 */
export type VaultStatus = { format_version: number, schema_version: number, kdf_memory_mib: number, kdf_iterations: number, insecure_kdf: boolean, device_id: string, case_count: number, 
/**
 * The failed-unlock wipe: after this many wrong passphrases in a row the keys are
 * destroyed (null: off).
 */
unlock_limit: number | null, 
/**
 * The lowest and highest limit that may be set.
 */
unlock_limit_min: number, unlock_limit_max: number, 
/**
 * Whether a duress passphrase is set.
 */
duress: boolean, 
/**
 * The app's panic wipe: the confirmation gesture chosen, or null when it is off.
 */
panic_wipe: WipeGesture | null, };
