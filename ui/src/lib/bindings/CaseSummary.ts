// Generated from the DTOs in src-tauri/src (ts-rs) by `CAIRN_UPDATE_BINDINGS=1 cargo test -p cairn-desktop bindings`. Do not edit.

/**
 * A case in the list, with what the list's filters need.
 */
export type CaseSummary = { id: string, title: string, status: string, risk: string, created_at: number, updated_at: number, persons: number, testimonies: number, events: number, notes: number, attachments: number, conflicts: number, tags: Array<string>, act_types: Array<string>, 
/**
 * Earliest and latest event dates (`YYYY`, `YYYY-MM` or `YYYY-MM-DD`), for the date filter.
 */
first_date: string | null, last_date: string | null, 
/**
 * Handover to HQ: `draft`, `ready` or `received`.
 */
handover: string, };
