/**
 * map/workers and documents stored as sent: the snapshot's rows-line split stores each document
 * byte for byte, so a worker whose keys were sent with \u escapes of ASCII letters
 * ("\u0070osition") is stored so — map/workers must still place that worker at its GPS fix
 * (src/main/service/queries/map/workers.ts: its LIKE pre-filter alone missed it).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SnapshotLineParser } from '../../../src/main/service/sync/snapshot-frames';
import { queryReplica, type QueryReplica } from './query-fixtures';

const NOW = Date.parse('2026-11-27T10:00:00.000Z');

/** The documents of a workers `rows` line as the desktop's split path yields them. */
function docsAsStored(rows: string[]): { key: string; doc: string }[] {
  const line = `{"t":"rows","table":"workers","rows":[${rows.join(',')}]}\n`;
  const parsed = new SnapshotLineParser(false).push(Buffer.from(line, 'utf8'));
  const frame = parsed[0]!.frame;
  if (frame.t !== 'rows') throw new Error(`expected a rows frame, got ${frame.t}`);
  const text = Buffer.from(frame.rows.docBytes).toString('utf8');
  let start = 0;
  return frame.rows.keys.map((key, i) => {
    const end = frame.rows.docEnds[i]!;
    const doc = Buffer.from(frame.rows.docBytes.subarray(start, end)).toString('utf8');
    start = end;
    expect(text).toContain(doc);
    return { key, doc };
  });
}

describe('map/workers with documents stored as sent', () => {
  let h: QueryReplica;
  beforeAll(() => {
    h = queryReplica([], () => NOW);
    const docs = docsAsStored([
      // the key spelled with escapes of ASCII letters, as any JSON writer may send it
      '{"key":"w-001","v":2,"row":{"id":"w-001","\\u0070osition":[113.21,23.41],"\\u0066ixAt":"2026-11-27T09:58:00Z","onDuty":false}}',
      // plainly spelled: the fast path
      '{"key":"w-002","v":2,"row":{"id":"w-002","position":[113.22,23.42],"fixAt":"2026-11-27T09:59:00Z"}}',
      // an escape elsewhere, no fix: stays at its grid
      '{"key":"w-003","v":2,"row":{"id":"w-003","note":"\\u0041 note"}}',
    ]);
    // the premise: the split path keeps the escapes (jsonb::text never writes them, other writers may)
    expect(docs[0]!.doc).toContain('"\\u0070osition"');
    const insert = h.replica.sqlite.prepare('INSERT INTO workers (key, v, doc) VALUES (?, 2, ?)');
    for (const d of docs) insert.run(d.key, d.doc);
  });
  afterAll(() => h?.close());

  it('places a worker whose "position" key was sent escaped at its GPS fix, like a plainly spelled one', async () => {
    const w = await h.handlers['map/workers']({});
    expect(w.workers.map((x) => [x.id, x.source, x.position, x.fixAt, x.onDuty])).toEqual([
      ['w-001', 'gps', [113.21, 23.41], '2026-11-27T09:58:00Z', false],
      ['w-002', 'gps', [113.22, 23.42], '2026-11-27T09:59:00Z', true],
      ['w-003', 'grid', w.workers[2]!.position, null, true],
    ]);
  });
});
