import { Layer } from '@deck.gl/core';
import { describe, expect, it } from 'vitest';
import { installAttributeCounter, tallyAttributes } from './attribute-stats';

const FULL = [[0, Number.POSITIVE_INFINITY]] as const;
const attr = (needs: boolean, ranges: readonly (readonly [number, number])[]) => ({ needsUpdate: () => needs, state: { updateRanges: ranges } });

describe('attribute regeneration counter', () => {
  it('tells full regenerations from partial updates and counts their rows', () => {
    const count = { full: 0, partial: 0, rows: 0 };
    tallyAttributes([attr(true, FULL), attr(true, [[3, 4], [10, 12]]), attr(false, FULL), attr(true, [])], count);
    expect(count).toEqual({ full: 1, partial: 1, rows: 3 });
  });

  it('wraps _updateAttributes once, tallies per layer id, and still runs the original', () => {
    let ran = 0;
    class FakeLayer {
      constructor(
        public id: string,
        private attrs: Record<string, ReturnType<typeof attr>>,
      ) {}
      getAttributeManager() {
        return { attributes: this.attrs };
      }
      _updateAttributes() {
        ran++;
      }
    }
    const counter = installAttributeCounter(FakeLayer);
    expect(installAttributeCounter(FakeLayer)).toBe(counter);
    const layer = new FakeLayer('events', { positions: attr(true, [[5, 6]]), colors: attr(true, [[5, 6]]) });
    (layer as unknown as { _updateAttributes(): void })._updateAttributes();
    new FakeLayer('grids-fill', { colors: attr(true, FULL) })._updateAttributes();
    expect(ran).toBe(2);
    expect(counter.byLayer.get('events')).toEqual({ full: 0, partial: 2, rows: 2 });
    expect(counter.total()).toEqual({ full: 1, partial: 2, rows: 2 });
    counter.reset();
    expect(counter.total()).toEqual({ full: 0, partial: 0, rows: 0 });
  });

  it('finds the method it wraps on the installed deck.gl Layer', () => {
    expect(typeof (Layer.prototype as unknown as Record<string, unknown>)._updateAttributes).toBe('function');
    expect(() => installAttributeCounter(Layer)).not.toThrow();
  });
});
