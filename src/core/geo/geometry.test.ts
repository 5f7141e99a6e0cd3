import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  EARTH_AUTHALIC_RADIUS_M,
  cleanRing,
  closeRing,
  createLocalProjection,
  distanceMetres,
  distanceToBoundaryMetres,
  findRingSelfIntersection,
  geometryArea,
  geometryBBox,
  geometryProblems,
  isRingClosed,
  isRingCounterClockwise,
  labelPoint,
  multiPolygonArea,
  pointInGeometry,
  pointInPolygon,
  polygonArea,
  polygonLabelPoint,
  polygonProblems,
  rewindPolygon,
  ringArea,
  ringCentroid,
  ringSelfIntersects,
  ringSignedAreaPlanar,
  roundPosition,
  type Position,
} from './geometry';

const RAD = Math.PI / 180;

/** a lon/lat rectangle, counter-clockwise and closed */
function rect(x0: number, y0: number, x1: number, y1: number): [number, number][] {
  return [
    [x0, y0],
    [x1, y0],
    [x1, y1],
    [x0, y1],
    [x0, y0],
  ];
}

/** a U opening north: its centroid lies in the gap between the arms */
const U: [number, number][] = [
  [113, 23],
  [113.03, 23],
  [113.03, 23.03],
  [113.02, 23.03],
  [113.02, 23.01],
  [113.01, 23.01],
  [113.01, 23.03],
  [113, 23.03],
  [113, 23],
];

describe('area', () => {
  it('gives the exact spherical area of a lon/lat rectangle', () => {
    const expected = EARTH_AUTHALIC_RADIUS_M ** 2 * (0.01 * RAD) * (Math.sin(23.01 * RAD) - Math.sin(23 * RAD));
    expect(ringArea(rect(113, 23, 113.01, 23.01))).toBeCloseTo(expected, 3);
    // about 1024 m × 1112 m
    expect(expected / 1e6).toBeGreaterThan(1.13);
    expect(expected / 1e6).toBeLessThan(1.15);
  });

  it('ignores winding and closure', () => {
    const ring = rect(113, 23, 113.02, 23.01);
    const a = ringArea(ring);
    expect(ringArea([...ring].reverse())).toBeCloseTo(a, 6);
    expect(ringArea(ring.slice(0, -1))).toBeCloseTo(a, 6);
  });

  it('subtracts holes and adds the parts of a multipolygon', () => {
    const outer = rect(113, 23, 113.03, 23.03);
    const hole = [...rect(113.01, 23.01, 113.02, 23.02)].reverse();
    expect(polygonArea([outer, hole])).toBeCloseTo(ringArea(outer) - ringArea(hole), 3);
    const other = rect(113.1, 23, 113.11, 23.01);
    expect(multiPolygonArea([[outer, hole], [other]])).toBeCloseTo(polygonArea([outer, hole]) + ringArea(other), 3);
    expect(geometryArea({ type: 'MultiPolygon', coordinates: [[outer, hole], [other]] })).toBeCloseTo(
      multiPolygonArea([[outer, hole], [other]]),
      3,
    );
  });

  it('adds up exactly when a polygon is cut into pieces along shared edges', () => {
    const whole = ringArea(rect(113, 23, 113.04, 23.02));
    const left = ringArea([[113, 23], [113.015, 23], [113.025, 23.02], [113, 23.02], [113, 23]]);
    const right = ringArea([[113.015, 23], [113.04, 23], [113.04, 23.02], [113.025, 23.02], [113.015, 23]]);
    expect(Math.abs(left + right - whole) / whole).toBeLessThan(1e-12);
  });
  it('does not change when a slanted edge is split by a vertex on it', () => {
    // a 4 km slanted edge; a trapezoidal approximation of the area integral is off by ~100 m² here
    const tri: [number, number][] = [[113.1, 23.38], [113.13, 23.35], [113.13, 23.38], [113.1, 23.38]];
    const split: [number, number][] = [[113.1, 23.38], [113.11, 23.37], [113.13, 23.35], [113.13, 23.38], [113.1, 23.38]];
    expect(Math.abs(ringArea(split) - ringArea(tri)) / ringArea(tri)).toBeLessThan(1e-12);
    // and a sliver between the edge and a point 1 mm off it has about the planar area
    const sliver: [number, number][] = [[113.1, 23.38], [113.13, 23.35], [113.11, 23.37 + 1e-8], [113.1, 23.38]];
    const planar = Math.abs(ringSignedAreaPlanar(sliver)) * (EARTH_AUTHALIC_RADIUS_M * RAD) ** 2 * Math.cos(23.37 * RAD);
    expect(ringArea(sliver)).toBeCloseTo(planar, 3);
  });

  it('agrees with a local planar projection for small polygons', () => {
    const proj = createLocalProjection([113.015, 23.015]);
    const ring = U.map((p) => proj.project(p));
    const planar = Math.abs(ring.reduce((s, p, i) => (i === 0 ? 0 : s + ring[i - 1]![0] * p[1] - p[0] * ring[i - 1]![1]), 0)) / 2;
    expect(Math.abs(ringArea(U) - planar) / planar).toBeLessThan(1e-4);
  });
});

describe('closure and orientation', () => {
  it('closes open rings once', () => {
    const open: Position[] = [
      [0, 0],
      [1, 0],
      [1, 1],
    ];
    expect(isRingClosed(open)).toBe(false);
    const closed = closeRing(open);
    expect(closed).toEqual([[0, 0], [1, 0], [1, 1], [0, 0]]);
    expect(isRingClosed(closed)).toBe(true);
    expect(closeRing(closed)).toEqual(closed);
  });

  it('winds exteriors counter-clockwise and holes clockwise (RFC 7946)', () => {
    const cw = [...rect(0, 0, 3, 3)].reverse();
    const ccwHole = rect(1, 1, 2, 2).slice(0, -1);
    expect(isRingCounterClockwise(cw)).toBe(false);
    const [outer, hole] = rewindPolygon([cw, ccwHole]);
    expect(isRingCounterClockwise(outer!)).toBe(true);
    expect(isRingCounterClockwise(hole!)).toBe(false);
    expect(isRingClosed(hole!)).toBe(true);
    expect(polygonProblems([cw])).toContain('exterior ring winds the wrong way (RFC 7946)');
  });

  it('cleans repeated positions and spikes, and rejects what collapses', () => {
    const dirty: Position[] = [[0, 0], [0, 0], [1, 0], [2, 0], [1.5, 0], [2, 0], [2, 1], [0, 1], [0, 0]];
    const clean = cleanRing(dirty)!;
    expect(polygonProblems([clean])).toEqual([]);
    expect(ringArea(clean)).toBeCloseTo(ringArea(rect(0, 0, 2, 1)), 0);
    expect(cleanRing([[0, 0], [1, 0], [0, 0]])).toBeNull();
  });

  it('rounds positions to 7 decimals by default', () => {
    expect(roundPosition([113.123456789, 23.98765432])).toEqual([113.1234568, 23.9876543]);
  });
});

describe('bbox and containment', () => {
  it('bounds polygons and multipolygons', () => {
    expect(geometryBBox({ type: 'Polygon', coordinates: [U] })).toEqual([113, 23, 113.03, 23.03]);
    expect(geometryBBox({ type: 'MultiPolygon', coordinates: [[rect(0, 0, 1, 1)], [rect(5, -2, 6, 0)]] })).toEqual([0, -2, 6, 1]);
  });

  it('tells inside from outside, respecting holes', () => {
    const donut = [rect(0, 0, 3, 3), [...rect(1, 1, 2, 2)].reverse()];
    expect(pointInPolygon([0.5, 0.5], donut)).toBe(true);
    expect(pointInPolygon([1.5, 1.5], donut)).toBe(false); // in the hole
    expect(pointInPolygon([3.5, 1.5], donut)).toBe(false);
    expect(pointInPolygon([113.015, 23.02], [U])).toBe(false); // between the arms
    expect(pointInPolygon([113.005, 23.02], [U])).toBe(true);
    expect(pointInGeometry([5.5, -1], { type: 'MultiPolygon', coordinates: [[rect(0, 0, 1, 1)], [rect(5, -2, 6, 0)]] })).toBe(true);
  });

  it('measures distance to the boundary in metres', () => {
    const d = distanceToBoundaryMetres([113.005, 23.005], { type: 'Polygon', coordinates: [rect(113, 23, 113.01, 23.01)] });
    // 0.005° of longitude at 23°N is the nearer side: ≈ 512 m
    expect(d).toBeGreaterThan(500);
    expect(d).toBeLessThan(520);
  });
});

describe('label point', () => {
  it('lies inside a concave polygon whose centroid does not', () => {
    expect(pointInPolygon(ringCentroid(U), [U])).toBe(false);
    const p = polygonLabelPoint([U]);
    expect(pointInPolygon(p, [U])).toBe(true);
    expect(distanceToBoundaryMetres(p, { type: 'Polygon', coordinates: [U] })).toBeGreaterThan(300);
  });

  it('avoids holes', () => {
    const donut = [rect(0, 0, 0.03, 0.03), [...rect(0.005, 0.005, 0.025, 0.025)].reverse()];
    const p = polygonLabelPoint(donut);
    expect(pointInPolygon(p, donut)).toBe(true);
  });

  it('uses the largest part of a multipolygon', () => {
    const p = labelPoint({ type: 'MultiPolygon', coordinates: [[rect(0, 0, 0.001, 0.001)], [rect(1, 1, 1.1, 1.1)]] });
    expect(pointInPolygon(p, [rect(1, 1, 1.1, 1.1)])).toBe(true);
  });

  it('finds the inside of a sliver', () => {
    const sliver: [number, number][] = [[0, 0], [1, 0], [1, 1e-6], [0, 0]];
    expect(pointInPolygon(polygonLabelPoint([sliver]), [sliver])).toBe(true);
  });
});

describe('self-intersection', () => {
  it('accepts simple rings, including collinear vertices', () => {
    expect(ringSelfIntersects(U)).toBe(false);
    expect(ringSelfIntersects([[0, 0], [1, 0], [2, 0], [2, 1], [0, 1], [0, 0]])).toBe(false);
  });

  it('finds crossings, touching vertices and fold-backs', () => {
    const bowtie: Position[] = [[0, 0], [1, 1], [1, 0], [0, 1], [0, 0]];
    expect(findRingSelfIntersection(bowtie)).toEqual([0, 2]);
    const figureEight: Position[] = [[0, 0], [1, 1], [2, 0], [2, 2], [1, 1], [0, 2], [0, 0]];
    expect(ringSelfIntersects(figureEight)).toBe(true);
    const vertexOnEdge: Position[] = [[0, 0], [2, 0], [2, 2], [1, 0], [0, 2], [0, 0]];
    expect(ringSelfIntersects(vertexOnEdge)).toBe(true);
    const spike: Position[] = [[0, 0], [2, 0], [3, 0], [2, 0], [2, 1], [0, 1], [0, 0]];
    expect(ringSelfIntersects(spike)).toBe(true);
  });

  it('reports every kind of problem as readable text', () => {
    expect(polygonProblems([[[0, 0], [1, 0], [0, 1]]])).toEqual(
      expect.arrayContaining(['exterior ring has 3 positions (needs at least 4)', 'exterior ring is not closed']),
    );
    expect(geometryProblems({ type: 'MultiPolygon', coordinates: [[rect(0, 0, 1, 1)], [[[0, 0], [1, 1], [1, 0], [0, 1], [0, 0]]]] })).toEqual(
      expect.arrayContaining([expect.stringMatching(/^part 1: exterior ring intersects itself/)]),
    );
    expect(polygonProblems([rect(0, 0, 1, 1), rewindPolygon([rect(5, 5, 6, 6)])[0]!.reverse()])).toContain(
      'hole 1 lies outside the exterior ring',
    );
  });

  it('never flags star-shaped polygons and always labels them inside (property)', () => {
    // vertex i at angle (i + jitter)/n of a turn, jitter < 0.9 and n ≥ 5: every wedge is under
    // half a turn, so the ring is star-shaped around the centre and simple
    const star = fc
      .array(fc.tuple(fc.double({ min: 0, max: 0.9, noNaN: true }), fc.double({ min: 0.05, max: 1, noNaN: true })), {
        minLength: 5,
        maxLength: 60,
      })
      .map((pts) =>
        pts.map(([jitter, r], i) => {
          const a = (2 * Math.PI * (i + jitter)) / pts.length;
          return [113 + 0.01 * r * Math.cos(a), 23 + 0.01 * r * Math.sin(a)] as [number, number];
        }),
      );
    fc.assert(
      fc.property(star, (open) => {
        const [outer] = rewindPolygon([closeRing(open)]);
        expect(findRingSelfIntersection(outer!)).toBeNull();
        expect(polygonProblems([outer!])).toEqual([]);
        expect(pointInPolygon(polygonLabelPoint([outer!]), [outer!])).toBe(true);
        expect(Math.abs(ringArea([...outer!].reverse()) - ringArea(outer!)) / ringArea(outer!)).toBeLessThan(1e-9);
      }),
      { seed: 42, numRuns: 300 },
    );
  });
});

describe('local projection', () => {
  it('round-trips and measures metres', () => {
    const proj = createLocalProjection([113.2, 23.4]);
    const p: [number, number] = [113.31, 23.47];
    const back = proj.unproject(proj.project(p));
    expect(back[0]).toBeCloseTo(p[0], 10);
    expect(back[1]).toBeCloseTo(p[1], 10);
    const [, y] = proj.project([113.2, 23.41]);
    expect(y).toBeCloseTo(EARTH_AUTHALIC_RADIUS_M * 0.01 * RAD, 6);
    expect(distanceMetres([113.2, 23.4], [113.2, 23.41])).toBeCloseTo(y, 6);
  });
});
