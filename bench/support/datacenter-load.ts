/**
 * A fast bulk path for putting 10^6 replicated events into a data center for
 * the benchmarks. The data center's history generator (src/datacenter/history)
 * writes complete workflow histories with audit trails through `decide`; on
 * these 2-core machines it makes about 150 events a second, so 10^6 would take
 * hours. This path takes the events of bench/support/history.ts and writes
 * them THROUGH the write primitive — each batch is one `writeReplicated`
 * transaction, so the version is taken first and versions stay dense and in
 * commit order — but fills `sync_rows` (what snapshots, checksums and the
 * feed read; with each row's extracted columns, as writeReplicated stores
 * them) with one multi-row INSERT per chunk instead of reporting every
 * row to the change buffer, and, like the history generator's
 * `changeLog: false`, raises the retention floor to the batch's version
 * instead of logging each row to `change_log` (a client behind it
 * re-snapshots). The domain `events` table is not written: nothing a desktop
 * replicates reads it.
 */
import { sql } from 'drizzle-orm';
import type { EventRecord } from '../../src/core/index';
import type { Db } from '../../src/datacenter/store/database';
import { EXTRACTION_VERSION } from '../../src/core/sync/extraction';
import { storedColumns, writeReplicated } from '../../src/datacenter/sync/write';

export interface LoadResult {
  events: number;
  ms: number;
  versions: { first: number; last: number } | null;
}

/** Writes `records` as replicated events, `batch` per version, `chunk` per statement. */
export async function loadEvents(db: Db, records: Iterable<EventRecord>, opts: { batch?: number; chunk?: number; onProgress?: (n: number) => void } = {}): Promise<LoadResult> {
  const batchSize = opts.batch ?? 20_000;
  const chunkSize = opts.chunk ?? 1_000;
  const t0 = performance.now();
  let events = 0;
  let versions: LoadResult['versions'] = null;
  const it = records[Symbol.iterator]();
  for (;;) {
    const batch: EventRecord[] = [];
    for (let r = it.next(); !r.done; r = it.next()) {
      batch.push(r.value);
      if (batch.length >= batchSize) break;
    }
    if (batch.length === 0) break;
    const { v } = await writeReplicated(db, async (tx, out) => {
      for (let i = 0; i < batch.length; i += chunkSize) {
        const json = `[${batch
          .slice(i, i + chunkSize)
          .map((r) => {
            const row = JSON.stringify(r);
            const cols = storedColumns('events', r.id, row);
            return `{"key":${JSON.stringify(r.id)},"scope":${JSON.stringify(r.workflow.area.townCode)},"row":${row},"cols":${cols === null ? 'null' : JSON.stringify(cols)}}`;
          })
          .join(',')}]`;
        await tx.execute(sql`
          INSERT INTO sync_rows (table_name, key, scope, v, row, cols, cols_version)
          SELECT 'events', x.key, x.scope, ${out.v}, x.row::text, x.cols, CASE WHEN x.cols IS NULL THEN NULL ELSE ${EXTRACTION_VERSION}::integer END
          FROM jsonb_to_recordset(${json}::jsonb) AS x(key text, scope text, row jsonb, cols text)
          ON CONFLICT (table_name, key) DO UPDATE SET scope = excluded.scope, v = excluded.v, row = excluded.row, cols = excluded.cols, cols_version = excluded.cols_version`);
      }
      await tx.execute(sql`UPDATE sync_version SET pruned_through = greatest(pruned_through, ${out.v}) WHERE id = 1`);
    });
    versions = versions ? { first: versions.first, last: v } : { first: v, last: v };
    events += batch.length;
    opts.onProgress?.(events);
  }
  return { events, ms: performance.now() - t0, versions };
}
