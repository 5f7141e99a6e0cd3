import { describe, expect, it } from 'vitest';
import { buildBaseStyle, networkReferences } from './base-style';
import { MAP_THEME } from './theme';

describe('base style', () => {
  it('is offline by default: a background only, nothing to fetch', () => {
    const style = buildBaseStyle();
    expect(networkReferences(style)).toEqual([]);
    expect(style.glyphs).toBeUndefined();
    expect(style.sprite).toBeUndefined();
    expect(Object.keys(style.sources)).toEqual([]);
    expect(style.layers).toEqual([{ id: 'background', type: 'background', paint: { 'background-color': MAP_THEME.background } }]);
  });

  it('adds a site raster source above the background when configured', () => {
    const style = buildBaseStyle({ kind: 'raster', tiles: ['https://tiles.example/{z}/{x}/{y}.png'], maxzoom: 18 });
    expect(style.layers.map((l) => l.id)).toEqual(['background', 'site-tiles']);
    expect(style.sources['site-tiles']).toMatchObject({ type: 'raster', tiles: ['https://tiles.example/{z}/{x}/{y}.png'], maxzoom: 18 });
    expect(networkReferences(style)).toEqual(['site-tiles.tiles: https://tiles.example/{z}/{x}/{y}.png']);
  });

  it('uses a single pmtiles:// address as the source url', () => {
    const style = buildBaseStyle({ kind: 'raster', tiles: ['pmtiles://tiles/huadu.pmtiles'] });
    expect(style.sources['site-tiles']).toMatchObject({ type: 'raster', url: 'pmtiles://tiles/huadu.pmtiles' });
  });

  it('never mutates the shared default', () => {
    buildBaseStyle({ kind: 'raster', tiles: ['https://a/{z}/{x}/{y}.png'] });
    expect(buildBaseStyle().layers).toHaveLength(1);
  });
});
