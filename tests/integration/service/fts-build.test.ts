/**
 * The FTS index built after a snapshot's swap, in chunks
 * (store/replica-writes.ts buildFtsChunk), while live batches upsert and
 * delete events below and above its high-water mark: once complete it holds
 * exactly what an index rebuilt from the events in one statement holds. A
 * replica whose swap built the index inline (or that predates the build
 * mark) counts as complete.
 */
import { describe, expect, it } from 'vitest';
import type { SyncOp } from '../../../src/core/index';
import { openReplica } from '../../../src/main/service/store/open';
import { applyBatch, buildFtsChunk, FTS_AUTOMERGE_DEFAULT, ftsAutomerge, ftsBuiltThrough, stageRows, swapInSnapshot } from '../../../src/main/service/store/replica-writes';
import { RowWriter } from '../../../src/main/service/store/replicated-rows';
import { readSyncState } from '../../../src/main/service/store/sync-state';
import { makeEvent } from './feed-fixtures';

const AT = '2026-11-27T00:00:00.000Z';
const TITLES = ['路面坑洼积水', '井盖缺失', '噪音扰民投诉', '占道经营', 'Street light out'];

function replica(events: number, deferFts: boolean) {
  const r = openReplica({ file: ':memory:' });
  const writer = new RowWriter(r.sqlite);
  stageRows(r.sqlite, writer, 'events', Array.from({ length: events }, (_, i) => ({ key: `ev${i}`, v: 1, row: makeEvent(`ev${i}`, { title: `${TITLES[i % TITLES.length]}${i}` }) })));
  swapInSnapshot(r.sqlite, { scope: 'district', checkpoint: { epoch: 'ep', v: 1 }, referenceVersion: 'ep:1', checksum: null, at: AT }, { deferFts });
  return { ...r, writer };
}

function live(r: ReturnType<typeof replica>, ops: (v: number) => SyncOp[]): void {
  const cursor = readSyncState(r.sqlite)!.cursor;
  const v = cursor.v + 1;
  const res = applyBatch(r.sqlite, r.writer, { from: cursor, checkpoint: { epoch: cursor.epoch, v }, ops: ops(v), acks: [] }, () => ({ changed: false, eventId: null }), AT);
  expect(res.applied).toBe(true);
}

/** Every token instance the index holds (term, rowid, column, offset): a contentless table's whole content. */
const index = (r: ReturnType<typeof replica>) => {
  r.sqlite.exec('CREATE VIRTUAL TABLE IF NOT EXISTS temp.fts_vocab USING fts5vocab(main, events_fts, instance)');
  return r.sqlite.prepare('SELECT term, doc, col, offset FROM temp.fts_vocab ORDER BY doc, col, offset, term').all();
};
/** The same of an index rebuilt from the events in one statement. */
const rebuilt = (r: ReturnType<typeof replica>) => {
  r.sqlite.exec(`DROP TABLE IF EXISTS temp.fts_ref; DROP TABLE IF EXISTS temp.fts_ref_vocab;
    CREATE VIRTUAL TABLE temp.fts_ref USING fts5(title, description, address, content='', contentless_delete=1, tokenize='trigram');
    INSERT INTO temp.fts_ref (rowid, title, description, address) SELECT e.rid, e.title, json_extract(d.doc, '$.description'), e.address FROM events e JOIN events_doc d ON d.rid = e.rid;
    CREATE VIRTUAL TABLE temp.fts_ref_vocab USING fts5vocab(temp, fts_ref, instance);`);
  const out = r.sqlite.prepare('SELECT term, doc, col, offset FROM temp.fts_ref_vocab ORDER BY doc, col, offset, term').all();
  expect(out.length).toBeGreaterThan(0);
  return out;
};

describe('FTS index built after the swap', () => {
  it('a swap that builds it inline is complete at once', () => {
    const r = replica(50, false);
    expect(ftsBuiltThrough(r.sqlite)).toBeNull();
    expect(index(r)).toEqual(rebuilt(r));
    expect(buildFtsChunk(r.sqlite, 10)).toBe(true);
  });

  it('built in chunks with live upserts and deletes in between: the same index as a rebuild', () => {
    const r = replica(1_000, true);
    expect(ftsBuiltThrough(r.sqlite)).toBe(0);
    expect(r.sqlite.prepare('SELECT count(*) FROM events_fts').pluck().get()).toBe(0);
    let chunks = 0;
    let step = 0;
    let last = 0;
    for (;;) {
      const done = buildFtsChunk(r.sqlite, 128);
      chunks += 1;
      const through = ftsBuiltThrough(r.sqlite);
      if (!done) {
        // the mark moves by 128 events (deleted ones leave gaps in the rids)
        expect(through).toBeGreaterThanOrEqual(last + 128);
        expect(r.sqlite.prepare('SELECT count(*) FROM events WHERE rid > ? AND rid <= ?').pluck().get(last, through)).toBe(128);
        last = through!;
      }
      // between chunks: change an event already indexed, one not yet indexed, delete one of each, add a new one
      step += 1;
      const a = (step * 37) % 1_000;
      const b = (step * 91 + 500) % 1_000;
      live(r, (v) => [
        { table: 'events', op: 'upsert', key: `ev${a}`, v, row: makeEvent(`ev${a}`, { title: `改过的标题${step}` }) },
        { table: 'events', op: 'upsert', key: `ev${b}`, v, row: makeEvent(`ev${b}`, { title: `又改了${step}` }) },
        { table: 'events', op: 'delete', key: `ev${(a + 3) % 1_000}`, v },
        { table: 'events', op: 'delete', key: `ev${(b + 5) % 1_000}`, v },
        { table: 'events', op: 'upsert', key: `new${step}`, v, row: makeEvent(`new${step}`, { title: `新的事件${step}` }) },
      ]);
      if (done) break;
      expect(chunks).toBeLessThan(50);
    }
    expect(chunks).toBeGreaterThan(5);
    expect(ftsBuiltThrough(r.sqlite)).toBeNull();
    // FTS5's own merging, off while the chunks ran (the builder merges between them), is back on
    expect(ftsAutomerge(r.sqlite)).toBe(FTS_AUTOMERGE_DEFAULT);
    r.sqlite.exec("INSERT INTO events_fts (events_fts) VALUES ('integrity-check')");
    expect(index(r)).toEqual(rebuilt(r));
    expect(r.sqlite.prepare("SELECT count(*) FROM events_fts WHERE events_fts MATCH '\"改过的标题\"'").pluck().get()).toBeGreaterThan(0);
  });

  it('a new snapshot in the middle of a build starts it over', () => {
    const r = replica(300, true);
    buildFtsChunk(r.sqlite, 100);
    expect(ftsBuiltThrough(r.sqlite)).toBe(100);
    expect(ftsAutomerge(r.sqlite)).toBe(0);
    stageRows(r.sqlite, r.writer, 'events', [{ key: 'only', v: 2, row: makeEvent('only', { title: '唯一的事件' }) }]);
    swapInSnapshot(r.sqlite, { scope: 'district', checkpoint: { epoch: 'ep', v: 2 }, referenceVersion: 'ep:2', checksum: null, at: AT }, { deferFts: true });
    expect(ftsBuiltThrough(r.sqlite)).toBe(0);
    expect(r.sqlite.prepare('SELECT count(*) FROM events_fts').pluck().get()).toBe(0);
    expect(buildFtsChunk(r.sqlite, 100)).toBe(true);
    expect(ftsAutomerge(r.sqlite)).toBe(FTS_AUTOMERGE_DEFAULT);
    expect(index(r)).toEqual(rebuilt(r));
  });
});
