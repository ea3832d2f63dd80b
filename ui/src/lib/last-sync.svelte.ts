// When this device last synced with a team member, for the top bar: read when the app opens
// and whenever the Sync screen reads it (after every sync). Never polled: a command counts as
// activity and would keep the auto-lock from firing.
import { sync, type SyncOverview } from './api';

export const lastSync = $state<{ inTeam: boolean; at: number | null }>({ inTeam: false, at: null });

/** Takes what the Sync screen read. */
export function noteOverview(overview: SyncOverview): void {
  lastSync.inTeam = overview.in_team;
  lastSync.at = overview.peers.reduce((latest, peer) => Math.max(latest, peer.last_sync_at), 0) || null;
}

/** Reads it afresh; on failure the top bar keeps what it showed. */
export async function loadLastSync(): Promise<void> {
  try {
    noteOverview(await sync.overview());
  } catch {
    // Locked meanwhile, or outside a team: nothing to show.
  }
}
