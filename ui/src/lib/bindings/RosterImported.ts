// Generated from the DTOs in src-tauri/src (ts-rs) by `CAIRN_UPDATE_BINDINGS=1 cargo test -p cairn-desktop bindings`. Do not edit.
import type { Standing } from "./Standing";

/**
 * What an import changed.
 */
export type RosterImported = { roster_version: number, epoch: number, organisation_fingerprint: string, first_pin: boolean, 
/**
 * HQ's root key changed to the one the held roster had announced: the organisation
 * fingerprint is new.
 */
rotated_root: boolean, standing: Standing, };
