import { describe, expect, it } from 'vitest';
import { Recording, preferredMime, type RecorderLike, type RecordingBackend } from './recording';
import type { Attachment } from './api';

// jsdom's Blob lacks arrayBuffer(); WebKit's has it.
if (!Blob.prototype.arrayBuffer) {
  Blob.prototype.arrayBuffer = function (this: Blob) {
    return new Promise<ArrayBuffer>((resolve, reject) => {
      const reader = new FileReader();
      reader.onload = () => resolve(reader.result as ArrayBuffer);
      reader.onerror = () => reject(reader.error);
      reader.readAsArrayBuffer(this);
    });
  };
}

class FakeRecorder implements RecorderLike {
  mimeType = 'audio/mp4';
  state = 'inactive';
  ondataavailable: ((event: BlobEvent) => void) | null = null;
  onstop: ((event: Event) => void) | null = null;
  onerror: ((event: ErrorEvent) => void) | null = null;
  start() {
    this.state = 'recording';
  }
  stop() {
    this.state = 'inactive';
    // Like MediaRecorder: the last piece first, then the stop event, both asynchronously.
    setTimeout(() => {
      this.emit('last');
      this.onstop?.(new Event("stop"));
    }, 0);
  }
  emit(text: string) {
    this.ondataavailable?.({ data: new Blob([text]) } as BlobEvent);
  }
}

/** A backend whose appends take varying time, recording what it stored in what order. */
function fakeBackend(failAt = -1) {
  const stored: string[] = [];
  const calls: string[] = [];
  let total = 0;
  const backend: RecordingBackend = {
    start: async (caseId, mime) => {
      calls.push(`start ${caseId} ${mime}`);
      return 'rec1';
    },
    append: async (id, offset, piece) => {
      // Later pieces answer faster: only strict queuing keeps them in order.
      await new Promise((resolve) => setTimeout(resolve, 20 - stored.length * 5));
      if (offset !== total) throw { code: 'recording_out_of_order', message: '' };
      if (stored.length === failAt) throw { code: 'disk_full', message: '' };
      stored.push(new TextDecoder().decode(piece));
      total += piece.length;
      calls.push(`append ${id} ${offset}`);
      return total;
    },
    finish: async (id) => {
      calls.push(`finish ${id}`);
      return { id: 'att', stored_size: total } as Attachment;
    },
    discard: async (id) => {
      calls.push(`discard ${id}`);
    },
  };
  return { backend, stored, calls };
}

describe('Recording', () => {
  it('stores every piece in order with its offset, the last one included, then finishes', async () => {
    const recorder = new FakeRecorder();
    const { backend, stored, calls } = fakeBackend();
    const recording = new Recording(recorder, backend);
    await recording.begin('case9');
    recorder.emit('one');
    recorder.emit('two');
    recorder.emit('three');
    const attachment = await recording.finish();
    expect(stored).toEqual(['one', 'two', 'three', 'last']);
    expect(calls).toEqual(['start case9 audio/mp4', 'append rec1 0', 'append rec1 3', 'append rec1 6', 'append rec1 11', 'finish rec1']);
    expect(attachment.stored_size).toBe(15);
    expect(recording.stored).toBe(15);
  });

  it('stops at the first failure, sends nothing more, and does not finish', async () => {
    const recorder = new FakeRecorder();
    const { backend, stored, calls } = fakeBackend(1);
    const recording = new Recording(recorder, backend);
    await recording.begin('case9');
    recorder.emit('one');
    recorder.emit('two');
    recorder.emit('three');
    await expect(recording.finish()).rejects.toMatchObject({ code: 'disk_full' });
    expect(stored).toEqual(['one']);
    expect(calls).not.toContain('finish rec1');
    expect(recorder.state).toBe('inactive');
  });

  it('discards what was stored', async () => {
    const recorder = new FakeRecorder();
    const { backend, calls } = fakeBackend();
    const recording = new Recording(recorder, backend);
    await recording.begin('case9');
    recorder.emit('one');
    await recording.discard();
    expect(calls.at(-1)).toBe('discard rec1');
    expect(calls).not.toContain('finish rec1');
  });

  it('asks for the first format the recorder supports', () => {
    expect(preferredMime((mime) => mime === 'audio/mp4')).toBe('audio/mp4');
    expect(preferredMime(() => true)).toBe('audio/webm;codecs=opus');
    expect(preferredMime(() => false)).toBe('');
  });
});
