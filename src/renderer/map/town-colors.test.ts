import { describe, expect, it } from 'vitest';
import { assignTownColors, TOWN_PALETTE, townColorAt } from './town-colors';
import { hexToRgb, MAP_THEME, type Rgb } from './theme';

/** CIE76 ΔE in Lab: about 2.3 is "just noticeable"; 20+ reads as a different colour. */
function deltaE(a: Rgb, b: Rgb): number {
  const [l1, a1, b1] = toLab(a);
  const [l2, a2, b2] = toLab(b);
  return Math.hypot(l1 - l2, a1 - a2, b1 - b2);
}

function toLab([r, g, b]: Rgb): [number, number, number] {
  const lin = (c: number) => {
    const v = c / 255;
    return v <= 0.04045 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4;
  };
  const [R, G, B] = [lin(r), lin(g), lin(b)];
  const x = (0.4124 * R + 0.3576 * G + 0.1805 * B) / 0.95047;
  const y = 0.2126 * R + 0.7152 * G + 0.0722 * B;
  const z = (0.0193 * R + 0.1192 * G + 0.9505 * B) / 1.08883;
  const f = (t: number) => (t > 216 / 24389 ? Math.cbrt(t) : (24389 / 27 * t + 16) / 116);
  return [116 * f(y) - 16, 500 * (f(x) - f(y)), 200 * (f(y) - f(z))];
}

const codes = Array.from({ length: 10 }, (_, i) => `440114${String(i + 1).padStart(3, '0')}000`);

describe('town colours', () => {
  it('gives each of the 10 towns its own clearly different colour', () => {
    const colors = [...assignTownColors(codes).values()];
    expect(colors).toHaveLength(10);
    for (let i = 0; i < colors.length; i++) {
      for (let j = i + 1; j < colors.length; j++) {
        expect(deltaE(colors[i]!, colors[j]!), `towns ${i} and ${j}`).toBeGreaterThan(20);
      }
    }
  });

  it('stands out from the dark map background', () => {
    const bg = hexToRgb(MAP_THEME.background);
    for (const c of TOWN_PALETTE) expect(deltaE(c, bg)).toBeGreaterThan(45);
  });

  it('assigns by code, not by arrival order', () => {
    const forward = assignTownColors(codes);
    const backward = assignTownColors([...codes].reverse());
    for (const code of codes) expect(backward.get(code)).toEqual(forward.get(code));
    expect(forward.get(codes[0]!)).toEqual(TOWN_PALETTE[0]);
  });

  it('keeps going past the palette with distinct, valid colours', () => {
    const many = Array.from({ length: 30 }, (_, i) => townColorAt(i));
    const keys = new Set(many.map((c) => c.join(',')));
    expect(keys.size).toBe(30);
    for (const c of many) for (const ch of c) expect(ch >= 0 && ch <= 255 && Number.isInteger(ch)).toBe(true);
  });
});
