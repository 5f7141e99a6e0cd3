/**
 * Resume anywhere (PowerSync's property, STYLE.md 9): for any server history,
 * any snapshot point, any split of the rest of the feed into batches, and a
 * crash at any point — in the middle of staging a snapshot, inside the swap,
 * or inside a batch's transaction (the database closed without committing) —
 * reopening the replica and resuming from its stored cursor with ANOTHER
 * split yields exactly the replica a clean snapshot of the final state
 * gives: the same rows, versions, documents, query columns, FTS index, and
 * every outbox entry settled exactly once by its ack.
 *
 * It drives the replica's write path (store/replica-writes.ts) on a real
 * database file; the transport around it is covered by the integration
 * tests against the fake feed and the real data center.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import type { CommandAck, Cursor, ReplicatedTable, SyncOp } from '../../../src/core/index';
import { OutboxStore } from '../../../src/main/service/outbox/outbox-store';
import { openReplica, type Replica } from '../../../src/main/service/store/open';
import { applyBatch, clearStaging, stageRows, swapInSnapshot } from '../../../src/main/service/store/replica-writes';
import { REPLICATED_TABLES, RowWriter } from '../../../src/main/service/store/replicated-rows';
import { readSyncState } from '../../../src/main/service/store/sync-state';
import { makeEvent } from '../service/feed-fixtures';

// RAM-backed where there is one: the property is about commit boundaries, not about fsync latency
const dir = mkdtempSync(path.join(existsSync('/dev/shm') ? '/dev/shm' : os.tmpdir(), 'huying-resume-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let fileNo = 0;

const EPOCH = 'e';
const CLIENT = 'desktop-test';
const AT = '2026-11-26T00:00:00.000Z';
const TITLES = ['路面坑洼积水', '井盖缺失', '噪音扰民投诉', 'Street light out', '占道经营'];
const STATUSES = ['reported', 'filed', 'dispatched', 'handled', 'closed'] as const;

type Change = { table: ReplicatedTable; key: string; row?: unknown };

const change: fc.Arbitrary<Change> = fc.oneof(
  fc
    .record({
      n: fc.integer({ min: 1, max: 8 }),
      del: fc.boolean(),
      title: fc.constantFrom(...TITLES),
      status: fc.constantFrom(...STATUSES),
      town: fc.constantFrom('440114001000', '440114002000'),
      deadlineDays: fc.option(fc.integer({ min: 1, max: 30 }), { nil: null }),
    })
    .map(({ n, del, title, status, town, deadlineDays }) => ({
      table: 'events' as const,
      key: `ev${n}`,
      ...(del && n % 3 === 0
        ? {}
        : { row: makeEvent(`ev${n}`, { title, status, town, deadline: deadlineDays === null ? null : new Date(Date.parse('2026-11-20T08:00:00Z') + deadlineDays * 86_400_000).toISOString() }) }),
    })),
  fc.record({ n: fc.integer({ min: 1, max: 8 }), seq: fc.integer({ min: 1, max: 3 }) }).map(({ n, seq }) => ({
    table: 'audit' as const,
    key: `ev${n}:${seq}`,
    row: { eventId: `ev${n}`, seq, at: '2026-11-20T09:00:00.000Z', command: 'file' },
  })),
  fc.record({ n: fc.integer({ min: 1, max: 4 }), del: fc.boolean(), label: fc.string({ maxLength: 6 }) }).map(({ n, del, label }) => ({
    table: (n % 2 ? 'wall' : 'config') as ReplicatedTable,
    key: `doc${n}`,
    ...(del ? {} : { row: { kind: 'directive', label } }),
  })),
);

const history = fc.array(
  fc.record({ changes: fc.array(change, { minLength: 0, maxLength: 4 }), acked: fc.option(fc.constantFrom<'applied' | 'rejected'>('applied', 'rejected'), { nil: null }) }),
  { minLength: 1, maxLength: 24 },
);

/** The server: rows after each version, and each version's ops and acks. */
function serve(h: { changes: Change[]; acked: 'applied' | 'rejected' | null }[]) {
  const states: Map<string, { table: ReplicatedTable; key: string; v: number; row: unknown }>[] = [new Map()];
  const versions: { ops: SyncOp[]; acks: CommandAck[] }[] = [];
  let mutationId = 0;
  h.forEach((ver, i) => {
    const v = i + 1;
    const state = new Map(states[i]!);
    const ops: SyncOp[] = [];
    for (const c of ver.changes) {
      const id = `${c.table}\u0000${c.key}`;
      if (c.row === undefined) {
        if (state.delete(id)) ops.push({ table: c.table, op: 'delete', key: c.key, v });
      } else {
        state.set(id, { table: c.table, key: c.key, v, row: c.row });
        ops.push({ table: c.table, op: 'upsert', key: c.key, v, row: c.row });
      }
    }
    const acks: CommandAck[] = ver.acked
      ? [{ clientId: CLIENT, mutationId: ++mutationId, status: ver.acked, error: ver.acked === 'rejected' ? { code: 'illegal_transition', message: 'no' } : null, v }]
      : [];
    states.push(state);
    versions.push({ ops, acks });
  });
  return { states, versions, mutations: mutationId };
}

function open(file: string): { replica: Replica; writer: RowWriter; outbox: OutboxStore } {
  const replica = openReplica({ file });
  return { replica, writer: new RowWriter(replica.sqlite), outbox: new OutboxStore(replica.sqlite, CLIENT) };
}

function queueMutations(outbox: OutboxStore, n: number): void {
  for (let i = 0; i < n; i++) outbox.submit({ name: 'wall/ack', alertId: `a${i}` }, AT);
}

function snapshot(r: ReturnType<typeof open>, state: Map<string, { table: ReplicatedTable; key: string; v: number; row: unknown }>, v: number, crashAfterRows: number | null, crashInSwap: boolean): boolean {
  clearStaging(r.replica.sqlite);
  const rows = [...state.values()].sort((a, b) => REPLICATED_TABLES.indexOf(a.table) - REPLICATED_TABLES.indexOf(b.table));
  const upTo = crashAfterRows === null ? rows.length : crashAfterRows;
  for (const table of REPLICATED_TABLES) {
    const mine = rows.slice(0, upTo).filter((x) => x.table === table);
    if (mine.length > 0) stageRows(r.replica.sqlite, r.writer, table, mine.map((x) => ({ key: x.key, v: x.v, row: x.row })));
  }
  if (crashAfterRows !== null) return false;
  if (crashInSwap) {
    // the first steps of the swap, then the process dies before COMMIT
    r.replica.sqlite.exec('BEGIN');
    r.replica.sqlite.exec('DROP TABLE events');
    r.replica.sqlite.exec('ALTER TABLE stage_events RENAME TO events');
    return false;
  }
  swapInSnapshot(r.replica.sqlite, { scope: 'district', checkpoint: { epoch: EPOCH, v }, referenceVersion: `${EPOCH}:${v}`, checksum: null, at: AT });
  return true;
}

function batchesFrom(versions: { ops: SyncOp[]; acks: CommandAck[] }[], from: number, to: number, split: number[]) {
  const out: { from: Cursor; checkpoint: Cursor; ops: SyncOp[]; acks: CommandAck[] }[] = [];
  let at = from;
  let i = 0;
  while (at < to) {
    const n = Math.max(1, Math.min(to - at, split[i++ % Math.max(1, split.length)] ?? 1));
    const vs = versions.slice(at, at + n);
    out.push({ from: { epoch: EPOCH, v: at }, checkpoint: { epoch: EPOCH, v: at + n }, ops: vs.flatMap((x) => x.ops), acks: vs.flatMap((x) => x.acks) });
    at += n;
  }
  return out;
}

function dump(r: ReturnType<typeof open>) {
  const db = r.replica.sqlite;
  const tables: Record<string, unknown[]> = {};
  for (const t of REPLICATED_TABLES) {
    const cols = (db.prepare(`PRAGMA table_info(${t})`).all() as { name: string }[]).map((c) => `t.${c.name}`).filter((c) => c !== 't.rid');
    // an event's document lives apart, in events_doc under its rid (migration 0008)
    const doc = t === 'events' ? ', d.doc FROM events t LEFT JOIN events_doc d ON d.rid = t.rid' : ` FROM ${t} t`;
    tables[t] = db.prepare(`SELECT ${cols.join(', ')}${doc} ORDER BY t.key`).all();
  }
  // and no document without its event
  tables.events_doc = [db.prepare('SELECT count(*) FROM events_doc d LEFT JOIN events e ON e.rid = d.rid WHERE e.rid IS NULL').pluck().get()];
  // the FTS index holds exactly the live events, under their rid
  const fts = (db.prepare('SELECT rid, title FROM events ORDER BY rid').all() as { rid: number; title: string }[]).map((e) => ({
    found: (db.prepare('SELECT rowid FROM events_fts WHERE events_fts MATCH ?').pluck().all(`"${e.title.slice(0, 3)}"`) as number[]).includes(e.rid),
  }));
  const ftsCount = db.prepare('SELECT count(*) FROM events_fts').pluck().get();
  return {
    tables,
    fts,
    ftsRows: ftsCount,
    cursor: readSyncState(db)!.cursor,
    outbox: db.prepare('SELECT mutation_id, state, error, acked_v FROM outbox ORDER BY mutation_id').all(),
    overlays: db.prepare('SELECT count(*) FROM pending_overlay').pluck().get(),
  };
}

describe('resume anywhere', () => {
  it('any snapshot point, any split, a crash anywhere, resume with another split → the replica of a clean snapshot', () => {
    fc.assert(
      fc.property(
        history,
        fc.nat(),
        fc.array(fc.integer({ min: 1, max: 5 }), { minLength: 1, maxLength: 6 }),
        fc.array(fc.integer({ min: 1, max: 5 }), { minLength: 1, maxLength: 6 }),
        fc.record({
          where: fc.constantFrom('snapshot', 'swap', 'batch', 'none'),
          batchIndex: fc.nat(),
          opsBefore: fc.nat(),
          rowsBefore: fc.nat(),
        }),
        (h, snapAt, split1, split2, crash) => {
          const server = serve(h);
          const head = h.length;
          const s = snapAt % (head + 1);
          const file = path.join(dir, `r${fileNo++}.sqlite`);

          let r = open(file);
          queueMutations(r.outbox, server.mutations);
          const snapCrash = crash.where === 'snapshot' ? crash.rowsBefore % (server.states[s]!.size + 1) : null;
          if (!snapshot(r, server.states[s]!, s, snapCrash, crash.where === 'swap')) {
            r.replica.sqlite.close(); // the process dies; nothing uncommitted survives
            r = open(file);
            expect(readSyncState(r.replica.sqlite)).toBeNull();
            expect(snapshot(r, server.states[s]!, s, null, false)).toBe(true);
          }

          const first = batchesFrom(server.versions, s, head, split1);
          const crashAt = crash.where === 'batch' && first.length > 0 ? crash.batchIndex % first.length : -1;
          for (let i = 0; i < first.length; i++) {
            const b = first[i]!;
            if (i === crashAt) {
              const db = r.replica.sqlite;
              db.exec('BEGIN');
              const k = b.ops.length === 0 ? 0 : crash.opsBefore % b.ops.length;
              for (const op of b.ops.slice(0, k)) {
                if (op.op === 'upsert') r.writer.upsert(op.table, op.key, op.v, op.row);
                else r.writer.delete(op.table, op.key);
              }
              for (const a of b.acks) r.outbox.settle(a, AT);
              db.close();
              break;
            }
            const result = applyBatch(r.replica.sqlite, r.writer, b, (a, at) => r.outbox.settle(a, at), AT);
            expect(result.applied).toBe(true);
          }

          if (crashAt >= 0) {
            r = open(file);
            const cursor = readSyncState(r.replica.sqlite)!.cursor;
            expect(cursor.v).toBe(first[crashAt]!.from.v); // nothing of the interrupted batch stayed
            // a replayed batch the replica already holds is refused, not applied twice
            if (crashAt > 0) expect(applyBatch(r.replica.sqlite, r.writer, first[crashAt - 1]!, (a, at) => r.outbox.settle(a, at), AT).applied).toBe(false);
            for (const b of batchesFrom(server.versions, cursor.v, head, split2)) {
              expect(applyBatch(r.replica.sqlite, r.writer, b, (a, at) => r.outbox.settle(a, at), AT).applied).toBe(true);
            }
          }
          const got = dump(r);
          r.replica.close();

          const clean = open(path.join(dir, `clean${fileNo++}.sqlite`));
          queueMutations(clean.outbox, server.mutations);
          snapshot(clean, server.states[head]!, head, null, false);
          for (const v of server.versions) for (const a of v.acks) clean.outbox.settle(a, AT);
          const want = dump(clean);
          clean.replica.close();

          expect(got.tables).toEqual(want.tables);
          expect(got.fts.every((x) => x.found)).toBe(true);
          expect(got.ftsRows).toBe(want.ftsRows);
          expect(got.cursor).toEqual({ epoch: EPOCH, v: head });
          // acks before the snapshot point were never seen by this client (a re-push settles those)
          const acksAfterSnapshot = new Set(server.versions.slice(s).flatMap((v) => v.acks.map((a) => a.mutationId)));
          const expectedOutbox = (want.outbox as { mutation_id: number }[]).map((e) =>
            acksAfterSnapshot.has(e.mutation_id) ? e : { mutation_id: e.mutation_id, state: 'queued', error: null, acked_v: null },
          );
          expect(got.outbox).toEqual(expectedOutbox);
        },
      ),
      { numRuns: 100 },
    );
  });
});
