import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { activityReporter, watchActivity } from './activity';

describe('activity reports', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('sends at most one report per interval, plus one trailing report', () => {
    const send = vi.fn();
    const reporter = activityReporter(send, 5000);
    reporter.report();
    expect(send).toHaveBeenCalledTimes(1);
    for (let i = 0; i < 10; i++) {
      vi.advanceTimersByTime(100);
      reporter.report();
    }
    expect(send).toHaveBeenCalledTimes(1);
    vi.advanceTimersByTime(5000);
    expect(send).toHaveBeenCalledTimes(2);
    vi.advanceTimersByTime(60000);
    expect(send).toHaveBeenCalledTimes(2);
  });

  it('listens to keys and pointer on the page, and stops when asked', () => {
    const send = vi.fn();
    const stop = watchActivity(window, send, 1000);
    window.dispatchEvent(new KeyboardEvent('keydown', { key: 'a' }));
    expect(send).toHaveBeenCalledTimes(1);
    stop();
    vi.advanceTimersByTime(5000);
    window.dispatchEvent(new KeyboardEvent('keydown', { key: 'a' }));
    expect(send).toHaveBeenCalledTimes(1);
  });
});
