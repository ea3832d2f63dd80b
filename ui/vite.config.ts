import { defineConfig } from 'vitest/config';
import { svelte } from '@sveltejs/vite-plugin-svelte';

// The built files are embedded in the desktop binary (src-tauri, frontendDist ../ui/dist) and
// served under a strict CSP: no inline scripts or styles, no remote origins.
export default defineConfig(({ mode }) => ({
  plugins: [svelte()],
  clearScreen: false,
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'safari15',
    sourcemap: false,
    // Never inline assets as data: URLs (the CSP allows only 'self').
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
  },
  // Component tests run Svelte's browser build in jsdom.
  resolve: mode === 'test' ? { conditions: ['browser'] } : undefined,
  test: {
    environment: 'jsdom',
    include: ['src/**/*.test.ts'],
    setupFiles: ['src/test-setup.ts'],
    // The stylesheet's text is read by src/layout.test.ts (Vitest blanks CSS otherwise).
    css: { include: [/app\.css/] },
  },
}));
