// Typed wrappers over the shell's commands. Each rejects with a CommandError `{ code, message }`;
// the UI shows its own text for the code (see errors.ts), never the raw message.
import { invoke } from '@tauri-apps/api/core';
import type { Lang } from './i18n.svelte';

export interface CommandError {
  code: string;
  message: string;
}

export type Phase = 'no_vault' | 'locked' | 'confirm_recovery' | 'unlocked';
export type LockReason = 'user' | 'idle' | 'sleep' | 'screen_locked';

export interface AppState {
  phase: Phase;
  language: Lang;
  language_choice: Lang | null;
  auto_lock_minutes: number;
  min_auto_lock_minutes: number;
  max_auto_lock_minutes: number;
  min_passphrase_chars: number;
  test_mode: boolean;
  last_lock: LockReason | null;
}

export interface VaultStatus {
  format_version: number;
  schema_version: number;
  kdf_memory_mib: number;
  kdf_iterations: number;
  insecure_kdf: boolean;
  device_id: string;
  case_count: number;
}

export function isCommandError(value: unknown): value is CommandError {
  return typeof value === 'object' && value !== null && typeof (value as CommandError).code === 'string';
}

/** Called whenever a command answers `locked`: the app returns to the unlock screen. */
let onLocked: () => void = () => {};
export function setLockedHandler(handler: () => void): void {
  onLocked = handler;
}

export async function call<T>(command: string, args?: Record<string, unknown>): Promise<T> {
  try {
    return await invoke<T>(command, args);
  } catch (raw) {
    const error: CommandError = isCommandError(raw) ? raw : { code: 'internal', message: String(raw) };
    if (error.code === 'locked') onLocked();
    throw error;
  }
}

/** Sends raw bytes (not JSON) to a command, with its arguments in headers. */
export async function callRaw<T>(command: string, body: Uint8Array, headers: Record<string, string>): Promise<T> {
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
    call<{ code: string }>('create_vault', { passphrase, passphraseAgain }),
  confirmRecoveryCode: (typed: string) => call<void>('confirm_recovery_code', { typed }),
  unlock: (passphrase: string) => call<void>('unlock', { passphrase }),
  recover: (code: string, passphrase: string, passphraseAgain: string) =>
    call<void>('recover', { code, passphrase, passphraseAgain }),
  lock: () => call<void>('lock'),
  activity: () => call<void>('activity'),
  vaultStatus: () => call<VaultStatus>('vault_status'),
  changePassphrase: (current: string, passphrase: string, passphraseAgain: string) =>
    call<void>('change_passphrase', { current, passphrase, passphraseAgain }),
  setSettings: (language: Lang | null, autoLockMinutes: number) =>
    call<AppState>('set_settings', { language, autoLockMinutes }),
};

// ---- Cases ----

export interface CaseSummary {
  id: string;
  title: string;
  status: string;
  risk: string;
  created_at: number;
  updated_at: number;
  persons: number;
  testimonies: number;
  events: number;
  notes: number;
  attachments: number;
  conflicts: number;
  tags: string[];
  act_types: string[];
  first_date: string | null;
  last_date: string | null;
}

export interface SearchHit {
  case_id: string;
  title: string;
  status: string;
  fields: string[];
  snippet: string;
}

export type IdentityField = 'real_name' | 'birth_date' | 'home_town' | 'family' | 'contact';
export const IDENTITY_FIELDS: IdentityField[] = ['real_name', 'birth_date', 'home_town', 'family', 'contact'];
export type Identity = Record<IdentityField, string>;

export interface Person {
  id: string;
  pseudonym: string;
  roles: string[];
  identity_recorded: IdentityField[];
}

export interface Testimony {
  id: string;
  source_person: string;
  date: string;
  place: string;
  interviewer: string;
  interpreter: string;
  language: string;
  consent_given: boolean;
  consent_scopes: string[];
  consent_conditions: string;
  narrative: string;
  transcript: string;
}

export interface Act {
  id: string;
  act_type: string;
  victim: string;
  agency: string;
  unit: string;
  facility: string;
  consequences: string;
}

export interface CaseEvent {
  id: string;
  title: string;
  description: string;
  date_start: string;
  date_end: string;
  date_certainty: string;
  place: string;
  acts: Act[];
}

export interface Note {
  id: string;
  at: number;
  by: string;
  text: string;
}

export interface Attachment {
  id: string;
  file_name: string;
  media_type: string;
  stored_size: number;
  metadata: 'stripped' | 'kept' | 'not_an_image' | string;
  added_at: number;
  added_by: string;
}

export interface CaseDetail {
  id: string;
  title: string;
  status: string;
  risk: string;
  team: string;
  tags: string[];
  created_at: number;
  created_by: string;
  updated_at: number;
  persons: Person[];
  testimonies: Testimony[];
  events: CaseEvent[];
  notes: Note[];
  attachments: Attachment[];
  conflicts: number;
}

export interface NewTestimony {
  source_person: string;
  date: string;
  place: string;
  interviewer: string;
  interpreter: string;
  language: string;
  consent_given: boolean;
  consent_scopes: string[];
  consent_conditions: string;
  narrative: string;
}

export interface NewEvent {
  title: string;
  description: string;
  date_start: string;
  date_end: string;
  certainty: string;
  place: string;
}

export interface NewAct {
  act_type: string;
  victim: string;
  agency: string;
  unit: string;
  facility: string;
  consequences: string;
}

/** Changes to a person: a field left out stays; an empty identity field clears it. Send only
 * the identity fields the worker changed. */
export interface PersonEdit extends Partial<Identity> {
  pseudonym?: string;
  roles?: string[];
}

/** Changes to an event, an act or a testimony's metadata: fields left out stay. */
export type EventEdit = Partial<NewEvent>;
export type ActEdit = Partial<NewAct>;
export type TestimonyEdit = Partial<Omit<NewTestimony, 'narrative'>>;

export interface ConflictValue {
  value: string;
  is_object: boolean;
  by: string;
  at: number;
  shown: boolean;
}

export interface Conflict {
  document_id: string;
  document_kind: 'case' | 'testimony';
  path: string;
  case_field: string | null;
  /** A single text field: can be merged by typing a value (mergeConflict). */
  mergeable: boolean;
  values: ConflictValue[];
}

export interface Term {
  code: string;
  en: string;
  ko: string;
}

export interface Vocabulary {
  kind: string;
  terms: Term[];
}

export const cases = {
  list: () => call<CaseSummary[]>('list_cases'),
  search: (query: string) => call<SearchHit[]>('search_cases', { query }),
  create: (title: string) => call<string>('create_case', { title }),
  remove: (caseId: string) => call<void>('delete_case', { caseId }),
  open: (caseId: string) => call<CaseDetail>('open_case', { caseId }),
  setField: (caseId: string, field: string, value: string) => call<void>('set_case_field', { caseId, field, value }),
  addPerson: (caseId: string, pseudonym: string, roles: string[], identity: Identity) =>
    call<string>('add_person', { caseId, pseudonym, roles, identity }),
  revealIdentity: (caseId: string, personId: string) => call<Identity>('reveal_identity', { caseId, personId }),
  addTestimony: (caseId: string, testimony: NewTestimony) => call<string>('add_testimony', { caseId, testimony }),
  setNarrative: (testimonyId: string, text: string) => call<void>('set_narrative', { testimonyId, text }),
  setTranscript: (testimonyId: string, text: string) => call<void>('set_transcript', { testimonyId, text }),
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
    call<{ attachment: Attachment; removed_parts: number } | null>('import_attachment', { caseId, keepMetadata }),
  exportAttachment: (attachmentId: string, fileName: string) => call<boolean>('export_attachment', { attachmentId, fileName }),
  /** Stops the import or export under way; it then fails with the code `cancelled`. */
  cancelWork: () => call<void>('cancel_work'),
};

/** The event the shell sends while a large file is imported or exported (at most 10 a second). */
export const WORK_PROGRESS_EVENT = 'work-progress';

/** Bytes done so far; `total` when the shell knows it (imports), else the caller does. */
export interface WorkProgress {
  done: number;
  total: number | null;
}

// ---- Team ----

export interface Device {
  device_id: string;
  fingerprint: string;
  organisation_fingerprint: string | null;
}

export interface EnrollmentRequest {
  device_id: string;
  fingerprint: string;
  text: string;
  qr: { width: number; dark: boolean[] };
}

export type Standing = { kind: 'member'; role: string } | { kind: 'revoked'; at: number };

export interface Roster {
  organisation_name: string | null;
  organisation_fingerprint: string;
  version: number;
  epoch: number;
  this_device: string;
  standing: Standing;
  is_hq_vault: boolean;
  members: { device_id: string; name: string | null; role: string; fingerprint: string }[];
  revoked: { device_id: string; name: string | null; revoked_at: number; fingerprint: string }[];
}

export const team = {
  device: () => call<Device>('device_identity'),
  enrollmentRequest: (name: string) => call<EnrollmentRequest>('enrollment_request', { name }),
  saveEnrollmentRequest: (name: string) => call<boolean>('save_enrollment_request', { name }),
  previewRoster: () => call<{ organisation_fingerprint: string; already_pinned: boolean } | null>('preview_roster'),
  importRoster: (confirmedFingerprint: string) =>
    call<{ roster_version: number; epoch: number; organisation_fingerprint: string; first_pin: boolean; standing: Standing }>(
      'import_roster',
      { confirmedFingerprint },
    ),
  roster: () => call<Roster | null>('roster'),
  createOrganisation: (orgName: string, deviceName: string) =>
    call<{ fingerprint: string; roster_version: number }>('create_organisation', { orgName, deviceName }),
  previewEnrollment: (text: string) =>
    call<{ device_id: string; fingerprint: string; requested_name: string } | null>('preview_enrollment', { text }),
  enrollDevice: (role: string, name: string, confirmedFingerprint: string) =>
    call<{ device_id: string; roster_version: number; epoch: number }>('enroll_device', { role, name, confirmedFingerprint }),
  revokeDevice: (deviceId: string) => call<{ device_id: string; roster_version: number; epoch: number }>('revoke_device', { deviceId }),
  exportRoster: () => call<boolean>('export_roster'),
};
