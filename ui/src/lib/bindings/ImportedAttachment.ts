// Generated from the DTOs in src-tauri/src (ts-rs) by `CAIRN_UPDATE_BINDINGS=1 cargo test -p cairn-desktop bindings`. Do not edit.
import type { Attachment } from "./Attachment";

/**
 * What an import did.
 */
export type ImportedAttachment = { attachment: Attachment, 
/**
 * Metadata parts removed (EXIF, GPS, XMP, comments…); 0 when none or kept.
 */
removed_parts: number, };
