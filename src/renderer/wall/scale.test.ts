import { describe, expect, it } from 'vitest';
import { choosePixelRatio, layoutKind, wallMetrics, wallScale } from './scale';

describe('wall scale', () => {
  it('is 1 at 1080p, 2 at 4K and at 8K ultrawide, and follows the tighter side', () => {
    expect(wallScale(1920, 1080)).toBe(1);
    expect(wallScale(3840, 2160)).toBe(2);
    expect(wallScale(7680, 2160)).toBe(2);
    expect(wallScale(2560, 1080)).toBe(1);
    expect(wallScale(1366, 768)).toBe(0.71);
  });

  it('stays within 0.6–4 and survives a zero-sized window', () => {
    expect(wallScale(320, 200)).toBe(0.6);
    expect(wallScale(15360, 8640)).toBe(4);
    expect(wallScale(0, 0)).toBe(1);
  });

  it('puts 32:9 walls in the two-column layout', () => {
    expect(layoutKind(7680, 2160)).toBe('ultrawide');
    expect(layoutKind(3840, 2160)).toBe('standard');
    expect(layoutKind(2560, 1080)).toBe('standard');
  });
});

describe('map pixel ratio', () => {
  it('uses the screen ratio up to a 4K budget of physical pixels', () => {
    expect(choosePixelRatio(1920, 1080, 2)).toBe(2);
    expect(choosePixelRatio(1920, 1080, 1)).toBe(1);
    expect(choosePixelRatio(3840, 2160, 2)).toBe(1);
  });

  it('caps an 8K wall at 1 and never goes below 1', () => {
    expect(choosePixelRatio(7680, 2160, 1)).toBe(1);
    expect(choosePixelRatio(7680, 2160, 2)).toBe(1);
    expect(choosePixelRatio(2560, 1440, 1.5)).toBe(1.5);
  });

  it('lets the kiosk URL override it, within reason', () => {
    expect(choosePixelRatio(7680, 2160, 1, 1.5)).toBe(1.5);
    expect(choosePixelRatio(1920, 1080, 1, 9)).toBe(4);
    expect(choosePixelRatio(1920, 1080, 2, Number.NaN)).toBe(2);
    expect(wallMetrics(7680, 2160, 2)).toEqual({ scale: 2, kind: 'ultrawide', pixelRatio: 1 });
  });
});
