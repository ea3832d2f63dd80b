// Where the worker is in the unlocked app (screen, and the case open on the Cases screen), and
// the one way to move: `go`, which first asks when something typed would be lost. The shell
// resets it at every unlock; a lock reloads the page and drops it with everything else.

export type View = 'cases' | 'team' | 'sync' | 'settings';

export type CaseTab = 'persons' | 'testimonies' | 'events' | 'notes' | 'attachments' | 'conflicts';

/** The screen, the case open on the Cases screen, and the tab a case opens on. */
export const nav = $state<{ view: View; caseId: string | null; caseTab: CaseTab }>({ view: 'cases', caseId: null, caseTab: 'persons' });

// Checks registered by forms that hold typed work not saved yet.
const unsaved = new Set<() => boolean>();

/** A move waiting for the worker's answer (leave and lose the typed work, or stay). */
export const leaving = $state<{ move: (() => void) | null }>({ move: null });

export function resetNav(): void {
  nav.view = 'cases';
  nav.caseId = null;
  nav.caseTab = 'persons';
  leaving.move = null;
  unsaved.clear();
}

/** Registers `check` (true while typed work is not saved) until the returned function is called. */
export function guardUnsaved(check: () => boolean): () => void {
  unsaved.add(check);
  return () => unsaved.delete(check);
}

/** Whether a form's values differ from how it opened. */
export function differs(now: unknown, then: unknown): boolean {
  return JSON.stringify(now) !== JSON.stringify(then);
}

export function hasUnsaved(): boolean {
  return [...unsaved].some((check) => check());
}

/** Moves at once, or, with typed work not saved, after the worker agrees to leave it. */
export function go(move: () => void): void {
  if (hasUnsaved()) leaving.move = move;
  else move();
}

export function confirmLeave(): void {
  const move = leaving.move;
  leaving.move = null;
  // The forms left behind are destroyed by the move, and their checks with them.
  move?.();
}

export function stay(): void {
  leaving.move = null;
}

/** Another screen; coming back to Cases shows the list, as the screen is new again. */
export function showView(view: View): void {
  go(() => {
    if (nav.view !== view) nav.caseId = null;
    nav.view = view;
  });
}

export function openCase(caseId: string, tab: CaseTab = 'persons'): void {
  go(() => {
    nav.view = 'cases';
    nav.caseTab = tab;
    nav.caseId = caseId;
  });
}

export function closeCase(): void {
  go(() => {
    nav.caseId = null;
  });
}
