import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { EventColumns } from '../../core/rpc/queries';
import { EventStatus } from '../../core/workflow/states';
import { EventStore, mergeRanges } from './event-store';

const S = (s: (typeof EventStatus.options)[number]) => EventStatus.options.indexOf(s);

interface Ev {
  id: string;
  grid: number;
  status: number;
  clock: number;
  lon: number;
}

function cols(events: readonly Ev[], withGrids = true): EventColumns {
  const n = events.length;
  return {
    count: n,
    ids: events.map((e) => e.id),
    positions: new Float32Array(events.flatMap((e) => [e.lon, 23.4])),
    status: new Uint8Array(events.map((e) => e.status)),
    urgency: new Uint8Array(n),
    source: new Uint8Array(n),
    reportedAt: new Float64Array(n).fill(1),
    deadline: new Float64Array(n).fill(Number.NaN),
    clockStatus: new Uint8Array(events.map((e) => e.clock)),
    supervisionLevel: new Uint8Array(n),
    ...(withGrids ? { gridCodes: events.map((e) => `g${e.grid}`) } : {}),
    leadUnitIds: events.map(() => 'u1'),
    checkpoint: 1,
  };
}

const store = (grids = 4) =>
  new EventStore({
    gridCount: grids,
    gridIndexOf: (c) => (c ? Number(c.slice(1)) : -1),
    unitIndexOf: (id) => (id === 'u1' ? 0 : -1),
    logSize: 64,
  });

const ev = (id: string, grid: number, status = S('in_progress'), clock = 1, lon = 113): Ev => ({ id, grid, status, clock, lon });

describe('EventStore', () => {
  it('loads columns and counts open and overdue events per grid', () => {
    const s = store();
    s.load(cols([ev('a', 0), ev('b', 0, S('filed'), 3), ev('c', 2, S('dispatched'), 3)]));
    expect(s.length).toBe(3);
    expect([...s.openByGrid]).toEqual([2, 0, 1, 0]);
    expect([...s.overdueByGrid]).toEqual([1, 0, 1, 0]);
    expect(s.rowOf('c')).toBe(2);
    expect(s.unit[0]).toBe(0);
    expect(s.hasGridColumn).toBe(true);
  });

  it('patches: overwrites in place, appends new ids, removes ids missing from the answer by moving the last row', () => {
    const s = store();
    s.load(cols([ev('a', 0), ev('b', 1), ev('c', 2), ev('d', 3)]));
    const v = s.version;
    // b moves to grid 3 and becomes overdue; e is new; a closed (requested, not answered)
    const r = s.patch(cols([ev('b', 3, S('in_progress'), 3), ev('e', 1)]), ['a', 'b', 'e']);
    expect(r).toMatchObject({ added: 1, updated: 1, removed: 1 });
    expect(s.length).toBe(4);
    expect(s.rowOf('a')).toBe(-1);
    // e was appended at row 4, then moved into a's hole at row 0
    expect(s.ids.slice(0, s.length).sort()).toEqual(['b', 'c', 'd', 'e']);
    expect(s.rowOf('e')).toBe(0);
    expect([...s.openByGrid]).toEqual([0, 1, 1, 2]);
    expect([...s.overdueByGrid]).toEqual([0, 0, 0, 1]);
    expect(r.grids.sort()).toEqual([0, 1, 3]);
    // rows 0 (e in a's hole) and 1 (b) changed; nothing beyond the length
    expect(r.rows).toEqual([{ startRow: 0, endRow: 2 }]);
    expect(s.rangesBetween(v, s.version)).toEqual(r.rows);
  });

  it('tells the latest report time among the rows a patch wrote or removed, and the ids it cannot date', () => {
    const s = store();
    const at = (c: EventColumns, times: number[]) => ({ ...c, reportedAt: new Float64Array(times) });
    s.load(at(cols([ev('a', 0), ev('b', 1), ev('c', 2)]), [100, 200, 300]));
    // b rewritten (200), c removed (it was reported at 300 — known from before its removal)
    expect(s.patch(at(cols([ev('b', 1)]), [200]), ['b', 'c'])).toMatchObject({ newestReportedAt: 300, unknown: 0, removed: 1 });
    // x is neither answered (not open) nor known: its report time is unknown
    expect(s.patch(at(cols([ev('a', 0)]), [100]), ['a', 'x'])).toMatchObject({ newestReportedAt: 100, unknown: 1 });
    // nothing written or removed
    expect(s.patch(cols([]), []).newestReportedAt).toBe(Number.NEGATIVE_INFINITY);
  });

  it('answers the rows changed between two versions, and null when a layer must redraw in full', () => {
    const s = store();
    s.load(cols([ev('a', 0), ev('b', 1), ev('c', 2)]));
    const v0 = s.version;
    s.patch(cols([ev('a', 0, S('handled'))]), ['a']);
    const v1 = s.version;
    s.patch(cols([ev('c', 1)]), ['c']);
    expect(s.rangesBetween(v0, s.version)).toEqual([
      { startRow: 0, endRow: 1 },
      { startRow: 2, endRow: 3 },
    ]);
    expect(s.rangesBetween(v1, s.version)).toEqual([{ startRow: 2, endRow: 3 }]);
    expect(s.rangesBetween(s.version, s.version)).toEqual([]);
    expect(s.rangesBetween(v0 - 1, s.version)).toBeNull();
    s.load(cols([ev('x', 0)]));
    expect(s.rangesBetween(v1, s.version)).toBeNull();
  });

  it('forgets old versions beyond its log, asking for a full redraw then', () => {
    const s = store();
    s.load(cols([ev('a', 0)]));
    const old = s.version;
    for (let i = 0; i < 70; i++) s.patch(cols([ev('a', 0, S('in_progress'), i % 3)]), ['a']);
    expect(s.rangesBetween(old, s.version)).toBeNull();
    expect(s.rangesBetween(s.version - 10, s.version)).toEqual([{ startRow: 0, endRow: 1 }]);
  });

  it('grows past its initial capacity without losing rows', () => {
    const s = store();
    s.load(cols(Array.from({ length: 1500 }, (_, i) => ev(`e${i}`, i % 4, S('in_progress'), 1, 113 + i / 1e4))));
    s.patch(cols(Array.from({ length: 3000 }, (_, i) => ev(`n${i}`, 1))), Array.from({ length: 3000 }, (_, i) => `n${i}`));
    expect(s.length).toBe(4500);
    expect(s.positions[2 * s.rowOf('e1499')]).toBeCloseTo(113.1499, 4);
    expect(s.openByGrid[1]).toBe(375 + 3000);
  });

  it('without grid codes keeps no grid counts (the wall falls back to the service figures)', () => {
    const s = store();
    s.load(cols([ev('a', 0)], false));
    expect(s.hasGridColumn).toBe(false);
    expect([...s.openByGrid]).toEqual([0, 0, 0, 0]);
  });

  it('merges ranges', () => {
    expect(mergeRanges([{ startRow: 5, endRow: 6 }, { startRow: 0, endRow: 2 }, { startRow: 2, endRow: 3 }, { startRow: 5, endRow: 8 }])).toEqual([
      { startRow: 0, endRow: 3 },
      { startRow: 5, endRow: 8 },
    ]);
  });

  it('after any sequence of patches equals a plain map of the answers, and the logged ranges cover every row that differs', () => {
    const evArb = fc.record({ id: fc.constantFrom('a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'), grid: fc.integer({ min: 0, max: 3 }), status: fc.constantFrom(S('filed'), S('in_progress'), S('handled')), clock: fc.integer({ min: 0, max: 3 }), lon: fc.double({ min: 113, max: 114, noNaN: true }) });
    const patchArb = fc.record({ answered: fc.array(evArb, { maxLength: 5 }), missing: fc.subarray(['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h']) });
    fc.assert(
      fc.property(fc.array(evArb, { maxLength: 6 }), fc.array(patchArb, { maxLength: 12 }), (initial, patches) => {
        const s = store();
        const oracle = new Map<string, Ev>();
        const uniq = (xs: Ev[]) => [...new Map(xs.map((e) => [e.id, e])).values()];
        for (const e of uniq(initial)) oracle.set(e.id, e);
        s.load(cols(uniq(initial)));
        for (const p of patches) {
          const answered = uniq(p.answered);
          const requested = [...new Set([...answered.map((e) => e.id), ...p.missing])];
          const before = snapshot(s);
          const v = s.version;
          s.patch(cols(answered), requested);
          for (const id of requested) oracle.delete(id);
          for (const e of answered) oracle.set(e.id, e);
          // every row whose content differs from before lies in the logged ranges
          const ranges = s.rangesBetween(v, s.version)!;
          const after = snapshot(s);
          for (let row = 0; row < s.length; row++) {
            if (before[row] !== after[row]) expect(ranges.some((r) => r.startRow <= row && row < r.endRow)).toBe(true);
          }
        }
        expect(s.length).toBe(oracle.size);
        const open = [0, 0, 0, 0];
        for (const e of oracle.values()) {
          const row = s.rowOf(e.id);
          expect(row).toBeGreaterThanOrEqual(0);
          expect(s.status[row]).toBe(e.status);
          expect(s.grid[row]).toBe(e.grid);
          open[e.grid]!++;
        }
        expect([...s.openByGrid]).toEqual(open);
      }),
      { numRuns: 300 },
    );
  });
});

function snapshot(s: EventStore): string[] {
  return Array.from({ length: s.length }, (_, r) => `${s.ids[r]}|${s.status[r]}|${s.grid[r]}|${s.clockStatus[r]}|${s.positions[2 * r]}`);
}
