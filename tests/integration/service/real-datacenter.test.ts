/**
 * The data service against the real data center (startDataCenter on
 * in-memory PGlite, seeded with the demo district, its sync feed and command
 * endpoint): the first sync snapshots the whole district, live batches
 * follow, a command pushed through the outbox is confirmed by the feed's ack
 * (and a rejected one waits for dismissal), a town scope holds only its
 * town's rows, an epoch bump re-snapshots by itself, and after the data
 * center is gone a new service on the same folder serves the replica offline.
 *
 * Auth is the data center's business (src/datacenter/auth): here the sync
 * and command routes get a system actor through their `actorOf` seam. The
 * workflow's own mutation handlers are registered by the events module; this
 * file registers `wall/ack` on a private registry so the outbox can be
 * proven against the real endpoint today.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HuyingError, systemActor, type OutboxList } from '../../../src/core/index';
import { MutationRegistry } from '../../../src/datacenter/commands/registry';
import { startDataCenter, type DataCenter } from '../../../src/datacenter/server';
import { openDatabase, type DataCenterDb } from '../../../src/datacenter/store/database';
import { bumpEpoch } from '../../../src/datacenter/sync/state';
import { serviceOn, type Harness } from './feed-fixtures';

let dc: DataCenter;
let store: DataCenterDb;
let dir: string;
const cleanups: (() => unknown)[] = [];
const mutations = new MutationRegistry();
mutations.register('wall/ack', async (_tx, out, m, actor) => {
  if (m.alertId === 'gone') throw new HuyingError('not_found', 'no such alert');
  out.upsert('wall', `ack:${m.alertId}`, null, { kind: 'ack', alertId: m.alertId, by: actor.id });
  return { acknowledged: m.alertId };
});

beforeAll(async () => {
  store = await openDatabase({});
  dc = await startDataCenter({
    port: 0,
    seed: 'demo',
    database: store,
    app: { actorOf: () => systemActor('440114'), mutations, sync: { live: { heartbeatMs: 200, checksumMs: 0 }, hub: { pollMs: 50 } } },
  });
  dir = mkdtempSync(path.join(os.tmpdir(), 'huying-real-dc-'));
}, 180_000);
afterAll(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
  await dc?.close();
  await store?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const table = (h: Harness, t: string) => h.svc.replica.sqlite.prepare(`SELECT count(*) FROM ${t}`).pluck().get() as number;

describe('data service ← real data center', () => {
  let h: Harness;

  it('snapshots the demo district with progress, then goes live', async () => {
    h = await serviceOn(dc, dir, cleanups, { sync: { autoStart: false } });
    expect(await h.svc.syncNow()).toBe('live');
    const status = h.svc.syncStatus();
    expect(status).toMatchObject({ state: 'live', scope: 'district', cursor: { epoch: dc.epoch } });
    const snap = h.statuses.filter((s) => s.state === 'snapshot').at(-1)!.progress!;
    expect(snap.rows).toBe(snap.totalRows);
    expect(snap.bytes).toBeGreaterThan(1_000_000);

    const tree = await h.svc.handlers['areas/tree']({});
    expect(tree.district.code).toBe('440114');
    expect(tree.district.children).toHaveLength(10);
    expect(tree.district.children.flatMap((t) => t.children)).toHaveLength(252);
    expect(tree.district.gridCount).toBe(1401);
    const geo = await h.svc.handlers['grids/geometry']({});
    expect(geo.grids).toHaveLength(1401);
    expect(geo.grids.every((g) => g.workers.length > 0)).toBe(true);
    expect(table(h, 'units')).toBeGreaterThan(27);
    expect(table(h, 'workers')).toBeGreaterThan(0);
  });

  it('confirms a command only by the feed’s ack, and keeps a rejected one for the officer', async () => {
    const ok = await h.svc.handlers['commands/submit']({ mutation: { name: 'wall/ack', alertId: 'a-1' } });
    const bad = await h.svc.handlers['commands/submit']({ mutation: { name: 'wall/ack', alertId: 'gone' } });
    expect(await h.svc.pushNow()).toBe('pushed');
    await expect
      .poll(() => (h.svc.handlers['outbox/list']({ limit: 10 }) as OutboxList).entries.map((e) => [e.mutationId, e.state, e.error?.code ?? null]), { timeout: 10_000 })
      .toEqual([
        [bad.mutationId, 'rejected', 'not_found'],
        [ok.mutationId, 'confirmed', null],
      ]);
    const wall = h.svc.replica.sqlite.prepare("SELECT doc FROM wall WHERE key = 'ack:a-1'").pluck().get() as string;
    expect(JSON.parse(wall)).toMatchObject({ alertId: 'a-1', by: 'system' });
    // pushed again (a lost answer): the data center repeats its stored result, nothing is applied twice
    const before = h.svc.syncStatus().cursor!.v;
    h.svc.replica.sqlite.prepare("UPDATE outbox SET state = 'sent', sent_at = '2000-01-01T00:00:00.000Z' WHERE mutation_id = ?").run(ok.mutationId);
    expect(await h.svc.pushNow()).toBe('pushed');
    await new Promise((r) => setTimeout(r, 400));
    expect(h.svc.syncStatus().cursor!.v).toBe(before);
    expect((h.svc.handlers['outbox/list']({ limit: 10 }) as OutboxList).entries.find((e) => e.mutationId === ok.mutationId)!.state).toBe('confirmed');
    expect(h.svc.handlers['outbox/dismiss']({ mutationId: bad.mutationId })).toMatchObject({ state: 'dismissed' });
  });

  it('re-snapshots by itself when the data center bumps its epoch (a restore)', async () => {
    const snapshots = h.statuses.filter((s) => s.state === 'snapshot').length;
    const epoch = await bumpEpoch(store.db);
    await expect.poll(() => h.svc.syncStatus().cursor?.epoch, { timeout: 15_000 }).toBe(epoch);
    await expect.poll(() => h.svc.syncStatus().state, { timeout: 10_000 }).toBe('live');
    expect(h.statuses.filter((s) => s.state === 'snapshot').length).toBeGreaterThan(snapshots);
    expect((await h.svc.handlers['grids/geometry']({})).grids).toHaveLength(1401);
  });

  it('replicates one town: its grids and villages, the district-wide rows', async () => {
    const townDir = mkdtempSync(path.join(os.tmpdir(), 'huying-real-town-'));
    cleanups.push(() => rmSync(townDir, { recursive: true, force: true }));
    const town = (await h.svc.handlers['areas/tree']({})).district.children[0]!;
    const t = await serviceOn(dc, townDir, cleanups, { scope: town.code as `${number}`, sync: { autoStart: false } });
    expect(await t.svc.syncNow()).toBe('live');
    const grids = t.svc.replica.sqlite.prepare('SELECT DISTINCT town_code FROM grids').pluck().all();
    expect(grids).toEqual([town.code]);
    expect(table(t, 'grids')).toBe(h.svc.replica.sqlite.prepare('SELECT count(*) FROM grids WHERE town_code = ?').pluck().get(town.code));
    expect(table(t, 'units')).toBe(table(h, 'units'));
    const tree = await t.svc.handlers['areas/tree']({});
    expect(tree.district.children).toHaveLength(10); // every town, its own villages only
    expect(tree.district.children.find((c) => c.code === town.code)!.children.length).toBe(town.children.length);
    await t.svc.close();
  });

  it('serves the replica offline once the data center is gone', async () => {
    await h.svc.close();
    const url = dc.url;
    await dc.close();
    const again = await serviceOn({ url }, dir, cleanups, { sync: { autoStart: false } });
    const geo = await again.svc.handlers['grids/geometry']({});
    expect(geo.grids).toHaveLength(1401);
    expect(await again.svc.syncNow()).toBe('unavailable');
    expect(again.svc.syncStatus()).toMatchObject({ state: 'offline' });
  });
});
