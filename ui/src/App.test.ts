import { describe, expect, it, vi } from 'vitest';
import { render, screen } from '@testing-library/svelte';
import userEvent from '@testing-library/user-event';
import App from './App.svelte';
import { emit } from '@tauri-apps/api/event';
import { VAULT_LOCKED_EVENT, type CaseDetail, type CaseSummary } from './lib/api';
import { baseState, fakeShell } from './lib/test-ipc';

describe('app', () => {
  it('starts in the language the shell reports and switches language everywhere', async () => {
    const shell = fakeShell(baseState({ phase: 'locked', language: 'ko' }));
    const user = userEvent.setup();
    render(App);
    expect((await screen.findByRole('heading')).textContent).toBe('케언 잠금 해제');
    await user.click(screen.getByTestId('lang-en'));
    expect(screen.getByRole('heading').textContent).toBe('Unlock Cairn');
    expect(shell.calls.find((c) => c.cmd === 'set_settings')?.args).toEqual({ language: 'en', autoLockMinutes: 5 });
  });

  it('shows first run without a vault, and the test-mode warning', async () => {
    fakeShell(baseState({ phase: 'no_vault', language: 'en', test_mode: true }));
    render(App);
    expect(await screen.findByTestId('first-run')).toBeTruthy();
    expect(screen.getByTestId('test-mode').textContent).toMatch(/TEST MODE/);
  });

  it('warns on every screen when the roster expired, and says nothing while it is valid', async () => {
    const shell = fakeShell(baseState({ phase: 'unlocked', language: 'en' }));
    shell.handlers.roster_expiry = () => ({ status: 'expired', at: 1_700_000_000_000 });
    const { unmount } = render(App);
    const banner = await screen.findByTestId('roster-expiry');
    expect(banner.dataset.status).toBe('expired');
    expect(banner.textContent).toContain('only with HQ devices');
    unmount();
    shell.handlers.roster_expiry = () => ({ status: 'valid', at: null });
    render(App);
    expect(await screen.findByTestId('shell')).toBeTruthy();
    expect(screen.queryByTestId('roster-expiry')).toBeNull();
  });

  it('says nothing before unlock of what the laptop holds', async () => {
    for (const language of ['en', 'ko'] as const) {
      fakeShell(baseState({ phase: 'locked', language }));
      const { unmount } = render(App);
      await screen.findByTestId('unlock-screen');
      expect(document.body.textContent).not.toMatch(/case|사례|사건|documentation|기록/i);
      unmount();
    }
  });

  it('shows the panic lock as an ordinary lock on the unlock screen', async () => {
    fakeShell(baseState({ phase: 'locked', language: 'en', last_lock: 'panic' }));
    render(App);
    expect((await screen.findByTestId('locked-user')).textContent).not.toMatch(/panic/i);
  });

  it('locks from the navigation and drops every view', async () => {
    const shell = fakeShell(baseState({ phase: 'unlocked', language: 'en' }));
    shell.handlers.lock = () => {
      shell.state = { ...shell.state, phase: 'locked', last_lock: 'user' };
      return null;
    };
    const user = userEvent.setup();
    render(App);
    await user.click(await screen.findByTestId('nav-settings'));
    expect(screen.getByTestId('settings')).toBeTruthy();
    await user.click(screen.getByTestId('lock'));
    expect(await screen.findByTestId('unlock-screen')).toBeTruthy();
    expect(screen.queryByTestId('shell')).toBeNull();
    expect(screen.queryByTestId('settings')).toBeNull();
    expect(screen.getByTestId('locked-user')).toBeTruthy();
  });

  it('returns to unlock when any command answers that the vault is locked', async () => {
    const shell = fakeShell(baseState({ phase: 'unlocked', language: 'en' }));
    shell.handlers.vault_status = () => {
      shell.state = { ...shell.state, phase: 'locked', last_lock: 'idle' };
      throw { code: 'locked', message: 'the vault is locked' };
    };
    const user = userEvent.setup();
    render(App);
    await user.click(await screen.findByTestId('nav-settings'));
    expect(await screen.findByTestId('locked-idle')).toBeTruthy();
    expect(screen.queryByTestId('shell')).toBeNull();
  });

  it('returns to unlock when the Rust idle timer announces the lock', async () => {
    const shell = fakeShell(baseState({ phase: 'unlocked', language: 'ko' }));
    render(App);
    expect(await screen.findByTestId('shell')).toBeTruthy();
    shell.state = { ...shell.state, phase: 'locked', last_lock: 'idle', auto_lock_minutes: 1 };
    await emit(VAULT_LOCKED_EVENT, 'idle');
    expect((await screen.findByTestId('locked-idle')).textContent).toContain('1분');
    expect(screen.queryByTestId('shell')).toBeNull();
  });

  it('names the case of a recovered recording, leads to it, and shows it once', async () => {
    const shell = fakeShell(baseState({ phase: 'unlocked', language: 'en' }));
    const id = 'a'.repeat(32);
    const summary: CaseSummary = {
      id, title: 'Tumen crossing', status: 'draft', risk: 'high', created_at: 1, updated_at: 1, persons: 0, testimonies: 0, events: 0,
      notes: 0, attachments: 1, conflicts: 0, tags: [], act_types: [], first_date: null, last_date: null, handover: 'draft',
    };
    const attachment = {
      id: 'r1', file_name: 'recording.m4a', media_type: 'audio/mp4', stored_size: 3, metadata: 'recorded_interrupted', added_at: 0, added_by: 'w', arrived: true, testimony: null,
    };
    const detail: CaseDetail = {
      id, title: 'Tumen crossing', status: 'draft', risk: 'high', team: '', tags: [], created_at: 1, created_by: 'w', updated_at: 1,
      persons: [], testimonies: [], events: [], notes: [], attachments: [attachment], conflicts: 0,
    };
    let recovered = [{ case_id: id, attachment }];
    shell.handlers.recover_recordings = () => {
      const once = recovered;
      recovered = [];
      return once;
    };
    shell.handlers.list_cases = () => [summary];
    shell.handlers.open_case = () => detail;
    const user = userEvent.setup();
    render(App);
    const banner = await screen.findByTestId('recordings-recovered');
    expect(banner.textContent).toContain('A recording that was cut off');
    expect(screen.getByTestId('recovered-open').textContent).toBe('Open “Tumen crossing”');
    await user.click(screen.getByTestId('recovered-open'));
    expect((await screen.findByTestId('case-title')).textContent).toBe('Tumen crossing');
    expect(screen.getByTestId('tab-attachments').getAttribute('aria-selected')).toBe('true');
    expect(screen.queryByTestId('recordings-recovered')).toBeNull();
    await user.click(screen.getByTestId('nav-team'));
    expect(screen.queryByTestId('recordings-recovered')).toBeNull();
  });

  it('drops the recovered-recording notice when closed, or at the next move', async () => {
    for (const dismiss of ['recovered-close', 'nav-settings']) {
      const shell = fakeShell(baseState({ phase: 'unlocked', language: 'ko' }));
      shell.handlers.recover_recordings = () => [
        { case_id: 'b'.repeat(32), attachment: { id: 'r1', file_name: 'x', media_type: 'audio/mp4', stored_size: 3, metadata: 'recorded_interrupted', added_at: 0, added_by: 'w', arrived: true, testimony: null } },
      ];
      shell.handlers.list_cases = () => [];
      const user = userEvent.setup();
      const { unmount } = render(App);
      expect((await screen.findByTestId('recordings-recovered')).textContent).toContain('“알 수 없음” 열기');
      await user.click(screen.getByTestId(dismiss));
      expect(screen.queryByTestId('recordings-recovered')).toBeNull();
      unmount();
    }
  });
});
