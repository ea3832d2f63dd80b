// Generated from the DTOs in src-tauri/src (ts-rs) by `CAIRN_UPDATE_BINDINGS=1 cargo test -p cairn-desktop bindings`. Do not edit.
import type { RevokedDevice } from "./RevokedDevice";
import type { RosterMember } from "./RosterMember";
import type { Standing } from "./Standing";

/**
 * The roster this device holds.
 */
export type Roster = { organisation_name: string | null, organisation_fingerprint: string, version: number, epoch: number, this_device: string, standing: Standing, is_hq_vault: boolean, members: Array<RosterMember>, revoked: Array<RevokedDevice>, };
