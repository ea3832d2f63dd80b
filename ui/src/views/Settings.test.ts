import { describe, expect, it, vi } from 'vitest';
import { render, screen } from '@testing-library/svelte';
import userEvent from '@testing-library/user-event';
import Settings from './Settings.svelte';
import LanguageSwitch from '../components/LanguageSwitch.svelte';
import { applyState } from '../lib/app.svelte';
import { baseState, fail, fakeShell } from '../lib/test-ipc';

describe('settings', () => {
  it('saves the auto-lock minutes, starting at the minimum the shell allows', async () => {
    const shell = fakeShell(baseState({ phase: 'unlocked', language: 'en' }));
    applyState(shell.state);
    const user = userEvent.setup();
    render(Settings);
    const described = screen.getByTestId('worker-name').getAttribute('aria-describedby') ?? '';
    expect(document.getElementById(described)?.textContent).toMatch(/never your real name/);
    const select = screen.getByTestId('autolock-minutes') as HTMLSelectElement;
    expect([...select.options].map((o) => o.value)[0]).toBe('1');
    await user.selectOptions(select, '1');
    expect(await screen.findByTestId('settings-saved')).toBeTruthy();
    expect(shell.calls.find((c) => c.cmd === 'set_settings')?.args).toEqual({ language: null, autoLockMinutes: 1 });
  });

  it('shows the language the switch at the top chose, and the switch shows what settings chose', async () => {
    const shell = fakeShell(baseState({ phase: 'unlocked', language: 'en' }));
    applyState(shell.state);
    const user = userEvent.setup();
    render(LanguageSwitch);
    render(Settings);
    const choice = screen.getByTestId('language-choice') as HTMLSelectElement;
    expect(choice.value).toBe('system');
    await user.click(screen.getByTestId('lang-ko'));
    await vi.waitFor(() => expect(choice.value).toBe('ko'));
    await user.selectOptions(choice, 'en');
    await vi.waitFor(() => expect(screen.getByTestId('lang-en').getAttribute('aria-pressed')).toBe('true'));
    expect(shell.calls.filter((c) => c.cmd === 'set_settings').map((c) => c.args.language)).toEqual(['ko', 'en']);
  });

  it('changes the passphrase only with the current one, and says why not', async () => {
    const shell = fakeShell(baseState({ phase: 'unlocked', language: 'en' }));
    applyState(shell.state);
    shell.handlers.change_passphrase = fail('wrong_passphrase');
    const user = userEvent.setup();
    render(Settings);
    await user.type(screen.getByTestId('current-passphrase'), 'old one');
    await user.type(screen.getByTestId('changed-passphrase'), 'a much longer new one');
    await user.type(screen.getByTestId('changed-passphrase-again'), 'a much longer new one');
    await user.click(screen.getByTestId('change-passphrase'));
    expect((await screen.findByTestId('error')).textContent).toMatch(/passphrase is wrong/);
    expect((screen.getByTestId('current-passphrase') as HTMLInputElement).value).toBe('');
  });

  it('turns the failed-unlock wipe on only with the current passphrase, and explains what it does not stop', async () => {
    const shell = fakeShell(baseState({ phase: 'unlocked', language: 'en' }));
    applyState(shell.state);
    let limit: number | null = null;
    shell.handlers.vault_status = () => ({
      format_version: 3, schema_version: 10, kdf_memory_mib: 256, kdf_iterations: 3, insecure_kdf: false,
      device_id: 'd'.repeat(32), case_count: 2, unlock_limit: limit, unlock_limit_min: 3, unlock_limit_max: 100, duress: false, panic_wipe: null,
    });
    shell.handlers.set_unlock_limit = (args) => {
      if (args.current !== 'right passphrase') throw { code: 'wrong_passphrase', message: 'x' };
      limit = args.limit as number | null;
      return null;
    };
    const user = userEvent.setup();
    render(Settings);
    const card = await screen.findByTestId('unlock-limit');
    expect(card.textContent).toContain('copies the vault');
    expect((screen.getByTestId('unlock-limit-choice') as HTMLSelectElement).value).toBe('off');
    await user.selectOptions(screen.getByTestId('unlock-limit-choice'), '5');
    await user.type(screen.getByTestId('unlock-limit-passphrase'), 'wrong one');
    await user.click(screen.getByTestId('unlock-limit-save'));
    expect((await screen.findByTestId('error')).textContent).toMatch(/passphrase is wrong/);
    expect(limit).toBeNull();
    await user.type(screen.getByTestId('unlock-limit-passphrase'), 'right passphrase');
    await user.click(screen.getByTestId('unlock-limit-save'));
    expect((await screen.findByTestId('unlock-limit-saved')).textContent).toContain('after 5 failed unlocks');
    expect(limit).toBe(5);
    expect((screen.getByTestId('unlock-limit-passphrase') as HTMLInputElement).value).toBe('');
  });

  it('saves a neutral window title through the shell, which sets it from every start on', async () => {
    const shell = fakeShell(baseState({ phase: 'unlocked', language: 'en' }));
    applyState(shell.state);
    const user = userEvent.setup();
    render(Settings);
    const choice = screen.getByTestId('window-title') as HTMLSelectElement;
    expect(choice.value).toBe('app');
    expect(document.getElementById(choice.getAttribute('aria-describedby') ?? '')?.textContent).toMatch(/before any unlock/);
    await user.selectOptions(choice, 'notes');
    expect(await screen.findByTestId('settings-saved')).toBeTruthy();
    expect(shell.calls.filter((c) => c.cmd === 'set_window_title').map((c) => c.args)).toEqual([{ title: 'notes' }]);
    // The page never sets the title itself (the shell does, in the language shown).
    expect(shell.calls.some((c) => c.cmd.startsWith('plugin:window'))).toBe(false);
    await user.selectOptions(choice, 'app');
    await vi.waitFor(() => expect(shell.calls.filter((c) => c.cmd === 'set_window_title').map((c) => c.args.title)).toEqual(['notes', 'app']));
  });

  it('shows the title the shell reports', async () => {
    const shell = fakeShell(baseState({ phase: 'unlocked', language: 'en', window_title: 'notes' }));
    applyState(shell.state);
    render(Settings);
    expect((screen.getByTestId('window-title') as HTMLSelectElement).value).toBe('notes');
  });

  it('turns the lock from anywhere on, explained first, and says what the desktop allowed', async () => {
    const shell = fakeShell(baseState({ phase: 'unlocked', language: 'en' }));
    applyState(shell.state);
    const user = userEvent.setup();
    render(Settings);
    const card = screen.getByTestId('lock-anywhere');
    expect(card.textContent).toContain('Wayland');
    expect(card.textContent).toContain('cairn lock');
    expect(screen.getByTestId('lock-anywhere-state').textContent).toContain('Off');
    const toggle = screen.getByTestId('lock-anywhere-toggle') as HTMLInputElement;
    expect(toggle.checked).toBe(false);
    await user.click(toggle);
    await vi.waitFor(() => expect(screen.getByTestId('lock-anywhere-state').textContent).toContain('Ctrl+Shift+L locks from any program'));
    expect(screen.getByTestId('lock-anywhere-tray').textContent).toContain('tray icon is shown');
    expect(shell.calls.filter((c) => c.cmd === 'set_lock_anywhere').map((c) => c.args)).toEqual([{ enabled: true }]);
    await user.click(toggle);
    await vi.waitFor(() => expect(screen.getByTestId('lock-anywhere-state').textContent).toContain('Off'));
    expect(shell.calls.filter((c) => c.cmd === 'set_lock_anywhere').map((c) => c.args)).toEqual([{ enabled: true }, { enabled: false }]);
  });

  it('says so when the desktop (Wayland) lets no program grab the shortcut, or has no tray', async () => {
    const shell = fakeShell(baseState({ phase: 'unlocked', language: 'ko', lock_anywhere: { enabled: true, shortcut: 'wayland', tray: false } }));
    applyState(shell.state);
    render(Settings);
    const state = screen.getByTestId('lock-anywhere-state');
    expect(state.textContent).toContain('Wayland');
    expect(state.className).toContain('warn');
    expect((screen.getByTestId('lock-anywhere-toggle') as HTMLInputElement).checked).toBe(true);
    expect(screen.getByTestId('lock-anywhere-tray').textContent).toContain('트레이 아이콘 없음');
  });

  it('saves the worker name by itself once typing stops, like the case details; an emptied name waits', async () => {
    const shell = fakeShell(baseState({ phase: 'unlocked', language: 'en' }));
    shell.handlers.worker_name = () => 'device 1';
    applyState(shell.state);
    const user = userEvent.setup();
    render(Settings);
    const input = screen.getByTestId('worker-name') as HTMLInputElement;
    await vi.waitFor(() => expect(input.value).toBe('device 1'));
    expect(screen.queryByTestId('worker-save')).toBeNull();
    await user.clear(input);
    expect(screen.getByTestId('worker-name-status').textContent).toContain('Type a name');
    await user.type(input, 'laptop B');
    await vi.waitFor(() => expect(screen.getByTestId('worker-name-status').dataset.status).toBe('saved'), { timeout: 3000 });
    expect(shell.calls.filter((c) => c.cmd === 'set_worker_name').map((c) => c.args.name)).toEqual(['laptop B']);
  });
});
