// One saving model: the case's details save by themselves like the narrative, and leaving a
// form with typed work not saved (another tab, case or screen) asks first.
import { describe, expect, it } from 'vitest';
import { render, screen, waitFor } from '@testing-library/svelte';
import userEvent from '@testing-library/user-event';
import App from '../App.svelte';
import { clearVocabularies } from '../lib/vocab.svelte';
import { baseState, fakeShell, type FakeShell } from '../lib/test-ipc';
import type { CaseDetail, CaseSummary } from '../lib/api';

const VOCABS = [
  { kind: 'case_status', terms: [{ code: 'draft', en: 'Draft', ko: '초안' }, { code: 'closed', en: 'Closed', ko: '종결' }] },
  { kind: 'risk_level', terms: [{ code: 'high', en: 'High', ko: '높음' }] },
];

const ID = 'e'.repeat(32);

function caseShell(language: 'en' | 'ko' = 'en'): FakeShell {
  const shell = fakeShell(baseState({ phase: 'unlocked', language }));
  clearVocabularies();
  const stored = { title: 'Tumen crossing', status: 'draft', tags: [] as string[] };
  const summary = (): CaseSummary => ({
    id: ID, title: stored.title, status: stored.status, risk: 'high', created_at: 1, updated_at: 1, persons: 0, testimonies: 0, events: 0,
    notes: 0, attachments: 0, conflicts: 0, tags: stored.tags, act_types: [], first_date: null, last_date: null, handover: 'draft',
  });
  const detail = (): CaseDetail => ({
    id: ID, title: stored.title, status: stored.status, risk: 'high', team: '', tags: [...stored.tags], created_at: 1, created_by: 'w',
    updated_at: 1, persons: [], testimonies: [], events: [], notes: [], attachments: [], conflicts: 0,
  });
  shell.handlers.vocabularies = () => VOCABS;
  shell.handlers.list_cases = () => [summary()];
  shell.handlers.open_case = () => detail();
  shell.handlers.set_case_field = (args) => {
    const value = args.value as string;
    if (args.field === 'title') stored.title = value;
    if (args.field === 'status') stored.status = value;
    if (args.field === 'tags') stored.tags = value.split(',').map((tag) => tag.trim()).filter(Boolean);
    return null;
  };
  return shell;
}

const fieldCalls = (shell: FakeShell) => shell.calls.filter((call) => call.cmd === 'set_case_field').map((call) => call.args);

async function openTheCase() {
  const user = userEvent.setup();
  render(App);
  await user.click(await screen.findByTestId('case-row'));
  await screen.findByTestId('case-title');
  return user;
}

describe('case details save by themselves', () => {
  it('saves a choice at once and typing once it stops, and says so; there is no Save button', async () => {
    const shell = caseShell();
    const user = await openTheCase();
    expect(screen.queryByTestId('case-save')).toBeNull();
    expect(screen.getByTestId('case-fields-status').textContent).toContain('Saved automatically');

    await user.selectOptions(screen.getByTestId('case-field-status'), 'closed');
    await waitFor(() => expect(fieldCalls(shell)).toEqual([{ caseId: ID, field: 'status', value: 'closed' }]));
    await waitFor(() => expect(screen.getByTestId('case-fields-status').dataset.status).toBe('saved'));

    await user.type(screen.getByTestId('case-field-tags'), 'Yanji, 2019');
    await waitFor(() => expect(fieldCalls(shell)).toHaveLength(2), { timeout: 3000 });
    expect(fieldCalls(shell)[1]).toEqual({ caseId: ID, field: 'tags', value: 'Yanji, 2019' });
    await waitFor(() => expect(screen.getByTestId('case-fields-status').textContent).toBe('Saved'));
  });

  it('never saves an emptied title, and asks before leaving it so', async () => {
    const shell = caseShell('ko');
    const user = await openTheCase();
    await user.clear(screen.getByTestId('case-field-title'));
    await user.tab();
    expect(screen.getByTestId('case-fields-status').textContent).toContain('사례에는 제목이 있어야 합니다');
    await new Promise((resolve) => setTimeout(resolve, 1200));
    expect(fieldCalls(shell)).toEqual([]);
    await user.click(screen.getByTestId('case-back'));
    expect(screen.getByTestId('leave-unsaved').textContent).toContain('아직 저장되지 않았습니다');
    await user.click(screen.getByTestId('leave-stay'));
    await user.type(screen.getByTestId('case-field-title'), '두만강 도강');
    await user.tab();
    await waitFor(() => expect(fieldCalls(shell)).toEqual([{ caseId: ID, field: 'title', value: '두만강 도강' }]));
  });
});

describe('leaving typed work', () => {
  it('asks before another screen drops a note typed and not added: stay keeps it, leave drops it', async () => {
    caseShell();
    const user = await openTheCase();
    await user.click(screen.getByTestId('tab-notes'));
    await user.type(screen.getByTestId('note-text'), 'Ask about the second crossing');
    await user.click(screen.getByTestId('nav-team'));
    expect(screen.getByTestId('leave-unsaved').textContent).toContain('not saved yet');
    await user.click(screen.getByTestId('leave-stay'));
    expect(screen.queryByTestId('leave-unsaved')).toBeNull();
    expect((screen.getByTestId('note-text') as HTMLTextAreaElement).value).toBe('Ask about the second crossing');

    await user.click(screen.getByTestId('tab-persons'));
    expect(screen.getByTestId('leave-unsaved')).toBeTruthy();
    await user.click(screen.getByTestId('leave-go'));
    expect(screen.getByTestId('tab-persons').getAttribute('aria-selected')).toBe('true');
    expect(screen.queryByTestId('note-text')).toBeNull();
    // Nothing typed any more: moving asks nothing.
    await user.click(screen.getByTestId('nav-team'));
    expect(screen.queryByTestId('leave-unsaved')).toBeNull();
    expect(screen.queryByTestId('case-title')).toBeNull();
  });

  it('moves without asking when nothing typed waits', async () => {
    caseShell();
    const user = await openTheCase();
    await user.click(screen.getByTestId('tab-notes'));
    await user.click(screen.getByTestId('case-back'));
    expect(screen.queryByTestId('leave-unsaved')).toBeNull();
    expect(await screen.findByTestId('case-list')).toBeTruthy();
  });
});

describe('where the case stands on its way to HQ', () => {
  it('is shown in the case header, and follows the ready mark', async () => {
    const shell = caseShell();
    let state: string | null = null;
    shell.handlers.handover_status = () => ({
      is_hq: false, policy: 'keep', policy_days: null, purged: 0,
      cases: state ? [{ id: ID, title: 'Tumen crossing', state, received_at: null, purge_due_at: null }] : [],
    });
    shell.handlers.set_ready_for_handover = (args) => {
      state = args.ready ? 'ready' : null;
      return null;
    };
    const user = await openTheCase();
    await screen.findByTestId('handover-state');
    expect(screen.queryByTestId('case-handover-badge')).toBeNull();
    await user.click(screen.getByTestId('handover-ready'));
    await waitFor(() => expect(screen.getByTestId('case-handover-badge').textContent).toBe('Ready for handover'));
    await user.click(screen.getByTestId('handover-unready'));
    await waitFor(() => expect(screen.queryByTestId('case-handover-badge')).toBeNull());
  });

  it('says when this device last synced, in the top bar, once it is in a team', async () => {
    const shell = caseShell();
    shell.handlers.sync_overview = () => ({ in_team: false, default_listen_address: '', peers: [] });
    const { unmount } = render(App);
    await screen.findByTestId('case-row');
    expect(screen.queryByTestId('last-sync')).toBeNull();
    unmount();
    shell.handlers.sync_overview = () => ({ in_team: true, default_listen_address: '', peers: [] });
    const second = render(App);
    expect((await screen.findByTestId('last-sync')).textContent).toBe('Not synced yet');
    second.unmount();
    const at = new Date(2026, 10, 30, 14, 5).getTime();
    const peer = (last: number) => ({
      device_id: 'a'.repeat(32), name: 'HQ', fingerprint: null, revoked: false, last_sync_at: last, documents_sent: 0,
      documents_received: 0, changes_sent: 0, changes_received: 0, bytes_sent: 0, bytes_received: 0,
    });
    shell.handlers.sync_overview = () => ({ in_team: true, default_listen_address: '', peers: [peer(at - 60_000), peer(at)] });
    render(App);
    await waitFor(() => expect(screen.getByTestId('last-sync').textContent).toBe('Synced 2026-11-30 14:05'));
  });
});
