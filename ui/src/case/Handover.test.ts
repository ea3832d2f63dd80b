import { describe, expect, it } from 'vitest';
import { render, screen } from '@testing-library/svelte';
import userEvent from '@testing-library/user-event';
import Handover from './Handover.svelte';
import { setLanguage } from '../lib/i18n.svelte';
import { baseState, fakeShell } from '../lib/test-ipc';
import type { HandoverStatus } from '../lib/api';

const CASE_ID = 'c'.repeat(32);

function status(state: string | null, overrides: Partial<HandoverStatus> = {}): HandoverStatus {
  return {
    is_hq: false, policy: 'keep', policy_days: null, purged: 0,
    cases: state ? [{ id: CASE_ID, title: 'Case', state, received_at: state === 'received' ? 1 : null, purge_due_at: null }] : [],
    ...overrides,
  };
}

describe('handover', () => {
  it('asks the worker to confirm a missing consent before marking the case ready', async () => {
    setLanguage('en');
    const shell = fakeShell(baseState({ phase: 'unlocked', language: 'en' }));
    let ready = false;
    shell.handlers.handover_status = () => status(ready ? 'ready' : null);
    shell.handlers.set_ready_for_handover = (args) => {
      if (!args.consentConfirmed) throw { code: 'handover_consent_unconfirmed', message: 'x' };
      ready = args.ready as boolean;
      return null;
    };
    const user = userEvent.setup();
    render(Handover, { caseId: CASE_ID });
    await user.click(await screen.findByTestId('handover-ready'));
    expect(await screen.findByTestId('handover-consent-warning')).toBeTruthy();
    expect(ready).toBe(false);
    await user.click(screen.getByTestId('handover-confirm'));
    expect((await screen.findByTestId('handover-unready')).textContent).toContain('Not ready');
    expect(screen.getByTestId('handover-state').dataset.state).toBe('ready');
    const sent = shell.calls.filter((call) => call.cmd === 'set_ready_for_handover').map((call) => call.args);
    expect(sent).toEqual([
      { caseId: CASE_ID, ready: true, consentConfirmed: false },
      { caseId: CASE_ID, ready: true, consentConfirmed: true },
    ]);
  });

  it('shows a received case with HQ policy, and offers nothing to mark on HQ', async () => {
    setLanguage('en');
    const shell = fakeShell(baseState({ phase: 'unlocked', language: 'en' }));
    shell.handlers.handover_status = () => status('received', { policy: 'immediately' });
    render(Handover, { caseId: CASE_ID });
    expect((await screen.findByTestId('handover-state')).textContent).toContain('Received by HQ');
    expect(screen.getByTestId('handover-policy').textContent).toContain('as soon as');
    expect(screen.queryByTestId('handover-ready')).toBeNull();
  });

  it('on HQ shows the issued receipt and no button', async () => {
    setLanguage('en');
    const shell = fakeShell(baseState({ phase: 'unlocked', language: 'en' }));
    shell.handlers.handover_status = () => status('received', { is_hq: true });
    render(Handover, { caseId: CASE_ID });
    expect((await screen.findByTestId('handover-state')).textContent).toContain('Receipt issued');
    expect(screen.queryByTestId('handover-ready')).toBeNull();
  });
});

describe('custody trail', () => {
  it('on HQ lists each signing device and every flagged change', async () => {
    setLanguage('en');
    const shell = fakeShell(baseState({ phase: 'unlocked', language: 'en' }));
    shell.handlers.handover_status = () => status('received', { is_hq: true });
    shell.handlers.custody_trail = () => ({
      total: 5,
      signers: [
        { device_id: 'a'.repeat(32), name: 'field-1', changes: 4, first_seen_ms: 1_700_000_000_000, last_seen_ms: 1_700_000_100_000 },
        { device_id: 'b'.repeat(32), name: null, changes: 1, first_seen_ms: 1_700_000_200_000, last_seen_ms: 1_700_000_200_000 },
      ],
      flagged: [{ document_id: CASE_ID, change_hash: 'f'.repeat(64), signer: 'b'.repeat(32), verdict: 'unknown_signer' }],
    });
    render(Handover, { caseId: CASE_ID });
    const signers = await screen.findByTestId('custody-signers');
    expect(signers.textContent).toContain('field-1: 4 changes');
    expect(signers.textContent).toContain('Unknown device bbbbbbbb');
    expect(screen.getByTestId('custody-flagged').textContent).toContain('1 change cannot');
    expect(screen.getByTestId('custody').textContent).toContain('never on the roster');
    expect(shell.calls.some((call) => call.cmd === 'custody_trail' && call.args.caseId === CASE_ID)).toBe(true);
  });

  it('is not shown on a field device', async () => {
    setLanguage('en');
    const shell = fakeShell(baseState({ phase: 'unlocked', language: 'en' }));
    shell.handlers.handover_status = () => status('ready');
    render(Handover, { caseId: CASE_ID });
    await screen.findByTestId('handover-state');
    expect(screen.queryByTestId('custody')).toBeNull();
    expect(shell.calls.some((call) => call.cmd === 'custody_trail')).toBe(false);
  });
});

describe('exports', () => {
  it('are offered on HQ and write into the folder the worker picks', async () => {
    setLanguage('en');
    const shell = fakeShell(baseState({ phase: 'unlocked', language: 'en' }));
    shell.handlers.handover_status = () => status('received', { is_hq: true });
    shell.handlers.custody_trail = () => ({ total: 0, signers: [], flagged: [] });
    shell.handlers.export_case = (args) => ({ files: args.kind === 'json' ? ['case.json'] : ['uwazi/1_cases/import.csv', 'uwazi/2_persons/import.csv'] });
    const user = userEvent.setup();
    render(Handover, { caseId: CASE_ID });
    await user.click(await screen.findByTestId('export-uwazi'));
    expect((await screen.findByTestId('export-written')).textContent).toContain('2 files written');
    expect(shell.calls.filter((call) => call.cmd === 'export_case').map((call) => call.args)).toEqual([{ caseId: CASE_ID, kind: 'uwazi' }]);
  });

  it('are not offered on a field device', async () => {
    setLanguage('en');
    const shell = fakeShell(baseState({ phase: 'unlocked', language: 'en' }));
    shell.handlers.handover_status = () => status('ready');
    render(Handover, { caseId: CASE_ID });
    await screen.findByTestId('handover-state');
    expect(screen.queryByTestId('exports')).toBeNull();
  });
});

describe('evidence export', () => {
  it('on HQ exports in the page language, with identity only when ticked', async () => {
    setLanguage('ko');
    const shell = fakeShell(baseState({ phase: 'unlocked', language: 'ko' }));
    shell.handlers.handover_status = () => status('received', { is_hq: true });
    shell.handlers.custody_trail = () => ({ total: 0, signers: [], flagged: [] });
    shell.handlers.export_evidence = () => ({ package: 'evidence-x', changes: 12, flagged_changes: 1 });
    const user = userEvent.setup();
    render(Handover, { caseId: CASE_ID });
    await user.click(await screen.findByTestId('export-evidence'));
    expect((await screen.findByTestId('evidence-written')).textContent).toContain('12');
    await user.click(screen.getByTestId('evidence-identity'));
    await user.click(screen.getByTestId('export-evidence'));
    const sent = shell.calls.filter((call) => call.cmd === 'export_evidence').map((call) => call.args);
    expect(sent).toEqual([
      { caseId: CASE_ID, language: 'ko', withIdentity: false },
      { caseId: CASE_ID, language: 'ko', withIdentity: true },
    ]);
  });
});
