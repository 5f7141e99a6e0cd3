import { beforeAll, describe, expect, it } from 'vitest';
import { pointInGeometry } from '../../core/geo/geometry';
import type { Grid } from '../../core/geo/types';
import { generateDemoDistrict, type DemoDistrict } from '../demo';
import { mulberry32 } from '../demo/random';
import { createGridLocator, type GridLocator } from './grid-locator';

let demo: DemoDistrict;
let locator: GridLocator;

beforeAll(() => {
  demo = generateDemoDistrict();
  locator = createGridLocator(demo.grids, { at: '2025-11-26' });
});

/** The answer by brute force: every grid tested, no index. */
function bruteForce(grids: readonly Grid[], lon: number, lat: number): string[] {
  return grids.filter((g) => pointInGeometry([lon, lat], g.geometry)).map((g) => g.code);
}

describe('grid locator over the demo district', () => {
  it('indexes every current grid', () => {
    expect(locator.size).toBe(demo.grids.length);
    expect(demo.grids.length).toBe(1401);
  });

  it("puts every grid's label point in that grid, in every town", () => {
    const towns = new Set<string>();
    for (const g of demo.grids) {
      const hit = locator.locate(g.labelPoint[0], g.labelPoint[1]);
      expect(hit, g.code).toEqual({ gridCode: g.code, villageCode: g.villageCode, townCode: g.townCode });
      towns.add(hit!.townCode);
    }
    expect(towns.size).toBe(10);
  });

  it('agrees with a brute-force scan on random points across the district', () => {
    const rnd = mulberry32(7);
    const [minLon, minLat, maxLon, maxLat] = demo.district.bbox;
    let inside = 0;
    for (let i = 0; i < 3000; i++) {
      const lon = minLon + rnd() * (maxLon - minLon);
      const lat = minLat + rnd() * (maxLat - minLat);
      const brute = bruteForce(demo.grids, lon, lat);
      const hit = locator.locate(lon, lat);
      if (brute.length === 1) {
        inside++;
        expect(hit?.gridCode).toBe(brute[0]);
      } else {
        expect(brute).toHaveLength(0);
        // outside every polygon: null, unless within the 1 m edge tolerance of a grid
        if (hit) expect(pointInGeometry([lon, lat], demo.district.geometry)).toBe(true);
      }
    }
    expect(inside).toBeGreaterThan(1500);
  });

  it('returns null outside the district (Guangzhou city centre, Qingyuan, the sea)', () => {
    expect(locator.locate(113.264, 23.129)).toBeNull();
    expect(locator.locate(113.056, 23.682)).toBeNull();
    expect(locator.locate(0, 0)).toBeNull();
    expect(locator.locate(Number.NaN, 23.4)).toBeNull();
  });

  it('places points on shared grid vertices and edges in one of the grids that touch them', () => {
    const rnd = mulberry32(11);
    for (let i = 0; i < 300; i++) {
      const g = demo.grids[Math.floor(rnd() * demo.grids.length)]!;
      const ring = g.geometry.type === 'Polygon' ? g.geometry.coordinates[0]! : g.geometry.coordinates[0]![0]!;
      const k = Math.floor(rnd() * (ring.length - 1));
      const a = ring[k]!;
      const b = ring[k + 1]!;
      for (const p of [a, [(a[0] + b[0]) / 2, (a[1] + b[1]) / 2] as [number, number]]) {
        const hit = locator.locate(p[0], p[1]);
        if (!hit) throw new Error(`point ${p} on the boundary of ${g.code} was not placed`);
        // the grid that took it touches the point (within the 1 m tolerance)
        const taker = demo.grids.find((x) => x.code === hit.gridCode)!;
        expect(pointInGeometry(p, taker.geometry) || taker.code === g.code || isNearBoundary(taker, p)).toBe(true);
      }
    }
  });

  it('treats the district boundary as inside, and 50 m beyond it as outside', () => {
    const outline = demo.district.geometry.type === 'Polygon' ? demo.district.geometry.coordinates[0]! : [];
    for (const v of outline.slice(0, -1)) {
      expect(locator.locate(v[0], v[1]), `outline vertex ${v}`).not.toBeNull();
    }
    // the westernmost vertex, pushed 50 m further west
    const west = outline.reduce((m, p) => (p[0] < m[0] ? p : m));
    expect(locator.locate(west[0] - 50 / 102_000, west[1])).toBeNull();
  });

  it('looks grids up by code', () => {
    const g = demo.grids[100]!;
    expect(locator.byCode(g.code)).toEqual({ gridCode: g.code, villageCode: g.villageCode, townCode: g.townCode });
    expect(locator.byCode('440114999999999')).toBeNull();
  });

  it('only indexes grids current at the chosen date', () => {
    const [first, second, ...rest] = demo.grids;
    const redrawn = [{ ...first!, validTo: '2025-06-01' }, { ...second!, validFrom: '2026-01-01' }, ...rest];
    const l = createGridLocator(redrawn, { at: '2025-11-26' });
    expect(l.size).toBe(demo.grids.length - 2);
    expect(l.locate(first!.labelPoint[0], first!.labelPoint[1])?.gridCode).not.toBe(first!.code);
    expect(l.byCode(second!.code)).toBeNull();
    const before = createGridLocator(redrawn, { at: '2025-05-31' });
    expect(before.locate(first!.labelPoint[0], first!.labelPoint[1])?.gridCode).toBe(first!.code);
  });

  it('does at least 100,000 lookups a second', () => {
    const rnd = mulberry32(3);
    const [minLon, minLat, maxLon, maxLat] = demo.district.bbox;
    const n = 200_000;
    const pts = new Float64Array(n * 2);
    for (let i = 0; i < n; i++) {
      pts[2 * i] = minLon + rnd() * (maxLon - minLon);
      pts[2 * i + 1] = minLat + rnd() * (maxLat - minLat);
    }
    for (let i = 0; i < 5000; i++) locator.locate(pts[2 * i]!, pts[2 * i + 1]!); // warm up
    const t0 = performance.now();
    let found = 0;
    for (let i = 0; i < n; i++) if (locator.locate(pts[2 * i]!, pts[2 * i + 1]!)) found++;
    const seconds = (performance.now() - t0) / 1000;
    const rate = n / seconds;
    console.info(`grid locator: ${Math.round(rate).toLocaleString('en')} lookups/s (${found} of ${n} inside)`);
    expect(rate).toBeGreaterThan(100_000);
  });
});

function isNearBoundary(grid: Grid, p: readonly [number, number]): boolean {
  const near = createGridLocator([grid], { edgeToleranceMetres: 1 });
  return near.locate(p[0], p[1]) !== null;
}
