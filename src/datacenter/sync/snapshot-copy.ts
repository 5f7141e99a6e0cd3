/**
 * The snapshot's reads on PostgreSQL: one REPEATABLE READ READ ONLY transaction on a pooled client
 * of its own, whose rows are streamed by `COPY (SELECT key, v, row …) TO STDOUT (FORMAT binary)`
 * (pg-copy-streams) and framed from their bytes (./copy-binary.ts, ./snapshot-encoding.ts): `row` is
 * stored as its jsonb text (migration 0008), so PostgreSQL only copies it; no page round trips, no
 * row parsed into JS strings, no UTF-8 decode or re-encode.
 *
 * Back-pressure: the COPY stream is read only while `write` keeps up — once a frame waits for the
 * client nothing more is read from the socket, so PostgreSQL's sends block in TCP and a slow
 * client costs about a socket buffer plus a page of memory.
 *
 * A COPY left in the middle (the client went away, a write failed) leaves its connection in COPY
 * mode, so after any failure the connection is closed instead of going back to the pool
 * (`release(true)`); the pool opens a new one when needed. The transaction ends with it.
 */
import { drizzle as drizzleNodePg } from 'drizzle-orm/node-postgres';
import type pg from 'pg';
import { to as copyTo } from 'pg-copy-streams';
import type { Db, DbOrTx } from '../store/database';
import { schema } from '../store/schema';
import { BinaryCopyParser, CopyFormatError } from './copy-binary';
import { RowsPageBuilder } from './snapshot-encoding';

/**
 * Runs `fn` in a REPEATABLE READ READ ONLY transaction on a client taken from `pool` for it alone
 * (`tx` runs drizzle queries on that client, `client` is for the COPYs), commits, and returns the
 * client to the pool — or closes it when anything failed.
 */
export async function inSnapshotTransaction<T>(pool: pg.Pool, fn: (tx: DbOrTx, client: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  // a checked-out client has no 'error' listener of the pool's: a connection lost meanwhile
  // (PostgreSQL ended the backend) would be an uncaught error; its queries fail anyway
  client.on('error', ignoreError);
  let ok = false;
  try {
    await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
    const tx: Db = drizzleNodePg({ client, schema });
    const result = await fn(tx, client);
    await client.query('COMMIT');
    ok = true;
    return result;
  } finally {
    client.removeListener('error', ignoreError);
    client.release(ok ? undefined : true);
  }
}

function ignoreError(): void {}

/** Which rows of a table a COPY reads: all of them, the district-wide ones (scope NULL), or one town's. */
export type RangeFilter = { all: true } | { scope: string | null };

/**
 * Streams the rows of `table` matching `filter`, in key order, as `rows` frames of `pageRows`
 * rows through `write` (awaited: the COPY is not read meanwhile). Returns the number of rows.
 * `columns`: the client's extraction version; each row's stored extracted columns of that version
 * go with it (./snapshot-encoding.ts).
 */
export async function copyRange(
  client: pg.PoolClient,
  table: string,
  filter: RangeFilter,
  pageRows: number,
  write: (frame: Buffer) => Promise<void>,
  afterFrame: () => Promise<void> = async () => {},
  columns?: number,
): Promise<number> {
  const where = 'all' in filter ? 'true' : filter.scope === null ? 'scope IS NULL' : `scope = ${client.escapeLiteral(filter.scope)}`;
  const withCols = columns !== undefined;
  if (withCols && !(Number.isSafeInteger(columns) && columns > 0)) throw new Error(`extraction version ${columns}: not a positive integer`);
  const cols = withCols ? `, CASE WHEN cols_version = ${columns} THEN cols END` : '';
  const text = `COPY (SELECT key, v, row${cols} FROM sync_rows WHERE table_name = ${client.escapeLiteral(table)} AND ${where} ORDER BY key) TO STDOUT (FORMAT binary)`;
  const page = new RowsPageBuilder(pageRows);
  const ready: Buffer[] = [];
  let rows = 0;
  const parser = new BinaryCopyParser(withCols ? 4 : 3, (buf, at) => {
    const keyLen = at[1]!;
    const vLen = at[3]!;
    const rowLen = at[5]!;
    if (keyLen < 0 || vLen !== 8 || rowLen < 0) throw new CopyFormatError(`binary COPY of ${table}: a NULL key or row, or v not an int8`);
    const vAt = at[2]!;
    const v = buf.readInt32BE(vAt) * 4294967296 + buf.readUInt32BE(vAt + 4);
    if (withCols) page.add(buf, at[0]!, keyLen, v, at[4]!, rowLen, at[6]!, at[7]!);
    else page.add(buf, at[0]!, keyLen, v, at[4]!, rowLen);
    rows++;
    if (page.full) ready.push(page.take(table)!);
  });
  const stream = client.query(copyTo(text));
  // errors while it is read reach the loop below; one after the loop left (the connection
  // closed under a COPY it abandoned) must not be an unhandled 'error' event
  stream.on('error', () => {});
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    parser.push(chunk);
    for (let i = 0; i < ready.length; i++) {
      await write(ready[i]!);
      await afterFrame();
    }
    ready.length = 0;
  }
  parser.end();
  const last = page.take(table);
  if (last) {
    await write(last);
    await afterFrame();
  }
  return rows;
}
