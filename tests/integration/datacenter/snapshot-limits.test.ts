/**
 * The snapshot export's bounds (src/datacenter/sync/snapshot-limits.ts) on a throwaway PostgreSQL
 * and on PGlite: desktops that open a snapshot and stop reading must not hold the connections the
 * rest of the data center needs.
 * - PostgreSQL over HTTP: more stalled readers than the pool has connections — those beyond the
 *   limit are refused at once (503 + Retry-After) while a command and a checksum still complete
 *   promptly; a stalled reader is cut after the stall timeout, its COPY's connection closed and its
 *   slot freed; a slow reader that keeps reading is not cut and gets every byte.
 * - the desktop's sync client (src/main/service/sync) refused with that 503 retries with backoff and
 *   snapshots once the stalled reader's slot is free.
 * - PGlite (its one connection): a stalled export is cut and the database answers again; a slow
 *   reader is not cut.
 * - the limits' validation (a limit the pool cannot honour is refused at start-up).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CommandsResponse, type PushedMutation } from '../../../src/core';
import { MutationRegistry } from '../../../src/datacenter/commands/registry';
import { startDataCenter, type DataCenter } from '../../../src/datacenter/server';
import { openDatabase, postgresPoolOf, type DataCenterDb, type Db } from '../../../src/datacenter/store/database';
import { rowsOf } from '../../../src/datacenter/store/migration';
import { SnapshotClientStalled, writeSnapshot } from '../../../src/datacenter/sync/snapshot';
import { DEFAULT_SNAPSHOT_LIMITS, resolveSnapshotLimits, type SnapshotLimitOptions } from '../../../src/datacenter/sync/snapshot-limits';
import { writeReplicated, type ChangeSink } from '../../../src/datacenter/sync/write';
import { startPgCluster, type PgCluster } from '../../support/pg-cluster';
import { until } from '../../support/until';
import { serviceOn } from '../service/feed-fixtures';
import { admin, headerActor, T1, T2 } from './sync-client';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** ~`mb` MB of snapshot rows (~5 KB each, non-ASCII) in T1. */
async function fill(db: Db, mb: number): Promise<void> {
  const pad = '码'.repeat(1700);
  const rows = mb * 200;
  for (let at = 0; at < rows; at += 1000) {
    await writeReplicated(db, async (_tx, out: ChangeSink) => {
      for (let i = at; i < Math.min(rows, at + 1000); i++) out.upsert('events', `big-${String(i).padStart(5, '0')}`, T1, { pad, i });
    });
  }
}

function registry(): MutationRegistry {
  const r = new MutationRegistry();
  r.register('wall/ack', async (_tx, out, m, actor) => {
    out.upsert('wall', m.alertId, null, { id: m.alertId, by: actor.id });
    return { acked: m.alertId };
  });
  return r;
}

/** A snapshot reader over plain HTTP that reads only what it is told to. */
interface Reader {
  status: number;
  headers: http.IncomingHttpHeaders;
  res: http.IncomingMessage;
  /** reads the rest (at full speed from now on); resolves with the body and whether the response was complete */
  drain(): Promise<{ body: string; complete: boolean }>;
}

/** Opens the snapshot and reads nothing of the body (the response waits in its buffers). */
function openReader(base: string, scope = 'district'): Promise<Reader> {
  return new Promise((resolve, reject) => {
    const req = http.get(`${base}/api/v1/sync/snapshot?scope=${scope}`, { headers: { 'x-actor': 'admin' }, agent: false }, (res) => {
      res.pause();
      resolve({
        status: res.statusCode ?? 0,
        headers: res.headers,
        res,
        drain: () =>
          new Promise((done) => {
            const chunks: Buffer[] = [];
            res.on('data', (c: Buffer) => chunks.push(c));
            res.on('error', () => {});
            res.on('close', () => done({ body: Buffer.concat(chunks).toString('utf8'), complete: res.complete }));
            res.resume();
          }),
      });
    });
    req.on('error', reject);
  });
}

const frameTypes = (body: string) =>
  body
    .split('\n')
    .filter((l) => l.length > 0)
    .map((l) => (JSON.parse(l) as { t: string }).t);

describe('snapshot export limits [postgres]', () => {
  let cluster: PgCluster;
  let store: DataCenterDb;
  let db: Db;
  const started: DataCenter[] = [];
  /** the backends of this database whose last query is a snapshot COPY (running, or done in a transaction still open) */
  const copies = async () =>
    rowsOf<{ pid: number; wait_event: string | null }>(
      await db.execute(sql`select pid, wait_event from pg_stat_activity where datname = current_database() and query like 'COPY (SELECT key, v, row FROM sync_rows%' and pid <> pg_backend_pid()`),
    );
  const backendAlive = async (pid: number) => rowsOf<{ n: number }>(await db.execute(sql`select count(*)::int as n from pg_stat_activity where pid = ${pid}`))[0]!.n > 0;
  const start = async (snapshot: SnapshotLimitOptions, actorOf = headerActor) => {
    const dc = await startDataCenter({
      database: store,
      port: 0,
      seed: null,
      app: { actorOf, mutations: registry(), sync: { hub: { pollMs: 100, gapGraceMs: 20, retentionMs: null }, live: { heartbeatMs: 60_000, checksumMs: 0 }, snapshot } },
    });
    started.push(dc);
    return dc;
  };

  beforeAll(async () => {
    cluster = await startPgCluster();
    store = await openDatabase({ pg: await cluster.createDatabase() });
    db = store.db;
    // more than a stalled reader's buffers hold (~1 MB stream + a page + the sockets' buffers)
    await fill(db, 16);
  }, 120_000);
  const cleanups: (() => unknown)[] = [];
  afterAll(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
    for (const dc of started) await dc.close().catch(() => {});
    await store?.close();
    await cluster?.stop();
  });

  it('refuses a limit the pool cannot honour', () => {
    expect(postgresPoolOf(db)!.options.max).toBe(10);
    expect(resolveSnapshotLimits(undefined, store)).toEqual(DEFAULT_SNAPSHOT_LIMITS);
    expect(() => resolveSnapshotLimits({ maxConcurrent: 10 }, store)).toThrow(/below the PostgreSQL pool's 10 connections/);
    expect(() => resolveSnapshotLimits({ maxConcurrent: 0 }, store)).toThrow(/≥ 1/);
    expect(() => resolveSnapshotLimits({ stallTimeoutMs: -1 }, store)).toThrow(/stall timeout/);
    expect(resolveSnapshotLimits({ maxConcurrent: 9, stallTimeoutMs: 0 }, store)).toMatchObject({ maxConcurrent: 9, stallTimeoutMs: 0 });
  });

  it('a data center started with such a limit (the CLI’s --snapshot-limit) does not start', async () => {
    await expect(startDataCenter({ database: store, port: 0, seed: null, slaScheduler: false, snapshot: { maxConcurrent: 12 } })).rejects.toThrow(/below the PostgreSQL pool's 10/);
  });

  it('more stalled readers than the pool has connections: those beyond the limit get 503 at once, a command still completes promptly', async () => {
    const dc = await start({ stallTimeoutMs: 0 }); // the default limit; nothing is cut in this test
    const limit = DEFAULT_SNAPSHOT_LIMITS.maxConcurrent;
    const readers: Reader[] = [];
    try {
      // the first `limit` open and stall, each holding its connection (its COPY blocked on its
      // socket, or done into the sockets' buffers with its transaction still open)…
      for (let i = 0; i < limit; i++) readers.push(await openReader(dc.url));
      expect(readers.map((r) => r.status)).toEqual(Array(limit).fill(200));
      await until(async () => (await copies()).length === limit, 30_000, 'the stalled COPYs');
      // …and the rest of the pool's worth (and one more) are refused at once
      const t0 = Date.now();
      const refused = await Promise.all(Array.from({ length: 11 - limit }, () => openReader(dc.url)));
      expect(Date.now() - t0).toBeLessThan(5000);
      for (const r of refused) {
        expect(r.status).toBe(503);
        expect(r.headers['retry-after']).toBe(String(DEFAULT_SNAPSHOT_LIMITS.retryAfterSeconds));
        const { body } = await r.drain();
        expect(JSON.parse(body)).toMatchObject({ ok: false, error: { code: 'unavailable', details: { retryAfterSeconds: DEFAULT_SNAPSHOT_LIMITS.retryAfterSeconds } } });
      }
      // a duty officer's command and a checksum go through meanwhile, without waiting for a connection
      const mutation: PushedMutation = { mutationId: 1, createdAt: '2026-11-27T18:00:00.000Z', mutation: { name: 'wall/ack', alertId: 'stall-1' } };
      const t1 = Date.now();
      const res = await fetch(`${dc.url}/api/v1/commands`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-actor': 'admin' },
        body: JSON.stringify({ clientId: 'duty-desk', mutations: [mutation] }),
        signal: AbortSignal.timeout(10_000),
      });
      expect(res.status).toBe(200);
      expect(CommandsResponse.parse(await res.json()).results[0]).toMatchObject({ status: 'applied', result: { acked: 'stall-1' } });
      const checksum = await fetch(`${dc.url}/api/v1/sync/checksum?scope=district`, { headers: { 'x-actor': 'admin' }, signal: AbortSignal.timeout(10_000) });
      expect(checksum.status).toBe(200);
      expect(Date.now() - t1).toBeLessThan(5000);
      // the stalled exports are still there: nothing was freed to let the command through
      expect((await copies()).length).toBe(limit);
    } finally {
      for (const r of readers) r.res.destroy();
    }
    await until(async () => (await copies()).length === 0, 10_000, 'the abandoned COPYs to end');
  }, 90_000);

  it('cuts a reader that stopped reading after the stall timeout: its connection is closed and its slot freed', async () => {
    const dc = await start({ maxConcurrent: 1, stallTimeoutMs: 1500 });
    const stalled = await openReader(dc.url);
    expect(stalled.status).toBe(200);
    await until(async () => (await copies()).length === 1, 30_000, 'the COPY of the stalled export');
    const [copy] = await copies();
    const since = Date.now();
    // its slot is taken meanwhile
    const busy = await openReader(dc.url);
    expect(busy.status).toBe(503);
    await busy.drain();
    await until(async () => !(await backendAlive(copy!.pid)), 20_000, 'the stalled COPY’s connection to close');
    // not before the timeout (the stall started at the latest when the COPY was seen waiting)
    expect(Date.now() - since).toBeGreaterThan(500);
    // what the client still finds in its buffers is a cut stream: no `end`, not complete
    const { body, complete } = await stalled.drain();
    expect(complete).toBe(false);
    const whole = frameTypes(body.slice(0, body.lastIndexOf('\n') + 1)); // the complete lines
    expect(whole[0]).toBe('begin');
    expect(whole).not.toContain('end');
    // the slot is free again and the pool healthy: a whole snapshot comes out right
    const res = await fetch(`${dc.url}/api/v1/sync/snapshot?scope=district`, { headers: { 'x-actor': 'admin' } });
    expect(res.status).toBe(200);
    const types = frameTypes(await res.text());
    expect(types[0]).toBe('begin');
    expect(types.at(-1)).toBe('end');
    const idleInTx = rowsOf<{ n: number }>(await db.execute(sql`select count(*)::int as n from pg_stat_activity where datname = current_database() and state like 'idle in transaction%'`))[0]!.n;
    expect(idleInTx).toBe(0);
  }, 90_000);

  it('does not cut a slow reader that keeps reading, however long each of the export’s waits lasts', async () => {
    const dc = await start({ maxConcurrent: 1, stallTimeoutMs: 3000 });
    const whole = await (await fetch(`${dc.url}/api/v1/sync/snapshot?scope=district`, { headers: { 'x-actor': 'admin' } })).text();
    const reader = await openReader(dc.url);
    expect(reader.status).toBe(200);
    // ~1 MB/s for 6 s: one wait of the export for the client (a ~5 MB page, of which all but the
    // stream's 1 MB buffer must go) lasts ~4 s, longer than the stall timeout, yet bytes keep flowing.
    // (The server sees them go as the kernel frees send buffer: on loopback ~1.3 MB at a time.)
    const chunks: Buffer[] = [];
    const slowUntil = Date.now() + 6000;
    const body = await new Promise<{ text: string; complete: boolean }>((resolve) => {
      reader.res.on('data', (c: Buffer) => {
        chunks.push(c);
        if (Date.now() < slowUntil) {
          reader.res.pause();
          setTimeout(() => reader.res.resume(), Math.ceil(c.length / 1000));
        }
      });
      reader.res.on('error', () => {});
      reader.res.on('close', () => resolve({ text: Buffer.concat(chunks).toString('utf8'), complete: reader.res.complete }));
      reader.res.resume();
    });
    expect(Date.now()).toBeGreaterThan(slowUntil);
    expect(body.complete).toBe(true);
    expect(body.text).toBe(whole);
    expect(frameTypes(body.text).at(-1)).toBe('end');
  }, 90_000);

  it('the desktop’s sync client, refused with 503 while a stalled reader holds the only slot, retries with backoff and snapshots once it is cut', async () => {
    // the desktop sends a bearer token, not x-actor: every request here acts as the admin
    const dc = await start({ maxConcurrent: 1, stallTimeoutMs: 2000 }, (request) => headerActor(request) ?? admin);
    const stalled = await openReader(dc.url);
    expect(stalled.status).toBe(200);
    await until(async () => (await copies()).length === 1, 30_000, 'the COPY of the stalled export');
    const dir = mkdtempSync(path.join(os.tmpdir(), 'huying-snapshot-limits-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    // a town desktop (the big rows are the other town's): retries every 20–200 ms
    const h = await serviceOn(dc, dir, cleanups, { scope: T2, sync: { autoStart: false } });
    expect(await h.svc.syncNow()).toBe('unavailable');
    expect(h.svc.syncStatus()).toMatchObject({ state: 'offline' });
    expect(h.svc.syncStatus().message).toMatch(/503/);
    await expect.poll(() => h.svc.syncStatus().state, { timeout: 30_000, interval: 50 }).toBe('live');
    // by itself: nothing here asked it to sync again after the refusal
    expect(h.svc.syncStatus().scope).toBe(T2);
    expect((await stalled.drain()).complete).toBe(false); // the slot was freed by cutting the stalled reader
  }, 90_000);
});

describe('snapshot export limits [pglite]', () => {
  let store: DataCenterDb;
  let db: Db;

  beforeAll(async () => {
    store = await openDatabase({});
    db = store.db;
    await fill(db, 1);
  }, 120_000);
  afterAll(async () => {
    await store?.close();
  });

  it('a stalled export is cut after the stall timeout and the database (one connection) answers again', async () => {
    const out = new PassThrough({ highWaterMark: 16 * 1024 });
    const t0 = Date.now();
    const done = writeSnapshot(db, 'district', out, { stallTimeoutMs: 400 });
    // nobody reads `out`
    await expect(done).rejects.toBeInstanceOf(SnapshotClientStalled);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(400);
    expect(out.destroyed).toBe(true);
    const [row] = rowsOf<{ n: number }>(await db.execute(sql`select count(*)::int as n from sync_rows`));
    expect(row!.n).toBeGreaterThan(100);
  });

  it('a slow reader that keeps reading is not cut', async () => {
    const out = new PassThrough({ highWaterMark: 16 * 1024 });
    const done = writeSnapshot(db, 'district', out, { stallTimeoutMs: 300 });
    const chunks: Buffer[] = [];
    const t0 = Date.now();
    for await (const c of out) {
      chunks.push(c as Buffer);
      // ≤ 80 KB every 150 ms: the one ~1 MB page takes over a second to drain, far beyond the stall timeout, yet bytes keep flowing
      await sleep(150);
    }
    const summary = await done;
    expect(Date.now() - t0).toBeGreaterThan(900);
    expect(Buffer.concat(chunks).length).toBe(summary.bytes);
    expect(frameTypes(Buffer.concat(chunks).toString('utf8')).at(-1)).toBe('end');
  });
});
