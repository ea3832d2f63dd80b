// Generated from the DTOs in src-tauri/src (ts-rs) by `CAIRN_UPDATE_BINDINGS=1 cargo test -p cairn-desktop bindings`. Do not edit.
import type { BundleContents } from "./BundleContents";

/**
 * One bundle written to the stick.
 */
export type ExportedBundle = { device_id: string, 
/**
 * The recipient's name on the roster, if this device can read it.
 */
name: string | null, 
/**
 * Bytes written (all parts).
 */
size: number, contents: BundleContents, };
