// Generated from the DTOs in src-tauri/src (ts-rs) by `CAIRN_UPDATE_BINDINGS=1 cargo test -p cairn-desktop bindings`. Do not edit.

/**
 * What a bundle carries, counted.
 */
export type BundleContents = { documents: number, changes: number, tombstones: number, attachments: number, roster: boolean, };
