// Generated from the DTOs in src-tauri/src (ts-rs) by `CAIRN_UPDATE_BINDINGS=1 cargo test -p cairn-desktop bindings`. Do not edit.
import type { Term } from "./Term";

/**
 * A controlled vocabulary.
 */
export type Vocabulary = { kind: string, terms: Array<Term>, };
