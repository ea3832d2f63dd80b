import { afterEach } from 'vitest';
import { cleanup } from '@testing-library/svelte';
import { clearMocks } from '@tauri-apps/api/mocks';
import { resetNav } from './lib/nav.svelte';
import { endRecorder } from './lib/recorder.svelte';

afterEach(() => {
  cleanup();
  clearMocks();
  // App-wide state outlives a component: each test starts on the case list, recording nothing.
  resetNav();
  endRecorder();
  sessionStorage.clear();
});
