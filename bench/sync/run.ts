/**
 * `npm run bench:sync` — issue 4 point 7, end to end, every figure with a
 * baseline measured in the same run:
 *
 * 1. a data center on PostgreSQL (tests/support/pg-cluster.ts), demo district,
 *    loaded with 10^6 replicated events (bench/support/datacenter-load.ts: the
 *    data center's own history generator writes ~150 events/s here, hours for
 *    10^6, so a bulk path through the write primitive is used, and said);
 * 2. raw baseline: the same event rows, read back from the data center, put
 *    into a bare SQLite table with a better-sqlite3 prepared insert (WAL,
 *    10,000 rows per transaction) — rows/s;
 * 3. snapshot: the data service in its own process signs in as the demo duty
 *    officer and snapshots the district — from the request to the swapped-in
 *    replica (data center read, NDJSON, parse, staging, indexes, FTS) — rows/s;
 * 4. live: 100 events/s committed through writeReplicated for `--live-seconds`;
 *    latency commit → replica applied (the data service's events/changed) and
 *    commit → renderer notified (a WebSocket bridge of the renderer, through
 *    the web host's RPC socket), p50/p99; baseline: one and two hops of a bare
 *    WebSocket message between the same processes at the same rate;
 * 5. the data service's peak RSS over all of it (and a few heavy queries);
 *    baseline: its RSS when started with an empty replica;
 * 6. the query mix of bench/support/query-mix.ts on the replica the snapshot
 *    built: list and aggregate p95, baseline the same SQL without the service.
 *
 * 3b. the image path (bench/sync/image-phase.ts): a keeper next to the data center writes the district's
 *    replica image — its first as soon as its replica is live, with the part of the full-text index its background
 *    build had done, then one with the whole index once the build ends; once it has published that one and is
 *    otherwise idle (its live tail only: the state a desktop meets in production), a data service with an empty data
 *    folder takes it (GET → download, hashed as it comes → renamed into place, or copied → ready) — rows/s against
 *    the same raw baseline, the keeper's own costs in the notes (--no-image skips it);
 *
 *   npm run bench:sync -- [--events 1000000] [--live-seconds 30] [--rate 100] [--rounds 10] [--no-image] [--image-ab] [--results sync]
 *
 * For A/B runs: HUYING_BENCH_SNAPSHOT_PARSER=inline|worker|auto sets the sync client's snapshot parser
 * (bench/sync/service-child.ts; unset: the service's default), HUYING_BENCH_CPU_PROF=<dir> writes a V8 CPU
 * profile of the data service's process. The snapshot's note gives the CPU of the data service, of the data
 * center (this process) and of PostgreSQL over the snapshot: the three share the machine's cores.
 */
import { fork } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { WebSocket } from 'ws';
import { createRpcClient } from '../../src/core/rpc/wire';
import { imageManifestName } from '../../src/core/sync/image';
import { DEMO_PASSWORD } from '../../src/datacenter/auth';
import { generateDemoDistrict } from '../../src/datacenter/demo';
import { startDataCenter } from '../../src/datacenter/server';
import { openDatabase } from '../../src/datacenter/store/database';
import { writeReplicated } from '../../src/datacenter/sync/write';
import { openReplica } from '../../src/main/service/store/open';
import { buildFtsChunk, ftsBuiltThrough } from '../../src/main/service/store/replica-writes';
import { createWebSocketBridge, type WebSocketConstructor } from '../../src/renderer/transport/websocket';
import taxonomy from '../../resources/config/taxonomy-demo.json';
import { startPgCluster } from '../../tests/support/pg-cluster';
import { loadEvents } from '../support/datacenter-load';
import { generateHistory, leafCategories } from '../support/history';
import { p95Of, probeOf, queryMix, runQueryMix } from '../support/query-mix';
import { figure, log, machineNote, quantile, writeResults, type Figure } from '../support/results';
import { startBenchKeeper, syncByImage } from './image-phase';
import { measureRawInsert } from './raw-baseline';

const { values } = parseArgs({
  options: {
    events: { type: 'string', default: '1000000' },
    'live-seconds': { type: 'string', default: '30' },
    rate: { type: 'string', default: '100' },
    rounds: { type: 'string', default: '10' },
    /** skip 3b, the keeper's image path */
    'no-image': { type: 'boolean', default: false },
    /** 3b also with the image copied in (the pre-rename path), right after the renamed one, for an A/B in the notes */
    'image-ab': { type: 'boolean', default: false },
    /** the results file's name under bench/results (a trial run at another size must not replace sync.json) */
    results: { type: 'string', default: 'sync' },
  },
});
const N = Number(values.events);
const LIVE_SECONDS = Number(values['live-seconds']);
const RATE = Number(values.rate);
const ROUNDS = Number(values.rounds);
const nowMs = () => Number(process.hrtime.bigint()) / 1e6;

/** the image switch's parts as the sync client logged them ('replica image switched in' ms), in seconds */
function imageParts(parts: Record<string, number> | null): string {
  if (!parts) return 'parts not reported';
  const names: Record<string, string> = { download: 'download', verify: 'check', fsync: 'fsync of the download', carry: 'carry + rename', reopen: 'reopen', copy: 'copy into the replica', checkpoint: 'checkpoint' };
  return Object.entries(names)
    .filter(([k]) => parts[k] !== undefined)
    .map(([k, label]) => `${label} ${(parts[k]! / 1000).toFixed(2)} s`)
    .join(', ');
}
/** user + system CPU ms of a process so far, all its threads (/proc/<pid>/stat, clock ticks of 10 ms) */
const processCpuMs = (pid: number): number => {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
};
/** CPU ms so far of a PostgreSQL cluster: its postmaster (with its reaped children) and its live backends */
const clusterCpuMs = (dataDir: string): number | null => {
  try {
    const postmaster = Number(readFileSync(path.join(dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
    let ms = 0;
    for (const pid of readdirSync('/proc')) {
      if (!/^[0-9]+$/.test(pid)) continue;
      let fields: string[];
      try {
        fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
      } catch {
        continue;
      }
      // fields[1] is the parent's pid; [11], [12] user and system ticks; [13], [14] those of reaped children
      if (Number(pid) === postmaster) ms += (Number(fields[11]) + Number(fields[12]) + Number(fields[13]) + Number(fields[14])) * 10;
      else if (Number(fields[1]) === postmaster) ms += (Number(fields[11]) + Number(fields[12])) * 10;
    }
    return ms;
  } catch {
    return null;
  }
};
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const figures: Figure[] = [];
const machineAtStart = machineNote();

type ChildMessage = { t: string; [k: string]: unknown };

const cluster = await startPgCluster();
const work = mkdtempSync(path.join(os.tmpdir(), 'huying-bench-sync-'));
let child: ReturnType<typeof fork> | null = null;
try {
  // ── 1. a data center with N events ──────────────────────────────────────
  const store = await openDatabase({ pg: await cluster.createDatabase('bench') });
  // the folder a keeper writes its images into and the data center serves them from (3b)
  const imagesDir = path.join(work, 'images');
  const dc = await startDataCenter({ port: 0, seed: 'demo', database: store, images: imagesDir });
  const district = generateDemoDistrict();
  const historyNow = new Date();
  log(`loading ${N.toLocaleString('en')} events into the data center (PostgreSQL)`);
  const load = await loadEvents(
    store.db,
    (function* () {
      for (const { record } of generateHistory({ count: N, now: historyNow, grids: district.grids, units: district.units, categories: leafCategories(taxonomy as never) })) yield record;
    })(),
    { onProgress: (n) => n % 100_000 === 0 && log(`  ${n.toLocaleString('en')}`) },
  );
  log(`  loaded in ${(load.ms / 1000).toFixed(0)} s (${Math.round(load.events / (load.ms / 1000))} events/s)`);

  // ── 2. raw baseline: the same rows into a bare table ────────────────────
  log('raw baseline: the same rows with a better-sqlite3 prepared insert');
  const { rows: rawRows, ms: rawMs, rowsPerSecond: rawRate, cpuMs: rawCpuMs } = await measureRawInsert(store.db, path.join(work, 'raw.sqlite'));
  log(`  ${rawRows.toLocaleString('en')} rows in ${(rawMs / 1000).toFixed(1)} s: ${Math.round(rawRate)} rows/s (CPU ${(rawCpuMs / 1000).toFixed(2)} s)`);

  // ── 3. the data service snapshots the district ──────────────────────────
  const messages: ChildMessage[] = [];
  const waiters: { t: string; resolve: (m: ChildMessage) => void }[] = [];
  const appliedAt = new Map<string, number>();
  /** event id → [frame received by the data service, frame handled, ops in the batch] */
  const receivedAt = new Map<string, [number, number, number]>();
  // HUYING_BENCH_CPU_PROF=<dir>: a V8 CPU profile of the data service's process (written when it stops)
  const profDir = process.env.HUYING_BENCH_CPU_PROF;
  child = fork(path.join(import.meta.dirname, 'service-child.ts'), [], { execArgv: ['--import', 'tsx', ...(profDir ? ['--cpu-prof', '--cpu-prof-dir', profDir] : [])], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  /** the data service's CPU when its status first says the snapshot is swapped in (catching_up after snapshot) */
  let cpuAtSwap: number | null = null;
  let snapshotSeen = false;
  child.on('message', (raw) => {
    const m = raw as ChildMessage;
    if (m.t === 'status' && cpuAtSwap === null) {
      if (m.state === 'snapshot') snapshotSeen = true;
      else if (m.state === 'catching_up' && snapshotSeen) cpuAtSwap = processCpuMs(child!.pid!);
    }
    if (m.t === 'applied') for (const [id, at] of m.items as [string, number][]) appliedAt.set(id, at);
    else if (m.t === 'received') for (const [id, at, done, ops] of m.items as [string, number, number, number][]) receivedAt.set(id, [at, done, ops]);
    else if (m.t === 'error') log(`service error: ${String(m.message)}`);
    else messages.push(m);
    for (const w of waiters.filter((x) => x.t === m.t)) {
      waiters.splice(waiters.indexOf(w), 1);
      w.resolve(m);
    }
  });
  const ask = (m: ChildMessage, answer: string) =>
    new Promise<ChildMessage>((resolve) => {
      waiters.push({ t: answer, resolve });
      child!.send(m);
    });
  // the row snapshot's figure: this data service asks for no image (3b measures the image path)
  const started = await ask({ t: 'start', dataDir: path.join(work, 'service'), url: dc.url, images: false }, 'started');
  const idleRss = started.rss as number;
  await ask({ t: 'login', login: 'duty', password: DEMO_PASSWORD }, 'session');
  log('snapshot: the data service syncs the district');
  const s0 = nowMs();
  const cpu0 = processCpuMs(child.pid!);
  // the data center runs in this process: its CPU (and PostgreSQL's) over the snapshot, for the share of the cores
  const dcCpu0 = processCpuMs(process.pid);
  const pgCpu0 = clusterCpuMs(path.join(cluster.dir, 'data'));
  const synced = await ask({ t: 'sync' }, 'synced');
  const dcCpuMs = processCpuMs(process.pid) - dcCpu0;
  const pgCpu1 = clusterCpuMs(path.join(cluster.dir, 'data'));
  // the peak RSS so far: the snapshot's (the live tail and the heavy queries come after)
  const peakAfterSnapshot = ((await ask({ t: 'memory' }, 'memory')).peak as number) / 2 ** 20;
  const pgCpuMs = pgCpu0 !== null && pgCpu1 !== null ? pgCpu1 - pgCpu0 : null;
  // the data service's CPU (all its threads) from the request to the swap (read when its status says so)
  const serviceCpuMs = (cpuAtSwap ?? processCpuMs(child.pid!)) - cpu0;
  const statuses = messages.filter((m) => m.t === 'status') as unknown as { at: number; state: string; progress: { rows: number; totalRows: number | null } | null }[];
  const lastSnapshot = statuses.filter((s) => s.state === 'snapshot').at(-1);
  const swapped = statuses.find((s, i) => s.state === 'catching_up' && statuses.slice(0, i).some((x) => x.state === 'snapshot'));
  if (!lastSnapshot?.progress || !swapped) throw new Error(`no snapshot seen (outcome ${String(synced.outcome)})`);
  const snapRows = lastSnapshot.progress.totalRows ?? lastSnapshot.progress.rows;
  const snapSeconds = (swapped.at - s0) / 1000;
  const snapRate = snapRows / snapSeconds;
  const firstRow = statuses.find((s) => s.state === 'snapshot')!;
  const streamEnd = lastSnapshot.at;
  log(`  ${snapRows.toLocaleString('en')} rows in ${snapSeconds.toFixed(1)} s: ${Math.round(snapRate)} rows/s (stream ${((streamEnd - firstRow.at) / 1000).toFixed(0)} s, swap and indexes ${((swapped.at - streamEnd) / 1000).toFixed(0)} s)`);
  const cpuNote = `snapshot parser ${process.env.HUYING_BENCH_SNAPSHOT_PARSER || 'default'}; data service CPU over the snapshot ${(serviceCpuMs / 1000).toFixed(2)} s = ${(serviceCpuMs / rawCpuMs).toFixed(2)}× the raw insert's CPU (${(rawCpuMs / 1000).toFixed(2)} s)`;
  const serverNote = `the data center's process ${(dcCpuMs / 1000).toFixed(2)} s and PostgreSQL ${pgCpuMs === null ? '?' : (pgCpuMs / 1000).toFixed(2)} s of CPU over the same time`;
  log(`  ${cpuNote}; ${serverNote}`);
  figures.push(
    figure({
      name: `snapshot of ${N.toLocaleString('en')} events, data center (PostgreSQL) → replica, end to end`,
      metric: 'rows_per_second',
      value: snapRate,
      baseline: rawRate,
      unit: 'rows/s',
      target: '≥ 0.5 × raw insert rate',
      met: snapRate >= 0.5 * rawRate,
      notes: `${snapRows} rows (events + reference data) in ${snapSeconds.toFixed(1)} s from the request to the swapped-in replica: streaming and staging ${((streamEnd - s0) / 1000).toFixed(0)} s, swap (the indexes of events; the FTS index follows in the background) ${((swapped.at - streamEnd) / 1000).toFixed(0)} s; ${cpuNote}; ${serverNote}; baseline: the same ${rawRows} event rows (key, v, document) into a bare table with a better-sqlite3 prepared insert, WAL, 10,000 rows per transaction; data center loaded by bench/support/datacenter-load.ts in ${(load.ms / 1000).toFixed(0)} s; ${machineAtStart}`,
    }),
  );

  // ── 3b. the image path: a keeper's image, taken by a fresh data service ──
  if (!values['no-image']) {
    log('image path: a keeper replicates the district and writes its image (docs/image-keeper.md)');
    const keeperCpu0 = processCpuMs(process.pid);
    const pgCpuK0 = clusterCpuMs(path.join(cluster.dir, 'data'));
    const keeper = await startBenchKeeper(dc.url, imagesDir, path.join(work, 'keeper'));
    const keeperDcCpuMs = processCpuMs(process.pid) - keeperCpu0;
    const pgCpuK1 = clusterCpuMs(path.join(cluster.dir, 'data'));
    log(`  first image in ${(keeper.firstImageMs / 1000).toFixed(1)} s (its export ${(keeper.exportMs / 1000).toFixed(1)} s, ${(keeper.bytes / 2 ** 20).toFixed(0)} MB, full-text index ${keeper.first.ftsComplete ? 'complete' : 'partial'}); keeper CPU ${(keeper.cpuMs / 1000).toFixed(1)} s, peak RSS ${keeper.peakRssMb.toFixed(0)} MB`);
    try {
      // the image a desktop meets in production: the keeper's with the whole full-text index, the keeper idle but for
      // its live tail (the first image, taken at once, was downloaded while the keeper built its index on the same cores)
      if (!keeper.first.ftsComplete) log("  waiting for the keeper's image with the whole full-text index (its background FTS build, then the export)");
      const complete = await keeper.completeImage();
      const ftsBuilt = keeper.ftsBuilt();
      log(
        `  complete image in ${(complete.atMs / 1000).toFixed(1)} s from the keeper's start (${complete === keeper.first ? 'the first itself' : `its FTS build ended at ${ftsBuilt ? `${(ftsBuilt.atMs / 1000).toFixed(1)} s, ${(ftsBuilt.ms / 1000).toFixed(1)} s of build` : '?'}; this export ${(complete.exportMs / 1000).toFixed(1)} s`}, ${(complete.bytes / 2 ** 20).toFixed(0)} MB); keeper CPU ${(complete.cpuMs / 1000).toFixed(1)} s, peak RSS ${complete.peakRssMb.toFixed(0)} MB`,
      );
      const manifestSha = () => (JSON.parse(readFileSync(path.join(imagesDir, imageManifestName('district')), 'utf8')) as { sha256: string }).sha256;
      const servedBefore = manifestSha();
      const keeperCpuD0 = keeper.cpuNowMs();
      const rowServiceCpuD0 = processCpuMs(child.pid!);
      log('  a data service with an empty data folder syncs the district');
      const byImage = await syncByImage(dc.url, path.join(work, 'service-image'));
      const keeperCpuDuring = keeper.cpuNowMs() - keeperCpuD0;
      const rowServiceCpuDuring = processCpuMs(child.pid!) - rowServiceCpuD0;
      // the image it took was the complete one: named by the manifest before and after its download, of its size
      const tookComplete = servedBefore === complete.sha256 && manifestSha() === complete.sha256 && byImage.bytes === complete.bytes;
      const ftsLeft =
        byImage.ftsBuiltThrough === null
          ? `the whole index (ftsBuiltThrough null: no FTS build left${byImage.ftsBuildMs === null ? ', none ran' : `; yet a build of ${byImage.ftsBuildMs} ms ran`})`
          : `built through rid ${byImage.ftsBuiltThrough} (the rest is built in background chunks)`;
      log(`  took the keeper's complete image: ${tookComplete ? 'yes' : 'NO'}; its replica's full-text index at ready: ${ftsLeft}; keeper CPU during the sync ${(keeperCpuDuring / 1000).toFixed(2)} s`);
      const rate = snapRows / (byImage.ms / 1000);
      const parts = imageParts(byImage.parts);
      log(`  ${snapRows.toLocaleString('en')} rows in ${(byImage.ms / 1000).toFixed(1)} s: ${Math.round(rate)} rows/s = ${(rate / rawRate).toFixed(2)}x (${byImage.how ?? '?'}: ${parts}); CPU ${(byImage.cpuMs / 1000).toFixed(2)} s, peak RSS ${byImage.peakRssMb.toFixed(0)} MB`);
      let ab = '';
      if (values['image-ab']) {
        // the same image copied in (the path before the rename), right after: A/B back to back on the same machine state
        const byCopy = await syncByImage(dc.url, path.join(work, 'service-image-copy'), { imageSwitch: 'copy' });
        const copyRate = snapRows / (byCopy.ms / 1000);
        log(`  copied instead (A/B): ${(byCopy.ms / 1000).toFixed(1)} s: ${Math.round(copyRate)} rows/s = ${(copyRate / rawRate).toFixed(2)}x (${imageParts(byCopy.parts)}); CPU ${(byCopy.cpuMs / 1000).toFixed(2)} s, peak RSS ${byCopy.peakRssMb.toFixed(0)} MB`);
        ab = ` A/B right after, the same image copied into the replica instead (imageSwitch 'copy', the path before the rename): ${(byCopy.ms / 1000).toFixed(1)} s = ${Math.round(copyRate)} rows/s = ${(copyRate / rawRate).toFixed(2)}× (${imageParts(byCopy.parts)}), CPU ${(byCopy.cpuMs / 1000).toFixed(2)} s, peak RSS ${byCopy.peakRssMb.toFixed(0)} MB.`;
      }
      figures.push(
        figure({
          name: `snapshot of ${N.toLocaleString('en')} events by the keeper's replica image, data center → replica, end to end`,
          metric: 'rows_per_second',
          value: rate,
          baseline: rawRate,
          unit: 'rows/s',
          target: '≥ 0.5 × raw insert rate',
          // the steady state is what the figure claims: a desktop that took another image (or one with index left to build) does not meet it
          met: tookComplete && rate >= 0.5 * rawRate,
          notes: `the same ${snapRows} rows as the row snapshot above, as a desktop with an empty data folder takes them when the data center has a keeper: GET /api/v1/sync/image → file (SHA-256 computed as the bytes are written) → ${byImage.how === 'copy' ? "copied into the replica with SQLite's backup API (the WAL checkpoint follows in a worker thread)" : 'local tables carried in, fsynced, renamed over the replica, the connection reopened (docs/sync-client.md "Rename instead of copy")'} → ready (status catching_up) in ${(byImage.ms / 1000).toFixed(1)} s: ${byImage.how ?? '?'}, ${parts}, ${byImage.bytes === null ? '?' : (byImage.bytes / 2 ** 20).toFixed(0)} MB; the data service's CPU ${(byImage.cpuMs / 1000).toFixed(2)} s = ${(byImage.cpuMs / rawCpuMs).toFixed(2)}× the raw insert's, its peak RSS ${byImage.peakRssMb.toFixed(0)} MB.${ab} The image taken: ${tookComplete ? "the keeper's image with the whole full-text index" : "NOT the keeper's image with the whole full-text index"} (the manifest named it, sha256 ${complete.sha256.slice(0, 12)}, before and after the download${byImage.bytes === complete.bytes ? ', and the bytes received are its size' : `; bytes received ${byImage.bytes ?? '?'}, the image ${complete.bytes}`}), published before the desktop asked, the keeper then idle but for its live tail (${(keeperCpuDuring / 1000).toFixed(2)} s of its CPU during the sync; the row snapshot's data service of the figure above, still running, ${(rowServiceCpuDuring / 1000).toFixed(2)} s); the desktop's replica at ready: ${ftsLeft}. Paid once per scope and renewal, not per desktop: the keeper (src/main/service/keeper, its own process) took ${(keeper.firstImageMs / 1000).toFixed(1)} s from its start to its first image (its own row snapshot, then the export ${(keeper.exportMs / 1000).toFixed(1)} s; its full-text index ${keeper.first.ftsComplete ? 'complete' : 'partial'}), CPU ${(keeper.cpuMs / 1000).toFixed(1)} s, peak RSS ${keeper.peakRssMb.toFixed(0)} MB; ${complete === keeper.first ? 'that image held the whole index' : `and ${(complete.atMs / 1000).toFixed(1)} s to its image with the whole index (its background FTS build ended ${ftsBuilt ? `${(ftsBuilt.atMs / 1000).toFixed(1)} s after its start, ${(ftsBuilt.ms / 1000).toFixed(1)} s of build` : 'at ? s'}, then within its check interval of 10 s the export ${(complete.exportMs / 1000).toFixed(1)} s), CPU ${(complete.cpuMs / 1000).toFixed(1)} s to then, peak RSS ${complete.peakRssMb.toFixed(0)} MB`}; the data center ${(keeperDcCpuMs / 1000).toFixed(1)} s and PostgreSQL ${pgCpuK0 === null || pgCpuK1 === null ? '?' : ((pgCpuK1 - pgCpuK0) / 1000).toFixed(1)} s of CPU up to its first image; baseline: the raw insert above; ${machineNote()}`,
        }),
      );
    } finally {
      await keeper.stop();
    }
  }

  // ── 4. live: commits at RATE/s, applied and notified latencies ──────────
  const port = started.rpcPort as number;
  const bridge = createWebSocketBridge(`ws://127.0.0.1:${port}/rpc`, { WebSocket: WebSocket as unknown as WebSocketConstructor });
  const client = createRpcClient(bridge);
  const notifiedAt = new Map<string, number>();
  client.subscribe('events/changed', (p) => {
    const t = nowMs();
    for (const id of p.ids) if (!notifiedAt.has(id)) notifiedAt.set(id, t);
  });
  await client.invoke('app/info'); // the subscription has reached the service
  await sleep(2_000); // the live feed is connected and quiet
  const liveCount = RATE * LIVE_SECONDS;
  log(`live: ${liveCount} events at ${RATE}/s through writeReplicated`);
  const liveRecords = [...generateHistory({ count: liveCount, now: new Date(), days: 1, seed: 99, idPrefix: 'live-', grids: district.grids, units: district.units, categories: leafCategories(taxonomy as never) })].map((x) => x.record);
  const committedAt = new Map<string, number>();
  // when the data center (this process) hands each batch frame to its WebSocket: the data center's part
  // ends here; what follows is the network and any wait in the data service's event loop
  const frameSentAt = new Map<string, number>();
  const wsProto = WebSocket.prototype as unknown as { send: (data: unknown, ...rest: unknown[]) => void };
  const originalSend = wsProto.send;
  wsProto.send = function (this: unknown, data: unknown, ...rest: unknown[]) {
    if (typeof data === 'string' && data.startsWith('{"t":"batch"')) {
      const at = nowMs();
      for (const m of data.matchAll(/"table":"events","op":"(?:upsert|delete)","key":"([^"]+)"/g)) if (!frameSentAt.has(m[1]!)) frameSentAt.set(m[1]!, at);
    }
    return originalSend.call(this, data, ...rest);
  };
  const writes: Promise<unknown>[] = [];
  const liveStart = nowMs();
  for (let i = 0; i < liveCount; i++) {
    const due = liveStart + (i * 1000) / RATE;
    const wait = due - nowMs();
    if (wait > 0) await sleep(wait);
    const r = liveRecords[i]!;
    writes.push(
      writeReplicated(store.db, async (_tx, out) => out.upsert('events', r.id, r.workflow.area.townCode, r)).then(() => {
        committedAt.set(r.id, nowMs());
      }),
    );
  }
  await Promise.all(writes);
  for (let i = 0; i < 100 && appliedAt.size < liveCount; i++) await sleep(100);
  wsProto.send = originalSend;
  const peakAfterLive = ((await ask({ t: 'memory' }, 'memory')).peak as number) / 2 ** 20;
  const writeSeconds = (nowMs() - liveStart) / 1000;
  for (let i = 0; i < 100 && (appliedAt.size < liveCount || notifiedAt.size < liveCount); i++) await sleep(100);
  const applied = liveRecords.map((r) => appliedAt.get(r.id)! - committedAt.get(r.id)!).filter(Number.isFinite);
  const notified = liveRecords.map((r) => notifiedAt.get(r.id)! - committedAt.get(r.id)!).filter(Number.isFinite);
  // the split: commit → frame received (data center: change noticed, batch built, sent; network) and
  // frame received → applied (the data service: parse, transaction, events/changed)
  const serverPart: number[] = [];
  const dcPart: number[] = [];
  const wirePart: number[] = [];
  const clientPart: number[] = [];
  for (const r of liveRecords) {
    const got = receivedAt.get(r.id);
    const committed = committedAt.get(r.id);
    const sent = frameSentAt.get(r.id);
    if (!got || committed === undefined) continue;
    serverPart.push(got[0] - committed);
    // the sync client queues a frame and applies it right after the I/O that brought it (with the
    // frames that came along): received → applied is up to its events/changed, not the message handler
    const appliedThere = appliedAt.get(r.id);
    if (appliedThere !== undefined) clientPart.push(appliedThere - got[0]);
    if (sent !== undefined) {
      dcPart.push(sent - committed);
      wirePart.push(got[0] - sent);
    }
  }
  const batchOps = [...new Set(liveRecords.map((r) => receivedAt.get(r.id)?.[2]).filter((n): n is number => n !== undefined))];
  const opsPerBatch = liveRecords.map((r) => receivedAt.get(r.id)?.[2]).filter((n): n is number => n !== undefined);
  log(`  applied ${applied.length}/${liveCount}, notified ${notified.length}/${liveCount}; committed in ${writeSeconds.toFixed(1)} s`);

  // baseline: a bare WebSocket message, one hop (parent → service process) and back (two hops), same rate
  const bare = new WebSocket(`ws://127.0.0.1:${started.barePort as number}`);
  await new Promise((r) => bare.once('open', r));
  const oneHop: number[] = [];
  const twoHops: number[] = [];
  const sentAt = new Map<string, number>();
  bare.on('message', (data) => {
    const back = nowMs();
    const m = JSON.parse(data.toString()) as { id: string; at: number };
    oneHop.push(m.at - sentAt.get(m.id)!);
    twoHops.push(back - sentAt.get(m.id)!);
  });
  const bareCount = Math.min(liveCount, RATE * 10);
  const bareStart = nowMs();
  for (let i = 0; i < bareCount; i++) {
    const wait = bareStart + (i * 1000) / RATE - nowMs();
    if (wait > 0) await sleep(wait);
    sentAt.set(String(i), nowMs());
    bare.send(JSON.stringify({ id: String(i) }));
  }
  for (let i = 0; i < 50 && twoHops.length < bareCount; i++) await sleep(100);
  bare.close();
  bridge.close();
  const liveNote = `${liveCount} events at ${RATE}/s (each its own writeReplicated transaction, in ${writeSeconds.toFixed(1)} s), ${applied.length} applied and ${notified.length} notified seen; commit = writeReplicated resolved in the data center's process; applied = the data service's events/changed after the batch's transaction; notified = the renderer's WebSocket bridge (web host RPC socket) receiving events/changed; clocks: CLOCK_MONOTONIC in both processes; ${machineNote()}`;
  const live = (what: string, samples: number[], base: number[], q: number, target?: string) =>
    figure({
      name: `live latency ${what} p${q * 100} at ${RATE} events/s`,
      metric: `latency_p${q * 100}`,
      value: quantile(samples, q),
      baseline: quantile(base, q),
      unit: 'ms',
      ...(target ? { target, met: quantile(samples, q) < 250 } : {}),
      notes: `baseline: ${base === oneHop ? 'one hop' : 'two hops'} of a bare WebSocket message between the same processes at the same rate; ${liveNote}`,
    });
  const split = (what: string, samples: number[], q: number, note: string) =>
    figure({
      name: `live latency ${what} p${q * 100} at ${RATE} events/s`,
      metric: `latency_p${q * 100}`,
      value: quantile(samples, q),
      baseline: quantile(oneHop, q),
      unit: 'ms',
      notes: `${note}; baseline: one hop of a bare WebSocket message; ${samples.length} events; ops per batch p50 ${quantile(opsPerBatch, 0.5)}, max ${Math.max(0, ...batchOps)}; ${machineNote()}`,
    });
  figures.push(
    split('data-center commit → batch frame received by the data service (data center + network)', serverPart, 0.5, 'the data center noticing the commit, building and sending the batch, and the WebSocket'),
    split('data-center commit → batch frame received by the data service (data center + network)', serverPart, 0.99, 'the data center noticing the commit, building and sending the batch, and the WebSocket'),
    split('data-center commit → batch frame handed to its WebSocket (data center)', dcPart, 0.5, 'the data center noticing the commit and building the batch; commit = writeReplicated resolved, so a frame sent before that resolution counts negative'),
    split('data-center commit → batch frame handed to its WebSocket (data center)', dcPart, 0.99, 'the data center noticing the commit and building the batch; commit = writeReplicated resolved, so a frame sent before that resolution counts negative'),
    split('batch frame sent → received by the data service (network and wait in the service event loop)', wirePart, 0.5, 'loopback WebSocket, plus any time the frame waited while the data service was busy (an earlier frame, a query)'),
    split('batch frame sent → received by the data service (network and wait in the service event loop)', wirePart, 0.99, 'loopback WebSocket, plus any time the frame waited while the data service was busy (an earlier frame, a query)'),
    split('batch frame received → applied in the data service (client)', clientPart, 0.5, 'the sync client: frame parse, the batch transaction with its cursor (synchronous=FULL), events/changed'),
    split('batch frame received → applied in the data service (client)', clientPart, 0.99, 'the sync client: frame parse, the batch transaction with its cursor (synchronous=FULL), events/changed'),
    live('data-center commit → replica applied', applied, oneHop, 0.5),
    live('data-center commit → replica applied', applied, oneHop, 0.99, '< 250 ms'),
    live('data-center commit → renderer notified', notified, twoHops, 0.5),
    live('data-center commit → renderer notified', notified, twoHops, 0.99),
  );
  log(`  commit → sent p50 ${quantile(dcPart, 0.5).toFixed(1)} p99 ${quantile(dcPart, 0.99).toFixed(1)} ms; sent → received p50 ${quantile(wirePart, 0.5).toFixed(1)} p99 ${quantile(wirePart, 0.99).toFixed(1)} ms`);
  log(`  commit → received p50 ${quantile(serverPart, 0.5).toFixed(1)} p99 ${quantile(serverPart, 0.99).toFixed(1)} ms; received → applied p50 ${quantile(clientPart, 0.5).toFixed(1)} p99 ${quantile(clientPart, 0.99).toFixed(1)} ms`);
  log(`  applied p50 ${quantile(applied, 0.5).toFixed(1)} p99 ${quantile(applied, 0.99).toFixed(1)} ms; notified p50 ${quantile(notified, 0.5).toFixed(1)} p99 ${quantile(notified, 0.99).toFixed(1)} ms`);

  // ── 5. memory ────────────────────────────────────────────────────────────
  await ask({ t: 'queries' }, 'queried');
  const memory = await ask({ t: 'memory' }, 'memory');
  const peak = (memory.peak as number) / 2 ** 20;
  figures.push(
    figure({
      name: `data service peak RSS with ${N.toLocaleString('en')} events (snapshot, live tail, heavy queries)`,
      metric: 'peak_rss',
      value: peak,
      baseline: idleRss / 2 ** 20,
      unit: 'MB',
      target: '< 400 MB',
      met: peak < 400,
      notes: `sampled every 25 ms in the data service process; peak ${peakAfterSnapshot.toFixed(0)} MB by the end of the snapshot (swap included), ${peakAfterLive.toFixed(0)} MB by the end of the live tail (the FTS build runs then), then the heavy queries; baseline: the same process started on an empty replica`,
    }),
  );
  log(`  peak RSS ${peak.toFixed(0)} MB (idle ${(idleRss / 2 ** 20).toFixed(0)} MB; by the end of the snapshot ${peakAfterSnapshot.toFixed(0)} MB, of the live tail ${peakAfterLive.toFixed(0)} MB)`);
  const exited = new Promise((r) => child!.once('exit', r));
  child.send({ t: 'stop' });
  await exited;
  child = null;
  await dc.close();
  await store.close();

  // ── 6. queries on the replica the snapshot built ─────────────────────────
  const replica = openReplica({ file: path.join(work, 'service', 'replica.sqlite') });
  try {
    // the FTS index is built in background chunks after the swap (docs/sync-client.md); at 10^6 events the service
    // stops before it is complete, and a text search meanwhile scans. The mix measures the replica as it is once
    // built: the rest is built here, timed, and said in the notes
    const ftsThrough = ftsBuiltThrough(replica.sqlite);
    const ftsT0 = nowMs();
    while (!buildFtsChunk(replica.sqlite, 20_000));
    const ftsNote =
      ftsThrough === null
        ? 'the FTS index was complete when the data service stopped'
        : `the FTS index was built through rid ${ftsThrough} of ${String(replica.sqlite.prepare('SELECT max(rid) FROM events').pluck().get())} when the data service stopped (${((nowMs() - s0) / 1000).toFixed(0)} s after the snapshot's request); the rest built here in ${((nowMs() - ftsT0) / 1000).toFixed(1)} s before the mix`;
    log(`  ${ftsNote}`);
    const queryNow = Date.now();
    const cases = queryMix(queryNow, probeOf(replica.sqlite));
    log(`queries: ${cases.length} requests × ${ROUNDS} rounds`);
    const user = { id: 'demo-supervisor', login: 'supervisor', name: '督查员', role: 'supervisor' as const, organisationId: 'district-440114', scope: { level: 'district' as const, code: '440114' } };
    const timings = await runQueryMix(replica, queryNow, cases, ROUNDS, user);
    const list = p95Of(timings, 'list', 'serviceMs');
    figures.push(
      figure({
        name: `events/list p95 on ${N.toLocaleString('en')} events (${cases.filter((c) => c.kind === 'list').length} queue and filter windows)`,
        metric: 'latency_p95',
        value: list,
        baseline: p95Of(timings, 'list', 'sqlMs'),
        unit: 'ms',
        target: '< 50 ms',
        met: list < 50,
        notes: `baseline: the same SQL statements replayed with better-sqlite3 on the same replica; per request: ${timings
          .filter((t) => t.kind === 'list')
          .map((t) => `${t.name} ${quantile(t.serviceMs, 0.95).toFixed(1)}`)
          .join('; ')}; ${ftsNote}; ${machineNote()}`,
      }),
      figure({
        name: `aggregates p95 on ${N.toLocaleString('en')} events (counts, KPIs, map columns, density, grid stats, playback)`,
        metric: 'latency_p95',
        value: p95Of(timings, 'aggregate', 'serviceMs'),
        baseline: p95Of(timings, 'aggregate', 'sqlMs'),
        unit: 'ms',
        notes: `baseline: the same SQL statements replayed with better-sqlite3 on the same replica; per request: ${timings
          .filter((t) => t.kind === 'aggregate')
          .map((t) => `${t.name} ${quantile(t.serviceMs, 0.95).toFixed(1)}`)
          .join('; ')}`,
      }),
    );
  } finally {
    replica.close();
  }
  const file = writeResults(values.results, figures);
  for (const f of figures) log(`${f.name}: ${f.value} ${f.unit} (baseline ${f.baseline}, ratio ${f.ratio})${f.target ? ` target ${f.target}: ${f.met ? 'met' : 'NOT met'}` : ''}`);
  log(`wrote ${file}`);
} finally {
  child?.kill('SIGKILL');
  await cluster.stop();
  rmSync(work, { recursive: true, force: true });
}
