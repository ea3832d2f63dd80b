import { describe, expect, it } from 'vitest';
import { render, screen, waitFor } from '@testing-library/svelte';
import userEvent from '@testing-library/user-event';
import { emit } from '@tauri-apps/api/event';
import Attachments from './Attachments.svelte';
import { applyState } from '../lib/app.svelte';
import { WORK_PROGRESS_EVENT, type Attachment, type CaseDetail } from '../lib/api';
import { baseState, fakeShell } from '../lib/test-ipc';

const attachment: Attachment = {
  id: 'a1',
  file_name: 'interview.wav',
  media_type: 'application/octet-stream',
  stored_size: 2048,
  metadata: 'not_an_image',
  added_at: 0,
  added_by: 'worker',
  arrived: true,
  testimony: null,
};

function detail(attachments: Attachment[] = []): CaseDetail {
  return {
    id: 'c1', title: 'Case', status: 'open', risk: 'low', team: '', tags: [], created_at: 0, created_by: 'worker',
    updated_at: 0, persons: [], testimonies: [], events: [], notes: [], attachments, conflicts: 0,
  };
}

/** Emits progress until the bar shows it (the component starts listening once mounted). */
async function progress(done: number, total: number | null, shown: number) {
  await waitFor(async () => {
    await emit(WORK_PROGRESS_EVENT, { done, total });
    expect((screen.getByTestId('busy').querySelector('progress') as HTMLProgressElement).value).toBe(shown);
  });
}

describe('attachments: progress and cancel', () => {
  it('shows the import’s progress, and Cancel stops it without an error', async () => {
    const shell = fakeShell(baseState({ phase: 'unlocked', language: 'en' }));
    applyState(shell.state);
    let stop: (error: unknown) => void = () => {};
    shell.handlers.import_attachment = () => new Promise((_, reject) => { stop = reject; });
    shell.handlers.cancel_work = () => {
      stop({ code: 'cancelled', message: 'the work was cancelled; nothing was kept' });
      return null;
    };
    const user = userEvent.setup();
    render(Attachments, { props: { detail: detail(), reload: async () => {} } });
    await user.click(screen.getByTestId('attachment-import'));
    expect(await screen.findByTestId('work-progress')).toBeTruthy();
    expect((screen.getByTestId('attachment-import') as HTMLButtonElement).disabled).toBe(true);
    await progress(512 * 1024, 1024 * 1024, 0.5);
    expect(screen.getByTestId('work-bytes').textContent).toBe('512.0 KB of 1.0 MB');
    await user.click(screen.getByTestId('work-cancel'));
    expect(shell.calls.filter((c) => c.cmd === 'cancel_work')).toHaveLength(1);
    expect((await screen.findByTestId('attachment-outcome')).textContent).toBe('Import cancelled. Nothing was added to the case.');
    expect(screen.queryByTestId('work-progress')).toBeNull();
    expect(screen.queryByTestId('error')).toBeNull();
  });

  it('measures an export against the attachment’s size, in Korean', async () => {
    const shell = fakeShell(baseState({ phase: 'unlocked', language: 'ko' }));
    applyState(shell.state);
    let finish: (written: boolean) => void = () => {};
    shell.handlers.export_attachment = () => new Promise((resolve) => { finish = resolve; });
    const user = userEvent.setup();
    render(Attachments, { props: { detail: detail([attachment]), reload: async () => {} } });
    await user.click(screen.getByText('사본 내보내기…'));
    // The warning comes first; nothing is asked of the shell until the worker goes on.
    expect(screen.getByTestId('export-warning').textContent).toContain('암호화되지 않습니다');
    expect(shell.calls.some((call) => call.cmd === 'export_attachment')).toBe(false);
    await user.click(screen.getByTestId('attachment-export-confirm'));
    await progress(1024, null, 0.5);
    expect(screen.getByTestId('work-bytes').textContent).toBe('2.0 KB 중 1.0 KB');
    expect(screen.getByTestId('work-cancel').textContent).toBe('취소');
    finish(true);
    expect((await screen.findByTestId('attachment-outcome')).textContent).toContain('사본을 썼습니다');
    expect(screen.queryByTestId('work-progress')).toBeNull();
  });
});

describe('an attachment added on another device', () => {
  it('shows it as arriving, with nothing to export or play until its content is here', async () => {
    const shell = fakeShell(baseState({ phase: 'unlocked', language: 'en' }));
    applyState(shell.state);
    const arriving = { ...attachment, id: 'a2', media_type: 'audio/mp4', arrived: false };
    render(Attachments, { props: { detail: detail([arriving]), reload: async () => {} } });
    expect(screen.getByTestId('attachment-arriving').textContent).toContain('next sync');
    expect(screen.queryByText('Export a copy…')).toBeNull();
  });
});
