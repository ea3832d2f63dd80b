import { describe, expect, it, vi } from 'vitest';
import { render, screen } from '@testing-library/svelte';
import userEvent from '@testing-library/user-event';
import Testimonies from './Testimonies.svelte';
import Events from './Events.svelte';
import { setLanguage } from '../lib/i18n.svelte';
import { clearVocabularies, loadVocabularies } from '../lib/vocab.svelte';
import { baseState, fakeShell } from '../lib/test-ipc';
import type { CaseDetail } from '../lib/api';

const VOCABS = [
  { kind: 'act_type', terms: [{ code: 'torture', en: 'Torture', ko: '고문' }] },
  { kind: 'agency', terms: [{ code: 'mss', en: 'Ministry of State Security', ko: '국가보위성' }] },
];

function detail(): CaseDetail {
  const testimony = (id: string, language: string) => ({
    id, source_person: 'p1', date: '2026-11-01', place: 'Yanji', interviewer: 'K', interpreter: '', language,
    consent_given: true, consent_scopes: [], consent_conditions: '', narrative: '', transcript: '', heads: [],
  });
  return {
    id: 'c'.repeat(32), title: 'Case', status: 'draft', risk: 'high', team: '', tags: [], created_at: 1, created_by: 'w', updated_at: 1,
    persons: [{ id: 'p1', pseudonym: 'A-17', roles: ['source'], identity_recorded: [], identity_sealed: [] }],
    testimonies: [testimony('t1', 'ko'), testimony('t2', 'Korean (Hamgyong)')],
    events: [{
      id: 'e1', title: 'Detention', description: '', date_start: '2019', date_end: '', date_certainty: 'approximate', place: '',
      acts: [
        { id: 'a1', act_type: 'torture', victim: 'p1', agency: '', unit: '', facility: '', consequences: '' },
        { id: 'a2', act_type: 'torture', victim: 'p1', agency: 'mss', unit: '', facility: '', consequences: '' },
      ],
    }],
    notes: [], attachments: [], conflicts: 0,
  };
}

async function setup(language: 'en' | 'ko') {
  const shell = fakeShell(baseState({ phase: 'unlocked', language }));
  setLanguage(language);
  clearVocabularies();
  shell.handlers.vocabularies = () => VOCABS;
  await loadVocabularies();
  return shell;
}

describe('codes on screen', () => {
  it('names a testimony’s language instead of showing its code, and picks it from a list', async () => {
    await setup('en');
    render(Testimonies, { detail: detail(), reload: vi.fn(async () => {}) });
    const shown = screen.getAllByTestId('testimony-language-shown').map((span) => span.textContent);
    // A value typed before the picker existed stays as it was written.
    expect(shown).toEqual(['Korean', 'Korean (Hamgyong)']);
    const user = userEvent.setup();
    await user.click(screen.getByTestId('testimony-add'));
    const picker = screen.getByTestId('testimony-language') as HTMLSelectElement;
    expect(picker.value).toBe('en');
    expect([...picker.options].map((option) => option.textContent)).toEqual(['Korean', 'Chinese', 'English', 'Russian', 'Japanese']);
  });

  it('says “perpetrator unknown” rather than “by unknown”', async () => {
    await setup('en');
    render(Events, { detail: detail(), reload: vi.fn(async () => {}) });
    const text = screen.getByTestId('events').textContent ?? '';
    expect(text).toContain('Torture — victim A-17, perpetrator unknown');
    expect(text).toContain('Torture — victim A-17, by Ministry of State Security');
    expect(text).not.toContain('by unknown');
  });
});
