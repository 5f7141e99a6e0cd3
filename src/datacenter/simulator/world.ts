/**
 * The simulator's picture of the district, read from the data center's own reference data (so it
 * works on any district a site loads, not only the demo): towns with their kind (urban 街道 or
 * rural 镇), the current base grids with their outlines, the units, the grid workers — plus the
 * places where things happen, which reference data does not hold and the simulator draws from
 * its seed:
 *
 * - hot spots near each town centre: markets (占道经营, 垃圾满溢, 市场秩序, noise), schools (治安,
 *   消防通道, 道路破损) and industrial parks (安全生产, 危化品, 工业废水, 企业诉求) — industrial
 *   parks sit further out in rural towns, as they do;
 * - low-lying grids, where a rainstorm floods first: a synthetic terrain that falls from the
 *   northern hills (梯面) to the southern plain, with a little relief, plus a few urban
 *   underpasses per subdistrict.
 *
 * Same reference data and seed, same world.
 */
import { asc, eq, isNull } from 'drizzle-orm';
import { distanceMetres, geometryBBox, pointInGeometry } from '../../core/geo/geometry';
import type { AreaGeometry, BBox } from '../../core/geo/types';
import type { DemoDistrict } from '../demo/types';
import { createGridLocator, type GridLocator } from '../intake/grid-locator';
import type { DbOrTx } from '../store/database';
import { areas, gridAssignments, gridWorkers, grids, units } from '../store/schema';
import { simStream, type SimRandom } from './random';

export type LonLat = [number, number];

export interface SimWorker {
  id: string;
  name: string;
  phone: string;
}

export interface SimGrid {
  code: string;
  villageCode: string;
  townCode: string;
  kind: 'community' | 'rural';
  label: LonLat;
  bbox: BBox;
  geometry: AreaGeometry;
  /** relative share of everyday events (residents: dense community grids report more) */
  weight: number;
  /** floods first in a rainstorm */
  lowLying: boolean;
  workers: SimWorker[];
}

export interface SimTown {
  code: string;
  name: string;
  /** 街道 subdistrict (urban); false for a 镇 town, mostly rural */
  urban: boolean;
  centre: LonLat;
  /** sum of its grids' weights */
  weight: number;
}

/** 热点 a place where reports cluster. */
export type HotspotKind = 'market' | 'school' | 'industrial_park';

export interface Hotspot {
  id: string;
  kind: HotspotKind;
  /** e.g. 新华街农贸市场 */
  name: string;
  townCode: string;
  centre: LonLat;
  /** reports scatter around the centre with this standard deviation */
  radiusMetres: number;
}

export interface SimUnit {
  id: string;
  name: string;
  shortName: string;
  kind: 'district' | 'department' | 'town' | 'village';
}

export interface SimWorld {
  districtCode: string;
  towns: SimTown[];
  grids: SimGrid[];
  gridsByTown: ReadonlyMap<string, SimGrid[]>;
  gridByCode: ReadonlyMap<string, SimGrid>;
  lowGrids: SimGrid[];
  hotspots: Hotspot[];
  units: ReadonlyMap<string, SimUnit>;
  locator: GridLocator;
}

/** What the world is built from (the reference tables, or a generated district in tests). */
export interface WorldInput {
  districtCode: string;
  towns: { code: string; name: string; kind: 'subdistrict' | 'town'; label: LonLat }[];
  grids: { code: string; villageCode: string; townCode: string; kind: 'community' | 'rural'; label: LonLat; geometry: AreaGeometry }[];
  units: SimUnit[];
  /** grid code → its workers, lead first */
  workers: ReadonlyMap<string, SimWorker[]>;
}

/** residents per grid, as the demo generator draws them */
const GRID_WEIGHT = { community: 1.6, rural: 0.9 } as const;
/** share of grids that count as low-lying */
const LOW_LYING_SHARE = 0.06;

const HOTSPOT_NAMES: Record<HotspotKind, string[]> = {
  market: ['农贸市场', '综合市场', '夜市', '商业街', '批发市场'],
  school: ['中心小学', '第二小学', '中学', '实验学校', '幼儿园'],
  industrial_park: ['工业园', '产业园', '物流园', '皮具城'],
};

/** Synthetic relief: high in the north-east hills, low on the southern plain (metres, roughly). */
function elevation(lon: number, lat: number): number {
  return 20 + 900 * Math.max(lat - 23.3, 0) + 12 * Math.sin(lon * 53.1) * Math.cos(lat * 47.3) + 6 * Math.sin(lon * 173 + lat * 131);
}

/** A position inside `grid` (rejection sampling in its box; the label point after 20 misses). */
export function pointInGrid(grid: SimGrid, rng: SimRandom): LonLat {
  const [minLon, minLat, maxLon, maxLat] = grid.bbox;
  for (let i = 0; i < 20; i++) {
    const p: LonLat = [minLon + (maxLon - minLon) * rng.next(), minLat + (maxLat - minLat) * rng.next()];
    if (pointInGeometry(p, grid.geometry)) return round(p);
  }
  return grid.label;
}

/** A position scattered around `centre` (normal, σ = radius), or null when it leaves the district. */
export function pointNear(world: SimWorld, centre: LonLat, radiusMetres: number, rng: SimRandom): LonLat | null {
  const dLat = (radiusMetres * rng.normal()) / 111_320;
  const dLon = (radiusMetres * rng.normal()) / (111_320 * Math.cos((centre[1] * Math.PI) / 180));
  const p = round([centre[0] + dLon, centre[1] + dLat]);
  return world.locator.locate(p[0], p[1]) ? p : null;
}

function round(p: LonLat): LonLat {
  return [Math.round(p[0] * 1e6) / 1e6, Math.round(p[1] * 1e6) / 1e6];
}

export function buildSimWorld(input: WorldInput, seed: number): SimWorld {
  const rng = simStream(seed, 'world');
  const locator = createGridLocator(
    input.grids.map((g) => ({ code: g.code, villageCode: g.villageCode, townCode: g.townCode, geometry: g.geometry })),
    { at: '9999-12-31' },
  );
  const simGrids: SimGrid[] = input.grids.map((g) => ({
    code: g.code,
    villageCode: g.villageCode,
    townCode: g.townCode,
    kind: g.kind,
    label: g.label,
    bbox: geometryBBox(g.geometry),
    geometry: g.geometry,
    weight: GRID_WEIGHT[g.kind],
    lowLying: false,
    workers: input.workers.get(g.code) ?? [],
  }));
  // low-lying: the lowest share by synthetic elevation, plus urban underpasses
  const byElevation = [...simGrids].sort((a, b) => elevation(...a.label) - elevation(...b.label) || (a.code < b.code ? -1 : 1));
  for (const g of byElevation.slice(0, Math.max(1, Math.round(simGrids.length * LOW_LYING_SHARE)))) g.lowLying = true;

  const gridsByTown = new Map<string, SimGrid[]>();
  for (const g of simGrids) {
    const list = gridsByTown.get(g.townCode) ?? [];
    list.push(g);
    gridsByTown.set(g.townCode, list);
  }
  const towns: SimTown[] = input.towns
    .filter((t) => gridsByTown.has(t.code))
    .map((t) => ({
      code: t.code,
      name: t.name,
      urban: t.kind === 'subdistrict',
      centre: t.label,
      weight: gridsByTown.get(t.code)!.reduce((s, g) => s + g.weight, 0),
    }));
  for (const t of towns.filter((x) => x.urban)) {
    const community = gridsByTown.get(t.code)!.filter((g) => g.kind === 'community' && !g.lowLying);
    for (let i = 0; i < 3 && community.length > 0; i++) community.splice(rng.int(0, community.length - 1), 1)[0]!.lowLying = true;
  }

  const world: SimWorld = {
    districtCode: input.districtCode,
    towns,
    grids: simGrids,
    gridsByTown,
    gridByCode: new Map(simGrids.map((g) => [g.code, g])),
    lowGrids: simGrids.filter((g) => g.lowLying),
    hotspots: [],
    units: new Map(input.units.map((u) => [u.id, u])),
    locator,
  };

  // hot spots near each town centre
  for (const t of towns) {
    const plan: [HotspotKind, number, number, number][] = t.urban
      ? [
          ['market', 3, 300, 1400],
          ['school', 3, 300, 1800],
          ['industrial_park', 1, 1800, 3000],
        ]
      : [
          ['market', 2, 100, 900],
          ['school', 2, 200, 1500],
          ['industrial_park', 2, 1500, 4000],
        ];
    for (const [kind, count, near, far] of plan) {
      for (let i = 0; i < count; i++) {
        let centre: LonLat | null = null;
        for (let attempt = 0; attempt < 30 && !centre; attempt++) {
          const r = near + (far - near) * rng.next();
          const a = 2 * Math.PI * rng.next();
          const p = round([t.centre[0] + (r * Math.cos(a)) / (111_320 * Math.cos((t.centre[1] * Math.PI) / 180)), t.centre[1] + (r * Math.sin(a)) / 111_320]);
          if (world.locator.locate(p[0], p[1])?.townCode === t.code) centre = p;
        }
        if (!centre) continue;
        const names = HOTSPOT_NAMES[kind];
        world.hotspots.push({
          id: `${t.code}-${kind}-${i + 1}`,
          kind,
          name: `${t.name.replace(/(街道|镇)$/, '')}${names[(i + rng.int(0, names.length - 1)) % names.length]}`,
          townCode: t.code,
          centre,
          radiusMetres: kind === 'industrial_park' ? 350 : kind === 'market' ? 120 : 90,
        });
      }
    }
  }
  return world;
}

/** The world input of a generated district (tests and tools that run without a database). */
export function worldInputOf(d: DemoDistrict): WorldInput {
  return {
    districtCode: d.district.code,
    towns: d.towns.map((t) => ({ code: t.code, name: t.name, kind: t.kind === 'subdistrict' ? 'subdistrict' : 'town', label: [t.labelPoint[0], t.labelPoint[1]] })),
    grids: d.grids
      .filter((g) => g.validTo === null)
      .map((g) => ({ code: g.code, villageCode: g.villageCode, townCode: g.townCode, kind: g.kind, label: [g.labelPoint[0], g.labelPoint[1]], geometry: g.geometry })),
    units: d.units.map((u) => ({ id: u.id, name: u.name, shortName: u.shortName, kind: u.kind })),
    workers: new Map(d.grids.map((g) => [g.code, g.workers.map((w) => ({ id: w.id, name: w.name, phone: w.phone }))])),
  };
}

/** The world of the reference data in the store (current grids). */
export async function loadSimWorld(db: DbOrTx, seed: number): Promise<SimWorld> {
  const [district] = await db.select({ code: areas.code }).from(areas).where(eq(areas.level, 'district')).limit(1);
  if (!district) throw new Error('the simulator needs reference data: seed the demo district or import a district first');
  const townRows = await db
    .select({ code: areas.code, name: areas.name, kind: areas.kind, lon: areas.labelLon, lat: areas.labelLat })
    .from(areas)
    .where(eq(areas.level, 'town'))
    .orderBy(asc(areas.code));
  const gridRows = await db
    .select({
      code: grids.code,
      villageCode: grids.villageCode,
      townCode: grids.townCode,
      kind: grids.kind,
      lon: grids.labelLon,
      lat: grids.labelLat,
      geometry: grids.geometry,
    })
    .from(grids)
    .where(isNull(grids.validTo))
    .orderBy(asc(grids.code));
  const unitRows = await db.select({ id: units.id, name: units.name, shortName: units.shortName, kind: units.kind }).from(units).orderBy(asc(units.sortOrder), asc(units.id));
  const workerRows = await db
    .select({ gridCode: gridAssignments.gridCode, id: gridWorkers.id, name: gridWorkers.name, phone: gridWorkers.phone, position: gridAssignments.position })
    .from(gridAssignments)
    .innerJoin(gridWorkers, eq(gridWorkers.id, gridAssignments.workerId))
    .orderBy(asc(gridAssignments.gridCode), asc(gridAssignments.position));
  const workers = new Map<string, SimWorker[]>();
  for (const w of workerRows) {
    const list = workers.get(w.gridCode) ?? [];
    list.push({ id: w.id, name: w.name, phone: w.phone });
    workers.set(w.gridCode, list);
  }
  return buildSimWorld(
    {
      districtCode: district.code,
      towns: townRows.map((t) => ({ code: t.code, name: t.name, kind: t.kind === 'subdistrict' ? 'subdistrict' : 'town', label: [t.lon, t.lat] })),
      grids: gridRows.map((g) => ({ code: g.code, villageCode: g.villageCode, townCode: g.townCode, kind: g.kind, label: [g.lon, g.lat], geometry: g.geometry })),
      units: unitRows,
      workers,
    },
    seed,
  );
}

/** Metres between two positions (re-exported for the model). */
export { distanceMetres };
