import { describe, expect, it } from 'vitest';
import { isRingCounterClockwise, type AreaGeometry } from '../../core';
import { planGridImport, type ExistingGridVersion, type GridImportContext, type ImportProblem } from './grid-import';

const V1 = '440114001001';
const V2 = '440114001002';
const villages: GridImportContext['villages'] = new Map([
  [V1, { townCode: '440114001000', kind: 'community' as const }],
  [V2, { townCode: '440114001000', kind: 'village' as const }],
]);

/** a counter-clockwise square of `size` degrees at (lon, lat) */
function square(lon: number, lat: number, size = 0.01): [number, number][] {
  return [
    [lon, lat],
    [lon + size, lat],
    [lon + size, lat + size],
    [lon, lat + size],
    [lon, lat],
  ];
}
const poly = (ring: [number, number][]): AreaGeometry => ({ type: 'Polygon', coordinates: [ring] });

const feature = (code: string, ring: unknown, extra: Record<string, unknown> = {}) => ({
  type: 'Feature',
  geometry: { type: 'Polygon', coordinates: [ring] },
  properties: { code, name: `网格${code.slice(-3)}`, villageCode: code.slice(0, 12), ...extra },
});
const collection = (...features: unknown[]) => ({ type: 'FeatureCollection', features });

const existing: ExistingGridVersion[] = [
  { code: `${V1}001`, villageCode: V1, validFrom: '2024-01-01', validTo: null, geometry: poly(square(113.2, 23.4)) },
  { code: `${V1}002`, villageCode: V1, validFrom: '2024-01-01', validTo: null, geometry: poly(square(113.21, 23.4)) },
];
const ctx = (over: Partial<GridImportContext> = {}): GridImportContext => ({ villages, versions: existing, defaultValidFrom: '2026-01-01', ...over });

function problemsOf(input: unknown, c = ctx()): ImportProblem[] {
  const plan = planGridImport(input, c);
  if (plan.ok) throw new Error('expected problems');
  return plan.problems;
}

describe('planGridImport', () => {
  it('plans a new grid with defaults from its village', () => {
    const plan = planGridImport(collection(feature(`${V2}001`, square(113.3, 23.4))), ctx());
    expect(plan.ok).toBe(true);
    if (!plan.ok) return;
    expect(plan.grids).toHaveLength(1);
    expect(plan.grids[0]).toMatchObject({ code: `${V2}001`, kind: 'rural', townCode: '440114001000', validFrom: '2026-01-01', action: 'create' });
    expect(plan.retire).toEqual([]);
  });

  it('refuses a payload that is not a FeatureCollection', () => {
    expect(problemsOf({ type: 'Feature' })[0]).toMatchObject({ feature: null, kind: 'schema' });
    expect(problemsOf(collection())[0]).toMatchObject({ field: 'features', kind: 'schema' });
  });

  it('names the feature and field of structural problems', () => {
    const bad = { type: 'Feature', geometry: { type: 'Point', coordinates: [1, 2] }, properties: { code: `${V2}001`, villageCode: V2 } };
    const p = problemsOf(collection(feature(`${V2}002`, square(113.3, 23.4)), bad));
    expect(p.every((x) => x.feature === 1 && x.kind === 'schema')).toBe(true);
    expect(p.map((x) => x.field)).toEqual(expect.arrayContaining(['features[1].geometry.type', 'features[1].properties.name']));
  });

  it('refuses unclosed and short rings', () => {
    const open = square(113.3, 23.4).slice(0, 4);
    const short = [
      [113.3, 23.4],
      [113.31, 23.4],
      [113.3, 23.4],
    ];
    const p = problemsOf(collection(feature(`${V2}001`, open), feature(`${V2}002`, short)));
    expect(p).toEqual([
      expect.objectContaining({ feature: 0, field: 'features[0].geometry.coordinates[0]', kind: 'invalid_ring', message: expect.stringMatching(/not closed/) }),
      expect.objectContaining({ feature: 1, field: 'features[1].geometry.coordinates[0]', kind: 'invalid_ring', message: expect.stringMatching(/3 positions/) }),
    ]);
  });

  it('refuses a self-intersecting ring (a bow tie)', () => {
    const bowTie = [
      [113.3, 23.4],
      [113.31, 23.41],
      [113.31, 23.4],
      [113.3, 23.41],
      [113.3, 23.4],
    ];
    expect(problemsOf(collection(feature(`${V2}001`, bowTie)))).toEqual([expect.objectContaining({ feature: 0, kind: 'self_intersection', field: 'features[0].geometry.coordinates[0]' })]);
  });

  it('accepts clockwise exteriors and stores them RFC 7946-wound', () => {
    const plan = planGridImport(collection(feature(`${V2}001`, [...square(113.3, 23.4)].reverse())), ctx());
    expect(plan.ok).toBe(true);
    if (plan.ok && plan.grids[0]!.geometry.type === 'Polygon') expect(isRingCounterClockwise(plan.grids[0]!.geometry.coordinates[0]!)).toBe(true);
  });

  it('refuses bad codes and unknown villages', () => {
    const p = problemsOf(
      collection(
        feature('44011400100100', square(113.3, 23.4), { villageCode: V1 }),
        feature(`${V2}001`, square(113.32, 23.4), { villageCode: V1 }),
        feature('440114009999001', square(113.34, 23.4)),
      ),
    );
    expect(p).toEqual([
      expect.objectContaining({ feature: 0, field: 'features[0].properties.code', kind: 'bad_code' }),
      expect.objectContaining({ feature: 1, field: 'features[1].properties.code', kind: 'bad_code', message: expect.stringMatching(/does not start with its village code/) }),
      expect.objectContaining({ feature: 2, field: 'features[2].properties.villageCode', kind: 'unknown_parent' }),
    ]);
  });

  it('accepts numeric codes from GIS exports', () => {
    const f = feature(`${V2}001`, square(113.3, 23.4));
    const plan = planGridImport(collection({ ...f, properties: { ...f.properties, code: Number(`${V2}001`), villageCode: Number(V2) } }), ctx());
    expect(plan.ok && plan.grids[0]!.code).toBe(`${V2}001`);
  });

  it('refuses overlaps with current grids of the village and within the file, not shared edges', () => {
    // shares an edge with 001 (x = 113.21): fine; overlaps 002 by half
    const touching = feature(`${V1}003`, square(113.2, 23.41));
    const overlapping = feature(`${V1}004`, square(113.215, 23.4));
    const p = problemsOf(collection(touching, overlapping, feature(`${V1}005`, square(113.2, 23.41))));
    expect(p).toEqual([
      expect.objectContaining({ feature: 1, kind: 'overlap', message: expect.stringMatching(/current grid 440114001001002/) }),
      expect.objectContaining({ feature: 2, kind: 'overlap', message: expect.stringMatching(/grid 440114001001003 \(feature 0\)/) }),
    ]);
  });

  it('refuses the same code twice', () => {
    expect(problemsOf(collection(feature(`${V2}001`, square(113.3, 23.4)), feature(`${V2}001`, square(113.33, 23.4))))).toEqual([
      expect.objectContaining({ feature: 1, kind: 'duplicate' }),
    ]);
  });

  it('versions a redrawn grid: the current version closes the day the new one starts', () => {
    const plan = planGridImport(collection(feature(`${V1}001`, square(113.2, 23.4, 0.009))), ctx());
    expect(plan).toMatchObject({
      ok: true,
      grids: [{ code: `${V1}001`, validFrom: '2026-01-01', action: 'version' }],
      retire: [{ code: `${V1}001`, validFrom: '2024-01-01', validTo: '2026-01-01', byFeature: 0 }],
    });
  });

  it('corrects a version in place when validFrom is the same', () => {
    const plan = planGridImport(collection(feature(`${V1}001`, square(113.2, 23.4, 0.009), { validFrom: '2024-01-01' })), ctx());
    expect(plan).toMatchObject({ ok: true, grids: [{ action: 'correct', validFrom: '2024-01-01' }], retire: [] });
  });

  it('refuses a version that would start before the current one or inside a closed one', () => {
    expect(problemsOf(collection(feature(`${V1}001`, square(113.2, 23.4), { validFrom: '2023-06-01' })))).toEqual([
      expect.objectContaining({ kind: 'version_order', field: 'features[0].properties.validFrom' }),
    ]);
    const closed: ExistingGridVersion[] = [{ code: `${V2}001`, villageCode: V2, validFrom: '2024-01-01', validTo: '2025-01-01', geometry: poly(square(113.3, 23.4)) }];
    expect(problemsOf(collection(feature(`${V2}001`, square(113.3, 23.4), { validFrom: '2024-06-01' })), ctx({ versions: closed }))).toEqual([
      expect.objectContaining({ kind: 'version_order' }),
    ]);
  });

  it('with retireMissing closes the grids of the village the file leaves out (and only then does not count them as overlapping)', () => {
    // 001 grows over 002; 002 is left out of the file
    const merged = feature(`${V1}001`, [
      [113.2, 23.4],
      [113.22, 23.4],
      [113.22, 23.41],
      [113.2, 23.41],
      [113.2, 23.4],
    ]);
    expect(problemsOf(collection(merged))).toEqual([expect.objectContaining({ kind: 'overlap' })]);
    const plan = planGridImport(collection(merged), ctx({ retireMissing: true }));
    expect(plan).toMatchObject({
      ok: true,
      retire: [
        { code: `${V1}001`, validTo: '2026-01-01', byFeature: 0 },
        { code: `${V1}002`, validTo: '2026-01-01', byFeature: null },
      ],
    });
  });
});
