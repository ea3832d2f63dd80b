// A fake shell for component tests: answers the commands the UI sends, records them, and can
// be told to fail a command with a given error code.
import { mockIPC } from '@tauri-apps/api/mocks';
import type { AppState } from './api';

export interface FakeShell {
  calls: { cmd: string; args: Record<string, unknown> }[];
  state: AppState;
  handlers: Record<string, (args: Record<string, unknown>) => unknown>;
}

export function baseState(overrides: Partial<AppState> = {}): AppState {
  return {
    phase: 'locked',
    language: 'en',
    language_choice: null,
    auto_lock_minutes: 5,
    min_auto_lock_minutes: 1,
    max_auto_lock_minutes: 60,
    min_passphrase_chars: 12,
    test_mode: false,
    last_lock: null,
    window_title: 'app',
    lock_anywhere: { enabled: false, shortcut: 'off', tray: false },
    ...overrides,
  };
}

export function fakeShell(state: AppState = baseState()): FakeShell {
  const shell: FakeShell = { calls: [], state, handlers: {} };
  mockIPC((cmd, payload) => {
    const args = (payload ?? {}) as Record<string, unknown>;
    shell.calls.push({ cmd, args });
    if (cmd in shell.handlers) return shell.handlers[cmd](args);
    if (cmd === 'app_state') return shell.state;
    if (cmd === 'vocabularies' || cmd === 'list_cases') return [];
    if (cmd === 'worker_name') return 'worker';
    if (cmd === 'roster_expiry') return { status: 'valid', at: null };
    if (cmd === 'handover_status') return { is_hq: false, policy: null, policy_days: null, cases: [], purged: 0 };
    if (cmd === 'set_window_title') {
      shell.state = { ...shell.state, window_title: args.title as 'app' | 'notes' };
      return shell.state;
    }
    if (cmd === 'set_lock_anywhere') {
      const enabled = args.enabled as boolean;
      shell.state = { ...shell.state, lock_anywhere: enabled ? { enabled, shortcut: 'active', tray: true } : { enabled, shortcut: 'off', tray: false } };
      return shell.state;
    }
    if (cmd === 'set_settings') {
      shell.state = { ...shell.state, language: (args.language as 'ko' | 'en') ?? shell.state.language, language_choice: args.language as 'ko' | 'en' | null, auto_lock_minutes: args.autoLockMinutes as number };
      return shell.state;
    }
    return null;
  }, { shouldMockEvents: true });
  return shell;
}

export function fail(code: string) {
  return () => {
    throw { code, message: code };
  };
}
