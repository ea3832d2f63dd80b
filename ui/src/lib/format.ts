import { language, t } from './i18n.svelte';

/** The name an edit, note or attachment was recorded under, in the language shown: a device that
 * has no worker name set records `device-` and its id's start, which reads "기기 …" in Korean. */
export function author(name: string): string {
  const device = /^device-([0-9a-f]{8})$/.exec(name);
  return device ? t('common.device_author', { id: device[1] }) : name;
}

/** A date and time for lists ("2026-11-22 14:05"), in local time. */
export function when(ms: number): string {
  if (!ms) return '';
  const d = new Date(ms);
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

export function bytes(n: number): string {
  const units = language() === 'ko' ? ['바이트', 'KB', 'MB', 'GB'] : ['bytes', 'KB', 'MB', 'GB'];
  let value = n;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${unit === 0 ? value : value.toFixed(1)} ${units[unit]}`;
}

/** Languages a testimony is most often given in, first in the picker (ISO 639-1 codes). */
export const TESTIMONY_LANGUAGES = ['ko', 'zh', 'en', 'ru', 'ja'];

/** A language code's name in the current UI language ("ko" → "한국어" or "Korean"); the code
 * itself when the platform does not know it (older free-text values stay readable). */
export function languageName(code: string): string {
  if (!code) return '';
  try {
    return new Intl.DisplayNames([language()], { type: 'language' }).of(code) ?? code;
  } catch {
    return code;
  }
}

/** Elapsed seconds as minutes and seconds ("1:05"). */
export function clock(total: number): string {
  return `${Math.floor(total / 60)}:${String(total % 60).padStart(2, '0')}`;
}
