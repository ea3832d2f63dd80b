// Generated from the DTOs in src-tauri/src (ts-rs) by `CAIRN_UPDATE_BINDINGS=1 cargo test -p cairn-desktop bindings`. Do not edit.

/**
 * One case's handover.
 */
export type CaseHandover = { id: string, title: string, 
/**
 * `draft`, `ready` or `received`.
 */
state: string, received_at: number | null, purge_due_at: number | null, };
