/**
 * The demo district generator: from the facts in resources/demo/huadu.json and a seed, draws a
 * complete, self-consistent Huadu — 10 towns/subdistricts, 252 villages/communities, 1,401 base
 * grids, the units that govern them and the grid workers — so the data center, the app and the
 * tests have a realistic district without any real (and non-public) data.
 *
 * Same seed, same district, bit for bit: all randomness comes from mulberry32 streams derived
 * from the seed and a label per stage, and coordinates are rounded to 7 decimals (about 1 cm).
 *
 * How it is drawn, top-down, each level tiling its parent exactly (see partition.ts):
 * - towns: the Voronoi cells of the known town centres, clipped to the district outline;
 * - villages: a relaxed Voronoi partition of each town, denser around the town centre; the cells
 *   nearest to the centre become 社区 communities (urban), the others 村 villages (rural);
 * - grids: a relaxed Voronoi partition of each village; communities get many small grids
 *   (the town's community-grid total shared out), villages a few large ones.
 * Codes follow the statistical division code: town = district + 3 digits + 000; village = town
 * prefix + 001–099 for communities, 201+ for villages; grid = village code + 3-digit sequence.
 * Villages within a town and grids within a village are numbered west→east, north→south: sorted
 * into rows of about √n by latitude, each row from west to east.
 */
import type { Area, AreaGeometry, Grid, GridWorker } from '../../core/geo/types';
import type { Unit } from '../../core/org/types';
import {
  createLocalProjection,
  distanceToBoundaryMetres,
  geometryArea,
  geometryBBox,
  geometryProblems,
  labelPoint,
  pointInGeometry,
  rewindRing,
  ringCentroid,
  roundPosition,
  type LocalProjection,
  type Position,
} from '../../core/geo/geometry';
import { HUADU_FACTS, type DemoFacts, type DemoTownFacts } from './facts';
import { NameBook } from './names';
import { partitionArea } from './partition';
import { allocate, streamFor, type Random } from './random';
import type { DemoDistrict } from './types';

export const DEMO_DEFAULT_SEED = 2025;

/** residents per grid, before jitter: dense urban communities vs. rural villages */
const RESIDENTS_PER_COMMUNITY_GRID = 1600;
const RESIDENTS_PER_RURAL_GRID = 900;

type DemoWorker = DemoDistrict['workers'][number];

export function generateDemoDistrict(seed = DEMO_DEFAULT_SEED, facts: DemoFacts = HUADU_FACTS): DemoDistrict {
  const validFrom = facts.validFrom;
  const d = facts.district;

  // district
  const outline = rewindRing(d.outline.map((p) => roundPosition(p)), true);
  const districtGeometry: AreaGeometry = { type: 'Polygon', coordinates: [outline] };
  const outlineProblems = geometryProblems(districtGeometry);
  if (outlineProblems.length > 0) throw new Error(`district outline is not a valid polygon: ${outlineProblems.join('; ')}`);
  const projection = createLocalProjection(ringCentroid(outline));
  const district: Area = {
    code: d.code,
    name: d.name,
    level: 'district',
    kind: 'district',
    parentCode: null,
    labelPoint: insideLabelPoint(districtGeometry),
    bbox: geometryBBox(districtGeometry),
    geometry: districtGeometry,
    population: d.population,
  };

  // towns: Voronoi cells of the known centres
  const townCells = partitionArea(districtGeometry, {
    count: facts.towns.length,
    projection,
    sites: facts.towns.map((t) => t.centre),
  });
  const towns: Area[] = facts.towns.map((t, i) => {
    const geometry = townCells[i]!.geometry;
    return {
      code: t.code,
      name: t.name,
      level: 'town',
      kind: t.kind,
      parentCode: d.code,
      labelPoint: insideLabelPoint(geometry),
      bbox: geometryBBox(geometry),
      geometry,
      population: t.population,
    };
  });

  const names = new NameBook(streamFor(seed, 'names'));
  const villages: Area[] = [];
  const grids: Grid[] = [];

  facts.towns.forEach((townFacts, ti) => {
    const town = towns[ti]!;
    const drawn = drawVillages(seed, townFacts, town.geometry, projection);
    const alloc = streamFor(seed, `allocate:${town.code}`);

    // grid counts: communities share the town's community grids, villages its rural grids
    const communityCells = drawn.filter((v) => v.kind === 'community');
    const villageCells = drawn.filter((v) => v.kind === 'village');
    const communityGrids = allocate(
      townFacts.communityGrids,
      communityCells.map(() => alloc.range(0.6, 1.4)),
      Math.min(3, Math.floor(townFacts.communityGrids / Math.max(1, communityCells.length))),
    );
    const ruralGrids = allocate(
      townFacts.ruralGrids,
      villageCells.map((v) => Math.sqrt(geometryArea(v.geometry)) * alloc.range(0.7, 1.3)),
      1,
    );
    communityCells.forEach((v, k) => (v.grids = communityGrids[k]!));
    villageCells.forEach((v, k) => (v.grids = ruralGrids[k]!));
    const population = allocate(
      townFacts.population,
      drawn.map((v) => v.grids * (v.kind === 'community' ? RESIDENTS_PER_COMMUNITY_GRID : RESIDENTS_PER_RURAL_GRID) * alloc.range(0.85, 1.15)),
    );

    drawn.forEach((v, k) => {
      const base = v.kind === 'community' ? names.communityBase() : names.villageBase();
      const village: Area = {
        code: v.code,
        name: base + (v.kind === 'community' ? '社区' : '村'),
        level: 'village',
        kind: v.kind,
        parentCode: town.code,
        labelPoint: v.label,
        bbox: geometryBBox(v.geometry),
        geometry: v.geometry,
        population: population[k]!,
      };
      villages.push(village);
      grids.push(...drawGrids(seed, village, town.code, v.grids, projection, validFrom));
    });
  });

  const { units, workers } = staffDistrict(seed, facts, district, towns, villages, grids, names);
  return { seed, district, towns, villages, grids, units, workers };
}

interface DrawnVillage {
  code: string;
  kind: 'community' | 'village';
  geometry: AreaGeometry;
  label: [number, number];
  grids: number;
}

/** The villages and communities of one town, coded and ordered by code. */
function drawVillages(seed: number, t: DemoTownFacts, townGeometry: AreaGeometry, projection: LocalProjection): DrawnVillage[] {
  const count = t.communities + t.villages;
  const [cx, cy] = projection.project(t.centre);
  const radius = Math.sqrt(geometryArea(townGeometry) / Math.PI);
  // urban core: subdistricts are dense over a wide core, towns around a compact town seat
  const [peak, sigma] = t.kind === 'subdistrict' ? [8, 0.5 * radius] : [15, 0.25 * radius];
  const cells = partitionArea(townGeometry, {
    count,
    projection,
    rng: streamFor(seed, `villages:${t.code}`),
    density: (x, y) => 1 + peak * Math.exp(-((x - cx) ** 2 + (y - cy) ** 2) / (2 * sigma * sigma)),
    densityMax: 1 + peak,
    samplesPerCell: 40,
    iterations: 10,
  });
  // the cells nearest to the centre are the communities
  const byDistance = cells
    .map((c, i) => {
      const [x, y] = projection.project(c.site);
      return { i, d: Math.hypot(x - cx, y - cy) };
    })
    .sort((a, b) => a.d - b.d || a.i - b.i);
  const isCommunity = new Set(byDistance.slice(0, t.communities).map((e) => e.i));
  const withLabels = cells.map((c, i) => ({ ...c, i, label: insideLabelPoint(c.geometry) }));
  const prefix = t.code.slice(0, 9);
  const code = (n: number): string => prefix + String(n).padStart(3, '0');
  const out: DrawnVillage[] = [];
  for (const kind of ['community', 'village'] as const) {
    const group = withLabels.filter((c) => isCommunity.has(c.i) === (kind === 'community'));
    orderWestEastNorthSouth(group.map((c) => c.label)).forEach((g, k) => {
      const c = group[g]!;
      out.push({ code: code(kind === 'community' ? 1 + k : 201 + k), kind, geometry: c.geometry, label: c.label, grids: 0 });
    });
  }
  return out;
}

/** The base grids of one village, numbered west→east, north→south. */
function drawGrids(seed: number, village: Area, townCode: string, count: number, projection: LocalProjection, validFrom: string): Grid[] {
  const cells = partitionArea(village.geometry, {
    count,
    projection,
    rng: streamFor(seed, `grids:${village.code}`),
    samplesPerCell: 30,
    iterations: 8,
  });
  const labels = cells.map((c) => insideLabelPoint(c.geometry));
  const kind = village.kind === 'community' ? 'community' : 'rural';
  return orderWestEastNorthSouth(labels).map((i, k) => ({
    code: village.code + String(k + 1).padStart(3, '0'),
    name: `${village.name}第${k + 1}网格`,
    kind,
    villageCode: village.code,
    townCode,
    labelPoint: labels[i]!,
    geometry: cells[i]!.geometry,
    workers: [],
    validFrom,
    validTo: null,
  }));
}

/**
 * Indices of `points` in reading order: rows of about √n points taken from north to south, each
 * row from west to east. Row boundaries are where the longitude jumps back west.
 */
export function orderWestEastNorthSouth(points: readonly Position[]): number[] {
  const n = points.length;
  const rowSize = Math.max(1, Math.ceil(Math.sqrt(n)));
  const byLat = points.map((_, i) => i).sort((a, b) => points[b]![1] - points[a]![1] || points[a]![0] - points[b]![0]);
  const out: number[] = [];
  for (let r = 0; r < n; r += rowSize) {
    out.push(...byLat.slice(r, r + rowSize).sort((a, b) => points[a]![0] - points[b]![0] || points[b]![1] - points[a]![1]));
  }
  return out;
}

/** The pole of inaccessibility, rounded like the coordinates, and checked to be inside. */
function insideLabelPoint(geometry: AreaGeometry): [number, number] {
  const raw = labelPoint(geometry);
  const rounded = roundPosition(raw);
  return pointInGeometry(rounded, geometry) ? rounded : raw;
}

/** A random point inside the area, at least `margin` metres from its boundary where possible. */
function randomPointInside(rng: Random, geometry: AreaGeometry, margin: number): [number, number] {
  const [minX, minY, maxX, maxY] = geometryBBox(geometry);
  for (let tries = 0; tries < 2000; tries++) {
    const p = roundPosition([rng.range(minX, maxX), rng.range(minY, maxY)], 6);
    if (pointInGeometry(p, geometry) && distanceToBoundaryMetres(p, geometry) >= margin) return p;
  }
  return insideLabelPoint(geometry);
}

/** Units (district, departments, towns, villages) and the grid workers, who are put on the grids. */
function staffDistrict(
  seed: number,
  facts: DemoFacts,
  district: Area,
  towns: Area[],
  villages: Area[],
  grids: Grid[],
  names: NameBook,
): { units: Unit[]; workers: DemoWorker[] } {
  const rng = streamFor(seed, 'units');
  const d = facts.district;
  names.reservePhone(d.commandCentre.phone);
  const seat: [number, number] = pointInGeometry(d.seat, district.geometry) ? [d.seat[0], d.seat[1]] : district.labelPoint;
  const districtId = `district-${district.code}`;
  const units: Unit[] = [
    {
      id: districtId,
      name: d.commandCentre.name,
      shortName: d.commandCentre.shortName,
      kind: 'district',
      areaCode: district.code,
      parentId: null,
      location: seat,
      phone: d.commandCentre.phone,
    },
  ];
  // departments: offices scattered within about 2 km of the district seat
  for (const dept of facts.departments) {
    let location: [number, number] = seat;
    for (let tries = 0; tries < 1000; tries++) {
      const p = roundPosition([seat[0] + rng.normal() * 0.012, seat[1] + rng.normal() * 0.01], 6);
      if (pointInGeometry(p, district.geometry)) {
        location = p;
        break;
      }
    }
    units.push({ id: dept.id, name: dept.name, shortName: dept.shortName, kind: 'department', areaCode: null, parentId: districtId, location, phone: names.landline() });
  }
  const townUnitId = new Map<string, string>();
  facts.towns.forEach((t, i) => {
    const town = towns[i]!;
    const id = `town-${town.code}`;
    townUnitId.set(town.code, id);
    const centre: [number, number] = [t.centre[0], t.centre[1]];
    units.push({
      id,
      name: t.kind === 'subdistrict' ? `${t.name}办事处` : `${t.name}人民政府`,
      shortName: t.shortName,
      kind: 'town',
      areaCode: town.code,
      parentId: districtId,
      location: pointInGeometry(centre, town.geometry) ? centre : town.labelPoint,
      phone: names.landline(),
    });
  });
  for (const v of villages) {
    const community = v.kind === 'community';
    units.push({
      id: `village-${v.code}`,
      name: `${v.name}${community ? '居民委员会' : '村民委员会'}`,
      shortName: `${v.name}${community ? '居委会' : '委会'}`,
      kind: 'village',
      areaCode: v.code,
      parentId: townUnitId.get(v.parentCode!)!,
      location: randomPointInside(rng, v.geometry, 20),
      phone: names.landline(),
    });
  }

  // grid workers: 一格一员, and 一格多员 (two) for a share of the busy urban grids
  const staff = streamFor(seed, 'workers');
  const subdistricts = new Set(facts.towns.filter((t) => t.kind === 'subdistrict').map((t) => t.code));
  const workers: DemoWorker[] = [];
  for (const grid of grids) {
    const busy = grid.kind === 'community' && subdistricts.has(grid.townCode) && staff.next() < facts.gridWorkers.busyUrbanShare;
    const onGrid: GridWorker[] = [];
    for (let k = 1; k <= (busy ? 2 : 1); k++) {
      const worker: GridWorker = { id: `gw-${grid.code}-${k}`, name: names.person(), phone: names.mobile() };
      onGrid.push(worker);
      workers.push({ ...worker, gridCodes: [grid.code], villageCode: grid.villageCode });
    }
    grid.workers = onGrid;
  }
  return { units, workers };
}
