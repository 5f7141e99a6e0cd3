/**
 * The wall (大屏, issue 5 point 8) in Chromium against the real web host and
 * its embedded data center (playwright.config.ts starts both): at 1920×1080
 * and 3840×2160 the map really draws the grids and boundaries, the panels are
 * drawn around it, Chinese renders, everything scales with the screen, and an
 * 8K (7680×2160) wall lays its panels out in two columns with the canvas held
 * at one device pixel per CSS pixel. Checked by pixels of real screenshots.
 *
 * The grids are coloured by town here (`measure=town`): the live measures and
 * the event points need the replica's query layer, whose specs are in
 * wall-live.spec.ts.
 */
import { expect, test, type Page } from '@playwright/test';
import { TOWN_PALETTE } from '../../src/renderer/map/town-colors';
import { colourHistogram, hueDistance, rgbToHsl, samplePixels, type PixelSample } from './support/pixels';

const WALL = '/?mode=wall&lang=zh-CN&tour=0&measure=town&fps=0';
const PANELS = ['kpi-panel', 'chart-category', 'chart-source', 'chart-hourly', 'chart-town', 'ticker', 'link-status'];

async function openWall(page: Page, query = WALL) {
  await page.goto(query);
  // the first frame on software GL takes a while, more so at 4K
  await expect(page.getByTestId('district-map')).toHaveAttribute('data-ready', 'true', { timeout: 110_000 });
  await expect(page.getByTestId('district-map')).toHaveAttribute('data-grids', '1401');
}

/** How many of the ten town colours show in the sample (classified by hue), and the share of light pixels. */
function townColours(sample: PixelSample): { towns: number; light: number } {
  const n = sample.rgba.length / 4;
  const hues = TOWN_PALETTE.map(([r, g, b]) => rgbToHsl(r, g, b)[0]);
  const hits = new Array<number>(hues.length).fill(0);
  let light = 0;
  for (let i = 0; i < sample.rgba.length; i += 4) {
    const [h, s, l] = rgbToHsl(sample.rgba[i]!, sample.rgba[i + 1]!, sample.rgba[i + 2]!);
    if (l > 0.75 && s < 0.5) light++;
    if (s < 0.25 || l < 0.12 || l > 0.85) continue;
    let best = 0;
    for (let k = 1; k < hues.length; k++) if (hueDistance(h, hues[k]!) < hueDistance(h, hues[best]!)) best = k;
    if (hueDistance(h, hues[best]!) < 12) hits[best]!++;
  }
  return { towns: hits.filter((c) => c / n > 0.002).length, light: light / n };
}

async function expectMapDrawn(page: Page) {
  const png = await page.getByTestId('district-map').screenshot();
  const sample = await samplePixels(page, png, 4);
  const hist = colourHistogram(sample);
  expect(hist.length, 'the map is not one flat colour').toBeGreaterThan(20);
  expect(hist[0]!.share).toBeLessThan(0.7);
  const { towns, light } = townColours(sample);
  expect(towns, 'grids in several town colours').toBeGreaterThanOrEqual(6);
  // boundaries and labels: light pixels, but a minority
  expect(light).toBeGreaterThan(0.001);
  expect(light).toBeLessThan(0.3);
}

async function expectPanelsDrawn(page: Page) {
  for (const id of PANELS) {
    const panel = page.getByTestId(id);
    await expect(panel).toBeVisible();
    const sample = await samplePixels(page, await panel.screenshot(), 3);
    const hist = colourHistogram(sample);
    // a frame, a title and content: several colours, and some bright (text) pixels
    expect(hist.length, `${id} has content`).toBeGreaterThan(3);
    let bright = 0;
    for (let i = 0; i < sample.rgba.length; i += 4) if (sample.rgba[i]! + sample.rgba[i + 1]! + sample.rgba[i + 2]! > 600) bright++;
    expect(bright, `${id} has text`).toBeGreaterThan(5);
  }
}

async function expectChinese(page: Page) {
  await expect(page.getByTestId('kpi-panel')).toContainText('今日受理');
  await expect(page.getByTestId('chart-category')).toContainText('事件类别');
  await expect(page.getByTestId('ticker')).toContainText('最新事件');
  await expect(page.getByTestId('link-status')).toContainText('链路状态');
  await expect(page.getByTestId('legend')).toContainText('网格填充');
  const glyphs = await page.evaluate(async () => {
    await document.fonts.ready;
    const draw = (ch: string) => {
      const c = document.createElement('canvas');
      c.width = c.height = 64;
      const ctx = c.getContext('2d')!;
      ctx.fillStyle = '#000';
      ctx.fillRect(0, 0, 64, 64);
      ctx.fillStyle = '#fff';
      ctx.font = '48px "Noto Sans CJK SC", sans-serif';
      ctx.fillText(ch, 4, 52);
      return Array.from(ctx.getImageData(0, 0, 64, 64).data);
    };
    return { ok: document.fonts.check('16px "Noto Sans CJK SC"', '受理'), a: draw('受'), b: draw('理') };
  });
  expect(glyphs.ok).toBe(true);
  // two characters do not draw the same box (tofu)
  expect(glyphs.a.reduce((s, v, i) => s + Math.abs(v - glyphs.b[i]!), 0)).toBeGreaterThan(10_000);
}

test.describe('wall at 1920×1080', () => {
  test.use({ viewport: { width: 1920, height: 1080 } });

  test('draws the grids, boundaries and panels, in Chinese, at scale 1', async ({ page }) => {
    await openWall(page);
    const wall = page.getByTestId('wall');
    await expect(wall).toHaveAttribute('data-scale', '1');
    await expect(wall).toHaveAttribute('data-layout', 'standard');
    await expectMapDrawn(page);
    await expectPanelsDrawn(page);
    await expectChinese(page);
    const kpiSize = await page.getByTestId('kpi-intake').evaluate((el) => getComputedStyle(el).fontSize);
    expect(kpiSize).toBe('40px');
  });

  test('picking a grid shows its card; the layer panel unfolds', async ({ page }) => {
    await openWall(page);
    const box = (await page.getByTestId('district-map').boundingBox())!;
    const card = page.getByTestId('map-card');
    for (const [fx, fy] of [[0.5, 0.45], [0.45, 0.5], [0.55, 0.4], [0.4, 0.35], [0.6, 0.5]] as const) {
      await page.mouse.click(box.x + box.width * fx, box.y + box.height * fy);
      if (await card.isVisible({ timeout: 5_000 }).catch(() => false)) break;
    }
    await expect(card).toBeVisible();
    await expect(card).toHaveAttribute('data-kind', 'grid');
    await expect(card).toContainText(/\d{15}/);
    await page.getByTestId('layer-panel-fold').click();
    await expect(page.getByTestId('layer-toggle')).toHaveCount(16);
    await expect(page.locator('[data-testid=layer-toggle][data-key=river_reaches]')).toContainText('河段');
  });
});

test.describe('wall at 3840×2160', () => {
  test.use({ viewport: { width: 3840, height: 2160 } });

  test('scales type, panels and map symbols by 2 and still draws everything', async ({ page }) => {
    await openWall(page);
    const wall = page.getByTestId('wall');
    await expect(wall).toHaveAttribute('data-scale', '2');
    await expect(wall).toHaveAttribute('data-pixel-ratio', '1');
    await expectMapDrawn(page);
    await expectPanelsDrawn(page);
    await expectChinese(page);
    expect(await page.getByTestId('kpi-intake').evaluate((el) => getComputedStyle(el).fontSize)).toBe('80px');
    const side = (await page.getByTestId('kpi-panel').boundingBox())!;
    expect(side.width).toBeGreaterThan(800);
    expect(side.width).toBeLessThan(900);
  });
});

test.describe('wall at 7680×2160 (32:9), device pixel ratio 2', () => {
  test.use({ viewport: { width: 7680, height: 2160 }, deviceScaleFactor: 2 });

  test('puts the panels in two columns and keeps the canvas at one device pixel per CSS pixel', async ({ page }) => {
    await openWall(page);
    const wall = page.getByTestId('wall');
    await expect(wall).toHaveAttribute('data-layout', 'ultrawide');
    await expect(wall).toHaveAttribute('data-scale', '2');
    await expect(wall).toHaveAttribute('data-pixel-ratio', '1');
    const canvas = await page.locator('[data-testid=district-map] canvas').first().evaluate((c: HTMLCanvasElement) => ({ w: c.width, cw: c.clientWidth, h: c.height, ch: c.clientHeight }));
    expect(canvas.w).toBe(canvas.cw);
    expect(canvas.h).toBe(canvas.ch);
    // two panel columns on the left: the KPI panel and the category chart side by side
    const kpi = (await page.getByTestId('kpi-panel').boundingBox())!;
    const cat = (await page.getByTestId('chart-category').boundingBox())!;
    expect(cat.x).toBeGreaterThan(kpi.x + kpi.width - 1);
    expect(Math.abs(cat.y - kpi.y)).toBeLessThan(2);
  });
});
