/**
 * Seeded randomness for the demo district. mulberry32 (integer arithmetic through Math.imul)
 * rather than a float-multiply LCG, which cycles after a few thousand values (TOOLCHAIN.md).
 * Each stage of the generator draws from its own stream, derived from the seed and a label, so
 * the villages of one town do not change when another town's drawing changes.
 */

export interface Random {
  /** uniform in [0, 1) */
  next(): number;
  /** uniform in [min, max) */
  range(min: number, max: number): number;
  /** integer in [min, max] */
  int(min: number, max: number): number;
  pick<T>(items: readonly T[]): T;
  /** standard normal (Box–Muller) */
  normal(): number;
}

export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** FNV-1a of the label mixed with the seed, then a murmur3 finaliser. */
export function deriveSeed(seed: number, label: string): number {
  let h = (0x811c9dc5 ^ (seed >>> 0)) >>> 0;
  for (let i = 0; i < label.length; i++) {
    h ^= label.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  h ^= seed >>> 16;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

export function createRandom(seed: number): Random {
  const next = mulberry32(seed);
  return {
    next,
    range: (min, max) => min + (max - min) * next(),
    int: (min, max) => min + Math.floor((max - min + 1) * next()),
    pick: (items) => {
      if (items.length === 0) throw new Error('pick from an empty list');
      return items[Math.floor(items.length * next())]!;
    },
    normal: () => {
      const u = 1 - next();
      const v = next();
      return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
    },
  };
}

/** An independent stream for one stage of the generator. */
export function streamFor(seed: number, label: string): Random {
  return createRandom(deriveSeed(seed, label));
}

/**
 * Splits `total` into integer shares proportional to `weights`, each at least `min`
 * (largest-remainder method, ties to the lower index). The shares always sum to `total`.
 */
export function allocate(total: number, weights: readonly number[], min = 0): number[] {
  const n = weights.length;
  if (n === 0) {
    if (total !== 0) throw new Error(`cannot allocate ${total} among no one`);
    return [];
  }
  if (min * n > total) throw new Error(`cannot give ${n} shares at least ${min} out of ${total}`);
  const rest = total - min * n;
  const sum = weights.reduce((s, w) => s + w, 0);
  const exact = weights.map((w) => (sum > 0 ? (rest * w) / sum : rest / n));
  const shares = exact.map((x) => Math.floor(x));
  let left = rest - shares.reduce((s, x) => s + x, 0);
  const order = exact.map((x, i) => ({ i, frac: x - Math.floor(x) })).sort((a, b) => b.frac - a.frac || a.i - b.i);
  for (let k = 0; left > 0; k = (k + 1) % n, left--) shares[order[k]!.i]! += 1;
  return shares.map((s) => s + min);
}
