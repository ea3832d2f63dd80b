// Generated from the DTOs in src-tauri/src (ts-rs) by `CAIRN_UPDATE_BINDINGS=1 cargo test -p cairn-desktop bindings`. Do not edit.

/**
 * The last sync with one peer.
 */
export type SyncPeer = { device_id: string, name: string | null, 
/**
 * `None` if the roster no longer lists the device.
 */
fingerprint: string | null, revoked: boolean, 
/**
 * Milliseconds since the Unix epoch (this device's clock).
 */
last_sync_at: number, documents_sent: number, documents_received: number, changes_sent: number, changes_received: number, bytes_sent: number, bytes_received: number, };
