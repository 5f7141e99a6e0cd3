import { ScatterplotLayer } from '@deck.gl/layers';
import type { Layer } from '@deck.gl/core';
import { describe, expect, it } from 'vitest';
import { LayerHandOver, sameLayers, type LayerTarget } from './hand-over';

const layer = (id: string) => new ScatterplotLayer({ id, data: [] }) as unknown as Layer;

function target() {
  const calls: string[] = [];
  const t: LayerTarget = {
    setLayers: (layers) => void calls.push(`layers ${layers.map((l) => l.id).join(',')}`),
    requestFrame: () => void calls.push('frame'),
  };
  return { t, calls };
}

describe('LayerHandOver', () => {
  it('hands new layers to deck.gl and then asks the map for a frame', () => {
    const { t, calls } = target();
    const h = new LayerHandOver();
    const a = layer('grids');
    const b = layer('events');
    expect(h.hand([a, b], t)).toBe(true);
    expect(calls).toEqual(['layers grids,events', 'frame']);
    expect(h.current).toEqual([a, b]);
    // a new instance of one layer (a new store version): handed over, another frame
    const b2 = layer('events');
    expect(h.hand([a, b2], t)).toBe(true);
    expect(calls).toEqual(['layers grids,events', 'frame', 'layers grids,events', 'frame']);
  });

  it('does not hand the same instances over again, nor ask for a frame for them', () => {
    const { t, calls } = target();
    const h = new LayerHandOver();
    const a = layer('grids');
    const b = layer('events');
    h.hand([a, b], t);
    // a new array of the same layers (the composed list is built again at every hand-over)
    expect(h.hand([a, b], t)).toBe(false);
    expect(calls).toEqual(['layers grids,events', 'frame']);
    // one fewer, or reordered: handed over
    expect(h.hand([a], t)).toBe(true);
    expect(h.hand([b, a], t)).toBe(true);
    expect(calls.filter((c) => c === 'frame')).toHaveLength(3);
  });

  it('hands the layers over again to a new deck.gl instance after reset, and nothing without one', () => {
    const { t, calls } = target();
    const h = new LayerHandOver();
    const a = layer('grids');
    expect(h.hand([a], null)).toBe(false);
    expect(h.current).toEqual([]);
    h.hand([a], t);
    h.reset();
    expect(h.hand([a], t)).toBe(true);
    expect(calls).toEqual(['layers grids', 'frame', 'layers grids', 'frame']);
  });

  it('sameLayers compares instances item by item', () => {
    const a = layer('a');
    expect(sameLayers([a], [a])).toBe(true);
    expect(sameLayers([a], [layer('a')])).toBe(false);
    expect(sameLayers([], [])).toBe(true);
    expect(sameLayers([a], [a, a])).toBe(false);
  });
});
