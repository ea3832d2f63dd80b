import { describe, expect, it, vi } from 'vitest';
import { render, screen, within } from '@testing-library/svelte';
import userEvent from '@testing-library/user-event';
import Conflicts from './Conflicts.svelte';
import { setLanguage } from '../lib/i18n.svelte';
import { baseState, fail, fakeShell } from '../lib/test-ipc';
import type { CaseDetail, Conflict } from '../lib/api';

const CASE_ID = 'c'.repeat(32);
const TESTIMONY_ID = 't'.repeat(32);

function detail(): CaseDetail {
  return {
    id: CASE_ID, title: 'Case', status: 'draft', risk: 'high', team: '', tags: [], created_at: 1, created_by: 'w', updated_at: 1,
    persons: [], testimonies: [], events: [], notes: [], attachments: [], conflicts: 3,
  };
}

const value = (text: string, by: string, shown: boolean, isObject = false, sealed = false) => ({ value: text, is_object: isObject, by, at: 1_700_000_000_000, shown, sealed });

function conflicts(): Conflict[] {
  return [
    { document_id: CASE_ID, document_kind: 'case', path: 'persons/p1/pseudonym', case_field: null, mergeable: true, sealed: false, values: [value('A-17', 'Kim', true), value('A-18', 'Lee', false)] },
    { document_id: TESTIMONY_ID, document_kind: 'testimony', path: 'interviewer', case_field: null, mergeable: true, sealed: false, values: [value('Kim', 'Kim', true), value('Lee', 'Lee', false)] },
    { document_id: CASE_ID, document_kind: 'case', path: 'persons/p2', case_field: null, mergeable: false, sealed: false, values: [value('(map)', 'Kim', true, true), value('(map)', 'Lee', false, true)] },
  ];
}

describe('conflict merge', () => {
  it('merges any text conflict by typing, in its own document', async () => {
    setLanguage('en');
    const shell = fakeShell(baseState({ phase: 'unlocked', language: 'en' }));
    let remaining = conflicts();
    shell.handlers.case_conflicts = () => remaining;
    shell.handlers.merge_conflict = (args) => {
      remaining = remaining.filter((c) => !(c.document_id === args.documentId && c.path === args.path));
      return null;
    };
    const reload = vi.fn(async () => {});
    const user = userEvent.setup();
    render(Conflicts, { detail: detail(), reload });
    const articles = await screen.findAllByTestId('conflict');
    expect(articles).toHaveLength(3);
    // Objects cannot be merged by typing: only keeping a value is offered.
    expect(within(articles[2]).queryByTestId('conflict-merge-input')).toBeNull();
    expect(within(articles[2]).getByTestId('conflict-not-mergeable').textContent).toMatch(/keep one of the values/);

    await user.type(within(articles[1]).getByTestId('conflict-merge-input'), 'Kim and Lee');
    await user.click(within(articles[1]).getByTestId('conflict-merge-save'));
    await vi.waitFor(() => expect(screen.getAllByTestId('conflict')).toHaveLength(2));
    expect(shell.calls.find((c) => c.cmd === 'merge_conflict')?.args).toEqual({
      caseId: CASE_ID, documentId: TESTIMONY_ID, path: 'interviewer', value: 'Kim and Lee',
    });
    expect(reload).toHaveBeenCalledTimes(1);
    expect(shell.calls.some((c) => c.cmd === 'set_case_field')).toBe(false);
  });

  it('shows a refused merge in the user language and keeps the conflict', async () => {
    setLanguage('ko');
    const shell = fakeShell(baseState({ phase: 'unlocked', language: 'ko' }));
    shell.handlers.case_conflicts = () => conflicts();
    shell.handlers.merge_conflict = fail('field_empty');
    const user = userEvent.setup();
    render(Conflicts, { detail: detail(), reload: vi.fn(async () => {}) });
    const articles = await screen.findAllByTestId('conflict');
    await user.type(within(articles[0]).getByTestId('conflict-merge-input'), ' ');
    await user.click(within(articles[0]).getByTestId('conflict-merge-save'));
    expect((await screen.findByTestId('error')).textContent).toMatch(/꼭 필요한 항목이 비어 있습니다/);
    expect(screen.getAllByTestId('conflict')).toHaveLength(3);
  });

  it('shows sealed identity values as sealed for HQ and offers no action on them', async () => {
    setLanguage('ko');
    const shell = fakeShell(baseState({ phase: 'unlocked', language: 'ko' }));
    shell.handlers.case_conflicts = () => [
      { document_id: CASE_ID, document_kind: 'case', path: 'persons/p1/identity/real_name', case_field: null, mergeable: false, sealed: true, values: [value('', 'Kim', true, false, true), value('', 'Lee', false, false, true)] },
    ];
    render(Conflicts, { detail: detail(), reload: vi.fn(async () => {}) });
    const [article] = await screen.findAllByTestId('conflict');
    expect(within(article).getAllByTestId('conflict-sealed-value').map((v) => v.textContent)).toEqual(['🔒 봉인됨 (본부만 열람)', '🔒 봉인됨 (본부만 열람)']);
    expect(within(article).getByTestId('conflict-sealed').textContent).toMatch(/본부가 비교하여/);
    expect(within(article).queryByRole('button')).toBeNull();
    expect(within(article).queryByTestId('conflict-merge-input')).toBeNull();
  });
});
