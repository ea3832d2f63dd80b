import { describe, expect, it } from 'vitest';
import { render, screen } from '@testing-library/svelte';
import userEvent from '@testing-library/user-event';
import RekeySettings from './RekeySettings.svelte';
import { applyState } from '../lib/app.svelte';
import { baseState, fail, fakeShell } from '../lib/test-ipc';

const CODE = 'ABCD-EFGH-JKMN-PQRS-TVWX-YZ23-4567-89AB';

async function fill(user: ReturnType<typeof userEvent.setup>, typed: string) {
  if (typed) await user.type(screen.getByTestId('rekey-typed'), typed);
  await user.type(screen.getByTestId('rekey-current'), 'the current passphrase');
  await user.type(screen.getByTestId('rekey-new'), 'a much longer new one');
  await user.type(screen.getByTestId('rekey-new-again'), 'a much longer new one');
}

describe('re-key', () => {
  it('shows the new recovery code first, and runs only with it typed back and the passphrases', async () => {
    const shell = fakeShell(baseState({ phase: 'unlocked', language: 'en' }));
    applyState(shell.state);
    shell.handlers.begin_rekey = () => ({ code: CODE });
    shell.handlers.rekey = fail('recovery_code_mismatch');
    const user = userEvent.setup();
    render(RekeySettings);
    expect(screen.queryByTestId('rekey-code')).toBeNull();
    await user.click(screen.getByTestId('rekey-start'));
    expect((await screen.findByTestId('rekey-code')).textContent).toBe(CODE);
    const run = screen.getByTestId('rekey-run') as HTMLButtonElement;
    expect(run.disabled).toBe(true);
    await fill(user, 'not the code');
    expect(run.disabled).toBe(false);
    await user.click(run);
    expect((await screen.findByTestId('error')).textContent).toMatch(/not the code shown/);
    expect(screen.getByTestId('rekey-code').textContent).toBe(CODE);
    expect((screen.getByTestId('rekey-current') as HTMLInputElement).value, 'passphrases are not kept after a try').toBe('');

    shell.handlers.rekey = () => null;
    await fill(user, '');
    await user.click(screen.getByTestId('rekey-run'));
    expect((await screen.findByTestId('rekey-done')).textContent).toMatch(/Only the new passphrase and the new recovery code/);
    expect(screen.queryByTestId('rekey-code')).toBeNull();
    expect(shell.calls.filter((c) => c.cmd === 'rekey').at(-1)?.args).toEqual({
      current: 'the current passphrase',
      code: 'not the code',
      passphrase: 'a much longer new one',
      passphraseAgain: 'a much longer new one',
    });
  });

  it('forgets a started re-key on cancel, and says when the vault is open elsewhere', async () => {
    const shell = fakeShell(baseState({ phase: 'unlocked', language: 'en' }));
    applyState(shell.state);
    shell.handlers.begin_rekey = () => ({ code: CODE });
    shell.handlers.cancel_rekey = () => null;
    shell.handlers.rekey = fail('vault_in_use');
    const user = userEvent.setup();
    render(RekeySettings);
    await user.click(screen.getByTestId('rekey-start'));
    await fill(user, CODE);
    await user.click(screen.getByTestId('rekey-run'));
    expect((await screen.findByTestId('error')).textContent).toMatch(/open in another Cairn window/);
    await user.click(screen.getByTestId('rekey-cancel'));
    expect(screen.queryByTestId('rekey-code')).toBeNull();
    expect(shell.calls.some((c) => c.cmd === 'cancel_rekey')).toBe(true);
  });
});
