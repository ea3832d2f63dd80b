// The app-wide state: what the shell reported last. Views keep their own data and are
// destroyed whenever the vault locks (App.svelte renders nothing of them then).
import { api, type AppState } from './api';
import { setLanguage } from './i18n.svelte';

export const app = $state<{ state: AppState | null }>({ state: null });

export function applyState(state: AppState): void {
  app.state = state;
  setLanguage(state.language);
}

export async function refresh(): Promise<AppState> {
  const state = await api.appState();
  applyState(state);
  return state;
}
