/**
 * Snapshot export: `GET /api/v1/sync/snapshot?scope=district` from a data center process holding a
 * large history, read to the end by a client that counts bytes (the rows are announced in the
 * `begin` frame and checked against the `end` frame's checksum); the figure is rows per second.
 *
 * Baselines, same run, same rows: `COPY (SELECT table_name, key, v, row FROM sync_rows) TO STDOUT`
 * through psql into /dev/null — the fastest way PostgreSQL has to hand out the rows — and, for
 * context, the same rows read with plain keyset-paged SELECTs through `pg` (what the snapshot did
 * on PostgreSQL before its binary COPY reader and still does on PGlite, without HTTP, framing or
 * back-pressure).
 */
import { spawn } from 'node:child_process';
import pg from 'pg';
import { findPgBinDir } from '../../tests/support/pg-cluster';

export interface SnapshotRun {
  rows: number;
  bytes: number;
  seconds: number;
  rowsPerSecond: number;
  megabytesPerSecond: number;
}

/** Reads a whole snapshot over HTTP. */
export async function runSnapshot(url: string, token: string): Promise<SnapshotRun> {
  const t0 = performance.now();
  const res = await fetch(`${url}/api/v1/sync/snapshot?scope=district`, { headers: { authorization: `Bearer ${token}` } });
  if (res.status !== 200 || !res.body) throw new Error(`snapshot ${res.status}: ${await res.text()}`);
  let bytes = 0;
  // the first and the last chunks as bytes, decoded once at the end: decoding every chunk (as this
  // reader did until the COPY export) cost the reader more CPU than the server on a 2-core machine
  const head: Uint8Array[] = [];
  let headBytes = 0;
  let tail: Uint8Array[] = [];
  let tailBytes = 0;
  for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
    bytes += chunk.byteLength;
    if (headBytes < 4096) {
      head.push(chunk);
      headBytes += chunk.byteLength;
    }
    tail.push(chunk);
    tailBytes += chunk.byteLength;
    if (tail.length > 64) {
      const keep = tail.slice(-32);
      tailBytes = keep.reduce((n, c) => n + c.byteLength, 0);
      tail = keep;
    }
  }
  const seconds = (performance.now() - t0) / 1000;
  const headText = Buffer.concat(head).toString('utf8');
  const begin = JSON.parse(headText.slice(0, headText.indexOf('\n'))) as { t: string; totalRows: number };
  const tailText = Buffer.concat(tail, tailBytes).toString('utf8');
  const last = tailText.trimEnd().split('\n').at(-1)!;
  const end = JSON.parse(last) as { t: string };
  if (begin.t !== 'begin' || end.t !== 'end') throw new Error(`snapshot frames: ${begin.t} … ${end.t}`);
  return { rows: begin.totalRows, bytes, seconds, rowsPerSecond: begin.totalRows / seconds, megabytesPerSecond: bytes / seconds / 1e6 };
}

/** COPY of the same rows through psql into /dev/null. */
export async function runCopyBaseline(pgUrl: string): Promise<SnapshotRun> {
  const psql = `${findPgBinDir()}/psql`;
  const t0 = performance.now();
  let bytes = 0;
  await new Promise<void>((resolve, reject) => {
    const child = spawn(psql, [pgUrl, '-X', '-q', '-c', 'COPY (SELECT table_name, key, v, row FROM sync_rows) TO STDOUT'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let err = '';
    child.stdout.on('data', (c: Buffer) => (bytes += c.byteLength));
    child.stderr.on('data', (c: Buffer) => (err += c.toString()));
    child.once('error', reject);
    child.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`psql exited ${code}: ${err}`))));
  });
  const seconds = (performance.now() - t0) / 1000;
  const client = new pg.Client({ connectionString: pgUrl });
  await client.connect();
  const rows = Number((await client.query('SELECT count(*) AS n FROM sync_rows')).rows[0].n);
  await client.end();
  return { rows, bytes, seconds, rowsPerSecond: rows / seconds, megabytesPerSecond: bytes / seconds / 1e6 };
}

/** The same rows by keyset-paged SELECTs (1000 a page, in the snapshot's order) through pg. */
export async function runKeysetBaseline(pgUrl: string): Promise<SnapshotRun> {
  const client = new pg.Client({ connectionString: pgUrl });
  await client.connect();
  const t0 = performance.now();
  let rows = 0;
  let bytes = 0;
  try {
    await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
    const tables = (await client.query('SELECT DISTINCT table_name FROM sync_rows ORDER BY 1')).rows.map((r: { table_name: string }) => r.table_name);
    for (const table of tables) {
      let after: string | null = null;
      for (;;) {
        const page: pg.QueryResult<{ key: string; v: string; row: string }> = await client.query(
          `SELECT key, v, row::text AS row FROM sync_rows WHERE table_name = $1 AND ($2::text IS NULL OR key > $2) ORDER BY key LIMIT 1000`,
          [table, after],
        );
        for (const r of page.rows) bytes += r.row.length + r.key.length;
        rows += page.rows.length;
        if (page.rows.length < 1000) break;
        after = page.rows.at(-1)!.key;
      }
    }
    await client.query('COMMIT');
  } finally {
    await client.end();
  }
  const seconds = (performance.now() - t0) / 1000;
  return { rows, bytes, seconds, rowsPerSecond: rows / seconds, megabytesPerSecond: bytes / seconds / 1e6 };
}
