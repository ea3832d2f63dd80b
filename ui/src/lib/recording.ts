// In-app audio recording. The browser's MediaRecorder hands over a piece of audio every
// second; each piece goes to the shell as raw bytes, strictly one after another and with the
// count of bytes before it, and is sealed into the vault before the next one is sent. Nothing
// is kept here longer than it takes to send it.
import { recordings, type Attachment } from './api';

/** How often the recorder hands over a piece (ms): at most this much is held in the page. */
export const PIECE_MS = 1000;

/** The formats asked for, best first (WebKitGTK records MP4/AAC; others WebM or Ogg Opus). */
const PREFERRED = ['audio/webm;codecs=opus', 'audio/ogg;codecs=opus', 'audio/mp4'];

/** The parts of MediaRecorder used here (so tests can drive a fake one). */
export interface RecorderLike {
  readonly mimeType: string;
  readonly state: string;
  ondataavailable: ((event: BlobEvent) => void) | null;
  onstop: ((event: Event) => void) | null;
  onerror: ((event: ErrorEvent) => void) | null;
  start(timeslice: number): void;
  stop(): void;
}

/** Where pieces go: the shell's recording commands. */
export interface RecordingBackend {
  /** `testimonyId`: the testimony being recorded, linked to the recording (null: none). */
  start(caseId: string, mime: string, testimonyId: string | null): Promise<string>;
  append(recordingId: string, offset: number, piece: Uint8Array): Promise<number>;
  finish(recordingId: string): Promise<Attachment>;
  discard(recordingId: string): Promise<void>;
}

export const shellBackend: RecordingBackend = recordings;

/** Whether this webview can record audio at all. */
export function recordingSupported(): boolean {
  return typeof MediaRecorder !== 'undefined' && typeof navigator !== 'undefined' && !!navigator.mediaDevices?.getUserMedia;
}

/** The format to ask the recorder for ('' lets it choose). */
export function preferredMime(isSupported: (mime: string) => boolean): string {
  return PREFERRED.find((mime) => isSupported(mime)) ?? '';
}

/** One recording: started, fed piece by piece, then finished or discarded. */
export class Recording {
  /** Bytes stored in the vault so far. */
  stored = 0;
  /** The first error, after which nothing more is sent. */
  failure: unknown = null;
  private id = '';
  private queue: Promise<void> = Promise.resolve();
  private stopped: Promise<void>;
  private resolveStopped: () => void = () => {};

  constructor(
    private readonly recorder: RecorderLike,
    private readonly backend: RecordingBackend,
    private readonly onChange: () => void = () => {},
  ) {
    this.stopped = new Promise((resolve) => (this.resolveStopped = resolve));
    recorder.ondataavailable = (event) => this.enqueue(event.data);
    recorder.onstop = () => this.resolveStopped();
    recorder.onerror = (event) => this.fail(event);
  }

  /** Registers the recording with the vault (linked to `testimonyId`), then starts the recorder. */
  async begin(caseId: string, testimonyId: string | null = null): Promise<void> {
    this.id = await this.backend.start(caseId, this.recorder.mimeType || 'audio/mp4', testimonyId);
    this.recorder.start(PIECE_MS);
  }

  /** Stops, waits until every piece is stored, and adds the recording to the case. */
  async finish(): Promise<Attachment> {
    await this.stopAndDrain();
    if (this.failure) throw this.failure;
    return this.backend.finish(this.id);
  }

  /** Stops and deletes everything stored of this recording. */
  async discard(): Promise<void> {
    await this.stopAndDrain();
    if (this.id) await this.backend.discard(this.id);
  }

  private async stopAndDrain(): Promise<void> {
    if (this.recorder.state !== 'inactive') this.recorder.stop();
    else this.resolveStopped();
    // The recorder hands over its last piece before it reports that it stopped.
    await this.stopped;
    await this.queue;
  }

  private enqueue(piece: Blob) {
    this.queue = this.queue.then(async () => {
      if (this.failure || piece.size === 0) return;
      try {
        const bytes = new Uint8Array(await piece.arrayBuffer());
        this.stored = await this.backend.append(this.id, this.stored, bytes);
        this.onChange();
      } catch (error) {
        this.fail(error);
      }
    });
  }

  private fail(error: unknown) {
    if (this.failure) return;
    this.failure = error ?? { code: 'internal', message: 'recorder error' };
    if (this.recorder.state !== 'inactive') this.recorder.stop();
    this.onChange();
  }
}
