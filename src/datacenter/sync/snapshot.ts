/**
 * The snapshot of a scope: every replicated row a client of that scope holds,
 * as NDJSON frames (`begin`, `rows` pages, `end`), from ONE consistent read.
 *
 * One REPEATABLE READ READ ONLY transaction reads the checkpoint (the head it
 * sees), the checksums, then the rows of each table (a town scope: its
 * district-wide rows, then the town's) in key order, ~1000 rows a page, so the
 * rows are exactly the state at the checkpoint however many writes commit
 * meanwhile; the client then follows the live feed from that checkpoint.
 *
 * How the rows are read depends on the engine:
 * - PostgreSQL (a `Db` from `openDatabase`): one `COPY … TO STDOUT (FORMAT
 *   binary)` per table and part on the transaction's own client, framed from
 *   the bytes (./snapshot-copy.ts);
 * - PGlite (or `reader: 'keyset'`): keyset pagination on `sync_rows`' key
 *   through drizzle, each page's frame built as text.
 * Both write the same bytes (./snapshot-encoding.ts).
 *
 * Back-pressure: nothing more is read while a frame waits for the socket to
 * drain (below the stream's high-water mark), so a slow client costs about a
 * page of memory — and holds its transaction open longer. On PostgreSQL that
 * is an MVCC snapshot, harmless for writers. PGlite has ONE connection: a
 * snapshot transaction holds the whole database until it ends, so there the
 * stream buffers far more (64 MB) before it waits for the client; a snapshot
 * of the demo district (~3,500 rows, ~1.3 MB) never waits.
 *
 * A client that stops reading altogether would keep its transaction (on PostgreSQL: a pooled
 * connection) for ever: with `stallTimeoutMs`, a wait for the client in which it read nothing for
 * that long ends the export as if the client had left (the stream is destroyed; a COPY abandoned
 * half-way closes its connection). Frames are written in slices of at most 64 KB so that what
 * the client reads shows up here (the bytes still buffered in `out` go down) slice by slice,
 * even when one frame is several megabytes. The routes also bound the exports running at once
 * (./snapshot-limits.ts).
 */
import { once } from 'node:events';
import type { Writable } from 'node:stream';
import { sql } from 'drizzle-orm';
import { toRpcError, type ScopeChecksum, type SnapshotFrame, type SyncScope } from '../../core';
import { postgresPoolOf, type Db, type DbKind, type DbOrTx } from '../store/database';
import { rowsOf } from '../store/migration';
import { nextTurn, preferIndexOrder } from './feed';
import { copyRange, inSnapshotTransaction, type RangeFilter } from './snapshot-copy';
import { rowsPageText } from './snapshot-encoding';
import { computeChecksum, REPLICATED_TABLES } from './state';

export const SNAPSHOT_PAGE_ROWS = 1000;

export interface SnapshotOptions {
  pageRows?: number;
  /**
   * How rows are read: 'auto' (default) streams binary COPYs on PostgreSQL and pages with keyset
   * SELECTs on PGlite; 'keyset' pages on PostgreSQL too (tests and benchmarks compare the two)
   */
  reader?: 'auto' | 'keyset';
  /**
   * end the export (as if the client had left) once a wait for the client has seen it read nothing
   * for this long; 0 or absent: wait for ever
   */
  stallTimeoutMs?: number;
  /**
   * the client's extraction version (core/sync/extraction.ts): the begin frame names it and each row whose
   * stored extracted columns were computed by it carries them (docs/sync-protocol.md "Extracted columns");
   * absent, the frames are those of a client that never asked
   */
  columns?: number;
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

/** Frames are written to the stream in slices of at most this many bytes (see the module comment). */
export const SNAPSHOT_WRITE_SLICE = 64 * 1024;

class ClientGone extends Error {
  constructor() {
    super('the client closed the snapshot stream');
  }
}

/** The client read nothing for `stallTimeoutMs` while the export waited for it. */
export class SnapshotClientStalled extends Error {
  constructor(readonly stallTimeoutMs: number) {
    super(`the client read nothing of the snapshot for ${stallTimeoutMs} ms: export cut, its connection released`);
    this.name = 'SnapshotClientStalled';
  }
}

/**
 * Resolves once `out`'s client has taken nothing for `ms`: the bytes still buffered in `out`
 * (its writable side, and its readable side when it is a Duplex such as the routes' PassThrough)
 * have not gone down. Checked every ~ms/4 (at most every second) until `signal` aborts.
 */
function noProgressFor(out: Writable, ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const buffered = () => out.writableLength + ((out as Writable & { readableLength?: number }).readableLength ?? 0);
    let last = buffered();
    let since = Date.now();
    const timer = setInterval(
      () => {
        const now = buffered();
        if (now < last) since = Date.now();
        last = now;
        if (Date.now() - since >= ms) {
          clearInterval(timer);
          resolve();
        }
      },
      Math.max(10, Math.min(1000, Math.floor(ms / 4))),
    );
    signal.addEventListener('abort', () => clearInterval(timer), { once: true });
  });
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
  const stallMs = opts.stallTimeoutMs ?? 0;
  let bytes = 0;
  let started = false;
  const write = async (chunk: string | Buffer) => {
    if (out.destroyed || out.writableEnded) throw new ClientGone();
    const buf = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    bytes += buf.length;
    let more = true;
    if (buf.length <= SNAPSHOT_WRITE_SLICE) more = out.write(buf);
    else for (let at = 0; at < buf.length; at += SNAPSHOT_WRITE_SLICE) more = out.write(buf.subarray(at, at + SNAPSHOT_WRITE_SLICE));
    if (out.destroyed) throw new ClientGone(); // e.g. between two slices
    if (!more) {
      // wait for the client, for it to go away (destroyed, with or without an error: `once` rejects
      // on 'error'), or (stallMs) until it has read nothing for too long
      const stop = new AbortController();
      const gone = () => {
        throw new ClientGone();
      };
      const waits: Promise<unknown>[] = [once(out, 'drain', { signal: stop.signal }).catch(gone), once(out, 'close', { signal: stop.signal }).then(gone, gone)];
      if (stallMs > 0) {
        waits.push(
          noProgressFor(out, stallMs, stop.signal).then(() => {
            throw new SnapshotClientStalled(stallMs);
          }),
        );
      }
      try {
        await Promise.race(waits);
      } finally {
        stop.abort();
      }
    }
  };
  /** the snapshot within its transaction; `streamPart` writes the rows of one table and part */
  const inTransaction = async (tx: DbOrTx, streamPart: (table: string, filter: RangeFilter) => Promise<number>) => {
    await preferIndexOrder(tx);
    const checksum = await computeChecksum(tx, scope);
    const { epoch, v } = checksum.checkpoint;
    const totalRows = Object.values(checksum.tables).reduce((n, t) => n + t.count, 0);
    started = true;
    opts.onBegin?.();
    const begin: SnapshotFrame = { t: 'begin', scope, checkpoint: { epoch, v }, totalRows, tables: [...REPLICATED_TABLES], ...(opts.columns !== undefined ? { columns: opts.columns } : {}) };
    await write(JSON.stringify(begin) + '\n');
    let rows = 0;
    for (const table of REPLICATED_TABLES) {
      if (checksum.tables[table]!.count === 0) continue;
      // a town scope is two key-ordered ranges of one index: district-wide rows, then the town's
      const parts: RangeFilter[] = scope === 'district' ? [{ all: true }] : [{ scope: null }, { scope }];
      for (const part of parts) rows += await streamPart(table, part);
    }
    const end: SnapshotFrame = { t: 'end', checkpoint: { epoch, v }, checksum: checksum satisfies ScopeChecksum };
    await write(JSON.stringify(end) + '\n');
    return { checkpoint: v, epoch, rows };
  };
  const pool = opts.reader === 'keyset' ? null : postgresPoolOf(db);
  try {
    const summary = pool
      ? await inSnapshotTransaction(pool, (tx, client) => inTransaction(tx, (table, filter) => copyRange(client, table, filter, pageRows, write, nextTurn, opts.columns)))
      : await db.transaction((tx) => inTransaction(tx, (table, filter) => streamRange(tx, table, filter, pageRows, write, opts.columns)), {
          isolationLevel: 'repeatable read',
          accessMode: 'read only',
        });
    out.end();
    return { ...summary, bytes };
  } catch (err) {
    if (err instanceof ClientGone || err instanceof SnapshotClientStalled || !started) {
      out.destroy();
      throw err;
    }
    const e = toRpcError(err);
    const frame: SnapshotFrame = { t: 'error', code: e.code === 'internal' ? 'internal' : e.code, message: e.code === 'internal' ? 'the snapshot failed on the server' : e.message };
    if (!out.destroyed) out.end(JSON.stringify(frame) + '\n');
    throw err;
  }
}

/** One table and part by keyset-paged SELECTs (PGlite, or `reader: 'keyset'`). */
async function streamRange(tx: DbOrTx, table: string, filter: RangeFilter, pageRows: number, write: (text: string) => Promise<void>, columns?: number): Promise<number> {
  const part = 'all' in filter ? sql`true` : filter.scope === null ? sql`scope IS NULL` : sql`scope = ${filter.scope}`;
  let after: string | null = null;
  let total = 0;
  for (;;) {
    const keyCond: ReturnType<typeof sql> = after === null ? sql`true` : sql`key > ${after}`;
    const cols = columns === undefined ? sql`` : sql`, CASE WHEN cols_version = ${columns} THEN cols END AS cols`;
    const page = rowsOf<{ key: string; v: string | number; row: string; cols?: string | null }>(
      await tx.execute(sql`SELECT key, v, row${cols} FROM sync_rows
        WHERE table_name = ${table} AND ${part} AND ${keyCond} ORDER BY key LIMIT ${pageRows}`),
    );
    if (page.length === 0) return total;
    await write(rowsPageText(table, page));
    await nextTurn();
    total += page.length;
    if (page.length < pageRows) return total;
    after = page.at(-1)!.key;
  }
}
