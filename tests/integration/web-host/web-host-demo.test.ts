/**
 * What `npm run web` does, minus the browser: the web host starts the real
 * data center CLI (src/datacenter/cli.ts) as its child with the demo
 * district, replicates it, and a WebSocket client on /rpc sees the whole
 * district. The renderer files are a stand-in; the end-to-end test in
 * Chromium covers the real build.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AreasTree, GridsGeometry, SyncStatus } from '../../../src/core/index';
import { startWebHost, type WebHost } from '../../../src/main/web-host/index';
import { recordingLogger } from '../service/fixtures';
import { connectRpc, type RpcTestClient } from './ws-client';

let dir: string;
let host: WebHost;
let client: RpcTestClient;
const output: string[] = [];

beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'huying-web-demo-'));
  const renderer = path.join(dir, 'renderer');
  mkdirSync(renderer);
  writeFileSync(path.join(renderer, 'index.html'), '<!doctype html><div id="root"></div>');
  host = await startWebHost({ port: 0, dataDir: path.join(dir, 'data'), rendererDir: renderer, logger: recordingLogger().logger, onDataCenterOutput: (line) => void output.push(line) });
  client = await connectRpc(`${host.url.replace(/^http/, 'ws')}rpc`, host.url.replace(/\/$/, ''));
}, 180_000);

afterAll(async () => {
  await client?.close();
  await host?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('web host with the embedded demo data center', () => {
  it('reports the whole demo district over the WebSocket', async () => {
    expect(host.dataCenterPid).toBeGreaterThan(0);
    expect(output.some((l) => l.includes('"data center ready"'))).toBe(true);

    const tree = await client.request('areas/tree');
    if (!tree.ok) throw new Error(tree.error.message);
    const district = (tree.result as AreasTree).district;
    expect(district.children).toHaveLength(10);
    expect(district.children.reduce((n, t) => n + t.children.length, 0)).toBe(252);
    expect(district.gridCount).toBe(1401);

    const geo = await client.request('grids/geometry');
    if (!geo.ok) throw new Error(geo.error.message);
    expect((geo.result as GridsGeometry).grids).toHaveLength(1401);

    const status = await client.request('sync/status');
    expect(status).toMatchObject({ ok: true, result: { state: 'live', dataCenterUrl: host.dataCenterUrl } });
    expect((status as { result: SyncStatus }).result.version).toBe((tree.result as AreasTree).version);
  });

  it('stops the data center with the host', async () => {
    const pid = host.dataCenterPid!;
    await client.close();
    await host.close();
    expect(() => process.kill(pid, 0)).toThrow();
    expect(output.some((l) => l.includes('data center stopped'))).toBe(true);
  });
});
