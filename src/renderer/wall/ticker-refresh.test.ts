import { describe, expect, it } from 'vitest';
import type { PatchResult } from './event-store';
import type { FeedChange } from './live-feed';
import { tickerNeedsRefresh, type ShownRow } from './ticker-refresh';

const T = Date.parse('2026-11-27T08:00:00Z');
const iso = (ms: number) => new Date(ms).toISOString();
/** ten rows on show, reported T, T-1 min … T-9 min */
const shown: ShownRow[] = Array.from({ length: 10 }, (_, i) => ({ id: `s${i}`, reportedAt: iso(T - i * 60_000) }));
const OLDEST = T - 9 * 60_000;

function patch(ids: string[], newestReportedAt: number, unknown = 0): FeedChange {
  const p: PatchResult = { added: 0, updated: ids.length, removed: 0, rows: [], grids: [], newestReportedAt, unknown };
  return { kind: 'patch', patch: p, ids, receivedAt: 0, appliedAt: 0 };
}

describe('tickerNeedsRefresh', () => {
  it('skips an older event moving on in its workflow (most of 50 changes a second)', () => {
    expect(tickerNeedsRefresh(patch(['old'], OLDEST - 1), shown, 10)).toBe(false);
    expect(tickerNeedsRefresh(patch(['old1', 'old2', 'old3'], T - 86_400_000), shown, 10)).toBe(false);
  });

  it('asks for a new event, or one that would rank among the rows on show', () => {
    expect(tickerNeedsRefresh(patch(['new'], T + 1000), shown, 10)).toBe(true);
    expect(tickerNeedsRefresh(patch(['old', 'mid'], T - 5 * 60_000), shown, 10)).toBe(true);
    // a tie with the oldest row may rank before it
    expect(tickerNeedsRefresh(patch(['tie'], OLDEST), shown, 10)).toBe(true);
  });

  it('asks when a row on show changed, whatever its time', () => {
    expect(tickerNeedsRefresh(patch(['s9'], Number.NEGATIVE_INFINITY), shown, 10)).toBe(true);
    expect(tickerNeedsRefresh(patch(['old', 's4'], OLDEST - 1), shown, 10)).toBe(true);
  });

  it('asks when it cannot date a change, for a load, and while the list is short', () => {
    expect(tickerNeedsRefresh(patch(['closed-long-ago'], Number.NEGATIVE_INFINITY, 1), shown, 10)).toBe(true);
    expect(tickerNeedsRefresh({ kind: 'load', patch: null, ids: [], receivedAt: 0, appliedAt: 0 }, shown, 10)).toBe(true);
    expect(tickerNeedsRefresh(patch(['old'], OLDEST - 1), shown.slice(0, 9), 10)).toBe(true);
    expect(tickerNeedsRefresh(patch(['old'], OLDEST - 1), null, 10)).toBe(true);
    expect(tickerNeedsRefresh(patch(['old'], OLDEST - 1), [...shown.slice(0, 9), { id: 'x', reportedAt: 'not a time' }], 10)).toBe(true);
  });
});
