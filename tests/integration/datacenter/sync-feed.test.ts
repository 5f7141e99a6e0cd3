/**
 * The sync feed through a real listening data center, on PGlite and on
 * PostgreSQL: snapshots per scope with their checksums, live batches over
 * WebSocket, SSE and long-poll after a cursor, scope filtering with rows moving
 * between towns, heartbeats, must-refetch (old epoch, expired cursor, cursor
 * ahead; as 409 and as a frame), the epoch bump, auth, and replicas built from
 * snapshot + live whose checksums equal the server's. The live session's
 * paging, back-pressure and checksum frames are driven directly through a fake
 * transport; snapshot consistency is checked while writers run.
 */
import { PassThrough } from 'node:stream';
import { sql } from 'drizzle-orm';
import { drizzle as drizzleNodePg } from 'drizzle-orm/node-postgres';
import { drizzle as drizzlePglite } from 'drizzle-orm/pglite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LiveFrame, RpcErrorSchema, ScopeChecksum, type SyncScope } from '../../../src/core';
import { startDataCenter, type DataCenter } from '../../../src/datacenter/server';
import type { DataCenterDb, Db } from '../../../src/datacenter/store/database';
import { rowsOf } from '../../../src/datacenter/store/migration';
import { schema } from '../../../src/datacenter/store/schema';
import { preferIndexOrder, readBatch } from '../../../src/datacenter/sync/feed';
import { SyncHub } from '../../../src/datacenter/sync/hub';
import { LiveSession, type LiveTransport } from '../../../src/datacenter/sync/live';
import { writeSnapshot } from '../../../src/datacenter/sync/snapshot';
import { computeChecksum, pruneChangeLog, readSyncHead } from '../../../src/datacenter/sync/state';
import { writeReplicated, type ChangeSink } from '../../../src/datacenter/sync/write';
import { forEachBackend } from './backends';
import { applyFrames, DISTRICT, fetchSnapshot, headerActor, liveQuery, openSse, openWs, Replica, T1, T2, type LiveConnection } from './sync-client';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The rows a client of `scope` should hold, straight from sync_rows. */
async function serverRows(db: Db, scope: SyncScope, table = 'events'): Promise<Record<string, unknown>> {
  const filter = scope === 'district' ? sql`true` : sql`(scope = ${scope} or scope is null)`;
  const rows = rowsOf<{ key: string; row: unknown }>(await db.execute(sql`select key, row::jsonb as row from sync_rows where table_name = ${table} and ${filter}`));
  return Object.fromEntries(rows.map((r) => [r.key, r.row]));
}

class FakeTransport implements LiveTransport {
  readonly frames: LiveFrame[] = [];
  blocked = false;
  closed = false;
  private waiters: (() => void)[] = [];
  send(text: string): void {
    this.frames.push(LiveFrame.parse(JSON.parse(text)));
  }
  buffered(): number {
    return this.blocked ? 64 * 1024 * 1024 : 0;
  }
  drained(): Promise<void> {
    return this.blocked ? new Promise((r) => this.waiters.push(r)) : Promise.resolve();
  }
  release(): void {
    this.blocked = false;
    for (const w of this.waiters.splice(0)) w();
  }
  close(): void {
    this.closed = true;
  }
  batches() {
    return this.frames.filter((f): f is Extract<LiveFrame, { t: 'batch' }> => f.t === 'batch');
  }
}

async function until(cond: () => boolean | Promise<boolean>, timeoutMs = 5000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

forEachBackend('sync feed', (backend) => {
  let store: DataCenterDb;
  let db: Db;
  let dc: DataCenter;
  const write = (fn: (out: ChangeSink) => void) => writeReplicated(db, async (_tx, out) => fn(out));
  const get = (path: string, actor: string | null = 'admin', headers: Record<string, string> = {}) =>
    fetch(`${dc.url}${path}`, { headers: { ...(actor ? { 'x-actor': actor } : {}), ...headers } });

  beforeAll(async () => {
    store = await backend.fresh();
    db = store.db;
    dc = await startDataCenter({
      database: store,
      port: 0,
      seed: null,
      app: { actorOf: headerActor, sync: { hub: { pollMs: 50, gapGraceMs: 20, retentionMs: null }, live: { heartbeatMs: 150, checksumMs: 0 } } },
    });
    await write((out) => {
      out.upsert('events', 'e1', T1, { id: 'e1', n: 1 });
      out.upsert('events', 'e2', T2, { id: 'e2', n: 1 });
      out.upsert('events', 'x1', DISTRICT, { id: 'x1', note: 'outside every town' });
      out.upsert('units', 'u1', null, { id: 'u1' });
    });
  });
  afterAll(async () => {
    await dc?.close();
  });

  it('refuses without an actor (401) and outside the actor’s scope (403)', async () => {
    for (const path of ['/api/v1/sync/snapshot?scope=district', '/api/v1/sync/checksum?scope=district']) {
      const res = await get(path, null);
      expect(res.status, path).toBe(401);
      expect(RpcErrorSchema.parse(((await res.json()) as { error: unknown }).error).code).toBe('unauthenticated');
    }
    expect((await get('/api/v1/sync/snapshot?scope=district', 't1')).status).toBe(403);
    expect((await get(`/api/v1/sync/snapshot?scope=${T2}`, 't1')).status).toBe(403);
    expect((await get(`/api/v1/sync/snapshot?scope=${T1}`, 't1')).status).toBe(200);
    expect((await get('/api/v1/sync/snapshot?scope=town', 'admin')).status).toBe(400);
    const head = await readSyncHead(db);
    await expect(openWs(dc.url, `scope=district&epoch=${head.epoch}&v=${head.v}`, 'nobody')).rejects.toThrow(/401/);
    await expect(openWs(dc.url, `scope=district&epoch=${head.epoch}&v=${head.v}`, 't1')).rejects.toThrow(/403/);
  });

  it('snapshots each scope: its town’s rows and the district-wide ones, ending with matching checksums', async () => {
    const district = await fetchSnapshot(dc.url, 'district');
    const t1 = await fetchSnapshot(dc.url, T1, 't1');
    const t2 = await fetchSnapshot(dc.url, T2);
    expect(Object.keys(district.rowsOf('events')).sort()).toEqual(['e1', 'e2', 'x1']);
    expect(t1.rowsOf('events')).toEqual({ e1: { id: 'e1', n: 1 } });
    expect(Object.keys(t2.rowsOf('events'))).toEqual(['e2']);
    for (const r of [district, t1, t2]) {
      expect(r.rowsOf('units')).toEqual({ u1: { id: 'u1' } });
      expect(r.endChecksum!.tables).toEqual(r.checksum());
      expect(r.endChecksum!.checkpoint).toEqual(r.cursor);
      const res = await get(`/api/v1/sync/checksum?scope=${r.scope}`);
      expect(ScopeChecksum.parse(await res.json())).toEqual(r.endChecksum);
    }
  });

  it('streams live batches over WebSocket and SSE; rows moving between towns arrive as deletes and upserts; replicas end equal to the server', async () => {
    const replicas = { district: await fetchSnapshot(dc.url, 'district'), t1: await fetchSnapshot(dc.url, T1, 't1'), t2: await fetchSnapshot(dc.url, T2) };
    const conns: Record<keyof typeof replicas, LiveConnection> = {
      district: await openWs(dc.url, liveQuery(replicas.district)),
      t1: await openWs(dc.url, liveQuery(replicas.t1), 't1'),
      t2: await openSse(dc.url, liveQuery(replicas.t2)),
    };
    try {
      await write((out) => out.upsert('events', 'e1', T1, { id: 'e1', n: 2 }));
      await write((out) => out.upsert('events', 'e2', T1, { id: 'e2', n: 2, moved: 'from T2' }));
      await write((out) => {
        out.upsert('events', 'e3', T2, { id: 'e3', n: 1 });
        out.delete('units', 'u1');
        out.upsert('events', 'x1', DISTRICT, { id: 'x1', note: 'still outside' });
      });
      await write((out) => out.upsert('events', 'e3', T2, { id: 'e3', n: 2 })); // nothing for T1: its checkpoint still advances
      const head = await readSyncHead(db);
      for (const [name, conn] of Object.entries(conns) as [keyof typeof replicas, LiveConnection][]) {
        await conn.log.waitFor((f) => f.t === 'batch' && f.checkpoint.v === head.v);
        applyFrames(replicas[name], conn.log, 0);
        expect(replicas[name].cursor, name).toEqual({ epoch: head.epoch, v: head.v });
        expect(replicas[name].rowsOf('events'), name).toEqual(await serverRows(db, replicas[name].scope));
        expect(replicas[name].rowsOf('units'), name).toEqual({});
        expect(replicas[name].checksum(), name).toEqual((await computeChecksum(db, replicas[name].scope)).tables);
      }
      const ops = (name: keyof typeof replicas) => conns[name].log.frames.flatMap((f) => (f.t === 'batch' ? f.ops : []));
      expect(ops('t2').filter((o) => o.key === 'e2')).toEqual([{ table: 'events', op: 'delete', key: 'e2', v: head.v - 2 }]);
      expect(ops('t1').filter((o) => o.key === 'e2').map((o) => o.op)).toEqual(['upsert']);
      expect(ops('t1').some((o) => o.key === 'x1' || o.key === 'e3')).toBe(false);
      expect(ops('district').filter((o) => o.key === 'x1')).toHaveLength(1);
      // heartbeats when idle, at the client's checkpoint
      const beat = await conns.t1.log.waitFor((f) => f.t === 'heartbeat', 2000, conns.t1.log.frames.length);
      expect(beat).toMatchObject({ t: 'heartbeat', checkpoint: { epoch: head.epoch, v: head.v } });
    } finally {
      for (const c of Object.values(conns)) c.close();
    }
  });

  it('answers a long-poll at once when behind, on the next commit when current, with a heartbeat when nothing comes', async () => {
    const r = await fetchSnapshot(dc.url, 'district');
    const c = r.cursor!;
    const behind = await get(`/api/v1/sync/changes?scope=district&epoch=${c.epoch}&v=${c.v - 1}`);
    expect(behind.status).toBe(200);
    const frame = LiveFrame.parse(await behind.json());
    expect(frame).toMatchObject({ t: 'batch', from: { v: c.v - 1 }, checkpoint: { v: c.v } });

    const t0 = Date.now();
    const waiting = get(`/api/v1/sync/changes?scope=district&epoch=${c.epoch}&v=${c.v}&wait=5`);
    await sleep(100);
    await write((out) => out.upsert('events', 'lp', T1, { id: 'lp' }));
    const next = LiveFrame.parse(await (await waiting).json());
    expect(Date.now() - t0).toBeLessThan(3000);
    expect(next).toMatchObject({ t: 'batch', checkpoint: { v: c.v + 1 }, ops: [{ key: 'lp', op: 'upsert' }] });

    const idle = LiveFrame.parse(await (await get(`/api/v1/sync/changes?scope=district&epoch=${c.epoch}&v=${c.v + 1}&wait=0.2`)).json());
    expect(idle).toMatchObject({ t: 'heartbeat', checkpoint: { v: c.v + 1 } });
  });

  it('says 409 must_refetch for another epoch, a cursor ahead of the server and one older than the retained log', async () => {
    const head = await readSyncHead(db);
    const reason = async (query: string, accept?: string) => {
      const res = await get(`/api/v1/sync/changes?${query}`, 'admin', accept ? { accept } : {});
      expect(res.status).toBe(409);
      const body = (await res.json()) as { ok: boolean; error: { code: string; details: { reason: string } } };
      expect(body.ok).toBe(false);
      expect(body.error.code).toBe('must_refetch');
      return body.error.details.reason;
    };
    expect(await reason(`scope=district&epoch=00000000-0000-4000-8000-000000000000&v=${head.v}`)).toBe('epoch');
    expect(await reason(`scope=district&epoch=00000000-0000-4000-8000-000000000000&v=${head.v}`, 'text/event-stream')).toBe('epoch');
    expect(await reason(`scope=district&epoch=${head.epoch}&v=${head.v + 5}`)).toBe('ahead');
    await expect(openWs(dc.url, `scope=district&epoch=wrong&v=${head.v}`)).rejects.toThrow(/409/);

    await write((out) => out.upsert('events', 'p1', T1, { id: 'p1' }));
    await write((out) => out.upsert('events', 'p2', T1, { id: 'p2' }));
    await pruneChangeLog(db, { throughV: head.v + 1 });
    expect(await reason(`scope=district&epoch=${head.epoch}&v=${head.v}`)).toBe('expired');
    // at the floor itself the log still has everything after it
    const ok = await get(`/api/v1/sync/changes?scope=district&epoch=${head.epoch}&v=${head.v + 1}`);
    expect(LiveFrame.parse(await ok.json())).toMatchObject({ t: 'batch', checkpoint: { v: head.v + 2 }, ops: [{ key: 'p2' }] });
  });

  it('pages a client far behind, holds back while its transport is full, and reads the log when memory lacks the versions', async () => {
    const hub = await SyncHub.start(db, { pollMs: 50, gapGraceMs: 20, retentionMs: null, recentVersions: 1 });
    const start = await readSyncHead(db);
    const transport = new FakeTransport();
    transport.blocked = true;
    const session = new LiveSession(db, hub, transport, T1, null, { epoch: start.epoch, v: start.v }, { heartbeatMs: 60_000, checksumMs: 0, maxBatchOps: 5 });
    try {
      session.start();
      for (let i = 0; i < 12; i++) await write((out) => out.upsert('events', `bp${i}`, i % 3 === 0 ? T2 : T1, { id: `bp${i}` }));
      // one version larger than a page goes whole
      await write((out) => {
        for (let i = 0; i < 12; i++) out.upsert('events', `big${i}`, T1, { id: `big${i}` });
      });
      await sleep(150);
      // nothing read or sent while the client's buffer is full, but the heartbeat that said it was at the head when it connected
      expect(transport.frames).toMatchObject([{ t: 'heartbeat', checkpoint: { epoch: start.epoch, v: start.v } }]);
      transport.release();
      const head = await readSyncHead(db);
      await until(() => session.cursor === head.v, 5000, 'catch-up');
      const batches = transport.batches();
      expect(batches.length).toBeGreaterThanOrEqual(3);
      let cursor = start.v;
      for (const b of batches) {
        expect(b.from.v).toBe(cursor);
        cursor = b.checkpoint.v;
        if (!b.ops.some((o) => o.key.startsWith('big'))) expect(b.ops.length).toBeLessThanOrEqual(5);
      }
      expect(batches.flatMap((b) => b.ops).filter((o) => o.key.startsWith('big'))).toHaveLength(12);
      expect(batches.flatMap((b) => b.ops).filter((o) => o.key.startsWith('bp'))).toHaveLength(8); // the T2 ones are not T1's
    } finally {
      session.stop();
      hub.stop();
    }
  });

  it('tells a client that catches up under steady traffic that it reached the head at once, not after heartbeatMs of quiet', async () => {
    const hub = await SyncHub.start(db, { pollMs: 50, gapGraceMs: 20, retentionMs: null });
    const start = await readSyncHead(db);
    for (let i = 0; i < 6; i++) await write((out) => out.upsert('events', `behind${i}`, T1, { id: `behind${i}` }));
    const transport = new FakeTransport();
    // a client 6 versions behind, the heartbeat a minute away
    const session = new LiveSession(db, hub, transport, T1, null, { epoch: start.epoch, v: start.v }, { heartbeatMs: 60_000, checksumMs: 0, maxBatchOps: 2 });
    try {
      session.start();
      const head = await readSyncHead(db);
      await until(() => transport.frames.some((f) => f.t === 'heartbeat'), 5000, 'the heartbeat at the head');
      const at = transport.frames.findIndex((f) => f.t === 'heartbeat');
      expect(transport.frames[at]).toMatchObject({ t: 'heartbeat', checkpoint: { epoch: head.epoch, v: head.v } });
      // right after the batch that got it there, and every batch before it
      const before = transport.frames[at - 1];
      expect(before?.t === 'batch' && before.checkpoint.v).toBe(head.v);
      expect(transport.frames.slice(0, at).every((f) => f.t === 'batch')).toBe(true);
      // steady traffic afterwards: batches, no second heartbeat (once per session; the idle one comes after heartbeatMs)
      for (let i = 0; i < 3; i++) await write((out) => out.upsert('events', `after${i}`, T1, { id: `after${i}` }));
      const last = await readSyncHead(db);
      await until(() => session.cursor === last.v, 5000, 'the later batches');
      expect(transport.frames.filter((f) => f.t === 'heartbeat')).toHaveLength(1);
    } finally {
      session.stop();
      hub.stop();
    }
  });

  it('sends must_refetch as a frame when the log a session still needs is pruned', async () => {
    const hub = await SyncHub.start(db, { pollMs: 50, gapGraceMs: 20, retentionMs: null, recentVersions: 1 });
    const start = await readSyncHead(db);
    const transport = new FakeTransport();
    transport.blocked = true;
    const session = new LiveSession(db, hub, transport, 'district', null, { epoch: start.epoch, v: start.v }, { heartbeatMs: 60_000, checksumMs: 0 });
    try {
      session.start();
      for (let i = 0; i < 3; i++) await write((out) => out.upsert('events', `gone${i}`, T1, { id: `gone${i}` }));
      await pruneChangeLog(db, { throughV: start.v + 2 });
      transport.release();
      await until(() => transport.closed, 5000, 'close');
      expect(transport.frames.slice(1)).toEqual([{ t: 'must_refetch', reason: 'expired' }]);
      expect(transport.frames[0]).toMatchObject({ t: 'heartbeat', checkpoint: { v: start.v } }); // at the head when it connected
    } finally {
      session.stop();
      hub.stop();
    }
  });

  it('sends a checksum frame exactly at its checkpoint, equal to the replica’s', async () => {
    const replica = await fetchSnapshot(dc.url, T1, 't1');
    const hub = await SyncHub.start(db, { pollMs: 50, gapGraceMs: 20, retentionMs: null });
    const transport = new FakeTransport();
    const session = new LiveSession(db, hub, transport, T1, null, replica.cursor!, { heartbeatMs: 60_000, checksumMs: 0 });
    try {
      session.start();
      await write((out) => out.upsert('events', 'cs1', T1, { id: 'cs1' }));
      await session.checksumNow();
      await write((out) => out.upsert('events', 'cs2', T1, { id: 'cs2' }));
      await until(() => transport.frames.some((f) => f.t === 'checksum') && session.cursor === hub.head, 5000, 'checksum frame');
      for (const f of transport.frames) replica.apply(f);
      const sent = replica.checksums[0]!;
      // the checksum arrived right after the batch that reached its checkpoint
      const at = transport.frames.findIndex((f) => f.t === 'checksum');
      const before = transport.frames[at - 1];
      expect(before?.t === 'batch' && before.checkpoint.v).toBe(sent.checkpoint.v);
      const replayed = await fetchSnapshot(dc.url, T1, 't1');
      expect(replica.checksum()).toEqual(replayed.checksum());
      expect(sent.tables.events!.count).toBe(replica.checksum().events!.count - 1);
    } finally {
      session.stop();
      hub.stop();
    }
  });

  it('keeps a snapshot consistent while writers commit, and live from its checkpoint completes it', async () => {
    const rows = 40;
    await write((out) => {
      for (let i = 0; i < rows; i++) out.upsert('audit', `acct${String(i).padStart(2, '0')}`, T1, { balance: 100 });
    });
    let stop = false;
    let writes = 0;
    const writer = (async () => {
      for (let k = 0; !stop; k++) {
        const a = `acct${String(k % rows).padStart(2, '0')}`;
        const b = `acct${String((k * 7 + 3) % rows).padStart(2, '0')}`;
        if (a === b) continue;
        await writeReplicated(db, async (tx, out) => {
          const cur = rowsOf<{ key: string; row: { balance: number } }>(
            await tx.execute(sql`select key, row::jsonb as row from sync_rows where table_name = 'audit' and key in (${a}, ${b}) for update`),
          );
          const get = (key: string) => cur.find((r) => r.key === key)!.row.balance;
          out.upsert('audit', a, T1, { balance: get(a) - 1 });
          out.upsert('audit', b, T1, { balance: get(b) + 1 });
        });
        writes++;
        // PGlite answers synchronously under its promises: without a real yield this loop would starve the event loop
        await new Promise((r) => setImmediate(r));
      }
    })();
    await until(() => writes > 3, 5000, 'writers');
    // a slow reader: small pages, a tiny buffer, a pause per chunk
    const body = new PassThrough({ highWaterMark: 256 });
    const done = writeSnapshot(db, 'district', body, { pageRows: 3 });
    let text = '';
    for await (const chunk of body) {
      text += String(chunk);
      await sleep(2);
    }
    const summary = await done;
    const writesDuring = writes;
    stop = true;
    await writer;
    const replica = new Replica('district');
    replica.applySnapshot(text);
    const accounts = replica.tables.get('audit')!;
    expect(accounts.size).toBe(rows);
    expect([...accounts.values()].reduce((n, r) => n + (r.row as { balance: number }).balance, 0)).toBe(rows * 100);
    expect([...accounts.values()].every((r) => r.v <= summary.checkpoint)).toBe(true);
    expect(replica.endChecksum!.tables).toEqual(replica.checksum());
    if (backend.kind === 'postgres') expect(writesDuring).toBeGreaterThan(5); // the writers really ran alongside

    // then follow the log from the checkpoint to the head
    const head = await readSyncHead(db);
    for (let from = summary.checkpoint; from < head.v; ) {
      const batch = await readBatch(db, null, { scope: 'district', clientId: null, epoch: head.epoch, from, upto: head.v, maxOps: 50 });
      if (batch.kind !== 'batch') throw new Error('expired');
      replica.apply(LiveFrame.parse(JSON.parse(batch.json)));
      from = batch.checkpoint;
    }
    expect(replica.rowsOf('audit')).toEqual(await serverRows(db, 'district', 'audit'));
    expect(replica.checksum()).toEqual((await computeChecksum(db, 'district')).tables);
  });

  it('walks the indexes in order for its pages even before the tables have statistics', async () => {
    // PGlite never analyzes by itself; without preferIndexOrder the planner sorts all remaining rows for every page
    const plan = async (query: ReturnType<typeof sql>) =>
      db.transaction(async (tx) => {
        await preferIndexOrder(tx);
        return rowsOf<Record<string, string>>(await tx.execute(sql`explain ${query}`))
          .map((r) => Object.values(r)[0])
          .join('\n');
      });
    const page = await plan(sql`SELECT key, v, row FROM sync_rows WHERE table_name = 'events' AND true AND key > 'e' ORDER BY key LIMIT 1000`);
    expect(page).toMatch(/Index Scan using sync_rows_pkey/);
    expect(page).not.toMatch(/Sort/);
    const log = await plan(
      sql`SELECT v, table_name, key, op, scope, prev_scope, moved, row::text AS row FROM change_log WHERE v > 1 AND v <= 100000 AND true ORDER BY v, seq LIMIT 1000`,
    );
    expect(log).toMatch(/Index Scan using change_log_pkey/);
    expect(log).not.toMatch(/Sort/);
  });

  it('a client that leaves mid-snapshot releases its transaction', async () => {
    for (let i = 0; i < 5; i++) {
      await write((out) => {
        for (let j = 0; j < 500; j++) out.upsert('wall', `w${i}-${j}`, null, { id: `w${i}-${j}`, pad: 'x'.repeat(400) });
      });
    }
    const abort = new AbortController();
    const res = await fetch(`${dc.url}/api/v1/sync/snapshot?scope=district`, { headers: { 'x-actor': 'admin' }, signal: abort.signal });
    const reader = res.body!.getReader();
    await reader.read();
    abort.abort();
    await reader.cancel().catch(() => {});
    // and one that leaves before its stream starts (on PGlite a writer holds the one connection meanwhile)
    const slow = writeReplicated(db, async (tx) => {
      await tx.execute(sql`select pg_sleep(0.3)`);
    });
    const early = new AbortController();
    const gone = fetch(`${dc.url}/api/v1/sync/snapshot?scope=district`, { headers: { 'x-actor': 'admin' }, signal: early.signal }).catch(() => null);
    await sleep(20);
    early.abort();
    await gone;
    await slow;
    const t0 = Date.now();
    await write((out) => out.upsert('events', 'after-abort', T1, { id: 'after-abort' }));
    expect(Date.now() - t0).toBeLessThan(5000);
    const again = await fetchSnapshot(dc.url, T1, 't1');
    expect(again.rowsOf('events')['after-abort']).toEqual({ id: 'after-abort' });
    if (backend.kind === 'postgres') {
      await until(
        async () =>
          rowsOf<{ n: number }>(await db.execute(sql`select count(*)::int as n from pg_stat_activity where state like 'idle in transaction%' and datname = current_database()`))[0]!.n === 0,
        5000,
        'the snapshot transaction to end',
      );
    }
  });

  it('accepts a cursor its hub has not seen yet (a version from elsewhere), and closes with streams open', async () => {
    // a second server on the same database whose hub only learns of foreign versions on connect
    const other = await startDataCenter({
      database: store,
      port: 0,
      seed: null,
      app: { actorOf: headerActor, sync: { hub: { pollMs: 60_000, gapGraceMs: 100, retentionMs: null }, live: { heartbeatMs: 60_000, checksumMs: 0 } } },
    });
    try {
      const client = (db as unknown as { $client: never }).$client;
      const foreign: Db = backend.kind === 'pglite' ? drizzlePglite({ client, schema }) : drizzleNodePg({ client, schema });
      await writeReplicated(foreign, async (_tx, out) => out.upsert('events', 'foreign', T1, { id: 'foreign' }));
      const replica = await fetchSnapshot(other.url, 'district');
      expect(replica.rowsOf('events').foreign).toEqual({ id: 'foreign' });
      const ws = await openWs(other.url, liveQuery(replica));
      const sse = await openSse(other.url, liveQuery(replica));
      const poll = fetch(`${other.url}/api/v1/sync/changes?${liveQuery(replica)}&wait=30`, { headers: { 'x-actor': 'admin' } });
      await sleep(200);
      await write((out) => out.upsert('events', 'after-foreign', T1, { id: 'after-foreign' }));
      await ws.log.waitFor((f) => f.t === 'batch' && f.ops.some((o) => o.key === 'after-foreign'));
      await sse.log.waitFor((f) => f.t === 'batch' && f.ops.some((o) => o.key === 'after-foreign'));
      expect(LiveFrame.parse(await (await poll).json())).toMatchObject({ t: 'batch', from: { v: replica.cursor!.v } });
      const idlePoll = fetch(`${other.url}/api/v1/sync/changes?${liveQuery(replica)}&wait=30`, { headers: { 'x-actor': 'admin' } }).catch(() => null);
      await sleep(50);
      const t0 = Date.now();
      await other.close();
      expect(Date.now() - t0).toBeLessThan(5000);
      await ws.log.waitClosed();
      await sse.log.waitClosed();
      await idlePoll;
    } finally {
      await other.close();
    }
  });

  it('closes within its grace period while a client has stopped reading a snapshot, and the snapshot’s transaction ends', async () => {
    // ~8 MB of rows: far more than the socket buffers on both ends hold
    await write((out) => {
      for (let j = 0; j < 800; j++) out.upsert('wall', `cut${j}`, null, { id: `cut${j}`, pad: 'x'.repeat(10_000) });
    });
    const other = await startDataCenter({ database: store, port: 0, seed: null, app: { actorOf: headerActor, shutdownGraceMs: 300 } });
    try {
      const res = await fetch(`${other.url}/api/v1/sync/snapshot?scope=district`, { headers: { 'x-actor': 'admin' } });
      const reader = res.body!.getReader();
      await reader.read(); // then stops reading
      const t0 = Date.now();
      await other.close();
      expect(Date.now() - t0).toBeLessThan(3000);
      // the client sees its stream cut, not a silent end
      await expect(
        (async () => {
          for (;;) if ((await reader.read()).done) return 'ended';
        })(),
      ).rejects.toThrow();
      const t1 = Date.now();
      await write((out) => out.upsert('events', 'after-cut', T1, { id: 'after-cut' }));
      expect(Date.now() - t1).toBeLessThan(5000);
    } finally {
      await other.close();
    }
  });

  describe('epoch', () => {
    it('only an admin bumps it; live clients get must_refetch and old cursors 409; a new snapshot carries the new epoch', async () => {
      const replica = await fetchSnapshot(dc.url, 'district');
      const conn = await openWs(dc.url, liveQuery(replica));
      const sse = await openSse(dc.url, liveQuery(replica));
      expect((await fetch(`${dc.url}/api/v1/sync/epoch`, { method: 'POST', headers: { 'x-actor': 't1' } })).status).toBe(403);
      const res = await fetch(`${dc.url}/api/v1/sync/epoch`, { method: 'POST', headers: { 'x-actor': 'admin' } });
      expect(res.status).toBe(200);
      const { epoch } = (await res.json()) as { epoch: string };
      expect(epoch).not.toBe(replica.cursor!.epoch);
      for (const c of [conn, sse]) {
        expect(await c.log.waitFor((f) => f.t === 'must_refetch')).toEqual({ t: 'must_refetch', reason: 'epoch' });
        await c.log.waitClosed();
      }
      const stale = await get(`/api/v1/sync/changes?${liveQuery(replica)}`);
      expect(stale.status).toBe(409);
      const fresh = await fetchSnapshot(dc.url, 'district');
      expect(fresh.cursor!.epoch).toBe(epoch);
      expect(fresh.cursor!.v).toBe(replica.cursor!.v);
    });
  });
});
