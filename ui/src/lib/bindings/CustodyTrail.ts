// Generated from the DTOs in src-tauri/src (ts-rs) by `CAIRN_UPDATE_BINDINGS=1 cargo test -p cairn-desktop bindings`. Do not edit.
import type { CustodySigner } from "./CustodySigner";
import type { FlaggedChange } from "./FlaggedChange";

/**
 * Who recorded what in a case, as this vault holds it (HQ keeps every signature).
 */
export type CustodyTrail = { total: number, signers: Array<CustodySigner>, flagged: Array<FlaggedChange>, };
