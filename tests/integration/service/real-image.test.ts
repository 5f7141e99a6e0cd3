/**
 * The sync client's replica image against the real data center (PGlite, the demo district and 120 past events,
 * serving an image keeper's folder) and a real keeper (src/main/service/keeper): a fresh desktop's first sync
 * takes the keeper's image — the schema id, page size, auth and headers as the data center and the client
 * each understand the contract (core/sync/image.ts) — without the row snapshot, renamed into place, then tails the
 * live feed from the image's cursor and receives what the data center commits after it.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { systemActor } from '../../../src/core/index';
import { ImageManifest, imageManifestName } from '../../../src/core/sync/image';
import { generateHistory } from '../../../src/datacenter/history/generate';
import { startDataCenter, type DataCenter } from '../../../src/datacenter/server';
import { openDatabase, type DataCenterDb } from '../../../src/datacenter/store/database';
import type { Logger } from '../../../src/main/service/index';
import { startKeeper, type Keeper } from '../../../src/main/service/keeper/keeper';
import { serviceOn } from './feed-fixtures';

const quiet: Logger = { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} };

let store: DataCenterDb;
let dc: DataCenter;
let dir: string;
let images: string;
let keeper: Keeper | null = null;
const cleanups: (() => unknown)[] = [];

beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'huying-real-image-'));
  images = path.join(dir, 'images');
  store = await openDatabase({});
  dc = await startDataCenter({
    port: 0,
    seed: 'demo',
    database: store,
    images,
    slaScheduler: false,
    app: { actorOf: () => systemActor('440114'), sync: { hub: { pollMs: 50 }, live: { heartbeatMs: 200, checksumMs: 0 } } },
  });
  await generateHistory(store.db, { count: 120, days: 5, seed: 3 });
}, 180_000);

afterAll(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
  await keeper?.stop();
  await dc?.close();
  await store?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

it('a fresh desktop takes the keeper’s image from the data center and tails from its cursor', async () => {
  keeper = await startKeeper({
    dataDir: path.join(dir, 'keeper'),
    imagesDir: images,
    dataCenterUrl: dc.url,
    credentials: { token: 'a-service-token' },
    renewMs: 600_000,
    checkEveryMs: 50,
    logger: quiet,
    sync: { retryInitialMs: 20, retryMaxMs: 200, heartbeatTimeoutMs: 2000, requestTimeoutMs: 5000, quietCaughtUpMs: 200 },
  });
  const manifestFile = path.join(images, imageManifestName('district'));
  await expect.poll(() => existsSync(manifestFile), { timeout: 60_000, interval: 50 }).toBe(true);
  const manifest = ImageManifest.parse(JSON.parse(readFileSync(manifestFile, 'utf8')));

  const h = await serviceOn(dc, path.join(dir, 'desk'), cleanups, { sync: { autoStart: false } });
  expect(await h.svc.syncNow()).toBe('live');
  const switched = h.log.entries.find((e) => e.msg === 'replica image switched in');
  // renamed into place: the service's connection is a new one on the image's file (docs/sync-client.md, "Rename instead of copy")
  expect(switched?.obj).toMatchObject({ scope: 'district', cursor: manifest.cursor, bytes: manifest.bytes, how: 'rename' });
  expect(h.svc.replica.generation).toBe(1);
  expect(h.log.entries.some((e) => e.msg === 'snapshot applied')).toBe(false);
  expect(h.log.entries.filter((e) => e.msg === 'live feed connected').map((e) => (e.obj as { cursor: unknown }).cursor)[0]).toEqual(manifest.cursor);
  const db = h.svc.replica.sqlite;
  expect(db.prepare('SELECT count(*) FROM events').pluck().get()).toBe(120);
  expect(db.prepare('SELECT count(*) FROM grids').pluck().get()).toBe(keeper.service.replica.sqlite.prepare('SELECT count(*) FROM grids').pluck().get());

  // what the data center commits after the image reaches the desktop through the tail
  await generateHistory(store.db, { count: 5, days: 1, seed: 11 });
  await expect.poll(() => db.prepare('SELECT count(*) FROM events').pluck().get(), { timeout: 20_000 }).toBe(125);
  expect(h.svc.syncStatus().cursor!.v).toBeGreaterThan(manifest.cursor.v);
  expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
}, 120_000);
