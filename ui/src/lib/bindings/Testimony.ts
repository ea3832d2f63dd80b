// Generated from the DTOs in src-tauri/src (ts-rs) by `CAIRN_UPDATE_BINDINGS=1 cargo test -p cairn-desktop bindings`. Do not edit.

export type Testimony = { id: string, source_person: string, date: string, place: string, interviewer: string, interpreter: string, language: string, consent_given: boolean, consent_scopes: Array<string>, consent_conditions: string, narrative: string, transcript: string, 
/**
 * The testimony document's heads as shown (hex): the base the narrative and transcript
 * editors send back with their saves, so a change from a peer is merged, not reverted.
 */
heads: Array<string>, };
