// Generated from the DTOs in src-tauri/src (ts-rs) by `CAIRN_UPDATE_BINDINGS=1 cargo test -p cairn-desktop bindings`. Do not edit.
import type { Attachment } from "./Attachment";
import type { CaseEvent } from "./CaseEvent";
import type { Note } from "./Note";
import type { Person } from "./Person";
import type { Testimony } from "./Testimony";

/**
 * A case as the editor shows it.
 */
export type CaseDetail = { id: string, title: string, status: string, risk: string, team: string, tags: Array<string>, created_at: number, created_by: string, updated_at: number, persons: Array<Person>, testimonies: Array<Testimony>, events: Array<CaseEvent>, notes: Array<Note>, attachments: Array<Attachment>, conflicts: number, };
