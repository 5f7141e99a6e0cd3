/**
 * Group apply of queued live batches (store/replica-writes.ts applyBatches):
 * N consecutive batches applied in ONE transaction give exactly the replica,
 * cursor, FTS index and settled outbox of N one-by-one applications; a bad
 * batch in the middle of a group leaves exactly the batches before it
 * applied, with their cursor, and nothing of itself or of the ones after it.
 */
import { describe, expect, it } from 'vitest';
import type { CommandAck, Cursor, SyncOp } from '../../../src/core/index';
import { OutboxStore } from '../../../src/main/service/outbox/outbox-store';
import { openReplica } from '../../../src/main/service/store/open';
import { applyBatch, applyBatches, BatchShapeError, stageRows, swapInSnapshot, type BatchInput } from '../../../src/main/service/store/replica-writes';
import { MalformedRowError, REPLICATED_TABLES, RowWriter } from '../../../src/main/service/store/replicated-rows';
import { readSyncState } from '../../../src/main/service/store/sync-state';
import { makeEvent } from './feed-fixtures';

const EPOCH = 'ep';
const CLIENT = 'desktop-group';
const AT = '2026-11-27T00:00:00.000Z';
const TITLES = ['路面坑洼积水', '井盖缺失', '噪音扰民投诉', '占道经营'];

function replica() {
  const r = openReplica({ file: ':memory:' });
  const writer = new RowWriter(r.sqlite);
  const outbox = new OutboxStore(r.sqlite, CLIENT);
  stageRows(r.sqlite, writer, 'events', [1, 2, 3].map((n) => ({ key: `ev${n}`, v: 1, row: makeEvent(`ev${n}`, { title: TITLES[n % TITLES.length] }) })));
  swapInSnapshot(r.sqlite, { scope: 'district', checkpoint: { epoch: EPOCH, v: 1 }, referenceVersion: `${EPOCH}:1`, checksum: null, at: AT });
  // five commands in flight: their acks come in the batches
  for (let i = 0; i < 5; i++) outbox.submit({ name: 'wall/ack', alertId: `a${i}` }, AT);
  return { ...r, writer, outbox };
}

/** Batch i (from v i+1 to v i+2): an upsert (every third a delete), an audit row, an ack for the first five. */
function batches(n: number): BatchInput[] {
  const out: BatchInput[] = [];
  for (let i = 0; i < n; i++) {
    const v = i + 2;
    const key = `ev${(i % 6) + 1}`;
    const ops: SyncOp[] =
      i % 3 === 2
        ? [{ table: 'events', op: 'delete', key, v }]
        : [
            { table: 'events', op: 'upsert', key, v, row: makeEvent(key, { title: `${TITLES[i % TITLES.length]}${i}` }) },
            { table: 'audit', op: 'upsert', key: `${key}:${v}`, v, row: { eventId: key, seq: v, at: AT, command: 'verify', actorId: 'u1', payload: {} } },
          ];
    const acks: CommandAck[] = i < 5 ? [{ clientId: CLIENT, mutationId: i + 1, status: i === 3 ? 'rejected' : 'applied', error: i === 3 ? { code: 'conflict', message: 'no' } : null, v, result: null }] : [];
    out.push({ from: { epoch: EPOCH, v: v - 1 }, checkpoint: { epoch: EPOCH, v }, ops, acks });
  }
  return out;
}

function dump(r: ReturnType<typeof replica>) {
  const db = r.sqlite;
  const tables = Object.fromEntries(REPLICATED_TABLES.map((t) => [t, db.prepare(`SELECT * FROM ${t} ORDER BY key`).all()]));
  return {
    tables,
    // the event documents, apart from `events` since migration 0008, by the key of their event (an orphan has none)
    eventDocs: db.prepare('SELECT e.key, d.rid, d.doc FROM events_doc d LEFT JOIN events e ON e.rid = d.rid ORDER BY d.rid').all(),
    fts: db.prepare('SELECT rowid, title, description, address FROM events_fts ORDER BY rowid').all(),
    ftsMatch: TITLES.map((t) => db.prepare('SELECT rowid FROM events_fts WHERE events_fts MATCH ? ORDER BY rowid').pluck().all(`"${t.slice(0, 3)}"`)),
    outbox: db.prepare('SELECT mutation_id, state, error, acked_v FROM outbox ORDER BY mutation_id').all(),
    overlays: db.prepare('SELECT count(*) FROM pending_overlay').pluck().get(),
    state: readSyncState(db),
  };
}

/** Counts the outermost transactions run on a connection (BEGIN … COMMIT), savepoints not included. */
function countTransactions(db: ReturnType<typeof replica>['sqlite']): { count: number } {
  const counter = { count: 0 };
  const original = db.transaction.bind(db);
  db.transaction = ((fn: (...a: unknown[]) => unknown) => {
    const tx = original(fn);
    return Object.assign((...a: unknown[]) => {
      if (!db.inTransaction) counter.count += 1;
      return tx(...a);
    }, tx);
  }) as typeof db.transaction;
  return counter;
}

describe('group apply of queued live batches', () => {
  it('applies N batches in one transaction with the same replica, cursor, FTS and outbox as one by one', () => {
    const N = 12;
    const one = replica();
    const group = replica();
    const oneTx = countTransactions(one.sqlite);
    const groupTx = countTransactions(group.sqlite);
    const settledOne: number[] = [];
    const idsOne = new Set<string>();
    for (const b of batches(N)) {
      const r = applyBatch(one.sqlite, one.writer, b, (a, at) => one.outbox.settle(a, at), AT);
      if (!r.applied) throw new Error('not applied');
      settledOne.push(...r.settled);
      for (const id of r.eventIds) idsOne.add(id);
    }
    const g = applyBatches(group.sqlite, group.writer, batches(N), (a, at) => group.outbox.settle(a, at), AT);
    expect(g).toMatchObject({ applied: N, failed: null, notAtCursor: false, cursor: { epoch: EPOCH, v: N + 1 } });
    expect(oneTx.count).toBe(N);
    expect(groupTx.count).toBe(1);
    expect(dump(group)).toEqual(dump(one));
    expect(dump(group).state!.cursor).toEqual({ epoch: EPOCH, v: N + 1 });
    expect(g.settled).toEqual(settledOne);
    expect(g.settled).toEqual([1, 2, 3, 4, 5]);
    expect(new Set(g.eventIds)).toEqual(idsOne);
    // a replay of the group changes nothing
    const again = applyBatches(group.sqlite, group.writer, batches(N), (a, at) => group.outbox.settle(a, at), AT);
    expect(again.applied).toBe(0);
    expect(again.notAtCursor).toEqual({ epoch: EPOCH, v: N + 1 });
  });

  it('a bad batch in the middle leaves exactly the batches before it applied, with their cursor', () => {
    const good = batches(6);
    const broken = makeEvent('ev9') as unknown as Record<string, unknown>;
    delete broken.title;
    const bads: [string, BatchInput, new (...a: never[]) => Error][] = [
      ['a row the replica cannot index', { ...good[3]!, ops: [...good[3]!.ops, { table: 'events', op: 'upsert', key: 'ev9', v: 5, row: broken }] }, MalformedRowError],
      ['an op version outside (from, checkpoint]', { ...good[3]!, ops: [{ table: 'events', op: 'upsert', key: 'ev1', v: 9, row: makeEvent('ev1') }] }, BatchShapeError],
      ['a batch that does not follow the previous one', { ...good[3]!, from: { epoch: EPOCH, v: 3 } as Cursor }, BatchShapeError],
    ];
    for (const [, bad, kind] of bads) {
      const expected = replica();
      for (const b of good.slice(0, 3)) applyBatch(expected.sqlite, expected.writer, b, (a, at) => expected.outbox.settle(a, at), AT);
      const r = replica();
      const tx = countTransactions(r.sqlite);
      const g = applyBatches(r.sqlite, r.writer, [...good.slice(0, 3), bad, ...good.slice(4)], (a, at) => r.outbox.settle(a, at), AT);
      expect(g.applied).toBe(3);
      expect(g.cursor).toEqual({ epoch: EPOCH, v: 4 });
      expect(g.failed?.index).toBe(3);
      expect(g.failed?.error).toBeInstanceOf(kind);
      expect(g.settled).toEqual([1, 2, 3]);
      expect(tx.count).toBe(1);
      expect(dump(r)).toEqual(dump(expected));
      expect(r.sqlite.prepare("SELECT count(*) FROM events WHERE key = 'ev9'").pluck().get()).toBe(0);
    }
  });

  it('a bad first batch writes nothing and throws from applyBatch as before', () => {
    const r = replica();
    const before = dump(r);
    const bad: BatchInput = { ...batches(1)[0]!, ops: [{ table: 'events', op: 'upsert', key: 'ev1', v: 2 }] as SyncOp[] };
    expect(() => applyBatch(r.sqlite, r.writer, bad, (a, at) => r.outbox.settle(a, at), AT)).toThrow(BatchShapeError);
    const g = applyBatches(r.sqlite, r.writer, [bad, ...batches(3).slice(1)], (a, at) => r.outbox.settle(a, at), AT);
    expect(g).toMatchObject({ applied: 0, cursor: null, failed: { index: 0 } });
    expect(dump(r)).toEqual(before);
  });
});
