/**
 * The background FTS build merges the index in steps of its own (src/main/service/sync/fts-builder.ts,
 * store/replica-writes.ts `ftsMergeStep`): while it runs FTS5's automerge is off, so a chunk's commit only adds its
 * segment and merges nothing (with automerge on, the commit that flushed a segment also merged levels, in
 * proportion to its pages and the index's levels: a 0.6–1.4 s chunk near the end of a 10^6 build with live
 * batches, docs/sync-client.md); the steps leave no level of 4 segments or more before the next chunk; the last
 * chunk turns automerge back on; and with live upserts between the chunks the index equals a rebuild (FTS5's
 * 'integrity-check', every token instance, query answers). A build cut while automerge is off (a crash: the
 * state of its last commit, chunk or merge step) keeps it off on reopening, and the resumed build turns it back on;
 * a snapshot whose swap builds the index inline after such a cut does too.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { SyncOp } from '../../../src/core/index';
import { openReplica } from '../../../src/main/service/store/open';
import { applyBatch, FTS_AUTOMERGE_DEFAULT, ftsAutomerge, ftsBuiltThrough, stageRows, swapInSnapshot } from '../../../src/main/service/store/replica-writes';
import { RowWriter } from '../../../src/main/service/store/replicated-rows';
import { readSyncState } from '../../../src/main/service/store/sync-state';
import { FtsBuilder } from '../../../src/main/service/sync/fts-builder';
import { makeEvent } from './feed-fixtures';
import { decodeFtsStructure } from '../../support/fts-structure';

const AT = '2026-11-27T00:00:00.000Z';
const EVENTS = 2_000;

/** A replica as the service opens it again after a restart. */
function reopen(file: string) {
  const r = openReplica({ file });
  return { ...r, writer: new RowWriter(r.sqlite) };
}

/** A snapshot of EVENTS events swapped in, its index to be built (the build mark at 0). */
function replica(file = ':memory:') {
  const r = openReplica({ file });
  const writer = new RowWriter(r.sqlite);
  stageRows(r.sqlite, writer, 'events', Array.from({ length: EVENTS }, (_, i) => ({ key: `ev${i}`, v: 1, row: makeEvent(`ev${i}`, { title: `路面坑洼积水${i} 井盖缺失${i * 7}` }) })));
  swapInSnapshot(r.sqlite, { scope: 'district', checkpoint: { epoch: 'ep', v: 1 }, referenceVersion: 'ep:1', checksum: null, at: AT }, { deferFts: true });
  return { ...r, writer };
}

function live(r: ReturnType<typeof replica>, ops: (v: number) => SyncOp[]): void {
  const cursor = readSyncState(r.sqlite)!.cursor;
  const v = cursor.v + 1;
  const res = applyBatch(r.sqlite, r.writer, { from: cursor, checkpoint: { epoch: cursor.epoch, v }, ops: ops(v), acks: [] }, () => ({ changed: false, eventId: null }), AT);
  expect(res.applied).toBe(true);
}

/** each level's segment ids, and how many of them a merge that has begun (and goes on at the next step) takes */
function structure(r: ReturnType<typeof replica>): { segments: number[]; merging: number }[] {
  const b = r.sqlite.prepare('SELECT block FROM events_fts_data WHERE id = 10').pluck().get() as Buffer | undefined;
  return b ? decodeFtsStructure(b).map((l) => ({ segments: l.segments.map((g) => g.id), merging: l.merging })) : [];
}

const levels = (r: ReturnType<typeof replica>): number[][] => structure(r).map((l) => l.segments);

const index = (r: ReturnType<typeof replica>, table: string) => {
  r.sqlite.exec(`CREATE VIRTUAL TABLE IF NOT EXISTS temp.${table}_vocab USING fts5vocab(${table === 'events_fts' ? 'main' : 'temp'}, ${table}, instance)`);
  return r.sqlite.prepare(`SELECT term, doc, col, offset FROM temp.${table}_vocab ORDER BY doc, col, offset, term`).all();
};

/** Phrases the live batches and the snapshot wrote, some of them in every event, some in a few. */
const QUERIES = ['"路面坑洼"', '"积水1"', '"井盖缺失7"', '"改过的标题"', '"又改了1"', '"新的事件"', '"标题3" OR "事件2"', '"不存在的词"'];

/**
 * The index is sound (FTS5's 'integrity-check' throws on a damaged one) and holds what a rebuild from the events
 * holds: every token instance, and the same answers to queries.
 */
function expectEqualsRebuild(r: ReturnType<typeof replica>): void {
  r.sqlite.exec("INSERT INTO events_fts (events_fts) VALUES ('integrity-check')");
  r.sqlite.exec(`DROP TABLE IF EXISTS temp.fts_ref; DROP TABLE IF EXISTS temp.fts_ref_vocab;
    CREATE VIRTUAL TABLE temp.fts_ref USING fts5(title, description, address, content='', contentless_delete=1, tokenize='trigram');
    INSERT INTO temp.fts_ref (rowid, title, description, address) SELECT e.rid, e.title, json_extract(d.doc, '$.description'), e.address FROM events e JOIN events_doc d ON d.rid = e.rid;`);
  const ref = index(r, 'fts_ref');
  expect(ref.length).toBeGreaterThan(EVENTS * 10);
  expect(index(r, 'events_fts')).toEqual(ref);
  let answered = 0;
  for (const q of QUERIES) {
    const got = r.sqlite.prepare('SELECT rowid FROM events_fts WHERE events_fts MATCH ? ORDER BY rowid').pluck().all(q);
    expect(got).toEqual(r.sqlite.prepare('SELECT rowid FROM temp.fts_ref WHERE fts_ref MATCH ? ORDER BY rowid').pluck().all(q));
    if (got.length) answered += 1;
  }
  // the snapshot's own phrases at least (the live ones too while the build ran: compared above)
  expect(answered).toBeGreaterThanOrEqual(3);
}

/** Live batches between the build's steps: an event indexed already changed, one not yet indexed, a new one, a delete. */
function liveEdits(r: ReturnType<typeof replica>, step: number): void {
  const a = (step * 37) % EVENTS;
  const b = (step * 91 + EVENTS / 2) % EVENTS;
  live(r, (v) => [
    { table: 'events', op: 'upsert', key: `ev${a}`, v, row: makeEvent(`ev${a}`, { title: `改过的标题${step}` }) },
    { table: 'events', op: 'upsert', key: `ev${b}`, v, row: makeEvent(`ev${b}`, { title: `又改了${step}` }) },
    { table: 'events', op: 'upsert', key: `new${step}`, v, row: makeEvent(`new${step}`, { title: `新的事件${step}` }) },
    { table: 'events', op: 'delete', key: `ev${(b + 5) % EVENTS}`, v },
  ]);
}

/** A build to its end, or until `cut` says so after a chunk or a merge step (a crash: what was committed stays). */
function build(
  r: ReturnType<typeof replica>,
  cut: (ev: { chunks: number; merges: number }) => boolean = () => false,
  mergeMaxPages?: number,
): Promise<{ chunks: number; merges: number; done: boolean }> {
  const seen = { chunks: 0, merges: 0 };
  return new Promise((resolve, reject) => {
    const builder = new FtsBuilder({
      sqlite: r.sqlite,
      chunkRows: 40,
      ...(mergeMaxPages !== undefined ? { mergeMaxPages } : {}),
      livePending: () => false,
      onMerge: () => {
        seen.merges += 1;
        liveEdits(r, 1_000 + seen.merges);
        if (cut(seen)) {
          builder.stop();
          resolve({ ...seen, done: false });
        }
      },
      onChunk: () => {
        seen.chunks += 1;
        liveEdits(r, seen.chunks);
        if (cut(seen)) {
          builder.stop();
          resolve({ ...seen, done: false });
        }
      },
      onDone: () => resolve({ ...seen, done: true }),
      onError: reject,
    });
    builder.start();
  });
}

describe('FTS build merges in steps of its own', () => {
  it('chunks merge nothing, steps keep levels under 4 segments, automerge restored, index equals a rebuild', async () => {
    const r = replica();
    let beforeChunk: number[][] = [];
    let chunks = 0;
    let merges = 0;
    let step = 0;
    await new Promise<void>((resolve, reject) => {
      new FtsBuilder({
        sqlite: r.sqlite,
        chunkRows: 40,
        // asked before every chunk and merge step: the index as the next one finds it
        livePending: () => {
          beforeChunk = levels(r);
          return false;
        },
        onMerge: () => {
          merges += 1;
          expect(ftsAutomerge(r.sqlite)).toBe(0);
        },
        onChunk: () => {
          chunks += 1;
          const after = levels(r);
          // every segment there was before the chunk is still there: its commit merged nothing
          const kept = new Set(after.flat());
          expect(beforeChunk.flat().filter((id) => !kept.has(id))).toEqual([]);
          // the merge steps ran until no level had 4 segments or more
          expect(Math.max(0, ...beforeChunk.map((l) => l.length))).toBeLessThan(4);
          if (ftsBuiltThrough(r.sqlite) !== null) expect(ftsAutomerge(r.sqlite)).toBe(0);
          step += 1;
          liveEdits(r, step);
        },
        onDone: () => resolve(),
        onError: reject,
      }).start();
    });
    expect(chunks).toBeGreaterThan(EVENTS / 40);
    expect(merges).toBeGreaterThan(5);
    expect(ftsBuiltThrough(r.sqlite)).toBeNull();
    expect(ftsAutomerge(r.sqlite)).toBe(FTS_AUTOMERGE_DEFAULT);
    expectEqualsRebuild(r);
  });

  // a cut after every kind of commit: a chunk (its segment not merged yet), the merge step that ended a level's
  // merge, one in the middle of a merge of several steps (small steps: FTS5 keeps its progress in the structure
  // record, and the next step, or FTS5's automerge after the build, goes on with it)
  const cuts: { name: string; at: (r: ReturnType<typeof replica>, seen: { chunks: number; merges: number }) => boolean; mergeMaxPages?: number }[] = [
    { name: 'after chunk 7', at: (_, seen) => seen.chunks >= 7 },
    { name: 'after merge step 3', at: (_, seen) => seen.merges >= 3 },
    { name: 'in the middle of a merge of several steps', at: (r) => structure(r).some((l) => l.merging > 0), mergeMaxPages: 2 },
  ];
  for (const c of cuts) {
    it(`a build cut while automerge is off (${c.name}) keeps it off on reopening; the resumed build turns it back on`, async () => {
      const dir = mkdtempSync(path.join(os.tmpdir(), 'huying-fts-merge-'));
      try {
        const file = path.join(dir, 'replica.sqlite');
        const first = replica(file);
        const cut = await build(first, (seen) => c.at(first, seen), c.mergeMaxPages);
        expect(cut.done).toBe(false);
        const through = ftsBuiltThrough(first.sqlite);
        const merging = structure(first).some((l) => l.merging > 0);
        first.close();

        const again = reopen(file);
        expect(ftsBuiltThrough(again.sqlite)).toBe(through);
        expect(through).toBeGreaterThan(0);
        expect(ftsAutomerge(again.sqlite)).toBe(0);
        expect(structure(again).some((l) => l.merging > 0)).toBe(merging);
        const rest = await build(again, undefined, c.mergeMaxPages);
        expect(rest.done).toBe(true);
        expect(rest.chunks).toBeGreaterThan(5);
        expect(ftsBuiltThrough(again.sqlite)).toBeNull();
        expect(ftsAutomerge(again.sqlite)).toBe(FTS_AUTOMERGE_DEFAULT);
        expectEqualsRebuild(again);
        again.close();
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  }

  it('a snapshot swapped in with its index built inline after a cut build turns automerge back on', async () => {
    const r = replica();
    const cut = await build(r, (seen) => seen.chunks >= 3);
    expect(cut.done).toBe(false);
    expect(ftsAutomerge(r.sqlite)).toBe(0);
    stageRows(r.sqlite, r.writer, 'events', Array.from({ length: EVENTS }, (_, i) => ({ key: `ev${i}`, v: 2, row: makeEvent(`ev${i}`, { title: `路面坑洼积水${i} 井盖缺失${i * 7}` }) })));
    swapInSnapshot(r.sqlite, { scope: 'district', checkpoint: { epoch: 'ep', v: 9_999 }, referenceVersion: 'ep:9999', checksum: null, at: AT });
    expect(ftsBuiltThrough(r.sqlite)).toBeNull();
    expect(ftsAutomerge(r.sqlite)).toBe(FTS_AUTOMERGE_DEFAULT);
    expectEqualsRebuild(r);
  });

  it('the inline fill after a cut build runs with automerge on: its flushes merge as they go', async () => {
    const r = replica();
    await build(r, (seen) => seen.chunks >= 3);
    expect(ftsAutomerge(r.sqlite)).toBe(0);
    // a 64 KB hash of pending terms (FTS5's 'hashsize', 1 MB by default): the fill of EVENTS events flushes a segment
    // several times, as a large snapshot's fill does every MB; FTS5 reads automerge at each flush
    r.sqlite.prepare("INSERT INTO events_fts (events_fts, rank) VALUES ('hashsize', ?)").run(BigInt(65_536));
    const stage = () =>
      stageRows(r.sqlite, r.writer, 'events', Array.from({ length: EVENTS }, (_, i) => ({ key: `ev${i}`, v: 2, row: makeEvent(`ev${i}`, { title: `路面坑洼积水${i} 井盖缺失${i * 7}` }) })));
    stage();
    swapInSnapshot(r.sqlite, { scope: 'district', checkpoint: { epoch: 'ep', v: 9_999 }, referenceVersion: 'ep:9999', checksum: null, at: AT });
    expect(ftsAutomerge(r.sqlite)).toBe(FTS_AUTOMERGE_DEFAULT);
    // the flushes' segments were merged during the fill: no level holds FTS5's automerge threshold of them
    expect(Math.max(...levels(r).map((l) => l.length))).toBeLessThan(FTS_AUTOMERGE_DEFAULT);
    expectEqualsRebuild(r);
    // the control: the same fill with automerge 0 leaves its flushes' segments unmerged on level 0
    stage();
    swapInSnapshot(r.sqlite, { scope: 'district', checkpoint: { epoch: 'ep', v: 10_000 }, referenceVersion: 'ep:10000', checksum: null, at: AT }, { deferFts: true });
    r.sqlite.exec("INSERT INTO events_fts (events_fts, rank) VALUES ('automerge', 0)");
    r.sqlite.exec(
      "INSERT INTO events_fts (rowid, title, description, address) SELECT e.rid, e.title, json_extract(d.doc, '$.description'), e.address FROM events e JOIN events_doc d ON d.rid = e.rid",
    );
    expect(levels(r)[0]!.length).toBeGreaterThanOrEqual(FTS_AUTOMERGE_DEFAULT);
  });

  it('a complete index with automerge off (an image a keeper exported mid-build before this fix) gets it back at start', async () => {
    const r = replica();
    expect((await build(r)).done).toBe(true);
    r.sqlite.exec("INSERT INTO events_fts (events_fts, rank) VALUES ('automerge', 0)");
    expect(ftsAutomerge(r.sqlite)).toBe(0);
    let finished = 0;
    const errors: unknown[] = [];
    const builder = new FtsBuilder({ sqlite: r.sqlite, livePending: () => false, onDone: () => (finished += 1), onError: (err) => errors.push(err) });
    builder.start();
    // at once, and no build: the index is complete
    expect(ftsAutomerge(r.sqlite)).toBe(FTS_AUTOMERGE_DEFAULT);
    expect(builder.running()).toBe(false);
    await new Promise((resolve) => setImmediate(resolve));
    expect(finished).toBe(0);
    expect(errors).toEqual([]);
    expect(ftsBuiltThrough(r.sqlite)).toBeNull();
    expectEqualsRebuild(r);
    builder.stop();
  });

  it('a build in progress keeps automerge off at start', async () => {
    const r = replica();
    expect((await build(r, (seen) => seen.chunks >= 3)).done).toBe(false);
    const builder = new FtsBuilder({ sqlite: r.sqlite, livePending: () => false, onDone: () => undefined, onError: () => undefined });
    builder.start();
    expect(ftsAutomerge(r.sqlite)).toBe(0);
    expect(builder.running()).toBe(true);
    builder.stop();
  });
});
