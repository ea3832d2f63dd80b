import { describe, expect, it, vi } from 'vitest';
import { render, screen, within } from '@testing-library/svelte';
import userEvent from '@testing-library/user-event';
import Persons from './Persons.svelte';
import { setLanguage } from '../lib/i18n.svelte';
import { clearVocabularies, loadVocabularies } from '../lib/vocab.svelte';
import { baseState, fail, fakeShell } from '../lib/test-ipc';
import type { CaseDetail } from '../lib/api';

const VOCABS = [{ kind: 'role', terms: [{ code: 'victim', en: 'Victim', ko: '피해자' }, { code: 'source', en: 'Source', ko: '제보자' }] }];
const CASE_ID = 'c'.repeat(32);

function detail(sealed: string[] = []): CaseDetail {
  return {
    id: CASE_ID, title: 'Case', status: 'draft', risk: 'high', team: '', tags: [], created_at: 1, created_by: 'w', updated_at: 1,
    persons: [{ id: 'p1', pseudonym: 'A-17', roles: ['source'], identity_recorded: ['real_name', 'home_town'], identity_sealed: sealed }],
    testimonies: [], events: [], notes: [], attachments: [], conflicts: 0,
  };
}

async function setup(language: 'en' | 'ko', sealed: string[] = []) {
  const shell = fakeShell(baseState({ phase: 'unlocked', language }));
  setLanguage(language);
  clearVocabularies();
  shell.handlers.vocabularies = () => VOCABS;
  await loadVocabularies();
  shell.handlers.reveal_identity = () => ({
    identity: { real_name: sealed.includes('real_name') ? '' : '김비밀', birth_date: '', home_town: sealed.includes('home_town') ? '' : '회령', family: '', contact: '' },
    sealed,
  });
  const reload = vi.fn(async () => {});
  render(Persons, { detail: detail(sealed), reload });
  return { shell, reload, user: userEvent.setup() };
}

describe('revealed identity', () => {
  it('hides again by itself after 30 seconds, and at once when the window loses focus', async () => {
    vi.useFakeTimers({ shouldAdvanceTime: true });
    try {
      const { user } = await setup('en');
      await user.click(screen.getByTestId('reveal-identity'));
      expect((await screen.findByTestId('identity-revealed')).textContent).toContain('김비밀');
      await vi.advanceTimersByTimeAsync(29_000);
      expect(screen.queryByTestId('identity-revealed')).not.toBeNull();
      await vi.advanceTimersByTimeAsync(2_000);
      expect(screen.queryByTestId('identity-revealed')).toBeNull();
      expect(document.body.textContent).not.toContain('김비밀');

      await user.click(screen.getByTestId('reveal-identity'));
      expect(await screen.findByTestId('identity-revealed')).toBeTruthy();
      window.dispatchEvent(new Event('blur'));
      await vi.waitFor(() => expect(screen.queryByTestId('identity-revealed')).toBeNull());
    } finally {
      vi.useRealTimers();
    }
  });
});

describe('person edit', () => {
  it('loads identity only for the form, and sends only what changed', async () => {
    const { shell, reload, user } = await setup('ko');
    expect(screen.getByTestId('persons').textContent).not.toContain('김비밀');
    await user.click(screen.getByTestId('person-edit'));
    const form = await screen.findByTestId('person-edit-form');
    expect(shell.calls.find((c) => c.cmd === 'reveal_identity')?.args).toEqual({ caseId: CASE_ID, personId: 'p1' });
    expect((within(form).getByTestId('edit-identity-real_name') as HTMLInputElement).value).toBe('김비밀');
    expect((within(form).getByTestId('edit-identity-home_town') as HTMLInputElement).value).toBe('회령');
    expect(form.textContent).toContain('A-17 편집');

    const pseudonym = within(form).getByTestId('person-edit-pseudonym');
    await user.clear(pseudonym);
    await user.type(pseudonym, 'A-18');
    await user.click(within(form).getByTestId('edit-role-victim'));
    await user.clear(within(form).getByTestId('edit-identity-real_name'));
    await user.type(within(form).getByTestId('edit-identity-contact'), '010-0000');
    await user.click(within(form).getByTestId('person-edit-save'));

    await vi.waitFor(() => expect(reload).toHaveBeenCalled());
    const call = shell.calls.find((c) => c.cmd === 'edit_person');
    // home_town was not touched, so it is not sent back.
    expect(call?.args).toEqual({
      personId: 'p1',
      edit: { pseudonym: 'A-18', roles: ['source', 'victim'], real_name: '', contact: '010-0000' },
    });
    expect(screen.queryByTestId('person-edit-form')).toBeNull();
    expect(screen.getByTestId('persons').textContent).not.toContain('회령');
  });

  it('keeps the form open and explains a refusal; cancel sends nothing', async () => {
    const { shell, reload, user } = await setup('en');
    shell.handlers.edit_person = fail('duplicate_pseudonym');
    await user.click(screen.getByTestId('person-edit'));
    const form = await screen.findByTestId('person-edit-form');
    await user.type(within(form).getByTestId('person-edit-pseudonym'), 'X');
    await user.click(within(form).getByTestId('person-edit-save'));
    expect((await screen.findByTestId('error')).textContent).toMatch(/Another person in this case has that pseudonym/);
    expect(screen.getByTestId('person-edit-form')).toBeTruthy();
    expect(reload).not.toHaveBeenCalled();

    await user.click(screen.getByTestId('person-edit-cancel'));
    expect(screen.queryByTestId('person-edit-form')).toBeNull();
    expect(screen.getByTestId('persons').textContent).not.toContain('김비밀');
    expect(shell.calls.filter((c) => c.cmd === 'edit_person')).toHaveLength(1);
  });
});

describe('identity sealed for HQ', () => {
  it('labels sealed fields, offers no reveal, and edits them only by replace or clear', async () => {
    const { shell, reload, user } = await setup('ko', ['real_name', 'home_town']);
    const row = screen.getByTestId('person-row');
    expect(screen.getByTestId('identity-sealed').textContent).toContain('본부용으로 봉인됨: 실명, 고향');
    expect(within(row).queryByTestId('reveal-identity')).toBeNull();

    await user.click(screen.getByTestId('person-edit'));
    const form = await screen.findByTestId('person-edit-form');
    // Nothing to open: the shell is not even asked.
    expect(shell.calls.some((c) => c.cmd === 'reveal_identity')).toBe(false);
    expect(within(form).getByTestId('edit-sealed-real_name').textContent).toContain('봉인됨 (본부만 열람)');
    expect(within(form).queryByTestId('edit-identity-real_name')).toBeNull();
    expect(form.textContent).toContain('이 기기에서 읽을 수 없습니다');

    await user.click(within(form).getByTestId('sealed-replace-real_name'));
    const input = within(form).getByTestId('edit-identity-real_name') as HTMLInputElement;
    expect(input.value).toBe('');
    await user.type(input, '박새이름');
    await user.click(within(form).getByTestId('sealed-clear-home_town'));
    expect(within(form).getByTestId('edit-sealed-home_town').textContent).toContain('저장하면 지워집니다');
    await user.click(within(form).getByTestId('person-edit-save'));

    await vi.waitFor(() => expect(reload).toHaveBeenCalled());
    expect(shell.calls.find((c) => c.cmd === 'edit_person')?.args).toEqual({
      personId: 'p1',
      edit: { pseudonym: 'A-17', roles: ['source'], real_name: '박새이름', home_town: '' },
    });
  });

  it('keeps a sealed field untouched unless the worker replaces or clears it', async () => {
    const { shell, reload, user } = await setup('en', ['real_name']);
    expect(screen.getByTestId('identity-sealed').textContent).toContain('Sealed for HQ: Real name');
    // Home town is readable here: Show identity opens it and names the sealed one.
    await user.click(screen.getByTestId('reveal-identity'));
    const shown = await screen.findByTestId('identity-revealed');
    expect(shown.textContent).toContain('회령');
    expect(shown.textContent).toContain('Sealed for HQ');

    await user.click(screen.getByTestId('person-edit'));
    const form = await screen.findByTestId('person-edit-form');
    await user.click(within(form).getByTestId('sealed-replace-real_name'));
    await user.click(within(form).getByTestId('sealed-keep-real_name'));
    await user.click(within(form).getByTestId('sealed-clear-real_name'));
    await user.click(within(form).getByTestId('sealed-keep-real_name'));
    await user.click(within(form).getByTestId('person-edit-save'));
    await vi.waitFor(() => expect(reload).toHaveBeenCalled());
    expect(shell.calls.find((c) => c.cmd === 'edit_person')?.args).toEqual({
      personId: 'p1',
      edit: { pseudonym: 'A-17', roles: ['source'] },
    });
  });
});
