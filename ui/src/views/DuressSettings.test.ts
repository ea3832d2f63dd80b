import { describe, expect, it } from 'vitest';
import { render, screen } from '@testing-library/svelte';
import userEvent from '@testing-library/user-event';
import DuressSettings from './DuressSettings.svelte';
import { applyState } from '../lib/app.svelte';
import { baseState, fakeShell } from '../lib/test-ipc';
import type { VaultStatus } from '../lib/api';

function status(duress: boolean): VaultStatus {
  return {
    format_version: 3, schema_version: 11, kdf_memory_mib: 256, kdf_iterations: 3, insecure_kdf: false,
    device_id: 'd'.repeat(32), case_count: 2, unlock_limit: null, unlock_limit_min: 3, unlock_limit_max: 100, duress, panic_wipe: null,
  };
}

describe('duress passphrase settings', () => {
  it('explains what it does and does not do, then sets it with a decoy from another vault', async () => {
    const shell = fakeShell(baseState({ phase: 'unlocked', language: 'en' }));
    applyState(shell.state);
    let duress = false;
    shell.handlers.vault_status = () => status(duress);
    shell.handlers.set_duress = (args) => {
      if (args.current !== 'right passphrase') throw { code: 'wrong_passphrase', message: 'x' };
      duress = true;
      return 3;
    };
    const user = userEvent.setup();
    render(DuressSettings, { props: { status: status(false) } });
    const card = screen.getByTestId('duress');
    expect(card.textContent).toContain('destroys this vault');
    expect(card.textContent).toContain('copied before');
    expect(screen.getByTestId('duress-state').textContent).toBe('Off.');
    expect(screen.queryByTestId('duress-remove')).toBeNull();

    await user.type(screen.getByTestId('duress-current'), 'wrong one');
    await user.type(screen.getByTestId('duress-new'), 'a long duress passphrase');
    await user.type(screen.getByTestId('duress-again'), 'a long duress passphrase');
    await user.click(screen.getByTestId('duress-save'));
    expect((await screen.findByTestId('error')).textContent).toMatch(/passphrase is wrong/);
    expect(duress).toBe(false);
    expect((screen.getByTestId('duress-new') as HTMLInputElement).value).toBe('');

    await user.type(screen.getByTestId('duress-current'), 'right passphrase');
    await user.type(screen.getByTestId('duress-new'), 'a long duress passphrase');
    await user.type(screen.getByTestId('duress-again'), 'a long duress passphrase');
    await user.click(screen.getByTestId('duress-from-vault'));
    expect((screen.getByTestId('duress-save') as HTMLButtonElement).disabled).toBe(true);
    await user.type(screen.getByTestId('duress-source-passphrase'), 'decoy vault passphrase');
    await user.click(screen.getByTestId('duress-save'));
    expect((await screen.findByTestId('duress-saved')).textContent).toContain('a decoy with 3 cases');
    expect(shell.calls.filter((c) => c.cmd === 'set_duress').at(-1)?.args).toEqual({
      current: 'right passphrase', duress: 'a long duress passphrase', duressAgain: 'a long duress passphrase',
      decoyFromFolder: true, decoyPassphrase: 'decoy vault passphrase',
    });
    expect(screen.getByTestId('duress-state').textContent).toBe('On.');
    expect(screen.getByTestId('duress-remove')).toBeTruthy();
  });

  it('says so when the folder dialog was closed, and removes it with the current passphrase', async () => {
    const shell = fakeShell(baseState({ phase: 'unlocked', language: 'en' }));
    applyState(shell.state);
    let duress = true;
    shell.handlers.vault_status = () => status(duress);
    shell.handlers.remove_duress = () => {
      duress = false;
      return null;
    };
    const user = userEvent.setup();
    render(DuressSettings, { props: { status: status(true) } });
    await user.type(screen.getByTestId('duress-current'), 'right passphrase');
    await user.click(screen.getByTestId('duress-remove'));
    expect((await screen.findByTestId('duress-removed')).textContent).toContain('opens nothing');
    expect(screen.getByTestId('duress-state').textContent).toBe('Off.');
    expect(shell.calls.find((c) => c.cmd === 'remove_duress')?.args).toEqual({ current: 'right passphrase' });
  });
});
