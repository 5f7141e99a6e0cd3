/**
 * The keeper's images and the full-text index of its replica (./keeper.ts): after a row snapshot the index is built
 * in background chunks (sync/fts-builder.ts), so the first image carries part of it; as soon as the replica's index
 * is complete the keeper publishes an image with the whole of it, within its check interval and without waiting
 * `renewMs` (its cursor has not moved), once; a keeper whose index is complete from the start publishes one image
 * only; a keeper started on a folder whose image in place has part of the index replaces it once its own build ends.
 *
 * Real keepers (their data service, replica and sync client) on a replica seeded with a snapshot, whose live feed is
 * a transport that opens and stays quiet: the sync client goes live after `quietCaughtUpMs`, as with a data center
 * that has nothing new, and no data center is needed. The FTS build runs one event per chunk here, so that a few
 * thousand events take long enough for the first image to come before the build ends.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { REPLICA_FILE, type Logger } from '../index';
import { eventDoc, iso, T0 } from '../store/migrations/test-docs';
import { openReplica } from '../store/open';
import { ftsBuiltThrough, stageRows, swapInSnapshot } from '../store/replica-writes';
import { RowWriter } from '../store/replicated-rows';
import type { LiveTransport } from '../sync/live-transport';
import { startKeeper, type Keeper } from './keeper';

const dir = mkdtempSync(path.join(os.tmpdir(), 'huying-keeper-fts-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const running: Keeper[] = [];
afterEach(async () => {
  for (const k of running.splice(0)) await k.stop();
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
async function until<T>(probe: () => T | null | undefined | false, what: string, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = probe();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

/** a live feed that opens and says nothing: the replica is current */
const quietFeed: LiveTransport = () => Promise.resolve({ kind: 'sse', close: () => {} });

const CHECK_EVERY_MS = 100;
const EPOCH = 'k-fts';

/** a data folder whose replica holds a snapshot of `events` events at v `events`, its FTS index built in the swap or after it (mark at 0) */
function seed(name: string, events: number, opts: { deferFts: boolean }): string {
  const dataDir = path.join(dir, name);
  mkdirSync(dataDir, { recursive: true });
  const r = openReplica({ file: path.join(dataDir, REPLICA_FILE) });
  try {
    const writer = new RowWriter(r.sqlite);
    const area = (code: string, parent: string | null) => ({ key: code, v: 1, row: { code, name: `区${code}`, level: parent ? 'town' : 'district', parentCode: parent } });
    stageRows(r.sqlite, writer, 'areas', [area('440114', null), area('440114001000', '440114')]);
    const rows = Array.from({ length: events }, (_, i) => ({ ...eventDoc(i + 1, { status: 'in_progress', townCode: '440114001000' }), title: `井盖缺失${i + 1}`, description: `建设北路第${i + 1}处` }));
    stageRows(r.sqlite, writer, 'events', rows.map((row, i) => ({ key: row.id, v: i + 1, row })));
    swapInSnapshot(r.sqlite, { scope: 'district', checkpoint: { epoch: EPOCH, v: events }, referenceVersion: `${EPOCH}:${events}`, checksum: null, at: iso(T0) }, opts);
  } finally {
    r.close();
  }
  return dataDir;
}

interface Written {
  file: string;
  cursor: { epoch: string; v: number };
  ftsComplete: boolean;
  at: number;
}

function logger() {
  const written: Written[] = [];
  const said: { msg: string; at: number; o: Record<string, unknown> }[] = [];
  const info = (o: object, msg?: string) => {
    const at = Date.now();
    said.push({ msg: String(msg), at, o: o as Record<string, unknown> });
    if (msg === 'image written') written.push({ ...(o as Omit<Written, 'at'>), at });
  };
  const log: Logger = { debug: () => {}, info, warn: info, error: info };
  return { log, written, said };
}

async function start(dataDir: string, images: string, log: Logger): Promise<Keeper> {
  const k = await startKeeper({
    dataDir,
    imagesDir: images,
    // nothing listens there: the quiet feed is the only connection the keepers make
    dataCenterUrl: 'http://127.0.0.1:9',
    credentials: { token: 'a-token' },
    renewMs: 10 * 60_000,
    checkEveryMs: CHECK_EVERY_MS,
    graceMs: 60_000,
    logger: log,
    sync: { transports: [quietFeed], quietCaughtUpMs: 20, heartbeatTimeoutMs: 10 * 60_000, ftsChunkRows: 1 },
  });
  running.push(k);
  return k;
}

/** the image's FTS mark and how many events its index holds */
function ftsOf(file: string): { through: number | null; indexed: number; events: number } {
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    return {
      through: ftsBuiltThrough(db),
      indexed: db.prepare('SELECT count(*) FROM events_fts').pluck().get() as number,
      events: db.prepare('SELECT count(*) FROM events').pluck().get() as number,
    };
  } finally {
    db.close();
  }
}

describe("image keeper: the replica's full-text index", () => {
  it('publishes an image with the whole index as soon as the build ends, once, when the first had part of it', async () => {
    const images = path.join(dir, 'images-partial');
    const { log, written, said } = logger();
    const keeper = await start(seed('partial', 3_000, { deferFts: true }), images, log);

    const first = (await until(() => written[0], 'the first image'))!;
    expect(first.ftsComplete).toBe(false);
    const partial = ftsOf(path.join(images, first.file));
    expect(partial.events).toBe(3_000);
    expect(partial.through).not.toBeNull();
    expect(partial.indexed).toBeLessThan(3_000);

    const second = (await until(() => written[1], 'the image with the whole index'))!;
    const built = said.find((s) => s.msg === 'full-text index built');
    expect(built).toBeDefined();
    // not a renewal: the cursor has not moved, and renewMs (10 min) has not passed
    expect(second.cursor).toEqual(first.cursor);
    expect(second.ftsComplete).toBe(true);
    // within the check interval (plus the export's own time) of the build's end
    expect(second.at - built!.at).toBeLessThan(CHECK_EVERY_MS + 2_000);
    expect(ftsOf(path.join(images, second.file))).toEqual({ through: null, indexed: 3_000, events: 3_000 });
    expect(keeper.manifest()?.file).toBe(second.file);
    expect(keeper.imageFtsComplete()).toBe(true);

    // once: a few more checks publish nothing
    await sleep(CHECK_EVERY_MS * 6);
    expect(written).toHaveLength(2);
  }, 120_000);

  it('publishes one image when the index is complete from the start', async () => {
    const images = path.join(dir, 'images-complete');
    const { log, written } = logger();
    const keeper = await start(seed('complete', 200, { deferFts: false }), images, log);
    const first = (await until(() => written[0], 'the first image'))!;
    expect(first.ftsComplete).toBe(true);
    expect(ftsOf(path.join(images, first.file))).toEqual({ through: null, indexed: 200, events: 200 });
    await sleep(CHECK_EVERY_MS * 8);
    expect(written).toHaveLength(1);
    expect(keeper.imageFtsComplete()).toBe(true);
  }, 60_000);

  it('replaces an image in place that has part of the index once its own build ends (a keeper restarted mid-build)', async () => {
    const images = path.join(dir, 'images-restart');
    const dataDir = seed('restart', 3_000, { deferFts: true });
    const before = logger();
    const first = await start(dataDir, images, before.log);
    const partial = (await until(() => before.written[0], 'the first image'))!;
    expect(partial.ftsComplete).toBe(false);
    await first.stop();
    running.splice(running.indexOf(first), 1);

    const after = logger();
    const second = await start(dataDir, images, after.log);
    const ready = after.said.find((s) => s.msg === 'keeper ready');
    expect(ready?.o).toMatchObject({ image: partial.file, imageFtsComplete: false });
    expect(second.imageFtsComplete()).toBe(false);
    const complete = (await until(() => after.written[0], 'the image with the whole index'))!;
    expect(complete.cursor).toEqual(partial.cursor);
    expect(complete.ftsComplete).toBe(true);
    expect(ftsOf(path.join(images, complete.file)).through).toBeNull();
    expect(second.manifest()?.file).toBe(complete.file);
    await sleep(CHECK_EVERY_MS * 6);
    expect(after.written).toHaveLength(1);
  }, 120_000);
});
