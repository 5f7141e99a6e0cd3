/**
 * The foundation slice end to end: the web host with its embedded data center
 * (PGlite, demo district) serves the renderer; the map really draws the 1,401
 * grids coloured by town with outlines, Chinese renders, and a person can
 * hover and zoom to a town. The grid map is its own view (`?mode=map`, the
 * header's third switch); the wall and the workstation have their own specs.
 */
import { expect, test, type Page } from '@playwright/test';
import { TOWN_PALETTE } from '../../src/renderer/map/town-colors';
import { colourHistogram, hueDistance, rgbToHsl, samplePixels } from './support/pixels';

async function openMap(page: Page, query = '?mode=map') {
  await page.goto(`/${query}`);
  // first frame on software GL can take a while
  await expect(page.getByTestId('district-map')).toHaveAttribute('data-ready', 'true', { timeout: 90_000 });
}

test('the map draws all grids coloured by town, with outlines', async ({ page }) => {
  await openMap(page);
  await expect(page.getByTestId('grid-count')).toContainText('1401');
  await expect(page.getByTestId('town-count')).toContainText('10');
  await expect(page.getByTestId('village-count')).toContainText('252');
  await expect(page.getByTestId('district-map')).toHaveAttribute('data-grids', '1401');

  const png = await page.getByTestId('district-map').screenshot();
  const sample = await samplePixels(page, png);
  const n = sample.rgba.length / 4;

  // not blank, not one flat colour
  const hist = colourHistogram(sample);
  expect(hist.length).toBeGreaterThan(20);
  expect(hist[0]!.share).toBeLessThan(0.6);

  // several distinct town colours: classify saturated pixels by the nearest palette hue
  const paletteHues = TOWN_PALETTE.map(([r, g, b]) => rgbToHsl(r, g, b)[0]);
  const hits = new Array<number>(paletteHues.length).fill(0);
  let light = 0;
  for (let i = 0; i < sample.rgba.length; i += 4) {
    const [h, s, l] = rgbToHsl(sample.rgba[i]!, sample.rgba[i + 1]!, sample.rgba[i + 2]!);
    if (l > 0.75 && s < 0.5) light++;
    if (s < 0.25 || l < 0.12 || l > 0.85) continue;
    let best = 0;
    for (let k = 1; k < paletteHues.length; k++) if (hueDistance(h, paletteHues[k]!) < hueDistance(h, paletteHues[best]!)) best = k;
    if (hueDistance(h, paletteHues[best]!) < 12) hits[best]!++;
  }
  const townsSeen = hits.filter((c) => c / n > 0.002).length;
  expect(townsSeen, `palette hits ${hits.join(',')}`).toBeGreaterThanOrEqual(6);
  // outlines and labels: light pixels exist but are a minority
  expect(light / n).toBeGreaterThan(0.001);
  expect(light / n).toBeLessThan(0.3);
});

test('Chinese text renders with a CJK font, not tofu', async ({ page }) => {
  await openMap(page);
  const items = page.getByTestId('town-item');
  await expect(items).toHaveCount(10);
  await expect(page.getByTestId('town-list')).toContainText('新华街道');
  await expect(page.getByTestId('town-list')).toContainText('梯面镇');
  const fontReady = await page.evaluate(async () => {
    await document.fonts.ready;
    return document.fonts.check('16px "Noto Sans CJK SC"', '花都');
  });
  expect(fontReady).toBe(true);
  // two different characters must not draw the same glyph (tofu boxes all look alike)
  const shots = await page.evaluate(() => {
    const draw = (ch: string) => {
      const c = document.createElement('canvas');
      c.width = 64;
      c.height = 64;
      const ctx = c.getContext('2d')!;
      ctx.fillStyle = '#000';
      ctx.fillRect(0, 0, 64, 64);
      ctx.fillStyle = '#fff';
      ctx.font = '48px "Noto Sans CJK SC", sans-serif';
      ctx.fillText(ch, 4, 52);
      return Array.from(ctx.getImageData(0, 0, 64, 64).data);
    };
    return [draw('花'), draw('都'), draw('镇')];
  });
  const diff = (a: number[], b: number[]) => a.reduce((s, v, i) => s + Math.abs(v - b[i]!), 0);
  expect(diff(shots[0]!, shots[1]!)).toBeGreaterThan(10_000);
  expect(diff(shots[1]!, shots[2]!)).toBeGreaterThan(10_000);
});

test('hovering a grid shows its card; choosing a town zooms to it', async ({ page }) => {
  await openMap(page);
  const map = page.getByTestId('district-map');
  const box = (await map.boundingBox())!;
  // probe a few points around the middle of the district until a grid is under the cursor
  const tooltip = page.getByTestId('map-tooltip');
  for (const [fx, fy] of [[0.5, 0.5], [0.45, 0.55], [0.55, 0.45], [0.4, 0.4], [0.6, 0.6]] as const) {
    await page.mouse.move(box.x + box.width * fx, box.y + box.height * fy);
    if (await tooltip.isVisible({ timeout: 5_000 }).catch(() => false)) break;
  }
  await expect(tooltip).toBeVisible();
  await expect(tooltip).toContainText(/\d{15}/);
  await expect(tooltip).toContainText(/[镇街道]/);

  const zoomBefore = Number(await map.getAttribute('data-zoom'));
  await page.getByTestId('town-item').filter({ hasText: '新华街道' }).click();
  await expect.poll(async () => Number(await map.getAttribute('data-zoom')), { timeout: 30_000 }).toBeGreaterThan(zoomBefore + 0.5);
});

test('English is available and the wall mode is one switch away', async ({ page }) => {
  await openMap(page, '?lang=en&mode=map');
  await expect(page.getByTestId('app')).toHaveAttribute('data-locale', 'en');
  await expect(page.getByTestId('town-item')).toHaveCount(10);
  await page.getByTestId('mode-switch').getByText('Wall').click();
  await expect(page.getByTestId('app')).toHaveAttribute('data-mode', 'wall');
  await expect(page.getByTestId('wall')).toBeVisible();
  await expect(page.getByTestId('sync-status')).toHaveAttribute('data-state', 'live', { timeout: 60_000 });
});
