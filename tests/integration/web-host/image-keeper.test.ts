/**
 * The image keeper against a real data center (PGlite, the demo district and 120 past events) that serves
 * the keeper's folder: the first image and its manifest appear once the replica is live (the digest is the
 * file's, the cursor the replica's, nothing of the data folder's own in it, no temp file left), the data
 * center serves it, a fresh desktop replica switches it in and holds the keeper's rows; after a change at
 * the data center the image is renewed and the older file goes after the grace; a failed export leaves the
 * image in place and the next one renews it; a new keeper on the same folders clears an earlier keeper's
 * leftovers and keeps the image in place. Secrets: a keeper signed in with a password keeps its session in
 * memory, so no token the data center handed it is in its image's bytes (either export method) or its replica,
 * and a session an earlier build stored there is gone. A keeper that cannot sign in deletes nothing in the
 * folder; after a schema change the image in place is served to its schema until the first export replaces it.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemActor } from '../../../src/core/index';
import { IMAGE_HEADERS, ImageManifest, imageManifestName, replicaSchemaIdOf } from '../../../src/core/sync/image';
import { generateHistory } from '../../../src/datacenter/history/generate';
import { startDataCenter, type DataCenter } from '../../../src/datacenter/server';
import { openDatabase, type DataCenterDb } from '../../../src/datacenter/store/database';
import { createDataService, type Logger } from '../../../src/main/service/index';
import { migrations } from '../../../src/main/service/store/migrations';
import { writePreference } from '../../../src/main/service/store/preferences';
import { sha256Of, switchInReplicaImage } from '../../../src/main/service/store/replica-image';
import { readSyncState } from '../../../src/main/service/store/sync-state';
import { imagesLockName } from '../../../src/main/service/keeper/images-lock';
import { startKeeper, type Keeper } from '../../../src/main/service/keeper/keeper';

const quiet: Logger = { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} };
const sync = { retryInitialMs: 20, retryMaxMs: 200, heartbeatTimeoutMs: 2000, requestTimeoutMs: 5000, quietCaughtUpMs: 200 };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until<T>(probe: () => T | null | undefined | false, what: string, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = probe();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(25);
  }
}

let store: DataCenterDb;
let dc: DataCenter;
let dir: string;
let images: string;
const keepers: Keeper[] = [];

const manifestOnDisk = () => {
  const file = path.join(images, imageManifestName('district'));
  return existsSync(file) ? ImageManifest.parse(JSON.parse(readFileSync(file, 'utf8'))) : null;
};

function start(renewMs: number, logger: Logger = quiet, dataDir = 'keeper'): Promise<Keeper> {
  return startKeeper({
    dataDir: path.join(dir, dataDir),
    imagesDir: images,
    dataCenterUrl: dc.url,
    credentials: { token: 'a-service-token' },
    renewMs,
    checkEveryMs: 50,
    graceMs: 200,
    logger,
    sync,
  }).then((k) => {
    keepers.push(k);
    return k;
  });
}

beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'huying-keeper-'));
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
}, 120_000);

afterAll(async () => {
  for (const k of keepers) await k.stop();
  await dc?.close();
  await store?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('image keeper', () => {
  let keeper: Keeper;
  let first: ImageManifest;

  it('publishes an image of its live replica: manifest, digest, cursor, no data-folder state, no temp file', async () => {
    keeper = await start(60_000);
    first = await until(manifestOnDisk, 'the first manifest');
    expect(keeper.manifest()).toEqual(first);
    expect(first).toMatchObject({ format: 1, scope: 'district', schema: replicaSchemaIdOf(migrations), pageSize: keeper.service.replica.sqlite.pragma('page_size', { simple: true }) });
    expect(first.file).toMatch(new RegExp(`^district-${first.cursor.v}-${first.sha256.slice(0, 12)}\\.sqlite$`));
    const file = path.join(images, first.file);
    expect(await sha256Of(file)).toBe(first.sha256);
    expect(readFileSync(file).length).toBe(first.bytes);
    expect(first.cursor).toEqual(readSyncState(keeper.service.replica.sqlite)!.cursor);
    expect(first.cursor.epoch).toBe(dc.epoch);
    // and the keeper's lock on the folder while it runs (one keeper per scope and folder, keeper/images-lock.ts)
    expect(readdirSync(images).sort()).toEqual([imageManifestName('district'), first.file, imagesLockName('district')].sort());

    const image = new Database(file, { readonly: true });
    try {
      expect(image.prepare('SELECT count(*) FROM events').pluck().get()).toBe(120);
      // the keeper's own client id, session and outbox stay in its data folder
      expect(image.prepare("SELECT key FROM preferences WHERE key <> 'ftsIndex'").pluck().all()).toEqual([]);
      expect(image.prepare('SELECT count(*) FROM outbox').pluck().get()).toBe(0);
    } finally {
      image.close();
    }
    // a keeper with a fixed token stores no session either
    expect(keeper.service.replica.sqlite.prepare("SELECT count(*) FROM preferences WHERE key = 'session'").pluck().get()).toBe(0);
  });

  it('is served by the data center, and a fresh desktop replica switches it in', async () => {
    const pageSize = first.pageSize;
    const res = await fetch(`${dc.url}/api/v1/sync/image?scope=district&schema=${first.schema}&pageSize=${pageSize}`);
    expect(res.status).toBe(200);
    expect(res.headers.get(IMAGE_HEADERS.sha256)).toBe(first.sha256);
    const bytes = Buffer.from(await res.arrayBuffer());
    expect(createHash('sha256').update(bytes).digest('hex')).toBe(first.sha256);

    const download = path.join(dir, 'download.sqlite');
    writeFileSync(download, bytes);
    const desk = await createDataService({ shell: 'web', dataDir: path.join(dir, 'desk'), dataCenterUrl: dc.url, logger: quiet, sync: { autoStart: false } });
    try {
      const r = await switchInReplicaImage(desk.replica.sqlite, download, { scope: 'district', sha256: first.sha256 }, { check: 'digest' });
      expect(r.cursor).toEqual(first.cursor);
      expect(desk.replica.sqlite.prepare('SELECT count(*) FROM events').pluck().get()).toBe(120);
      expect(desk.replica.sqlite.prepare('SELECT count(*) FROM grids').pluck().get()).toBe(keeper.service.replica.sqlite.prepare('SELECT count(*) FROM grids').pluck().get());
    } finally {
      await desk.close();
    }
  });

  it('renews the image once the cursor moved and the image is renewMs old, and deletes the older file after the grace', async () => {
    await keeper.stop();
    keeper = await start(300);
    // the image in place is kept: nothing moved
    await sleep(500);
    expect(manifestOnDisk()).toEqual(first);
    await generateHistory(store.db, { count: 5, days: 1, seed: 11 });
    const next = await until(() => {
      const m = manifestOnDisk();
      return m && m.cursor.v > first.cursor.v ? m : null;
    }, 'a renewed manifest');
    expect(next.file).not.toBe(first.file);
    expect(await sha256Of(path.join(images, next.file))).toBe(next.sha256);
    await until(() => !existsSync(path.join(images, first.file)), 'the older image to go');
    const res = await fetch(`${dc.url}/api/v1/sync/image?scope=district&schema=${next.schema}&pageSize=${next.pageSize}`);
    expect(res.status).toBe(200);
    expect(res.headers.get(IMAGE_HEADERS.cursor)).toBe(`${next.cursor.epoch}:${next.cursor.v}`);
    expect(createHash('sha256').update(Buffer.from(await res.arrayBuffer())).digest('hex')).toBe(next.sha256);
  });

  it('keeps the image in place when an export fails, and renews it once the export works again', async () => {
    const before = manifestOnDisk()!;
    const entries: string[] = [];
    const record = (msg?: string) => void entries.push(msg ?? '');
    await keeper.stop();
    keeper = await start(300, { debug: () => {}, info: () => {}, warn: () => {}, error: (_o, msg) => record(msg) });
    // the export's temp name taken by a folder: the rename into it fails
    const blocker = path.join(images, '.district.export.sqlite');
    mkdirSync(path.join(blocker, 'x'), { recursive: true });
    await generateHistory(store.db, { count: 3, days: 1, seed: 17 });
    await until(() => entries.includes('image export failed; the image in place stays'), 'a failed export');
    expect(manifestOnDisk()).toEqual(before);
    expect(existsSync(path.join(images, before.file))).toBe(true);
    rmSync(blocker, { recursive: true });
    const next = await until(() => {
      const m = manifestOnDisk();
      return m && m.cursor.v > before.cursor.v ? m : null;
    }, 'the image renewed after the failure');
    expect(await sha256Of(path.join(images, next.file))).toBe(next.sha256);
  });

  it('clears an earlier keeper’s leftovers at start and keeps the image in place', async () => {
    await keeper.stop();
    const inPlace = manifestOnDisk()!;
    mkdirSync(images, { recursive: true });
    writeFileSync(path.join(images, '.district.export.sqlite.partial'), 'half an export');
    writeFileSync(path.join(images, '.district.json.tmp'), '{');
    writeFileSync(path.join(images, 'district-1-0123456789ab.sqlite'), 'an image no manifest names');
    writeFileSync(path.join(images, '440114001000.json'), 'another scope’s');
    keeper = await start(60_000);
    expect(readdirSync(images).sort()).toEqual(['440114001000.json', imageManifestName('district'), inPlace.file, imagesLockName('district')].sort());
    expect(keeper.manifest()).toEqual(inPlace);
    await keeper.stop();
    // released on stop
    expect(existsSync(path.join(images, imagesLockName('district')))).toBe(false);
  });

  it('builds a new replica from the data center’s rows, not from the image in place', async () => {
    expect(manifestOnDisk()).not.toBeNull();
    const said: string[] = [];
    const listen: Logger = { ...quiet, info: (_o: unknown, msg?: string) => void said.push(String(msg)), warn: (_o: unknown, msg?: string) => void said.push(String(msg)) };
    // an empty data folder (a keeper moved to a new disk, its replica lost) while its last image is served
    keeper = await start(60_000, listen, 'keeper-new');
    await until(() => readSyncState(keeper.service.replica.sqlite) && keeper.service.syncStatus().state === 'live', 'the new keeper live');
    expect(said).toContain('snapshot applied');
    expect(said).not.toContain('replica image switched in');
    await keeper.stop();
  });

  it.each(['backup', 'vacuum'] as const)('keeps its session in memory: no token of its own in an image (%s) nor in its replica, and an earlier build\'s stored session goes', async (method) => {
    const dataDir = path.join(dir, `keeper-password-${method}`);
    const ownImages = path.join(dir, `images-password-${method}`);
    // what a keeper of an earlier build left in its replica's preferences
    const planted = `hyr_PLANTED_${'p'.repeat(32)}`;
    const before = await createDataService({ shell: 'web', dataDir, dataCenterUrl: dc.url, logger: quiet, sync: { autoStart: false } });
    writePreference(before.replica.sqlite, 'session', { user: { id: 'demo-wall' }, refreshToken: planted, refreshTokenExpiresAt: '2099-01-01T00:00:00.000Z' });
    await before.close();
    // the tokens the data center hands the keeper, as they come
    const tokens: string[] = [];
    const recording: typeof fetch = async (input, init) => {
      const res = await fetch(input, init);
      const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
      if (url.includes('/api/v1/auth/')) {
        const body = (await res.clone().json().catch(() => null)) as { value?: { accessToken?: unknown; refreshToken?: unknown } } | null;
        for (const t of [body?.value?.accessToken, body?.value?.refreshToken]) if (typeof t === 'string') tokens.push(t);
      }
      return res;
    };
    const k = await startKeeper({ dataDir, imagesDir: ownImages, dataCenterUrl: dc.url, credentials: { login: 'wall', password: 'huying-demo' }, renewMs: 60_000, checkEveryMs: 50, graceMs: 200, method, logger: quiet, sync, fetch: recording });
    keepers.push(k);
    try {
      const manifest = await until(() => k.manifest(), 'the password keeper\'s first image');
      expect(tokens.length).toBeGreaterThanOrEqual(2);
      const bytes = readFileSync(path.join(ownImages, manifest.file));
      for (const secret of [planted, ...tokens]) expect(bytes.indexOf(secret), secret.slice(0, 16)).toBe(-1);
      expect(k.service.replica.sqlite.prepare("SELECT count(*) FROM preferences WHERE key = 'session' OR value LIKE '%refreshToken%'").pluck().get()).toBe(0);
    } finally {
      await k.stop();
    }
  });

  it('deletes nothing in the folder when it cannot sign in (a second keeper, misconfigured, on a working one\'s folder)', async () => {
    const inPlace = manifestOnDisk()!;
    const leftovers = ['.district.export.sqlite.partial', 'district-2-0123456789ab.sqlite'];
    for (const name of leftovers) writeFileSync(path.join(images, name), 'a working keeper\'s');
    // (no keeper runs on it now: a running one's lock would refuse this one before it tries to sign in)
    const listing = readdirSync(images).sort();
    await expect(startKeeper({ dataDir: path.join(dir, 'keeper-wrong'), imagesDir: images, dataCenterUrl: dc.url, credentials: { login: 'wall', password: 'wrong' }, logger: quiet, sync })).rejects.toThrow(/could not sign in as wall/);
    expect(readdirSync(images).sort()).toEqual(listing);
    expect(manifestOnDisk()).toEqual(inPlace);
    for (const name of leftovers) rmSync(path.join(images, name));
  });

  it('after a schema change, serves the image in place to its schema until the first export replaces it', async () => {
    const inPlace = manifestOnDisk()!;
    const older = { ...inPlace, schema: '9-an-older-schema' };
    writeFileSync(path.join(images, imageManifestName('district')), `${JSON.stringify(older, null, 2)}\n`);
    // a new data folder: its first export is a row snapshot away
    keeper = await start(60_000, quiet, 'keeper-schema');
    expect(keeper.manifest()).toBeNull();
    expect(manifestOnDisk()).toEqual(older);
    expect(existsSync(path.join(images, older.file))).toBe(true);
    const res = await fetch(`${dc.url}/api/v1/sync/image?scope=district&schema=${older.schema}&pageSize=${older.pageSize}`);
    expect(res.status).toBe(200);
    expect(createHash('sha256').update(Buffer.from(await res.arrayBuffer())).digest('hex')).toBe(older.sha256);
    const next = await until(() => {
      const m = manifestOnDisk();
      return m && m.schema === replicaSchemaIdOf(migrations) ? m : null;
    }, 'the first manifest of this schema');
    expect(next.file).not.toBe(older.file);
    await until(() => !existsSync(path.join(images, older.file)), 'the other schema\'s image to go after the grace');
    await keeper.stop();
  });
});
