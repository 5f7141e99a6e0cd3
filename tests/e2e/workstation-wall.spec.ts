/**
 * The duty officer's desk and the wall together (issue 6 points 5–6, issue 5
 * points 3–4), in Chromium against the web host and its embedded data center:
 * a workstation page and a wall page open side by side.
 *
 * - A one-key call posted to the intake API reaches the officer as a desktop
 *   notification (the page's real Notification API, permission granted) with
 *   the case number, and the chime sounds: its two tones are started on a
 *   running AudioContext that then plays past them. Both are recorded by
 *   wrapping the browser's own constructors (the real ones still run); the app
 *   logic is the app's.
 * - The same call takes over the wall; the officer acknowledges it with the
 *   button of the workstation's wall panel, the data center records it and the
 *   wall gives the screen back.
 * - The officer opens another event and pushes it to the wall with the
 *   detail's 上大屏 button: the wall flies to it and holds the view; the data
 *   center confirms the directive.
 *
 * One test, one wall page (loading the wall's map is the slow part on
 * software GL).
 */
import { expect, test, type Page } from '@playwright/test';
import { dataCenterUrl, hostRpc, postIntake } from './support/datacenter';
import { signInDesk } from './support/desk';

const WALL = '/?mode=wall&lang=zh-CN&tour=0&fps=0';
/** where the one-key call is made (新华街道) */
const CALL_SPOT: [number, number] = [113.2201, 23.3902];
/** where the event pushed to the wall is (花东镇, far from the call) */
const PUSH_SPOT: [number, number] = [113.3805, 23.4198];

const tag = Date.now().toString(36);

/** Records every Notification and every oscillator started, passing each call on to the browser's own. */
function instrument() {
  const w = window as unknown as { __e2e: { notifications: { title: string; body: string; tag: string }[]; tones: { hz: number; at: number }[]; contexts: AudioContext[] } };
  w.__e2e = { notifications: [], tones: [], contexts: [] };
  const RealNotification = window.Notification;
  if (RealNotification) {
    class RecordedNotification extends RealNotification {
      constructor(title: string, options?: NotificationOptions) {
        super(title, options);
        w.__e2e.notifications.push({ title, body: options?.body ?? '', tag: options?.tag ?? '' });
      }
    }
    window.Notification = RecordedNotification;
  }
  const RealAudioContext = window.AudioContext;
  if (RealAudioContext) {
    class RecordedAudioContext extends RealAudioContext {
      constructor(options?: AudioContextOptions) {
        super(options);
        w.__e2e.contexts.push(this);
      }
    }
    window.AudioContext = RecordedAudioContext;
    const start = OscillatorNode.prototype.start;
    OscillatorNode.prototype.start = function (this: OscillatorNode, when?: number) {
      w.__e2e.tones.push({ hz: this.frequency.value, at: when ?? this.context.currentTime });
      return start.call(this, when);
    };
  }
}

const distance = (a: [number, number] | null, b: [number, number]) => (a ? Math.hypot(a[0] - b[0], a[1] - b[1]) : Infinity);

/** What the wall exposes to tests (WallView.tsx `window.__huyingWall`): where its camera is. */
type WallCamera = { __huyingWall: { center(): [number, number] | null; zoom(): number | null } };
const wallCenter = (p: Page) => p.evaluate(() => (window as unknown as WallCamera).__huyingWall.center());
const wallZoom = (p: Page) => p.evaluate(() => (window as unknown as WallCamera).__huyingWall.zoom());

test('a one-key call: the officer is notified with a chime, acknowledges the wall alert from the desk, and pushes an event to the wall', async ({ baseURL, context, page }) => {
  test.setTimeout(300_000);
  const dc = await dataCenterUrl(baseURL!);
  await context.grantPermissions(['notifications'], { origin: new URL(baseURL!).origin });
  await context.addInitScript(instrument);

  // ── the desk: signed in, the replica live, the arrival watch has its baseline ──
  await signInDesk(page, 'duty');
  const desk = page.getByTestId('workstation');
  await expect(page.getByTestId('sync-status')).toHaveAttribute('data-state', 'live', { timeout: 60_000 });
  await expect(desk).toHaveAttribute('data-arrivals', 'watching', { timeout: 30_000 });
  expect(await page.evaluate(() => Notification.permission)).toBe('granted');
  const officerName = (await page.getByTestId('officer-name').textContent())!;

  // ── the wall, in a second page of the same browser ──
  const wallPage = await context.newPage();
  // what the wall hears of the wall state (for the messages of failed expectations)
  const wallFrames: string[] = [];
  wallPage.on('websocket', (ws) =>
    ws.on('framereceived', (f) => {
      const text = String(f.payload);
      if (text.includes('"wall/changed"')) wallFrames.push(`${new Date().toISOString()} ${text.slice(0, 200)}`);
    }),
  );
  await wallPage.goto(WALL);
  await expect(wallPage.getByTestId('district-map')).toHaveAttribute('data-ready', 'true', { timeout: 110_000 });
  await wallPage.waitForFunction(() => '__huyingWall' in window);
  await expect(wallPage.getByTestId('link-feed')).toHaveAttribute('data-state', 'live', { timeout: 60_000 });
  const wall = wallPage.getByTestId('wall');
  await expect(wall).not.toHaveClass(/wall--alert/);

  // ── a one-key call comes in through the intake API ──
  const before = await page.evaluate(() => (window as unknown as { __e2e: { notifications: unknown[]; tones: unknown[] } }).__e2e.tones.length);
  const call = await postIntake(dc, 'one_key', {
    callId: `OK-E2E-WS-${tag}`,
    deviceId: 'box-e2e-02',
    caller: { name: '测试药店', phone: '13700008888', organisation: '新华街测试药店' },
    location: { lon: CALL_SPOT[0], lat: CALL_SPOT[1] },
    callType: 'medical',
    message: `店内顾客晕倒 ${tag}`,
    calledAt: new Date().toISOString(),
  });

  await test.step('the desk: a desktop notification naming the call, and the chime', async () => {
    await expect(desk).toHaveAttribute('data-last-arrival', new RegExp(`^urgent:(.*,)?${call.eventId}(,|$)`), { timeout: 20_000 });
    await expect(desk).toHaveAttribute('data-last-arrival-sound', 'true');
    const seen = await page.evaluate(() => (window as unknown as { __e2e: { notifications: { title: string; body: string; tag: string }[] } }).__e2e.notifications);
    const shown = seen.find((n) => n.body.includes(call.caseNo));
    expect(shown, JSON.stringify(seen)).toBeDefined();
    expect(shown!.title).toBe('新的紧急事件');
    expect(shown!.tag).toBe('huying-urgent');
    // the chime: 880 Hz then 1320 Hz started on a context that runs and plays past both tones
    const tones = await page.evaluate((n) => (window as unknown as { __e2e: { tones: { hz: number; at: number }[] } }).__e2e.tones.slice(n), before);
    expect(tones.map((t) => Math.round(t.hz))).toEqual([880, 1320]);
    await expect
      .poll(() =>
        page.evaluate(() => {
          const ctx = (window as unknown as { __e2e: { contexts: AudioContext[] } }).__e2e.contexts;
          return ctx.length === 1 ? { state: ctx[0]!.state, time: ctx[0]!.currentTime } : { state: `${ctx.length} contexts`, time: 0 };
        }),
      )
      .toMatchObject({ state: 'running', time: expect.any(Number) });
    const end = Math.max(...tones.map((t) => t.at)) + 0.17;
    await expect.poll(() => page.evaluate(() => (window as unknown as { __e2e: { contexts: AudioContext[] } }).__e2e.contexts[0]!.currentTime), { timeout: 10_000 }).toBeGreaterThan(end);
  });

  const alertId = await test.step('the wall: the call takes over', async () => {
    await wallPage.bringToFront();
    const banner = wallPage.getByTestId('alert-banner');
    await expect(banner, `wall/changed heard: ${wallFrames.join(' | ') || 'none'}`).toHaveAttribute('data-phase', 'takeover', { timeout: 15_000 });
    await expect(banner).toContainText(call.caseNo);
    await expect(wall).toHaveClass(/wall--alert/);
    const id = (await banner.getAttribute('data-alert-id'))!;
    const state = await hostRpc<{ alerts: { id: string; eventId: string }[] }>(baseURL!, 'wall/state', { wallId: 'main' });
    expect(state.alerts.find((a) => a.id === id)?.eventId).toBe(call.eventId);
    return id;
  });

  await test.step('the desk acknowledges it with its button; the wall clears', async () => {
    const item = page.locator(`[data-testid=wall-alert][data-id="${alertId}"]`);
    await expect(item).toBeVisible({ timeout: 15_000 });
    await page.bringToFront();
    await item.getByTestId('wall-ack').click();
    await expect(item).toHaveCount(0, { timeout: 15_000 });
    const banner = wallPage.getByTestId('alert-banner');
    await wallPage.bringToFront();
    await expect(banner).toHaveAttribute('data-phase', 'acknowledged', { timeout: 20_000 });
    await expect(wall).not.toHaveClass(/wall--alert/);
    // recorded by the data center (the replicated row carries who and when), not only on this desk
    const state = await hostRpc<{ alerts: { id: string; ackedAt: string | null; ackedBy: { name: string } | null }[] }>(baseURL!, 'wall/state', { wallId: 'main' });
    const acked = state.alerts.find((a) => a.id === alertId)!;
    expect(acked.ackedAt).not.toBeNull();
    expect(officerName).toContain(acked.ackedBy!.name);
    await expect(wallPage.getByTestId('alert-acked-by')).toContainText(acked.ackedBy!.name);
  });

  await test.step('上大屏: the desk pushes another event, the wall flies to it', async () => {
    const order = await postIntake(dc, 'hotline_12345', {
      orderNo: `GZ12345-E2E-WALL-${tag}`,
      appealType: '投诉',
      isUrgent: false,
      title: `上大屏测试 ${tag}`,
      content: `上大屏测试 ${tag}：花东镇路灯不亮`,
      classification: '城市管理/市容环境/道路不洁',
      address: '花都区花东镇测试路 1 号',
      longitude: PUSH_SPOT[0],
      latitude: PUSH_SPOT[1],
      coordinateSystem: 'wgs84',
      caller: { name: '李先生', phone: '13800138001' },
      acceptedAt: new Date().toISOString(),
    });
    // the wall is still where the call was
    expect(distance(await wallCenter(wallPage), PUSH_SPOT)).toBeGreaterThan(0.05);

    // the officer finds it in 全部 and opens it
    await page.bringToFront();
    await page.getByTestId('event-table-body').focus();
    await page.keyboard.press('0');
    await page.getByTestId('search').fill(order.caseNo);
    const row = page.locator(`[data-testid=event-table-body] [data-case="${order.caseNo}"]`);
    await expect(row).toBeVisible({ timeout: 30_000 });
    await row.click();
    await expect(page.getByTestId('detail-case')).toHaveText(order.caseNo);
    await page.getByTestId('push-event-to-wall').click();
    await wallPage.bringToFront();

    await expect(wallPage.getByTestId('tour-status')).toContainText('工作台推送视图中', { timeout: 15_000 });
    await expect.poll(async () => distance(await wallCenter(wallPage), PUSH_SPOT), { timeout: 30_000 }).toBeLessThan(0.002);
    expect(await wallZoom(wallPage)).toBeGreaterThan(14);
    // the data center took the directive: confirmed in this desk's outbox
    await expect
      .poll(async () => {
        const list = await hostRpc<{ entries: { state: string; mutation: { name: string; directive?: { focus?: { kind: string; eventId?: string } } } }[] }>(baseURL!, 'outbox/list', { states: ['queued', 'sent', 'confirmed', 'rejected'], limit: 500 });
        return list.entries.find((e) => e.mutation.name === 'wall/directive' && e.mutation.directive?.focus?.eventId === order.eventId)?.state ?? 'none';
      }, { timeout: 20_000 })
      .toBe('confirmed');
  });

  await wallPage.close();
});
