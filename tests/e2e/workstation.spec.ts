/**
 * The workstation end to end (issue 6, point 7) against the web host and its
 * real embedded data center (playwright.config.ts starts both): a duty officer
 * runs a 12345 hotline work order through the whole loop while the unit's
 * steps come through the data center's own API; a bounced event is
 * re-dispatched; an extension request is granted; a wall-viewer account is
 * offered no action and the data center refuses a forged dispatch.
 *
 * Everything is real: the replica's query layer (events/list, detail,
 * counts), the data service's sign-in, the sync feed and the workflow
 * authority. Nothing is faked and nothing is skipped: a piece that does not
 * answer fails the test.
 */
import { expect, test, type APIRequestContext, type Page } from '@playwright/test';
import WebSocket from 'ws';

const DEMO_PASSWORD = 'huying-demo';

/** One RPC request over the web host's /rpc socket (the same contract the page uses). */
async function rpc<T>(baseURL: string, name: string, args: unknown = {}): Promise<{ ok: true; result: T } | { ok: false; error: { code: string; message: string } }> {
  const ws = new WebSocket(`${baseURL.replace(/^http/, 'ws')}/rpc`);
  try {
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    return await new Promise((resolve, reject) => {
      ws.on('message', (data) => {
        const frame = JSON.parse(String(data)) as { t: string; id?: number; reply?: unknown };
        if (frame.t === 'res' && frame.id === 1) resolve(frame.reply as never);
      });
      ws.once('error', reject);
      ws.send(JSON.stringify({ t: 'req', id: 1, name, args }));
    });
  } finally {
    ws.close();
  }
}

async function dataCenterUrl(baseURL: string): Promise<string> {
  const info = await rpc<{ dataCenterUrl: string }>(baseURL, 'app/info');
  if (!info.ok) throw new Error(`app/info: ${info.error.message}`);
  return info.result.dataCenterUrl;
}

/** The data center's own API, as a unit operator or another desk would use it. */
class DataCenter {
  private tokens = new Map<string, string>();
  /** a client id of its own per run, so mutation ids start at 1 as the protocol wants */
  private readonly run = `${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
  private mutationIds = new Map<string, number>();
  constructor(
    private readonly http: APIRequestContext,
    readonly url: string,
  ) {}

  async token(login: string): Promise<string> {
    const known = this.tokens.get(login);
    if (known) return known;
    const res = await this.http.post(`${this.url}/api/v1/auth/login`, { data: { login, password: DEMO_PASSWORD } });
    expect(res.ok(), await res.text()).toBe(true);
    const body = (await res.json()) as { value: { accessToken: string } };
    this.tokens.set(login, body.value.accessToken);
    return body.value.accessToken;
  }

  /** One workflow command through POST /api/v1/commands, as `login`; resolves with the result. */
  async command(login: string, eventId: string, command: Record<string, unknown>) {
    const clientId = `e2e-${login}-${this.run}`;
    const mutationId = (this.mutationIds.get(clientId) ?? 0) + 1;
    this.mutationIds.set(clientId, mutationId);
    const res = await this.http.post(`${this.url}/api/v1/commands`, {
      headers: { authorization: `Bearer ${await this.token(login)}` },
      data: { clientId, mutations: [{ mutationId, createdAt: new Date().toISOString(), mutation: { name: 'event/command', eventId, command } }] },
    });
    expect(res.ok(), await res.text()).toBe(true);
    const body = (await res.json()) as { value?: { results: { status: string; error: unknown }[] }; results?: { status: string; error: unknown }[] };
    const result = (body.value ?? body).results![0]!;
    expect(result.status, JSON.stringify(result.error)).toBe('applied');
    return result;
  }

  /** A 12345 work order through the intake API; resolves with the event id and case number. */
  async hotlineOrder(title: string, extra: Record<string, unknown> = {}) {
    const res = await this.http.post(`${this.url}/api/v1/intake/hotline_12345`, {
      headers: { 'x-api-key': 'hyk_demo_hotline_12345' },
      data: {
        orderNo: `GZ12345-E2E-${Date.now()}-${Math.floor(Math.random() * 1e6)}`,
        appealType: '投诉',
        isUrgent: false,
        title,
        content: `${title}：新华街公益大道路面垃圾散落，影响通行`,
        classification: '城市管理/市容环境/道路不洁',
        address: '花都区新华街公益大道 18 号',
        longitude: 113.2253,
        latitude: 23.3874,
        coordinateSystem: 'wgs84',
        caller: { name: '王女士', phone: '13800138000' },
        acceptedAt: new Date().toISOString(),
        ...extra,
      },
    });
    expect(res.status(), await res.text()).toBe(201);
    return ((await res.json()) as { value: { eventId: string; caseNo: string } }).value;
  }
}

async function signIn(page: Page, login: string) {
  await page.goto('/?mode=workstation&lang=zh-CN');
  const officer = page.getByTestId('officer');
  // the session is read after the page loads: wait for the login form or the signed-in officer
  await expect(officer.or(page.getByTestId('login-name'))).toBeVisible({ timeout: 60_000 });
  if (await officer.isVisible()) {
    if ((await officer.getAttribute('data-login')) === login) return;
    await page.getByTestId('logout').click();
    await page.getByTestId('logout-confirm').click();
  }
  await page.getByTestId('login-name').fill(login);
  await page.getByTestId('login-password').fill(DEMO_PASSWORD);
  await page.getByTestId('login-password').press('Enter');
  await expect(page.getByTestId('workstation')).toBeVisible({ timeout: 60_000 });
  await expect(page.getByTestId('officer')).toHaveAttribute('data-login', login);
}

/** Opens an event by case number in a queue: the queue's key, the search, the first row. */
async function openEvent(page: Page, queueKey: string, caseNo: string) {
  await page.getByTestId('event-table-body').focus();
  await page.keyboard.press(queueKey);
  await page.getByTestId('search').fill(caseNo);
  const row = page.locator(`[data-testid=event-table-body] [data-case="${caseNo}"]`);
  await expect(row).toBeVisible({ timeout: 30_000 });
  await row.click();
  await expect(page.getByTestId('detail-case')).toHaveText(caseNo);
}

/** Presses an action's key, submits the dialog with Enter, waits for the data center's confirmation. */
async function act(page: Page, key: string, command: string, fill?: (page: Page) => Promise<void>) {
  await expect(page.getByTestId('action-bar')).toHaveAttribute('data-actions', new RegExp(`(^|,)${command}(,|$)`));
  await page.getByTestId('event-table-body').focus();
  await page.keyboard.press(key);
  const dialog = page.locator('[role=dialog]');
  await expect(dialog).toBeVisible();
  if (fill) await fill(page);
  await dialog.getByTestId('dialog-submit').click();
  await expect(dialog).toBeHidden();
  await expect(page.locator(`[data-testid=pending-entry]`).last()).toHaveAttribute('data-state', 'confirmed', { timeout: 30_000 });
}

test.describe('workstation against the real data center', () => {
  test('a duty officer runs a hotline event through the whole loop; the timeline shows every step with actor and time', async ({ page, request, baseURL }) => {
    const dc = new DataCenter(request, await dataCenterUrl(baseURL!));
    const order = await dc.hotlineOrder(`E2E 道路不洁 ${Date.now()}`);
    await signIn(page, 'duty');

    // 统一受理: file it (category confirmed in the dialog)
    await openEvent(page, '1', order.caseNo);
    await act(page, 'f', 'file', async (p) => {
      const cat = p.getByTestId('file-category').getByRole('combobox');
      if (!(await p.getByTestId('file-category').getAttribute('data-value'))) {
        await cat.fill('道路不洁');
        await cat.press('Enter');
      }
    });

    // 调度派遣: the suggestion is accepted with Enter
    await openEvent(page, '2', order.caseNo);
    // the key acts once the detail knows the officer may dispatch (the action probes answer after the row opens)
    await expect(page.getByTestId('action-bar')).toHaveAttribute('data-actions', /(^|,)dispatch(,|$)/);
    await page.getByTestId('event-table-body').focus();
    await page.keyboard.press('d');
    await expect(page.getByTestId('dispatch-dialog')).toBeVisible();
    const lead = await page.getByTestId('suggestion').getAttribute('data-unit');
    expect(lead).toBe('dept-cg');
    await page.keyboard.press('Enter');
    await expect(page.getByTestId('pending-entry').last()).toHaveAttribute('data-state', 'confirmed', { timeout: 30_000 });

    // 协调处置: the unit signs and feeds back through the data center's API
    await dc.command('unit-cg', order.eventId, { type: 'sign' });
    await dc.command('unit-cg', order.eventId, { type: 'start' });
    await dc.command('unit-cg', order.eventId, { type: 'handle', feedback: '已清扫完毕，路面恢复整洁' });

    // 核查 → 结案 → 评价
    await openEvent(page, '8', order.caseNo);
    await expect(page.getByTestId('detail-status')).toHaveAttribute('data-status', 'handled', { timeout: 30_000 });
    await act(page, 'h', 'request_check');
    await act(page, 'y', 'check_pass');
    await act(page, 'c', 'close');
    await openEvent(page, '9', order.caseNo);
    await act(page, 'l', 'evaluate', async (p) => {
      await p.getByTestId('callback-note').fill('电话回访，群众满意');
    });
    await expect(page.getByTestId('detail-status')).toHaveAttribute('data-status', 'evaluated');

    const entries = page.getByTestId('timeline-entry');
    const commands = await entries.evaluateAll((els) => els.map((e) => (e as HTMLElement).dataset.command).reverse());
    expect(commands).toEqual(['report', 'file', 'dispatch', 'sign', 'start', 'handle', 'request_check', 'check_pass', 'close', 'evaluate']);
    for (const entry of await entries.all()) {
      await expect(entry.getByTestId('timeline-actor')).not.toBeEmpty();
      await expect(entry.locator('time')).toHaveText(/\d\d-\d\d \d\d:\d\d/);
    }
    await expect(page.locator('[data-testid=timeline-entry][data-command=sign] [data-testid=timeline-actor]')).toContainText('城管局');
    for (const command of ['file', 'dispatch', 'request_check', 'check_pass', 'close', 'evaluate']) {
      await expect(page.locator(`[data-testid=timeline-entry][data-command=${command}] [data-testid=timeline-actor]`)).toContainText('值班员');
    }
  });

  test('a bounced event is re-dispatched', async ({ page, request, baseURL }) => {
    const dc = new DataCenter(request, await dataCenterUrl(baseURL!));
    const order = await dc.hotlineOrder(`E2E 退单 ${Date.now()}`);
    await dc.command('duty', order.eventId, { type: 'file', categoryCode: '040101' });
    await dc.command('duty', order.eventId, { type: 'dispatch', leadUnitId: 'dept-cg' });
    await dc.command('unit-cg', order.eventId, { type: 'bounce', reasonCode: 'wrong_location', reason: '地址不在本单位辖区' });

    await signIn(page, 'duty');
    await openEvent(page, '4', order.caseNo);
    await expect(page.getByTestId('note-bounce')).toContainText('地址不准确');
    await page.keyboard.press('d');
    const dialog = page.getByTestId('dispatch-dialog');
    await expect(dialog).toBeVisible();
    const lead = dialog.getByTestId('lead-unit').getByRole('combobox');
    await lead.fill('新华街');
    await lead.press('Enter');
    await expect(dialog.getByTestId('lead-unit')).toHaveAttribute('data-value', 'town-440114001000');
    await dialog.getByTestId('dialog-submit').click();
    await expect(page.getByTestId('pending-entry').last()).toHaveAttribute('data-state', 'confirmed', { timeout: 30_000 });
    await expect(page.getByTestId('detail-status')).toHaveAttribute('data-status', 'dispatched');
    await expect(page.getByTestId('timeline-entry').first()).toHaveAttribute('data-command', 'dispatch');
  });

  test('an extension request is granted', async ({ page, request, baseURL }) => {
    const dc = new DataCenter(request, await dataCenterUrl(baseURL!));
    const order = await dc.hotlineOrder(`E2E 延期 ${Date.now()}`);
    await dc.command('duty', order.eventId, { type: 'file', categoryCode: '040101' });
    await dc.command('duty', order.eventId, { type: 'dispatch', leadUnitId: 'dept-cg' });
    await dc.command('unit-cg', order.eventId, { type: 'sign' });
    await dc.command('unit-cg', order.eventId, { type: 'request_extension', duration: { unit: 'working_days', amount: 2 }, reason: '需协调交通部门' });

    await signIn(page, 'duty');
    await openEvent(page, '6', order.caseNo);
    await expect(page.getByTestId('note-extension')).toContainText('需协调交通部门');
    const before = await page.getByTestId('clock').first().getAttribute('data-kind');
    await act(page, 'g', 'grant_extension');
    await expect(page.getByTestId('note-extension')).toHaveCount(0);
    await expect(page.getByTestId('timeline-entry').first()).toHaveAttribute('data-command', 'grant_extension');
    expect(before).not.toBeNull();
  });

  test('a wall-viewer account sees no dispatch action and the data center refuses a forged one', async ({ page, request, baseURL }) => {
    const dc = new DataCenter(request, await dataCenterUrl(baseURL!));
    const order = await dc.hotlineOrder(`E2E 大屏 ${Date.now()}`);
    await dc.command('duty', order.eventId, { type: 'file', categoryCode: '040101' });

    await signIn(page, 'wall');
    await openEvent(page, '2', order.caseNo);
    await expect(page.getByTestId('action-bar')).toHaveAttribute('data-actions', '');
    await expect(page.getByTestId('action-dispatch')).toHaveCount(0);
    await page.keyboard.press('d');
    await expect(page.getByTestId('dispatch-dialog')).toHaveCount(0);

    // forged: the same data service, asked directly over its socket
    const forged = await rpc<{ entry: { mutationId: number } }>(baseURL!, 'commands/submit', { mutation: { name: 'event/command', eventId: order.eventId, command: { type: 'dispatch', leadUnitId: 'dept-cg' } } });
    expect(forged.ok).toBe(true);
    const pending = page.getByTestId('pending-entry').last();
    await expect(pending).toHaveAttribute('data-state', 'rejected', { timeout: 30_000 });
    await expect(pending).toContainText('当前角色无权执行此操作');
    await expect(page.getByTestId('detail-status')).toHaveAttribute('data-status', 'filed');
  });
});
