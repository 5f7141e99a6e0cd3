/**
 * The maplibre base style. By default it is resources/map/offline-style.json:
 * a background colour and nothing else, so the map works with no network at
 * all (no tiles, no glyphs, no sprite) and deck.gl draws the district on top.
 * A site that has its own tiles adds them here as a raster source (a tile URL
 * template, or `pmtiles://…` once the PMTiles protocol is registered); see
 * docs/renderer.md.
 */
import type { RasterSourceSpecification, StyleSpecification } from 'maplibre-gl';
import offlineStyle from '../../../resources/map/offline-style.json';

export type Basemap =
  | { kind: 'none' }
  | {
      kind: 'raster';
      /** tile URL templates (`https://tiles.example/{z}/{x}/{y}.png`) or one `pmtiles://` URL */
      tiles: string[];
      tileSize?: number;
      minzoom?: number;
      maxzoom?: number;
      attribution?: string;
      /** 0–1; darken bright tiles under the coloured grids */
      opacity?: number;
    };

export const OFFLINE_BASEMAP: Basemap = { kind: 'none' };

export function buildBaseStyle(basemap: Basemap = OFFLINE_BASEMAP): StyleSpecification {
  const style = structuredClone(offlineStyle) as StyleSpecification;
  if (basemap.kind === 'raster') {
    const isPmtiles = basemap.tiles.length === 1 && basemap.tiles[0]!.startsWith('pmtiles://');
    const source: RasterSourceSpecification = {
      type: 'raster',
      tileSize: basemap.tileSize ?? 256,
      ...(isPmtiles ? { url: basemap.tiles[0] } : { tiles: basemap.tiles }),
      ...(basemap.minzoom === undefined ? {} : { minzoom: basemap.minzoom }),
      ...(basemap.maxzoom === undefined ? {} : { maxzoom: basemap.maxzoom }),
      ...(basemap.attribution === undefined ? {} : { attribution: basemap.attribution }),
    };
    style.sources = { ...style.sources, 'site-tiles': source };
    style.layers = [...style.layers, { id: 'site-tiles', type: 'raster', source: 'site-tiles', paint: { 'raster-opacity': basemap.opacity ?? 0.6 } }];
  }
  return style;
}

const NETWORK_SCHEME = /^(https?|wss?|pmtiles|mapbox|ftp):/i;

/**
 * Every place in a style that would make maplibre fetch something: `glyphs`,
 * `sprite`, source `url`/`tiles`/`data` strings. Empty for the offline style.
 */
export function networkReferences(style: StyleSpecification): string[] {
  const found: string[] = [];
  if (style.glyphs) found.push(`glyphs: ${style.glyphs}`);
  if (style.sprite) found.push(`sprite: ${JSON.stringify(style.sprite)}`);
  for (const [id, source] of Object.entries(style.sources)) {
    const s = source as { url?: unknown; tiles?: unknown; data?: unknown; urls?: unknown };
    if (typeof s.url === 'string') found.push(`${id}.url: ${s.url}`);
    if (Array.isArray(s.tiles)) found.push(...s.tiles.map((t) => `${id}.tiles: ${String(t)}`));
    if (Array.isArray(s.urls)) found.push(...s.urls.map((u) => `${id}.urls: ${String(u)}`));
    if (typeof s.data === 'string' && NETWORK_SCHEME.test(s.data)) found.push(`${id}.data: ${s.data}`);
  }
  return found;
}
