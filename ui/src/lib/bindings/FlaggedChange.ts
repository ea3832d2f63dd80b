// Generated from the DTOs in src-tauri/src (ts-rs) by `CAIRN_UPDATE_BINDINGS=1 cargo test -p cairn-desktop bindings`. Do not edit.

/**
 * A change the custody trail cannot vouch for.
 */
export type FlaggedChange = { document_id: string, 
/**
 * The change's hash (hex).
 */
change_hash: string, signer: string | null, 
/**
 * `unsigned`, `bad_signature`, `unknown_signer` or `received_after_revocation`.
 */
verdict: string, };
