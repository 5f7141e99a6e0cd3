/**
 * Reference-data responses of the data center (first cut of the sync feed:
 * whole-resource fetches with a version). The full snapshot/live protocol
 * replaces these for operational tables.
 */
import { z } from 'zod';
import { Area, Grid } from '../geo/types';
import { Unit } from '../org/types';

export const ReferenceVersion = z.object({
  /** changes whenever any reference data changes */
  version: z.string(),
  district: z.object({ code: z.string(), name: z.string() }),
  counts: z.object({ towns: z.number(), villages: z.number(), grids: z.number(), units: z.number() }),
});
export type ReferenceVersion = z.infer<typeof ReferenceVersion>;

export const AreasResponse = z.object({ version: z.string(), areas: z.array(Area) });
export type AreasResponse = z.infer<typeof AreasResponse>;

export const GridsResponse = z.object({ version: z.string(), grids: z.array(Grid) });
export type GridsResponse = z.infer<typeof GridsResponse>;

export const UnitsResponse = z.object({ version: z.string(), units: z.array(Unit) });
export type UnitsResponse = z.infer<typeof UnitsResponse>;
