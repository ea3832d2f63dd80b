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

// `{n, plural, one {# case} other {# cases}}`: the option the language's plural rules pick for
// the number `n` (`#` is the number; options may hold `{name}` parameters, not further plurals).
const pluralPattern = /\{(\w+), plural,((?:\s*\w+ \{(?:[^{}]|\{\w+\})*\})+)\s*\}/g;
const optionPattern = /(\w+) \{((?:[^{}]|\{\w+\})*)\}/g;

function choosePlural(options: string, value: number): string {
  const chosen = new Intl.PluralRules(current).select(value);
  let other = '';
  for (const [, category, text] of options.matchAll(optionPattern)) {
    if (category === chosen) return text;
    if (category === 'other') other = text;
  }
  return other;
}

/** The text for `key` in the current language, with `{name}` parameters filled in and
 * `{name, plural, …}` choices made by the language's plural rules. */
export function t(key: MessageKey, params: Record<string, string | number> = {}): string {
  const text = dictionaries[current][key] ?? en[key] ?? key;
  const chosen = text.replace(pluralPattern, (whole, name: string, options: string) => {
    if (!(name in params)) return whole;
    return choosePlural(options, Number(params[name])).replaceAll('#', String(params[name]));
  });
  return chosen.replace(/\{(\w+)\}/g, (whole, name: string) => (name in params ? String(params[name]) : whole));
}

/** The parameter names a message uses (plain and plural). */
export function messageParams(text: string): string[] {
  return [...new Set([...text.matchAll(/\{(\w+)(?:\}|, plural,)/g)].map((m) => m[1]))].sort();
}

/** Whether `key` names a message (for codes that come from Rust). */
export function hasMessage(key: string): key is MessageKey {
  return key in en;
}
