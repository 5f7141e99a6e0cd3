import { describe, expect, it } from 'vitest';
import { binLabel, binOf, breaks, buildLegend, colorOf, gridPopulation, measureValue, measureValues, niceCeil, NONE_COLOR, sameGridStats, UNKNOWN_COLOR } from './measures';

const figures = {
  open: [0, 3, 10, 1],
  overdue: [0, 1, 4, 0],
  load30d: [2, 40, 90, 7],
  population: [1000, 1500, 0, 250],
};

describe('grid measures', () => {
  it('computes open, overdue, per 1,000 residents and the 30-day load', () => {
    expect(measureValue('open', figures, 2)).toBe(10);
    expect(measureValue('overdue', figures, 2)).toBe(4);
    expect(measureValue('load_30d', figures, 1)).toBe(40);
    expect(measureValue('per_thousand', figures, 1)).toBe(2);
    expect(measureValue('per_thousand', figures, 3)).toBe(4);
    expect(measureValue('per_thousand', figures, 2)).toBeNaN();
    expect([...measureValues('open', figures, 4)]).toEqual([0, 3, 10, 1]);
  });

  it('rounds bounds up to round numbers', () => {
    expect(niceCeil(3.2, true)).toBe(5);
    expect(niceCeil(7, true)).toBe(10);
    expect(niceCeil(11, true)).toBe(20);
    expect(niceCeil(0.23, false)).toBe(0.25);
    expect(niceCeil(0, true)).toBe(1);
  });

  it('makes "0" its own class and bins the rest at rounded quantiles, strictly increasing', () => {
    const values = Array.from({ length: 100 }, (_, i) => (i < 40 ? 0 : i - 39));
    const b = breaks(values, 5, true);
    expect(b[0]).toBe(1);
    for (let i = 1; i < b.length; i++) expect(b[i]!).toBeGreaterThan(b[i - 1]!);
    expect(b.length).toBeLessThanOrEqual(5);
    expect(breaks([0, 0, 0], 5, true)).toEqual([1]);
  });

  it('colours by bin: nothing → the none colour, the top bin → the hottest colour, unknown → grey', () => {
    const legend = buildLegend('open', [0, 1, 2, 3, 5, 8, 13, 21, 34]);
    expect(colorOf(legend, 0)).toEqual(NONE_COLOR);
    expect(binOf(legend, 0)).toBe(0);
    expect(binOf(legend, 1000)).toBe(legend.bins.length - 1);
    expect(colorOf(legend, Number.NaN)).toEqual(UNKNOWN_COLOR);
    expect(binOf(legend, 1)).toBe(1);
  });

  it('labels bins for counts and for rates', () => {
    const counts = buildLegend('open', [0, 1, 2, 4, 9, 30]);
    expect(binLabel(counts, 0)).toBe('0');
    expect(binLabel(counts, counts.bins.length - 1)).toMatch(/^≥ \d+$/);
    const ranges = counts.bins.slice(1, -1).map((_, k) => binLabel(counts, k + 1));
    for (const r of ranges) expect(r).toMatch(/^\d+(–\d+)?$/);
    const rates = buildLegend('per_thousand', [0, 0.4, 1.2, 2.5, 7.9]);
    expect(binLabel(rates, 1)).toMatch(/^0–\d+\.\d$/);
    expect(rates.integer).toBe(false);
    expect(buildLegend('town', [1, 2]).bins).toEqual([]);
  });

  it('shares a village population over its grids when the service has no grid figure', () => {
    const grids = [
      { code: 'a', villageCode: 'v1' },
      { code: 'b', villageCode: 'v1' },
      { code: 'c', villageCode: 'v2' },
    ];
    const pop = gridPopulation(grids, { gridCodes: ['c'], population: [700] }, new Map([['v1', 3000], ['v2', 999]]));
    expect([...pop]).toEqual([1500, 1500, 700]);
    expect([...gridPopulation(grids, null, new Map())]).toEqual([0, 0, 0]);
  });
});

describe('sameGridStats', () => {
  const stats = (over: Partial<Record<'reported' | 'open' | 'overdue' | 'population', number[]>> = {}, codes = ['g1', 'g2']) => ({
    period: { from: '2026-10-28T00:00:00.000Z', to: `2026-11-27T0${Math.floor(Math.random() * 9)}:00:00.000Z` },
    checkpoint: Math.floor(Math.random() * 1000),
    gridCodes: codes,
    reported: Uint32Array.from(over.reported ?? [5, 7]),
    open: Uint32Array.from(over.open ?? [1, 2]),
    overdue: Uint32Array.from(over.overdue ?? [0, 1]),
    population: Uint32Array.from(over.population ?? [900, 1200]),
  });
  it('is equal when only the period and the checkpoint moved', () => {
    expect(sameGridStats(stats(), stats())).toBe(true);
  });
  it('differs when any figure, a grid code or the number of grids differs', () => {
    expect(sameGridStats(stats(), stats({ reported: [5, 8] }))).toBe(false);
    expect(sameGridStats(stats(), stats({ open: [0, 2] }))).toBe(false);
    expect(sameGridStats(stats(), stats({ overdue: [0, 2] }))).toBe(false);
    expect(sameGridStats(stats(), stats({ population: [900, 1201] }))).toBe(false);
    expect(sameGridStats(stats(), stats({}, ['g1', 'g3']))).toBe(false);
    expect(sameGridStats(stats(), stats({ reported: [5, 7, 1], open: [1, 2, 0], overdue: [0, 1, 0], population: [900, 1200, 3] }, ['g1', 'g2', 'g3']))).toBe(false);
  });
});
