/**
 * Rows that carry their extracted columns (docs/sync-protocol.md "Extracted columns"): the data center stores
 * them when it writes a row and sends them to a client of the same extraction version, whose line parser
 * stores the document as sent and takes the columns without parsing it (sync/snapshot-frames.ts). A replica
 * built from such a snapshot equals one built from the same snapshot without columns — rows, columns,
 * documents, full-text index — on a data center holding rows with columns, rows without (written before
 * migration 0007) and rows with columns of another version.
 */
import { sql } from 'drizzle-orm';
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SyncScope } from '../../../src/core/index';
import { EXTRACTION_VERSION } from '../../../src/core/sync/extraction';
import { openDatabase, type DataCenterDb } from '../../../src/datacenter/store/database';
import { writeSnapshot, type SnapshotOptions } from '../../../src/datacenter/sync/snapshot';
import { writeReplicated } from '../../../src/datacenter/sync/write';
import { openReplica, type Replica } from '../../../src/main/service/store/open';
import { RowWriter, REPLICATED_TABLES } from '../../../src/main/service/store/replicated-rows';
import { stageFrames, swapInSnapshot } from '../../../src/main/service/store/replica-writes';
import { SnapshotLineParser, type ParsedFrame } from '../../../src/main/service/sync/snapshot-frames';
import { auditOf, eventChange, makeEvent, referenceChanges, TOWN_A, TOWN_B } from './feed-fixtures';

let store: DataCenterDb;

beforeAll(async () => {
  store = await openDatabase({});
  const changes = [...referenceChanges()];
  for (let i = 0; i < 60; i++) {
    const e = makeEvent(`ev-${i}`, {
      town: i % 2 ? TOWN_A : TOWN_B,
      status: (['reported', 'dispatched', 'closed', 'in_progress'] as const)[i % 4],
      title: i % 3 ? `井盖缺失 ${i} 🚧 "q" \\ \u2028` : `plain ${i}`,
      description: `描述 ${i}\n\t é`,
      deadline: i % 5 ? '2026-11-21T08:00:00.000Z' : null,
    });
    changes.push(eventChange(e));
    if (i % 4 === 1 || i % 4 === 2) changes.push(auditOf(e, 1, 'close', 'closed'));
  }
  await writeReplicated(store.db, async (_tx, out) => {
    for (const c of changes) out.upsert(c.table, c.key, c.scope ?? null, c.row);
  });
  // rows without columns (as written before migration 0007) and with columns of another version
  await store.db.execute(sql`update sync_rows set cols = null, cols_version = null where key in ('ev-1', 'ev-2')`);
  await store.db.execute(sql`update sync_rows set cols = '["x"]', cols_version = ${EXTRACTION_VERSION + 1} where key = 'ev-3'`);
}, 120_000);
afterAll(async () => {
  await store?.close();
});

async function snapshotText(scope: SyncScope, opts: SnapshotOptions): Promise<string> {
  const out = new PassThrough();
  const chunks: Buffer[] = [];
  out.on('data', (c: Buffer) => chunks.push(c));
  await writeSnapshot(store.db, scope, out, { pageRows: 16, ...opts });
  return Buffer.concat(chunks).toString('utf8');
}

/** a replica built from these snapshot bytes as the sync client builds it (staged frames, swapped in) */
function replicaOf(text: string): Replica {
  const frames: ParsedFrame[] = new SnapshotLineParser(true).push(new TextEncoder().encode(text)).map((f) => f.frame);
  const replica = openReplica({ file: ':memory:' });
  const writer = new RowWriter(replica.sqlite);
  stageFrames(
    replica.sqlite,
    writer,
    frames.flatMap((f) => (f.t === 'rows' ? [f.rows] : [])),
  );
  const begin = frames[0]!;
  if (begin.t !== 'begin') throw new Error('no begin frame');
  swapInSnapshot(replica.sqlite, { scope: begin.scope, checkpoint: begin.checkpoint, referenceVersion: 'r', checksum: null, at: '2026-11-27T00:00:00.000Z' });
  return replica;
}

/** every replicated table's rows (every column), documents apart and the full-text index, in key order */
function contents(r: Replica): Record<string, unknown[]> {
  const out: Record<string, unknown[]> = {};
  for (const t of REPLICATED_TABLES) out[t] = r.sqlite.prepare(`SELECT * FROM ${t} ORDER BY key`).all().map((row) => ({ ...(row as object), rid: undefined }));
  out.events_doc = r.sqlite.prepare('SELECT e.key, d.doc FROM events_doc d JOIN events e ON e.rid = d.rid ORDER BY e.key').all();
  out.events_fts = r.sqlite.prepare("SELECT e.key, f.title, f.description, f.address FROM events_fts f JOIN events e ON e.rid = f.rowid ORDER BY e.key").all();
  return out;
}

describe('a snapshot with extracted columns', () => {
  it('sends columns with the rows that have them of the client version', async () => {
    const text = await snapshotText('district', { columns: EXTRACTION_VERSION });
    expect(text.split('\n', 1)[0]).toContain(`"columns":${EXTRACTION_VERSION}`);
    expect(text).toMatch(/\{"key":"ev-0","v":\d+,"c":\[/);
    expect(text).toMatch(/\{"key":"ev-1","v":\d+,"row":/);
    expect(text).toMatch(/\{"key":"ev-3","v":\d+,"row":/);
  });

  for (const scope of ['district', TOWN_A] as const) {
    it(`builds the same replica as the snapshot without columns (${scope})`, async () => {
      const plain = replicaOf(await snapshotText(scope, {}));
      const withColumns = replicaOf(await snapshotText(scope, { columns: EXTRACTION_VERSION }));
      try {
        const a = contents(plain);
        expect(a.events!.length).toBeGreaterThan(20);
        expect(a.audit!.length).toBeGreaterThan(3);
        expect(contents(withColumns)).toEqual(a);
      } finally {
        plain.close();
        withColumns.close();
      }
    });
  }
});
