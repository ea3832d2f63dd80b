// Generated from the DTOs in src-tauri/src (ts-rs) by `CAIRN_UPDATE_BINDINGS=1 cargo test -p cairn-desktop bindings`. Do not edit.

/**
 * The identifying fields of a person, as typed by the worker. No `Debug`: it holds identity
 * values, which must never reach a log or a panic message.
 */
export type Identity = { real_name: string, birth_date: string, home_town: string, family: string, contact: string, };
