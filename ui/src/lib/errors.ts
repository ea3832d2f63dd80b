// Turns a command error into a sentence in the user's language: what happened, what to do.
import { hasMessage, t } from './i18n.svelte';
import { isCommandError } from './api';

export function errorText(error: unknown, params: Record<string, string | number> = {}): string {
  const code = isCommandError(error) ? error.code : 'internal';
  const key = `error.${code}`;
  if (hasMessage(key)) return t(key, params);
  return t('error.unknown', { code });
}
