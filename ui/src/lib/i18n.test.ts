import { describe, expect, it } from 'vitest';
import { en, ko } from './messages';
import { messageParams, setLanguage, t } from './i18n.svelte';
import { errorText } from './errors';

describe('messages', () => {
  it('Korean and English have the same keys, and no text is empty', () => {
    expect(Object.keys(ko).sort()).toEqual(Object.keys(en).sort());
    for (const [key, text] of [...Object.entries(en), ...Object.entries(ko)]) {
      expect(text.trim(), key).not.toBe('');
    }
  });

  it('every parameter in English exists in Korean too', () => {
    for (const key of Object.keys(en) as (keyof typeof en)[]) {
      expect(messageParams(ko[key]), key).toEqual(messageParams(en[key]));
    }
  });

  it('Korean texts are really in Korean', () => {
    const hangul = /[\uAC00-\uD7A3]/;
    const words = (text: string) => text.replace(/\{\w+\}/g, '').replace(/[^\p{L}]/gu, '');
    const untranslated = Object.entries(ko).filter(
      ([key, text]) => words(text) !== '' && !hangul.test(text) && !key.startsWith('lang.') && key !== 'settings.vault_kdf_value',
    );
    expect(untranslated).toEqual([]);
  });
});

describe('Korean glossary (docs/glossary.md)', () => {
  // One word per concept, and never a word that means something else.
  const avoid: [RegExp, string][] = [
    [/암호문/, '암호 문구 (암호문 is ciphertext)'],
    [/조정자/, '코디네이터'],
    [/지문/, '확인 번호'],
    [/금고/, '보관함 (one word for the vault)'],
    [/사건 경위/, '사건 (an event)'],
  ];
  it('holds every Korean text to the glossary', () => {
    for (const [key, text] of Object.entries(ko)) {
      for (const [word, instead] of avoid) {
        expect(word.test(text), `${key}: use ${instead}`).toBe(false);
      }
    }
  });

  it('says 사례 for a case and 사건 for an event, never the other way round', () => {
    // One word each: a case (the folder of a whole story) is 사례; an event (one thing that
    // happened, with a date and acts) is 사건. Both in one text need both in the English.
    const wrong: string[] = [];
    for (const key of Object.keys(en) as (keyof typeof en)[]) {
      const english = en[key];
      const korean = ko[key];
      const saysEvent = /\bevents?\b/i.test(english);
      const saysCase = /\bcases?\b/i.test(english);
      if (korean.includes('사건') && !saysEvent) wrong.push(`${key}: 사건 is an event; a case is 사례`);
      if (korean.includes('사례') && !saysCase) wrong.push(`${key}: 사례 is a case; an event is 사건`);
      if (saysEvent && !korean.includes('사건')) wrong.push(`${key}: an event is 사건`);
      if (saysCase && !korean.includes('사례')) wrong.push(`${key}: a case is 사례`);
    }
    expect(wrong).toEqual([]);
    expect(ko['nav.cases']).toBe('사례');
    expect(ko['cases.new']).toBe('새 사례');
    expect(ko['event.add']).toBe('사건 추가');
  });

  it('never says cancel (취소) for revoking a device', () => {
    const revoking = Object.entries(en).filter(([, text]) => /revoke/i.test(text)).map(([key]) => key);
    expect(revoking.length).toBeGreaterThan(5);
    for (const key of revoking) {
      expect(ko[key as keyof typeof ko], key).not.toMatch(/취소/);
    }
  });
});

describe('t', () => {
  it('fills parameters and follows the language', () => {
    setLanguage('en');
    expect(t('settings.autolock_minutes', { n: 5 })).toBe('5 min');
    setLanguage('ko');
    expect(t('settings.autolock_minutes', { n: 5 })).toBe('5분');
    expect(document.documentElement.lang).toBe('ko');
  });

  it('chooses plural forms by the rules of the language', () => {
    setLanguage('en');
    expect(t('cases.search_results', { n: 1 })).toBe('1 case found');
    expect(t('cases.search_results', { n: 0 })).toBe('0 cases found');
    expect(t('cases.search_results', { n: 12 })).toBe('12 cases found');
    expect(t('cases.counts', { persons: 1, testimonies: 2, events: 1, notes: 0 })).toBe(
      '1 person · 2 testimonies · 1 event · 0 notes',
    );
    expect(t('custody.signer', { name: 'A', n: 1, from: 'x', to: 'y' })).toBe('A: 1 change, x – y');
    setLanguage('ko');
    expect(t('cases.search_results', { n: 1 })).toBe('사례 1건을 찾았습니다');
  });

  it('no English text counts in a fixed plural', () => {
    // "{n} cases", "{n} file(s)": a count must choose its form.
    const fixed = Object.entries(en).filter(([, text]) =>
      /\{\w+\} \w+(?:s\b|\(s\))/.test(text.replace(/\{\w+, plural,.*\}/g, '')),
    );
    expect(fixed).toEqual([]);
  });

  it('translates error codes, and names unknown ones', () => {
    setLanguage('en');
    expect(errorText({ code: 'wrong_passphrase', message: 'x' })).toMatch(/passphrase is wrong/);
    setLanguage('ko');
    expect(errorText({ code: 'wrong_passphrase', message: 'x' })).toMatch(/암호 문구가 틀렸습니다/);
    expect(errorText({ code: 'brand_new_code', message: 'x' })).toContain('brand_new_code');
    expect(errorText('a bare string')).toBe(t('error.internal'));
  });
});

describe('author names', () => {
  it('read a device that has no worker name in the language shown, and leave chosen names alone', async () => {
    const { author } = await import('./format');
    setLanguage('ko');
    expect(author('device-62ae4672')).toBe('기기 62ae4672');
    expect(author('활동가 1')).toBe('활동가 1');
    expect(author('device-62ae4672x')).toBe('device-62ae4672x');
    setLanguage('en');
    expect(author('device-62ae4672')).toBe('device 62ae4672');
  });
});
