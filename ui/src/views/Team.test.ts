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
    await user.type(screen.getByTestId('request-name'), 'laptop 1');
    await user.click(screen.getByTestId('request-make'));
    expect((await screen.findByTestId('request-text')).textContent).toBe('CAIRN-ENROLL1:laptop 1');
    expect(screen.getByTestId('qr-code').querySelectorAll('rect.qr-dark')).toHaveLength(2);
  });

  it('on an HQ vault, shows the requester’s fingerprint and enrolls only with it typed', async () => {
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
    expect((await screen.findByTestId('enroll-fingerprint')).textContent).toBe(FINGERPRINT);
    expect((screen.getByTestId('enroll') as HTMLButtonElement).disabled).toBe(true);
    await user.type(screen.getByTestId('enroll-confirm'), FINGERPRINT);
    await user.click(screen.getByTestId('enroll'));
    await vi.waitFor(() => expect(shell.calls.find((c) => c.cmd === 'enroll_device')?.args).toEqual({ role: 'field', name: '현장 1', confirmedFingerprint: FINGERPRINT }));
    expect((await screen.findByTestId('team-message')).textContent).toContain('명단 2판');
  });
});
