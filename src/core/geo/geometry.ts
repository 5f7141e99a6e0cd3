/**
 * Pure geometry on WGS84 [lon, lat] coordinates, shared by the demo generator, the tests, the
 * intake's spatial index and the renderer, so every layer computes areas, containment and label
 * points the same way. No Node, no DOM, no dependencies.
 *
 * - Areas (m²) are the exact spherical areas (sphere of the WGS84 authalic radius) of polygons
 *   whose edges are straight in lon/lat, a sum over edges (see `ringArea`): shared edges cancel
 *   and split edges add up, so the areas of tiles add up to the area of what they tile.
 * - Everything else is planar in lon/lat; where distances matter, longitudes are scaled by
 *   cos(latitude) (an equirectangular local projection), which is accurate to far better than a
 *   metre across a district and, being affine, keeps straight edges straight.
 * - Rings follow GeoJSON (RFC 7946): closed (first position repeated last), exterior rings
 *   counter-clockwise, holes clockwise.
 */
import type { AreaGeometry, BBox } from './types';

/** A position [lon, lat]; readonly so both tuples and zod-parsed arrays are accepted. */
export type Position = readonly [number, number];
export type RingCoords = readonly Position[];
/** exterior ring first, then holes */
export type PolygonRings = readonly RingCoords[];
export type MultiPolygonRings = readonly PolygonRings[];

/** Radius of the sphere with the same surface area as the WGS84 ellipsoid. */
export const EARTH_AUTHALIC_RADIUS_M = 6_371_007.181;
const METRES_PER_DEGREE = (Math.PI / 180) * EARTH_AUTHALIC_RADIUS_M;
const RAD = Math.PI / 180;

// ---------------------------------------------------------------------------------------------
// closure, orientation, cleaning

export function samePosition(a: Position, b: Position): boolean {
  return a[0] === b[0] && a[1] === b[1];
}

export function isRingClosed(ring: RingCoords): boolean {
  return ring.length > 0 && samePosition(ring[0]!, ring[ring.length - 1]!);
}

/** A copy of the ring with its first position repeated at the end (if it was not already). */
export function closeRing(ring: RingCoords): [number, number][] {
  const out = ring.map((p) => [p[0], p[1]] as [number, number]);
  if (out.length > 0 && !isRingClosed(ring)) out.push([ring[0]![0], ring[0]![1]]);
  return out;
}

/** Shoelace area in square degrees; positive when counter-clockwise (x east, y north). */
export function ringSignedAreaPlanar(ring: RingCoords): number {
  const n = ring.length;
  if (n < 3) return 0;
  const [ox, oy] = ring[0]!;
  let sum = 0;
  for (let i = 0; i < n; i++) {
    const a = ring[i]!;
    const b = ring[(i + 1) % n]!;
    sum += (a[0] - ox) * (b[1] - oy) - (b[0] - ox) * (a[1] - oy);
  }
  return sum / 2;
}

export function isRingCounterClockwise(ring: RingCoords): boolean {
  return ringSignedAreaPlanar(ring) > 0;
}

/** A closed copy of the ring turning the requested way. */
export function rewindRing(ring: RingCoords, counterClockwise: boolean): [number, number][] {
  const closed = closeRing(ring);
  return isRingCounterClockwise(closed) === counterClockwise ? closed : closed.reverse();
}

/** RFC 7946 winding: exterior counter-clockwise, holes clockwise; all rings closed. */
export function rewindPolygon(rings: PolygonRings): [number, number][][] {
  return rings.map((ring, i) => rewindRing(ring, i === 0));
}

export function rewindGeometry(geometry: AreaGeometry): AreaGeometry {
  return geometry.type === 'Polygon'
    ? { type: 'Polygon', coordinates: rewindPolygon(geometry.coordinates) }
    : { type: 'MultiPolygon', coordinates: geometry.coordinates.map((p) => rewindPolygon(p)) };
}

/** Rounds a position to `decimals` places (7 decimals ≈ 1 cm). */
export function roundPosition(p: Position, decimals = 7): [number, number] {
  const f = 10 ** decimals;
  return [Math.round(p[0] * f) / f, Math.round(p[1] * f) / f];
}

/**
 * A closed ring without repeated consecutive positions and without zero-width spikes (a vertex
 * whose neighbours make the ring turn back on itself), or null when fewer than three distinct
 * corners remain. Used after rounding, which can collapse very short edges.
 */
export function cleanRing(ring: RingCoords): [number, number][] | null {
  const pts: [number, number][] = [];
  for (const p of ring) {
    const last = pts[pts.length - 1];
    if (!last || !samePosition(last, p)) pts.push([p[0], p[1]]);
  }
  if (pts.length > 1 && samePosition(pts[0]!, pts[pts.length - 1]!)) pts.pop();
  let changed = true;
  while (changed && pts.length >= 3) {
    changed = false;
    for (let i = 0; i < pts.length && pts.length >= 3; i++) {
      const a = pts[(i + pts.length - 1) % pts.length]!;
      const b = pts[i]!;
      const c = pts[(i + 1) % pts.length]!;
      if (samePosition(a, b) || isSpike(a, b, c)) {
        pts.splice(i, 1);
        changed = true;
        i--;
      }
    }
  }
  if (pts.length < 3) return null;
  pts.push([pts[0]![0], pts[0]![1]]);
  return pts;
}

/** b is a spike when a→b→c are collinear and c turns back towards a. */
function isSpike(a: Position, b: Position, c: Position): boolean {
  if (!nearlyCollinear(a, b, c)) return false;
  const dot = (b[0] - a[0]) * (c[0] - b[0]) + (b[1] - a[1]) * (c[1] - b[1]);
  return dot <= 0;
}

// ---------------------------------------------------------------------------------------------
// area, length, centroid

/**
 * Area in m² enclosed by a ring (closed or not; winding ignored), with edges that are straight in
 * lon/lat, as every other function here assumes. The area of a region on the sphere is the line
 * integral ∮ R² sin φ dλ around it; along a straight lon/lat edge φ is linear in λ, so the
 * integral has a closed form, the mean of sin φ over the edge being
 * sin((φ1+φ2)/2) · sinc((φ2−φ1)/2). Being exact per edge, it is also exactly additive when an edge
 * is split: the pieces of a tiling add up to the whole (a trapezoidal approximation of the
 * integral would not, by a few hundred m² per kilometre-long split edge).
 */
export function ringArea(ring: RingCoords): number {
  const n = ring.length;
  if (n < 3) return 0;
  let sum = 0;
  for (let i = 0; i < n; i++) {
    const a = ring[i]!;
    const b = ring[(i + 1) % n]!;
    const dLon = b[0] - a[0];
    if (dLon === 0) continue;
    const half = ((b[1] - a[1]) * RAD) / 2;
    const sinc = half === 0 ? 1 : Math.sin(half) / half;
    sum += dLon * RAD * Math.sin(((a[1] + b[1]) / 2) * RAD) * sinc;
  }
  return Math.abs(sum * EARTH_AUTHALIC_RADIUS_M * EARTH_AUTHALIC_RADIUS_M);
}

/** Area in m² of a polygon: its exterior minus its holes. */
export function polygonArea(rings: PolygonRings): number {
  let area = 0;
  rings.forEach((ring, i) => {
    area += i === 0 ? ringArea(ring) : -ringArea(ring);
  });
  return Math.max(0, area);
}

export function multiPolygonArea(polygons: MultiPolygonRings): number {
  return polygons.reduce((sum, p) => sum + polygonArea(p), 0);
}

export function geometryArea(geometry: AreaGeometry): number {
  return geometry.type === 'Polygon' ? polygonArea(geometry.coordinates) : multiPolygonArea(geometry.coordinates);
}

/** Approximate distance in metres between two positions (equirectangular at their mean latitude). */
export function distanceMetres(a: Position, b: Position): number {
  const k = Math.cos(((a[1] + b[1]) / 2) * RAD);
  return Math.hypot((b[0] - a[0]) * k, b[1] - a[1]) * METRES_PER_DEGREE;
}

/** Planar area centroid of a ring in lon/lat (the vertex mean for degenerate rings). */
export function ringCentroid(ring: RingCoords): [number, number] {
  const n = ring.length;
  const [ox, oy] = ring[0]!;
  let a2 = 0;
  let cx = 0;
  let cy = 0;
  for (let i = 0; i < n; i++) {
    const p = ring[i]!;
    const q = ring[(i + 1) % n]!;
    const x0 = p[0] - ox;
    const y0 = p[1] - oy;
    const x1 = q[0] - ox;
    const y1 = q[1] - oy;
    const cross = x0 * y1 - x1 * y0;
    a2 += cross;
    cx += (x0 + x1) * cross;
    cy += (y0 + y1) * cross;
  }
  if (a2 === 0) {
    const pts = isRingClosed(ring) ? ring.slice(0, -1) : ring;
    return [pts.reduce((s, p) => s + p[0], 0) / pts.length, pts.reduce((s, p) => s + p[1], 0) / pts.length];
  }
  return [ox + cx / (3 * a2), oy + cy / (3 * a2)];
}

// ---------------------------------------------------------------------------------------------
// bounding boxes

export function positionsBBox(positions: Iterable<Position>): BBox {
  let minX = Infinity;
  let minY = Infinity;
  let maxX = -Infinity;
  let maxY = -Infinity;
  for (const [x, y] of positions) {
    if (x < minX) minX = x;
    if (y < minY) minY = y;
    if (x > maxX) maxX = x;
    if (y > maxY) maxY = y;
  }
  return [minX, minY, maxX, maxY];
}

/** bbox of a polygon (its exterior ring bounds it). */
export function polygonBBox(rings: PolygonRings): BBox {
  return positionsBBox(rings[0] ?? []);
}

export function geometryBBox(geometry: AreaGeometry): BBox {
  if (geometry.type === 'Polygon') return polygonBBox(geometry.coordinates);
  return mergeBBoxes(geometry.coordinates.map((p) => polygonBBox(p)));
}

export function mergeBBoxes(boxes: readonly BBox[]): BBox {
  return boxes.reduce<BBox>(
    (acc, b) => [Math.min(acc[0], b[0]), Math.min(acc[1], b[1]), Math.max(acc[2], b[2]), Math.max(acc[3], b[3])],
    [Infinity, Infinity, -Infinity, -Infinity],
  );
}

export function bboxContainsPoint(b: BBox, p: Position): boolean {
  return p[0] >= b[0] && p[0] <= b[2] && p[1] >= b[1] && p[1] <= b[3];
}

export function bboxesIntersect(a: BBox, b: BBox): boolean {
  return a[0] <= b[2] && b[0] <= a[2] && a[1] <= b[3] && b[1] <= a[3];
}

// ---------------------------------------------------------------------------------------------
// containment and distance

/** Even-odd ray test against one ring. Points exactly on an edge may go either way. */
export function pointInRing(p: Position, ring: RingCoords): boolean {
  const [x, y] = p;
  let inside = false;
  const n = ring.length;
  for (let i = 0, j = n - 1; i < n; j = i++) {
    const [xi, yi] = ring[i]!;
    const [xj, yj] = ring[j]!;
    if (yi > y !== yj > y && x < ((xj - xi) * (y - yi)) / (yj - yi) + xi) inside = !inside;
  }
  return inside;
}

/** Inside the exterior ring and outside every hole. */
export function pointInPolygon(p: Position, rings: PolygonRings): boolean {
  if (rings.length === 0 || !pointInRing(p, rings[0]!)) return false;
  for (let i = 1; i < rings.length; i++) if (pointInRing(p, rings[i]!)) return false;
  return true;
}

export function pointInMultiPolygon(p: Position, polygons: MultiPolygonRings): boolean {
  return polygons.some((rings) => pointInPolygon(p, rings));
}

export function pointInGeometry(p: Position, geometry: AreaGeometry): boolean {
  return geometry.type === 'Polygon' ? pointInPolygon(p, geometry.coordinates) : pointInMultiPolygon(p, geometry.coordinates);
}

/** Distance in metres from a point to the nearest edge of any ring of the geometry. */
export function distanceToBoundaryMetres(p: Position, geometry: AreaGeometry): number {
  const polygons = geometry.type === 'Polygon' ? [geometry.coordinates] : geometry.coordinates;
  const k = Math.cos(p[1] * RAD);
  let best = Infinity;
  for (const rings of polygons) {
    for (const ring of rings) {
      for (let i = 0, j = ring.length - 1; i < ring.length; j = i++) {
        const d2 = segmentDistanceSquared(p[0] * k, p[1], ring[j]![0] * k, ring[j]![1], ring[i]![0] * k, ring[i]![1]);
        if (d2 < best) best = d2;
      }
    }
  }
  return Math.sqrt(best) * METRES_PER_DEGREE;
}

function segmentDistanceSquared(px: number, py: number, ax: number, ay: number, bx: number, by: number): number {
  let x = ax;
  let y = ay;
  let dx = bx - x;
  let dy = by - y;
  if (dx !== 0 || dy !== 0) {
    const t = ((px - x) * dx + (py - y) * dy) / (dx * dx + dy * dy);
    if (t > 1) {
      x = bx;
      y = by;
    } else if (t > 0) {
      x += dx * t;
      y += dy * t;
    }
  }
  dx = px - x;
  dy = py - y;
  return dx * dx + dy * dy;
}

// ---------------------------------------------------------------------------------------------
// label point (pole of inaccessibility)

/**
 * A point well inside the polygon for its label: the pole of inaccessibility, found by the
 * quadtree search of Mapbox's polylabel (ISC), in a cos(latitude)-scaled plane. Unlike the
 * centroid it is always inside, also for concave polygons and polygons with holes.
 * `precision` is in degrees of latitude (default: 1/1000 of the polygon's size).
 */
export function polygonLabelPoint(rings: PolygonRings, precision?: number): [number, number] {
  const outer = rings[0];
  if (!outer || outer.length === 0) throw new Error('polygonLabelPoint: empty polygon');
  const [minX0, minY, maxX0, maxY] = polygonBBox(rings);
  const k = Math.cos(((minY + maxY) / 2) * RAD);
  const scaled = rings.map((r) => r.map((p) => [p[0] * k, p[1]] as const));
  const minX = minX0 * k;
  const maxX = maxX0 * k;
  const width = maxX - minX;
  const height = maxY - minY;
  if (Math.min(width, height) === 0) return [outer[0]![0], outer[0]![1]];
  // square cells of the smaller side, but no more than 64 along the longer one (slivers)
  const cellSize = Math.max(Math.min(width, height), Math.max(width, height) / 64);
  const eps = precision ?? Math.max(width, height) / 1000;

  const signedDistance = (x: number, y: number): number => {
    let inside = false;
    let min = Infinity;
    for (const ring of scaled) {
      for (let i = 0, j = ring.length - 1; i < ring.length; j = i++) {
        const a = ring[i]!;
        const b = ring[j]!;
        if (a[1] > y !== b[1] > y && x < ((b[0] - a[0]) * (y - a[1])) / (b[1] - a[1]) + a[0]) inside = !inside;
        min = Math.min(min, segmentDistanceSquared(x, y, a[0], a[1], b[0], b[1]));
      }
    }
    return (inside ? 1 : -1) * Math.sqrt(min);
  };
  interface Cell {
    x: number;
    y: number;
    h: number;
    d: number;
    max: number;
  }
  const cell = (x: number, y: number, h: number): Cell => {
    const d = signedDistance(x, y);
    return { x, y, h, d, max: d + h * Math.SQRT2 };
  };

  const heap = new MaxHeap<Cell>((a, b) => a.max - b.max);
  const h = cellSize / 2;
  for (let x = minX; x < maxX; x += cellSize) {
    for (let y = minY; y < maxY; y += cellSize) heap.push(cell(x + h, y + h, h));
  }
  const c = ringCentroid(scaled[0]!);
  let best = cell(c[0], c[1], 0);
  const centre = cell(minX + width / 2, minY + height / 2, 0);
  if (centre.d > best.d) best = centre;

  for (let next = heap.pop(); next; next = heap.pop()) {
    if (next.d > best.d) best = next;
    if (next.max - best.d <= eps) continue;
    const hh = next.h / 2;
    heap.push(cell(next.x - hh, next.y - hh, hh));
    heap.push(cell(next.x + hh, next.y - hh, hh));
    heap.push(cell(next.x - hh, next.y + hh, hh));
    heap.push(cell(next.x + hh, next.y + hh, hh));
  }
  if (best.d > 0) return [best.x / k, best.y];
  return scanlineInteriorPoint(rings);
}

/** Label point of a Polygon or MultiPolygon (for a MultiPolygon: inside its largest part). */
export function labelPoint(geometry: AreaGeometry): [number, number] {
  if (geometry.type === 'Polygon') return polygonLabelPoint(geometry.coordinates);
  let largest = geometry.coordinates[0]!;
  let largestArea = -1;
  for (const p of geometry.coordinates) {
    const a = polygonArea(p);
    if (a > largestArea) {
      largest = p;
      largestArea = a;
    }
  }
  return polygonLabelPoint(largest);
}

/** Fallback for slivers: the middle of the widest inside interval on a few horizontal lines. */
function scanlineInteriorPoint(rings: PolygonRings): [number, number] {
  const [, minY, , maxY] = polygonBBox(rings);
  let best: [number, number] | null = null;
  let bestWidth = -1;
  for (let s = 1; s < 16; s++) {
    const y = minY + ((maxY - minY) * s) / 16;
    const xs: number[] = [];
    for (const ring of rings) {
      for (let i = 0, j = ring.length - 1; i < ring.length; j = i++) {
        const a = ring[i]!;
        const b = ring[j]!;
        if (a[1] > y !== b[1] > y) xs.push(a[0] + ((b[0] - a[0]) * (y - a[1])) / (b[1] - a[1]));
      }
    }
    xs.sort((a, b) => a - b);
    for (let i = 0; i + 1 < xs.length; i += 2) {
      const w = xs[i + 1]! - xs[i]!;
      if (w > bestWidth) {
        bestWidth = w;
        best = [(xs[i]! + xs[i + 1]!) / 2, y];
      }
    }
  }
  if (!best) throw new Error('polygonLabelPoint: polygon has no interior');
  return best;
}

class MaxHeap<T> {
  private readonly items: T[] = [];
  constructor(private readonly compare: (a: T, b: T) => number) {}
  push(item: T): void {
    const a = this.items;
    a.push(item);
    let i = a.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (this.compare(a[i]!, a[parent]!) <= 0) break;
      [a[i], a[parent]] = [a[parent]!, a[i]!];
      i = parent;
    }
  }
  pop(): T | undefined {
    const a = this.items;
    const top = a[0];
    const last = a.pop();
    if (a.length > 0 && last !== undefined) {
      a[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < a.length && this.compare(a[l]!, a[m]!) > 0) m = l;
        if (r < a.length && this.compare(a[r]!, a[m]!) > 0) m = r;
        if (m === i) break;
        [a[i], a[m]] = [a[m]!, a[i]!];
        i = m;
      }
    }
    return top;
  }
}

// ---------------------------------------------------------------------------------------------
// validity

function orient(a: Position, b: Position, c: Position): number {
  return (b[0] - a[0]) * (c[1] - a[1]) - (b[1] - a[1]) * (c[0] - a[0]);
}

/** Collinear up to floating-point noise relative to the edge lengths involved. */
function nearlyCollinear(a: Position, b: Position, c: Position): boolean {
  const o = orient(a, b, c);
  const scale = Math.hypot(b[0] - a[0], b[1] - a[1]) * Math.hypot(c[0] - a[0], c[1] - a[1]);
  return Math.abs(o) <= 1e-12 * scale;
}

function onSegment(p: Position, a: Position, b: Position): boolean {
  return (
    nearlyCollinear(a, b, p) &&
    p[0] >= Math.min(a[0], b[0]) &&
    p[0] <= Math.max(a[0], b[0]) &&
    p[1] >= Math.min(a[1], b[1]) &&
    p[1] <= Math.max(a[1], b[1])
  );
}

/** Do closed segments ab and cd share any point? */
export function segmentsIntersect(a: Position, b: Position, c: Position, d: Position): boolean {
  const o1 = orient(a, b, c);
  const o2 = orient(a, b, d);
  const o3 = orient(c, d, a);
  const o4 = orient(c, d, b);
  if (((o1 > 0 && o2 < 0) || (o1 < 0 && o2 > 0)) && ((o3 > 0 && o4 < 0) || (o3 < 0 && o4 > 0))) return true;
  return onSegment(c, a, b) || onSegment(d, a, b) || onSegment(a, c, d) || onSegment(b, c, d);
}

/**
 * The first pair of edges (by start index) that cross or touch although they are not neighbours,
 * or neighbours that fold back onto each other; null for a simple ring. Zero-length edges
 * (repeated positions) are skipped here and reported by `polygonProblems`. Edges are swept in
 * order of their west end, so typical rings cost close to O(n log n).
 */
export function findRingSelfIntersection(ring: RingCoords): [number, number] | null {
  const pts = isRingClosed(ring) ? ring.slice(0, -1) : ring.slice();
  // drop repeated consecutive positions so that neighbours are real neighbours
  const idx: number[] = [];
  pts.forEach((p, i) => {
    if (idx.length === 0 || !samePosition(pts[idx[idx.length - 1]!]!, p)) idx.push(i);
  });
  while (idx.length > 1 && samePosition(pts[idx[0]!]!, pts[idx[idx.length - 1]!]!)) idx.pop();
  const n = idx.length;
  if (n < 3) return null;
  const at = (k: number): Position => pts[idx[((k % n) + n) % n]!]!;

  for (let k = 0; k < n; k++) {
    if (isSpike(at(k - 1), at(k), at(k + 1))) return [idx[(k - 1 + n) % n]!, idx[k]!];
  }
  const order = Array.from({ length: n }, (_, k) => k).sort(
    (s, t) => Math.min(at(s)[0], at(s + 1)[0]) - Math.min(at(t)[0], at(t + 1)[0]),
  );
  for (let u = 0; u < n; u++) {
    const s = order[u]!;
    const a = at(s);
    const b = at(s + 1);
    const maxX = Math.max(a[0], b[0]);
    for (let v = u + 1; v < n; v++) {
      const t = order[v]!;
      const c = at(t);
      const d = at(t + 1);
      if (Math.min(c[0], d[0]) > maxX) break;
      const gap = Math.abs(s - t);
      if (gap === 1 || gap === n - 1) continue; // neighbours share a vertex by construction
      if (Math.max(c[1], d[1]) < Math.min(a[1], b[1]) || Math.min(c[1], d[1]) > Math.max(a[1], b[1])) continue;
      if (segmentsIntersect(a, b, c, d)) return [idx[Math.min(s, t)]!, idx[Math.max(s, t)]!];
    }
  }
  return null;
}

export function ringSelfIntersects(ring: RingCoords): boolean {
  return findRingSelfIntersection(ring) !== null;
}

/**
 * What is wrong with a polygon, as readable strings (empty when valid): unclosed or short rings,
 * repeated positions, self-intersections, wrong winding, holes outside the exterior.
 * Crossings between different rings of one polygon are not checked.
 */
export function polygonProblems(rings: PolygonRings): string[] {
  const problems: string[] = [];
  if (rings.length === 0) return ['polygon has no rings'];
  rings.forEach((ring, r) => {
    const name = r === 0 ? 'exterior ring' : `hole ${r}`;
    if (ring.length < 4) problems.push(`${name} has ${ring.length} positions (needs at least 4)`);
    if (!isRingClosed(ring)) problems.push(`${name} is not closed`);
    for (let i = 1; i < ring.length; i++) {
      if (samePosition(ring[i - 1]!, ring[i]!)) {
        problems.push(`${name} repeats position ${i}`);
        break;
      }
    }
    const hit = findRingSelfIntersection(ring);
    if (hit) problems.push(`${name} intersects itself at edges ${hit[0]} and ${hit[1]}`);
    if (ringSignedAreaPlanar(ring) === 0) problems.push(`${name} has no area`);
    else if (isRingCounterClockwise(ring) !== (r === 0)) problems.push(`${name} winds the wrong way (RFC 7946)`);
    if (r > 0 && ring.length > 0 && !pointInRing(ring[0]!, rings[0]!)) problems.push(`${name} lies outside the exterior ring`);
  });
  return problems;
}

export function geometryProblems(geometry: AreaGeometry): string[] {
  if (geometry.type === 'Polygon') return polygonProblems(geometry.coordinates);
  return geometry.coordinates.flatMap((p, i) => polygonProblems(p).map((m) => `part ${i}: ${m}`));
}

// ---------------------------------------------------------------------------------------------
// local projection

export interface LocalProjection {
  origin: Position;
  /** [lon, lat] → [x east, y north] in metres */
  project(p: Position): [number, number];
  /** [x, y] metres → [lon, lat] */
  unproject(xy: readonly [number, number]): [number, number];
}

/**
 * An equirectangular projection around `origin`: affine, so straight edges stay straight and
 * Voronoi diagrams drawn in it map back exactly; distances good to a fraction of a percent
 * within some tens of kilometres.
 */
export function createLocalProjection(origin: Position): LocalProjection {
  const kx = METRES_PER_DEGREE * Math.cos(origin[1] * RAD);
  const ky = METRES_PER_DEGREE;
  return {
    origin,
    project: (p) => [(p[0] - origin[0]) * kx, (p[1] - origin[1]) * ky],
    unproject: (xy) => [origin[0] + xy[0] / kx, origin[1] + xy[1] / ky],
  };
}
