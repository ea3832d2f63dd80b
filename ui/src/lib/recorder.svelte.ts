// The recording under way, app-wide: it belongs to no screen, so it goes on while the worker
// types the testimony or looks at another screen, and the top bar shows it everywhere (with a
// way back to its case). One at a time. A lock ends it: the page is dropped, and what was sealed
// until then comes back at unlock as an interrupted recording.
import { recordings } from './api';
import { Recording, preferredMime, shellBackend, type RecordingBackend } from './recording';

export type RecorderPhase = 'idle' | 'starting' | 'recording' | 'saving';
export type RecorderProblem = 'denied' | 'no_microphone' | 'unsupported';

export const live = $state<{
  phase: RecorderPhase;
  /** The case being recorded (or last recorded: what `saved`, `error`, `problem` are about). */
  caseId: string | null;
  caseTitle: string;
  seconds: number;
  /** The microphone's loudness now, 0 (silence) to 1 (full scale): the top bar's level meter,
   * so the worker sees that the microphone hears the speaker. */
  level: number;
  /** Bytes sealed into the vault so far. */
  stored: number;
  saved: number | null;
  error: unknown;
  problem: RecorderProblem | null;
}>({ phase: 'idle', caseId: null, caseTitle: '', seconds: 0, level: 0, stored: 0, saved: null, error: null, problem: null });

/** How often the level meter is read (ten times a second: smooth enough, cheap). */
const LEVEL_EVERY_MS = 100;

/** Follows a stream's loudness (the root mean square of the last samples, scaled so that normal
 * speech fills most of the meter) until stopped. None where the page has no Web Audio. */
function followLevel(source: MediaStream, report: (level: number) => void): (() => void) | null {
  if (typeof AudioContext === 'undefined') return null;
  const context = new AudioContext();
  const analyser = context.createAnalyser();
  analyser.fftSize = 1024;
  context.createMediaStreamSource(source).connect(analyser);
  const samples = new Float32Array(analyser.fftSize);
  const reading = setInterval(() => {
    analyser.getFloatTimeDomainData(samples);
    let sum = 0;
    for (const sample of samples) sum += sample * sample;
    report(Math.min(1, Math.sqrt(sum / samples.length) * 4));
  }, LEVEL_EVERY_MS);
  return () => {
    clearInterval(reading);
    void context.close().catch(() => {});
  };
}

let recording: Recording | null = null;
let stream: MediaStream | null = null;
let timer: ReturnType<typeof setInterval> | undefined;
let stopLevel: (() => void) | null = null;
// Called once a recording ended and its case changed (the open case editor reloads).
let afterStop: ((caseId: string) => Promise<void> | void) | null = null;

export function onRecordingEnded(callback: ((caseId: string) => Promise<void> | void) | null): void {
  afterStop = callback;
}

export function isRecording(): boolean {
  return live.phase === 'recording' || live.phase === 'saving' || live.phase === 'starting';
}

function release() {
  clearInterval(timer);
  timer = undefined;
  stopLevel?.();
  stopLevel = null;
  live.level = 0;
  stream?.getTracks().forEach((track) => track.stop());
  stream = null;
  recording = null;
}

export async function startRecording(
  caseId: string,
  caseTitle: string,
  backend: RecordingBackend = shellBackend,
  testimonyId: string | null = null,
): Promise<void> {
  if (isRecording()) return;
  Object.assign(live, { phase: 'starting', caseId, caseTitle, seconds: 0, level: 0, stored: 0, saved: null, error: null, problem: null });
  try {
    stream = await navigator.mediaDevices.getUserMedia({ audio: true, video: false });
  } catch (e) {
    const name = (e as { name?: string })?.name;
    live.problem = name === 'NotAllowedError' ? 'denied' : name === 'NotFoundError' ? 'no_microphone' : 'unsupported';
    live.phase = 'idle';
    return;
  }
  try {
    const mime = preferredMime((candidate) => MediaRecorder.isTypeSupported(candidate));
    const recorder = new MediaRecorder(stream, mime ? { mimeType: mime } : undefined);
    const current = new Recording(recorder, backend, () => {
      live.stored = current.stored;
      if (current.failure && live.phase === 'recording') void stopRecording();
    });
    recording = current;
    await current.begin(caseId, testimonyId);
    live.phase = 'recording';
    timer = setInterval(() => (live.seconds += 1), 1000);
    try {
      stopLevel = followLevel(stream, (level) => (live.level = level));
    } catch {
      // No meter is no reason to stop recording.
      stopLevel = null;
    }
  } catch (e) {
    const unsupported = (e as { name?: string })?.name === 'NotSupportedError';
    live.error = unsupported ? null : e;
    if (unsupported) live.problem = 'unsupported';
    release();
    live.phase = 'idle';
  }
}

export async function stopRecording(): Promise<void> {
  if (!recording || live.phase !== 'recording') return;
  live.phase = 'saving';
  const current = recording;
  const caseId = live.caseId;
  try {
    const attachment = await current.finish();
    live.saved = attachment.stored_size;
  } catch (e) {
    live.error = e;
    // What was stored before the failure is kept as an interrupted recording.
    await recordings.recover().catch(() => {});
  } finally {
    release();
    live.phase = 'idle';
    if (caseId) await afterStop?.(caseId);
  }
}

export async function discardRecording(): Promise<void> {
  if (!recording || live.phase !== 'recording') return;
  live.phase = 'saving';
  try {
    await recording.discard();
  } catch (e) {
    live.error = e;
  } finally {
    release();
    live.phase = 'idle';
  }
}

/** The unlocked app is going away (a lock): keep what was recorded if the vault still takes it. */
export function endRecorder(): void {
  const current = live.phase === 'recording' ? recording : null;
  const tracks = stream?.getTracks() ?? [];
  clearInterval(timer);
  timer = undefined;
  stopLevel?.();
  stopLevel = null;
  stream = null;
  recording = null;
  const stopTracks = () => tracks.forEach((track) => track.stop());
  if (current) void current.finish().catch(() => {}).finally(stopTracks);
  else stopTracks();
  Object.assign(live, { phase: 'idle', caseId: null, caseTitle: '', seconds: 0, level: 0, stored: 0, saved: null, error: null, problem: null });
  afterStop = null;
}
