// Generated from the DTOs in src-tauri/src (ts-rs) by `CAIRN_UPDATE_BINDINGS=1 cargo test -p cairn-desktop bindings`. Do not edit.
import type { Act } from "./Act";

export type CaseEvent = { id: string, title: string, description: string, date_start: string, date_end: string, date_certainty: string, place: string, acts: Array<Act>, };
