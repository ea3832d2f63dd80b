/// <reference types="vite/client" />
import { describe, expect, it } from 'vitest';

// Every command and event goes through api.ts, whose names and types are generated from the
// shell (./bindings), so none can drift out of step with it unnoticed. Tests and the IPC mock
// (test-ipc.ts, test-setup.ts) may use Tauri's API directly.
const sources = import.meta.glob(['/src/**/*.ts', '/src/**/*.svelte', '!/src/**/*.test.ts'], {
  query: '?raw',
  import: 'default',
  eager: true,
}) as Record<string, string>;
const ALLOWED = ['/src/lib/api.ts', '/src/lib/test-ipc.ts', '/src/test-setup.ts'];

describe('the bridge', () => {
  it('is used only through api.ts', () => {
    expect(Object.keys(sources)).toContain('/src/App.svelte');
    const bypassing = Object.entries(sources)
      .filter(([path, text]) => !ALLOWED.includes(path) && /@tauri-apps\/api/.test(text))
      .map(([path]) => path);
    expect(bypassing).toEqual([]);
  });
});
