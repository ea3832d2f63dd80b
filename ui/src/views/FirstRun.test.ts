import { describe, expect, it, vi } from 'vitest';
import { render, screen } from '@testing-library/svelte';
import userEvent from '@testing-library/user-event';
import FirstRun from './FirstRun.svelte';
import { applyState } from '../lib/app.svelte';
import { baseState, fail, fakeShell } from '../lib/test-ipc';

const CODE = 'ABCD-EFGH-JKMN-PQRS-TVWX-YZ01-2345-6789';

describe('first run', () => {
  it('creates the vault, shows the recovery code once, and opens only after it is typed back', async () => {
    const shell = fakeShell(baseState({ phase: 'no_vault', language: 'en' }));
    applyState(shell.state);
    shell.handlers.create_vault = () => ({ code: CODE });
    let confirmed = false;
    shell.handlers.confirm_recovery_code = (args) => {
      if (args.typed !== CODE) throw { code: 'recovery_code_mismatch', message: '' };
      confirmed = true;
      shell.state = { ...shell.state, phase: 'unlocked' };
      return null;
    };
    const user = userEvent.setup();
    render(FirstRun);

    await user.type(screen.getByTestId('new-passphrase'), 'river crossing at dawn');
    expect(screen.getByTestId('strength').dataset.strength).not.toBe('0');
    await user.type(screen.getByTestId('new-passphrase-again'), 'river crossing');
    expect(screen.getByTestId('mismatch-hint')).toBeTruthy();
    await user.type(screen.getByTestId('new-passphrase-again'), ' at dawn');
    expect(screen.queryByTestId('mismatch-hint')).toBeNull();
    await user.click(screen.getByTestId('create-vault'));

    const shown = await screen.findByTestId('recovery-code');
    expect(shown.textContent).toBe(CODE);
    // For paper only: not selectable with a click, and a copy puts nothing on the clipboard.
    expect(shown.style.userSelect).toBe('none');
    const copy = new Event('copy', { bubbles: true, cancelable: true });
    shown.dispatchEvent(copy);
    expect(copy.defaultPrevented).toBe(true);
    const create = shell.calls.find((c) => c.cmd === 'create_vault');
    expect(create?.args).toEqual({ passphrase: 'river crossing at dawn', passphraseAgain: 'river crossing at dawn' });

    await user.click(screen.getByTestId('code-written'));
    expect(screen.queryByTestId('recovery-code')).toBeNull();
    await user.type(screen.getByTestId('confirm-code'), 'WRONG');
    await user.click(screen.getByTestId('confirm-code-submit'));
    expect((await screen.findByTestId('error')).textContent).toMatch(/not the code shown/);
    expect(confirmed).toBe(false);

    await user.clear(screen.getByTestId('confirm-code'));
    await user.type(screen.getByTestId('confirm-code'), CODE);
    await user.click(screen.getByTestId('confirm-code-submit'));
    await vi.waitFor(() => expect(confirmed).toBe(true));
    await vi.waitFor(() => expect(shell.calls.filter((c) => c.cmd === 'app_state').length).toBeGreaterThan(0));
  });

  it('explains a weak passphrase in Korean', async () => {
    const shell = fakeShell(baseState({ phase: 'no_vault', language: 'ko' }));
    applyState(shell.state);
    shell.handlers.create_vault = fail('weak_passphrase');
    const user = userEvent.setup();
    render(FirstRun);
    await user.type(screen.getByTestId('new-passphrase'), 'short');
    await user.type(screen.getByTestId('new-passphrase-again'), 'short');
    expect(screen.getByTestId('strength').textContent).toContain('너무 짧거나');
    await user.click(screen.getByTestId('create-vault'));
    expect((await screen.findByTestId('error')).textContent).toBe('암호 문구가 너무 약합니다. 서로 관계없는 여러 단어처럼 12자 이상 쓰세요.');
  });
});
