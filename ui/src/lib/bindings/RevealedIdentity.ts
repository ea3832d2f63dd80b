// Generated from the DTOs in src-tauri/src (ts-rs) by `CAIRN_UPDATE_BINDINGS=1 cargo test -p cairn-desktop bindings`. Do not edit.
import type { Identity } from "./Identity";

/**
 * A person's identity fields as this device can show them. No `Debug`: it holds identity
 * values.
 */
export type RevealedIdentity = { 
/**
 * The fields this device opens (a field that is empty or sealed for HQ is empty here).
 */
identity: Identity, 
/**
 * Names of the recorded fields sealed for HQ: this device cannot open them.
 */
sealed: Array<string>, };
