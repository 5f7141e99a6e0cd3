/**
 * One colour per town/subdistrict. The first ten come from a hand-tuned
 * palette (distinct hues, similar lightness, readable on the dark map and
 * under white labels); beyond ten, hues continue around the colour wheel by
 * the golden angle so neighbours in the list stay far apart.
 * Colours are assigned in town-code order, so a town keeps its colour however
 * the data arrives.
 */
import { hexToRgb, type Rgb } from './theme';

export const TOWN_PALETTE: readonly Rgb[] = [
  '#4f9dff', // blue
  '#ff8a3d', // orange
  '#38d68a', // green
  '#f2556f', // red
  '#b28cff', // violet
  '#f5cc45', // yellow
  '#2fd0d6', // cyan
  '#ff7ec0', // pink
  '#a3d94a', // lime
  '#c8976a', // tan
].map(hexToRgb);

/** A colour for the i-th town (0-based). */
export function townColorAt(i: number): Rgb {
  const fromPalette = TOWN_PALETTE[i];
  if (fromPalette) return fromPalette;
  const hue = ((i - TOWN_PALETTE.length) * 137.508 + 15) % 360;
  return hslToRgb(hue, 0.7, 0.6);
}

/** Town code → colour, by ascending code. */
export function assignTownColors(townCodes: Iterable<string>): Map<string, Rgb> {
  const sorted = [...new Set(townCodes)].sort();
  return new Map(sorted.map((code, i) => [code, townColorAt(i)]));
}

function hslToRgb(h: number, s: number, l: number): Rgb {
  const a = s * Math.min(l, 1 - l);
  const f = (n: number) => {
    const k = (n + h / 30) % 12;
    return Math.round(255 * (l - a * Math.max(-1, Math.min(k - 3, 9 - k, 1))));
  };
  return [f(0), f(8), f(4)];
}
