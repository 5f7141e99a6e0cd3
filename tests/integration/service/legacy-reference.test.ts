/**
 * The data service against a data center WITHOUT the sync feed (the first
 * cut's reference endpoints only; the snapshot answers 404), over real
 * HTTP: first sync,
 * polling that fetches only when the version moves, offline start from an
 * existing replica, malformed responses refused with the replica untouched,
 * and the status it pushes on the way.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { ServerResponse } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { answer, parseEvent, type AreasTree, type GridsGeometry, type SyncStatus } from '../../../src/core/index';
import { createDataService, type DataService, type DataServiceOptions } from '../../../src/main/service/index';
import { deadPort, sendJson, startFakeDataCenter, type FakeDataCenter } from './fake-datacenter';
import { makeDistrict, recordingLogger } from './fixtures';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

function tempDir(): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'huying-service-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

async function fake(d = makeDistrict()): Promise<FakeDataCenter> {
  const dc = await startFakeDataCenter(d);
  cleanups.push(() => dc.close());
  return dc;
}

async function service(opts: Partial<DataServiceOptions> & { dataCenterUrl: string; dataDir: string }) {
  const log = recordingLogger();
  const statuses: SyncStatus[] = [];
  const svc = await createDataService({
    shell: 'web',
    logger: log.logger,
    sync: { autoStart: false, retryInitialMs: 20, retryMaxMs: 100, readyTimeoutMs: 200, ...opts.sync },
    ...opts,
  });
  cleanups.push(() => svc.close());
  svc.subscribe('sync/status', (s) => statuses.push(parseEvent('sync/status', s)));
  return { svc, log, statuses };
}

async function call(svc: DataService, name: string) {
  return answer(svc.handlers, name, {});
}

describe('data service', () => {
  it('replicates the reference data on the first sync and answers the contract from it', async () => {
    const dc = await fake();
    const { svc, statuses } = await service({ dataCenterUrl: dc.url, dataDir: tempDir(), appVersion: '1.2.3' });
    expect(svc.syncStatus().state).toBe('connecting');
    expect(await svc.syncNow()).toBe('applied');

    expect(statuses.map((s) => s.state)).toContain('snapshot');
    const last = statuses.at(-1)!;
    expect(last).toMatchObject({ state: 'live', version: 'v1', offlineSince: null, progress: null, message: null, dataCenterUrl: dc.url });
    expect(Date.parse(last.lastBatchAt!)).toBeGreaterThan(Date.now() - 10_000);
    const finalProgress = statuses.filter((s) => s.state === 'snapshot').at(-1)!.progress!;
    expect(finalProgress.rows).toBe(finalProgress.totalRows); // 6 areas + 6 grids + 5 units
    expect(finalProgress.rows).toBe(17);
    expect(finalProgress.bytes).toBeGreaterThan(1000);

    const info = await call(svc, 'app/info');
    expect(info).toEqual({ ok: true, result: { name: 'Huying', version: '1.2.3', shell: 'web', dataCenterUrl: dc.url, locale: 'zh-CN' } });

    const tree = await call(svc, 'areas/tree');
    if (!tree.ok) throw new Error(tree.error.message);
    const t = tree.result as AreasTree;
    expect(t.version).toBe('v1');
    expect(t.district.gridCount).toBe(5); // the grid replaced in 2020 is not counted
    expect(t.district.children.map((c) => [c.code, c.gridCount, c.children.length])).toEqual([
      ['440114001000', 3, 2],
      ['440114002000', 2, 1],
    ]);
    expect(t.district.children[0]!.children.map((v) => v.gridCount)).toEqual([2, 1]);
    expect(JSON.stringify(t)).not.toContain('coordinates');

    const geo = await call(svc, 'grids/geometry');
    if (!geo.ok) throw new Error(geo.error.message);
    const g = geo.result as GridsGeometry;
    expect(g.grids.map((x) => x.code)).not.toContain('440114002001900');
    expect(g.grids).toHaveLength(5);
    expect(g.grids.find((x) => x.code === '440114001001002')!.workers.map((w) => w.name)).toEqual(['张伟', '李娜']);
    expect(g.boundaries.map((b) => [b.level, b.townCode])).toEqual([
      ['district', null],
      ['town', '440114001000'],
      ['town', '440114002000'],
      ['village', '440114001000'],
      ['village', '440114001000'],
      ['village', '440114002000'],
    ]);

    expect(await call(svc, 'sync/status')).toEqual({ ok: true, result: svc.syncStatus() });
  });

  it('polls the version and fetches the data only when it changed, replacing the rows', async () => {
    const dc = await fake();
    const { svc } = await service({ dataCenterUrl: dc.url, dataDir: tempDir() });
    await svc.syncNow();
    expect(await svc.syncNow()).toBe('unchanged');
    expect(dc.hits.get('/api/v1/grids')).toBe(1);
    expect(dc.hits.get('/api/v1/reference/version')).toBe(2);

    dc.setData(makeDistrict({ version: 'v2', extraGrid: true, renameTown: '新华街道' }));
    expect(await svc.syncNow()).toBe('applied');
    expect(dc.hits.get('/api/v1/grids')).toBe(2);
    const tree = await call(svc, 'areas/tree');
    expect(tree.ok && (tree.result as { version: string }).version).toBe('v2');
    const town = tree.ok && (tree.result as AreasTree).district.children[0];
    expect(town && town.name).toBe('新华街道');
    const geo = await call(svc, 'grids/geometry');
    expect(geo.ok && (geo.result as { grids: unknown[] }).grids).toHaveLength(6);
    expect(svc.syncStatus().version).toBe('v2');
  });

  it('polls by itself on the configured interval', async () => {
    const dc = await fake();
    const { svc } = await service({ dataCenterUrl: dc.url, dataDir: tempDir(), sync: { autoStart: true, pollIntervalMs: 40 } });
    await expect.poll(() => svc.syncStatus().version, { timeout: 5000 }).toBe('v1');
    dc.setData(makeDistrict({ version: 'v2', extraGrid: true }));
    await expect.poll(() => svc.syncStatus().version, { timeout: 5000 }).toBe('v2');
    expect(dc.hits.get('/api/v1/reference/version')!).toBeGreaterThanOrEqual(2);
  });

  it('starts offline from an existing replica, serves it at once, and goes live when the data center returns', async () => {
    const dir = tempDir();
    const port = await deadPort();
    {
      const dc = await startFakeDataCenter(makeDistrict(), port);
      const first = await createDataService({ shell: 'web', dataDir: dir, dataCenterUrl: dc.url, logger: recordingLogger().logger, sync: { autoStart: false } });
      await first.syncNow();
      await first.close();
      await dc.close();
    }

    const { svc, log, statuses } = await service({ dataCenterUrl: `http://127.0.0.1:${port}`, dataDir: dir });
    // before any contact: the stored version and time are reported, and queries answer from the replica
    expect(svc.syncStatus()).toMatchObject({ state: 'connecting', version: 'v1' });
    expect(svc.syncStatus().lastBatchAt).not.toBeNull();
    const started = Date.now();
    const tree = await call(svc, 'areas/tree');
    expect(tree.ok).toBe(true);
    expect(Date.now() - started).toBeLessThan(150); // did not wait for the (dead) data center

    expect(await svc.syncNow()).toBe('unavailable');
    const offline = svc.syncStatus();
    expect(offline.state).toBe('offline');
    expect(offline.offlineSince).not.toBeNull();
    expect(offline.message).toMatch(/cannot reach the data center/);
    expect(log.entries.some((e) => e.level === 'warn' && /unreachable/.test(e.msg))).toBe(true);
    expect(await svc.syncNow()).toBe('unavailable');
    expect(svc.syncStatus().offlineSince).toBe(offline.offlineSince); // kept across retries
    expect((await call(svc, 'grids/geometry')).ok).toBe(true);

    const back = await startFakeDataCenter(makeDistrict(), port);
    cleanups.push(() => back.close());
    expect(await svc.syncNow()).toBe('unchanged');
    expect(svc.syncStatus()).toMatchObject({ state: 'live', offlineSince: null, message: null, version: 'v1' });
    expect(back.hits.get('/api/v1/grids')).toBeUndefined(); // same version: nothing refetched
    // offline (with whatever socket error each retry met), then live; never live while down
    // (a subscriber first hears the current status: connecting)
    expect(statuses.map((s) => s.state).filter((s, i, all) => s !== all[i - 1])).toEqual(['connecting', 'offline', 'live']);
  });

  it('retries by itself with backoff while the data center is down, then catches up', async () => {
    const port = await deadPort();
    const { svc, statuses } = await service({ dataCenterUrl: `http://127.0.0.1:${port}`, dataDir: tempDir(), sync: { autoStart: true, retryInitialMs: 20, retryMaxMs: 80 } });
    await expect.poll(() => svc.syncStatus().state).toBe('offline');
    const dc = await startFakeDataCenter(makeDistrict(), port);
    cleanups.push(() => dc.close());
    await expect.poll(() => svc.syncStatus().state, { timeout: 5000 }).toBe('live');
    expect(svc.syncStatus().version).toBe('v1');
    expect(statuses.map((s) => s.state).slice(0, 2)).toEqual(['connecting', 'offline']);
  });

  it('answers unavailable when the replica is empty and the data center cannot be reached', async () => {
    const { svc } = await service({ dataCenterUrl: `http://127.0.0.1:${await deadPort()}`, dataDir: tempDir(), sync: { autoStart: true, readyTimeoutMs: 100 } });
    const reply = await call(svc, 'areas/tree');
    expect(reply).toMatchObject({ ok: false, error: { code: 'unavailable' } });
  });

  it('lets a request on an empty replica wait for the first sync', async () => {
    const dc = await fake();
    const { svc } = await service({ dataCenterUrl: dc.url, dataDir: tempDir(), sync: { autoStart: false, readyTimeoutMs: 5000 } });
    const pending = call(svc, 'grids/geometry');
    await svc.syncNow();
    const reply = await pending;
    expect(reply.ok && (reply.result as { grids: unknown[] }).grids).toHaveLength(5);
  });

  describe('refuses malformed responses and leaves the replica untouched', () => {
    const cases: [string, string, (res: ServerResponse) => void][] = [
      ['grids that are not JSON', '/api/v1/grids', (res) => res.end('{"version":"v2","grids":[')],
      [
        'a grid code of the wrong length',
        '/api/v1/grids',
        (res) => {
          const d = makeDistrict({ version: 'v2' });
          d.grids[0]!.code = '4401';
          sendJson(res, 200, { version: 'v2', grids: d.grids });
        },
      ],
      [
        'an area with an open ring',
        '/api/v1/areas',
        (res) => {
          const d = makeDistrict({ version: 'v2' });
          (d.areas[1]!.geometry as { coordinates: number[][][] }).coordinates[0] = [[113, 23]];
          sendJson(res, 200, { version: 'v2', areas: d.areas });
        },
      ],
      [
        'fewer grids than announced',
        '/api/v1/grids',
        (res) => {
          const d = makeDistrict({ version: 'v2' });
          sendJson(res, 200, { version: 'v2', grids: d.grids.slice(1) });
        },
      ],
      ['a version document without counts', '/api/v1/reference/version', (res) => sendJson(res, 200, { version: 'v2' })],
    ];
    for (const [what, url, respond] of cases) {
      it(what, async () => {
        const dc = await fake();
        const { svc, log } = await service({ dataCenterUrl: dc.url, dataDir: tempDir() });
        await svc.syncNow();
        const before = await call(svc, 'grids/geometry');
        const beforeTree = await call(svc, 'areas/tree');

        dc.setData(makeDistrict({ version: 'v2' }));
        dc.override(url, respond);
        expect(await svc.syncNow()).toBe('malformed');

        const errors = log.entries.filter((e) => e.level === 'error');
        expect(errors).toHaveLength(1);
        expect(errors[0]!.msg).toMatch(/refused malformed data/);
        expect(svc.syncStatus()).toMatchObject({ state: 'offline', version: 'v1' });
        expect(svc.syncStatus().message).toMatch(/refused malformed data/);
        expect(await call(svc, 'grids/geometry')).toEqual(before);
        expect(await call(svc, 'areas/tree')).toEqual(beforeTree);

        // the next good answer is taken
        dc.override(url, null);
        expect(await svc.syncNow()).toBe('applied');
        expect(svc.syncStatus()).toMatchObject({ state: 'live', version: 'v2', message: null, offlineSince: null });
      });
    }
  });

  it('does not apply a set whose parts carry different versions (data changed mid-fetch)', async () => {
    const dc = await fake();
    const { svc } = await service({ dataCenterUrl: dc.url, dataDir: tempDir() });
    await svc.syncNow();
    dc.setData(makeDistrict({ version: 'v2', extraGrid: true }));
    dc.override('/api/v1/units', (res) => sendJson(res, 200, { version: 'v3', units: makeDistrict().units }));
    expect(await svc.syncNow()).toBe('unavailable');
    expect(svc.syncStatus().version).toBe('v1');
    const geo = await call(svc, 'grids/geometry');
    expect(geo.ok && (geo.result as { grids: unknown[] }).grids).toHaveLength(5);
  });

  it('treats an HTTP error as unreachable, not malformed', async () => {
    const dc = await fake();
    const { svc, log } = await service({ dataCenterUrl: dc.url, dataDir: tempDir() });
    dc.override('/api/v1/reference/version', (res) => sendJson(res, 503, { ok: false }));
    expect(await svc.syncNow()).toBe('unavailable');
    expect(svc.syncStatus().message).toMatch(/HTTP 503/);
    expect(log.entries.filter((e) => e.level === 'error')).toHaveLength(0);
  });

  it('keeps a host-reported outage in the status until the link works again', async () => {
    const dc = await fake();
    const { svc, statuses } = await service({ dataCenterUrl: dc.url, dataDir: tempDir() });
    await svc.syncNow();
    await dc.down();
    svc.reportDataCenterDown('embedded data center exited (code 1)');
    expect(statuses.at(-1)).toMatchObject({ state: 'offline', message: 'embedded data center exited (code 1)' });
    expect(await svc.syncNow()).toBe('unavailable');
    expect(svc.syncStatus().message).toMatch(/^embedded data center exited \(code 1\); cannot reach/);
    await dc.up();
    await svc.syncNow();
    expect(svc.syncStatus()).toMatchObject({ state: 'live', message: null });
  });

  it('closes cleanly while a fetch hangs', async () => {
    const dc = await fake();
    dc.override('/api/v1/reference/version', () => undefined); // never answers
    const { svc } = await service({ dataCenterUrl: dc.url, dataDir: tempDir() });
    const round = svc.syncNow();
    await new Promise((r) => setTimeout(r, 50));
    const started = Date.now();
    await svc.close();
    expect(await round).toBe('stopped');
    expect(Date.now() - started).toBeLessThan(1000);
  });
});
