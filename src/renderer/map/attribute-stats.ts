/**
 * Counts deck.gl attribute regenerations, so tests and the wall benchmark can
 * prove that a live change rewrote only the rows it touched.
 *
 * deck.gl regenerates attributes in `Layer._updateAttributes`; just before it
 * does, each attribute that needs an update holds its `updateRanges` — the
 * whole buffer (`[[0, Infinity]]`, a full regeneration) or the row ranges of a
 * partial update (`_dataDiff`). `installAttributeCounter` wraps that method
 * once (it is a private deck.gl method: the wrapper only reads, and the
 * tests pin the behaviour to the installed deck.gl version) and tallies per
 * layer id: full regenerations, partial ones, and the rows they covered.
 */

export interface LayerAttributeCount {
  /** attributes regenerated in full */
  full: number;
  /** attributes updated for some rows only */
  partial: number;
  /** rows covered by the partial updates */
  rows: number;
}

export interface AttributeCounter {
  /** per layer id (sublayers have their own ids, e.g. `grids-fill`) */
  readonly byLayer: Map<string, LayerAttributeCount>;
  total(): LayerAttributeCount;
  reset(): void;
}

type Ranges = readonly (readonly [number, number])[];

interface AttributeLike {
  needsUpdate(): unknown;
  state?: { updateRanges?: Ranges };
  settings?: { noAlloc?: boolean };
}

interface LayerLike {
  id: string;
  getAttributeManager(): { attributes: Record<string, AttributeLike> } | null;
}

/** Classifies the pending updates of one layer's attributes (pure; exported for tests). */
export function tallyAttributes(attributes: Iterable<AttributeLike>, into: LayerAttributeCount): void {
  for (const attribute of attributes) {
    if (!attribute.needsUpdate()) continue;
    const ranges = attribute.state?.updateRanges;
    if (!ranges || ranges.length === 0) continue;
    const full = ranges.length === 1 && ranges[0]![0] === 0 && ranges[0]![1] === Number.POSITIVE_INFINITY;
    if (full) {
      into.full++;
      continue;
    }
    into.partial++;
    for (const [start, end] of ranges) into.rows += Number.isFinite(end) ? end - start : 0;
  }
}

const INSTALLED = Symbol.for('huying.attributeCounter');

/**
 * Wraps `_updateAttributes` of the given layer class (deck.gl's `Layer`) once;
 * later calls return the same counter.
 */
export function installAttributeCounter(LayerClass: { prototype: object }): AttributeCounter {
  const proto = LayerClass.prototype as Record<string | symbol, unknown>;
  const existing = proto[INSTALLED] as AttributeCounter | undefined;
  if (existing) return existing;
  const byLayer = new Map<string, LayerAttributeCount>();
  const original = proto._updateAttributes as (this: LayerLike) => void;
  if (typeof original !== 'function') throw new Error('deck.gl Layer has no _updateAttributes: the attribute counter needs updating');
  proto._updateAttributes = function (this: LayerLike) {
    const manager = this.getAttributeManager();
    if (manager) {
      let count = byLayer.get(this.id);
      if (!count) byLayer.set(this.id, (count = { full: 0, partial: 0, rows: 0 }));
      tallyAttributes(Object.values(manager.attributes), count);
    }
    original.call(this);
  };
  const counter: AttributeCounter = {
    byLayer,
    total() {
      const t = { full: 0, partial: 0, rows: 0 };
      for (const c of byLayer.values()) {
        t.full += c.full;
        t.partial += c.partial;
        t.rows += c.rows;
      }
      return t;
    },
    reset() {
      byLayer.clear();
    },
  };
  proto[INSTALLED] = counter;
  return counter;
}
