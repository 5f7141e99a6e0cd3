/**
 * The grid fill of the wall: one value per base grid for the chosen measure
 * (open events, overdue events, open events per 1,000 residents, events of the
 * last 30 days), classed into a few legend bins with round bounds and a colour
 * ramp per measure.
 *
 * Bins are computed when the measure or the data era changes, not on every
 * live change: a legend that re-bins with each event makes colours jump all
 * over the map and forces every grid to be recoloured; with fixed bins a
 * change recolours only the grids whose value crossed a bound. Grids with
 * nothing to show stay nearly transparent so the boundaries and points read.
 */
import type { GridMeasure } from '../../core/rpc/wall';
import type { Rgba } from '../map/theme';

export interface GridFigures {
  open: ArrayLike<number>;
  overdue: ArrayLike<number>;
  /** events reported in the last 30 days */
  load30d: ArrayLike<number>;
  /** residents per grid; 0 unknown */
  population: ArrayLike<number>;
}

export const MEASURES: readonly Exclude<GridMeasure, 'town'>[] = ['open', 'overdue', 'per_thousand', 'load_30d'];

/** The value of one grid; NaN when it cannot be computed (per 1,000 with no residents). */
export function measureValue(measure: GridMeasure, figures: GridFigures, i: number): number {
  switch (measure) {
    case 'open':
      return figures.open[i] ?? 0;
    case 'overdue':
      return figures.overdue[i] ?? 0;
    case 'load_30d':
      return figures.load30d[i] ?? 0;
    case 'per_thousand': {
      const pop = figures.population[i] ?? 0;
      return pop > 0 ? ((figures.open[i] ?? 0) * 1000) / pop : Number.NaN;
    }
    case 'town':
      return Number.NaN;
  }
}

export function measureValues(measure: GridMeasure, figures: GridFigures, count: number): Float64Array {
  const out = new Float64Array(count);
  for (let i = 0; i < count; i++) out[i] = measureValue(measure, figures, i);
  return out;
}

export interface LegendBin {
  /** inclusive lower bound */
  from: number;
  /** exclusive upper bound; Infinity for the last bin */
  to: number;
  color: Rgba;
}

export interface Legend {
  measure: GridMeasure;
  /** bins[0] is "nothing" (value 0, or below the first bound) */
  bins: LegendBin[];
  /** whole numbers (counts) or one decimal (rates) */
  integer: boolean;
}

/** Ramps: a dark transparent "none", then five steps, cool to hot. */
const RAMPS: Record<Exclude<GridMeasure, 'town'>, Rgba[]> = {
  open: [
    [40, 90, 160, 150],
    [40, 150, 200, 165],
    [90, 200, 170, 175],
    [240, 200, 70, 185],
    [250, 120, 60, 200],
  ],
  overdue: [
    [120, 70, 60, 155],
    [180, 80, 50, 170],
    [230, 100, 50, 185],
    [250, 70, 60, 200],
    [255, 40, 90, 215],
  ],
  per_thousand: [
    [70, 70, 160, 150],
    [110, 80, 190, 165],
    [160, 90, 200, 175],
    [210, 100, 180, 190],
    [250, 110, 150, 205],
  ],
  load_30d: [
    [30, 110, 120, 150],
    [40, 150, 140, 165],
    [120, 190, 120, 175],
    [220, 210, 90, 185],
    [250, 160, 60, 200],
  ],
};

export const NONE_COLOR: Rgba = [18, 30, 52, 120];
/** grids the measure cannot value (no residents recorded) */
export const UNKNOWN_COLOR: Rgba = [26, 26, 34, 100];

const NICE_STEPS = [1, 2, 2.5, 3, 5, 10];
const RATE_EPSILON = 1e-9;

/** The smallest "round" number ≥ x: 1, 2, 2.5, 3, 5, 10, 20, 25, 30, 50, … (whole numbers when `integer`). */
export function niceCeil(x: number, integer: boolean): number {
  if (!(x > 0)) return integer ? 1 : 0.1;
  const exp = Math.floor(Math.log10(x));
  const base = 10 ** exp;
  for (const step of NICE_STEPS) {
    const v = step * base;
    if (v >= x - 1e-9 && (!integer || Number.isInteger(v))) return integer ? Math.max(1, v) : Number(v.toPrecision(3));
  }
  return 10 * base;
}

/**
 * Lower bounds of up to `classes` bins over the positive values, at their
 * quantiles, rounded up to round numbers and strictly increasing. The first
 * bound is 1 for counts and just above 0 for rates, so "0" is always its own
 * class.
 */
export function breaks(values: ArrayLike<number>, classes: number, integer: boolean): number[] {
  const positive: number[] = [];
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (Number.isFinite(v) && v > 0) positive.push(v);
  }
  // every positive value is above "none": 1 for counts, the tiniest step for rates
  const bounds = [integer ? 1 : RATE_EPSILON];
  if (positive.length === 0) return bounds;
  positive.sort((a, b) => a - b);
  for (let k = 1; k < classes; k++) {
    const q = positive[Math.min(positive.length - 1, Math.floor((k / classes) * positive.length))]!;
    const b = niceCeil(q, integer);
    if (b > bounds[bounds.length - 1]! && b <= positive[positive.length - 1]!) bounds.push(b);
  }
  return bounds;
}

export function buildLegend(measure: GridMeasure, values: ArrayLike<number>, classes = 5): Legend {
  if (measure === 'town') return { measure, bins: [], integer: true };
  const integer = measure !== 'per_thousand';
  const bounds = breaks(values, classes, integer);
  const ramp = RAMPS[measure];
  const bins: LegendBin[] = [{ from: 0, to: bounds[0]!, color: NONE_COLOR }];
  for (let k = 0; k < bounds.length; k++) {
    // spread the ramp over the bins actually used, hottest colour for the top bin
    const colorIndex = bounds.length === 1 ? ramp.length - 1 : Math.round((k * (ramp.length - 1)) / (bounds.length - 1));
    bins.push({ from: bounds[k]!, to: bounds[k + 1] ?? Number.POSITIVE_INFINITY, color: ramp[colorIndex]! });
  }
  return { measure, bins, integer };
}

/** The bin a value falls in (0 = none); -1 when the value is NaN. */
export function binOf(legend: Legend, value: number): number {
  if (Number.isNaN(value)) return -1;
  for (let k = legend.bins.length - 1; k >= 1; k--) if (value >= legend.bins[k]!.from) return k;
  return 0;
}

export function colorOf(legend: Legend, value: number): Rgba {
  const bin = binOf(legend, value);
  return bin < 0 ? UNKNOWN_COLOR : legend.bins[bin]!.color;
}

/** "0", "1–2", "3–4", "≥ 10"; one decimal for rates. */
export function binLabel(legend: Legend, k: number): string {
  const bin = legend.bins[k]!;
  const fmt = (v: number) => (legend.integer || v === 0 ? String(v) : v.toFixed(1));
  if (k === 0) return '0';
  const from = bin.from === RATE_EPSILON ? 0 : bin.from;
  if (!Number.isFinite(bin.to)) return from === 0 ? `> 0` : `≥ ${fmt(from)}`;
  if (legend.integer) {
    const hi = bin.to - 1;
    return hi <= bin.from ? fmt(bin.from) : `${fmt(bin.from)}–${fmt(hi)}`;
  }
  return `${fmt(from)}–${fmt(bin.to)}`;
}

/**
 * Residents per grid: the service's figure when it has one, else the
 * village's population shared equally over its grids.
 */
export function gridPopulation(
  grids: readonly { code: string; villageCode: string }[],
  served: { gridCodes: readonly string[]; population: ArrayLike<number> } | null,
  villagePopulation: ReadonlyMap<string, number>,
): Float64Array {
  const out = new Float64Array(grids.length);
  const byCode = new Map<string, number>();
  if (served) served.gridCodes.forEach((c, i) => byCode.set(c, served.population[i] ?? 0));
  const gridsPerVillage = new Map<string, number>();
  for (const g of grids) gridsPerVillage.set(g.villageCode, (gridsPerVillage.get(g.villageCode) ?? 0) + 1);
  grids.forEach((g, i) => {
    const own = byCode.get(g.code) ?? 0;
    out[i] = own > 0 ? own : (villagePopulation.get(g.villageCode) ?? 0) / (gridsPerVillage.get(g.villageCode) ?? 1);
  });
  return out;
}

/**
 * Two answers of `map/grid-stats` with the same figures (the period's end and the checkpoint move
 * with every answer): a wall polls it every 5 minutes, and an equal answer must not recolour the map.
 */
export function sameGridStats(
  a: { gridCodes: readonly string[]; reported: ArrayLike<number>; open: ArrayLike<number>; overdue: ArrayLike<number>; population: ArrayLike<number> },
  b: typeof a,
): boolean {
  if (a === b) return true;
  const n = a.gridCodes.length;
  if (b.gridCodes.length !== n) return false;
  for (let i = 0; i < n; i++) if (a.gridCodes[i] !== b.gridCodes[i]) return false;
  for (const k of ['reported', 'open', 'overdue', 'population'] as const) {
    const x = a[k];
    const y = b[k];
    if (x.length !== y.length) return false;
    for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return false;
  }
  return true;
}
