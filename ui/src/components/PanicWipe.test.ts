import { describe, expect, it, vi } from 'vitest';
import { fireEvent, render, screen } from '@testing-library/svelte';
import userEvent from '@testing-library/user-event';
import PanicWipe from './PanicWipe.svelte';
import PanicWipeSettings from '../views/PanicWipeSettings.svelte';
import { applyState } from '../lib/app.svelte';
import { HOLD_MS, isWipeWord, panicWipe } from '../lib/panic-wipe.svelte';
import { baseState, fakeShell } from '../lib/test-ipc';
import type { VaultStatus, WipeGesture } from '../lib/api';

function status(panic_wipe: WipeGesture | null): VaultStatus {
  return {
    format_version: 3, schema_version: 11, kdf_memory_mib: 256, kdf_iterations: 3, insecure_kdf: false,
    device_id: 'd'.repeat(32), case_count: 2, unlock_limit: null, unlock_limit_min: 3, unlock_limit_max: 100,
    duress: false, panic_wipe,
  };
}

describe('panic wipe in the app', () => {
  it('takes the confirmation word in either language, and nothing else', () => {
    expect(['WIPE', 'wipe', ' 삭제 '].every(isWipeWord)).toBe(true);
    expect(['', 'WIP', '삭', 'delete'].some(isWipeWord)).toBe(false);
  });

  it('is off until turned on in Settings with the current passphrase; then the top bar offers it', async () => {
    const shell = fakeShell(baseState({ phase: 'unlocked', language: 'en' }));
    applyState(shell.state);
    let gesture: WipeGesture | null = null;
    shell.handlers.vault_status = () => status(gesture);
    shell.handlers.set_panic_wipe = (args) => {
      if (args.current !== 'right passphrase') throw { code: 'wrong_passphrase', message: 'x' };
      gesture = args.gesture as WipeGesture | null;
      return null;
    };
    panicWipe.gesture = null;
    const user = userEvent.setup();
    render(PanicWipe);
    render(PanicWipeSettings, { props: { status: status(null) } });
    expect(screen.queryByTestId('wipe')).toBeNull();
    expect(screen.getByTestId('panic-wipe').textContent).toContain('cannot erase copies');
    await user.selectOptions(screen.getByTestId('panic-wipe-gesture'), 'type_word');
    await user.type(screen.getByTestId('panic-wipe-passphrase'), 'wrong one');
    await user.click(screen.getByTestId('panic-wipe-save'));
    expect((await screen.findByTestId('error')).textContent).toMatch(/passphrase is wrong/);
    expect(screen.queryByTestId('wipe')).toBeNull();
    await user.type(screen.getByTestId('panic-wipe-passphrase'), 'right passphrase');
    await user.click(screen.getByTestId('panic-wipe-save'));
    expect((await screen.findByTestId('panic-wipe-saved')).textContent).toContain('top of every screen');
    expect(gesture).toBe('type_word');
    expect(screen.getByTestId('wipe')).toBeTruthy();
  });

  it('wipes only after the word is typed, and can be cancelled', async () => {
    const shell = fakeShell(baseState({ phase: 'unlocked', language: 'ko' }));
    applyState(shell.state);
    shell.handlers.panic_wipe = () => 1;
    panicWipe.gesture = 'type_word';
    const user = userEvent.setup();
    render(PanicWipe);
    await user.click(screen.getByTestId('wipe'));
    expect(screen.getByTestId('wipe-dialog').textContent).toContain('되돌릴 수 없습니다');
    await user.click(screen.getByTestId('wipe-cancel'));
    expect(screen.queryByTestId('wipe-dialog')).toBeNull();
    await user.click(screen.getByTestId('wipe'));
    const confirm = screen.getByTestId('wipe-confirm') as HTMLButtonElement;
    await user.type(screen.getByTestId('wipe-word'), '삭');
    expect(confirm.disabled).toBe(true);
    expect(shell.calls.some((c) => c.cmd === 'panic_wipe')).toBe(false);
    await user.type(screen.getByTestId('wipe-word'), '제');
    await user.click(confirm);
    await vi.waitFor(() => expect(shell.calls.some((c) => c.cmd === 'panic_wipe')).toBe(true));
    await vi.waitFor(() => expect(shell.calls.some((c) => c.cmd === 'app_state')).toBe(true));
  });

  it('with the hold gesture, wipes only after the button was held the whole time', async () => {
    vi.useFakeTimers();
    try {
      const shell = fakeShell(baseState({ phase: 'unlocked', language: 'en' }));
      applyState(shell.state);
      shell.handlers.panic_wipe = () => 1;
      panicWipe.gesture = 'hold_button';
      render(PanicWipe);
      await fireEvent.click(screen.getByTestId('wipe'));
      const hold = screen.getByTestId('wipe-hold');
      await fireEvent.pointerDown(hold);
      vi.advanceTimersByTime(HOLD_MS - 500);
      await fireEvent.pointerUp(hold);
      vi.advanceTimersByTime(HOLD_MS);
      expect(shell.calls.some((c) => c.cmd === 'panic_wipe')).toBe(false);
      await fireEvent.pointerDown(hold);
      expect(hold.textContent).toContain('Keep holding');
      vi.advanceTimersByTime(HOLD_MS);
      await vi.waitFor(() => expect(shell.calls.some((c) => c.cmd === 'panic_wipe')).toBe(true));
    } finally {
      vi.useRealTimers();
    }
  });
});
