/**
 * Pixel checks for end-to-end tests. A WebGL canvas reads back blank without
 * preserveDrawingBuffer, so we take a real screenshot and decode the PNG in the
 * page itself (no image library needed in Node).
 */
import type { Page } from '@playwright/test';

export interface PixelSample {
  width: number;
  height: number;
  /** RGBA bytes of every `step`-th pixel in both directions */
  rgba: number[];
}

export async function samplePixels(page: Page, png: Buffer, step = 3): Promise<PixelSample> {
  return page.evaluate(
    async ({ b64, step }) => {
      const img = new Image();
      img.src = `data:image/png;base64,${b64}`;
      await img.decode();
      const canvas = document.createElement('canvas');
      canvas.width = img.width;
      canvas.height = img.height;
      const ctx = canvas.getContext('2d');
      if (!ctx) throw new Error('no 2d context');
      ctx.drawImage(img, 0, 0);
      const data = ctx.getImageData(0, 0, img.width, img.height).data;
      const rgba: number[] = [];
      for (let y = 0; y < img.height; y += step) {
        for (let x = 0; x < img.width; x += step) {
          const i = (y * img.width + x) * 4;
          rgba.push(data[i]!, data[i + 1]!, data[i + 2]!, data[i + 3]!);
        }
      }
      return { width: img.width, height: img.height, rgba };
    },
    { b64: png.toString('base64'), step },
  );
}

export function rgbToHsl(r: number, g: number, b: number): [h: number, s: number, l: number] {
  const rn = r / 255, gn = g / 255, bn = b / 255;
  const max = Math.max(rn, gn, bn), min = Math.min(rn, gn, bn);
  const l = (max + min) / 2;
  if (max === min) return [0, 0, l];
  const d = max - min;
  const s = l > 0.5 ? d / (2 - max - min) : d / (max + min);
  let h: number;
  if (max === rn) h = (gn - bn) / d + (gn < bn ? 6 : 0);
  else if (max === gn) h = (bn - rn) / d + 2;
  else h = (rn - gn) / d + 4;
  return [h * 60, s, l];
}

export function hueDistance(a: number, b: number): number {
  const d = Math.abs(a - b) % 360;
  return d > 180 ? 360 - d : d;
}

/** Share of sampled pixels per distinct quantised colour, largest first. */
export function colourHistogram(sample: PixelSample, levels = 8): { key: string; share: number }[] {
  const counts = new Map<string, number>();
  const q = (v: number) => Math.floor((v * levels) / 256);
  const n = sample.rgba.length / 4;
  for (let i = 0; i < sample.rgba.length; i += 4) {
    const key = `${q(sample.rgba[i]!)},${q(sample.rgba[i + 1]!)},${q(sample.rgba[i + 2]!)}`;
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return [...counts.entries()].map(([key, c]) => ({ key, share: c / n })).sort((a, b) => b.share - a.share);
}
