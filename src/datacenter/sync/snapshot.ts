/**
 * The snapshot of a scope: every replicated row a client of that scope holds,
 * as NDJSON frames (`begin`, `rows` pages, `end`), from ONE consistent read.
 *
 * One REPEATABLE READ READ ONLY transaction reads the checkpoint (the head it
 * sees), the checksums, then the rows page by page (keyset pagination on
 * `sync_rows`' key, ~1000 rows a page), so the rows are exactly the state at
 * the checkpoint however many writes commit meanwhile; the client then follows
 * the live feed from that checkpoint.
 *
 * Back-pressure: a page is read only when the previous ones have drained into
 * the socket (below the stream's high-water mark), so a slow client costs one
 * page of memory — and holds its transaction open longer. On PostgreSQL that
 * is an MVCC snapshot, harmless for writers. PGlite has ONE connection: a
 * snapshot transaction holds the whole database until it ends, so there the
 * stream buffers far more (64 MB) before it waits for the client; a snapshot
 * of the demo district (~3,500 rows, ~1.3 MB) never waits.
 */
import { once } from 'node:events';
import type { Writable } from 'node:stream';
import { sql } from 'drizzle-orm';
import { toRpcError, type ScopeChecksum, type SnapshotFrame, type SyncScope } from '../../core';
import type { Db, DbKind, DbOrTx } from '../store/database';
import { rowsOf } from '../store/migration';
import { nextTurn, preferIndexOrder } from './feed';
import { computeChecksum, REPLICATED_TABLES } from './state';

export const SNAPSHOT_PAGE_ROWS = 1000;

export interface SnapshotOptions {
  pageRows?: number;
}

export interface SnapshotSummary {
  checkpoint: number;
  epoch: string;
  rows: number;
  bytes: number;
}

/** Stream buffer sizes per engine (see the module comment). */
export function snapshotHighWaterMark(kind: DbKind): number {
  return kind === 'pglite' ? 64 * 1024 * 1024 : 1024 * 1024;
}

class ClientGone extends Error {
  constructor() {
    super('the client closed the snapshot stream');
  }
}

/**
 * Writes the snapshot of `scope` to `out` and ends it. `onBegin` runs once the
 * transaction has read its checkpoint (before any byte is written), so a
 * caller can still answer with an HTTP error when the database fails earlier.
 * After `begin`, a failure is written as an `error` frame.
 */
export async function writeSnapshot(
  db: Db,
  scope: SyncScope,
  out: Writable,
  opts: SnapshotOptions & { onBegin?: () => void } = {},
): Promise<SnapshotSummary> {
  const pageRows = opts.pageRows ?? SNAPSHOT_PAGE_ROWS;
  let bytes = 0;
  let started = false;
  const write = async (text: string) => {
    if (out.destroyed || out.writableEnded) throw new ClientGone();
    bytes += Buffer.byteLength(text);
    if (!out.write(text)) {
      // wait for the client, or for it to go away
      const stop = new AbortController();
      try {
        await Promise.race([
          once(out, 'drain', { signal: stop.signal }),
          once(out, 'close', { signal: stop.signal }).then(() => {
            throw new ClientGone();
          }),
        ]);
      } finally {
        stop.abort();
      }
    }
  };
  try {
    const summary = await db.transaction(
      async (tx) => {
        await preferIndexOrder(tx);
        const checksum = await computeChecksum(tx, scope);
        const { epoch, v } = checksum.checkpoint;
        const totalRows = Object.values(checksum.tables).reduce((n, t) => n + t.count, 0);
        started = true;
        opts.onBegin?.();
        const begin: SnapshotFrame = { t: 'begin', scope, checkpoint: { epoch, v }, totalRows, tables: [...REPLICATED_TABLES] };
        await write(JSON.stringify(begin) + '\n');
        let rows = 0;
        for (const table of REPLICATED_TABLES) {
          if (checksum.tables[table]!.count === 0) continue;
          // a town scope is two key-ordered ranges of one index: district-wide rows, then the town's
          const parts = scope === 'district' ? [sql`true`] : [sql`scope IS NULL`, sql`scope = ${scope}`];
          for (const part of parts) rows += await streamRange(tx, table, part, pageRows, write);
        }
        const end: SnapshotFrame = { t: 'end', checkpoint: { epoch, v }, checksum: checksum satisfies ScopeChecksum };
        await write(JSON.stringify(end) + '\n');
        return { checkpoint: v, epoch, rows };
      },
      { isolationLevel: 'repeatable read', accessMode: 'read only' },
    );
    out.end();
    return { ...summary, bytes };
  } catch (err) {
    if (err instanceof ClientGone || !started) {
      out.destroy();
      throw err;
    }
    const e = toRpcError(err);
    const frame: SnapshotFrame = { t: 'error', code: e.code === 'internal' ? 'internal' : e.code, message: e.code === 'internal' ? 'the snapshot failed on the server' : e.message };
    if (!out.destroyed) out.end(JSON.stringify(frame) + '\n');
    throw err;
  }
}

async function streamRange(
  tx: DbOrTx,
  table: string,
  part: ReturnType<typeof sql>,
  pageRows: number,
  write: (text: string) => Promise<void>,
): Promise<number> {
  let after: string | null = null;
  let total = 0;
  for (;;) {
    const keyCond: ReturnType<typeof sql> = after === null ? sql`true` : sql`key > ${after}`;
    const page = rowsOf<{ key: string; v: string | number; row: string }>(
      await tx.execute(sql`SELECT key, v, row::text AS row FROM sync_rows
        WHERE table_name = ${table} AND ${part} AND ${keyCond} ORDER BY key LIMIT ${pageRows}`),
    );
    if (page.length === 0) return total;
    let text = `{"t":"rows","table":${JSON.stringify(table)},"rows":[`;
    for (let i = 0; i < page.length; i++) {
      const r = page[i]!;
      text += `${i === 0 ? '' : ','}{"key":${JSON.stringify(r.key)},"v":${Number(r.v)},"row":${r.row}}`;
    }
    await write(text + ']}\n');
    await nextTurn();
    total += page.length;
    if (page.length < pageRows) return total;
    after = page.at(-1)!.key;
  }
}

