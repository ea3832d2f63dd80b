// The recorder as the worker meets it, with a fake microphone and a fake MediaRecorder: asked
// first without a consent to audio recording, asked before throwing a recording away, and the
// recording shown in the top bar on every screen, with the way back to its case.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { render, screen, waitFor, within } from '@testing-library/svelte';
import userEvent from '@testing-library/user-event';
import App from '../App.svelte';
import AudioRecorder from './AudioRecorder.svelte';
import { applyState } from '../lib/app.svelte';
import { baseState, fakeShell, type FakeShell } from '../lib/test-ipc';
import type { Attachment, CaseDetail, CaseSummary } from '../lib/api';

/** A MediaRecorder that hands over one small piece when stopped. */
class FakeMediaRecorder {
  static isTypeSupported = () => false;
  mimeType = 'audio/mp4';
  state = 'inactive';
  ondataavailable: ((event: { data: Blob }) => void) | null = null;
  onstop: ((event: Event) => void) | null = null;
  onerror: ((event: Event) => void) | null = null;
  start() {
    this.state = 'recording';
  }
  stop() {
    this.state = 'inactive';
    // jsdom's Blob cannot be read back: a piece that can.
    const bytes = new Uint8Array([1, 2, 3]);
    this.ondataavailable?.({ data: { size: bytes.length, arrayBuffer: async () => bytes.buffer } as unknown as Blob });
    this.onstop?.(new Event('stop'));
  }
}

const trackStopped = vi.fn();
const getUserMedia = vi.fn(async () => ({ getTracks: () => [{ stop: trackStopped }] }));

beforeEach(() => {
  trackStopped.mockClear();
  getUserMedia.mockClear();
  vi.stubGlobal('MediaRecorder', FakeMediaRecorder);
  Object.defineProperty(navigator, 'mediaDevices', { value: { getUserMedia }, configurable: true });
});
afterEach(() => {
  vi.unstubAllGlobals();
});

const recorded: Attachment = {
  id: 'r1', file_name: 'recording.m4a', media_type: 'audio/mp4', stored_size: 3, metadata: 'recorded', added_at: 0, added_by: 'w', arrived: true, testimony: null,
};

function detail(scopes: string[], title = 'Crossing at Hoeryong'): CaseDetail {
  return {
    id: 'c'.repeat(32), title, status: 'draft', risk: 'high', team: '', tags: [], created_at: 1, created_by: 'w', updated_at: 1,
    persons: [{ id: 'p1', pseudonym: 'A-17', roles: ['source'], identity_recorded: [], identity_sealed: [] }],
    testimonies: [{
      id: 't1', source_person: 'p1', date: '2026-11-01', place: 'Yanji', interviewer: 'K', interpreter: '', language: 'ko',
      consent_given: scopes.length > 0, consent_scopes: scopes, consent_conditions: '', narrative: '', transcript: '', heads: [],
    }],
    events: [], notes: [], attachments: [], conflicts: 0,
  };
}

function recordingShell(language: 'en' | 'ko' = 'en'): FakeShell {
  const shell = fakeShell(baseState({ phase: 'unlocked', language }));
  applyState(shell.state);
  shell.handlers.start_recording = () => 'rec-1';
  shell.handlers.append_recording = () => 3;
  shell.handlers.finish_recording = () => recorded;
  shell.handlers.discard_recording = () => null;
  shell.handlers.recover_recordings = () => [];
  return shell;
}

const called = (shell: FakeShell, cmd: string) => shell.calls.filter((call) => call.cmd === cmd).length;

describe('recorder: consent and discard', () => {
  it('asks first when the testimony’s consent does not cover audio: going back records nothing', async () => {
    const shell = recordingShell();
    const user = userEvent.setup();
    render(AudioRecorder, { detail: detail(['documentation', 'share_with_hq']), reload: async () => {} });
    await user.click(screen.getByTestId('record-start'));
    const ask = screen.getByTestId('record-consent');
    expect(ask.textContent).toContain('The consent recorded for this testimony does not include audio recording');
    await user.click(within(ask).getByTestId('record-consent-back'));
    expect(screen.queryByTestId('record-consent')).toBeNull();
    expect(getUserMedia).not.toHaveBeenCalled();
    expect(called(shell, 'start_recording')).toBe(0);

    await user.click(screen.getByTestId('record-start'));
    await user.click(screen.getByTestId('record-consent-confirm'));
    expect((await screen.findByTestId('record-status')).textContent).toContain('Recording 0:00');
    expect(called(shell, 'start_recording')).toBe(1);
  });

  it('records at once when a testimony’s consent covers audio recording (in Korean)', async () => {
    const shell = recordingShell('ko');
    const user = userEvent.setup();
    render(AudioRecorder, { detail: detail(['documentation', 'audio_recording']), reload: async () => {} });
    await user.click(screen.getByTestId('record-start'));
    expect(screen.queryByTestId('record-consent')).toBeNull();
    expect((await screen.findByTestId('record-status')).textContent).toContain('녹음 중 0:00');
    expect(called(shell, 'start_recording')).toBe(1);
  });

  it('asks before discarding: keeping goes on recording, discarding deletes it', async () => {
    const shell = recordingShell();
    const user = userEvent.setup();
    render(AudioRecorder, { detail: detail(['audio_recording']), reload: async () => {} });
    await user.click(screen.getByTestId('record-start'));
    await screen.findByTestId('record-status');
    await user.click(screen.getByTestId('record-discard'));
    expect(screen.getByTestId('record-discard-confirm').textContent).toContain('cannot be undone');
    await user.click(screen.getByTestId('record-discard-no'));
    expect(called(shell, 'discard_recording')).toBe(0);
    expect(screen.getByTestId('record-status')).toBeTruthy();
    expect(trackStopped).not.toHaveBeenCalled();

    await user.click(screen.getByTestId('record-discard'));
    await user.click(screen.getByTestId('record-discard-yes'));
    await waitFor(() => expect(called(shell, 'discard_recording')).toBe(1));
    expect(await screen.findByTestId('record-start')).toBeTruthy();
    expect(trackStopped).toHaveBeenCalled();
  });
});

describe('recorder: the testimony being recorded', () => {
  it('is linked to the recording: the one whose consent covers audio first, another by choice (then asked about consent)', async () => {
    const shell = recordingShell();
    const two = detail(['documentation']);
    two.persons.push({ id: 'p2', pseudonym: 'B-4', roles: ['witness'], identity_recorded: [], identity_sealed: [] });
    two.testimonies.push({ ...two.testimonies[0], id: 't2', source_person: 'p2', date: '2026-11-02', consent_scopes: ['documentation', 'audio_recording'] });
    const user = userEvent.setup();
    render(AudioRecorder, { detail: two, reload: async () => {} });
    const choice = screen.getByTestId('record-testimony') as HTMLSelectElement;
    expect(choice.value).toBe('t2');
    expect([...choice.options].map((option) => option.textContent)).toEqual(['Testimony of A-17 · 2026-11-01', 'Testimony of B-4 · 2026-11-02']);
    await user.click(screen.getByTestId('record-start'));
    await screen.findByTestId('record-status');
    expect(shell.calls.filter((call) => call.cmd === 'start_recording').map((call) => call.args.testimonyId)).toEqual(['t2']);
    await user.click(screen.getByTestId('record-stop'));
    await screen.findByTestId('record-saved');

    await user.selectOptions(screen.getByTestId('record-testimony'), 't1');
    await user.click(screen.getByTestId('record-start'));
    await user.click(within(screen.getByTestId('record-consent')).getByTestId('record-consent-confirm'));
    await screen.findByTestId('record-status');
    expect(shell.calls.filter((call) => call.cmd === 'start_recording').map((call) => call.args.testimonyId)).toEqual(['t2', 't1']);
  });

  it('is named when there is only one, and shown on the finished recording', async () => {
    recordingShell();
    const one = detail(['audio_recording']);
    render(AudioRecorder, { detail: one, reload: async () => {} });
    expect(screen.getByTestId('record-testimony-only').textContent).toBe('The recording is linked to: Testimony of A-17 · 2026-11-01.');
    const { default: Attachments } = await import('./Attachments.svelte');
    render(Attachments, { detail: { ...one, attachments: [{ ...recorded, testimony: 't1' }, { ...recorded, id: 'r2', testimony: null }] }, reload: async () => {} });
    expect(screen.getAllByTestId('attachment-testimony').map((item) => item.textContent)).toEqual(['Linked to: Testimony of A-17']);
  });
});

describe('recorder: the top bar shows it everywhere', () => {
  it('goes on recording on another screen, with the time and the case, and leads back to the case', async () => {
    const shell = recordingShell();
    const caseDetail = detail(['audio_recording']);
    const summary: CaseSummary = {
      id: caseDetail.id, title: caseDetail.title, status: 'draft', risk: 'high', created_at: 1, updated_at: 1, persons: 1, testimonies: 1,
      events: 0, notes: 0, attachments: 0, conflicts: 0, tags: [], act_types: [], first_date: null, last_date: null, handover: 'draft',
    };
    shell.handlers.list_cases = () => [summary];
    shell.handlers.open_case = () => caseDetail;
    const user = userEvent.setup();
    render(App);
    await user.click(await screen.findByTestId('case-row'));
    await user.click(await screen.findByTestId('tab-attachments'));
    expect(screen.queryByTestId('recording-indicator')).toBeNull();
    await user.click(screen.getByTestId('record-start'));
    await screen.findByTestId('record-status');

    // Another tab of the case, then another screen: still recording, and said so in the top bar.
    await user.click(screen.getByTestId('tab-testimonies'));
    await user.click(screen.getByTestId('nav-team'));
    const indicator = screen.getByTestId('recording-indicator');
    expect(indicator.textContent).toContain('Recording 0:00');
    expect(indicator.textContent).toContain('Crossing at Hoeryong');
    await waitFor(() => expect(screen.getByTestId('recording-indicator').textContent).toContain('0:01'), { timeout: 2500 });
    expect(called(shell, 'finish_recording')).toBe(0);
    expect(trackStopped).not.toHaveBeenCalled();

    await user.click(screen.getByTestId('recording-indicator'));
    expect((await screen.findByTestId('case-title')).textContent).toBe('Crossing at Hoeryong');
    expect(screen.getByTestId('record-status')).toBeTruthy();
    await user.click(screen.getByTestId('record-stop'));
    expect(await screen.findByTestId('record-saved')).toBeTruthy();
    expect(called(shell, 'finish_recording')).toBe(1);
    expect(screen.queryByTestId('recording-indicator')).toBeNull();
  });
});

/** Web Audio as much as the level meter uses: a steady signal of amplitude `amplitude`. */
function fakeAudio(amplitude: { value: number }) {
  const closed = vi.fn(async () => {});
  class FakeAudioContext {
    createAnalyser() {
      return { fftSize: 0, getFloatTimeDomainData: (out: Float32Array) => out.fill(amplitude.value) };
    }
    createMediaStreamSource() {
      return { connect: () => {} };
    }
    close = closed;
  }
  vi.stubGlobal('AudioContext', FakeAudioContext);
  return closed;
}

describe('recorder: the level meter', () => {
  it('follows the microphone in the top bar, and lets Web Audio go when the recording ends', async () => {
    const amplitude = { value: 0 };
    const closed = fakeAudio(amplitude);
    const shell = recordingShell();
    const caseDetail = detail(['audio_recording']);
    shell.handlers.open_case = () => caseDetail;
    shell.handlers.list_cases = () => [{
      id: caseDetail.id, title: caseDetail.title, status: 'draft', risk: 'high', created_at: 1, updated_at: 1, persons: 1, testimonies: 1,
      events: 0, notes: 0, attachments: 0, conflicts: 0, tags: [], act_types: [], first_date: null, last_date: null, handover: 'draft',
    }];
    const user = userEvent.setup();
    render(App);
    await user.click(await screen.findByTestId('case-row'));
    await user.click(await screen.findByTestId('tab-attachments'));
    await user.click(screen.getByTestId('record-start'));
    const meter = (await screen.findByTestId('recording-level')) as HTMLMeterElement;
    expect(Number(meter.getAttribute('value') ?? meter.value)).toBe(0);
    // A speaker: an RMS of 0.1 fills 40 % of the meter.
    amplitude.value = 0.1;
    await waitFor(() => expect(Number((screen.getByTestId('recording-level') as HTMLMeterElement).value)).toBeCloseTo(0.4, 2));
    // Shouting stays within the meter.
    amplitude.value = 0.9;
    await waitFor(() => expect(Number((screen.getByTestId('recording-level') as HTMLMeterElement).value)).toBe(1));
    await user.click(screen.getByTestId('tab-attachments'));
    await user.click(screen.getByTestId('record-stop'));
    await screen.findByTestId('record-saved');
    expect(screen.queryByTestId('recording-level')).toBeNull();
    expect(closed).toHaveBeenCalledTimes(1);
  });
});
