// Generated from the DTOs in src-tauri/src (ts-rs) by `CAIRN_UPDATE_BINDINGS=1 cargo test -p cairn-desktop bindings`. Do not edit.

/**
 * One term of a controlled vocabulary, in both languages.
 */
export type Term = { code: string, en: string, ko: string, };
