/**
 * The wall live (issue 5 point 8), in Chromium against the web host and its
 * embedded data center: a kiosk signs the host's data service in on the
 * wall's own notice; an event posted to the intake API reaches the map (the
 * store, a drawn frame, deck.gl picking and pixels) and the ticker within 1 s
 * of the POST's answer (measured and logged); a one-key call takes over the
 * wall until a workstation acknowledges it through the data center; and
 * playback shows an event that is closed now as open at its past time.
 *
 * The tests share the web host (one data service, one session) and run in
 * order; the last one signs the service out again.
 */
import { expect, test, type Page } from '@playwright/test';
import { DEMO_PASSWORD, Workstation, dataCenterUrl, hostRpc, patrolReport, postIntake } from './support/datacenter';
import { hueDistance, rgbToHsl, samplePixels } from './support/pixels';

test.describe.configure({ mode: 'serial' });

const WALL = '/?mode=wall&lang=zh-CN&tour=0&fps=0';
/** a point in grid 440114001008007 (新华街道) */
const SPOT: [number, number] = [113.2201, 23.3902];
const SPOT_GRID = '440114001008007';
/** a point for the warm-up event, away from SPOT */
const WARM_SPOT: [number, number] = [113.235, 23.385];
/** another point, in the same town, for the replayed event */
const PAST_SPOT: [number, number] = [113.2105, 23.3955];

let dc = '';
const tag = Date.now().toString(36);

test.beforeAll(async ({ baseURL }) => {
  dc = await dataCenterUrl(baseURL!);
});

test.afterAll(async ({ baseURL }) => {
  // leave the host as a fresh one is: nobody signed in
  await hostRpc(baseURL!, 'auth/logout').catch(() => undefined);
});

async function openWall(page: Page) {
  await page.goto(WALL);
  await expect(page.getByTestId('district-map')).toHaveAttribute('data-ready', 'true', { timeout: 110_000 });
  await page.waitForFunction(() => '__huyingWall' in window);
}

/** The wall's live feed is loaded with the replica's events (signed in, snapshot done). */
async function waitLive(page: Page) {
  await expect(page.getByTestId('not-signed-in')).toHaveCount(0, { timeout: 30_000 });
  await expect(page.getByTestId('link-feed')).toHaveAttribute('data-state', 'live', { timeout: 60_000 });
  await expect(page.getByTestId('sync-status')).toHaveAttribute('data-state', 'live', { timeout: 60_000 });
}

/** A small screenshot around a map position, and how it is positioned. */
async function clipAround(page: Page, position: [number, number], half = 10) {
  const map = (await page.getByTestId('district-map').boundingBox())!;
  const p = await page.evaluate((pos) => window.__huyingWall!.project(pos), position);
  expect(p, 'the position projects onto the map').not.toBeNull();
  const x = map.x + p!.x;
  const y = map.y + p!.y;
  const png = await page.screenshot({ clip: { x: x - half, y: y - half, width: 2 * half, height: 2 * half } });
  return { sample: await samplePixels(page, png, 1), mapX: p!.x, mapY: p!.y };
}

/** Share of sampled pixels of a colour's hue (within 12°), saturated and not black. */
function shareNear(rgba: number[], colour: readonly number[]): number {
  const [hue] = rgbToHsl(colour[0]!, colour[1]!, colour[2]!);
  let hit = 0;
  for (let i = 0; i < rgba.length; i += 4) {
    const [h, s, l] = rgbToHsl(rgba[i]!, rgba[i + 1]!, rgba[i + 2]!);
    if (s > 0.4 && l > 0.12 && hueDistance(h, hue) < 12) hit++;
  }
  return hit / (rgba.length / 4);
}

/** Share of pixels that differ by more than `tol` (sum over channels) between two samples. */
function changed(a: number[], b: number[], tol = 60): number {
  let n = 0;
  for (let i = 0; i < a.length; i += 4) if (Math.abs(a[i]! - b[i]!) + Math.abs(a[i + 1]! - b[i + 1]!) + Math.abs(a[i + 2]! - b[i + 2]!) > tol) n++;
  return n / (a.length / 4);
}

/** the wall's stage colour for intake (reported / verifying / filed), event-style.ts STAGE_COLORS.intake */
const INTAKE_BLUE = [77, 195, 255];

test('a kiosk signs in on the wall’s notice, and then the wall has the events', async ({ baseURL, page }) => {
  await hostRpc(baseURL!, 'auth/logout');
  await openWall(page);
  const notice = page.getByTestId('not-signed-in');
  await expect(notice).toBeVisible();
  await expect(notice).toContainText('未登录数据中心');
  await expect(page.getByTestId('wall-sign-in-login')).toHaveValue('wall');
  await page.getByTestId('wall-sign-in-password').fill('not-the-password');
  await page.getByTestId('wall-sign-in-submit').click();
  await expect(page.getByTestId('wall-sign-in-error')).toHaveAttribute('data-code', 'unauthenticated');
  await expect(page.getByTestId('wall-sign-in-error')).toContainText('账号或密码不对');
  await page.getByTestId('wall-sign-in-password').fill(DEMO_PASSWORD);
  await page.getByTestId('wall-sign-in-submit').click();
  await waitLive(page);
  const session = await hostRpc<{ user: { login: string; role: string } | null }>(baseURL!, 'auth/session');
  expect(session.user).toMatchObject({ login: 'wall', role: 'wall_viewer' });
  // the service remembers the session: a reload (or a rebooted kiosk browser) shows no notice
  await page.reload();
  await expect(page.getByTestId('district-map')).toHaveAttribute('data-ready', 'true', { timeout: 110_000 });
  await expect(page.getByTestId('link-feed')).toHaveAttribute('data-state', 'live', { timeout: 30_000 });
  await expect(page.getByTestId('not-signed-in')).toHaveCount(0);
});

/**
 * Installs a watcher in the page, before anything is posted: every 4 ms (and on every DOM change
 * of the ticker) it notes, in epoch ms, when the wall's store version changed, when a drawn frame
 * first carried each version, and when each ticker row first showed.
 */
async function watchWall(page: Page) {
  await page.evaluate(() => {
    const wall = window.__huyingWall!;
    const log = { store: [] as [number, number][], drawn: [] as [number, number][], ticker: {} as Record<string, number> };
    let sv = wall.storeVersion();
    let dv = wall.drawnVersion();
    const ticker = () => {
      for (const el of document.querySelectorAll<HTMLElement>('[data-testid=ticker] [data-testid=ticker-item]')) log.ticker[el.dataset.id!] ??= Date.now();
    };
    const poll = () => {
      const s = wall.storeVersion();
      const d = wall.drawnVersion();
      if (s !== sv) log.store.push([(sv = s), Date.now()]);
      if (d !== dv) log.drawn.push([(dv = d), Date.now()]);
      ticker();
      window.__wallWatch!.timer = setTimeout(poll, 4);
    };
    const observer = new MutationObserver(ticker);
    observer.observe(document.querySelector('[data-testid=ticker]')!, { childList: true, subtree: true });
    window.__wallWatch = { log, timer: setTimeout(poll, 4), stop: () => observer.disconnect() };
    ticker();
  });
}

/** When (epoch ms) the event reached the store, a drawn frame, and the ticker, from the watcher's log. */
async function watched(page: Page, id: string) {
  return page.evaluate((id) => {
    const w = window.__wallWatch!;
    clearTimeout(w.timer);
    w.stop();
    const first = w.log.store[0];
    const drawn = first ? w.log.drawn.find(([v]) => v >= first[0]) : undefined;
    return { storeAt: first?.[1] ?? NaN, mapAt: drawn?.[1] ?? NaN, tickerAt: w.log.ticker[id] ?? NaN, changes: w.log.store.length };
  }, id);
}

async function postAndWatch(page: Page, title: string, ref: string, location: [number, number]) {
  await watchWall(page);
  const posted = await postIntake(dc, 'grid_patrol', patrolReport({ id: ref, description: title, location, gridCode: SPOT_GRID }));
  await expect.poll(() => page.evaluate((id) => window.__huyingWall!.hasEvent(id), posted.eventId), { timeout: 20_000 }).toBe(true);
  await expect.poll(() => page.evaluate(() => window.__huyingWall!.drawnVersion() >= window.__huyingWall!.storeVersion()), { timeout: 20_000 }).toBe(true);
  await expect(page.locator(`[data-testid=ticker-item][data-id="${posted.eventId}"]`)).toContainText(title, { timeout: 20_000 });
  const at = await watched(page, posted.eventId);
  return { posted, storeMs: at.storeAt - posted.answeredAt, mapMs: at.mapAt - posted.answeredAt, tickerMs: at.tickerAt - posted.answeredAt, changes: at.changes };
}

test('an event posted to intake is on the map and in the ticker within 1 s', async ({ page }) => {
  await openWall(page);
  await waitLive(page);
  // a first event: the points and arcs layers' first draw compiles their shaders (seconds on
  // software GL); a wall that runs all day has done that long before
  await postAndWatch(page, `预热 ${tag}`, `GP-E2E-WARM-${tag}`, WARM_SPOT);
  const before = await clipAround(page, SPOT);

  const title = `实时上图测试 ${tag}`;
  const { posted, storeMs, mapMs, tickerMs, changes } = await postAndWatch(page, title, `GP-E2E-${tag}`, SPOT);
  expect(posted.placement.gridCode).toBe(SPOT_GRID);
  expect(changes, 'one store change for one event').toBe(1);
  // what a frame costs this GPU; on software GL (SwiftShader) the page waits for it at every commit
  const renderer = await page.evaluate(() => window.__huyingWall!.renderer());
  const frames: number[] = [];
  for (let i = 0; i < 3; i++) frames.push(await page.evaluate(() => window.__huyingWall!.frameMs()));
  const frameMs = Math.min(...frames);
  const line = `intake answer → store ${storeMs} ms, → frame drawn ${mapMs} ms, → ticker ${tickerMs} ms (${renderer} GL, one frame ${Math.round(frameMs)} ms)`;
  console.log(`[wall-live] ${line}`);
  test.info().annotations.push({ type: 'latency', description: line });
  expect(storeMs, 'in the wall’s store within 1 s').toBeLessThan(1000);
  // within 1 s on a GPU; software GL may add what its one frame costs (not a target there)
  const allowance = renderer === 'software' ? frameMs : 0;
  expect(mapMs, 'on the map within 1 s').toBeLessThan(1000 + allowance);
  expect(tickerMs, 'in the ticker within 1 s').toBeLessThan(1000 + allowance);

  // deck.gl picks the event's point where the event is, and the pixels there turned intake blue
  const after = await clipAround(page, SPOT);
  const pick = await page.evaluate(({ x, y }) => window.__huyingWall!.pickAt(x, y, 2), { x: after.mapX, y: after.mapY });
  expect(pick?.layerId).toBe('events');
  expect(pick?.id).toBe(posted.eventId);
  // in the 20 × 20 px around it: a dot of a few pixels' radius (not just a pixel or two) turned blue
  expect(changed(before.sample.rgba, after.sample.rgba) * 400, 'pixels changed where the point is').toBeGreaterThan(20);
  expect(shareNear(after.sample.rgba, INTAKE_BLUE) * 400, 'pixels in the intake colour').toBeGreaterThan(12);
  expect(shareNear(before.sample.rgba, INTAKE_BLUE) * 400).toBeLessThan(4);
});

test('a one-key call takes over the wall until a workstation acknowledges it', async ({ page }) => {
  // The data center raises the alert with the intake (src/datacenter/wall) and takes `wall/ack` from a
  // workstation through its command endpoint; the wall sees both through its replica.
  await openWall(page);
  await waitLive(page);
  const wall = page.getByTestId('wall');
  await expect(wall).not.toHaveClass(/wall--alert/);
  const zoomBefore = await page.evaluate(() => window.__huyingWall!.zoom()!);

  const call = await postIntake(dc, 'one_key', {
    callId: `OK-E2E-${tag}`,
    deviceId: 'box-e2e-01',
    caller: { name: '测试商户', phone: '13700009999', organisation: '新华街测试餐馆' },
    location: { lon: SPOT[0], lat: SPOT[1] },
    callType: 'fire',
    message: `后厨起火 ${tag}`,
    calledAt: new Date().toISOString(),
  });

  const banner = page.getByTestId('alert-banner');
  await expect(banner).toHaveAttribute('data-phase', 'takeover', { timeout: 10_000 });
  await expect(banner).toContainText(call.caseNo);
  await expect(wall).toHaveClass(/wall--alert/);
  const alertId = (await banner.getAttribute('data-alert-id'))!;
  expect(alertId).toBeTruthy();
  // the countdown runs
  const countdown = page.getByTestId('alert-countdown');
  const r1 = Number(await countdown.getAttribute('data-remaining-ms'));
  expect(r1).toBeGreaterThan(0);
  await expect.poll(async () => Number(await countdown.getAttribute('data-remaining-ms')), { timeout: 10_000 }).toBeLessThan(r1 - 1500);
  // the map flew to the call
  await expect
    .poll(
      async () =>
        page.evaluate(([lon, lat]) => {
          const c = window.__huyingWall!.center();
          return c ? Math.hypot(c[0] - lon, c[1] - lat) : 1;
        }, SPOT),
      { timeout: 30_000 },
    )
    .toBeLessThan(0.002);
  expect(await page.evaluate(() => window.__huyingWall!.zoom()!)).toBeGreaterThan(zoomBefore + 2);

  // the wall's own account may not acknowledge it, and nothing at the wall clears it
  const wallAccount = await Workstation.signIn(dc, 'wall');
  await expect(wallAccount.push({ name: 'wall/ack', alertId })).rejects.toThrow(/forbidden/);
  await page.getByTestId('wall-map').click({ position: { x: 40, y: 300 } });
  await page.waitForTimeout(1500);
  await expect(banner).toHaveAttribute('data-phase', 'takeover');

  // a duty officer's workstation acknowledges it through the data center
  const duty = await Workstation.signIn(dc, 'duty');
  await duty.push({ name: 'wall/ack', alertId });
  await expect(banner).toHaveAttribute('data-phase', 'acknowledged', { timeout: 10_000 });
  await expect(page.getByTestId('alert-acked-by')).toBeVisible();
  await expect(wall).not.toHaveClass(/wall--alert/);
  const state = await hostRpc<{ alerts: { id: string; ackedAt: string | null; ackedBy: { name: string } | null }[] }>(page.url(), 'wall/state', { wallId: 'main' });
  const acked = state.alerts.find((a) => a.id === alertId)!;
  expect(acked.ackedAt).not.toBeNull();
  await expect(page.getByTestId('alert-acked-by')).toContainText(acked.ackedBy!.name);
});

test('playback shows an event closed now as open at its past time', async ({ page }) => {
  await openWall(page);
  await waitLive(page);
  const now = Date.now();
  const reportedAt = now - 3 * 3600_000;
  const title = `回放测试 ${tag}`;
  const posted = await postIntake(dc, 'grid_patrol', patrolReport({ id: `GP-E2E-PAST-${tag}`, description: title, location: PAST_SPOT, gridCode: SPOT_GRID, reportedAt: new Date(reportedAt) }));
  await expect.poll(() => page.evaluate((id) => window.__huyingWall!.hasEvent(id), posted.eventId), { timeout: 10_000 }).toBe(true);

  // the duty officer takes it through the loop to closed, as workstations do
  const duty = await Workstation.signIn(dc, 'duty');
  const results = await duty.command(
    posted.eventId,
    { type: 'dispatch', leadUnitId: 'dept-cg' },
    { type: 'sign' },
    { type: 'start' },
    { type: 'handle', feedback: '已清理' },
    { type: 'request_check' },
    { type: 'check_pass' },
    { type: 'close' },
  );
  expect(results.at(-1)!.result?.status).toBe('closed');
  await expect.poll(() => page.evaluate((id) => window.__huyingWall!.hasEvent(id), posted.eventId), { timeout: 10_000 }).toBe(false);

  // replay the last 24 hours from the wall's playback bar (a directive from a workstation starts the
  // same replay; see the note on the alert test for why that path is not driven here yet)
  await page.getByTestId('playback-start').and(page.locator('[data-preset=last24h]')).click();
  const to = Date.now();
  await expect(page.getByTestId('playback-bar')).toHaveAttribute('data-state', 'ready', { timeout: 30_000 });

  const seek = async (ms: number) => {
    await page.evaluate((t) => window.__huyingWall!.seekPlayback(t), ms);
    // two drawn frames after the seek (the filter range is a uniform of the next frame)
    await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(() => setTimeout(r, 300)))));
  };
  // before it was reported: not there
  await seek(reportedAt - 30 * 60_000);
  expect(await page.evaluate(() => window.__huyingWall!.playbackOpenIds())).not.toContain(posted.eventId);
  await page.waitForTimeout(1500);
  const empty = await clipAround(page, PAST_SPOT);
  // an hour after it was reported, and hours before it was closed: open
  await seek(reportedAt + 60 * 60_000);
  expect(await page.evaluate(() => window.__huyingWall!.playbackOpenIds())).toContain(posted.eventId);
  await page.waitForTimeout(1500);
  const open = await clipAround(page, PAST_SPOT);
  expect(changed(empty.sample.rgba, open.sample.rgba) * 400, 'the replayed point is drawn').toBeGreaterThan(20);
  const pick = await page.evaluate(({ x, y }) => window.__huyingWall!.pickAt(x, y, 2), { x: open.mapX, y: open.mapY });
  expect(pick?.id).toBe(posted.eventId);
  expect(pick?.layerId).toMatch(/^playback-/);
  // and at the end of the period, in the replay too, it is closed
  await seek(to);
  expect(await page.evaluate(() => window.__huyingWall!.playbackOpenIds())).not.toContain(posted.eventId);
  // live again, it is not on the map
  expect(await page.evaluate((id) => window.__huyingWall!.hasEvent(id), posted.eventId)).toBe(false);
});

declare global {
  interface Window {
    __huyingWall?: {
      storeVersion(): number;
      drawnVersion(): number;
      hasEvent(id: string): boolean;
      playbackOpenIds(): string[] | null;
      seekPlayback(ms: number): void;
      center(): [number, number] | null;
      zoom(): number | null;
      project(p: [number, number]): { x: number; y: number } | null;
      pickAt(x: number, y: number, radius?: number): { layerId: string; index: number; id: string | null } | null;
      frameMs(): Promise<number>;
      renderer(): string;
    };
    __wallWatch?: {
      log: { store: [number, number][]; drawn: [number, number][]; ticker: Record<string, number> };
      timer: ReturnType<typeof setTimeout>;
      stop(): void;
    };
  }
}
