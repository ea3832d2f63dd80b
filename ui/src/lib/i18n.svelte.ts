// The current language and the translation function. Reading `t(...)` in a template makes the
// template follow language changes.
import { en, ko, type MessageKey, type Messages } from './messages';

export type Lang = 'ko' | 'en';

const dictionaries: Record<Lang, Messages> = { ko, en };

let current = $state<Lang>('ko');

export function language(): Lang {
  return current;
}

export function setLanguage(lang: Lang): void {
  current = lang;
  if (typeof document !== 'undefined') document.documentElement.lang = lang;
}

/** The text for `key` in the current language, with `{name}` parameters filled in. */
export function t(key: MessageKey, params: Record<string, string | number> = {}): string {
  const text = dictionaries[current][key] ?? en[key] ?? key;
  return text.replace(/\{(\w+)\}/g, (whole, name: string) => (name in params ? String(params[name]) : whole));
}

/** Whether `key` names a message (for codes that come from Rust). */
export function hasMessage(key: string): key is MessageKey {
  return key in en;
}
