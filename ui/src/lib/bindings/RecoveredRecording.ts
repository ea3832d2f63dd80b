// Generated from the DTOs in src-tauri/src (ts-rs) by `CAIRN_UPDATE_BINDINGS=1 cargo test -p cairn-desktop bindings`. Do not edit.
import type { Attachment } from "./Attachment";

/**
 * A recording recovered after the app or the vault stopped mid-recording.
 */
export type RecoveredRecording = { case_id: string, attachment: Attachment, };
