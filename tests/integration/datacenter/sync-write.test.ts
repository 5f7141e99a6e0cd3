/**
 * The write primitive and the log, on PGlite and PostgreSQL: versions are
 * dense and in commit order even with concurrent writers (a reader never sees
 * a version whose predecessors could still appear), a failed write gives its
 * version back, reports collapse per row and carry the row's previous scope,
 * the demo seed replicates as one version with the scopes the feed filters on,
 * the hub follows versions written elsewhere, and retention raises the floor.
 */
import { sql } from 'drizzle-orm';
import { beforeAll, describe, expect, it } from 'vitest';
import { HuyingError } from '../../../src/core';
import { generateDemoDistrict } from '../../../src/datacenter/demo';
import { loadAreas, loadGrids, loadUnits } from '../../../src/datacenter/reference/read';
import { ensureReferenceReplicated, gridKey, referenceDataFromDemo, seedReferenceData } from '../../../src/datacenter/reference/seed';
import { drizzle as drizzleNodePg } from 'drizzle-orm/node-postgres';
import { drizzle as drizzlePglite } from 'drizzle-orm/pglite';
import { openDatabase, type DataCenterDb, type Db } from '../../../src/datacenter/store/database';
import { schema } from '../../../src/datacenter/store/schema';
import { rowsOf } from '../../../src/datacenter/store/migration';
import { bumpEpochCli } from '../../../src/datacenter/sync/bump-epoch';
import { SyncHub } from '../../../src/datacenter/sync/hub';
import { computeChecksum, pruneChangeLog, readSyncHead } from '../../../src/datacenter/sync/state';
import { syncNotifier, type LoggedOp } from '../../../src/datacenter/sync/notifier';
import { dollarQuoted, flushLimits, flushQueries, writeReplicated } from '../../../src/datacenter/sync/write';
import { forEachBackend } from './backends';
import { DISTRICT, T1, T2 } from './sync-client';

async function q<T>(db: Db, query: ReturnType<typeof sql>): Promise<T[]> {
  return rowsOf<T>(await db.execute(query));
}

async function logOf(db: Db, v: number) {
  return q<{ seq: number; table_name: string; key: string; op: string; scope: string | null; prev_scope: string | null; moved: boolean }>(
    db,
    sql`select seq, table_name, key, op, scope, prev_scope, moved from change_log where v = ${v} order by seq`,
  );
}

async function replicated(db: Db, table: string, key: string) {
  const [r] = await q<{ scope: string | null; v: string | number; row: unknown }>(db, sql`select scope, v, row::jsonb as row from sync_rows where table_name = ${table} and key = ${key}`);
  return r ? { scope: r.scope, v: Number(r.v), row: r.row } : null;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

let demoData: ReturnType<typeof referenceDataFromDemo> | null = null;
/** drawn once for both engines (it takes a second or two) */
const demo = () => (demoData ??= referenceDataFromDemo(generateDemoDistrict()));

describe('dollarQuoted (the flush statements inline their JSON with it)', () => {
  /** where PostgreSQL ends the literal: at the first closing tag after the opening one */
  const bodyOf = (quoted: string) => {
    const tag = /^\$[a-z0-9]*\$/.exec(quoted)![0];
    return quoted.slice(tag.length, quoted.indexOf(tag, tag.length));
  };

  it('gives back the text whatever tags it holds, also one straddling its end', () => {
    const texts = ['', 'plain', '$huying$', 'ends with $huying', 'ends with $huying0', '$huying$$huying0$$huying1$', '$huyingX $huying00$', '$$ $ $huying'];
    for (const text of texts) expect(bodyOf(dollarQuoted(text))).toBe(text);
  });

  it('takes linear time in a text of many tags (a bulk set of documents full of $huying<n>$ must not hold the writer)', () => {
    let text = '$huying$';
    for (let i = 0; i < 30_000; i++) text += `$huying${i}$`;
    const t0 = process.cpuUsage();
    const quoted = dollarQuoted(text);
    const used = process.cpuUsage(t0);
    expect(bodyOf(quoted)).toBe(text);
    // one pass is a few ms; trying tag after tag took 14 s of CPU on this text (load 7)
    expect((used.user + used.system) / 1000).toBeLessThan(1500);
  });
});

describe('flushQueries (the flush statements and COMMIT as simple queries)', () => {
  it('joins them in order into as few queries as the size allows, COMMIT last, an oversized statement alone', () => {
    expect(flushQueries(['a', 'b'])).toEqual(['a;\nb;\nCOMMIT']);
    const long = 'x'.repeat(50);
    const queries = flushQueries(['s1', 's2', long, 's3'], 20);
    expect(queries).toEqual(['s1;\ns2', long, 's3;\nCOMMIT']);
    expect(queries.join(';\n')).toBe(['s1', 's2', long, 's3', 'COMMIT'].join(';\n'));
    for (const q of queries) if (q !== long) expect(q.length).toBeLessThanOrEqual(20);
    expect(flushQueries([], 20)).toEqual(['COMMIT']);
  });
});

forEachBackend('sync write primitive', (backend) => {
  let store: DataCenterDb;
  let db: Db;

  beforeAll(async () => {
    store = await backend.fresh();
    db = store.db;
  });

  it('takes dense versions from 1 and returns fn’s result', async () => {
    expect((await readSyncHead(db)).v).toBe(0);
    const a = await writeReplicated(db, async (_tx, out) => {
      out.upsert('events', 'e1', T1, { id: 'e1', n: 1 });
      return 'first';
    });
    expect(a).toEqual({ result: 'first', v: 1 });
    const b = await writeReplicated(db, async () => 'nothing reported');
    expect(b.v).toBe(2);
    expect(await logOf(db, 2)).toEqual([]);
    expect(await replicated(db, 'events', 'e1')).toEqual({ scope: T1, v: 1, row: { id: 'e1', n: 1 } });
  });

  it('a failed write rolls back with its version: the next writer gets the same number', async () => {
    await expect(
      writeReplicated(db, async (_tx, out) => {
        out.upsert('events', 'e-lost', T1, { id: 'e-lost' });
        throw new HuyingError('conflict', 'no');
      }),
    ).rejects.toThrow('no');
    await expect(
      writeReplicated(db, async (tx, out) => {
        out.upsert('events', 'e-bad', T1, { id: 'e-bad' });
        await tx.execute(sql`select 1/0`);
      }),
    ).rejects.toThrow();
    expect((await readSyncHead(db)).v).toBe(2);
    expect(await replicated(db, 'events', 'e-lost')).toBeNull();
    const c = await writeReplicated(db, async (_tx, out) => out.upsert('events', 'e2', T2, { id: 'e2' }));
    expect(c.v).toBe(3);
  });

  it('collapses reports per row, records moves between scopes, and drops deletes of unknown rows', async () => {
    const { v } = await writeReplicated(db, async (_tx, out) => {
      out.upsert('events', 'e1', T1, { id: 'e1', n: 2 });
      out.upsert('events', 'e1', T2, { id: 'e1', n: 3 }); // moved T1 → T2, last report wins
      out.upsert('events', 'e3', null, { id: 'e3' }); // new, district-wide
      out.delete('events', 'never-there');
      out.delete('events', 'e2');
      out.upsert('units', 'u1', null, { id: 'u1' });
    });
    expect(await logOf(db, v)).toEqual([
      { seq: 0, table_name: 'events', key: 'e1', op: 'upsert', scope: T2, prev_scope: T1, moved: true },
      { seq: 1, table_name: 'events', key: 'e3', op: 'upsert', scope: null, prev_scope: null, moved: false },
      { seq: 2, table_name: 'events', key: 'e2', op: 'delete', scope: T2, prev_scope: T2, moved: false },
      { seq: 3, table_name: 'units', key: 'u1', op: 'upsert', scope: null, prev_scope: null, moved: false },
    ]);
    expect(await replicated(db, 'events', 'e1')).toEqual({ scope: T2, v, row: { id: 'e1', n: 3 } });
    expect(await replicated(db, 'events', 'e2')).toBeNull();
    // a district-wide row becoming district-only is a move too (town clients must drop it)
    const w = await writeReplicated(db, async (_tx, out) => out.upsert('events', 'e3', DISTRICT, { id: 'e3' }));
    expect(await logOf(db, w.v)).toEqual([{ seq: 0, table_name: 'events', key: 'e3', op: 'upsert', scope: DISTRICT, prev_scope: null, moved: true }]);
  });

  it('refuses reports that could not replicate', async () => {
    await expect(writeReplicated(db, async (_tx, out) => out.upsert('events', 'x', 'town-1', {}))).rejects.toThrow(/scope/);
    await expect(writeReplicated(db, async (_tx, out) => out.upsert('nope' as 'events', 'x', null, {}))).rejects.toThrow(/unknown replicated table/);
    await expect(writeReplicated(db, async (_tx, out) => out.upsert('events', 'x', null, 'text'))).rejects.toThrow(/JSON object/);
  });

  it('a batch whose flush fails (sent with its COMMIT on PostgreSQL) rolls back: domain rows, version and the connection come back clean', async () => {
    await db.execute(sql`create table if not exists flush_probe (k text primary key)`);
    const base = (await readSyncHead(db)).v;
    // a NUL in a document: valid JSON to JS, refused by jsonb, so the flush statement fails after fn wrote
    for (let i = 0; i < 3; i++) {
      await expect(
        writeReplicated(db, async (tx, out) => {
          await tx.execute(sql`insert into flush_probe (k) values (${`bad-${i}`})`);
          out.upsert('events', `flush-bad-${i}`, T1, { id: `flush-bad-${i}`, text: 'a\u0000b' });
        }),
      ).rejects.toThrow();
    }
    // the same in a group-committed batch: every caller gets the batch's error
    const hold = writeReplicated(db, async (tx) => tx.execute(sql`select pg_sleep(0.05)`));
    await sleep(0);
    const batch = await Promise.allSettled([
      writeReplicated(db, async (tx, out) => {
        await tx.execute(sql`insert into flush_probe (k) values ('batch-ok')`);
        out.upsert('events', 'flush-batch-ok', T1, { id: 'flush-batch-ok' });
      }),
      writeReplicated(db, async (_tx, out) => out.upsert('events', 'flush-batch-bad', T1, { id: 'flush-batch-bad', text: '\u0000' })),
    ]);
    expect(batch.map((s) => s.status)).toEqual(['rejected', 'rejected']);
    expect((await hold).v).toBe(base + 1);
    expect((await readSyncHead(db)).v).toBe(base + 1);
    expect(await q(db, sql`select k from flush_probe`)).toEqual([]);
    expect(await replicated(db, 'events', 'flush-bad-0')).toBeNull();
    expect(await replicated(db, 'events', 'flush-batch-ok')).toBeNull();
    // the next writes take the version given back, on a connection left outside any transaction
    for (let i = 0; i < 3; i++) {
      const w = await writeReplicated(db, async (tx, out) => {
        await tx.execute(sql`insert into flush_probe (k) values (${`good-${i}`})`);
        out.upsert('events', `flush-good-${i}`, T1, { id: `flush-good-${i}` });
      });
      expect(w.v).toBe(base + 2 + i);
    }
    expect((await q<{ k: string }>(db, sql`select k from flush_probe order by k`)).map((r) => r.k)).toEqual(['good-0', 'good-1', 'good-2']);
    expect(await q(db, sql`select 1 from pg_stat_activity where state like 'idle in transaction%' and datname = current_database()`)).toEqual([]);
    await db.execute(sql`drop table flush_probe`);
  });

  it('documents reach sync_rows and change_log byte for byte, whatever quotes they hold (the flush inlines them dollar-quoted)', async () => {
    const texts = ['$huying$', 'ends with $huying', '$huying0$ and $huying$', "it's \\ a \"quote\" '' $$", 'naïve 中文 \n\t'];
    const { v } = await writeReplicated(db, async (_tx, out) => {
      texts.forEach((text, i) => out.upsert('events', `quoted-${i}`, T1, { id: `quoted-${i}`, text, [text]: i }));
    });
    for (const [i, text] of texts.entries()) {
      expect(await replicated(db, 'events', `quoted-${i}`)).toEqual({ scope: T1, v, row: { id: `quoted-${i}`, text, [text]: i } });
    }
    const logged = await q<{ row: unknown }>(db, sql`select row from change_log where v = ${v} order by seq`);
    expect(logged.map((r) => r.row)).toEqual(texts.map((text, i) => ({ id: `quoted-${i}`, text, [text]: i })));
  });

  const denseAcrossStatements = async () => {
    const published: LoggedOp[][] = [];
    const off = syncNotifier(db).onCommit((c) => published.push(c.ops));
    try {
      // 1,200 reports: every third of the first 600 a delete of a row never replicated (dropped), so the
      // first statement logs fewer ops than it carries and the next must continue after what was logged
      const { v } = await writeReplicated(db, async (_tx, out) => {
        for (let i = 0; i < 1200; i++) {
          if (i < 600 && i % 3 === 0) out.delete('events', `chunk-missing-${i}`);
          else out.upsert('events', `chunk-${i}`, i % 2 ? T1 : T2, { id: `chunk-${i}` });
        }
      });
      const log = await logOf(db, v);
      expect(log).toHaveLength(1000);
      expect(log.map((o) => o.seq)).toEqual([...Array(1000).keys()]);
      const expected = [...Array(1200).keys()].filter((i) => !(i < 600 && i % 3 === 0)).map((i) => `chunk-${i}`);
      expect(log.map((o) => o.key)).toEqual(expected);
      const ops = published.at(-1)!;
      expect(ops.map((o) => o.key)).toEqual(expected);
      expect(ops.every((o) => o.v === v)).toBe(true);
      expect([ops[0]!.scope, ops[1]!.scope]).toEqual([T1, T2]);
    } finally {
      off();
    }
  };

  it('a version of more ops than one flush statement carries keeps seq dense across the statements, with dropped deletes in between', denseAcrossStatements);

  it('the same when the flush goes as several queries, each statement and the COMMIT alone (a huge version on PostgreSQL)', async () => {
    const saved = flushLimits.queryChars;
    flushLimits.queryChars = 1;
    try {
      await denseAcrossStatements();
      // a later query of the flush failing still rolls the whole version back
      const base = (await readSyncHead(db)).v;
      await expect(
        writeReplicated(db, async (_tx, out) => {
          for (let i = 0; i < 600; i++) out.upsert('events', `split-${i}`, T1, { id: `split-${i}` });
          out.upsert('events', 'split-bad', T1, { id: 'split-bad', text: '\u0000' });
        }),
      ).rejects.toThrow();
      expect(await replicated(db, 'events', 'split-0')).toBeNull();
      expect((await writeReplicated(db, async (_tx, out) => out.upsert('events', 'split-after', T1, { id: 'split-after' }))).v).toBe(base + 1);
    } finally {
      flushLimits.queryChars = saved;
    }
  });

  it('keeps v order = commit order under concurrent writers (group commit): a reader never sees a gap that fills later', async () => {
    const base = (await readSyncHead(db)).v;
    const baseOps = Number((await q<{ n: number }>(db, sql`select count(*)::int as n from change_log`))[0]!.n);
    // a second drizzle object on the same connection has its own writer loop: like another process, it queues on the version row
    const client = (db as unknown as { $client: never }).$client;
    const other: Db = backend.kind === 'pglite' ? drizzlePglite({ client, schema }) : drizzleNodePg({ client, schema });
    const writers = 60;
    let done = false;
    const seen: { head: number; ops: number }[] = [];
    const reader = (async () => {
      while (!done) {
        const head = (await readSyncHead(db)).v;
        const [r] = await q<{ n: number }>(db, sql`select count(*)::int as n from change_log where v <= ${head}`);
        seen.push({ head, ops: r!.n - baseOps });
        await sleep(0);
      }
    })();
    const results = await Promise.all(
      Array.from({ length: writers }, async (_, i) => {
        // arrivals spread over time, so that several batches form while others run
        await sleep((i % 12) * 3);
        return writeReplicated(i % 4 === 3 ? other : db, async (tx, out) => {
          await tx.execute(sql`select pg_sleep(${(i % 5) / 1000})`);
          out.upsert('events', `c${i}`, i % 2 ? T1 : T2, { id: `c${i}` });
          return i;
        });
      }),
    );
    done = true;
    await reader;
    expect(results.map((r) => r.result)).toEqual(Array.from({ length: writers }, (_, i) => i));
    const versions = [...new Set(results.map((r) => r.v))].sort((a, b) => a - b);
    const head = (await readSyncHead(db)).v;
    // dense: every version from base+1 to the head was taken by some batch; batches were shared
    expect(versions).toEqual(Array.from({ length: head - base }, (_, i) => base + 1 + i));
    expect(versions.length).toBeGreaterThan(1);
    expect(versions.length).toBeLessThan(writers);
    // each writer's op is logged under the version it was told
    for (const r of results) expect((await logOf(db, r.v)).map((o) => o.key)).toContain(`c${r.result}`);
    // a reader that saw head H saw every op of every version ≤ H, and nothing above it
    const opsThrough = (h: number) => results.filter((r) => r.v <= h).length;
    const violations = seen.filter((s) => s.ops !== opsThrough(s.head)).map((s) => `head ${s.head}: ${s.ops} ops visible of ${opsThrough(s.head)}`);
    expect(seen.length).toBeGreaterThan(0);
    expect(violations).toEqual([]);
  });

  it('group commit: a caller that fails rolls back alone; the others share one version and see earlier callers’ writes', async () => {
    const base = (await readSyncHead(db)).v;
    const id = `gc-${backend.kind}`;
    // hold the writer with a first batch, so the next callers gather into one batch behind it
    const first = writeReplicated(db, async (tx) => {
      await tx.execute(sql`select pg_sleep(0.05)`);
      return 'first';
    });
    await sleep(0);
    const calls = [
      writeReplicated(db, async (tx, out) => {
        await tx.execute(sql`insert into sync_clients (client_id) values (${id})`);
        out.upsert('events', 'gc-a', T1, { id: 'gc-a' });
        return 'a';
      }),
      writeReplicated(db, async (_tx, out) => {
        out.upsert('events', 'gc-thrown', T1, { id: 'gc-thrown' });
        throw new HuyingError('conflict', 'caller b refuses');
      }),
      writeReplicated(db, async (tx, out) => {
        out.upsert('events', 'gc-sql', T1, { id: 'gc-sql' });
        // the same client again: a unique violation, as a duplicate external reference would be
        await tx.execute(sql`insert into sync_clients (client_id) values (${id})`);
        return 'c';
      }),
      writeReplicated(db, async (tx, out) => {
        const [r] = await q<{ n: number }>(tx as Db, sql`select count(*)::int as n from sync_clients where client_id = ${id}`);
        out.upsert('events', 'gc-d', T2, { id: 'gc-d', sawA: r!.n });
        return r!.n;
      }),
    ];
    const settled = await Promise.allSettled(calls);
    expect((await first).v).toBe(base + 1);
    expect(settled.map((s) => s.status)).toEqual(['fulfilled', 'rejected', 'rejected', 'fulfilled']);
    expect(String((settled[1] as PromiseRejectedResult).reason)).toContain('caller b refuses');
    const a = (settled[0] as PromiseFulfilledResult<{ result: string; v: number }>).value;
    const d = (settled[3] as PromiseFulfilledResult<{ result: number; v: number }>).value;
    expect(a).toEqual({ result: 'a', v: base + 2 });
    expect(d).toEqual({ result: 1, v: base + 2 });
    expect((await readSyncHead(db)).v).toBe(base + 2);
    expect((await logOf(db, base + 2)).map((o) => o.key)).toEqual(['gc-a', 'gc-d']);
    expect(await replicated(db, 'events', 'gc-thrown')).toBeNull();
    expect(await replicated(db, 'events', 'gc-sql')).toBeNull();
    expect(await replicated(db, 'events', 'gc-d')).toEqual({ scope: T2, v: base + 2, row: { id: 'gc-d', sawA: 1 } });
  });

  it('group commit: a batch whose callers all fail gives its version back; alone writes get a version of their own', async () => {
    const base = (await readSyncHead(db)).v;
    const hold = writeReplicated(db, async (tx) => tx.execute(sql`select pg_sleep(0.05)`));
    await sleep(0);
    const failing = await Promise.allSettled(
      [1, 2, 3].map((i) =>
        writeReplicated(db, async (_tx, out) => {
          out.upsert('events', `gc-fail-${i}`, T1, { id: `gc-fail-${i}` });
          throw new HuyingError('conflict', `fail ${i}`);
        }),
      ),
    );
    expect(failing.map((s) => s.status)).toEqual(['rejected', 'rejected', 'rejected']);
    expect((await hold).v).toBe(base + 1);
    expect((await readSyncHead(db)).v).toBe(base + 1);

    const hold2 = writeReplicated(db, async (tx) => tx.execute(sql`select pg_sleep(0.05)`));
    await sleep(0);
    const [x, alone, y] = await Promise.all([
      writeReplicated(db, async (_tx, out) => out.upsert('events', 'gc-x', T1, { id: 'gc-x' })),
      writeReplicated(db, async (_tx, out) => out.upsert('events', 'gc-alone', T1, { id: 'gc-alone' }), { alone: true }),
      writeReplicated(db, async (_tx, out) => out.upsert('events', 'gc-y', T1, { id: 'gc-y' })),
    ]);
    expect((await hold2).v).toBe(base + 2);
    // queue order is kept: x, then the alone write, then y
    expect([x.v, alone.v, y.v]).toEqual([base + 3, base + 4, base + 5]);
    expect((await logOf(db, base + 4)).map((o) => o.key)).toEqual(['gc-alone']);
  });

  it('refuses a replicated write nested in another on the same database (it would wait for its own batch)', async () => {
    const base = (await readSyncHead(db)).v;
    await expect(
      writeReplicated(db, async () => {
        await writeReplicated(db, async () => 'inner');
      }),
    ).rejects.toThrow(/inside a replicated write/);
    expect((await readSyncHead(db)).v).toBe(base);
    // a task a write leaves behind may write once that write is done
    let later: Promise<{ v: number }> | null = null;
    const first = await writeReplicated(db, async () => {
      later = sleep(5).then(() => writeReplicated(db, async (_tx, out) => out.upsert('events', 'gc-later', T1, { id: 'gc-later' })));
    });
    expect(first.v).toBe(base + 1);
    expect((await later!).v).toBe(base + 2);
  });

  it('the hub follows versions it was not told about (another process) after a grace period', async () => {
    const hub = await SyncHub.start(db, { pollMs: 30, gapGraceMs: 20, retentionMs: null });
    try {
      const start = hub.head;
      // a second drizzle object on the same connection has its own notifier: to this hub, its writes come from elsewhere
      const client = (db as unknown as { $client: never }).$client;
      const other: Db = backend.kind === 'pglite' ? drizzlePglite({ client, schema }) : drizzleNodePg({ client, schema });
      const { v } = await writeReplicated(other, async (_tx, out) => out.upsert('events', 'ext', T1, { id: 'ext' }));
      const deadline = Date.now() + 3000;
      while (hub.head < v && Date.now() < deadline) await sleep(10);
      expect(hub.head).toBe(v);
      expect(v).toBe(start + 1);
      // and the versions it missed are not served from memory
      expect(hub.versions(start, v)).toBeNull();
    } finally {
      hub.stop();
    }
  });

  it('retention raises the floor and removes the ops below it', async () => {
    const head = await readSyncHead(db);
    const r = await pruneChangeLog(db, { throughV: head.v - 2 });
    expect(r.prunedThrough).toBe(head.v - 2);
    expect(r.deletedOps).toBeGreaterThan(0);
    expect((await readSyncHead(db)).prunedThrough).toBe(head.v - 2);
    const [left] = await q<{ n: number }>(db, sql`select count(*)::int as n from change_log where v <= ${head.v - 2}`);
    expect(left!.n).toBe(0);
    // never lowered; a window that keeps everything changes nothing
    expect((await pruneChangeLog(db, { throughV: 1 })).prunedThrough).toBe(head.v - 2);
    expect((await pruneChangeLog(db, { olderThan: new Date(Date.now() - 3600_000) })).deletedOps).toBe(0);
  });

  it('the bump-epoch command gives a stopped database a new epoch', async () => {
    await expect(bumpEpochCli([], {})).rejects.toThrow(/usage/);
    // an on-disk PGlite takes tens of seconds to create on a loaded machine; the command is the same code with --data
    if (backend.kind !== 'postgres') return;
    const url = await backend.freshUrl();
    const created = await openDatabase({ pg: url });
    const original = (await readSyncHead(created.db)).epoch;
    await created.close();
    const bumped = await bumpEpochCli(['--pg', url], {});
    expect(bumped.before).toBe(original);
    expect(bumped.after).not.toBe(original);
    expect((await bumpEpochCli([], { DATABASE_URL: url })).before).toBe(bumped.after);
  });

  describe('reference data', () => {
    it('the demo seed is ONE replicated version with the feed’s scopes, documents equal to the reference routes', async () => {
      const fresh = await backend.fresh();
      const data = demo();
      const outcome = await seedReferenceData(fresh.db, data, 'demo:test');
      expect(outcome.seeded).toBe(true);
      const head = await readSyncHead(fresh.db);
      expect(head.v).toBe(1);
      const counts = await q<{ table_name: string; scope: string | null; n: number }>(
        fresh.db,
        sql`select table_name, scope, count(*)::int as n from sync_rows group by 1, 2 order by 1, 2 nulls first`,
      );
      const total = (t: string) => counts.filter((c) => c.table_name === t).reduce((n, c) => n + c.n, 0);
      expect({ areas: total('areas'), grids: total('grids'), units: total('units'), workers: total('workers') }).toEqual({
        areas: 263,
        grids: 1401,
        units: 290,
        workers: data.workers.length,
      });
      // the district and its 10 towns are district-wide, villages belong to their town; units district-wide
      expect(counts.find((c) => c.table_name === 'areas' && c.scope === null)?.n).toBe(11);
      expect(counts.filter((c) => c.table_name === 'units').map((c) => c.scope)).toEqual([null]);
      expect(counts.filter((c) => c.table_name === 'grids').every((c) => c.scope !== null && c.scope.endsWith('000'))).toBe(true);

      const areas = await loadAreas(fresh.db);
      const village = areas.find((a) => a.level === 'village')!;
      expect(await replicated(fresh.db, 'areas', village.code)).toEqual({ scope: village.parentCode, v: 1, row: village });
      const grid = (await loadGrids(fresh.db))[0]!;
      expect(await replicated(fresh.db, 'grids', gridKey(grid.code, grid.validFrom))).toEqual({ scope: grid.townCode, v: 1, row: grid });
      const unit = (await loadUnits(fresh.db))[0]!;
      expect((await replicated(fresh.db, 'units', unit.id))?.row).toEqual(unit);
      // the domain tables carry the same version and scope
      const [mismatch] = await q<{ n: number }>(
        fresh.db,
        sql`select count(*)::int as n from areas a join sync_rows s on s.table_name = 'areas' and s.key = a.code
            where a.v <> s.v or a.scope is distinct from s.scope`,
      );
      expect(mismatch!.n).toBe(0);
      const [stamped] = await q<{ n: number }>(
        fresh.db,
        sql`select (select count(*) from grids where v = 1) + (select count(*) from units where v = 1) + (select count(*) from grid_workers where v = 1 and scope is not null) as n`,
      );
      expect(Number(stamped!.n)).toBe(1401 + 290 + data.workers.length);
      // a town's checksum: its own rows plus the district-wide ones
      const town = await computeChecksum(fresh.db, T1);
      expect(town.tables.units).toEqual({ count: 290, sumV: 290 });
      expect(town.tables.grids!.count).toBe(counts.find((c) => c.table_name === 'grids' && c.scope === T1)?.n);

      // a database seeded before the feed existed gets its documents published once
      await fresh.db.execute(sql`delete from sync_rows`);
      await fresh.db.execute(sql`delete from change_log`);
      expect(await ensureReferenceReplicated(fresh.db)).toBe(true);
      expect(await ensureReferenceReplicated(fresh.db)).toBe(false);
      expect((await readSyncHead(fresh.db)).v).toBe(2);
      expect((await computeChecksum(fresh.db, 'district')).tables.grids).toEqual({ count: 1401, sumV: 2 * 1401 });
    });
  });
});
