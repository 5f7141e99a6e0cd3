/**
 * Dispatching while the data center is down (issue 6, point 7): this spec
 * starts its own data center (embedded PGlite in a temp folder, on a port it
 * keeps) and its own web host pointed at it, so it can stop and restart the
 * data center. With the data center stopped the officer dispatches three
 * events — each shows "queued offline" — and when it returns each dispatch
 * lands exactly once (one `dispatch` on each event's audit trail, every
 * outbox entry confirmed).
 *
 * Nothing is faked and nothing is skipped.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, test, type Page } from '@playwright/test';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const DEMO_PASSWORD = 'huying-demo';

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

/** Starts a process and resolves with the first stdout line matching `ready`. */
function start(args: string[], ready: RegExp, timeoutMs = 180_000): Promise<{ child: ChildProcess; line: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], detached: false });
    let buffer = '';
    const timer = setTimeout(() => reject(new Error(`not ready after ${timeoutMs} ms: ${args.join(' ')}\n${buffer.slice(-2000)}`)), timeoutMs);
    child.stdout!.on('data', (d: Buffer) => {
      buffer += d.toString();
      for (const line of buffer.split('\n')) {
        if (ready.test(line)) {
          clearTimeout(timer);
          resolve({ child, line });
          return;
        }
      }
    });
    child.stderr!.on('data', (d: Buffer) => (buffer += d.toString()));
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`exited with ${code} before ready: ${args.join(' ')}\n${buffer.slice(-2000)}`));
    });
  });
}

function stop(child: ChildProcess | null): Promise<void> {
  if (!child || child.exitCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const kill = setTimeout(() => child.kill('SIGKILL'), 10_000);
    child.once('exit', () => {
      clearTimeout(kill);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

test.describe.configure({ mode: 'serial', timeout: 600_000 });

let dir = '';
let dcPort = 0;
let dc: ChildProcess | null = null;
let host: ChildProcess | null = null;
let hostUrl = '';
let dcUrl = '';

async function startDataCenter() {
  const started = await start(['src/datacenter/cli.ts', '--port', String(dcPort), '--data', path.join(dir, 'datacenter'), '--seed', 'demo'], /"msg":"data center ready"/);
  dc = started.child;
}

test.beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'huying-ws-offline-'));
  dcPort = await freePort();
  dcUrl = `http://127.0.0.1:${dcPort}`;
  await startDataCenter();
  const started = await start(['src/main/web-host/cli.ts', '--port', '0', '--data', path.join(dir, 'web'), '--datacenter', dcUrl, '--renderer', path.join(ROOT, 'out', 'renderer')], /^Huying web host: /);
  host = started.child;
  hostUrl = started.line.replace(/^Huying web host: /, '').trim().replace(/\/$/, '');
});

test.afterAll(async () => {
  await stop(host);
  await stop(dc);
  if (dir) rmSync(dir, { recursive: true, force: true });
});

async function api(path_: string, body: unknown, token?: string, apiKey?: string) {
  const res = await fetch(`${dcUrl}${path_}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}), ...(apiKey ? { 'x-api-key': apiKey } : {}) },
    body: JSON.stringify(body),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${path_}: ${res.status} ${text}`);
  return JSON.parse(text) as { value?: unknown } & Record<string, unknown>;
}

async function openEvent(page: Page, caseNo: string) {
  await page.getByTestId('event-table-body').focus();
  await page.keyboard.press('2');
  await page.getByTestId('search').fill(caseNo);
  const row = page.locator(`[data-testid=event-table-body] [data-case="${caseNo}"]`);
  await expect(row).toBeVisible({ timeout: 60_000 });
  await row.click();
  await expect(page.getByTestId('detail-case')).toHaveText(caseNo);
}

test('with the data center stopped, three dispatches queue offline and land exactly once when it returns', async ({ page }) => {
  // three filed events, entered and filed at the data center
  const login = (await api('/api/v1/auth/login', { login: 'duty', password: DEMO_PASSWORD })) as { value: { accessToken: string } };
  const token = login.value.accessToken;
  const cases: { eventId: string; caseNo: string }[] = [];
  for (let i = 0; i < 3; i++) {
    const order = (await api(
      '/api/v1/intake/hotline_12345',
      { orderNo: `OFFLINE-${Date.now()}-${i}`, appealType: '投诉', content: `离线派遣测试 ${i}：新华街路面垃圾`, address: '花都区新华街公益大道', longitude: 113.2253, latitude: 23.3874, coordinateSystem: 'wgs84', acceptedAt: new Date().toISOString() },
      undefined,
      'hyk_demo_hotline_12345',
    )) as { value: { eventId: string; caseNo: string } };
    cases.push(order.value);
  }
  const clientId = `e2e-offline-${Date.now()}`;
  await api('/api/v1/commands', { clientId, mutations: cases.map((c, i) => ({ mutationId: i + 1, createdAt: new Date().toISOString(), mutation: { name: 'event/command', eventId: c.eventId, command: { type: 'file', categoryCode: '040101' } } })) }, token);

  await page.goto(`${hostUrl}/?mode=workstation&lang=zh-CN`);
  await page.getByTestId('login-name').fill('duty');
  await page.getByTestId('login-password').fill(DEMO_PASSWORD);
  await page.getByTestId('login-password').press('Enter');
  await expect(page.getByTestId('workstation')).toBeVisible({ timeout: 60_000 });
  for (const c of cases) await openEvent(page, c.caseNo);

  // the data center goes away
  await stop(dc);
  await expect(page.getByTestId('sync-status')).toHaveAttribute('data-state', 'offline', { timeout: 60_000 });

  for (const c of cases) {
    await openEvent(page, c.caseNo);
    await page.keyboard.press('d');
    await expect(page.getByTestId('dispatch-dialog')).toBeVisible();
    await page.keyboard.press('Enter');
    await expect(page.getByTestId('dispatch-dialog')).toBeHidden();
    await expect(page.getByTestId('pending-entry').last()).toHaveAttribute('data-state', 'queuedOffline');
  }
  await expect(page.getByTestId('outbox-summary')).toHaveAttribute('data-queued', '3');

  // it comes back: every dispatch lands, once
  await startDataCenter();
  await expect(page.getByTestId('sync-status')).toHaveAttribute('data-state', 'live', { timeout: 120_000 });
  await expect(page.getByTestId('outbox-summary')).toHaveAttribute('data-queued', '0', { timeout: 120_000 });
  await expect(page.getByTestId('outbox-summary')).toHaveAttribute('data-sent', '0', { timeout: 120_000 });
  await expect(page.getByTestId('outbox-summary')).toHaveAttribute('data-rejected', '0');
  // the restarted data center signs its tokens with the key kept in its database: a new login all the same
  const token2 = ((await api('/api/v1/auth/login', { login: 'duty', password: DEMO_PASSWORD })) as { value: { accessToken: string } }).value.accessToken;
  for (const c of cases) {
    await page.getByTestId('event-table-body').focus();
    await page.keyboard.press('0');
    await page.getByTestId('search').fill(c.caseNo);
    await page.locator(`[data-testid=event-table-body] [data-case="${c.caseNo}"]`).click();
    await expect(page.getByTestId('detail-status')).toHaveAttribute('data-status', 'dispatched', { timeout: 60_000 });
    await expect(page.locator('[data-testid=timeline-entry][data-command=dispatch]')).toHaveCount(1);
    // and at the data center itself: one dispatch on the event's audit trail
    const res = await fetch(`${dcUrl}/api/v1/events/${c.eventId}`, { headers: { authorization: `Bearer ${token2}` } });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { value: { event: { workflow: { status: string } }; audit: { command: string; actorId: string }[] } };
    expect(body.value.event.workflow.status).toBe('dispatched');
    expect(body.value.audit.filter((a) => a.command === 'dispatch').map((a) => a.actorId)).toEqual(['demo-duty']);
  }
});
