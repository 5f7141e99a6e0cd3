/**
 * The snapshot export's COPY reader on a throwaway PostgreSQL (src/datacenter/sync/snapshot-copy.ts):
 * the same bytes as the keyset reader for every scope (keys that need escaping, non-ASCII rows,
 * several pages and parts), back-pressure with a reader that stops (the COPY waits in PostgreSQL,
 * the stream holds about a page), a client that leaves mid-COPY (its connection is closed, never
 * pooled half-way through a COPY, and the pool keeps working), a failure mid-COPY as an `error`
 * frame, and one consistent read while writers commit. sync-feed.test.ts runs the protocol over
 * HTTP on both engines (on PostgreSQL, through this reader).
 */
import { PassThrough } from 'node:stream';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SyncScope } from '../../../src/core';
import { EXTRACTION_VERSION, extractValues } from '../../../src/core/sync/extraction';
import { openDatabase, postgresPoolOf, type DataCenterDb, type Db } from '../../../src/datacenter/store/database';
import { rowsOf } from '../../../src/datacenter/store/migration';
import { writeSnapshot, type SnapshotOptions } from '../../../src/datacenter/sync/snapshot';
import { writeReplicated, type ChangeSink } from '../../../src/datacenter/sync/write';
import { startPgCluster, type PgCluster } from '../../support/pg-cluster';
import { until } from '../../support/until';
import { DISTRICT, T1, T2 } from './sync-client';

/** an event document the desktop's extraction takes (so the data center stores its columns) */
function indexableEvent(id: string, title: string): Record<string, unknown> {
  return {
    id,
    caseNo: `C-${id}`,
    source: 'hotline',
    urgency: 'normal',
    title,
    location: [113.2644, 23.1291],
    createdAt: '2026-01-01T00:00:00.000Z',
    workflow: { status: 'reported', area: { townCode: T1 }, reportedAt: '2026-01-01T00:00:00.000Z', updatedAt: '2026-01-01T00:00:00.000Z' },
  };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A whole snapshot as bytes. */
async function snapshotBytes(db: Db, scope: SyncScope, opts: SnapshotOptions = {}): Promise<Buffer> {
  const out = new PassThrough();
  const chunks: Buffer[] = [];
  out.on('data', (c: Buffer) => chunks.push(c));
  await writeSnapshot(db, scope, out, opts);
  return Buffer.concat(chunks);
}

const lines = (b: Buffer) => b.toString('utf8').trimEnd().split('\n').map((l) => JSON.parse(l) as { t: string; table?: string; rows?: { key: string }[]; code?: string });

describe('snapshot export through binary COPY [postgres]', () => {
  let cluster: PgCluster;
  let store: DataCenterDb;
  let db: Db;
  const write = (fn: (out: ChangeSink) => void) => writeReplicated(db, async (_tx, out) => fn(out));
  /** the COPY backends of this database and what they wait for */
  const copies = async () =>
    rowsOf<{ pid: number; wait_event: string | null }>(
      await db.execute(sql`select pid, wait_event from pg_stat_activity where datname = current_database() and query like 'COPY (SELECT key, v, row FROM sync_rows%' and pid <> pg_backend_pid()`),
    );

  beforeAll(async () => {
    cluster = await startPgCluster();
    store = await openDatabase({ pg: await cluster.createDatabase() });
    db = store.db;
    await write((out) => {
      for (let i = 0; i < 40; i++) out.upsert('events', `E${String(i).padStart(3, '0')}`, i % 3 === 0 ? T1 : i % 3 === 1 ? T2 : DISTRICT, { id: i, title: `路面污渍 ${i} 😀`, note: 'a "quoted" \\ back\nslash' });
      out.upsert('events', 'quote"key', T1, { id: 'q' });
      out.upsert('events', 'back\\slash', null, { id: 'b' });
      out.upsert('events', 'ctl\u0001\ttab', T2, { id: 'c' });
      out.upsert('events', '键ü😀', T1, { id: 'u', text: '\u2028 é' });
      for (let i = 0; i < 25; i++) out.upsert('audit', `E${String(i).padStart(3, '0')}:${i}`, i % 2 ? T1 : null, { seq: i });
      out.upsert('units', 'u1', null, { id: 'u1', name: '城管' });
      out.upsert('wall', 'w1', null, { id: 'w1' });
    });
    await write((out) => out.upsert('events', 'E001', T2, { id: 1, moved: true }));
    // rows with extracted columns (docs/sync-protocol.md "Extracted columns"): events the extraction takes
    await write((out) => {
      for (const [key, scope] of [['X1', T1], ['X2', T2], ['X3', null]] as const) out.upsert('events', key, scope, indexableEvent(key, `标题 "${key}" \\ 😀\u2028`));
    });
    // columns of another extraction version are not sent to a client of this one
    await db.execute(sql`update sync_rows set cols_version = 99 where table_name = 'events' and key = 'X2'`);
  });
  afterAll(async () => {
    await store?.close();
    await cluster?.stop();
  });

  it('reads through COPY when opened on PostgreSQL', () => {
    expect(postgresPoolOf(db)).not.toBeNull();
  });

  it('writes exactly the keyset reader’s bytes for every scope and page size', async () => {
    for (const scope of ['district', T1, T2] as const) {
      for (const pageRows of [1, 7, 1000]) {
        const keyset = await snapshotBytes(db, scope, { pageRows, reader: 'keyset' });
        const copy = await snapshotBytes(db, scope, { pageRows });
        expect(copy.toString('utf8'), `${scope}, ${pageRows} a page`).toBe(keyset.toString('utf8'));
      }
    }
    const frames = lines(await snapshotBytes(db, T1, { pageRows: 7 }));
    const keys = frames.filter((f) => f.t === 'rows' && f.table === 'events').flatMap((f) => f.rows!.map((r) => r.key));
    expect(keys).toContain('quote"key');
    expect(keys).toContain('back\\slash'); // district-wide
    expect(keys).toContain('键ü😀');
    expect(keys).not.toContain('ctl\u0001\ttab'); // T2's
    expect(frames.filter((f) => f.t === 'rows').every((f) => f.rows!.length <= 7)).toBe(true);
  });

  it('sends the stored extracted columns of the asked version, the same bytes from both readers, and nothing new to a client that did not ask', async () => {
    for (const scope of ['district', T1, T2] as const) {
      for (const pageRows of [1, 7, 1000]) {
        const keyset = await snapshotBytes(db, scope, { pageRows, reader: 'keyset', columns: EXTRACTION_VERSION });
        const copy = await snapshotBytes(db, scope, { pageRows, columns: EXTRACTION_VERSION });
        expect(copy.toString('utf8'), `${scope}, ${pageRows} a page`).toBe(keyset.toString('utf8'));
      }
    }
    const text = (await snapshotBytes(db, 'district', { pageRows: 7, columns: EXTRACTION_VERSION })).toString('utf8');
    const frames = text.trimEnd().split('\n').map((l) => JSON.parse(l) as { t: string; columns?: number; rows?: { key: string; c?: unknown[]; row: unknown }[] });
    expect(frames[0]!.columns).toBe(EXTRACTION_VERSION);
    const rows = new Map(frames.flatMap((f) => f.rows ?? []).map((r) => [r.key, r]));
    expect(rows.get('X1')!.c).toEqual(extractValues('events', 'X1', rows.get('X1')!.row));
    expect(rows.get('X3')!.c).toEqual(extractValues('events', 'X3', rows.get('X3')!.row));
    expect(rows.get('X2')!.c).toBeUndefined(); // computed by version 99
    expect(rows.get('E003')!.c).toBeUndefined(); // refused by the extraction when written
    expect(rows.get('u1')!.c).toEqual([null, null]);
    expect(text).toContain('{"key":"X1","v":');
    expect(text).toMatch(/"key":"X1","v":\d+,"c":\["C-X1",/);
    // another version asked: no row has columns of it
    expect((await snapshotBytes(db, 'district', { columns: 98 })).toString('utf8')).not.toContain('"c":');
    // no version asked: today's frames (no `columns` in begin, no `c` in any row) from both readers
    for (const reader of ['auto', 'keyset'] as const) {
      const plain = (await snapshotBytes(db, 'district', { reader })).toString('utf8');
      expect(plain).not.toContain('"c":');
      expect(plain).not.toContain('"columns"');
      expect(plain.split('\n').filter((l) => l.includes('"t":"rows"')).join('\n').length).toBeGreaterThan(0);
    }
  });

  describe('with ~30 MB of rows', () => {
    beforeAll(async () => {
      const pad = '码'.repeat(1700); // ~5 KB a row
      for (let b = 0; b < 3; b++) {
        await write((out) => {
          for (let i = 0; i < 2000; i++) out.upsert('events', `big-${b}-${String(i).padStart(4, '0')}`, T1, { pad, i });
        });
      }
    }, 120_000);

    it('stops reading while the client does not read: the COPY waits in PostgreSQL, the stream holds about a page', async () => {
      const expected = await snapshotBytes(db, 'district', { reader: 'keyset' });
      const out = new PassThrough({ highWaterMark: 64 * 1024 });
      const done = writeSnapshot(db, 'district', out);
      // nothing reads `out`: the export must come to a stop with the COPY blocked on its socket
      await until(async () => (await copies()).some((c) => c.wait_event === 'ClientWrite'), 20_000, 'the COPY to wait for its client');
      const held = out.writableLength;
      await sleep(300);
      expect(out.writableLength).toBe(held); // stalled, not still pushing
      expect(held).toBeLessThan(64 * 1024 + 6 * 1024 * 1024); // the buffer + at most a page of ~1000 × 5 KB rows
      expect(held).toBeLessThan(expected.length / 3);
      // then a slow reader gets all of it, the same bytes
      const chunks: Buffer[] = [];
      for await (const c of out) {
        chunks.push(c as Buffer);
        if (chunks.length % 50 === 0) await sleep(1);
      }
      await done;
      expect(Buffer.concat(chunks).equals(expected)).toBe(true);
      await until(async () => (await copies()).length === 0, 5000, 'the COPY to end');
    }, 120_000);

    it('a client that leaves mid-COPY: the snapshot ends, its connection is closed, the pool keeps working', async () => {
      const pool = postgresPoolOf(db)!;
      // more departures than the pool has connections: a connection kept by an abandoned COPY would stall the last ones
      for (let n = 0; n < 12; n++) {
        const out = new PassThrough({ highWaterMark: 16 * 1024 });
        const done = writeSnapshot(db, 'district', out);
        let seen = '';
        for await (const c of out) {
          seen += (c as Buffer).toString('latin1', 0, 200);
          if (seen.includes('"table":"events"')) break; // the events' COPY is running
        }
        out.destroy();
        await expect(done).rejects.toThrow(/closed the snapshot stream/);
      }
      await until(async () => (await copies()).length === 0, 5000, 'the abandoned COPYs to end');
      expect(pool.totalCount).toBeLessThanOrEqual(10);
      const idleInTx = rowsOf<{ n: number }>(
        await db.execute(sql`select count(*)::int as n from pg_stat_activity where datname = current_database() and state like 'idle in transaction%'`),
      )[0]!.n;
      expect(idleInTx).toBe(0);
      // every pooled connection still answers, and a whole snapshot still comes out right
      await Promise.all(Array.from({ length: 10 }, () => db.execute(sql`select 1`)));
      const copy = await snapshotBytes(db, T2);
      expect(copy.equals(await snapshotBytes(db, T2, { reader: 'keyset' }))).toBe(true);
    }, 120_000);

    it('a failure mid-COPY ends the stream with an error frame, and the pool keeps working', async () => {
      const out = new PassThrough({ highWaterMark: 64 * 1024 });
      const done = writeSnapshot(db, 'district', out);
      await until(async () => (await copies()).some((c) => c.wait_event === 'ClientWrite'), 20_000, 'the COPY to wait for its client');
      const [victim] = await copies();
      await db.execute(sql`select pg_terminate_backend(${victim!.pid})`);
      const chunks: Buffer[] = [];
      for await (const c of out) chunks.push(c as Buffer);
      await expect(done).rejects.toThrow();
      const text = Buffer.concat(chunks).toString('utf8').trimEnd();
      const last = JSON.parse(text.slice(text.lastIndexOf('\n') + 1)) as { t: string; code: string };
      expect(last.t).toBe('error');
      expect(lines(Buffer.concat(chunks))[0]!.t).toBe('begin');
      expect((await snapshotBytes(db, T1)).equals(await snapshotBytes(db, T1, { reader: 'keyset' }))).toBe(true);
    }, 120_000);

    it('reads one consistent state while writers commit', async () => {
      const before = await snapshotBytes(db, 'district', { reader: 'keyset' });
      const out = new PassThrough({ highWaterMark: 64 * 1024 });
      const done = writeSnapshot(db, 'district', out);
      await until(async () => (await copies()).some((c) => c.wait_event === 'ClientWrite'), 20_000, 'the COPY to wait for its client');
      // meanwhile: rows change, appear and go, in tables the snapshot has read and has yet to read
      for (let k = 0; k < 5; k++) {
        await write((w) => {
          w.upsert('events', `big-2-${String(1990 + k).padStart(4, '0')}`, T1, { changed: k });
          w.upsert('events', `E00${k}`, T2, { changed: k });
          w.upsert('wall', `w-new-${k}`, null, { id: k });
          w.upsert('audit', `zz-${k}`, null, { new: k });
          if (k === 0) w.delete('units', 'u1');
        });
      }
      const chunks: Buffer[] = [];
      for await (const c of out) chunks.push(c as Buffer);
      const summary = await done;
      expect(Buffer.concat(chunks).equals(before)).toBe(true);
      expect((await snapshotBytes(db, 'district')).equals(before)).toBe(false);
      expect(summary.rows).toBe(lines(before).filter((f) => f.t === 'rows').reduce((n, f) => n + f.rows!.length, 0));
    }, 120_000);
  });
});
