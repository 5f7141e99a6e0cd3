import { describe, expect, it } from 'vitest';
import { allocate, createRandom, deriveSeed, mulberry32 } from './random';

describe('mulberry32', () => {
  it('is reproducible, uniform in [0, 1) and does not cycle early', () => {
    const a = mulberry32(2025);
    const b = mulberry32(2025);
    const values = Array.from({ length: 100_000 }, () => a());
    expect(values.slice(0, 5)).toEqual(Array.from({ length: 5 }, () => b()));
    expect(Math.min(...values)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...values)).toBeLessThan(1);
    expect(new Set(values).size).toBeGreaterThan(99_990);
    const mean = values.reduce((s, v) => s + v, 0) / values.length;
    expect(mean).toBeCloseTo(0.5, 2);
  });

  it('gives independent streams per label', () => {
    expect(deriveSeed(2025, 'grids:440114001001')).not.toBe(deriveSeed(2025, 'grids:440114001002'));
    expect(deriveSeed(2025, 'names')).not.toBe(deriveSeed(2026, 'names'));
    const r = createRandom(1);
    const ints = Array.from({ length: 1000 }, () => r.int(3, 5));
    expect(new Set(ints)).toEqual(new Set([3, 4, 5]));
  });
});

describe('allocate', () => {
  it('splits a total proportionally, respecting the minimum, summing exactly', () => {
    expect(allocate(10, [1, 1, 2])).toEqual([3, 2, 5]);
    expect(allocate(791, [5, 1, 1, 1], 3).reduce((s, x) => s + x, 0)).toBe(791);
    expect(Math.min(...allocate(20, [100, 1, 1, 1], 3))).toBe(3);
    expect(allocate(7, [0, 0])).toEqual([4, 3]);
    expect(() => allocate(2, [1, 1, 1], 1)).toThrow();
  });
});
