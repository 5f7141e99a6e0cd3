/**
 * Colours of the control-room map, in one place so the base style, the deck.gl
 * layers and the CSS panels agree. Dark navy ground, bright boundaries: a wall
 * is read from several metres away, so contrast beats subtlety.
 */

export type Rgb = readonly [number, number, number];
export type Rgba = [number, number, number, number];

export const MAP_THEME = {
  /** the map background where there is no district (also the offline style's only layer) */
  background: '#060b16',
  /** fill alpha of the town-coloured grids: enough colour to tell towns apart, dark enough for labels */
  gridFillAlpha: 150,
  /** grid outlines: darker than any fill, so cells read as tiles */
  gridLine: [6, 11, 22, 235] as Rgba,
  villageLine: [205, 222, 255, 120] as Rgba,
  townLine: [236, 244, 255, 235] as Rgba,
  /** a town picked in the side list */
  townLineSelected: [255, 214, 92, 255] as Rgba,
  districtLine: [84, 214, 255, 255] as Rgba,
  districtGlow: [84, 214, 255, 60] as Rgba,
  townLabel: [255, 255, 255, 255] as Rgba,
  villageLabel: [226, 234, 248, 255] as Rgba,
  townLabelPlate: [6, 11, 22, 170] as Rgba,
  labelOutline: [4, 8, 18, 255] as Rgba,
  /** added over a hovered grid */
  hoverHighlight: [255, 255, 255, 110] as Rgba,
} as const;

/** Fonts with CJK glyphs on Debian (Noto CJK), Windows (YaHei) and macOS (PingFang). */
export const CJK_FONT_FAMILY = '"Noto Sans CJK SC", "Noto Sans SC", "Source Han Sans SC", "Microsoft YaHei", "PingFang SC", sans-serif';

export function rgbToCss([r, g, b]: Rgb, alpha = 1): string {
  return alpha === 1 ? `rgb(${r} ${g} ${b})` : `rgb(${r} ${g} ${b} / ${alpha})`;
}

export function hexToRgb(hex: string): Rgb {
  const m = /^#?([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})$/i.exec(hex);
  if (!m) throw new Error(`not a #rrggbb colour: ${hex}`);
  return [parseInt(m[1], 16), parseInt(m[2], 16), parseInt(m[3], 16)];
}
