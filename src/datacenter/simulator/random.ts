/**
 * Seeded randomness for the simulator and the history generator: the demo generator's mulberry32
 * streams (TOOLCHAIN.md: no float-multiply LCG) with the distributions a workload model needs —
 * exponential gaps, log-normal delays, weighted choices. Every event draws from its own stream,
 * derived from the run's seed and the event's number, so what one event does never depends on
 * how many draws another event made: a run is reproducible even when actions interleave.
 */
import { randomUUID } from 'node:crypto';
import { createRandom, deriveSeed, type Random } from '../demo/random';

export interface SimRandom extends Random {
  /** true with probability p */
  chance(p: number): boolean;
  /** exponential with the given mean */
  exponential(mean: number): number;
  /** log-normal with the given median and shape σ (of the underlying normal) */
  logNormal(median: number, sigma: number): number;
  /** one of `items` with probability proportional to its weight */
  weighted<T>(items: readonly (readonly [T, number])[]): T;
  /** a UUID (version 4 layout) from this stream: reproducible ids */
  uuid(): string;
}

export function simRandom(seed: number): SimRandom {
  const r = createRandom(seed);
  const next = r.next;
  return {
    ...r,
    chance: (p) => next() < p,
    exponential: (mean) => -Math.log(1 - next()) * mean,
    logNormal: (median, sigma) => median * Math.exp(sigma * r.normal()),
    weighted<T>(items: readonly (readonly [T, number])[]): T {
      let total = 0;
      for (const [, w] of items) total += Math.max(w, 0);
      if (items.length === 0 || total <= 0) throw new Error('weighted choice among nothing');
      let x = next() * total;
      for (const [item, w] of items) {
        x -= Math.max(w, 0);
        if (x < 0) return item;
      }
      return items[items.length - 1]![0];
    },
    uuid() {
      const hex: string[] = [];
      for (let i = 0; i < 4; i++) hex.push((Math.floor(next() * 2 ** 32) >>> 0).toString(16).padStart(8, '0'));
      const h = hex.join('');
      const variant = ((parseInt(h[16]!, 16) & 0x3) | 0x8).toString(16);
      return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-${variant}${h.slice(17, 20)}-${h.slice(20, 32)}`;
    },
  };
}

/** An independent stream for one purpose (`arrivals`, `event:42`…) of a run. */
export function simStream(seed: number, label: string): SimRandom {
  return simRandom(deriveSeed(seed, label));
}

/** A seed for runs that were given none (logged, so a run can be repeated). */
export function freshSeed(): number {
  return Number.parseInt(randomUUID().slice(0, 8), 16);
}
