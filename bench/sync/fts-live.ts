/**
 * `npx tsx bench/sync/fts-live.ts --replica <copy.sqlite>` — where a live batch's latency goes while the
 * full-text index of a snapshot is built in the background (issue 4: live p99 < 250 ms at 100 events/s).
 *
 * On a COPY of a replica (it is written to: its FTS index is emptied first and built again), in one process
 * and on one thread as in the data service: the background build scheduled as the sync client schedules it,
 * and one-event live batches arriving at `--rate`/s from timers, queued and applied with `applyBatches` as the
 * sync client applies them (a turn of the event loop, setImmediate). Per batch: arrival → start of its
 * transaction (the wait), its statements, its commit. Per chunk: its time and the WAL checkpoints and
 * garbage collections during it; `duringBuild` counts only the batches that arrived before the build ended.
 * `--builder current` is the chunk loop the client had before sync/fts-builder.ts (a chunk per turn of the
 * event loop, whatever is queued) with the tree's own `buildFtsChunk`; `--builder yielding` is
 * sync/fts-builder.ts (`--budget` the time its chunks and merge steps aim at, `--merge-pages` the cap of a merge
 * step). Diagnostic switches: `--no-autocheckpoint` (no WAL
 * checkpoint on the thread during the run), `--batch-sync normal` (the batch's commit without its fsync),
 * `--no-build` (the live batches alone). An A/B against an older tree runs this file from a copy of that tree
 * (its `--builder current`), on a fresh copy of the same replica each time.
 *
 *   cp replica.sqlite /tmp/x/run.sqlite && npx tsx bench/sync/fts-live.ts --replica /tmp/x/run.sqlite --reset --seconds 60
 */
import { closeSync, existsSync, openSync, readSync } from 'node:fs';
import { PerformanceObserver, performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { openReplica } from '../../src/main/service/store/open';
import { writePreference } from '../../src/main/service/store/preferences';
import { RowWriter } from '../../src/main/service/store/replicated-rows';
import { applyBatches, buildFtsChunk, FTS_PREFERENCE, ftsBuiltThrough, type BatchInput } from '../../src/main/service/store/replica-writes';
import { readSyncState } from '../../src/main/service/store/sync-state';
import { ftsChunkRowsAfter } from '../../src/main/service/sync/fts-builder';
import { machineNote, quantile } from '../support/results';
import { decodeFtsStructure } from '../../tests/support/fts-structure';

const { values } = parseArgs({
  options: {
    replica: { type: 'string' },
    seconds: { type: 'string', default: '60' },
    rate: { type: 'string', default: '100' },
    builder: { type: 'string', default: 'yielding' },
    'batch-sync': { type: 'string', default: 'full' },
    'no-autocheckpoint': { type: 'boolean', default: false },
    'no-build': { type: 'boolean', default: false },
    /** empty the FTS index, FTS5's automerge back to its default, and set its mark to 0 first */
    reset: { type: 'boolean', default: false },
    /** seconds at the start whose batches and chunks are not counted (a cold page cache) */
    skip: { type: 'string', default: '5' },
    /** the chunks' and merge steps' time budget (ms) of the yielding builder; default its own */
    budget: { type: 'string' },
    /** the most leaf pages a merge step of the yielding builder aims at (a tree with merge steps); default its own */
    'merge-pages': { type: 'string' },
  },
});
if (!values.replica || !existsSync(values.replica)) throw new Error('--replica <a copy of a replica file> is required');
const SECONDS = Number(values.seconds);
const RATE = Number(values.rate);

const replica = openReplica({ file: values.replica });
const { sqlite } = replica;
if (values.reset) {
  sqlite.exec("INSERT INTO events_fts (events_fts) VALUES ('delete-all')");
  // FTS5's default merging (a build of sync/fts-builder.ts turns it off until its end: a run cut before that left it off)
  sqlite.prepare("INSERT INTO events_fts (events_fts, rank) VALUES ('automerge', ?)").run(4n);
  writePreference(sqlite, FTS_PREFERENCE, { through: 0 });
  sqlite.pragma('wal_checkpoint(TRUNCATE)');
}
if (values['no-autocheckpoint']) sqlite.pragma('wal_autocheckpoint = 0');
const writer = new RowWriter(sqlite);

// WAL resets (a checkpoint ran to its end and the next write started the WAL over) show in the WAL header's
// checkpoint sequence number (bytes 12–15)
const walFile = `${values.replica}-wal`;
const walSeq = (): number => {
  if (!existsSync(walFile)) return -1;
  const fd = openSync(walFile, 'r');
  try {
    const b = Buffer.alloc(16);
    return readSync(fd, b, 0, 16, 0) === 16 ? b.readUInt32BE(12) : -1;
  } finally {
    closeSync(fd);
  }
};

// FTS5's structure record (events_fts_data id 10, sqlite3.c fts5StructureDecode): its levels and their segments'
// leaf pages, to see what a slow commit merged. Varints are SQLite's (7 bits a byte, the 9th byte 8 bits).
const structureRecord = sqlite.prepare('SELECT block FROM events_fts_data WHERE id = 10').pluck();
const ftsStructure = (): string => {
  const b = structureRecord.get() as Buffer | undefined;
  if (!b) return '-';
  return decodeFtsStructure(b)
    .map((l, n) => (l.segments.length ? `L${n}:${l.segments.length}${l.merging ? ` merging ${l.merging}` : ''} [${l.segments.map((g) => g.lastPage - g.firstPage + 1).join(',')}]` : ''))
    .filter(Boolean)
    .join(' ');
};
// t0 (the run's start) is set before the first commit
const sinceStart = (at: number) => `${((at - t0) / 1000).toFixed(1)} s`;
const slowCommits: string[] = [];
let structureBefore = '';
/** after each commit: a commit over 100 ms is listed with the index's structure before and after it */
const noteCommit = (kind: string, start: number, ms: number) => {
  const after = ftsStructure();
  if (ms > 100) slowCommits.push(`${kind} at ${sinceStart(start)}: ${ms.toFixed(0)} ms; before ${structureBefore}; after ${after}`);
  structureBefore = after;
};

const gcs: { at: number; ms: number }[] = [];
const gcObserver = new PerformanceObserver((list) => {
  for (const e of list.getEntries()) gcs.push({ at: e.startTime, ms: e.duration });
});
gcObserver.observe({ entryTypes: ['gc'] });

// live events: documents of the replica's own events under new ids
const templates = (sqlite.prepare('SELECT doc FROM events_doc WHERE rid % 997 = 0 LIMIT 500').pluck().all() as string[]).map((d) => JSON.parse(d) as Record<string, unknown>);
let cursor = readSyncState(sqlite)!.cursor;

interface BatchSample {
  due: number;
  start: number;
  stmts: number;
  commit: number;
  end: number;
  group: number;
}
interface ChunkSample {
  start: number;
  ms: number;
  rows: number;
  /** a merge step of the yielding builder */
  merge?: boolean;
}
const batches: BatchSample[] = [];
const chunks: ChunkSample[] = [];
const walResets: number[] = [];
let lastSeq = walSeq();
const noteWal = () => {
  const s = walSeq();
  if (s !== lastSeq) walResets.push(performance.now());
  lastSeq = s;
};

const queue: number[] = [];
let seq = 0;
let pendingLive = 0;
const applyQueued = () => {
  const dues = queue.splice(0);
  const start = performance.now();
  const group: BatchInput[] = dues.map(() => {
    seq += 1;
    const t = templates[seq % templates.length]!;
    const id = `live-probe-${Date.now()}-${seq}`;
    const from = cursor;
    cursor = { epoch: cursor.epoch, v: cursor.v + 1 };
    return { from, checkpoint: cursor, ops: [{ table: 'events', op: 'upsert', key: id, v: cursor.v, row: { ...t, id } }], acks: [] } as BatchInput;
  });
  sqlite.pragma(`synchronous = ${values['batch-sync'] === 'normal' ? 'NORMAL' : 'FULL'}`);
  sqlite.exec('BEGIN IMMEDIATE');
  const r = applyBatches(sqlite, writer, group, () => ({ changed: false, eventId: null }), new Date().toISOString());
  const stmts = performance.now();
  sqlite.exec('COMMIT');
  const end = performance.now();
  sqlite.pragma('synchronous = FULL');
  if (r.applied !== group.length) throw new Error(`batch not applied: ${JSON.stringify(r.failed ?? r.notAtCursor)}`);
  noteWal();
  noteCommit(`live group of ${dues.length}`, start, end - start);
  pendingLive -= dues.length;
  for (const due of dues) batches.push({ due, start, stmts: stmts - start, commit: end - stmts, end, group: dues.length });
};

// the background build
let builtRows = 0;
const t0 = performance.now();
const until = t0 + SECONDS * 1_000;
const fromThrough = ftsBuiltThrough(sqlite) ?? 0;
let stopCurrent = false;
if (!values['no-build'] && values.builder === 'current') {
  // the client's loop before sync/fts-builder.ts: one chunk per turn of the event loop
  let rows = 100;
  const step = () => {
    if (stopCurrent) return;
    const c0 = performance.now();
    const before = ftsBuiltThrough(sqlite) ?? 0;
    const done = buildFtsChunk(sqlite, rows);
    const ms = performance.now() - c0;
    noteWal();
    noteCommit(`chunk`, c0, ms);
    const after = ftsBuiltThrough(sqlite) ?? before;
    chunks.push({ start: c0, ms, rows: after - before });
    builtRows += after - before;
    rows = ftsChunkRowsAfter(rows, ms);
    if (!done) setImmediate(step);
  };
  setImmediate(step);
}
let builder: { start(): void; stop(): void } | null = null;
if (!values['no-build'] && values.builder === 'yielding') {
  const { FtsBuilder } = await import('../../src/main/service/sync/fts-builder');
  // not an option of every tree's builder: passed by spread, outside the literal's property check
  const mergeHook = {
    onMerge: (m: { pages: number; ms: number }) => {
      noteWal();
      noteCommit(`merge step of ${m.pages} pages`, performance.now() - m.ms, m.ms);
      chunks.push({ start: performance.now() - m.ms, ms: m.ms, rows: 0, merge: true });
    },
  };
  builder = new FtsBuilder({
    sqlite,
    livePending: () => pendingLive > 0,
    ...(values.budget ? { budgetMs: Number(values.budget) } : {}),
    ...(values['merge-pages'] ? { mergeMaxPages: Number(values['merge-pages']) } : {}),
    onChunk: (c) => {
      noteWal();
      noteCommit(`chunk of ${c.rows}`, performance.now() - c.ms, c.ms);
      chunks.push({ start: performance.now() - c.ms, ms: c.ms, rows: c.rows });
      builtRows += c.rows;
    },
    // the merge steps of a builder that runs its own (since h-fts3); a tree before them never calls it
    ...mergeHook,
    onDone: () => undefined,
    onError: (err) => {
      throw err;
    },
  });
  builder.start();
}

// arrivals: one event per batch at RATE/s, queued as the sync client queues frames
const n = Math.floor(SECONDS * RATE);
let i = 0;
const arrive = () => {
  const now = performance.now();
  while (i < n && t0 + (i * 1000) / RATE <= now) {
    queue.push(t0 + (i * 1000) / RATE);
    pendingLive += 1;
    if (queue.length === 1) setImmediate(applyQueued);
    i++;
  }
  if (i < n) setTimeout(arrive, Math.max(0, t0 + (i * 1000) / RATE - performance.now()));
};
setTimeout(arrive, 0);

await new Promise<void>((resolve) => {
  const check = () => (batches.length >= n || performance.now() > until + 30_000 ? resolve() : setTimeout(check, 50));
  check();
});
stopCurrent = true;
builder?.stop();
gcObserver.disconnect();
const from = t0 + Number(values.skip) * 1_000;
const counted = batches.filter((b) => b.due >= from);
batches.length = 0;
batches.push(...counted);
const countedChunks = chunks.filter((c) => c.start >= from);
chunks.length = 0;
chunks.push(...countedChunks);
const countedResets = walResets.filter((w) => w >= from);
const countedGcs = gcs.filter((g) => g.at >= from);
const countedSeconds = (performance.now() - from) / 1_000;

const lat = batches.map((b) => b.end - b.due);
const wait = batches.map((b) => b.start - b.due);
const f = (xs: number[]) => `p50 ${quantile(xs, 0.5).toFixed(1)} p99 ${quantile(xs, 0.99).toFixed(1)} max ${Math.max(...xs).toFixed(1)}`;
const chunkMs = chunks.filter((c) => !c.merge).map((c) => c.ms);
const mergeMs = chunks.filter((c) => c.merge).map((c) => c.ms);
const slow = batches.filter((b) => b.end - b.due > quantile(lat, 0.99));
const inWindow = (at: number, b: BatchSample) => at >= b.due - 1 && at <= b.end;
const gcMs = countedGcs.reduce((a, g) => a + g.ms, 0);
console.log(
  JSON.stringify(
    {
      builder: values['no-build'] ? 'none' : values.builder,
      budget: values.budget ?? 'default',
      mergePages: values['merge-pages'] ?? 'default',
      batchSync: values['batch-sync'],
      autocheckpoint: !values['no-autocheckpoint'],
      seconds: SECONDS,
      skipped: Number(values.skip),
      batches: batches.length,
      latency: f(lat),
      wait: f(wait),
      statements: f(batches.map((b) => b.stmts)),
      commit: f(batches.map((b) => b.commit)),
      groupMax: Math.max(...batches.map((b) => b.group)),
      // the batches that arrived while the build ran (it may end before the run does)
      duringBuild: (() => {
        const end = chunks.length ? Math.max(...chunks.map((c) => c.start + c.ms)) : -Infinity;
        const d = batches.filter((b) => b.due <= end);
        return d.length ? { batches: d.length, latency: f(d.map((b) => b.end - b.due)), wait: f(d.map((b) => b.start - b.due)) } : null;
      })(),
      // the batches that arrived once the build had ended (FTS5's automerge back on, where a builder turns it off)
      afterBuild: (() => {
        if (!chunks.length || values.builder !== 'yielding' || ftsBuiltThrough(sqlite) !== null) return null;
        const end = Math.max(...chunks.map((c) => c.start + c.ms));
        const d = batches.filter((b) => b.due > end);
        return d.length ? { batches: d.length, latency: f(d.map((b) => b.end - b.due)), wait: f(d.map((b) => b.start - b.due)), commit: f(d.map((b) => b.commit)) } : null;
      })(),
      chunks: chunkMs.length ? { count: chunkMs.length, ms: f(chunkMs), over50: chunkMs.filter((m) => m > 50).length, over100: chunkMs.filter((m) => m > 100).length, rowsPerChunk: quantile(chunks.filter((c) => !c.merge).map((c) => c.rows), 0.5) } : null,
      mergeSteps: mergeMs.length ? { count: mergeMs.length, ms: f(mergeMs), over50: mergeMs.filter((m) => m > 50).length, over100: mergeMs.filter((m) => m > 100).length, totalMs: Math.round(mergeMs.reduce((a, m) => a + m, 0)) } : null,
      built: { rows: builtRows, from: fromThrough, rowsPerSecondCounted: Math.round(chunks.reduce((a, c) => a + c.rows, 0) / countedSeconds) },
      slowChunks: chunks.flatMap((c, k) => (c.ms > 150 ? [`#${k + 1}/${chunks.length}: ${c.merge ? 'merge step' : `${c.rows} events`}, ${c.ms.toFixed(0)} ms`] : [])),
      // every commit over 100 ms (counted or not), with FTS5's levels before and after: segments [leaf pages each]
      slowCommits,
      ftsStructureAtEnd: ftsStructure(),
      ftsAutomerge: sqlite.prepare("SELECT v FROM events_fts_config WHERE k = 'automerge'").pluck().get() ?? 'default',
      slowBatchStatements: batches.filter((b) => b.stmts > 100).map((b) => `${b.stmts.toFixed(0)} ms at ${((b.start - t0) / 1000).toFixed(1)} s`),
      buildEndS: chunks.length ? +((Math.max(...chunks.map((c) => c.start + c.ms)) - t0) / 1000).toFixed(1) : null,
      walResets: countedResets.length,
      chunksWithWalReset: (() => {
        const w = chunks.filter((c) => countedResets.some((r) => r >= c.start && r <= c.start + c.ms + 1)).map((c) => c.ms);
        return w.length ? `${w.length}: ${f(w)}` : 0;
      })(),
      batchCommitsWithWalReset: (() => {
        const w = batches.filter((b) => countedResets.some((r) => r >= b.start && r <= b.end + 1)).map((b) => b.commit);
        return w.length ? `${w.length}: ${f(w)}` : 0;
      })(),
      gc: { count: countedGcs.length, totalMs: Math.round(gcMs), maxMs: Math.max(0, ...countedGcs.map((g) => g.ms)).toFixed(1) },
      slowest1pct: {
        n: slow.length,
        withWalReset: slow.filter((b) => walResets.some((w) => inWindow(w, b))).length,
        withGcOver10: slow.filter((b) => gcs.some((g) => g.ms > 10 && inWindow(g.at, b))).length,
        meanWait: +(slow.reduce((a, b) => a + (b.start - b.due), 0) / Math.max(1, slow.length)).toFixed(1),
        meanCommit: +(slow.reduce((a, b) => a + b.commit, 0) / Math.max(1, slow.length)).toFixed(1),
        meanStatements: +(slow.reduce((a, b) => a + b.stmts, 0) / Math.max(1, slow.length)).toFixed(1),
      },
      machine: machineNote(),
    },
    null,
    1,
  ),
);
replica.close();
