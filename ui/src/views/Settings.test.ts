import { describe, expect, it } from 'vitest';
import { render, screen } from '@testing-library/svelte';
import userEvent from '@testing-library/user-event';
import Settings from './Settings.svelte';
import { applyState } from '../lib/app.svelte';
import { baseState, fail, fakeShell } from '../lib/test-ipc';

describe('settings', () => {
  it('saves the auto-lock minutes, starting at the minimum the shell allows', async () => {
    const shell = fakeShell(baseState({ phase: 'unlocked', language: 'en' }));
    applyState(shell.state);
    const user = userEvent.setup();
    render(Settings);
    const select = screen.getByTestId('autolock-minutes') as HTMLSelectElement;
    expect([...select.options].map((o) => o.value)[0]).toBe('1');
    await user.selectOptions(select, '1');
    expect(await screen.findByTestId('settings-saved')).toBeTruthy();
    expect(shell.calls.find((c) => c.cmd === 'set_settings')?.args).toEqual({ language: null, autoLockMinutes: 1 });
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
});
