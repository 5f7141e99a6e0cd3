/**
 * The heatmap of the last days as a raster computed on the CPU: the density
 * bins of `map/density` are splatted into a grid over the district, blurred
 * (three box passes ≈ a Gaussian), normalised at the 99th percentile (one hot
 * cell must not wash out the rest) and coloured through a ramp whose alpha
 * grows with the heat. The result is drawn as one BitmapLayer.
 *
 * deck.gl's HeatmapLayer renders to float textures in maplibre's interleaved
 * context; on this project's reference machines (software GL) it drew
 * nothing, and a wall must not depend on GPU features for its heatmap. The
 * density changes every few minutes, not every frame, so the CPU cost (a few
 * milliseconds for 640×480) is paid rarely.
 */
import type { BBox } from '../../core/geo/types';
import type { Density } from '../../core/rpc/queries';

export interface HeatRaster {
  width: number;
  height: number;
  /** RGBA, row 0 at the north edge */
  data: Uint8ClampedArray<ArrayBuffer>;
  bounds: BBox;
  /** the value a full-colour pixel stands for (events per cell after blurring) */
  scaleMax: number;
}

const RAMP: readonly [number, number, number][] = [
  [20, 60, 140],
  [40, 140, 200],
  [70, 200, 170],
  [240, 210, 80],
  [250, 130, 60],
  [240, 60, 70],
];

/** One box-blur pass along rows then columns, radius r, in place (via a scratch array). */
function boxBlur(src: Float32Array, w: number, h: number, r: number, tmp: Float32Array): void {
  const norm = 1 / (2 * r + 1);
  for (let y = 0; y < h; y++) {
    let acc = 0;
    const row = y * w;
    for (let x = -r; x <= r; x++) acc += src[row + Math.min(w - 1, Math.max(0, x))]!;
    for (let x = 0; x < w; x++) {
      tmp[row + x] = acc * norm;
      acc += src[row + Math.min(w - 1, x + r + 1)]! - src[row + Math.max(0, x - r)]!;
    }
  }
  for (let x = 0; x < w; x++) {
    let acc = 0;
    for (let y = -r; y <= r; y++) acc += tmp[Math.min(h - 1, Math.max(0, y)) * w + x]!;
    for (let y = 0; y < h; y++) {
      src[y * w + x] = acc * norm;
      acc += tmp[Math.min(h - 1, y + r + 1) * w + x]! - tmp[Math.max(0, y - r) * w + x]!;
    }
  }
}

/** The value at the given quantile of the positive cells. */
function quantileOfPositive(values: Float32Array, q: number): number {
  const positive: number[] = [];
  for (let i = 0; i < values.length; i++) if (values[i]! > 1e-9) positive.push(values[i]!);
  if (positive.length === 0) return 0;
  positive.sort((a, b) => a - b);
  return positive[Math.min(positive.length - 1, Math.floor(q * positive.length))]!;
}

export function rampColor(t: number): [number, number, number, number] {
  const x = Math.max(0, Math.min(1, t)) * (RAMP.length - 1);
  const i = Math.min(RAMP.length - 2, Math.floor(x));
  const f = x - i;
  const a = RAMP[i]!;
  const b = RAMP[i + 1]!;
  return [a[0] + (b[0] - a[0]) * f, a[1] + (b[1] - a[1]) * f, a[2] + (b[2] - a[2]) * f, Math.round(255 * Math.min(0.85, Math.pow(Math.max(0, Math.min(1, t)), 0.6)))];
}

/**
 * Builds the raster over `bbox` (padded by the blur radius), at most `maxSide`
 * pixels on its longer side; `radiusMetres` sets the blur.
 */
export function heatRaster(density: Density, bbox: BBox, maxSide = 640, radiusMetres = 700): HeatRaster {
  const [minLon, minLat, maxLon, maxLat] = bbox;
  const midLat = (minLat + maxLat) / 2;
  const mPerLon = 111_320 * Math.cos((midLat * Math.PI) / 180);
  const mPerLat = 110_540;
  const widthM = (maxLon - minLon) * mPerLon;
  const heightM = (maxLat - minLat) * mPerLat;
  const cellM = Math.max(widthM, heightM) / maxSide;
  const pad = Math.ceil((radiusMetres * 1.5) / cellM);
  const w = Math.max(1, Math.ceil(widthM / cellM) + 2 * pad);
  const h = Math.max(1, Math.ceil(heightM / cellM) + 2 * pad);
  const west = minLon - (pad * cellM) / mPerLon;
  const north = maxLat + (pad * cellM) / mPerLat;
  const bounds: BBox = [west, north - (h * cellM) / mPerLat, west + (w * cellM) / mPerLon, north];

  const grid = new Float32Array(w * h);
  for (let i = 0; i < density.count; i++) {
    const lon = density.positions[2 * i]!;
    const lat = density.positions[2 * i + 1]!;
    const x = Math.floor(((lon - west) * mPerLon) / cellM);
    const y = Math.floor(((north - lat) * mPerLat) / cellM);
    if (x < 0 || y < 0 || x >= w || y >= h) continue;
    const k = y * w + x;
    grid[k] = grid[k]! + density.weights[i]!;
  }
  const r = Math.max(1, Math.round(radiusMetres / cellM / 1.7));
  const tmp = new Float32Array(w * h);
  for (let pass = 0; pass < 3; pass++) boxBlur(grid, w, h, r, tmp);

  const scaleMax = quantileOfPositive(grid, 0.99) || 1;
  const data = new Uint8ClampedArray(w * h * 4);
  for (let i = 0; i < grid.length; i++) {
    const t = grid[i]! / scaleMax;
    if (t < 0.02) continue;
    const [cr, cg, cb, ca] = rampColor(t);
    data[4 * i] = cr;
    data[4 * i + 1] = cg;
    data[4 * i + 2] = cb;
    data[4 * i + 3] = ca;
  }
  return { width: w, height: h, data, bounds, scaleMax };
}
