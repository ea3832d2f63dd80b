import { describe, expect, it } from 'vitest';
import { render, screen } from '@testing-library/svelte';
import userEvent from '@testing-library/user-event';
import Unlock from './Unlock.svelte';
import { applyState } from '../lib/app.svelte';
import { baseState, fail, fakeShell } from '../lib/test-ipc';

describe('unlock', () => {
  it('shows a clear message for a wrong passphrase and clears the field', async () => {
    const shell = fakeShell(baseState({ language: 'en' }));
    applyState(shell.state);
    shell.handlers.unlock = fail('wrong_passphrase');
    const user = userEvent.setup();
    render(Unlock);
    const field = screen.getByTestId('unlock-passphrase') as HTMLInputElement;
    expect(field.type).toBe('password');
    await user.type(field, 'not the passphrase');
    await user.click(screen.getByTestId('unlock'));
    expect((await screen.findByTestId('error')).textContent).toMatch(/The passphrase is wrong/);
    expect(field.value).toBe('');
    expect(shell.calls.find((c) => c.cmd === 'unlock')?.args).toEqual({ passphrase: 'not the passphrase' });
  });

  it('says the vault locked itself after the idle minutes, in Korean', () => {
    const shell = fakeShell(baseState({ language: 'ko', last_lock: 'idle', auto_lock_minutes: 1 }));
    applyState(shell.state);
    render(Unlock);
    expect(screen.getByTestId('locked-idle').textContent).toContain('1분 동안 아무 활동이 없어');
  });

  it('says the vault locked itself for sleep or a screen lock, in both languages', () => {
    applyState(fakeShell(baseState({ language: 'ko', last_lock: 'sleep' })).state);
    const sleep = render(Unlock);
    expect(screen.getByTestId('locked-sleep').textContent).toContain('절전 상태');
    sleep.unmount();
    applyState(baseState({ language: 'en', last_lock: 'screen_locked' }));
    render(Unlock);
    expect(screen.getByTestId('locked-screen').textContent).toContain('because the screen was locked');
  });

  it('opens with the recovery code and a new passphrase', async () => {
    const shell = fakeShell(baseState({ language: 'en' }));
    applyState(shell.state);
    shell.handlers.recover = fail('malformed_recovery_code');
    const user = userEvent.setup();
    render(Unlock);
    await user.click(screen.getByTestId('forgot'));
    await user.type(screen.getByTestId('recover-code'), 'ABCD');
    await user.type(screen.getByTestId('recover-passphrase'), 'a new long passphrase');
    await user.type(screen.getByTestId('recover-passphrase-again'), 'a new long passphrase');
    await user.click(screen.getByTestId('recover'));
    expect((await screen.findByTestId('error')).textContent).toMatch(/typo/);
    expect(shell.calls.find((c) => c.cmd === 'recover')?.args).toEqual({ code: 'ABCD', passphrase: 'a new long passphrase', passphraseAgain: 'a new long passphrase' });
  });
});
