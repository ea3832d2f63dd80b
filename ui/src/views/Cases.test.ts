import { describe, expect, it, vi } from 'vitest';
import { render, screen, within } from '@testing-library/svelte';
import userEvent from '@testing-library/user-event';
import Cases from './Cases.svelte';
import { applyState } from '../lib/app.svelte';
import { clearVocabularies } from '../lib/vocab.svelte';
import { nav } from '../lib/nav.svelte';
import { baseState, fakeShell } from '../lib/test-ipc';
import type { CaseDetail, CaseSummary } from '../lib/api';

const VOCABS = [
  { kind: 'case_status', terms: [{ code: 'draft', en: 'Draft', ko: '초안' }, { code: 'ready', en: 'Ready', ko: '인계 준비' }] },
  { kind: 'risk_level', terms: [{ code: 'high', en: 'High', ko: '높음' }] },
  { kind: 'act_type', terms: [{ code: 'torture', en: 'Torture', ko: '고문' }] },
  { kind: 'role', terms: [{ code: 'victim', en: 'Victim', ko: '피해자' }, { code: 'source', en: 'Source', ko: '제보자' }] },
  { kind: 'agency', terms: [] },
  { kind: 'consent_scope', terms: [] },
];

function summary(id: string, title: string, overrides: Partial<CaseSummary> = {}): CaseSummary {
  return {
    id, title, status: 'draft', risk: 'high', created_at: 1, updated_at: 1, persons: 0, testimonies: 0, events: 0, notes: 0,
    attachments: 0, conflicts: 0, tags: [], act_types: [], first_date: null, last_date: null, handover: 'draft', ...overrides,
  };
}

function detail(id: string, title: string): CaseDetail {
  return {
    id, title, status: 'draft', risk: 'high', team: '', tags: [], created_at: 1, created_by: 'worker', updated_at: 1,
    persons: [{ id: 'p1', pseudonym: '제보자-17', roles: ['source'], identity_recorded: ['real_name'], identity_sealed: [] }],
    testimonies: [], events: [], notes: [], attachments: [], conflicts: 0,
  };
}

describe('case list', () => {
  it('shows handover badges, the purged count, and on HQ the intake list', async () => {
    const shell = fakeShell(baseState({ phase: 'unlocked', language: 'en' }));
    applyState(shell.state);
    clearVocabularies();
    shell.handlers.vocabularies = () => VOCABS;
    shell.handlers.list_cases = () => [
      summary('a'.repeat(32), 'Ready case', { handover: 'ready' }),
      summary('b'.repeat(32), 'Received case', { handover: 'received' }),
      summary('c'.repeat(32), 'Draft case'),
    ];
    shell.handlers.handover_status = () => ({
      is_hq: false, policy: 'keep', policy_days: null, purged: 2,
      cases: [
        { id: 'a'.repeat(32), title: 'Ready case', state: 'ready', received_at: null, purge_due_at: null },
        { id: 'b'.repeat(32), title: 'Received case', state: 'received', received_at: 1, purge_due_at: null },
      ],
    });
    const { unmount } = render(Cases);
    const list = await screen.findByTestId('case-list');
    const badges = within(list).getAllByTestId('handover-badge').map((badge) => badge.textContent);
    expect(badges).toEqual(['Ready for handover', 'Received by HQ']);
    expect(screen.getByTestId('cases-purged').textContent).toContain('2 cases were handed over');
    expect(screen.queryByTestId('intake')).toBeNull();
    unmount();

    shell.handlers.handover_status = () => ({
      is_hq: true, policy: 'keep', policy_days: null, purged: 0,
      cases: [{ id: 'b'.repeat(32), title: 'Received case', state: 'received', received_at: 1, purge_due_at: null }],
    });
    render(Cases);
    const intake = await screen.findByTestId('intake');
    expect(within(intake).getAllByTestId('intake-row').map((row) => row.textContent)).toEqual(['Received case Receipt issued']);
    expect(screen.queryByTestId('cases-purged')).toBeNull();
  });

  it('lists, searches and filters cases in Korean', async () => {
    const shell = fakeShell(baseState({ phase: 'unlocked', language: 'ko' }));
    applyState(shell.state);
    clearVocabularies();
    shell.handlers.vocabularies = () => VOCABS;
    shell.handlers.list_cases = () => [
      summary('a'.repeat(32), '두만강 사건', { status: 'ready', act_types: ['torture'], tags: ['연길'] }),
      summary('b'.repeat(32), 'Other case'),
    ];
    shell.handlers.search_cases = (args) => (args.query === '두만강'
      ? [{ case_id: 'a'.repeat(32), title: '두만강 사건', status: 'ready', fields: ['narrative'], snippet: '…겨울 두만강을 건너…' }]
      : []);
    const user = userEvent.setup();
    render(Cases);
    const list = await screen.findByTestId('case-list');
    expect(within(list).getAllByTestId('case-row')).toHaveLength(2);
    expect(list.textContent).toContain('인계 준비');

    await user.selectOptions(screen.getByTestId('filter-act'), 'torture');
    expect(within(list).getAllByTestId('case-row')).toHaveLength(1);
    await user.selectOptions(screen.getByTestId('filter-act'), '');

    await user.type(screen.getByTestId('case-search'), '두만강');
    await user.click(screen.getByTestId('case-search-submit'));
    expect((await screen.findByTestId('search-snippet')).textContent).toContain('두만강을 건너');
    expect(screen.getAllByTestId('case-row')).toHaveLength(1);
    expect(screen.getByTestId('search-count').textContent).toBe('사례 1건을 찾았습니다');
  });

  it('creates a case and opens it; identity stays hidden until asked for', async () => {
    const shell = fakeShell(baseState({ phase: 'unlocked', language: 'en' }));
    applyState(shell.state);
    clearVocabularies();
    const id = 'c'.repeat(32);
    let created = false;
    shell.handlers.vocabularies = () => VOCABS;
    shell.handlers.list_cases = () => (created ? [summary(id, 'Case 1')] : []);
    shell.handlers.create_case = (args) => {
      expect(args).toEqual({ title: 'Case 1' });
      created = true;
      return id;
    };
    shell.handlers.open_case = () => detail(id, 'Case 1');
    shell.handlers.reveal_identity = () => ({ identity: { real_name: '김영희', birth_date: '', home_town: '', family: '', contact: '' }, sealed: [] });
    const user = userEvent.setup();
    render(Cases);
    expect(await screen.findByTestId('no-cases')).toBeTruthy();
    const described = screen.getByTestId('new-case-title').getAttribute('aria-describedby') ?? '';
    expect(document.getElementById(described)?.textContent).toMatch(/never who \(no names\)/);
    await user.type(screen.getByTestId('new-case-title'), 'Case 1');
    await user.click(screen.getByTestId('create-case'));
    expect((await screen.findByTestId('case-title')).textContent).toBe('Case 1');
    const persons = screen.getByTestId('persons');
    expect(persons.textContent).toContain('제보자-17');
    expect(persons.textContent).not.toContain('김영희');
    expect(shell.calls.some((c) => c.cmd === 'reveal_identity')).toBe(false);
    await user.click(screen.getByTestId('reveal-identity'));
    expect((await screen.findByTestId('identity-revealed')).textContent).toContain('김영희');
  });

  it('marks the identity fields of a new person as sensitive', async () => {
    const shell = fakeShell(baseState({ phase: 'unlocked', language: 'ko' }));
    applyState(shell.state);
    clearVocabularies();
    const id = 'd'.repeat(32);
    shell.handlers.vocabularies = () => VOCABS;
    shell.handlers.list_cases = () => [summary(id, '사건')];
    shell.handlers.open_case = () => ({ ...detail(id, '사건'), persons: [] });
    shell.handlers.add_person = () => 'p2';
    const user = userEvent.setup();
    render(Cases);
    await user.click(await screen.findByTestId('case-row'));
    await user.click(await screen.findByTestId('person-add'));
    expect(screen.getByTestId('identity-block').textContent).toContain('신원 정보 — 민감');
    await user.type(screen.getByTestId('person-pseudonym-input'), '가-1');
    await user.click(screen.getByTestId('role-victim'));
    await user.type(screen.getByTestId('identity-real_name'), '박철수');
    await user.click(screen.getByTestId('person-save'));
    await vi.waitFor(() => expect(shell.calls.find((c) => c.cmd === 'add_person')).toBeTruthy());
    expect(shell.calls.find((c) => c.cmd === 'add_person')?.args).toEqual({
      caseId: id, pseudonym: '가-1', roles: ['victim'],
      identity: { real_name: '박철수', birth_date: '', home_town: '', family: '', contact: '' },
    });
  });

  it('shows an empty list as a way to start, not as search and filters over nothing', async () => {
    const shell = fakeShell(baseState({ phase: 'unlocked', language: 'en' }));
    applyState(shell.state);
    clearVocabularies();
    shell.handlers.vocabularies = () => VOCABS;
    const user = userEvent.setup();
    render(Cases);
    const empty = await screen.findByTestId('no-cases');
    expect(empty.textContent).toContain('write the title of the first case above and press “Create”');
    expect(empty.textContent).toContain('USB stick');
    expect(screen.getByTestId('new-case-title')).toBeTruthy();
    expect(screen.queryByTestId('case-search')).toBeNull();
    expect(screen.queryByTestId('filters-toggle')).toBeNull();
    await user.click(screen.getByTestId('no-cases-sync'));
    expect(nav.view).toBe('sync');
  });
});
