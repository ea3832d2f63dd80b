import { describe, expect, it, vi } from 'vitest';
import { render, screen } from '@testing-library/svelte';
import userEvent from '@testing-library/user-event';
import Team from './Team.svelte';
import { applyState } from '../lib/app.svelte';
import { baseState, fakeShell } from '../lib/test-ipc';
import type { Roster } from '../lib/api';

const FINGERPRINT = '81800 94547 27997 46957 10488 24705';

describe('team', () => {
  it('shows this device’s fingerprint and its enrollment request as a QR code', async () => {
    const shell = fakeShell(baseState({ phase: 'unlocked', language: 'en' }));
    applyState(shell.state);
    shell.handlers.device_identity = () => ({ device_id: 'ab'.repeat(16), fingerprint: FINGERPRINT, organisation_fingerprint: null });
    shell.handlers.roster = () => null;
    shell.handlers.enrollment_request = (args) => ({
      device_id: 'ab'.repeat(16), fingerprint: FINGERPRINT, text: `CAIRN-ENROLL1:${args.name}`, qr: { width: 2, dark: [true, false, false, true] },
    });
    const user = userEvent.setup();
    render(Team);
    expect((await screen.findByTestId('device-fingerprint')).textContent).toBe(FINGERPRINT);
    const described = screen.getByTestId('request-name').getAttribute('aria-describedby') ?? '';
    expect(document.getElementById(described)?.textContent).toMatch(/never a person’s or a place’s name/);
    await user.type(screen.getByTestId('request-name'), 'laptop 1');
    await user.click(screen.getByTestId('request-make'));
    expect((await screen.findByTestId('request-text')).textContent).toBe('CAIRN-ENROLL1:laptop 1');
    expect(screen.getByTestId('qr-code').querySelectorAll('rect.qr-dark')).toHaveLength(2);
  });

  it('on an HQ vault, shows the requester’s fingerprint only once the one typed matches, and enrolls only then', async () => {
    const shell = fakeShell(baseState({ phase: 'unlocked', language: 'ko' }));
    applyState(shell.state);
    const roster: Roster = {
      organisation_name: '본부', organisation_fingerprint: '1 2 3', version: 1, epoch: 1, this_device: 'hq', standing: { kind: 'member', role: 'hq' },
      is_hq_vault: true, members: [{ device_id: 'hq', name: '본부 기기', role: 'hq', fingerprint: '9 9 9' }], revoked: [],
    };
    shell.handlers.device_identity = () => ({ device_id: 'hq', fingerprint: '9 9 9', organisation_fingerprint: '1 2 3' });
    shell.handlers.roster = () => roster;
    shell.handlers.preview_enrollment = () => ({ device_id: 'cd'.repeat(16), fingerprint: FINGERPRINT, requested_name: '현장 1' });
    shell.handlers.enroll_device = () => ({ device_id: 'cd'.repeat(16), roster_version: 2, epoch: 1 });
    const user = userEvent.setup();
    render(Team);
    expect((await screen.findByTestId('roster')).textContent).toContain('본부 기기');
    await user.type(screen.getByTestId('enroll-paste'), 'CAIRN-ENROLL1:XYZ');
    await user.click(screen.getByTestId('enroll-read-text'));
    expect(await screen.findByTestId('enroll-preview')).toBeTruthy();
    // Nothing to copy from: the request's fingerprint is not on the screen yet.
    expect(screen.queryByTestId('enroll-fingerprint')).toBeNull();
    expect(document.body.textContent).not.toContain(FINGERPRINT);
    expect((screen.getByTestId('enroll') as HTMLButtonElement).disabled).toBe(true);
    // A wrong fingerprint, typed in full: told it does not match; still nothing shown.
    await user.type(screen.getByTestId('enroll-confirm'), FINGERPRINT.replace('81800', '81801'));
    expect(screen.getByTestId('enroll-fingerprint-mismatch')).toBeTruthy();
    expect(document.body.textContent).not.toContain(FINGERPRINT);
    expect((screen.getByTestId('enroll') as HTMLButtonElement).disabled).toBe(true);
    await user.clear(screen.getByTestId('enroll-confirm'));
    await user.type(screen.getByTestId('enroll-confirm'), FINGERPRINT.replaceAll(' ', '-'));
    expect(screen.getByTestId('enroll-fingerprint').textContent).toContain(FINGERPRINT);
    await user.click(screen.getByTestId('enroll'));
    await vi.waitFor(() => expect(shell.calls.find((c) => c.cmd === 'enroll_device')?.args).toEqual({ role: 'field', name: '현장 1', confirmedFingerprint: FINGERPRINT.replaceAll(' ', '-') }));
    expect((await screen.findByTestId('team-message')).textContent).toContain('명단 2판');
  });

  it('shows a roster’s organisation fingerprint only once the one HQ gave matches it, and can start over', async () => {
    const shell = fakeShell(baseState({ phase: 'unlocked', language: 'en' }));
    applyState(shell.state);
    shell.handlers.device_identity = () => ({ device_id: 'ab'.repeat(16), fingerprint: '9 9 9', organisation_fingerprint: null });
    shell.handlers.roster = () => null;
    shell.handlers.preview_roster = () => ({ organisation_fingerprint: FINGERPRINT, already_pinned: false });
    shell.handlers.import_roster = () => ({ roster_version: 3 });
    const user = userEvent.setup();
    render(Team);
    await screen.findByTestId('device-fingerprint');
    await user.click(screen.getByTestId('roster-import'));
    expect(await screen.findByTestId('roster-preview')).toBeTruthy();
    expect(document.body.textContent).not.toContain(FINGERPRINT);
    const importButton = () => screen.getByTestId('roster-confirm-import') as HTMLButtonElement;
    expect(importButton().disabled).toBe(true);
    await user.type(screen.getByTestId('roster-confirm'), '11111 22222 33333 44444 55555 66666');
    expect(screen.getByTestId('roster-fingerprint-mismatch')).toBeTruthy();
    expect(importButton().disabled).toBe(true);
    // Start over: the file is forgotten; pick again.
    await user.click(screen.getByTestId('roster-start-over'));
    expect(screen.queryByTestId('roster-preview')).toBeNull();
    await user.click(screen.getByTestId('roster-import'));
    await user.type(await screen.findByTestId('roster-confirm'), FINGERPRINT);
    expect(screen.getByTestId('roster-fingerprint-matched').textContent).toContain(FINGERPRINT);
    await user.click(importButton());
    await vi.waitFor(() => expect(shell.calls.find((c) => c.cmd === 'import_roster')?.args).toEqual({ confirmedFingerprint: FINGERPRINT }));
  });

  it('says so when a roster moved the pin to the root key HQ had announced, with the new fingerprint', async () => {
    const shell = fakeShell(baseState({ phase: 'unlocked', language: 'ko' }));
    applyState(shell.state);
    shell.handlers.device_identity = () => ({ device_id: 'ab'.repeat(16), fingerprint: '9 9 9', organisation_fingerprint: '1 2 3' });
    shell.handlers.roster = () => null;
    shell.handlers.preview_roster = () => ({ organisation_fingerprint: FINGERPRINT, already_pinned: true });
    shell.handlers.import_roster = () => ({
      roster_version: 7, epoch: 1, organisation_fingerprint: FINGERPRINT, first_pin: false, rotated_root: true, standing: { kind: 'member', role: 'field' },
    });
    const user = userEvent.setup();
    render(Team);
    await screen.findByTestId('device-fingerprint');
    await user.click(screen.getByTestId('roster-import'));
    await user.click(await screen.findByTestId('roster-confirm-import'));
    const message = (await screen.findByTestId('team-message')).textContent ?? '';
    expect(message).toContain('새 루트 키');
    expect(message).toContain(FINGERPRINT);
  });
});
