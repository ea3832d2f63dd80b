import { describe, expect, it, vi } from 'vitest';
import { render, screen, waitFor } from '@testing-library/svelte';
import userEvent from '@testing-library/user-event';
import { emit } from '@tauri-apps/api/event';
import Sync from './Sync.svelte';
import { applyState } from '../lib/app.svelte';
import {
  BUNDLE_PROGRESS_EVENT,
  SYNC_PROGRESS_EVENT,
  type BundleExport,
  type BundleImport,
  type SyncOutcome,
  type SyncOverview,
  type SyncProgress,
} from '../lib/api';
import { baseState, fail, fakeShell } from '../lib/test-ipc';

const FINGERPRINT = '81800 94547 27997 46957 10488 24705';
const PEER = { device_id: 'cd'.repeat(16), name: '본부 기기', fingerprint: FINGERPRINT };

function overview(peers: SyncOverview['peers'] = [], inTeam = true): SyncOverview {
  return { in_team: inTeam, default_listen_address: '0.0.0.0:7405', peers };
}

const OUTCOME: SyncOutcome = {
  peer: PEER,
  summary: {
    documents_sent: 2, documents_received: 3, changes_sent: 4, changes_received: 5, tombstones_sent: 0, tombstones_received: 1, attachments_sent: 1, attachments_received: 2,
    bytes_sent: 2048, bytes_received: 4096, round_trips: 3, roster_updated: false, roster_only: false, millis: 1500,
  },
};

/** Emits a stage until the screen shows `text` (the screen listens once mounted). */
async function stage(progress: SyncProgress, testid: string, text: string) {
  await waitFor(async () => {
    await emit(SYNC_PROGRESS_EVENT, progress);
    expect(screen.getByTestId(testid).textContent).toContain(text);
  });
}

describe('sync', () => {
  it('connects, shows the peer’s fingerprint while it runs, then the summary and the last sync per device', async () => {
    const shell = fakeShell(baseState({ phase: 'unlocked', language: 'en' }));
    applyState(shell.state);
    let peers: SyncOverview['peers'] = [];
    shell.handlers.sync_overview = () => overview(peers);
    let finish: (outcome: SyncOutcome) => void = () => {};
    shell.handlers.sync_connect = () => new Promise((resolve) => { finish = resolve; });
    const user = userEvent.setup();
    render(Sync);
    expect(await screen.findByTestId('sync-no-peers')).toBeTruthy();
    expect((screen.getByTestId('sync-serve-address') as HTMLInputElement).value).toBe('0.0.0.0:7405');
    expect(screen.getByTestId('sync-serve-warning').textContent).toContain('local network');
    await user.type(screen.getByTestId('sync-connect-address'), '127.0.0.1:7405');
    await user.click(screen.getByTestId('sync-connect'));
    await vi.waitFor(() => expect(shell.calls.find((c) => c.cmd === 'sync_connect')?.args).toEqual({ address: '127.0.0.1:7405' }));
    expect(await screen.findByTestId('sync-running')).toBeTruthy();
    expect((screen.getByTestId('sync-connect') as HTMLButtonElement).disabled).toBe(true);
    await stage({ stage: 'connected', peer: PEER }, 'sync-running', FINGERPRINT);
    expect(screen.getByTestId('sync-peer-name').textContent).toBe('본부 기기');
    await stage({ stage: 'exchanging', received: 3, sent: 2 }, 'busy', '3 messages received, 2 sent');
    peers = [{
      device_id: PEER.device_id, name: PEER.name, fingerprint: FINGERPRINT, revoked: false, last_sync_at: Date.now(),
      documents_sent: 2, documents_received: 3, changes_sent: 4, changes_received: 5, bytes_sent: 2048, bytes_received: 4096,
    }];
    finish(OUTCOME);
    const summary = await screen.findByTestId('sync-summary');
    expect(summary.textContent).toContain(FINGERPRINT);
    expect(screen.getByTestId('sync-documents').textContent).toBe('2 / 3');
    expect(screen.queryByTestId('sync-running')).toBeNull();
    const row = await screen.findByTestId('sync-peer-row');
    expect(row.textContent).toContain('본부 기기');
    expect(row.textContent).toContain('2.0 KB / 4.0 KB');
  });

  it('waits on the address typed, shows where, and Cancel ends it without an error (in Korean)', async () => {
    const shell = fakeShell(baseState({ phase: 'unlocked', language: 'ko' }));
    applyState(shell.state);
    shell.handlers.sync_overview = () => overview();
    let stop: (error: unknown) => void = () => {};
    shell.handlers.sync_serve = () => new Promise((_, reject) => { stop = reject; });
    shell.handlers.cancel_sync = () => {
      stop({ code: 'sync_cancelled', message: 'the sync was cancelled' });
      return null;
    };
    const user = userEvent.setup();
    render(Sync);
    await screen.findByTestId('sync-no-peers');
    await user.clear(screen.getByTestId('sync-serve-address'));
    await user.type(screen.getByTestId('sync-serve-address'), '0.0.0.0:0');
    await user.click(screen.getByTestId('sync-serve'));
    await vi.waitFor(() => expect(shell.calls.find((c) => c.cmd === 'sync_serve')?.args).toEqual({ address: '0.0.0.0:0', announce: false }));
    await stage({ stage: 'listening', address: '0.0.0.0:41234' }, 'busy', '0.0.0.0:41234에서 기기를 기다리는 중');
    await user.click(screen.getByTestId('sync-cancel'));
    expect(shell.calls.filter((c) => c.cmd === 'cancel_sync')).toHaveLength(1);
    expect((await screen.findByTestId('sync-cancelled')).textContent).toContain('동기화를 취소했습니다');
    expect(screen.queryByTestId('sync-running')).toBeNull();
    expect(screen.queryByTestId('error')).toBeNull();
  });

  it('translates the transport’s refusals by code, and names an unknown one', async () => {
    const shell = fakeShell(baseState({ phase: 'unlocked', language: 'en' }));
    applyState(shell.state);
    shell.handlers.sync_overview = () => overview();
    shell.handlers.sync_connect = fail('peer_revoked');
    const user = userEvent.setup();
    render(Sync);
    await screen.findByTestId('sync-no-peers');
    await user.type(screen.getByTestId('sync-connect-address'), '192.0.2.10:7405');
    await user.click(screen.getByTestId('sync-connect'));
    expect((await screen.findByTestId('error')).textContent).toContain('The other device was revoked');
    shell.handlers.sync_connect = fail('sync_unexpected_message');
    await user.click(screen.getByTestId('sync-connect'));
    await waitFor(() => expect(screen.getByTestId('error').textContent).toContain('(sync_unexpected_message)'));
    expect(screen.getByTestId('error').textContent).toContain('the same version of Cairn');
  });

  it('says a device outside a team must import a roster first, and offers nothing', async () => {
    const shell = fakeShell(baseState({ phase: 'unlocked', language: 'en' }));
    applyState(shell.state);
    shell.handlers.sync_overview = () => overview([], false);
    const user = userEvent.setup();
    render(Sync);
    expect((await screen.findByTestId('sync-not-in-team')).textContent).toContain('Import a roster');
    await user.type(screen.getByTestId('sync-connect-address'), '192.0.2.10:7405');
    expect((screen.getByTestId('sync-connect') as HTMLButtonElement).disabled).toBe(true);
    expect((screen.getByTestId('sync-serve') as HTMLButtonElement).disabled).toBe(true);
  });

  it('finds team devices announcing on the LAN and connects to one; announcing is off unless ticked', async () => {
    const shell = fakeShell(baseState({ phase: 'unlocked', language: 'en' }));
    applyState(shell.state);
    shell.handlers.sync_overview = () => overview();
    let found: unknown[] = [];
    shell.handlers.sync_discover = () => found;
    shell.handlers.sync_connect = () => new Promise(() => {});
    shell.handlers.sync_serve = () => new Promise(() => {});
    const user = userEvent.setup();
    render(Sync);
    await screen.findByTestId('sync-no-peers');
    expect((screen.getByTestId('sync-announce') as HTMLInputElement).checked).toBe(false);
    await user.click(screen.getByTestId('sync-discover'));
    expect((await screen.findByTestId('sync-found-none')).textContent).toContain('No team device');
    found = [{ ...PEER, address: '192.168.1.20:7405' }];
    await user.click(screen.getByTestId('sync-discover'));
    const device = await screen.findByTestId('sync-found-device');
    expect(device.textContent).toContain('본부 기기');
    expect(device.textContent).toContain(FINGERPRINT);
    await user.click(device.querySelector('button') as HTMLButtonElement);
    await vi.waitFor(() => expect(shell.calls.find((c) => c.cmd === 'sync_connect')?.args).toEqual({ address: '192.168.1.20:7405' }));
  });

  it('announces while waiting only when the worker ticked it', async () => {
    const shell = fakeShell(baseState({ phase: 'unlocked', language: 'en' }));
    applyState(shell.state);
    shell.handlers.sync_overview = () => overview();
    shell.handlers.sync_serve = () => new Promise(() => {});
    const user = userEvent.setup();
    render(Sync);
    await screen.findByTestId('sync-no-peers');
    await user.click(screen.getByTestId('sync-announce'));
    await user.click(screen.getByTestId('sync-serve'));
    await vi.waitFor(() => expect(shell.calls.find((c) => c.cmd === 'sync_serve')?.args).toEqual({ address: '0.0.0.0:7405', announce: true }));
  });

  it('exports to a USB stick with progress and shows what was written for each device', async () => {
    const shell = fakeShell(baseState({ phase: 'unlocked', language: 'en' }));
    applyState(shell.state);
    shell.handlers.sync_overview = () => overview();
    let finish: (written: BundleExport) => void = () => {};
    shell.handlers.export_bundles = () => new Promise((resolve) => { finish = resolve; });
    const user = userEvent.setup();
    render(Sync);
    await screen.findByTestId('sync-no-peers');
    await user.click(screen.getByTestId('usb-export'));
    expect(await screen.findByTestId('usb-running')).toBeTruthy();
    expect((screen.getByTestId('sync-connect') as HTMLButtonElement).disabled).toBe(true);
    expect((screen.getByTestId('usb-import') as HTMLButtonElement).disabled).toBe(true);
    await waitFor(async () => {
      await emit(BUNDLE_PROGRESS_EVENT, { phase: 'writing', index: 1, of: 2 });
      expect(screen.getByTestId('usb-running').textContent).toContain('device 2 of 2');
    });
    finish({
      bundles: [{ device_id: PEER.device_id, name: '본부 기기', size: 3 * 1024 * 1024, contents: { documents: 4, changes: 9, tombstones: 1, attachments: 2, roster: false } }],
    });
    const bundle = await screen.findByTestId('usb-exported-bundle');
    expect(bundle.textContent).toContain('For 본부 기기');
    expect(bundle.textContent).toContain('3.0 MB: 4 cases and testimonies, 2 attachments, 1 deletion');
    expect(screen.queryByTestId('usb-running')).toBeNull();
  });

  it('imports from a USB stick: what arrived, what was left for others, and each refused file with its reason (in Korean)', async () => {
    const shell = fakeShell(baseState({ phase: 'unlocked', language: 'ko' }));
    applyState(shell.state);
    shell.handlers.sync_overview = () => overview();
    const report: BundleImport = {
      files: 4, imported: 1, skipped: 2, refused: [{ file_name: 'ab'.repeat(16), code: 'bundle_damaged' }],
      documents: 3, tombstones: 0, attachments: 1, roster_updated: true, cases_purged: 0, receipts_issued: 0, roster_only: 0,
    };
    shell.handlers.import_bundles = () => report;
    const user = userEvent.setup();
    render(Sync);
    await screen.findByTestId('sync-no-peers');
    await user.click(screen.getByTestId('usb-import'));
    const applied = await screen.findByTestId('usb-applied');
    expect(applied.textContent).toContain('사례와 증언 3개 갱신, 첨부 파일 1개');
    expect(screen.getByTestId('usb-imported').textContent).toContain('다른 기기용 2개');
    expect(screen.getByTestId('usb-refused').textContent).toContain('손상');
    expect(screen.getByTestId('usb-refused').textContent).toContain('ab'.repeat(16));
  });

  it('Cancel stops a USB import and says what was kept; a closed dialog changes nothing', async () => {
    const shell = fakeShell(baseState({ phase: 'unlocked', language: 'en' }));
    applyState(shell.state);
    shell.handlers.sync_overview = () => overview();
    let stop: (error: unknown) => void = () => {};
    shell.handlers.import_bundles = () => new Promise((_, reject) => { stop = reject; });
    shell.handlers.cancel_work = () => {
      stop({ code: 'cancelled', message: 'cancelled' });
      return null;
    };
    const user = userEvent.setup();
    render(Sync);
    await screen.findByTestId('sync-no-peers');
    await user.click(screen.getByTestId('usb-import'));
    await user.click(await screen.findByTestId('usb-cancel'));
    expect((await screen.findByTestId('usb-cancelled')).textContent).toContain('import the same folder again');
    expect(screen.queryByTestId('error')).toBeNull();
    shell.handlers.export_bundles = () => null;
    await user.click(screen.getByTestId('usb-export'));
    await waitFor(() => expect(screen.queryByTestId('usb-running')).toBeNull());
    expect(screen.queryByTestId('usb-exported')).toBeNull();
    expect(screen.queryByTestId('usb-cancelled')).toBeNull();
  });
});
