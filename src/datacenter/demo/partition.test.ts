import polygonClipping, { type MultiPolygon } from 'polygon-clipping';
import { describe, expect, it } from 'vitest';
import { createLocalProjection, geometryArea, geometryProblems, multiPolygonArea, pointInGeometry } from '../../core/geo/geometry';
import type { AreaGeometry } from '../../core/geo/types';
import { partitionArea } from './partition';
import { createRandom } from './random';

const projection = createLocalProjection([113.015, 23.015]);
const coords = (g: AreaGeometry): MultiPolygon => (g.type === 'Polygon' ? [g.coordinates] : g.coordinates) as MultiPolygon;

/** a U opening north, 3 × 3 km: arms x∈[0,1] and [2,3] km, base y∈[0,1] km */
const U: AreaGeometry = {
  type: 'Polygon',
  coordinates: [
    [
      [113, 23],
      [113.03, 23],
      [113.03, 23.03],
      [113.02, 23.03],
      [113.02, 23.01],
      [113.01, 23.01],
      [113.01, 23.03],
      [113, 23.03],
      [113, 23],
    ],
  ],
};

function expectTiling(parent: AreaGeometry, cells: AreaGeometry[]): void {
  for (const c of cells) expect(geometryProblems(c)).toEqual([]);
  const sum = cells.reduce((s, c) => s + geometryArea(c), 0);
  const union = multiPolygonArea(polygonClipping.union(coords(cells[0]!), ...cells.slice(1).map(coords)));
  expect(Math.abs(sum - geometryArea(parent)) / geometryArea(parent)).toBeLessThan(1e-7);
  expect(Math.abs(sum - union) / sum).toBeLessThan(1e-7);
}

describe('partitionArea', () => {
  it('merges the stray piece of a cell that spans both arms of a U into the neighbour sharing its longest edge', () => {
    // the first site sits in the gap between the arms: its Voronoi cell covers the top of both
    const sites = [
      [113.015, 23.028],
      [113.004, 23.004],
      [113.026, 23.004],
    ] as const;
    const cells = partitionArea(U, { count: 3, projection, sites });
    expect(cells.map((c) => c.geometry.type)).toEqual(['Polygon', 'Polygon', 'Polygon']);
    expectTiling(U, cells.map((c) => c.geometry));
    // one arm's top went to the neighbour below it, the other stayed with the gap's cell
    const topLeft: [number, number] = [113.008, 23.029];
    const topRight: [number, number] = [113.022, 23.029];
    const owners = [topLeft, topRight].map((p) => cells.findIndex((c) => pointInGeometry(p, c.geometry)));
    expect(owners).toContain(0);
    expect(owners.some((o) => o === 1 || o === 2)).toBe(true);
  });

  it('keeps a MultiPolygon rather than dropping a piece that touches no sibling', () => {
    const islands: AreaGeometry = {
      type: 'MultiPolygon',
      coordinates: [
        [[[113, 23], [113.01, 23], [113.01, 23.01], [113, 23.01], [113, 23]]],
        [[[113.03, 23], [113.033, 23], [113.033, 23.003], [113.03, 23.003], [113.03, 23]]],
      ],
    };
    const cells = partitionArea(islands, { count: 2, projection, sites: [[113.002, 23.005], [113.008, 23.005]] });
    // the small island falls in the second site's cell and borders no other cell
    expect(cells.map((c) => c.geometry.type)).toEqual(['Polygon', 'MultiPolygon']);
    expectTiling(islands, cells.map((c) => c.geometry));
  });

  it('relaxes random sites into cells that tile the parent, the same for the same seed', () => {
    const draw = (seed: number) => partitionArea(U, { count: 12, projection, rng: createRandom(seed) });
    const cells = draw(1);
    expect(cells).toHaveLength(12);
    expectTiling(U, cells.map((c) => c.geometry));
    expect(draw(1)).toEqual(cells);
    expect(draw(2)).not.toEqual(cells);
    // Lloyd relaxation evens the cells out: none is tiny
    const areas = cells.map((c) => geometryArea(c.geometry));
    expect(Math.min(...areas)).toBeGreaterThan(0.25 * (geometryArea(U) / 12));
  });

  it('makes cells smaller where the density is higher', () => {
    const [cx, cy] = projection.project([113.005, 23.005]);
    const cells = partitionArea(U, {
      count: 20,
      projection,
      rng: createRandom(3),
      density: (x, y) => 1 + 20 * Math.exp(-((x - cx) ** 2 + (y - cy) ** 2) / (2 * 600 ** 2)),
      densityMax: 21,
    });
    expectTiling(U, cells.map((c) => c.geometry));
    const near = cells.find((c) => pointInGeometry([113.005, 23.005], c.geometry))!;
    const far = cells.find((c) => pointInGeometry([113.025, 23.028], c.geometry))!;
    expect(geometryArea(near.geometry) * 3).toBeLessThan(geometryArea(far.geometry));
  });
});
