import { describe, expect, it, vi } from 'vitest';
import { render, screen } from '@testing-library/svelte';
import userEvent from '@testing-library/user-event';
import NarrativeEditor from './NarrativeEditor.svelte';
import { setLanguage } from '../lib/i18n.svelte';

describe('narrative editor', () => {
  it('saves by itself after typing stops, and says so', async () => {
    setLanguage('ko');
    const save = vi.fn(async (_text: string, _base: string[]) => ['v2']);
    const user = userEvent.setup();
    render(NarrativeEditor, { value: '', label: '진술 내용', testid: 'narrative', base: ['v1'], save });
    await user.type(screen.getByTestId('narrative'), '겨울에 강을 건넜다');
    expect(save).not.toHaveBeenCalled();
    await vi.waitFor(() => expect(save).toHaveBeenCalledWith('겨울에 강을 건넜다', ['v1']), { timeout: 3000 });
    await vi.waitFor(() => expect(screen.getByTestId('narrative-status').textContent).toBe('저장됨'));
    // The next save builds on the version the first one returned, not on the one first shown.
    await user.type(screen.getByTestId('narrative'), '.');
    await vi.waitFor(() => expect(save).toHaveBeenLastCalledWith('겨울에 강을 건넜다.', ['v2']), { timeout: 3000 });
  });

  it('shows text that arrived from a peer when nothing typed is waiting, and keeps typing otherwise', async () => {
    setLanguage('en');
    const save = vi.fn(async (_text: string, base: string[]) => [...base, 'next']);
    const user = userEvent.setup();
    const view = render(NarrativeEditor, { value: 'old', label: 'Narrative', testid: 'narrative', base: ['v1'], save });
    const area = screen.getByTestId('narrative') as HTMLTextAreaElement;
    await view.rerender({ value: 'peer text', label: 'Narrative', testid: 'narrative', base: ['v2'], save });
    await vi.waitFor(() => expect(area.value).toBe('peer text'));
    // Typing, then another arrival: the typed text stays and its save builds on the peer's version.
    await user.type(area, '!');
    await view.rerender({ value: 'newer peer text', label: 'Narrative', testid: 'narrative', base: ['v3'], save });
    expect(area.value).toBe('peer text!');
    await vi.waitFor(() => expect(save).toHaveBeenCalledWith('peer text!', ['v2']), { timeout: 3000 });
  });

  it('shows a save failure in the user language', async () => {
    setLanguage('en');
    const save = vi.fn(async (): Promise<string[]> => {
      throw { code: 'locked', message: '' };
    });
    const user = userEvent.setup();
    render(NarrativeEditor, { value: 'a', label: 'Narrative', testid: 'narrative', base: [], save });
    await user.type(screen.getByTestId('narrative'), 'b');
    screen.getByTestId('narrative').blur();
    expect((await screen.findByTestId('error')).textContent).toMatch(/locked/);
  });
});
