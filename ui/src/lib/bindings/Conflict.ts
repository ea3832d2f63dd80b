// Generated from the DTOs in src-tauri/src (ts-rs) by `CAIRN_UPDATE_BINDINGS=1 cargo test -p cairn-desktop bindings`. Do not edit.
import type { ConflictValue } from "./ConflictValue";
import type { DocumentKind } from "./DocumentKind";

/**
 * A field edited on two devices at once.
 */
export type Conflict = { document_id: string, document_kind: DocumentKind, path: string, 
/**
 * The case field name when the conflict is on one (`title`, `status`, …).
 */
case_field: string | null, 
/**
 * Whether the conflict is on a single text field, so it can also be merged by typing a
 * value (`merge_conflict`).
 */
mergeable: boolean, 
/**
 * Whether a value is sealed for HQ: only HQ resolves the conflict (keep and merge are
 * refused here with `identity_sealed`).
 */
sealed: boolean, values: Array<ConflictValue>, };
