/**
 * The web host end to end, without a browser: static renderer files with
 * the right types and headers, the SPA fallback (and where it must not
 * apply), the RPC over a WebSocket on /rpc with its origin check, pushed
 * sync status, and the embedded data center as a supervised child process.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import type { AreasTree, GridsGeometry, SyncStatus } from '../../../src/core/index';
import { startWebHost, type WebHost, type WebHostOptions } from '../../../src/main/web-host/index';
import { startFakeDataCenter } from '../service/fake-datacenter';
import { makeDistrict, recordingLogger } from '../service/fixtures';
import { connectRpc } from './ws-client';

const FAKE_CLI = fileURLToPath(new URL('./fake-datacenter-cli.ts', import.meta.url));
const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

function tempDir(prefix: string): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), prefix));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** A stand-in for out/renderer with the kinds of files a Vite build emits. */
function fakeRenderer(): string {
  const dir = tempDir('huying-renderer-');
  mkdirSync(path.join(dir, 'assets'));
  writeFileSync(path.join(dir, 'index.html'), '<!doctype html><title>呼应</title><script type="module" crossorigin src="./assets/index-abc123.js"></script><link rel="stylesheet" href="./assets/index-abc123.css"><div id="root"></div>');
  writeFileSync(path.join(dir, 'assets', 'index-abc123.js'), 'console.log("app")');
  writeFileSync(path.join(dir, 'assets', 'maplibre-gl-worker-def456.mjs'), 'self.onmessage = () => {}');
  writeFileSync(path.join(dir, 'assets', 'index-abc123.css'), 'body{margin:0}');
  writeFileSync(path.join(dir, 'assets', 'decoder-0a1b.wasm'), Buffer.from([0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00]));
  writeFileSync(path.join(dir, 'favicon.svg'), '<svg xmlns="http://www.w3.org/2000/svg"/>');
  return dir;
}

async function host(opts: Partial<WebHostOptions> = {}): Promise<{ host: WebHost; log: ReturnType<typeof recordingLogger> }> {
  const log = recordingLogger();
  const h = await startWebHost({ port: 0, dataDir: tempDir('huying-web-'), rendererDir: fakeRenderer(), logger: log.logger, onDataCenterOutput: () => undefined, ...opts });
  cleanups.push(() => h.close());
  return { host: h, log };
}

const rpcUrl = (h: WebHost) => `${h.url.replace(/^http/, 'ws')}rpc`;

describe('web host against an external data center', () => {
  it('serves the renderer with the right types, headers and SPA fallback', async () => {
    const dc = await startFakeDataCenter(makeDistrict());
    cleanups.push(() => dc.close());
    const rendererDir = fakeRenderer();
    writeFileSync(path.join(rendererDir, '.env'), 'SECRET=1');
    const { host: h } = await host({ dataCenterUrl: dc.url, rendererDir });
    expect(h.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
    expect(h.dataCenterUrl).toBe(dc.url);

    const get = (p: string) => fetch(new URL(p, h.url));
    const index = await get('/');
    expect(index.status).toBe(200);
    expect(index.headers.get('content-type')).toMatch(/^text\/html/);
    expect(await index.text()).toContain('<title>呼应</title>');
    const csp = index.headers.get('content-security-policy')!;
    expect(csp).toContain("default-src 'self'");
    expect(csp).toContain("worker-src 'self' blob:");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(index.headers.get('x-content-type-options')).toBe('nosniff');
    expect(index.headers.get('cache-control')).toBe('no-cache');

    const types: [string, RegExp][] = [
      ['/assets/index-abc123.js', /^text\/javascript/],
      ['/assets/maplibre-gl-worker-def456.mjs', /^text\/javascript/],
      ['/assets/index-abc123.css', /^text\/css/],
      ['/assets/decoder-0a1b.wasm', /^application\/wasm$/],
      ['/favicon.svg', /^image\/svg\+xml/],
    ];
    for (const [p, type] of types) {
      const res = await get(p);
      expect(res.status, p).toBe(200);
      expect(res.headers.get('content-type'), p).toMatch(type);
      expect(res.headers.get('content-security-policy'), p).toBe(csp);
    }
    expect((await get('/assets/index-abc123.js')).headers.get('cache-control')).toContain('immutable');

    // page paths are the SPA's
    for (const p of ['/wall', '/workstation/events/42', '/index.html']) {
      const res = await get(p);
      expect(res.status, p).toBe(200);
      expect(res.headers.get('content-type'), p).toMatch(/^text\/html/);
      expect(res.headers.get('content-security-policy'), p).toBe(csp);
      const html = await res.text();
      expect(html, p).toContain('<div id="root">');
      // the build's relative asset URLs must resolve from a nested page path too
      const script = new URL(/src="([^"]+)"/.exec(html)![1]!, new URL(p, h.url));
      expect(script.pathname, p).toBe('/assets/index-abc123.js');
      const style = new URL(/href="([^"]+)"/.exec(html)![1]!, new URL(p, h.url));
      expect(style.pathname, p).toBe('/assets/index-abc123.css');
    }
    // but missing files, the RPC path and API paths are real 404s
    for (const p of ['/assets/index-missing.js', '/assets/chunk', '/logo.png', '/rpc/extra', '/api/v1/areas']) {
      const res = await get(p);
      expect(res.status, p).toBe(404);
      expect(res.headers.get('content-type'), p).toMatch(/^application\/json/);
    }
    const plainRpc = await get('/rpc');
    expect(plainRpc.status).toBe(426);
    // no dotfiles, no directory listings
    const dot = await get('/.env');
    expect(dot.status).toBe(403);
    expect(await dot.text()).not.toContain('SECRET');
    const listing = await get('/assets/');
    expect(await listing.text()).not.toContain('index-abc123.js');
  });

  it('answers the contract over the /rpc WebSocket and pushes sync status', async () => {
    const dc = await startFakeDataCenter(makeDistrict());
    cleanups.push(() => dc.close());
    const { host: h } = await host({ dataCenterUrl: dc.url, sync: { pollIntervalMs: 60_000 } });
    const client = await connectRpc(rpcUrl(h));
    cleanups.push(() => client.close());
    client.subscribe('sync/status');

    const tree = await client.request('areas/tree');
    expect(tree.ok).toBe(true);
    const district = (tree as { result: AreasTree }).result.district;
    expect(district.children).toHaveLength(2);
    expect(district.children.flatMap((t) => t.children)).toHaveLength(3);
    const geo = await client.request('grids/geometry');
    expect((geo as { result: GridsGeometry }).result.grids).toHaveLength(5);
    const info = await client.request('app/info');
    expect(info).toMatchObject({ ok: true, result: { shell: 'web', dataCenterUrl: dc.url, locale: 'zh-CN' } });
    expect(await client.request('no/such')).toMatchObject({ ok: false, error: { code: 'unknown_method' } });
    expect(await client.request('areas/tree', { extra: 1 })).toMatchObject({ ok: false, error: { code: 'invalid_args' } });

    dc.setData(makeDistrict({ version: 'v2', extraGrid: true }));
    await h.service.syncNow();
    await expect.poll(() => (client.events.get('sync/status') ?? []).map((s) => (s as SyncStatus).version)).toContain('v2');
    const last = (client.events.get('sync/status') ?? []).at(-1) as SyncStatus;
    expect(last).toMatchObject({ state: 'live', version: 'v2' });
    const geo2 = await client.request('grids/geometry');
    expect((geo2 as { result: GridsGeometry }).result.grids).toHaveLength(6);
  });

  it('lets its own pages open /rpc and refuses other origins', async () => {
    const dc = await startFakeDataCenter(makeDistrict());
    cleanups.push(() => dc.close());
    const { host: h } = await host({ dataCenterUrl: dc.url, allowedOrigins: ['https://wall.example.org'] });
    const own = await connectRpc(rpcUrl(h), h.url.replace(/\/$/, ''));
    await own.close();
    const localhost = await connectRpc(rpcUrl(h), h.url.replace('127.0.0.1', 'localhost').replace(/\/$/, ''));
    await localhost.close();
    const proxied = await connectRpc(rpcUrl(h), 'https://wall.example.org');
    await proxied.close();
    await expect(connectRpc(rpcUrl(h), 'http://evil.example.com')).rejects.toThrow(/403/);
    // a page on another port of this machine is another origin too
    await expect(connectRpc(rpcUrl(h), 'http://127.0.0.1:1')).rejects.toThrow(/403/);
  });

  it('explains an unbuilt renderer instead of serving nothing', async () => {
    const dc = await startFakeDataCenter(makeDistrict());
    cleanups.push(() => dc.close());
    const { host: h, log } = await host({ dataCenterUrl: dc.url, rendererDir: path.join(tempDir('huying-empty-'), 'missing') });
    const res = await fetch(h.url);
    expect(res.status).toBe(503);
    expect(await res.text()).toMatch(/renderer is not built/);
    expect(log.entries.some((e) => e.level === 'warn' && /not built/.test(e.msg))).toBe(true);
  });

  it('fails clearly when the port is taken and leaves nothing running', async () => {
    const dc = await startFakeDataCenter(makeDistrict());
    cleanups.push(() => dc.close());
    const { host: first } = await host({ dataCenterUrl: dc.url });
    const port = Number(new URL(first.url).port);
    await expect(startWebHost({ port, dataDir: tempDir('huying-web-'), dataCenterUrl: dc.url, logger: recordingLogger().logger })).rejects.toMatchObject({
      code: 'EADDRINUSE',
    });
  });
});

describe('web host with the embedded data center (child process)', () => {
  const alive = (pid: number) => {
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  };

  it('starts it, uses it, and stops it on close', async () => {
    const dataDir = tempDir('huying-web-');
    const { host: h } = await host({ dataDir, dataCenterCli: FAKE_CLI });
    expect(h.dataCenterPid).toBeGreaterThan(0);
    expect(h.dataCenterUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const client = await connectRpc(rpcUrl(h));
    const tree = await client.request('areas/tree');
    expect((tree as { result: AreasTree }).result.district.children).toHaveLength(2);
    expect(h.service.syncStatus().state).toBe('live');
    await client.close();
    const pid = h.dataCenterPid!;
    await h.close();
    expect(alive(pid)).toBe(false);
  });

  it('says so in the log and the sync status when the child dies', async () => {
    const { host: h, log } = await host({ dataCenterCli: FAKE_CLI });
    const client = await connectRpc(rpcUrl(h));
    cleanups.push(() => client.close());
    client.subscribe('sync/status');
    await expect.poll(() => h.service.syncStatus().state).toBe('live');
    process.kill(h.dataCenterPid!, 'SIGKILL');
    await expect.poll(() => h.service.syncStatus().state).toBe('offline');
    expect(h.service.syncStatus().message).toMatch(/embedded data center exited unexpectedly \(signal SIGKILL\)/);
    expect(log.entries.some((e) => e.level === 'error' && /exited unexpectedly/.test(e.msg))).toBe(true);
    await expect.poll(() => (client.events.get('sync/status') ?? []).some((s) => /exited unexpectedly/.test((s as SyncStatus).message ?? ''))).toBe(true);
    // the replica keeps serving
    const geo = await client.request('grids/geometry');
    expect((geo as { result: GridsGeometry }).result.grids).toHaveLength(5);
  });

  it('reports a child that dies before it is ready, with its last output', async () => {
    process.env.FAKE_DC_MODE = 'exit-early';
    cleanups.push(() => void delete process.env.FAKE_DC_MODE);
    await expect(
      startWebHost({ port: 0, dataDir: tempDir('huying-web-'), dataCenterCli: FAKE_CLI, logger: recordingLogger().logger, onDataCenterOutput: () => undefined }),
    ).rejects.toThrow(/exited before it was ready \(code 3\)[\s\S]*disk on fire/);
  });

  it('kills a child that ignores SIGTERM', async () => {
    process.env.FAKE_DC_MODE = 'ignore-term';
    cleanups.push(() => void delete process.env.FAKE_DC_MODE);
    const { startEmbeddedDataCenter } = await import('../../../src/main/web-host/embedded-datacenter');
    const log = recordingLogger();
    const dc = await startEmbeddedDataCenter({ dataDir: tempDir('huying-dc-'), cliPath: FAKE_CLI, log: log.logger, stopTimeoutMs: 300, onOutput: () => undefined });
    await dc.stop();
    expect(alive(dc.pid)).toBe(false);
    expect(log.entries.some((e) => e.level === 'warn' && /did not stop in time/.test(e.msg))).toBe(true);
  });
});
