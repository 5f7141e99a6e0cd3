import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createLocalProjection } from '../../core/geo/geometry';
import { findNearDuplicates, type DuplicateCandidate } from './duplicates';
import { createNearIndex, type NearDraft } from './near-index';

const T0 = Date.parse('2025-11-26T08:00:00Z');

describe('the in-set near-duplicate index', () => {
  // origins in Huadu, and farther north and south, where a degree of longitude is shorter or longer
  const origins: [number, number][] = [
    [113.22, 23.39],
    [126.63, 45.75],
    [109.5, 18.25],
  ];

  it('finds every draft the rule would suggest, whatever the positions (a prefilter only)', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...origins),
        fc.constantFrom(50, 200, 500),
        fc.array(fc.tuple(fc.integer({ min: -800, max: 800 }), fc.integer({ min: -800, max: 800 }), fc.constantFrom('040101', '0401', '0702')), { minLength: 1, maxLength: 40 }),
        (origin, radius, points) => {
          const proj = createLocalProjection(origin);
          const drafts: NearDraft[] = points.map(([east, north, categoryCode]) => ({ location: proj.unproject([east, north]), categoryCode, reportedAt: new Date(T0).toISOString() }));
          const index = createNearIndex(radius);
          const all: DuplicateCandidate[] = [];
          drafts.forEach((d, i) => {
            const expected = findNearDuplicates(d, all, { radiusMetres: radius });
            expect(findNearDuplicates(d, index.around(d), { radiusMetres: radius })).toEqual(expected);
            index.add(`e${i}`, d);
            all.push({ eventId: `e${i}`, categoryCode: d.categoryCode, location: d.location, reportedAt: d.reportedAt });
          });
        },
      ),
      { numRuns: 200 },
    );
  });

  it('looks only near: a draft a few kilometres away is not even offered', () => {
    const proj = createLocalProjection(origins[0]!);
    const index = createNearIndex(200);
    const at = (east: number, north: number): NearDraft => ({ location: proj.unproject([east, north]), categoryCode: '040101', reportedAt: new Date(T0).toISOString() });
    index.add('here', at(0, 0));
    index.add('far', at(3_000, 0));
    index.add('no-position', { location: null, categoryCode: '040101', reportedAt: new Date(T0).toISOString() });
    index.add('no-category', { ...at(10, 0), categoryCode: null });
    expect(index.around(at(150, 0)).map((c) => c.eventId)).toEqual(['here']);
    expect(index.around({ location: null, categoryCode: '040101', reportedAt: new Date(T0).toISOString() })).toEqual([]);
  });
});
