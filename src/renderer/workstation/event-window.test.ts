/**
 * Windowed fetching over 10,000 rows: only pages around the rendered range are
 * requested and kept; a refresh re-reads them in place; an answer for an old
 * filter never lands in the new one.
 */
import { describe, expect, it } from 'vitest';
import type { EventRow } from '../../core/rpc/queries';
import { RowWindow, type PageFetch } from './event-window';

function row(i: number, tag = 'a'): EventRow {
  return {
    id: `e${i}`,
    caseNo: `HD${i}`,
    title: `${tag}${i}`,
    address: null,
    status: 'filed',
    categoryCode: null,
    source: 'manual',
    urgency: 'normal',
    townCode: null,
    villageCode: null,
    gridCode: null,
    location: null,
    reportedAt: '2026-01-01T00:00:00.000Z',
    updatedAt: '2026-01-01T00:00:00.000Z',
    leadUnitId: null,
    deadline: null,
    clockStatus: null,
    supervisionLevel: null,
    pending: null,
  };
}

function server(total: number, tag = 'a') {
  const asked: [number, number][] = [];
  const fetch: PageFetch = async (offset, limit) => {
    asked.push([offset, limit]);
    const rows: EventRow[] = [];
    for (let i = offset; i < Math.min(total, offset + limit); i++) rows.push(row(i, tag));
    return { total, rows };
  };
  return { asked, fetch };
}

describe('RowWindow', () => {
  it('fetches only the pages of the rendered range and keeps one page either side', async () => {
    const s = server(10_000);
    const w = new RowWindow(s.fetch, { pageSize: 100, keepPages: 1 });
    await w.setRange(0, 40);
    expect(w.total).toBe(10_000);
    expect(w.loadedPages()).toEqual([0]);
    expect(w.get(40)?.title).toBe('a40');
    expect(w.get(150)).toBeUndefined();

    // scroll to the middle: pages far away are dropped
    await w.setRange(5020, 5060);
    expect(w.loadedPages()).toEqual([50]);
    expect(w.loadedRowCount()).toBe(100);
    await w.setRange(5090, 5130);
    expect(w.loadedPages()).toEqual([50, 51]);
    expect(s.asked.map(([o]) => o)).toEqual([0, 5000, 5100]);

    // the end of the list
    await w.setRange(9980, 9999);
    expect(w.loadedPages()).toEqual([99]);
    expect(w.get(9999)?.id).toBe('e9999');
  });

  it('refreshes kept pages in place and follows a shrinking total', async () => {
    let total = 1000;
    let tag = 'a';
    const w = new RowWindow(async (offset, limit) => ({ total, rows: Array.from({ length: Math.max(0, Math.min(limit, total - offset)) }, (_, k) => row(offset + k, tag)) }), { pageSize: 100 });
    await w.setRange(150, 190);
    expect(w.get(160)?.title).toBe('a160');
    tag = 'b';
    total = 120;
    await w.refresh();
    expect(w.total).toBe(120);
    expect(w.get(110)?.title).toBe('b110');
    expect(w.loadedPages()).toEqual([1]);
    expect(w.indexOf('e110')).toBe(110);
  });

  it('drops answers of an old filter after a reset', async () => {
    const gates: (() => void)[] = [];
    let generation = 'old';
    const slow: PageFetch = (offset, limit) => {
      const tag = generation;
      return new Promise((resolve) => gates.push(() => resolve({ total: 500, rows: Array.from({ length: limit }, (_, k) => row(offset + k, tag)) })));
    };
    const w = new RowWindow(slow, { pageSize: 50 });
    const first = w.setRange(0, 20);
    generation = 'new';
    const second = w.reset();
    // the new filter's answer first, then the stale one
    gates[1]!();
    await second;
    gates[0]!();
    await first;
    expect(w.get(0)?.title).toBe('new0');
  });

  it('keeps showing the previous rows until the new filter answers, then swaps them at once', async () => {
    const gates: (() => void)[] = [];
    let tag = 'old';
    let total = 300;
    const gated: PageFetch = (offset, limit) => {
      const t = tag;
      const n = total;
      return new Promise((resolve) => gates.push(() => resolve({ total: n, rows: Array.from({ length: Math.min(limit, n - offset) }, (_, k) => row(offset + k, t)) })));
    };
    let changes = 0;
    const w = new RowWindow(gated, { pageSize: 100, onChange: () => changes++ });
    const first = w.setRange(0, 40);
    gates.shift()!();
    await first;
    expect(w.get(0)?.title).toBe('old0');

    tag = 'new';
    total = 40;
    const before = changes;
    const reset = w.reset();
    // nothing changed on screen yet: the old rows, the old total, no empty state in between
    expect(changes).toBe(before);
    expect(w.total).toBe(300);
    expect(w.get(0)?.title).toBe('old0');
    expect(w.indexOf('e5')).toBe(5);
    // a second reset before any answer still shows the first rows
    const reset2 = w.reset();
    expect(w.get(0)?.title).toBe('old0');
    while (gates.length) gates.shift()!();
    await Promise.all([reset, reset2]);
    expect(w.total).toBe(40);
    expect(w.get(0)?.title).toBe('new0');
    expect(w.get(50)).toBeUndefined();
  });

  it('stops showing the previous rows when the new filter fails', async () => {
    let fail = false;
    const errors: unknown[] = [];
    const w = new RowWindow(
      async (offset, limit) => {
        if (fail) throw new Error('unavailable');
        return { total: 200, rows: Array.from({ length: limit }, (_, k) => row(offset + k)) };
      },
      { pageSize: 100, onError: (e) => errors.push(e) },
    );
    await w.setRange(0, 40);
    fail = true;
    await w.reset();
    expect(errors).toHaveLength(1);
    expect(w.total).toBeNull();
    expect(w.get(0)).toBeUndefined();
  });
});
