// Generated from the DTOs in src-tauri/src (ts-rs) by `CAIRN_UPDATE_BINDINGS=1 cargo test -p cairn-desktop bindings`. Do not edit.

/**
 * How far a bundle export or import is.
 */
export type BundleProgress = { "phase": "writing", index: number, of: number, } | { "phase": "checking", index: number, of: number, } | { "phase": "applying", index: number, of: number, done: number, all: number, };
