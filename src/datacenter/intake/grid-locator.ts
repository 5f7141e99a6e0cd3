/**
 * Places a WGS84 position in its base grid (基础网格): a packed Hilbert R-tree (flatbush) over the
 * bounding boxes of the current grids' polygons narrows a lookup to the few grids whose box holds
 * the point, and the point-in-polygon test of src/core/geo/geometry.ts decides, so the data
 * center and every other layer agree on containment.
 *
 * Grids tile the district, but a point exactly on a shared edge can be claimed by both neighbours
 * or by neither, depending on floating-point rounding in the ray test; and a report on the
 * district's outer boundary should not be flagged as outside. So when no polygon contains the
 * point, the grid whose boundary is nearest within `edgeToleranceMetres` (default 1 m) takes it,
 * ties going to the lowest grid code so the answer never depends on insertion order. Beyond that
 * the point is outside the district: `null`, which intake flags (`outsideDistrict`), never drops.
 *
 * Built once per grid version (grids are redrawn rarely, with valid-from/valid-to dates); a
 * lookup allocates one small array and costs a few microseconds.
 */
import Flatbush from 'flatbush';
import { distanceToBoundaryMetres, pointInPolygon, polygonBBox, type PolygonRings } from '../../core/geo/geometry';
import type { AreaGeometry } from '../../core/geo/types';

export interface GridPlacement {
  gridCode: string;
  villageCode: string;
  townCode: string;
}

/** What the locator needs of a grid (a subset of core's `Grid`). */
export interface LocatableGrid {
  code: string;
  villageCode: string;
  townCode: string;
  geometry: AreaGeometry;
  validFrom?: string;
  validTo?: string | null;
}

export interface GridLocatorOptions {
  /** which grids are current: valid from on or before this date and not yet replaced (default: today) */
  at?: Date | string;
  /** how far outside every polygon a point may lie and still be placed in the nearest grid (metres) */
  edgeToleranceMetres?: number;
}

export interface GridLocator {
  /** the grid holding the position, or null when it is outside the district */
  locate(lon: number, lat: number): GridPlacement | null;
  /** the placement of a grid by its code, or null when no current grid has it */
  byCode(gridCode: string): GridPlacement | null;
  /** number of current grids indexed */
  readonly size: number;
}

const METRES_PER_DEGREE_LAT = 111_195;

interface Part {
  rings: PolygonRings;
  grid: number;
}

function isCurrent(g: LocatableGrid, day: string): boolean {
  if (g.validFrom !== undefined && g.validFrom.slice(0, 10) > day) return false;
  return g.validTo === undefined || g.validTo === null || g.validTo.slice(0, 10) > day;
}

export function createGridLocator(grids: readonly LocatableGrid[], options: GridLocatorOptions = {}): GridLocator {
  const at = options.at ?? new Date();
  const day = typeof at === 'string' ? at.slice(0, 10) : at.toISOString().slice(0, 10);
  const tolerance = options.edgeToleranceMetres ?? 1;

  const current = grids.filter((g) => isCurrent(g, day)).sort((a, b) => (a.code < b.code ? -1 : a.code > b.code ? 1 : 0));
  const placements: GridPlacement[] = current.map((g) => ({ gridCode: g.code, villageCode: g.villageCode, townCode: g.townCode }));
  const byCode = new Map(placements.map((p) => [p.gridCode, p]));
  if (byCode.size !== placements.length) throw new Error('createGridLocator: two current grids share a code');

  const parts: Part[] = [];
  current.forEach((g, i) => {
    const polys = g.geometry.type === 'Polygon' ? [g.geometry.coordinates] : g.geometry.coordinates;
    for (const rings of polys) parts.push({ rings, grid: i });
  });
  const index = new Flatbush(Math.max(parts.length, 1));
  for (const p of parts) {
    const [minX, minY, maxX, maxY] = polygonBBox(p.rings);
    index.add(minX, minY, maxX, maxY);
  }
  if (parts.length === 0) index.add(0, 0, 0, 0); // flatbush needs one item; it never matches a real point
  index.finish();

  const nearestWithinTolerance = (lon: number, lat: number): GridPlacement | null => {
    if (tolerance <= 0) return null;
    const dLat = tolerance / METRES_PER_DEGREE_LAT;
    const dLon = dLat / Math.max(Math.cos((lat * Math.PI) / 180), 1e-6);
    let best: number | null = null;
    let bestDistance = Infinity;
    for (const k of index.search(lon - dLon, lat - dLat, lon + dLon, lat + dLat)) {
      const part = parts[k];
      if (!part) continue;
      const d = distanceToBoundaryMetres([lon, lat], { type: 'Polygon', coordinates: part.rings as [number, number][][] });
      if (d <= tolerance && (d < bestDistance || (d === bestDistance && best !== null && part.grid < best))) {
        best = part.grid;
        bestDistance = d;
      }
    }
    return best === null ? null : placements[best]!;
  };

  return {
    size: placements.length,
    locate(lon, lat) {
      if (!Number.isFinite(lon) || !Number.isFinite(lat) || parts.length === 0) return null;
      const hits = index.search(lon, lat, lon, lat);
      let found = -1;
      for (const k of hits) {
        const part = parts[k]!;
        // several hits only where boxes overlap; the lowest grid code wins a (malformed) overlap
        if ((found === -1 || part.grid < found) && pointInPolygon([lon, lat], part.rings)) found = part.grid;
      }
      return found >= 0 ? placements[found]! : nearestWithinTolerance(lon, lat);
    },
    byCode: (code) => byCode.get(code) ?? null,
  };
}
