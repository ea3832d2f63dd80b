// The bridge to the shell: the only module that invokes a command or listens to an event.
// Every command is a typed wrapper here, and each rejects with a CommandError `{ code, message }`;
// the UI shows its own text for the code (see errors.ts), never the raw message.
//
// The types are not written by hand: they are generated from the shell's Rust DTOs, command
// names and events into ./bindings (src-tauri/src/bindings.rs; a cargo test fails when they are
// stale) and re-exported here, so a renamed field fails `npm run check`, not the app.
import { invoke } from '@tauri-apps/api/core';
import { listen, type UnlistenFn } from '@tauri-apps/api/event';
import type {
  AppState,
  Attachment,
  CaseDetail,
  CaseSummary,
  CommandError,
  CustodyTrail,
  Conflict,
  Device,
  EnrollmentPreview,
  EnrollmentRequest,
  Identity,
  ImportedAttachment,
  Issued,
  LockReason,
  MediaInfo,
  NewAct,
  NewEvent,
  NewTestimony,
  Organisation,
  PersonEdit,
  ActEdit,
  EventEdit,
  EvidenceWritten,
  ExportKind,
  ExportWritten,
  RecoveredRecording,
  RecoveryCode,
  RevealedIdentity,
  Roster,
  RosterExpiry,
  RosterImported,
  RosterPreview,
  SearchHit,
  BundleExport,
  BundleImport,
  BundleProgress,
  SyncOutcome,
  SyncOverview,
  FoundDevice,
  HandoverStatus,
  SyncProgress,
  TestimonyEdit,
  VaultStatus,
  Vocabulary,
  WindowTitle,
  WipeGesture,
  WorkProgress,
} from './bindings';
import { OFFSET_HEADER, RECORDING_HEADER, type CommandName } from './bindings/commands';
import {
  BUNDLE_PROGRESS_EVENT,
  SYNC_PROGRESS_EVENT,
  VAULT_LOCKED_EVENT,
  WORK_PROGRESS_EVENT,
  type EventPayloads,
} from './bindings/events';
import type { Lang } from './i18n.svelte';

export type * from './bindings';
export type { CommandName } from './bindings/commands';
export { BUNDLE_PROGRESS_EVENT, SYNC_PROGRESS_EVENT, VAULT_LOCKED_EVENT, WORK_PROGRESS_EVENT };

/** The identity fields of a person, in the order the forms show them. */
export type IdentityField = keyof Identity;
// A record rather than a list, so that a field added to the shell's Identity is a type error
// here until it is listed (object keys keep this order).
const IDENTITY_FIELD_SET: Record<IdentityField, true> = {
  real_name: true,
  birth_date: true,
  home_town: true,
  family: true,
  contact: true,
};
export const IDENTITY_FIELDS = Object.keys(IDENTITY_FIELD_SET) as IdentityField[];

export function isCommandError(value: unknown): value is CommandError {
  return typeof value === 'object' && value !== null && typeof (value as CommandError).code === 'string';
}

/** Called whenever a command answers `locked`: the app returns to the unlock screen. */
let onLocked: () => void = () => {};
export function setLockedHandler(handler: () => void): void {
  onLocked = handler;
}

async function call<T>(command: CommandName, args?: Record<string, unknown>): Promise<T> {
  try {
    return await invoke<T>(command, args);
  } catch (raw) {
    const error: CommandError = isCommandError(raw) ? raw : { code: 'internal', message: String(raw) };
    if (error.code === 'locked') onLocked();
    throw error;
  }
}

/** Sends raw bytes (not JSON) to a command, with its arguments in headers. */
async function callRaw<T>(command: CommandName, body: Uint8Array, headers: Record<string, string>): Promise<T> {
  try {
    return await invoke<T>(command, body, { headers });
  } catch (raw) {
    const error: CommandError = isCommandError(raw) ? raw : { code: 'internal', message: String(raw) };
    if (error.code === 'locked') onLocked();
    throw error;
  }
}

export const api = {
  appState: () => call<AppState>('app_state'),
  createVault: (passphrase: string, passphraseAgain: string) =>
    call<RecoveryCode>('create_vault', { passphrase, passphraseAgain }),
  confirmRecoveryCode: (typed: string) => call<void>('confirm_recovery_code', { typed }),
  unlock: (passphrase: string) => call<void>('unlock', { passphrase }),
  recover: (code: string, passphrase: string, passphraseAgain: string) =>
    call<void>('recover', { code, passphrase, passphraseAgain }),
  lock: () => call<void>('lock'),
  activity: () => call<void>('activity'),
  vaultStatus: () => call<VaultStatus>('vault_status'),
  changePassphrase: (current: string, passphrase: string, passphraseAgain: string) =>
    call<void>('change_passphrase', { current, passphrase, passphraseAgain }),
  /** Starts a full re-key: the new recovery code, to be shown and typed back to `rekey`. */
  beginRekey: () => call<RecoveryCode>('begin_rekey'),
  cancelRekey: () => call<void>('cancel_rekey'),
  rekey: (current: string, code: string, passphrase: string, passphraseAgain: string) =>
    call<void>('rekey', { current, code, passphrase, passphraseAgain }),
  // Null turns it off. The current passphrase proves the worker is the owner.
  setUnlockLimit: (current: string, limit: number | null) => call<void>('set_unlock_limit', { current, limit }),
  /** The number of cases in the decoy, or null when the worker closed the folder dialog. */
  setDuress: (current: string, duress: string, duressAgain: string, decoyFromFolder: boolean, decoyPassphrase: string | null) =>
    call<number | null>('set_duress', { current, duress, duressAgain, decoyFromFolder, decoyPassphrase }),
  removeDuress: (current: string) => call<void>('remove_duress', { current }),
  setPanicWipe: (current: string, gesture: WipeGesture | null) => call<void>('set_panic_wipe', { current, gesture }),
  /** Milliseconds until the keys were gone. */
  panicWipe: () => call<number>('panic_wipe'),
  setSettings: (language: Lang | null, autoLockMinutes: number) =>
    call<AppState>('set_settings', { language, autoLockMinutes }),
  // The window's title bar (capability core:window:allow-set-title, nothing else of the window).
  /** Saves the window's title and shows it (the shell sets it again at every start). */
  setWindowTitle: (title: WindowTitle) => call<AppState>('set_window_title', { title }),
  setLockAnywhere: (enabled: boolean) => call<AppState>('set_lock_anywhere', { enabled }),
};

// ---- Cases ----

export const cases = {
  list: () => call<CaseSummary[]>('list_cases'),
  search: (query: string) => call<SearchHit[]>('search_cases', { query }),
  create: (title: string) => call<string>('create_case', { title }),
  remove: (caseId: string) => call<void>('delete_case', { caseId }),
  // Refused with `handover_consent_unconfirmed` until the worker confirms a missing consent.
  setReady: (caseId: string, ready: boolean, consentConfirmed: boolean) =>
    call<void>('set_ready_for_handover', { caseId, ready, consentConfirmed }),
  // Verifies receipts that arrived and purges what HQ's policy says first.
  handoverStatus: () => call<HandoverStatus>('handover_status'),
  // Who signed the case's changes, and every change the trail cannot vouch for.
  custodyTrail: (caseId: string) => call<CustodyTrail>('custody_trail', { caseId }),
  // Picks a folder in a native dialog (null: closed); HQ or a vault outside any organisation.
  exportCase: (caseId: string, kind: ExportKind) => call<ExportWritten | null>('export_case', { caseId, kind }),
  // A signed evidence package; identity fields in its report only from HQ, only when asked.
  exportEvidence: (caseId: string, language: Lang, withIdentity: boolean) =>
    call<EvidenceWritten | null>('export_evidence', { caseId, language, withIdentity }),
  open: (caseId: string) => call<CaseDetail>('open_case', { caseId }),
  setField: (caseId: string, field: string, value: string) => call<void>('set_case_field', { caseId, field, value }),
  addPerson: (caseId: string, pseudonym: string, roles: string[], identity: Identity) =>
    call<string>('add_person', { caseId, pseudonym, roles, identity }),
  // The fields this device opens, and the names of those sealed for HQ (never readable here).
  revealIdentity: (caseId: string, personId: string) =>
    call<RevealedIdentity>('reveal_identity', { caseId, personId }),
  addTestimony: (caseId: string, testimony: NewTestimony) => call<string>('add_testimony', { caseId, testimony }),
  // `base`: the heads of the version the editor's text was made on; the answer is the next base.
  setNarrative: (testimonyId: string, base: string[], text: string) =>
    call<string[]>('set_narrative', { testimonyId, base, text }),
  setTranscript: (testimonyId: string, base: string[], text: string) =>
    call<string[]>('set_transcript', { testimonyId, base, text }),
  addEvent: (caseId: string, event: NewEvent) => call<string>('add_event', { caseId, event }),
  addAct: (eventId: string, act: NewAct) => call<string>('add_act', { eventId, act }),
  addNote: (caseId: string, text: string) => call<string>('add_note', { caseId, text }),
  conflicts: (caseId: string) => call<Conflict[]>('case_conflicts', { caseId }),
  resolveConflict: (caseId: string, documentId: string, path: string, choice: number) =>
    call<void>('resolve_conflict', { caseId, documentId, path, choice }),
  editPerson: (personId: string, edit: PersonEdit) => call<void>('edit_person', { personId, edit }),
  editEvent: (eventId: string, edit: EventEdit) => call<void>('edit_event', { eventId, edit }),
  editAct: (actId: string, edit: ActEdit) => call<void>('edit_act', { actId, edit }),
  editTestimony: (testimonyId: string, edit: TestimonyEdit) => call<void>('edit_testimony', { testimonyId, edit }),
  editNote: (noteId: string, text: string) => call<void>('edit_note', { noteId, text }),
  mergeConflict: (caseId: string, documentId: string, path: string, value: string) =>
    call<void>('merge_conflict', { caseId, documentId, path, value }),
  vocabularies: () => call<Vocabulary[]>('vocabularies'),
  workerName: () => call<string>('worker_name'),
  setWorkerName: (name: string) => call<void>('set_worker_name', { name }),
  importAttachment: (caseId: string, keepMetadata: boolean) =>
    call<ImportedAttachment | null>('import_attachment', { caseId, keepMetadata }),
  exportAttachment: (attachmentId: string, fileName: string) => call<boolean>('export_attachment', { attachmentId, fileName }),
  /** Stops the import or export under way; it then fails with the code `cancelled`. */
  cancelWork: () => call<void>('cancel_work'),
};

// ---- Recording and playback ----

export const recordings = {
  /** Starts recording into a case in the recorder's format; answers the recording's id. */
  start: (caseId: string, mime: string, testimonyId: string | null) => call<string>('start_recording', { caseId, mime, testimonyId }),
  /** Stores the next piece (raw bytes) after `offset` bytes; answers the bytes stored so far. */
  append: (recordingId: string, offset: number, piece: Uint8Array) =>
    callRaw<number>('append_recording', piece, { [RECORDING_HEADER]: recordingId, [OFFSET_HEADER]: String(offset) }),
  finish: (recordingId: string) => call<Attachment>('finish_recording', { recordingId }),
  discard: (recordingId: string) => call<void>('discard_recording', { recordingId }),
  /** Turns recordings cut short (crash, lock) into interrupted attachments. */
  recover: () => call<RecoveredRecording[]>('recover_recordings'),
};

export const media = {
  /** Opens an attachment for playback: a token valid until the vault locks. */
  open: (attachmentId: string) => call<MediaInfo>('open_media', { attachmentId }),
  /** The piece of an opened attachment that starts at `offset` (empty at the end). Invoked
   * directly, not through `call`, as it always was: a failed read is the player's error
   * (shown by the player), and does not send the app to the unlock screen. */
  read: async (token: string, offset: number): Promise<Uint8Array> =>
    new Uint8Array(await invoke<ArrayBuffer>('read_media' satisfies CommandName, { token, offset })),
};

// ---- Events ----

/** Calls `handler` with the payload of every `event` the shell sends; resolves to the unlisten. */
function on<E extends keyof EventPayloads>(event: E, handler: (payload: EventPayloads[E]) => void): Promise<UnlistenFn> {
  return listen<EventPayloads[E]>(event, (message) => handler(message.payload));
}

export const events = {
  /** The vault was locked behind the page's back (idle auto-lock, sleep, screen lock). */
  onVaultLocked: (handler: (reason: LockReason) => void) => on(VAULT_LOCKED_EVENT, handler),
  /** Progress of a large import or export, at most 10 a second. `total` is null when the
   * shell does not know it (exports); the caller does. */
  onWorkProgress: (handler: (progress: WorkProgress) => void) => on(WORK_PROGRESS_EVENT, handler),
  /** The stage of a live sync: listening, connecting, connected (the peer's fingerprint), messages. */
  onSyncProgress: (handler: (progress: SyncProgress) => void) => on(SYNC_PROGRESS_EVENT, handler),
  /** The step of a bundle export or import (sync by USB stick): which file, which unit. */
  onBundleProgress: (handler: (progress: BundleProgress) => void) => on(BUNDLE_PROGRESS_EVENT, handler),
};

// ---- Team ----

export const team = {
  device: () => call<Device>('device_identity'),
  // Whether the roster expires soon or has expired (then cases sync only with HQ devices).
  rosterExpiry: () => call<RosterExpiry>('roster_expiry'),
  enrollmentRequest: (name: string) => call<EnrollmentRequest>('enrollment_request', { name }),
  saveEnrollmentRequest: (name: string) => call<boolean>('save_enrollment_request', { name }),
  previewRoster: () => call<RosterPreview | null>('preview_roster'),
  importRoster: (confirmedFingerprint: string) => call<RosterImported>('import_roster', { confirmedFingerprint }),
  roster: () => call<Roster | null>('roster'),
  createOrganisation: (orgName: string, deviceName: string) =>
    call<Organisation>('create_organisation', { orgName, deviceName }),
  previewEnrollment: (text: string) => call<EnrollmentPreview | null>('preview_enrollment', { text }),
  enrollDevice: (role: string, name: string, confirmedFingerprint: string) =>
    call<Issued>('enroll_device', { role, name, confirmedFingerprint }),
  revokeDevice: (deviceId: string) => call<Issued>('revoke_device', { deviceId }),
  exportRoster: () => call<boolean>('export_roster'),
};

// ---- Sync ----

export const sync = {
  /** Whether this device can sync (it is in a team), the suggested address, the last sync per peer. */
  overview: () => call<SyncOverview>('sync_overview'),
  /**
   * Waits on `address` for one team device and syncs with it (stops after one, or on Cancel);
   * with `announce`, tells devices on the LAN where it waits until one connects (opt-in).
   */
  serve: (address: string, announce: boolean) => call<SyncOutcome>('sync_serve', { address, announce }),
  /** Listens a few seconds for team devices announcing themselves on the LAN. */
  discover: () => call<FoundDevice[]>('sync_discover'),
  /** Connects to a team device waiting on `address` and syncs with it. */
  connect: (address: string) => call<SyncOutcome>('sync_connect', { address }),
  /** Stops the sync under way; it then fails with the code `sync_cancelled`. */
  cancel: () => call<void>('cancel_sync'),
};

// ---- Sync by USB stick ----

export const usb = {
  /**
   * Asks for a folder (a USB stick) and writes a sealed bundle into it for every other device
   * on the roster; null when the worker closed the dialog. Cancel: `cancelWork`.
   */
  exportBundles: () => call<BundleExport | null>('export_bundles'),
  /**
   * Asks for a folder and imports the bundles it holds for this device; null when the worker
   * closed the dialog. Cancel: `cancelWork` (what was applied is kept whole).
   */
  importBundles: () => call<BundleImport | null>('import_bundles'),
};
