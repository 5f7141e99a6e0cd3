/**
 * Cuts one area into `count` child cells that tile it exactly: the Voronoi diagram of a set of
 * sites, each cell clipped to the parent. Sites are either given (towns around their known
 * centres) or relaxed by Lloyd's algorithm on a cloud of sample points drawn from the parent with
 * an optional density (k-means: each site moves to the mean of the samples nearest to it), which
 * gives evenly shaped cells that are smaller where the density is higher — urban cores get many
 * small communities, the countryside fewer large villages.
 *
 * The sites and the Voronoi diagram live in a local metric projection; it is affine, so the cells
 * are mapped back to lon/lat exactly and clipped there against the parent's own (already rounded)
 * coordinates, which keeps children's vertices on the parent's boundary. Clipping a convex cell
 * against a concave parent can leave several pieces: the largest stays with its cell, each stray
 * piece is merged into the sibling that shares its longest edge, and if no union gives a single
 * polygon the cell keeps a MultiPolygon. No area is ever dropped.
 */
import { Delaunay } from 'd3-delaunay';
import polygonClipping, { type MultiPolygon as PcMultiPolygon, type Polygon as PcPolygon } from 'polygon-clipping';
import type { AreaGeometry } from '../../core/geo/types';
import {
  cleanRing,
  labelPoint,
  pointInMultiPolygon,
  polygonArea,
  positionsBBox,
  rewindPolygon,
  roundPosition,
  type LocalProjection,
  type MultiPolygonRings,
  type Position,
} from '../../core/geo/geometry';
import type { Random } from './random';

export interface PartitionOptions {
  count: number;
  projection: LocalProjection;
  /** fixed sites [lon, lat]; when given, no relaxation happens and `count` must match */
  sites?: readonly Position[];
  /** needed unless `sites` are given */
  rng?: Random;
  /** relative sample density at a projected point [x, y] (metres); at most `densityMax` */
  density?: (x: number, y: number) => number;
  densityMax?: number;
  /** sample points per cell for the relaxation (default 40) */
  samplesPerCell?: number;
  /** Lloyd iterations (default 8) */
  iterations?: number;
  /** decimals of the output coordinates (default 9, about 0.1 mm) */
  decimals?: number;
}

export interface PartitionCell {
  /** the Voronoi site [lon, lat] the cell was drawn around */
  site: [number, number];
  geometry: AreaGeometry;
}

const MAX_ATTEMPTS = 6;
/** a relaxed cell smaller than this share of the mean cell is redrawn */
const MIN_CELL_SHARE = 0.04;

export function partitionArea(parent: AreaGeometry, options: PartitionOptions): PartitionCell[] {
  const parentPolygons: MultiPolygonRings = parent.type === 'Polygon' ? [parent.coordinates] : parent.coordinates;
  const { count, projection } = options;
  if (count < 1) throw new Error('partitionArea: count must be at least 1');
  if (count === 1) {
    const copy: AreaGeometry = JSON.parse(JSON.stringify(parent));
    return [{ site: labelPoint(parent), geometry: copy }];
  }
  if (options.sites) {
    if (options.sites.length !== count) throw new Error('partitionArea: sites.length must equal count');
    const sitesXY = options.sites.map((s) => projection.project(s));
    return finishCells(parentPolygons, sitesXY, options);
  }
  const rng = options.rng;
  if (!rng) throw new Error('partitionArea: rng is required to relax sites');

  const samples = sampleInside(parentPolygons, count * (options.samplesPerCell ?? 40), rng, options);
  let lastError = '';
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    const sites = relax(samples, count, options.iterations ?? 8, rng);
    const cells = finishCells(parentPolygons, sites, options);
    const areas = cells.map((c) => polygonAreaOf(c.geometry));
    const mean = areas.reduce((s, a) => s + a, 0) / count;
    const small = areas.findIndex((a) => !(a >= MIN_CELL_SHARE * mean));
    if (small < 0) return cells;
    lastError = `cell ${small} has ${areas[small]} m², mean ${mean} m²`;
  }
  throw new Error(`partitionArea: could not draw ${count} reasonable cells (${lastError})`);
}

function polygonAreaOf(g: AreaGeometry): number {
  return g.type === 'Polygon' ? polygonArea(g.coordinates) : g.coordinates.reduce((s, p) => s + polygonArea(p), 0);
}

/** Rejection sampling of `n` projected points inside the parent, weighted by the density. */
function sampleInside(parent: MultiPolygonRings, n: number, rng: Random, options: PartitionOptions): Float64Array {
  const { projection, density } = options;
  const projected = parent.map((rings) => rings.map((ring) => ring.map((p) => projection.project(p))));
  const [minX, minY, maxX, maxY] = positionsBBox(projected.flatMap((rings) => rings[0] ?? []));
  const dMax = options.densityMax ?? 1;
  const out = new Float64Array(2 * n);
  let got = 0;
  let tries = 0;
  while (got < n) {
    if (++tries > n * 10_000) throw new Error('partitionArea: parent has (almost) no area to sample');
    const x = rng.range(minX, maxX);
    const y = rng.range(minY, maxY);
    if (density && rng.next() * dMax > density(x, y)) continue;
    if (!pointInMultiPolygon([x, y], projected)) continue;
    out[2 * got] = x;
    out[2 * got + 1] = y;
    got++;
  }
  return out;
}

/** Lloyd's algorithm on the sample cloud (k-means), starting from random distinct samples. */
function relax(samples: Float64Array, count: number, iterations: number, rng: Random): [number, number][] {
  const n = samples.length / 2;
  const chosen = new Set<number>();
  while (chosen.size < count) chosen.add(rng.int(0, n - 1));
  const sites = new Float64Array(2 * count);
  [...chosen].forEach((s, k) => {
    sites[2 * k] = samples[2 * s]!;
    sites[2 * k + 1] = samples[2 * s + 1]!;
  });
  const sumX = new Float64Array(count);
  const sumY = new Float64Array(count);
  const num = new Uint32Array(count);
  for (let it = 0; it < iterations; it++) {
    const delaunay = new Delaunay(sites);
    sumX.fill(0);
    sumY.fill(0);
    num.fill(0);
    let last = 0;
    for (let i = 0; i < n; i++) {
      const x = samples[2 * i]!;
      const y = samples[2 * i + 1]!;
      last = delaunay.find(x, y, last);
      sumX[last]! += x;
      sumY[last]! += y;
      num[last]! += 1;
    }
    for (let k = 0; k < count; k++) {
      if (num[k]! > 0) {
        sites[2 * k] = sumX[k]! / num[k]!;
        sites[2 * k + 1] = sumY[k]! / num[k]!;
      } else {
        const s = rng.int(0, n - 1);
        sites[2 * k] = samples[2 * s]!;
        sites[2 * k + 1] = samples[2 * s + 1]!;
      }
    }
  }
  return Array.from({ length: count }, (_, k) => [sites[2 * k]!, sites[2 * k + 1]!]);
}

/** Voronoi cells of the projected sites, clipped to the parent, strays merged, rounded. */
function finishCells(parent: MultiPolygonRings, sitesXY: readonly [number, number][], options: PartitionOptions): PartitionCell[] {
  const { projection } = options;
  const decimals = options.decimals ?? 9;
  const projectedOutline = parent.flatMap((rings) => (rings[0] ?? []).map((p) => projection.project(p)));
  const [minX, minY, maxX, maxY] = positionsBBox([...projectedOutline, ...sitesXY]);
  const pad = Math.max(maxX - minX, maxY - minY) * 0.1 + 1;
  const voronoi = Delaunay.from(sitesXY).voronoi([minX - pad, minY - pad, maxX + pad, maxY + pad]);
  const clipParent = parent as unknown as PcMultiPolygon;

  // pieces[i] = the polygons of cell i after clipping
  const pieces: PcPolygon[][] = sitesXY.map((_, i) => {
    const cell = voronoi.cellPolygon(i);
    if (!cell) return [];
    const ring = cell.map((xy) => projection.unproject([xy[0], xy[1]]));
    return polygonClipping.intersection(clipParent, [ring]);
  });

  // each cell keeps its largest piece; strays go to the neighbour sharing their longest edge
  const strays: { from: number; polygon: PcPolygon }[] = [];
  const geoms: PcPolygon[][] = pieces.map((ps, i) => {
    if (ps.length <= 1) return ps;
    const areas = ps.map((p) => polygonArea(p));
    const keep = areas.indexOf(Math.max(...areas));
    ps.forEach((p, k) => {
      if (k !== keep) strays.push({ from: i, polygon: p });
    });
    return [ps[keep]!];
  });
  for (const stray of strays) {
    const target = longestSharedEdgeNeighbour(stray.polygon, geoms, stray.from);
    const merged = target >= 0 ? polygonClipping.union(geoms[target] as PcMultiPolygon, stray.polygon) : [];
    if (merged.length === 1) geoms[target] = merged;
    else geoms[stray.from]!.push(stray.polygon);
  }

  return geoms.map((polys, i) => {
    const cleaned = polys
      .map((poly) => {
        const rings = poly.map((ring) => cleanRing(ring.map((p) => roundPosition(p, decimals))));
        if (!rings[0]) return null;
        return rewindPolygon(rings.filter((r): r is [number, number][] => r !== null));
      })
      .filter((p): p is [number, number][][] => p !== null);
    if (cleaned.length === 0) throw new Error(`partitionArea: cell ${i} lies outside its parent`);
    const geometry: AreaGeometry =
      cleaned.length === 1 ? { type: 'Polygon', coordinates: cleaned[0]! } : { type: 'MultiPolygon', coordinates: cleaned };
    return { site: projection.unproject(sitesXY[i]!), geometry };
  });
}

/**
 * The sibling (other than `self`) whose boundary runs along the stray's exterior for the longest
 * length, or -1. An edge of the stray counts as shared when its midpoint lies on the sibling's
 * boundary (up to floating-point noise of separate clipping operations).
 */
function longestSharedEdgeNeighbour(stray: PcPolygon, geoms: readonly PcPolygon[][], self: number): number {
  const ring = stray[0]!;
  const box = positionsBBox(ring);
  const tol = 1e-9;
  let best = -1;
  let bestLength = 0;
  geoms.forEach((polys, j) => {
    if (j === self || polys.length === 0) return;
    const sb = positionsBBox(polys.flatMap((p) => p[0] ?? []));
    if (sb[0] > box[2] + tol || sb[2] < box[0] - tol || sb[1] > box[3] + tol || sb[3] < box[1] - tol) return;
    let shared = 0;
    for (let i = 0; i + 1 < ring.length; i++) {
      const a = ring[i]!;
      const b = ring[i + 1]!;
      const m: [number, number] = [(a[0] + b[0]) / 2, (a[1] + b[1]) / 2];
      if (onBoundary(m, polys, tol)) shared += Math.hypot(b[0] - a[0], b[1] - a[1]);
    }
    if (shared > bestLength) {
      bestLength = shared;
      best = j;
    }
  });
  return best;
}

function onBoundary(p: readonly [number, number], polys: readonly PcPolygon[], tol: number): boolean {
  for (const poly of polys) {
    for (const ring of poly) {
      for (let i = 0; i + 1 < ring.length; i++) {
        const a = ring[i]!;
        const b = ring[i + 1]!;
        const dx = b[0] - a[0];
        const dy = b[1] - a[1];
        const len2 = dx * dx + dy * dy;
        const t = len2 === 0 ? 0 : Math.max(0, Math.min(1, ((p[0] - a[0]) * dx + (p[1] - a[1]) * dy) / len2));
        if (Math.hypot(a[0] + t * dx - p[0], a[1] + t * dy - p[1]) <= tol) return true;
      }
    }
  }
  return false;
}
