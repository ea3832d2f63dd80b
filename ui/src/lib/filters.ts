// The case list's filters: status, tag, act type, and an approximate date window over the
// case's event dates. Dates are `YYYY`, `YYYY-MM` or `YYYY-MM-DD`; a coarser date matches
// every finer date inside it (2019 overlaps 2019-05).
import type { CaseSummary } from './api';

export interface CaseFilter {
  status: string;
  tag: string;
  actType: string;
  from: string;
  to: string;
}

export const NO_FILTER: CaseFilter = { status: '', tag: '', actType: '', from: '', to: '' };

/** Compares two approximate dates on their common precision: -1, 0 (overlap) or 1. */
export function compareApprox(a: string, b: string): number {
  const length = Math.min(a.length, b.length);
  const left = a.slice(0, length);
  const right = b.slice(0, length);
  return left < right ? -1 : left > right ? 1 : 0;
}

export function matches(summary: CaseSummary, filter: CaseFilter): boolean {
  if (filter.status && summary.status !== filter.status) return false;
  if (filter.tag && !summary.tags.includes(filter.tag)) return false;
  if (filter.actType && !summary.act_types.includes(filter.actType)) return false;
  if (filter.from || filter.to) {
    if (!summary.first_date || !summary.last_date) return false;
    if (filter.from && compareApprox(summary.last_date, filter.from) < 0) return false;
    if (filter.to && compareApprox(summary.first_date, filter.to) > 0) return false;
  }
  return true;
}

export function allTags(summaries: CaseSummary[]): string[] {
  return [...new Set(summaries.flatMap((summary) => summary.tags))].sort();
}
