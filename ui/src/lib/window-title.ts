// The window's title, as the taskbar and the window list show it: "Cairn" (what the shell opens
// the window with), or a neutral "Notes" / "메모" the worker chooses in Settings. The choice is
// kept in the page's session storage, which this webview keeps in memory only (nothing on
// disk): it lasts until Cairn is closed, across locks; each start of Cairn shows "Cairn".
import { api } from './api';
import { language, t } from './i18n.svelte';

export type TitleChoice = 'app' | 'notes';

const KEY = 'window-title';

export function titleChoice(): TitleChoice {
  try {
    return sessionStorage.getItem(KEY) === 'notes' ? 'notes' : 'app';
  } catch {
    return 'app';
  }
}

/** The title for a choice, in the current language ("Cairn" is the shell's own). */
export function titleText(choice: TitleChoice): string {
  void language();
  return choice === 'notes' ? t('settings.window_title_notes') : 'Cairn';
}

/** Remembers the choice for this run and shows it in the window's title bar. */
export async function applyWindowTitle(choice: TitleChoice): Promise<void> {
  try {
    if (choice === 'notes') sessionStorage.setItem(KEY, 'notes');
    else sessionStorage.removeItem(KEY);
  } catch {
    // No session storage: the title still changes, for as long as this page lives.
  }
  await api.setWindowTitle(titleText(choice));
}
