/**
 * The geometry the map draws: every grid in force plus the district, town and
 * village outlines. A boundary's `townCode` is the town it belongs to (its
 * own code for a town, null for the district), so one colour scale by town
 * serves grids and boundaries alike.
 */
import type { Area, AreaBoundary, Grid, GridsGeometry } from '../../../core/index';

const LEVEL_ORDER = { district: 0, town: 1, village: 2 } as const;

export function buildGridsGeometry(version: string, areas: Area[], grids: Grid[]): GridsGeometry {
  const boundaries: AreaBoundary[] = [...areas]
    .sort((a, b) => LEVEL_ORDER[a.level] - LEVEL_ORDER[b.level] || a.code.localeCompare(b.code))
    .map((a) => ({
      code: a.code,
      name: a.name,
      level: a.level,
      kind: a.kind,
      townCode: a.level === 'district' ? null : a.level === 'town' ? a.code : a.parentCode,
      labelPoint: a.labelPoint,
      bbox: a.bbox,
      geometry: a.geometry,
    }));
  return { version, grids, boundaries };
}
