// Generated from the DTOs in src-tauri/src (ts-rs) by `CAIRN_UPDATE_BINDINGS=1 cargo test -p cairn-desktop bindings`. Do not edit.

/**
 * A new testimony as the form sends it.
 */
export type NewTestimony = { source_person: string, date: string, place: string, interviewer: string, interpreter: string, language: string, consent_given: boolean, consent_scopes: Array<string>, consent_conditions: string, narrative: string, };
