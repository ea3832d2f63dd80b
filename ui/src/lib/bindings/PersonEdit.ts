// Generated from the DTOs in src-tauri/src (ts-rs) by `CAIRN_UPDATE_BINDINGS=1 cargo test -p cairn-desktop bindings`. Do not edit.

/**
 * Changes to a person as the edit form sends them: a field left out (or `null`) stays as it
 * is; an empty identity field clears it. Not `Debug`: it may carry identity values.
 */
export type PersonEdit = { pseudonym?: string, roles?: Array<string>, real_name?: string, birth_date?: string, home_town?: string, family?: string, contact?: string, };
