/**
 * The district's geography as every layer sees it: a tree of areas
 * (district → town/subdistrict → village/community) and the base grids
 * (基础网格) that tile each village. Coordinates are WGS84 [lon, lat].
 */
import { z } from 'zod';

export const LonLat = z.tuple([z.number().min(-180).max(180), z.number().min(-90).max(90)]);
export type LonLat = z.infer<typeof LonLat>;

/** [minLon, minLat, maxLon, maxLat] */
export const BBox = z.tuple([z.number(), z.number(), z.number(), z.number()]);
export type BBox = z.infer<typeof BBox>;

/** A linear ring: closed (first point repeated last), at least 4 positions. */
export const Ring = z.array(LonLat).min(4);
export const PolygonCoords = z.array(Ring).min(1);
export const MultiPolygonCoords = z.array(PolygonCoords).min(1);

export const AreaGeometry = z.discriminatedUnion('type', [
  z.object({ type: z.literal('Polygon'), coordinates: PolygonCoords }),
  z.object({ type: z.literal('MultiPolygon'), coordinates: MultiPolygonCoords }),
]);
export type AreaGeometry = z.infer<typeof AreaGeometry>;

export const AreaLevel = z.enum(['district', 'town', 'village']);
export type AreaLevel = z.infer<typeof AreaLevel>;

/**
 * subdistrict 街道 and town 镇 are both town-level; community 社区 and village 村
 * are both village-level.
 */
export const AreaKind = z.enum(['district', 'subdistrict', 'town', 'community', 'village']);
export type AreaKind = z.infer<typeof AreaKind>;

/** 6-digit district code (GB/T 2260) */
export const DistrictCode = z.string().regex(/^\d{6}$/);
/** 12-digit statistical division code: district + 3-digit town + 3-digit village */
export const AreaCode12 = z.string().regex(/^\d{12}$/);
/** 15-digit base grid code: village code + 3-digit sequence */
export const GridCode = z.string().regex(/^\d{15}$/);

export const Area = z.object({
  code: z.string().regex(/^\d{6}(\d{6})?$/),
  name: z.string().min(1),
  level: AreaLevel,
  kind: AreaKind,
  parentCode: z.string().nullable(),
  /** a point inside the area where its label goes */
  labelPoint: LonLat,
  bbox: BBox,
  geometry: AreaGeometry,
  /** residents, for per-capita measures */
  population: z.number().int().nonnegative(),
});
export type Area = z.infer<typeof Area>;

export interface AreaNode extends Omit<Area, 'geometry'> {
  gridCount: number;
  children: AreaNode[];
}
export const AreaNode: z.ZodType<AreaNode> = Area.omit({ geometry: true }).extend({
  gridCount: z.number().int().nonnegative(),
  get children() {
    return z.array(AreaNode);
  },
});

/** 网格员 a grid worker, the person responsible on the ground */
export const GridWorker = z.object({
  id: z.string(),
  name: z.string(),
  phone: z.string(),
});
export type GridWorker = z.infer<typeof GridWorker>;

export const GridKind = z.enum(['community', 'rural']);
export type GridKind = z.infer<typeof GridKind>;

export const Grid = z.object({
  code: GridCode,
  name: z.string(),
  kind: GridKind,
  villageCode: AreaCode12,
  townCode: AreaCode12,
  labelPoint: LonLat,
  geometry: AreaGeometry,
  workers: z.array(GridWorker),
  /** ISO date the grid came into force */
  validFrom: z.string(),
  /** ISO date it was replaced, null while current */
  validTo: z.string().nullable(),
});
export type Grid = z.infer<typeof Grid>;
