/**
 * POST /api/v1/commands on PGlite and PostgreSQL: each (clientId, mutationId)
 * is applied exactly once however pushes are duplicated, reordered, replayed or
 * raced; a rejection (the handler's HuyingError, a malformed mutation, a name
 * without a handler, a handler crash) rolls back its effects yet takes a
 * version, stores its result and advances the client, and its ack arrives in
 * the live feed in order; a stale id is refused without being stored; a
 * transient database failure stores nothing and answers 503.
 */
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { z } from 'zod';
import { CommandsResponse, HuyingError, type PushedMutation } from '../../../src/core';
import { processCommands } from '../../../src/datacenter/commands/process';
import { MutationRegistry } from '../../../src/datacenter/commands/registry';
import { startDataCenter, type DataCenter } from '../../../src/datacenter/server';
import type { DataCenterDb, Db } from '../../../src/datacenter/store/database';
import { rowsOf } from '../../../src/datacenter/store/migration';
import { readSyncHead } from '../../../src/datacenter/sync/state';
import { forEachBackend } from './backends';
import { admin, applyFrames, fetchSnapshot, headerActor, liveQuery, openWs } from './sync-client';

const ErrorResponse = z.object({ ok: z.literal(false), error: z.object({ code: z.string(), message: z.string() }) });

let transientFailures = 0;

function handlers(): MutationRegistry {
  const registry = new MutationRegistry();
  // a counter per alert: applying one twice would show
  registry.register('wall/ack', async (tx, out, m, actor) => {
    const [current] = rowsOf<{ row: { count: number } }>(await tx.execute(sql`select row::jsonb as row from sync_rows where table_name = 'wall' and key = ${m.alertId}`));
    const count = (current?.row.count ?? 0) + 1;
    out.upsert('wall', m.alertId, null, { id: m.alertId, count, by: actor.id });
    return { count };
  });
  registry.register('wall/directive', async (tx, out, m) => {
    const d = m.directive as { id: string; deny?: boolean; crash?: boolean; sqlFail?: boolean; transient?: boolean };
    // effects first, so a rejection has something to roll back
    out.upsert('wall', `directive-${d.id}`, null, { id: d.id });
    await tx.execute(sql`update meta set reference_source = ${`touched by ${d.id}`} where id = 1`);
    if (d.deny) throw new HuyingError('forbidden', 'this account may not direct the walls');
    if (d.crash) throw new TypeError('handler bug');
    if (d.sqlFail) await tx.execute(sql`select 1 / 0`);
    if (d.transient && transientFailures > 0) {
      transientFailures--;
      throw Object.assign(new Error('could not serialize access'), { code: '40001' });
    }
    return { shown: d.id };
  });
  return registry;
}

const ack = (mutationId: number, alertId: string): PushedMutation => ({ mutationId, createdAt: '2025-06-01T08:00:00.000Z', mutation: { name: 'wall/ack', alertId } });
const directive = (mutationId: number, d: Record<string, unknown>): PushedMutation => ({
  mutationId,
  createdAt: '2025-06-01T08:00:00.000Z',
  mutation: { name: 'wall/directive', directive: d },
});

forEachBackend('commands', (backend) => {
  let store: DataCenterDb;
  let db: Db;
  let dc: DataCenter;

  const push = async (clientId: string, mutations: unknown[], actor: string | null = 'admin') =>
    fetch(`${dc.url}/api/v1/commands`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(actor ? { 'x-actor': actor } : {}) },
      body: JSON.stringify({ clientId, mutations }),
    });
  const pushOk = async (clientId: string, mutations: unknown[]) => {
    const res = await push(clientId, mutations);
    expect(res.status).toBe(200);
    return CommandsResponse.parse(await res.json());
  };
  const counter = async (alertId: string) =>
    rowsOf<{ row: { count: number } }>(await db.execute(sql`select row::jsonb as row from sync_rows where table_name = 'wall' and key = ${alertId}`))[0]?.row.count ?? 0;
  const metaSource = async () => rowsOf<{ s: string | null }>(await db.execute(sql`select reference_source as s from meta`))[0]?.s ?? null;

  beforeAll(async () => {
    store = await backend.fresh();
    db = store.db;
    dc = await startDataCenter({
      database: store,
      port: 0,
      seed: null,
      app: { actorOf: headerActor, mutations: handlers(), sync: { hub: { pollMs: 50, gapGraceMs: 20, retentionMs: null }, live: { heartbeatMs: 200, checksumMs: 0 } } },
    });
  });
  afterAll(async () => {
    await dc?.close();
  });

  it('needs an actor and a well-formed push', async () => {
    expect((await push('c0', [ack(1, 'a')], null)).status).toBe(401);
    const bad = await push('', [ack(1, 'a')]);
    expect(bad.status).toBe(400);
    expect(ErrorResponse.parse(await bad.json()).error.code).toBe('invalid_args');
    expect((await push('c0', [])).status).toBe(400);
    expect((await push('c0', [{ mutationId: 0, mutation: {} }])).status).toBe(400);
  });

  it('applies in order, then answers duplicates and reordered replays from the stored results without running them again', async () => {
    const first = await pushOk('c1', [ack(1, 'a1'), ack(2, 'a1'), ack(3, 'a1')]);
    expect(first.lastMutationId).toBe(3);
    expect(first.results.map((r) => [r.mutationId, r.status, r.duplicate, r.result])).toEqual([
      [1, 'applied', false, { count: 1 }],
      [2, 'applied', false, { count: 2 }],
      [3, 'applied', false, { count: 3 }],
    ]);
    const vs = first.results.map((r) => r.v);
    expect(vs[1]).toBe(vs[0]! + 1);
    expect(vs[2]).toBe(vs[1]! + 1);

    const again = await pushOk('c1', [ack(1, 'a1'), ack(2, 'a1'), ack(3, 'a1')]);
    expect(again.results).toEqual(first.results.map((r) => ({ ...r, duplicate: true })));
    const reordered = await pushOk('c1', [ack(3, 'a1'), ack(1, 'a1'), ack(2, 'a1')]);
    expect(reordered.results.map((r) => [r.mutationId, r.duplicate, r.v])).toEqual([
      [3, true, vs[2]],
      [1, true, vs[0]],
      [2, true, vs[1]],
    ]);
    expect(await counter('a1')).toBe(3);
    // duplicates take no version
    expect((await readSyncHead(db)).v).toBe(vs[2]);
  });

  it('refuses an unknown id at or below the last processed one without storing it (it would run out of order)', async () => {
    const r = await pushOk('c2', [ack(5, 'a2'), ack(4, 'a2')]);
    expect(r.results[0]).toMatchObject({ mutationId: 5, status: 'applied' });
    expect(r.results[1]).toMatchObject({
      mutationId: 4,
      status: 'rejected',
      v: 0,
      duplicate: false,
      error: { code: 'conflict', details: { reason: 'stale_mutation_id', lastMutationId: 5 } },
    });
    expect(r.lastMutationId).toBe(5);
    const again = await pushOk('c2', [ack(4, 'a2')]);
    expect(again.results[0]).toMatchObject({ status: 'rejected', v: 0, duplicate: false });
    expect(await counter('a2')).toBe(1);
    const stored = rowsOf<{ n: number }>(await db.execute(sql`select count(*)::int as n from client_mutations where client_id = 'c2'`))[0]!.n;
    expect(stored).toBe(1);
  });

  it('a rejection rolls back its effects but takes a version, advances the client, and is acked in the feed in order', async () => {
    const replica = await fetchSnapshot(dc.url, 'district');
    const live = await openWs(dc.url, liveQuery(replica, 'c3'));
    try {
      const before = await metaSource();
      const r = await pushOk('c3', [directive(1, { id: 'd1', deny: true }), ack(2, 'a3'), directive(3, { id: 'd3' })]);
      expect(r.results.map((x) => [x.mutationId, x.status, x.error?.code ?? null])).toEqual([
        [1, 'rejected', 'forbidden'],
        [2, 'applied', null],
        [3, 'applied', null],
      ]);
      expect(r.lastMutationId).toBe(3);
      const [v1, v2, v3] = r.results.map((x) => x.v);
      expect([v2! - v1!, v3! - v2!]).toEqual([1, 1]);
      expect(await metaSource()).toBe('touched by d3');
      expect(before).not.toBe('touched by d1');

      await live.log.waitFor((f) => f.t === 'batch' && f.checkpoint.v >= v3!);
      const applied = applyFrames(replica, live.log, 0);
      expect(replica.acks.map((a) => [a.mutationId, a.status, a.v])).toEqual([
        [1, 'rejected', v1],
        [2, 'applied', v2],
        [3, 'applied', v3],
      ]);
      const ops = live.log.frames.flatMap((f) => (f.t === 'batch' ? f.ops : []));
      expect(ops.some((o) => o.key === 'directive-d1')).toBe(false);
      expect(ops.filter((o) => o.v === v1)).toEqual([]);
      expect(replica.rowsOf('wall')['directive-d3']).toEqual({ id: 'd3' });
      // another client's acks are not sent to this one
      await pushOk('c3-other', [ack(1, 'a3')]);
      await live.log.waitFor((f) => f.t === 'batch' && f.ops.some((o) => o.key === 'a3' && (o.row as { count: number }).count === 2));
      // the frames after those applied (not `replica.batches`: the feed's heartbeat at the head is a frame too)
      applyFrames(replica, live.log, applied);
      expect(replica.acks.every((a) => a.clientId === 'c3')).toBe(true);
    } finally {
      live.close();
    }
  });

  it('stores malformed mutations, names without a handler and handler failures as rejections, and moves on', async () => {
    const r = await pushOk('c4', [
      { mutationId: 1, createdAt: '2025-06-01T08:00:00.000Z', mutation: { name: 'event/command' } },
      { mutationId: 2, mutation: { name: 'no/such-thing' } },
      { mutationId: 3, mutation: { name: 'wall/ack' } },
      directive(4, { id: 'd4', crash: true }),
      directive(5, { id: 'd5', sqlFail: true }),
      ack(6, 'a4'),
    ]);
    expect(r.results.map((x) => [x.mutationId, x.status, x.error?.code ?? null])).toEqual([
      [1, 'rejected', 'invalid_args'],
      [2, 'rejected', 'invalid_args'],
      [3, 'rejected', 'invalid_args'],
      [4, 'rejected', 'internal'],
      [5, 'rejected', 'internal'],
      [6, 'applied', null],
    ]);
    expect(r.results[3]!.error!.message).not.toMatch(/handler bug/); // no internals leak
    expect(r.lastMutationId).toBe(6);
    const stored = rowsOf<{ mutation_id: string | number; name: string; status: string }>(
      await db.execute(sql`select mutation_id, name, status from client_mutations where client_id = 'c4' order by mutation_id`),
    );
    expect(stored.map((s) => [Number(s.mutation_id), s.name, s.status])).toEqual([
      [1, 'event/command', 'rejected'],
      [2, 'no/such-thing', 'rejected'],
      [3, 'wall/ack', 'rejected'],
      [4, 'wall/directive', 'rejected'],
      [5, 'wall/directive', 'rejected'],
      [6, 'wall/ack', 'applied'],
    ]);
  });

  it('rejects a well-formed mutation no handler takes with unknown_method, and advances', async () => {
    // the app's registry also holds the workflow's handlers, so this runs the processor with an empty one
    const r = await processCommands(db, { clientId: 'c4b', mutations: [ack(1, 'nobody'), ack(2, 'nobody')] }, admin, { registry: new MutationRegistry() });
    expect(r.results.map((x) => [x.mutationId, x.status, x.error?.code ?? null, x.v > 0])).toEqual([
      [1, 'rejected', 'unknown_method', true],
      [2, 'rejected', 'unknown_method', true],
    ]);
    expect(r.lastMutationId).toBe(2);
    expect(await counter('nobody')).toBe(0);
  });

  it('a transient database failure stores nothing and answers 503; the retry applies it once', async () => {
    const head = (await readSyncHead(db)).v;
    transientFailures = 1;
    const res = await push('c5', [ack(1, 'a5'), directive(2, { id: 'd5t', transient: true }), ack(3, 'a5')]);
    expect(res.status).toBe(503);
    expect(ErrorResponse.parse(await res.json()).error.code).toBe('unavailable');
    // the first mutation was processed before the failure; the failed one left nothing
    expect((await readSyncHead(db)).v).toBe(head + 1);
    const retry = await pushOk('c5', [ack(1, 'a5'), directive(2, { id: 'd5t', transient: true }), ack(3, 'a5')]);
    expect(retry.results.map((x) => [x.mutationId, x.status, x.duplicate])).toEqual([
      [1, 'applied', true],
      [2, 'applied', false],
      [3, 'applied', false],
    ]);
    expect(await counter('a5')).toBe(2);
  });

  it('concurrent clients share batches (group commit): each applies exactly once, in order, acked in order through the feed', async () => {
    const replica = await fetchSnapshot(dc.url, 'district');
    const live = await openWs(dc.url, liveQuery(replica, 'gc-0'));
    try {
      const clients = Array.from({ length: 12 }, (_, i) => `gc-${i}`);
      const pushes = clients.flatMap((c, i) => {
        // an alert per client: this handler counts in sync_rows, which a batch writes at its flush (write.ts: fn reads domain tables)
        const mutations = [ack(1, `gc-alert-${i}`), directive(2, { id: `${c}-x`, deny: i % 3 === 0 }), ack(3, `gc-alert-${i}`)];
        // every third client pushes twice at once, as a retrying client would
        return i % 3 === 1 ? [pushOk(c, mutations), pushOk(c, mutations)] : [pushOk(c, mutations)];
      });
      const responses = await Promise.all(pushes);
      // exactly once: two acks per alert, whatever the duplicate pushes did
      for (let a = 0; a < clients.length; a++) expect(await counter(`gc-alert-${a}`)).toBe(2);
      for (const [i, c] of clients.entries()) {
        const mine = responses.filter((r) => r.results[0]!.clientId === c);
        for (let k = 0; k < 3; k++) {
          expect(mine.filter((r) => !r.results[k]!.duplicate), `${c} mutation ${k + 1}`).toHaveLength(1);
          expect(new Set(mine.map((r) => r.results[k]!.v)).size).toBe(1);
        }
        const r = mine[0]!;
        expect(r.results.map((x) => x.status)).toEqual(['applied', i % 3 === 0 ? 'rejected' : 'applied', 'applied']);
        // a client's mutations commit in order, each in a later version than the one before
        const vs = r.results.map((x) => x.v!);
        expect(vs[1]! > vs[0]! && vs[2]! > vs[1]!).toBe(true);
        expect(mine.every((x) => x.lastMutationId === 3)).toBe(true);
      }
      const last = Math.max(...responses.flatMap((r) => r.results.map((x) => x.v!)));
      await live.log.waitFor((f) => f.t === 'batch' && f.checkpoint.v >= last);
      applyFrames(replica, live.log, 0);
      const gc0 = responses.find((r) => r.results[0]!.clientId === 'gc-0')!;
      expect(replica.acks.map((a) => [a.clientId, a.mutationId, a.status, a.v])).toEqual(gc0.results.map((x) => ['gc-0', x.mutationId, x.status, x.v]));
      // the rejected directive's effects never reached the feed; the applied ones did
      expect(replica.rowsOf('wall')['directive-gc-0-x']).toBeUndefined();
      expect(replica.rowsOf('wall')['directive-gc-1-x']).toEqual({ id: 'gc-1-x' });
    } finally {
      live.close();
    }
  });

  it('racing pushes of the same mutations apply each exactly once', async () => {
    const batch = Array.from({ length: 8 }, (_, i) => ack(i + 1, 'race'));
    const responses = await Promise.all(Array.from({ length: 5 }, () => pushOk('c6', batch)));
    expect(await counter('race')).toBe(8);
    for (let i = 0; i < 8; i++) {
      const fresh = responses.filter((r) => !r.results[i]!.duplicate);
      expect(fresh, `mutation ${i + 1}`).toHaveLength(1);
      const vs = new Set(responses.map((r) => r.results[i]!.v));
      expect(vs.size).toBe(1);
    }
    expect(responses.every((r) => r.lastMutationId === 8)).toBe(true);
  });
});
