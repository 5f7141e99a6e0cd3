import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createLocalProjection } from '../../core/geo/geometry';
import { findNearDuplicates, sameCategory, type DuplicateCandidate } from './duplicates';

const origin: [number, number] = [113.22, 23.39];
const proj = createLocalProjection(origin);
/** a position `east` and `north` metres from the origin */
const at = (east: number, north: number) => proj.unproject([east, north]);
const T0 = Date.parse('2025-11-26T08:00:00Z');
const hours = (h: number) => new Date(T0 + h * 3_600_000).toISOString();

const probe = { categoryCode: '040101', location: origin, reportedAt: hours(0) };

function candidate(eventId: string, patch: Partial<DuplicateCandidate> = {}): DuplicateCandidate {
  return { eventId, categoryCode: '040101', location: at(50, 0), reportedAt: hours(-2), status: 'dispatched', ...patch };
}

describe('near-duplicate detection', () => {
  it('suggests open events of the same category within 200 m and 24 h, nearest first', () => {
    const found = findNearDuplicates(probe, [
      candidate('far', { location: at(150, 0) }),
      candidate('near', { location: at(30, 40) }),
      candidate('too-far', { location: at(0, 201) }),
      candidate('too-old', { reportedAt: hours(-24.5) }),
      candidate('later', { reportedAt: hours(3), location: at(0, -120) }),
    ]);
    expect(found.map((f) => f.eventId)).toEqual(['near', 'later', 'far']);
    expect(found[0]!.distanceMetres).toBeCloseTo(50, 0);
    expect(found[0]!.hoursApart).toBe(2);
    expect(found[1]!.hoursApart).toBe(3);
  });

  it('ignores closed, merged and cancelled events but keeps every open stage', () => {
    const found = findNearDuplicates(probe, [
      candidate('closed', { status: 'closed' }),
      candidate('merged', { status: 'merged' }),
      candidate('cancelled', { status: 'cancelled' }),
      candidate('evaluated', { status: 'evaluated' }),
      candidate('reported', { status: 'reported' }),
      candidate('parked', { status: 'parked' }),
    ]);
    expect(found.map((f) => f.eventId).sort()).toEqual(['parked', 'reported']);
  });

  it('matches categories along the taxonomy lineage by default, exactly on request', () => {
    const cands = [candidate('parent', { categoryCode: '0401' }), candidate('sibling', { categoryCode: '040102' }), candidate('other', { categoryCode: '0702' })];
    expect(findNearDuplicates(probe, cands).map((f) => f.eventId)).toEqual(['parent']);
    expect(findNearDuplicates(probe, cands, { categoryMatch: 'exact' })).toEqual([]);
    expect(sameCategory('04', '040101', 'lineage')).toBe(true);
    expect(sameCategory('040101', '040102', 'lineage')).toBe(false);
  });

  it('never matches without a category or a position on either side', () => {
    expect(findNearDuplicates({ ...probe, categoryCode: null }, [candidate('a')])).toEqual([]);
    expect(findNearDuplicates({ ...probe, location: null }, [candidate('a')])).toEqual([]);
    expect(findNearDuplicates(probe, [candidate('a', { categoryCode: null }), candidate('b', { location: null })])).toEqual([]);
  });

  it('takes the radius, window and limit as options', () => {
    const cands = [candidate('a', { location: at(300, 0) }), candidate('b', { location: at(100, 0), reportedAt: hours(-47) }), candidate('c', { location: at(10, 0) })];
    expect(findNearDuplicates(probe, cands, { radiusMetres: 500, windowHours: 48 }).map((f) => f.eventId)).toEqual(['c', 'b', 'a']);
    expect(findNearDuplicates(probe, cands, { radiusMetres: 500, windowHours: 48, limit: 1 }).map((f) => f.eventId)).toEqual(['c']);
  });

  it('every suggestion is within the limits and nothing within them is missed (property)', () => {
    const cand = fc.record({
      east: fc.double({ min: -400, max: 400, noNaN: true }),
      north: fc.double({ min: -400, max: 400, noNaN: true }),
      h: fc.double({ min: -48, max: 48, noNaN: true }),
      cat: fc.constantFrom('040101', '0401', '040102', '0702'),
    });
    fc.assert(
      fc.property(fc.array(cand, { maxLength: 30 }), (list) => {
        const cands = list.map((c, i) => candidate(`e${i}`, { location: at(c.east, c.north), reportedAt: hours(c.h), categoryCode: c.cat }));
        const found = new Set(findNearDuplicates(probe, cands, { limit: 1000 }).map((f) => f.eventId));
        return list.every((c, i) => {
          // 0.5 m / 1 s of slack around the limits: the equirectangular distance and the projection differ by millimetres
          const d = Math.hypot(c.east, c.north);
          const sure = d < 199.5 && Math.abs(c.h) < 23.99 && (c.cat === '040101' || c.cat === '0401');
          const never = d > 200.5 || Math.abs(c.h) > 24.01 || c.cat === '040102' || c.cat === '0702';
          return sure ? found.has(`e${i}`) : never ? !found.has(`e${i}`) : true;
        });
      }),
      { numRuns: 200 },
    );
  });
});
