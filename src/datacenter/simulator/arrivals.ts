/**
 * When events arrive and what each one is about.
 *
 * - `createArrivalStream`: a non-homogeneous Poisson process (thinning: candidates at the peak
 *   rate, each kept with probability intensity(t) / peak), `ratePerHour` being the mean over an
 *   ordinary working day. Used by the live simulator.
 * - `createStormStream`: a rainstorm's extra reports, rising fast and tailing off, between its
 *   start and end.
 * - `historyArrivals`: exactly `count` arrivals over the last `days` days, day by day in time
 *   order (rest days quieter, wet-season storm days busier), for the history generator.
 * - `describeArrival`: town, place (a hot spot or any grid), category, source and urgency of one
 *   arrival, from the model's tables.
 *
 * All draws come from streams of the run's seed, so the same seed gives the same arrivals.
 */
import type { WorkingCalendar } from '../../core/calendar/calendar';
import {
  CATEGORY_PROFILES,
  HOTSPOT_CATEGORIES,
  HOTSPOT_KIND_WEIGHT,
  HOTSPOT_SHARE,
  intensityAt,
  isRestDay,
  localHour,
  MAX_INTENSITY,
  REST_DAY_FACTOR,
  sourcesFor,
  STORM_CATEGORIES,
  STORM_LOW_SHARE,
  type SimSource,
} from './model';
import { canReport, type ArrivalFacts } from './payloads';
import { simStream, type SimRandom } from './random';
import { pointInGrid, pointNear, type Hotspot, type LonLat, type SimGrid, type SimTown, type SimWorld } from './world';

const HOUR_MS = 3_600_000;
const DAY_MS = 86_400_000;

/** A rainstorm (暴雨): extra flooding reports in low-lying grids between start and end. */
export interface Storm {
  start: Date;
  end: Date;
  /** extra reports per hour at the storm's peak */
  peakPerHour: number;
}

/** The part of an arrival decided by the clock alone. */
export interface ArrivalTime {
  at: Date;
  storm: boolean;
}

export interface ArrivalStream {
  /** the next arrival time after the previous one (never ends) */
  next(): ArrivalTime;
}

/** Ordinary arrivals at `ratePerHour` on average, shaped by the time of day and rest days. */
export function createArrivalStream(opts: { seed: number; ratePerHour: number; start: Date; calendar: WorkingCalendar | null }): ArrivalStream {
  const rng = simStream(opts.seed, 'arrivals');
  const peak = opts.ratePerHour * MAX_INTENSITY;
  let t = opts.start.getTime();
  return {
    next() {
      if (peak <= 0) return { at: new Date(8.64e15), storm: false };
      for (;;) {
        t += rng.exponential(HOUR_MS / peak);
        const at = new Date(t);
        if (rng.next() * MAX_INTENSITY < intensityAt(at, opts.calendar)) return { at, storm: false };
      }
    },
  };
}

/** Relative storm intensity over its course (0 at the start, peak at a quarter, tailing off). */
export function stormShape(fraction: number): number {
  if (fraction < 0 || fraction > 1) return 0;
  return fraction < 0.25 ? fraction / 0.25 : 1 - (fraction - 0.25) / 0.75;
}

/** A storm's reports; `next()` returns null once the storm is over. */
export function createStormStream(storm: Storm, seed: number, label: string): { next(): ArrivalTime | null } {
  const rng = simStream(seed, `storm:${label}`);
  const start = storm.start.getTime();
  const span = Math.max(storm.end.getTime() - start, 1);
  let t = start;
  return {
    next() {
      if (storm.peakPerHour <= 0) return null;
      for (;;) {
        t += rng.exponential(HOUR_MS / storm.peakPerHour);
        if (t >= storm.end.getTime()) return null;
        if (rng.next() < stormShape((t - start) / span)) return { at: new Date(t), storm: true };
      }
    },
  };
}

/**
 * Exactly `count` arrival times between `now - days` and `now`, in time order, generated day by
 * day (so a million need no more memory than a day's worth). Rest days get 70 %, a wet-season
 * (April–September) day has a one-in-eight chance of a storm that adds a burst of reports.
 */
export function* historyArrivals(opts: { seed: number; count: number; days: number; now: Date; calendar: WorkingCalendar | null }): Generator<ArrivalTime> {
  const rng = simStream(opts.seed, 'history-days');
  const end = opts.now.getTime();
  const start = end - opts.days * DAY_MS;
  // local-day boundaries (UTC+8) covering [start, end)
  const offset = 8 * HOUR_MS;
  const firstDay = Math.floor((start + offset) / DAY_MS);
  const lastDay = Math.floor((end - 1 + offset) / DAY_MS);
  const dayInfo: { from: number; to: number; weight: number; storm: { from: number; to: number; share: number } | null }[] = [];
  for (let d = firstDay; d <= lastDay; d++) {
    const from = Math.max(d * DAY_MS - offset, start);
    const to = Math.min((d + 1) * DAY_MS - offset, end);
    if (to <= from) continue;
    const noon = new Date(d * DAY_MS - offset + 12 * HOUR_MS);
    const month = new Date(noon.getTime() + offset).getUTCMonth() + 1;
    let weight = (isRestDay(noon, opts.calendar) ? REST_DAY_FACTOR : 1) * ((to - from) / DAY_MS);
    let storm = null;
    if (month >= 4 && month <= 9 && rng.chance(1 / 8)) {
      const sFrom = Math.max(from, d * DAY_MS - offset + rng.int(0, 20) * HOUR_MS);
      const sTo = Math.min(to, sFrom + rng.int(2, 5) * HOUR_MS);
      if (sTo > sFrom) {
        const share = 0.25 + 0.35 * rng.next();
        storm = { from: sFrom, to: sTo, share };
        weight *= 1 + share;
      }
    }
    dayInfo.push({ from, to, weight, storm });
  }
  // exact counts per day (largest remainder), then times within each day
  const total = dayInfo.reduce((s, d) => s + d.weight, 0);
  const exact = dayInfo.map((d) => (opts.count * d.weight) / total);
  const counts = exact.map(Math.floor);
  let left = opts.count - counts.reduce((s, x) => s + x, 0);
  const order = exact.map((x, i) => ({ i, f: x - Math.floor(x) })).sort((a, b) => b.f - a.f || a.i - b.i);
  for (let k = 0; left > 0; k = (k + 1) % order.length, left--) counts[order[k]!.i]! += 1;

  for (let i = 0; i < dayInfo.length; i++) {
    const d = dayInfo[i]!;
    const n = counts[i]!;
    const times: ArrivalTime[] = [];
    for (let k = 0; k < n; k++) {
      if (d.storm && rng.chance(d.storm.share / (1 + d.storm.share))) {
        const span = d.storm.to - d.storm.from;
        // front-loaded, like stormShape
        const f = rng.next() < 0.25 ? Math.sqrt(rng.next()) * 0.25 : 0.25 + 0.75 * (1 - Math.sqrt(1 - rng.next()));
        times.push({ at: new Date(d.storm.from + f * span), storm: true });
        continue;
      }
      // thinning inside the day by the hourly profile
      for (;;) {
        const t = d.from + rng.next() * (d.to - d.from);
        const at = new Date(t);
        if (rng.next() * MAX_INTENSITY < intensityAt(at, null)) {
          times.push({ at, storm: false });
          break;
        }
      }
    }
    times.sort((a, b) => a.at.getTime() - b.at.getTime());
    yield* times;
  }
}

/** Picks from items by weight with a prefix-sum table (fast for large lists). */
export class WeightedTable<T> {
  private readonly cumulative: number[] = [];
  private readonly items: T[] = [];
  constructor(entries: Iterable<readonly [T, number]>) {
    let sum = 0;
    for (const [item, w] of entries) {
      if (w <= 0) continue;
      sum += w;
      this.items.push(item);
      this.cumulative.push(sum);
    }
  }
  get size(): number {
    return this.items.length;
  }
  pick(rng: SimRandom): T {
    const total = this.cumulative[this.cumulative.length - 1];
    if (total === undefined) throw new Error('pick from an empty table');
    const x = rng.next() * total;
    let lo = 0;
    let hi = this.cumulative.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.cumulative[mid]! > x) hi = mid;
      else lo = mid + 1;
    }
    return this.items[lo]!;
  }
}

/** Lookup tables of a world, built once per run. */
export interface ArrivalTables {
  towns: WeightedTable<SimTown>;
  gridsByTown: Map<string, WeightedTable<SimGrid>>;
  hotspotsByTown: Map<string, WeightedTable<Hotspot>>;
  urbanCategories: WeightedTable<string>;
  ruralCategories: WeightedTable<string>;
  lowGrids: WeightedTable<SimGrid>;
  urbanGrids: WeightedTable<SimGrid>;
}

export function arrivalTables(world: SimWorld): ArrivalTables {
  const gridsByTown = new Map<string, WeightedTable<SimGrid>>();
  for (const [town, grids] of world.gridsByTown) gridsByTown.set(town, new WeightedTable(grids.map((g) => [g, g.weight] as const)));
  const hotspotsByTown = new Map<string, WeightedTable<Hotspot>>();
  for (const t of world.towns) {
    const table = new WeightedTable(world.hotspots.filter((h) => h.townCode === t.code).map((h) => [h, HOTSPOT_KIND_WEIGHT[h.kind]] as const));
    if (table.size > 0) hotspotsByTown.set(t.code, table);
  }
  const urbanTowns = new Set(world.towns.filter((t) => t.urban).map((t) => t.code));
  const urbanGrids = world.grids.filter((g) => urbanTowns.has(g.townCode));
  return {
    towns: new WeightedTable(world.towns.map((t) => [t, t.weight] as const)),
    gridsByTown,
    hotspotsByTown,
    urbanCategories: new WeightedTable(CATEGORY_PROFILES.map((p) => [p.code, p.urban] as const)),
    ruralCategories: new WeightedTable(CATEGORY_PROFILES.map((p) => [p.code, p.rural] as const)),
    lowGrids: new WeightedTable(world.lowGrids.map((g) => [g, 1] as const)),
    urbanGrids: new WeightedTable((urbanGrids.length > 0 ? urbanGrids : world.grids).map((g) => [g, g.weight] as const)),
  };
}

const URGENT_CATEGORIES: Record<string, number> = { '0901': 0.6, '0902': 0.7, '1201': 0.5, '040201': 0.15, '0802': 0.2 };

/** Everything about one arrival but its payload. */
export function describeArrival(time: ArrivalTime, index: number, rng: SimRandom, world: SimWorld, tables: ArrivalTables): ArrivalFacts {
  const hour = localHour(time.at);
  let code: string;
  let grid: SimGrid | null;
  let hotspot: Hotspot | null = null;
  let position: LonLat | null;
  if (time.storm) {
    code = rng.weighted(STORM_CATEGORIES);
    grid = tables.lowGrids.size > 0 && rng.chance(STORM_LOW_SHARE) ? tables.lowGrids.pick(rng) : tables.urbanGrids.pick(rng);
    // flooding clusters around the lowest point of the grid, other damage anywhere in it
    position = code === '0802' ? (pointNear(world, grid.label, 150, rng) ?? grid.label) : pointInGrid(grid, rng);
  } else {
    const town = tables.towns.pick(rng);
    const spots = tables.hotspotsByTown.get(town.code);
    if (spots && rng.chance(HOTSPOT_SHARE)) {
      hotspot = spots.pick(rng);
      code = rng.weighted(HOTSPOT_CATEGORIES[hotspot.kind]);
      position = pointNear(world, hotspot.centre, hotspot.radiusMetres, rng) ?? hotspot.centre;
    } else {
      code = (town.urban ? tables.urbanCategories : tables.ruralCategories).pick(rng);
      position = pointInGrid(tables.gridsByTown.get(town.code)!.pick(rng), rng);
    }
    const placed = world.locator.locate(position[0], position[1]);
    grid = placed ? (world.gridByCode.get(placed.gridCode) ?? null) : null;
  }
  const candidates = sourcesFor(code, hour, time.storm).filter(([s]) => canReport(s, code));
  const source: SimSource = candidates.length > 0 ? rng.weighted(candidates) : 'hotline_12345';
  const urgent = source === 'one_key' || rng.chance(URGENT_CATEGORIES[code] ?? 0.03);
  // a few hotline calls and public requests come with an address only
  if ((source === 'hotline_12345' || source === 'open311') && rng.chance(0.04)) position = null;
  return { index, at: time.at, source, categoryCode: code, position, grid, hotspot, storm: time.storm, urgent };
}
