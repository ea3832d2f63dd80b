// Generated from the DTOs in src-tauri/src (ts-rs) by `CAIRN_UPDATE_BINDINGS=1 cargo test -p cairn-desktop bindings`. Do not edit.
import type { CaseHandover } from "./CaseHandover";

/**
 * Every case's handover on this device.
 */
export type HandoverStatus = { 
/**
 * HQ's vault: the list is the intake list.
 */
is_hq: boolean, 
/**
 * `keep`, `immediately` or `after_days`; null outside a team.
 */
policy: string | null, 
/**
 * Days, for `after_days`.
 */
policy_days: number | null, cases: Array<CaseHandover>, 
/**
 * How many cases were handed over and purged here (nothing else of them is left).
 */
purged: number, };
