import { describe, expect, it } from 'vitest';
import { failureDelay, pollDelay, retryDelay } from './backoff';

const policy = { initialMs: 1000, maxMs: 30_000 };

describe('retryDelay', () => {
  it('doubles from the initial delay up to the cap, with half of it random', () => {
    const low = (n: number) => retryDelay(n, policy, () => 0);
    const high = (n: number) => retryDelay(n, policy, () => 0.999999);
    expect([1, 2, 3, 4, 5, 6, 7, 20].map(low)).toEqual([500, 1000, 2000, 4000, 8000, 15_000, 15_000, 15_000]);
    expect([1, 2, 3, 4, 5, 6].map(high)).toEqual([1000, 2000, 4000, 8000, 16_000, 30_000]);
  });

  it('spreads clients that failed together', () => {
    let seed = 1;
    const random = () => ((seed = (seed * 16807) % 2147483647) - 1) / 2147483646;
    const delays = new Set(Array.from({ length: 50 }, () => retryDelay(3, policy, random)));
    expect(delays.size).toBeGreaterThan(40);
    for (const d of delays) {
      expect(d).toBeGreaterThanOrEqual(2000);
      expect(d).toBeLessThanOrEqual(4000);
    }
  });
});

describe('pollDelay', () => {
  it('stays within ±10 % of the interval', () => {
    expect(pollDelay(30_000, () => 0)).toBe(27_000);
    expect(pollDelay(30_000, () => 0.5)).toBe(30_000);
    expect(pollDelay(30_000, () => 0.999999)).toBe(33_000);
  });
});

describe('failureDelay', () => {
  it('is the backoff without a Retry-After, and waits at least as long as the data center asked, up to the cap', () => {
    const low = () => 0;
    expect(failureDelay(1, policy, low)).toBe(500);
    expect(failureDelay(1, policy, low, null)).toBe(500);
    expect(failureDelay(1, policy, low, 7_000)).toBe(7_000);
    expect(failureDelay(4, policy, low, 1_000)).toBe(4_000); // the backoff is longer: kept
    expect(failureDelay(1, policy, low, 3_600_000)).toBe(30_000); // capped
    expect(failureDelay(1, policy, low, 0)).toBe(500);
  });
});
