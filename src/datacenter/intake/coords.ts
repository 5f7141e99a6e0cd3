/**
 * Coordinate conversion on intake. The data center stores WGS84 (CGCS2000 differs from WGS84 by
 * centimetres, below what a report position means, so it is taken as is); Chinese map SDKs send
 * GCJ-02 (AMap, Tencent) or BD-09 (Baidu), which are shifted by several hundred metres and are
 * converted here with gcoord. The original is always kept as `sourceLocation` so a dispute about
 * a position can go back to what the source sent.
 */
import gcoord from 'gcoord';
import type { CoordSystem } from '../../core/events/types';
import type { SourceLocation } from './draft';

/** Spellings sources use for their coordinate system, normalised (case-insensitive). */
const ALIASES: Record<string, CoordSystem> = {
  wgs84: 'wgs84',
  'wgs-84': 'wgs84',
  wgs1984: 'wgs84',
  gps: 'wgs84',
  'epsg:4326': 'wgs84',
  cgcs2000: 'cgcs2000',
  'epsg:4490': 'cgcs2000',
  gcj02: 'gcj02',
  'gcj-02': 'gcj02',
  amap: 'gcj02',
  gaode: 'gcj02',
  tencent: 'gcj02',
  qq: 'gcj02',
  bd09: 'bd09',
  'bd-09': 'bd09',
  bd09ll: 'bd09',
  baidu: 'bd09',
};

export const COORD_SYSTEM_SPELLINGS = Object.keys(ALIASES);

export function normaliseCoordSystem(name: string): CoordSystem | null {
  return ALIASES[name.trim().toLowerCase()] ?? null;
}

/** Rough mainland bounds: positions outside are garbage (0,0, swapped axes), not places in the district. */
export const CHINA_BOUNDS = { minLon: 73, maxLon: 136, minLat: 3, maxLat: 54 } as const;

export function inChina(lon: number, lat: number): boolean {
  return lon >= CHINA_BOUNDS.minLon && lon <= CHINA_BOUNDS.maxLon && lat >= CHINA_BOUNDS.minLat && lat <= CHINA_BOUNDS.maxLat;
}

export interface ConvertedLocation {
  /** WGS84 [lon, lat], rounded to 7 decimals (about 1 cm) */
  location: [number, number];
  sourceLocation: SourceLocation;
}

const round7 = (v: number) => Math.round(v * 1e7) / 1e7;

/** Converts a position received in `system` to WGS84, keeping the original. */
export function toWgs84(lon: number, lat: number, system: CoordSystem): ConvertedLocation {
  let out: [number, number];
  switch (system) {
    case 'wgs84':
    case 'cgcs2000':
      out = [lon, lat];
      break;
    case 'gcj02':
      out = gcoord.transform<[number, number]>([lon, lat], gcoord.GCJ02, gcoord.WGS84);
      break;
    case 'bd09':
      out = gcoord.transform<[number, number]>([lon, lat], gcoord.BD09, gcoord.WGS84);
      break;
  }
  return { location: [round7(out[0]), round7(out[1])], sourceLocation: { lon, lat, system } };
}
