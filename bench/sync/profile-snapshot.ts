/**
 * Where the client's snapshot time goes, stage by stage, without a data
 * center: N events of bench/support/history.ts as the NDJSON a data center
 * sends (pages of 1,000 rows), then — each timed alone — reading the stream
 * (readSnapshotStream: line split, JSON.parse, SnapshotFrame, column
 * extraction, doc text; once on this thread, once in the parser worker, with
 * this thread's own CPU apart), staging (stageFrames: the inserts), the swap (indexes, FTS),
 * against a raw better-sqlite3 prepared insert of (key, v, doc) of the same
 * rows in the same run. The snapshot is staged and swapped twice: with the
 * FTS index built inside the swap (as before), and with it built after the
 * swap in chunks (as the sync client now does; the chunks are timed too).
 * Every stage also reports its CPU time (`process.cpuUsage`), which holds
 * still when other work loads the machine and the wall times do not.
 *
 * Last, every index of `events` is built once more on the staged table,
 * each build timed alone, with the page counts of `stage_events` and of the
 * documents apart from it (`stage_events_doc`, migration 0008; before it the
 * same experiment compared the table with its documents inline and a copy
 * without them: docs/sync-client.md).
 *
 * `--columns`: each row carries its extracted columns as the data center sends them (`"c":[…]`,
 * computed by the same extraction; docs/sync-protocol.md "Extracted columns"), so the client binds them
 * and stores the document's bytes without parsing it — what a data center of today sends.
 * `--parsers inline` reads the stream on this thread only (default `inline,worker`).
 *
 *   npx tsx bench/sync/profile-snapshot.ts [--events 100000] [--dir /tmp/x] [--layout pg|compact] [--columns] [--parsers inline]
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import Database from 'better-sqlite3';
import { EXTRACTION_VERSION, extractValues } from '../../src/core/sync/extraction';
import { generateDemoDistrict } from '../../src/datacenter/demo';
import { openReplica } from '../../src/main/service/store/open';
import { RowWriter, type StagedRows } from '../../src/main/service/store/replicated-rows';
import { buildFtsChunk, stageFrames, swapInSnapshot } from '../../src/main/service/store/replica-writes';
import { readSnapshotStream } from '../../src/main/service/sync/snapshot-stream';
import taxonomy from '../../resources/config/taxonomy-demo.json';
import { generateHistory, leafCategories } from '../support/history';
import { log, machineNote } from '../support/results';

const { values } = parseArgs({
  options: {
    events: { type: 'string', default: '100000' },
    dir: { type: 'string' },
    layout: { type: 'string', default: 'pg' },
    columns: { type: 'boolean', default: false },
    parsers: { type: 'string', default: 'inline,worker' },
  },
});
/**
 * The documents' text: 'pg' (default) as the data center sends it, PostgreSQL's jsonb::text (a space after each
 * ':' and ','; the client stores it as sent: docs/sync-client.md, "Rows lines taken apart"), or 'compact' JSON.
 */
const pgText = (value: unknown): string => {
  if (Array.isArray(value)) return `[${value.map(pgText).join(', ')}]`;
  if (value !== null && typeof value === 'object') return `{${Object.entries(value).map(([k, x]) => `${JSON.stringify(k)}: ${pgText(x)}`).join(', ')}}`;
  return JSON.stringify(value);
};
const docText = values.layout === 'compact' ? (x: unknown) => JSON.stringify(x) : pgText;
const N = Number(values.events);
const dir = values.dir ?? mkdtempSync(path.join(os.tmpdir(), 'huying-profile-snapshot-'));
/** CPU ms of this process since `from` */
const cpuSince = (from: NodeJS.CpuUsage) => {
  const c = process.cpuUsage(from);
  return (c.user + c.system) / 1000;
};
const d = generateDemoDistrict();
const pages: string[] = [];
let page: string[] = [];
let v = 0;
for (const { record } of generateHistory({ count: N, now: new Date(), grids: d.grids, units: d.units, categories: leafCategories(taxonomy as never) })) {
  const c = values.columns ? `,"c":${JSON.stringify(extractValues('events', record.id, JSON.parse(JSON.stringify(record))))}` : '';
  page.push(`{"key":${JSON.stringify(record.id)},"v":${++v}${c},"row":${docText(record)}}`);
  if (page.length === 1000) {
    pages.push(`{"t":"rows","table":"events","rows":[${page.join(',')}]}\n`);
    page = [];
  }
}
if (page.length) pages.push(`{"t":"rows","table":"events","rows":[${page.join(',')}]}\n`);
const bytes = pages.reduce((s, p) => s + Buffer.byteLength(p), 0);
log(
  `${N} events, ${(bytes / 2 ** 20).toFixed(0)} MB of NDJSON (documents ${values.layout === 'compact' ? 'compact' : "as PostgreSQL's jsonb::text"}${values.columns ? ', with their extracted columns' : ''}); ${machineNote()}`,
);

// raw baseline
const raw = new Database(path.join(dir, 'raw.sqlite'));
raw.pragma('journal_mode = WAL');
raw.pragma('synchronous = NORMAL');
raw.exec('CREATE TABLE raw (key TEXT NOT NULL, v INTEGER NOT NULL, doc TEXT NOT NULL)');
const ins = raw.prepare('INSERT INTO raw (key, v, doc) VALUES (?, ?, ?)');
const rawRows: { key: string; v: number; doc: string }[][] = pages.map((p) => (JSON.parse(p).rows as { key: string; v: number; row: unknown }[]).map((r) => ({ key: r.key, v: r.v, doc: docText(r.row) })));
let t = performance.now();
let cpu0 = process.cpuUsage();
const all = raw.transaction((rows: { key: string; v: number; doc: string }[]) => {
  for (const r of rows) ins.run(r.key, r.v, r.doc);
});
for (let i = 0; i < rawRows.length; i += 10) all(rawRows.slice(i, i + 10).flat());
const rawMs = performance.now() - t;
raw.close();
log(`raw insert: ${(rawMs / 1000).toFixed(2)} s = ${Math.round(N / (rawMs / 1000))} rows/s (CPU ${(cpuSince(cpu0) / 1000).toFixed(2)} s)`);

// stream read: on this thread, then in the parser worker (this thread only moves bytes and takes frames)
const enc = new TextEncoder();
const body = () =>
  new ReadableStream<Uint8Array>({
    start(c) {
      const columns = values.columns ? `,"columns":${EXTRACTION_VERSION}` : '';
      c.enqueue(enc.encode(`{"t":"begin","scope":"district","epoch":"e","checkpoint":{"epoch":"e","v":${v}},"totalRows":${N},"tables":["events"]${columns}}\n`));
      for (const p of pages) {
        const b = enc.encode(p);
        for (let i = 0; i < b.byteLength; i += 65536) c.enqueue(b.subarray(i, i + 65536));
      }
      c.close();
    },
  });
/** CPU ms of this process's main thread so far (/proc: the worker's CPU is not in it) */
const mainThreadCpuMs = (): number => {
  const f = readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(f[11]) + Number(f[12])) * 10;
};
let frames: StagedRows[] = [];
for (const parser of values.parsers.split(',') as ('inline' | 'worker')[]) {
  const got: StagedRows[] = [];
  t = performance.now();
  cpu0 = process.cpuUsage();
  const main0 = mainThreadCpuMs();
  await readSnapshotStream(
    body(),
    (f) => {
      if (f.t === 'rows') got.push(f.rows);
    },
    { parser, askedForColumns: values.columns },
  );
  const readMs = performance.now() - t;
  log(
    `stream read ${parser === 'inline' ? 'on this thread' : 'in the parser worker'} (split, JSON.parse, SnapshotFrame, extraction, document text): ${(readMs / 1000).toFixed(2)} s = ${Math.round(N / (readMs / 1000))} rows/s (CPU ${(cpuSince(cpu0) / 1000).toFixed(2)} s, of which this thread ${((mainThreadCpuMs() - main0) / 1000).toFixed(2)} s)`,
  );
  frames = got;
}
const replica = openReplica({ file: path.join(dir, 'replica.sqlite') });
const writer = new RowWriter(replica.sqlite);
const stage = (): number => {
  const t0 = performance.now();
  for (let i = 0; i < frames.length; i += 5) stageFrames(replica.sqlite, writer, frames.slice(i, i + 5));
  return performance.now() - t0;
};
const swap = (deferFts: boolean): number => {
  const t0 = performance.now();
  swapInSnapshot(replica.sqlite, { scope: 'district', checkpoint: { epoch: 'e', v }, referenceVersion: 'e:1', checksum: null, at: new Date().toISOString() }, { deferFts });
  replica.sqlite.pragma('wal_checkpoint(TRUNCATE)');
  return performance.now() - t0;
};
const rate = (ms: number) => Math.round(N / (ms / 1000));
// the same snapshot twice: the FTS index built inside the swap (before), then after it in chunks (now)
const results: Record<string, { stageMs: number; swapMs: number }> = {};
for (const mode of ['inline', 'deferred'] as const) {
  let c0 = process.cpuUsage();
  const stageMs = stage();
  const stageCpu = cpuSince(c0);
  c0 = process.cpuUsage();
  const swapMs = swap(mode === 'deferred');
  const swapCpu = cpuSince(c0);
  results[mode] = { stageMs, swapMs };
  const total = stageMs + swapMs;
  log(
    `FTS ${mode}: staging ${(stageMs / 1000).toFixed(2)} s (${rate(stageMs)} rows/s, CPU ${(stageCpu / 1000).toFixed(2)} s), swap + WAL checkpoint ${(swapMs / 1000).toFixed(2)} s (CPU ${(swapCpu / 1000).toFixed(2)} s); ` +
      `staging + swap ${(total / 1000).toFixed(1)} s = ${rate(total)} rows/s, ratio to raw ${(rawMs / total).toFixed(3)}`,
  );
}
// the deferred build, chunk by chunk (what the sync client runs between live frames)
const chunkMs: number[] = [];
for (;;) {
  const t0 = performance.now();
  const done = buildFtsChunk(replica.sqlite, 2000);
  chunkMs.push(performance.now() - t0);
  if (done) break;
}
const sortedChunks = [...chunkMs].sort((a, b) => a - b);
log(
  `background FTS build: ${chunkMs.length} chunks of 2,000 events, ${(chunkMs.reduce((a, b) => a + b, 0) / 1000).toFixed(2)} s in all, ` +
    `chunk p50 ${sortedChunks[Math.floor(chunkMs.length / 2)]!.toFixed(1)} ms, max ${sortedChunks.at(-1)!.toFixed(1)} ms; ${machineNote()}`,
);

// each index of `events` built alone on the staged table (documents apart since migration 0008: a narrow scan)
const db = replica.sqlite;
const stageN = () => db.prepare('SELECT count(*) FROM stage_events').pluck().get() as number;
if (stageN() === 0) stage();
const indexes = db.prepare("SELECT name, sql FROM sqlite_master WHERE tbl_name = 'events' AND type = 'index' AND sql IS NOT NULL ORDER BY name").all() as { name: string; sql: string }[];
const timings: { name: string; ms: number }[] = [];
const c1 = process.cpuUsage();
for (const ix of indexes) {
  const t0 = performance.now();
  db.exec(ix.sql.replace(/ON\s+"?events"?\s*\(/i, 'ON stage_events (').replace(/CREATE INDEX\s+"?(\w+)"?/i, 'CREATE INDEX stage_$1'));
  timings.push({ name: ix.name, ms: performance.now() - t0 });
}
const buildCpu = cpuSince(c1);
const pageCounts = db
  .prepare("SELECT (SELECT count(*) FROM dbstat WHERE name = 'stage_events') AS narrow, (SELECT count(*) FROM dbstat WHERE name = 'stage_events_doc') AS docs")
  .get() as { narrow: number; docs: number };
log(
  `index builds of events one by one on the staged table (${pageCounts.narrow} pages; the documents apart: ${pageCounts.docs} pages): ` +
    `${(timings.reduce((a, x) => a + x.ms, 0) / 1000).toFixed(2)} s, CPU ${(buildCpu / 1000).toFixed(2)} s; ${timings.map((x) => `${x.name} ${x.ms.toFixed(0)}`).join(', ')} ms; ${machineNote()}`,
);
replica.close();
if (!values.dir) rmSync(dir, { recursive: true, force: true });
