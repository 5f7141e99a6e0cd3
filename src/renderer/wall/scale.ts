/**
 * How big the wall draws, from the window size alone: one scale factor for
 * type, panels and map symbols (1 at 1920×1080, 2 at 3840×2160 and at
 * 7680×2160, whose extra width goes to the map and to a second column of
 * panels), and the device-pixel ratio of the map canvas. A wall is read from
 * metres away, so symbols grow with the screen rather than staying at CSS size;
 * and an 8K canvas at full device pixels would cost four times the fill of 4K
 * for nothing anyone can see, so the pixel count is capped.
 */

export const BASE_WIDTH = 1920;
export const BASE_HEIGHT = 1080;

/** Physical pixels the map canvas may use: a 4K frame. */
export const PIXEL_BUDGET = 3840 * 2160;

export type WallLayoutKind = 'standard' | 'ultrawide';

export interface WallMetrics {
  /** multiply every 1080p size by this */
  scale: number;
  /** 32:9 and wider: panels in two columns on each side */
  kind: WallLayoutKind;
  /** device pixels per CSS pixel for the map canvas */
  pixelRatio: number;
}

const round2 = (x: number) => Math.round(x * 100) / 100;

/** min(width / 1920, height / 1080), kept between 0.6 and 4. */
export function wallScale(width: number, height: number): number {
  if (!(width > 0) || !(height > 0)) return 1;
  return round2(Math.min(4, Math.max(0.6, Math.min(width / BASE_WIDTH, height / BASE_HEIGHT))));
}

export function layoutKind(width: number, height: number): WallLayoutKind {
  return height > 0 && width / height >= 2.6 ? 'ultrawide' : 'standard';
}

/**
 * The map's device-pixel ratio: the screen's, but never more physical pixels
 * than the budget (a 7680×2160 wall draws at 1), and never below 1 (blurry
 * symbols are worse than a slower frame). An explicit override (`?dpr=`) wins.
 */
export function choosePixelRatio(width: number, height: number, devicePixelRatio: number, override?: number | null): number {
  if (override !== undefined && override !== null && Number.isFinite(override) && override > 0) return Math.min(4, override);
  const dpr = Number.isFinite(devicePixelRatio) && devicePixelRatio > 0 ? devicePixelRatio : 1;
  const area = Math.max(1, width * height);
  const fit = Math.sqrt(PIXEL_BUDGET / area);
  return round2(Math.min(dpr, Math.max(1, fit)));
}

export function wallMetrics(width: number, height: number, devicePixelRatio: number, dprOverride?: number | null): WallMetrics {
  return {
    scale: wallScale(width, height),
    kind: layoutKind(width, height),
    pixelRatio: choosePixelRatio(width, height, devicePixelRatio, dprOverride),
  };
}
