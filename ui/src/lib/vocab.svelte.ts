// The controlled vocabularies, loaded from the shell once per unlock, and their labels in the
// current language.
import { cases, type Term, type Vocabulary } from './api';
import { language } from './i18n.svelte';

const store = $state<{ all: Vocabulary[] }>({ all: [] });

export async function loadVocabularies(): Promise<void> {
  if (store.all.length === 0) store.all = await cases.vocabularies();
}

export function clearVocabularies(): void {
  store.all = [];
}

export function terms(kind: string): Term[] {
  return store.all.find((vocabulary) => vocabulary.kind === kind)?.terms ?? [];
}

/** The label of `code` in the current language (the code itself when unknown). */
export function label(kind: string, code: string): string {
  if (!code) return '';
  const term = terms(kind).find((candidate) => candidate.code === code);
  if (!term) return code;
  return language() === 'ko' ? term.ko : term.en;
}
