/**
 * A cheap spatial key for the near-duplicate search: the 0.01° cell (about 1 km in Huadu) a
 * position falls in, stored as an integer column next to the event and indexed with the report
 * time. A search for "within r metres" reads the few cells covering the circle's bounding box
 * (2×2 for the 200 m default) and filters by exact distance afterwards, so it needs neither
 * PostGIS nor a GiST index and runs the same on PGlite and PostgreSQL.
 */

export const CELL_DEGREES = 0.01;
const ROW = 100_000;
const METRES_PER_DEGREE_LAT = 111_320;

const row = (lat: number) => Math.floor((lat + 90) / CELL_DEGREES);
const col = (lon: number) => Math.floor((lon + 180) / CELL_DEGREES);

/** The cell of a WGS84 position (fits a PostgreSQL integer: at most 18000 × 100000 + 36000). */
export function geoCell(lon: number, lat: number): number {
  return row(lat) * ROW + col(lon);
}

export interface BBox {
  minLon: number;
  minLat: number;
  maxLon: number;
  maxLat: number;
}

/** The bounding box of a circle of `metres` around a point (slightly generous). */
export function bboxAround(lon: number, lat: number, metres: number): BBox {
  const dLat = (metres / METRES_PER_DEGREE_LAT) * 1.01;
  const dLon = (metres / (METRES_PER_DEGREE_LAT * Math.max(Math.cos((lat * Math.PI) / 180), 0.01))) * 1.01;
  return { minLon: lon - dLon, minLat: lat - dLat, maxLon: lon + dLon, maxLat: lat + dLat };
}

/** Every cell a box touches, or null when that would be more than `max` cells (search by box alone then). */
export function cellsCovering(box: BBox, max = 64): number[] | null {
  const r0 = row(box.minLat);
  const r1 = row(box.maxLat);
  const c0 = col(box.minLon);
  const c1 = col(box.maxLon);
  if ((r1 - r0 + 1) * (c1 - c0 + 1) > max) return null;
  const cells: number[] = [];
  for (let r = r0; r <= r1; r++) for (let c = c0; c <= c1; c++) cells.push(r * ROW + c);
  return cells;
}
