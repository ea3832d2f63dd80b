// Generated from the DTOs in src-tauri/src (ts-rs) by `CAIRN_UPDATE_BINDINGS=1 cargo test -p cairn-desktop bindings`. Do not edit.

export type Person = { id: string, pseudonym: string, roles: Array<string>, 
/**
 * Names of the identity fields that hold a value (the values are not sent).
 */
identity_recorded: Array<string>, 
/**
 * Names of the recorded identity fields sealed for HQ: this device cannot open them
 * ("sealed for HQ", distinct from empty); they can be replaced or cleared.
 */
identity_sealed: Array<string>, };
