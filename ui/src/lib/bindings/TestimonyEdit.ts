// Generated from the DTOs in src-tauri/src (ts-rs) by `CAIRN_UPDATE_BINDINGS=1 cargo test -p cairn-desktop bindings`. Do not edit.

/**
 * Changes to a testimony's metadata (fields left out stay; the narrative and transcript
 * are saved by `set_narrative` and `set_transcript`).
 */
export type TestimonyEdit = { source_person?: string, date?: string, place?: string, interviewer?: string, interpreter?: string, language?: string, consent_given?: boolean, consent_scopes?: Array<string>, consent_conditions?: string, };
