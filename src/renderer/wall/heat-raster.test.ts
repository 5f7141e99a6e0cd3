import { describe, expect, it } from 'vitest';
import type { BBox } from '../../core/geo/types';
import { heatRaster, rampColor } from './heat-raster';

const BOX: BBox = [113.0, 23.3, 113.4, 23.6];

describe('heat raster', () => {
  it('is hottest where the events are, transparent far from them, inside padded bounds', () => {
    const density = { count: 2, positions: new Float32Array([113.1, 23.4, 113.3, 23.5]), weights: new Float32Array([50, 5]), total: 55 };
    const r = heatRaster(density, BOX, 200, 1500);
    expect(Math.max(r.width, r.height)).toBeGreaterThanOrEqual(200);
    expect(r.bounds[0]).toBeLessThan(BOX[0]);
    expect(r.bounds[3]).toBeGreaterThan(BOX[3]);
    const at = (lon: number, lat: number) => {
      const x = Math.floor(((lon - r.bounds[0]) / (r.bounds[2] - r.bounds[0])) * r.width);
      const y = Math.floor(((r.bounds[3] - lat) / (r.bounds[3] - r.bounds[1])) * r.height);
      return r.data[4 * (y * r.width + x) + 3]!;
    };
    expect(at(113.1, 23.4)).toBeGreaterThan(at(113.3, 23.5));
    expect(at(113.3, 23.5)).toBeGreaterThan(0);
    expect(at(113.39, 23.31)).toBe(0);
  });

  it('draws nothing for no events', () => {
    const r = heatRaster({ count: 0, positions: new Float32Array(0), weights: new Float32Array(0), total: 0 }, BOX, 64);
    expect(r.data.every((v) => v === 0)).toBe(true);
  });

  it('ramps from a faint blue to an opaque red', () => {
    expect(rampColor(0)[3]).toBe(0);
    expect(rampColor(1).slice(0, 3)).toEqual([240, 60, 70]);
    expect(rampColor(0.5)[3]).toBeGreaterThan(rampColor(0.1)[3]);
  });
});
