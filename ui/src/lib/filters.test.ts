import { describe, expect, it } from 'vitest';
import { NO_FILTER, allTags, compareApprox, matches } from './filters';
import type { CaseSummary } from './api';

function summary(overrides: Partial<CaseSummary>): CaseSummary {
  return {
    id: 'c1', title: 't', status: 'draft', risk: 'high', created_at: 0, updated_at: 0, persons: 0, testimonies: 0, events: 0,
    notes: 0, attachments: 0, conflicts: 0, tags: [], act_types: [], first_date: null, last_date: null, handover: 'draft', ...overrides,
  };
}

describe('case filters', () => {
  it('compares approximate dates on their common precision', () => {
    expect(compareApprox('2019', '2019-05-03')).toBe(0);
    expect(compareApprox('2018-12', '2019')).toBe(-1);
    expect(compareApprox('2020-01-01', '2019-12')).toBe(1);
  });

  it('filters by status, tag, act type and date window', () => {
    const c = summary({ status: 'ready', tags: ['tumen', 'yanji'], act_types: ['torture'], first_date: '2019-02', last_date: '2020' });
    expect(matches(c, NO_FILTER)).toBe(true);
    expect(matches(c, { ...NO_FILTER, status: 'draft' })).toBe(false);
    expect(matches(c, { ...NO_FILTER, tag: 'yanji' })).toBe(true);
    expect(matches(c, { ...NO_FILTER, tag: 'shenyang' })).toBe(false);
    expect(matches(c, { ...NO_FILTER, actType: 'torture' })).toBe(true);
    expect(matches(c, { ...NO_FILTER, actType: 'trafficking' })).toBe(false);
    expect(matches(c, { ...NO_FILTER, from: '2019' })).toBe(true);
    expect(matches(c, { ...NO_FILTER, from: '2021' })).toBe(false);
    expect(matches(c, { ...NO_FILTER, to: '2018-12' })).toBe(false);
    expect(matches(c, { ...NO_FILTER, from: '2020-06', to: '2022' })).toBe(true);
    expect(matches(summary({}), { ...NO_FILTER, from: '2019' })).toBe(false);
    expect(allTags([c, summary({ tags: ['a', 'yanji'] })])).toEqual(['a', 'tumen', 'yanji']);
  });
});
