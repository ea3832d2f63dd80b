// The app's panic wipe (opt-in): the gesture chosen in Settings, read from the open vault, so
// the top bar knows whether to offer the Wipe button. Nothing of it is kept outside the vault.
import { api, type WipeGesture } from './api';

export const panicWipe = $state<{ gesture: WipeGesture | null }>({ gesture: null });

/** Reads the gesture from the open vault (none when the vault cannot say). */
export async function loadPanicWipe(): Promise<void> {
  try {
    panicWipe.gesture = (await api.vaultStatus()).panic_wipe;
  } catch {
    panicWipe.gesture = null;
  }
}

/** Whether `typed` is the confirmation word, in either language. */
export function isWipeWord(typed: string): boolean {
  const word = typed.trim();
  return word.toUpperCase() === 'WIPE' || word === '삭제';
}

/** How long the hold gesture lasts. */
export const HOLD_MS = 3000;
