/// <reference types="vite/client" />
// The layout rules the field worker relies on, read from the stylesheet (jsdom lays nothing
// out): Korean wraps between words, the case's header and tabs stay in view, inputs, dropdowns
// and the buttons beside them share one height, and no scrollbar is forced.
import { describe, expect, it } from 'vitest';
import { render, screen } from '@testing-library/svelte';
import userEvent from '@testing-library/user-event';
import App from './App.svelte';
import { baseState, fakeShell } from './lib/test-ipc';

const css = Object.values(
  import.meta.glob('/src/app.css', { query: '?raw', import: 'default', eager: true }) as Record<string, string>,
)[0];

/** The declarations of the rule whose selector list is exactly `selector`. */
function rule(selector: string): string {
  const escaped = selector.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const found = css.match(new RegExp(`(?:^|\\n|\\})\\s*${escaped}\\s*\\{([^}]*)\\}`));
  expect(found, selector).not.toBeNull();
  return found![1];
}

describe('layout', () => {
  it('breaks Korean lines between words', () => {
    expect(rule(':lang(ko)')).toMatch(/word-break:\s*keep-all/);
  });

  it('keeps the case header and its tabs in view under the top bar', async () => {
    expect(rule('.case-head')).toMatch(/position:\s*sticky/);
    expect(rule('.case-head')).toMatch(/top:\s*var\(--topbar-height\)/);
    expect(rule('.topbar')).toMatch(/height:\s*var\(--topbar-height\)/);
    const shell = fakeShell(baseState({ phase: 'unlocked', language: 'en' }));
    const id = 'f'.repeat(32);
    shell.handlers.list_cases = () => [{
      id, title: 'T', status: 'draft', risk: 'high', created_at: 1, updated_at: 1, persons: 0, testimonies: 0, events: 0, notes: 0,
      attachments: 0, conflicts: 0, tags: [], act_types: [], first_date: null, last_date: null, handover: 'draft',
    }];
    shell.handlers.open_case = () => ({
      id, title: 'T', status: 'draft', risk: 'high', team: '', tags: [], created_at: 1, created_by: 'w', updated_at: 1,
      persons: [], testimonies: [], events: [], notes: [], attachments: [], conflicts: 0,
    });
    const user = userEvent.setup();
    render(App);
    await user.click(await screen.findByTestId('case-row'));
    const title = await screen.findByTestId('case-title');
    const head = title.closest('.case-head');
    expect(head).not.toBeNull();
    expect(head!.contains(screen.getByTestId('tab-persons'))).toBe(true);
    expect(head!.contains(screen.getByTestId('case-back'))).toBe(true);
  });

  it('gives inputs, dropdowns and the buttons beside them one height', () => {
    expect(rule("input:not([type='checkbox']):not([type='radio']), select")).toMatch(/height:\s*var\(--control-height\)/);
    expect(rule('.row > button')).toMatch(/height:\s*var\(--control-height\)/);
    expect(rule('select')).toMatch(/appearance:\s*none/);
  });

  it('forces no scrollbar', () => {
    expect(css).not.toMatch(/overflow(?:-[xy])?:\s*scroll/);
    expect(css).not.toMatch(/100vh/);
  });
});
