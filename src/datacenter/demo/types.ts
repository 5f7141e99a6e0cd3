/**
 * What the demo-district generator produces: a complete, self-consistent
 * district that the data center seeds into its store.
 */
import type { Area, Grid, GridWorker } from '../../core/geo/types';
import type { Unit } from '../../core/org/types';

export interface DemoDistrict {
  seed: number;
  district: Area;
  /** 10 towns/subdistricts */
  towns: Area[];
  /** 252 villages/communities */
  villages: Area[];
  /** 1,401 base grids, each with its grid workers */
  grids: Grid[];
  /** district, 27 departments, 10 town governments, 252 village committees */
  units: Unit[];
  /** every grid worker (also listed on their grids) with the grid codes they cover */
  workers: (GridWorker & { gridCodes: string[]; villageCode: string })[];
}
