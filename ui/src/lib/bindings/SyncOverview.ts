// Generated from the DTOs in src-tauri/src (ts-rs) by `CAIRN_UPDATE_BINDINGS=1 cargo test -p cairn-desktop bindings`. Do not edit.
import type { SyncPeer } from "./SyncPeer";

/**
 * What the Sync screen needs before it can offer anything.
 */
export type SyncOverview = { 
/**
 * Whether this device holds a roster and its team key (otherwise sync is refused).
 */
in_team: boolean, default_listen_address: string, peers: Array<SyncPeer>, };
