/**
 * `npm run bench:datacenter [-- --only intake,commands,snapshot] [--engine pg|pglite] [--quick] [--snapshot-events N] [--keep DIR] [--seconds S] [--cpu-prof DIR] [--bulk-senders N] [--bulk-batch N]`

`--keep DIR` (snapshot only): the snapshot's PostgreSQL cluster lives in DIR and is kept after the
run (bench/datacenter/kept-cluster.ts); a later run with the same DIR and the same
`--snapshot-events` reuses its history instead of generating it again (~15 min at 10^6 events),
so the export can be measured again in minutes. Another size regenerates it. Delete DIR when done.
 *
 * `--bulk-senders` (default 8) and `--bulk-batch` (default 100): the bulk intake's concurrent
 * senders and orders per request (8 × 100 is what bench/results/datacenter.json was measured with).
 * `--engine` runs the intake figures of one engine only; `--cpu-prof DIR` starts every data center
 * under `node --cpu-prof` and writes its profiles to DIR (figures from such a run are slower: the
 * profiler costs the server CPU, so they are logged but not written).
 *
 * The data center's benchmarks (issue 3), each against a data center process and with a baseline
 * measured in the same run, written to bench/results/datacenter.json:
 *
 * - intake throughput, PostgreSQL and PGlite: events/s accepted over HTTP with the source's API
 *   key vs. raw INSERTs of the same rows (target ≥ 1,000/s on PostgreSQL);
 * - command latency p50/p99 at 50 commands/s with 20 live WebSocket subscribers vs. the same
 *   UPDATE + INSERT in a raw transaction (target p99 < 50 ms);
 * - snapshot export rows/s of a 10^6-event history vs. COPY of the same rows (target ≥ 0.5×);
 * - the history generator's rows/s (informative).
 *
 * PostgreSQL is a throwaway cluster on loopback (tests/support/pg-cluster.ts: fsync off). The
 * machine's load average is recorded with each figure.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { PGlite } from '@electric-sql/pglite';
import pg from 'pg';
import { demoApiKey } from '../../src/datacenter/auth';
import { generateHistory } from '../../src/datacenter/history';
import { seedDemo } from '../../src/datacenter/reference/seed';
import { openDatabase } from '../../src/datacenter/store/database';
import { startPgCluster, type PgCluster } from '../../tests/support/pg-cluster';
import { figure, readResults, writeResults, type Figure } from '../support/results';
import { runCommandLoad, runRawCommands, subscribe } from './commands';
import { clusterCpuSeconds, loadNote, log, login, processCpuSeconds, startServer, type ServerProcess } from './common';
import { openKeptCluster, type KeptCluster } from './kept-cluster';
import { pgliteRawClient, pgRawClient, runBulkIntakeLoad, runIntakeLoad, runRawIntake, sampleWaits } from './intake';
import { runCopyBaseline, runKeysetBaseline, runSnapshot } from './snapshot';

const { values } = parseArgs({
  options: {
    only: { type: 'string' },
    quick: { type: 'boolean' },
    'snapshot-events': { type: 'string' },
    seconds: { type: 'string' },
    engine: { type: 'string' },
    'cpu-prof': { type: 'string' },
    'bulk-senders': { type: 'string' },
    'bulk-batch': { type: 'string' },
    keep: { type: 'string' },
  },
});
const engines = new Set((values.engine ?? 'pg,pglite').split(',').map((s) => s.trim()));
const profileDir = values['cpu-prof'] ? path.resolve(values['cpu-prof']) : null;
/** node flags of the data-center processes */
const nodeArgs = profileDir ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : [];
const only = new Set((values.only ?? 'intake,commands,snapshot').split(',').map((s) => s.trim()));
const quick = values.quick === true;
const seconds = Number(values.seconds ?? (quick ? 5 : 20));
const snapshotEvents = Number(values['snapshot-events'] ?? (quick ? 20_000 : 1_000_000));
const commandSeconds = quick ? 15 : 60;
const figures: Figure[] = [];
const selfCpuSeconds = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
};
const cpuText = (cpu: Record<string, number>) => Object.entries(cpu).map(([k, v]) => `${k} ${v.toFixed(1)}`).join(', ');

async function gridPoints(url: string): Promise<[number, number][]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  const rows = (await client.query('SELECT label_lon, label_lat FROM grids WHERE valid_to IS NULL ORDER BY code LIMIT 1000')).rows as { label_lon: number; label_lat: number }[];
  await client.end();
  return rows.map((r) => [r.label_lon, r.label_lat]);
}

/** The document and first audit entry of an event made by intake, as the raw baseline's template. */
async function templateFrom(query: (text: string) => Promise<{ rows: Record<string, unknown>[] }>) {
  const [e] = (await query(`SELECT id, doc FROM events WHERE source = 'hotline_12345' LIMIT 1`)).rows as { id: string; doc: unknown }[];
  if (!e) throw new Error('no event to copy for the baseline');
  const [a] = (await query(`SELECT doc FROM audit WHERE event_id = '${e.id}' ORDER BY seq LIMIT 1`)).rows as { doc: unknown }[];
  const parse = (x: unknown) => (typeof x === 'string' ? JSON.parse(x) : x) as Record<string, unknown>;
  return { doc: parse(e.doc), audit: parse(a!.doc) };
}

async function intakeBench(cluster: Awaited<ReturnType<typeof startPgCluster>>): Promise<void> {
  // PostgreSQL
  if (engines.has('pg')) {
    const url = await cluster.createDatabase();
    const server = await startServer(['--pg', url, '--seed', 'demo'], {}, nodeArgs);
    const concurrency = 32;
    try {
      const points = await gridPoints(url);
      log(`intake on PostgreSQL: ${concurrency} senders, ${seconds} s`);
      const cpu = { dataCenter: () => processCpuSeconds(server.child.pid!), postgres: () => clusterCpuSeconds(cluster.dir), loadGenerator: () => process.cpuUsage().user / 1e6 + process.cpuUsage().system / 1e6 };
      const { result: run, waits } = await sampleWaits(url, runIntakeLoad({ url: server.url, concurrency, warmupSeconds: 3, seconds, points, tag: 'pg', cpu }));
      log(`  ${run.eventsPerSecond.toFixed(0)} events/s (p50 ${run.p50Ms.toFixed(1)} ms, p99 ${run.p99Ms.toFixed(1)} ms, ${run.errors} errors); CPU ms per event ${JSON.stringify(run.cpuMsPerEvent)}; busy backends: ${JSON.stringify(waits)}`);
      const bulkSenders = Number(values['bulk-senders'] ?? 8);
      const bulkBatch = Number(values['bulk-batch'] ?? 100);
      log(`bulk intake on PostgreSQL: ${bulkSenders} senders × ${bulkBatch} orders per request, ${seconds} s`);
      const bulk = await runBulkIntakeLoad({ url: server.url, concurrency: bulkSenders, batch: bulkBatch, warmupSeconds: 3, seconds, points, tag: 'pgbulk', cpu });
      log(`  ${bulk.eventsPerSecond.toFixed(0)} events/s (per request p50 ${bulk.p50Ms.toFixed(1)} ms, p99 ${bulk.p99Ms.toFixed(1)} ms, ${bulk.errors} not created); CPU ms per event ${JSON.stringify(bulk.cpuMsPerEvent)}`);
      await server.stop();
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      const template = await templateFrom((t) => client.query(t));
      await client.end();
      const raw = pgRawClient(url, concurrency);
      const rawCpu = { postgres: cpu.postgres, client: cpu.loadGenerator };
      const base = await runRawIntake(raw, template, { concurrency, warmupSeconds: 3, seconds, tag: 'pg', cpu: rawCpu });
      log(`  raw INSERT of the same rows: ${base.eventsPerSecond.toFixed(0)} events/s; CPU ms per event ${JSON.stringify(base.cpuMsPerEvent)}`);
      const free = await runRawIntake(raw, template, { concurrency, warmupSeconds: 3, seconds, tag: 'pgfree', counters: false, cpu: rawCpu });
      await raw.close();
      log(`  the same without the two single-row counters: ${free.eventsPerSecond.toFixed(0)} events/s; CPU ms per event ${JSON.stringify(free.cpuMsPerEvent)}`);
      figures.push(
        figure({
          name: 'intake throughput, PostgreSQL (HTTP + API key, 12345 work orders)',
          metric: 'events/s',
          value: run.eventsPerSecond,
          baseline: base.eventsPerSecond,
          unit: 'events/s',
          target: '≥ 1000',
          met: run.eventsPerSecond >= 1000,
          notes: `one order per request; ${concurrency} concurrent senders, ${run.seconds.toFixed(0)} s after a 3 s warm-up, ${run.accepted} accepted, ${run.errors} errors, latency p50 ${run.p50Ms.toFixed(1)} ms p99 ${run.p99Ms.toFixed(1)} ms; CPU ms per accepted event ${JSON.stringify(run.cpuMsPerEvent)}; PostgreSQL backends while loaded (share of samples): ${JSON.stringify(waits)}; baseline: per event one raw transaction (sync version, case counter, claim, events row, audit row, 2 sync_rows, 2 change_log rows) through a pg pool of ${concurrency}; the same rows without the two single-row counters (sync_version, case_no_counters): ${free.eventsPerSecond.toFixed(0)} events/s; raw CPU ms per event ${JSON.stringify(base.cpuMsPerEvent)}; ${loadNote()}`,
        }),
        figure({
          name: `intake throughput, PostgreSQL, bulk (HTTP + API key, 12345 work orders, ${bulkBatch} per request)`,
          metric: 'events/s',
          value: bulk.eventsPerSecond,
          baseline: base.eventsPerSecond,
          unit: 'events/s',
          target: '≥ 1000',
          met: bulk.eventsPerSecond >= 1000,
          notes: `POST /api/v1/intake/hotline_12345/bulk with ${bulkBatch} orders each, ${bulkSenders} concurrent senders, ${bulk.seconds.toFixed(0)} s after a 3 s warm-up, ${bulk.accepted} created, ${bulk.errors} not created, latency per request p50 ${bulk.p50Ms.toFixed(1)} ms p99 ${bulk.p99Ms.toFixed(1)} ms; CPU ms per created event ${JSON.stringify(bulk.cpuMsPerEvent)}; the same server and database right after the single-order run; baseline: the raw per-event transactions above; ${loadNote()}`,
        }),
      );
    } finally {
      await server.stop();
    }
  }
  // PGlite (a directory, as the embedded data center runs)
  if (engines.has('pglite')) {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'huying-bench-pglite-'));
    const concurrency = 8;
    let server: ServerProcess | null = null;
    try {
      server = await startServer(['--data', dir], {}, nodeArgs);
      const points: [number, number][] = [
        [113.22, 23.39],
        [113.25, 23.35],
        [113.18, 23.37],
        [113.25, 23.41],
        [113.15, 23.47],
      ];
      log(`intake on PGlite: ${concurrency} senders, ${seconds} s`);
      const run = await runIntakeLoad({ url: server.url, concurrency, warmupSeconds: 3, seconds, points, tag: 'lite' });
      log(`  ${run.eventsPerSecond.toFixed(0)} events/s (p50 ${run.p50Ms.toFixed(1)} ms, p99 ${run.p99Ms.toFixed(1)} ms, ${run.errors} errors)`);
      await server.stop();
      server = null;
      const client = await PGlite.create(path.join(dir, 'pg'));
      const template = await templateFrom((t) => client.query<Record<string, unknown>>(t));
      const base = await runRawIntake(pgliteRawClient(client), template, { concurrency, warmupSeconds: 3, seconds, tag: 'lite' });
      await client.close();
      log(`  raw INSERT of the same rows: ${base.eventsPerSecond.toFixed(0)} events/s`);
      figures.push(
        figure({
          name: 'intake throughput, PGlite directory (HTTP + API key, 12345 work orders)',
          metric: 'events/s',
          value: run.eventsPerSecond,
          baseline: base.eventsPerSecond,
          unit: 'events/s',
          notes: `${concurrency} concurrent senders, ${run.seconds.toFixed(0)} s, ${run.accepted} accepted, ${run.errors} errors, latency p50 ${run.p50Ms.toFixed(1)} ms p99 ${run.p99Ms.toFixed(1)} ms; baseline: the same raw transactions through PGlite's own client in one process; ${loadNote()}`,
        }),
      );
    } finally {
      await server?.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  }
}

async function commandBench(cluster: Awaited<ReturnType<typeof startPgCluster>>): Promise<void> {
  const url = await cluster.createDatabase();
  const server = await startServer(['--pg', url, '--seed', 'demo']);
  const rate = 50;
  try {
    const needed = Math.ceil((rate * (commandSeconds + 5)) / 8) * 2 + 100;
    log(`commands: creating ${needed} filed events (grid patrol reports)`);
    const points = await gridPoints(url);
    const grids = (await (async () => {
      const c = new pg.Client({ connectionString: url });
      await c.connect();
      const r = (await c.query('SELECT code FROM grids WHERE valid_to IS NULL ORDER BY code LIMIT 1000')).rows as { code: string }[];
      await c.end();
      return r.map((x) => x.code);
    })()) as string[];
    const eventIds: string[] = [];
    let n = 0;
    await Promise.all(
      Array.from({ length: 16 }, async () => {
        while (n < needed) {
          const i = n++;
          const res = await fetch(`${server.url}/api/v1/intake/grid_patrol`, {
            method: 'POST',
            headers: { 'content-type': 'application/json', 'x-api-key': demoApiKey('grid_patrol') },
            body: JSON.stringify({
              reportId: `BENCH-CMD-${i}`,
              workerId: 'W-1',
              gridCode: grids[i % grids.length],
              baseItem: '023',
              description: '路面大面积污渍',
              location: { lon: points[i % points.length]![0], lat: points[i % points.length]![1] },
              photos: ['https://grid.example.cn/p/1.jpg'],
              reportedAt: new Date(Date.now() - 60_000).toISOString(),
            }),
          });
          const body = (await res.json()) as { value?: { eventId: string } };
          if (res.status === 201 && body.value) eventIds.push(body.value.eventId);
        }
      }),
    );
    const duty = await login(server.url, 'duty');
    const unit = await login(server.url, 'unit-cg');
    const subs = await subscribe(server.url, duty, 20);
    log(`commands: ${rate}/s for ${commandSeconds} s with 20 live subscribers`);
    const run = await runCommandLoad({ url: server.url, tokens: { duty, unit }, eventIds, rate, seconds: commandSeconds, warmupSeconds: 5 });
    await new Promise((r) => setTimeout(r, 1000));
    const ops = subs.ops();
    subs.close();
    log(`  p50 ${run.p50Ms.toFixed(1)} ms, p99 ${run.p99Ms.toFixed(1)} ms, ${run.applied} applied, ${run.rejected} rejected, ${run.skipped} not sent (no free event), ${run.rate.toFixed(1)}/s achieved; subscribers received ${ops} ops`);
    await server.stop();

    const client = new pg.Client({ connectionString: url });
    await client.connect();
    const events = (await client.query('SELECT id, doc, scope FROM events ORDER BY created_at LIMIT 500')).rows as { id: string; doc: unknown; scope: string | null }[];
    await client.end();
    const base = await runRawCommands({ pgUrl: url, events, rate, seconds: commandSeconds, warmupSeconds: 5 });
    log(`  raw UPDATE + INSERT: p50 ${base.p50Ms.toFixed(1)} ms, p99 ${base.p99Ms.toFixed(1)} ms`);
    const common = `${rate} commands/s open loop for ${commandSeconds} s after 5 s warm-up (${run.sent} measured, ${run.applied} applied, ${run.rejected} rejected, ${run.skipped} slots without a free event, ${run.rate.toFixed(1)}/s achieved, max ${run.maxMs.toFixed(0)} ms), 20 WebSocket subscribers of the district feed received ${ops} ops; baseline: UPDATE events.doc + INSERT audit in one raw transaction through pg at the same rate; ${loadNote()}`;
    figures.push(figure({ name: 'command latency p50, PostgreSQL (POST /api/v1/commands, 20 live subscribers)', metric: 'p50 ms', value: run.p50Ms, baseline: base.p50Ms, unit: 'ms', notes: common }));
    figures.push(figure({ name: 'command latency p99, PostgreSQL (POST /api/v1/commands, 20 live subscribers)', metric: 'p99 ms', value: run.p99Ms, baseline: base.p99Ms, unit: 'ms', target: '< 50', met: run.p99Ms < 50, notes: common }));
  } finally {
    await server.stop();
  }
}

/** The snapshot's database: a new one in the run's cluster, or the history kept in `--keep DIR`. */
async function snapshotBench(cluster: PgCluster | KeptCluster): Promise<void> {
  if (!('recordHistory' in cluster)) {
    const url = await cluster.createDatabase();
    await generateSnapshotHistory(cluster, url);
    return measureSnapshot(cluster, url);
  }
  const kept = cluster.history();
  if (kept && kept.events === snapshotEvents) {
    log(`snapshot: reusing the history of ${kept.events} events kept in ${cluster.dir} (database ${kept.database})`);
    return measureSnapshot(cluster, cluster.urlOf(kept.database));
  }
  const url = await cluster.recreateDatabase('snapshot_history');
  await generateSnapshotHistory(cluster, url);
  return measureSnapshot(cluster, url);
}

async function generateSnapshotHistory(cluster: PgCluster | KeptCluster, url: string): Promise<void> {
  const store = await openDatabase({ pg: url });
  await seedDemo(store.db);
  log(`snapshot: generating a history of ${snapshotEvents} events`);
  let last = 0;
  const history = await generateHistory(store.db, {
    count: snapshotEvents,
    days: 365,
    seed: 2026,
    changeLog: false,
    onProgress: (p) => {
      if (p.ms - last > 30_000) {
        last = p.ms;
        log(`  ${p.events}/${p.count} events, ${Math.round(p.rows / (p.ms / 1000))} rows/s`);
      }
    },
  });
  await store.close();
  log(`  history: ${history.events} events, ${history.auditRows} audit rows in ${(history.ms / 1000).toFixed(0)} s (${history.rowsPerSecond.toFixed(0)} rows/s; build ${(history.buildMs / 1000).toFixed(0)} s)`);
  figures.push(
    figure({
      name: `history generator, PostgreSQL (${history.events} events over 365 days, sync_rows only)`,
      metric: 'rows/s',
      value: history.rowsPerSecond,
      baseline: null,
      unit: 'rows/s',
      notes: `${history.events} events + ${history.auditRows} audit rows, ${history.rows} rows written in ${(history.ms / 1000).toFixed(0)} s (${history.eventsPerSecond.toFixed(0)} events/s); building events (adapters, placement, decide) ${(history.buildMs / 1000).toFixed(0)} s of it, overlapped with writing; write steps ms ${JSON.stringify(Object.fromEntries(Object.entries(history.writeMs).map(([k, v]) => [k, Math.round(v)])))}; ${loadNote()}`,
    }),
  );
  if ('recordHistory' in cluster) {
    // settle the table (visibility map, statistics) once, so reuses read what a fresh run reads
    const c = new pg.Client({ connectionString: url });
    await c.connect();
    await c.query('VACUUM ANALYZE sync_rows');
    await c.end();
    cluster.recordHistory({ database: new URL(url).pathname.slice(1), events: snapshotEvents });
  }
}

async function measureSnapshot(cluster: PgCluster | KeptCluster, url: string): Promise<void> {

  const server = await startServer(['--pg', url, '--seed', 'demo']);
  try {
    const admin = await login(server.url, 'admin');
    log('snapshot: reading the district snapshot over HTTP');
    const cpu0 = { server: processCpuSeconds(server.child.pid!), postgres: clusterCpuSeconds(cluster.dir), client: selfCpuSeconds() };
    const run = await runSnapshot(server.url, admin);
    const cpu = { server: processCpuSeconds(server.child.pid!) - cpu0.server, postgres: clusterCpuSeconds(cluster.dir) - cpu0.postgres, client: selfCpuSeconds() - cpu0.client };
    log(`  ${run.rows} rows, ${(run.bytes / 1e6).toFixed(0)} MB in ${run.seconds.toFixed(1)} s: ${run.rowsPerSecond.toFixed(0)} rows/s; CPU s ${cpuText(cpu)}`);
    await server.stop();
    const copyCpu0 = clusterCpuSeconds(cluster.dir);
    const copy = await runCopyBaseline(url);
    const copyCpu = clusterCpuSeconds(cluster.dir) - copyCpu0;
    log(`  COPY baseline: ${copy.rowsPerSecond.toFixed(0)} rows/s (${copy.megabytesPerSecond.toFixed(0)} MB/s); PostgreSQL CPU ${copyCpu.toFixed(1)} s`);
    const keyset = await runKeysetBaseline(url);
    log(`  keyset SELECT baseline: ${keyset.rowsPerSecond.toFixed(0)} rows/s`);
    figures.push(
      figure({
        name: `snapshot export, PostgreSQL (district scope, ${snapshotEvents} events + audit)`,
        metric: 'rows/s',
        value: run.rowsPerSecond,
        baseline: copy.rowsPerSecond,
        unit: 'rows/s',
        target: '≥ 0.5 × raw',
        met: run.rowsPerSecond >= 0.5 * copy.rowsPerSecond,
        notes: `${run.rows} rows, ${(run.bytes / 1e6).toFixed(0)} MB NDJSON over HTTP in ${run.seconds.toFixed(1)} s (${run.megabytesPerSecond.toFixed(0)} MB/s); baseline COPY (SELECT table_name, key, v, row FROM sync_rows) TO STDOUT via psql: ${copy.rows} rows, ${(copy.bytes / 1e6).toFixed(0)} MB in ${copy.seconds.toFixed(1)} s; CPU s during the export ${cpuText(cpu)}, PostgreSQL during the COPY ${copyCpu.toFixed(1)}; keyset-paged SELECT via pg (the old snapshot's reads without HTTP): ${keyset.rowsPerSecond.toFixed(0)} rows/s = ${(run.rowsPerSecond / keyset.rowsPerSecond).toFixed(2)}×; ${loadNote()}`,
      }),
    );
  } finally {
    await server.stop();
  }
}

const cluster = only.has('intake') || only.has('commands') || !values.keep ? await startPgCluster() : null;
try {
  if (cluster && only.has('intake')) await intakeBench(cluster);
  if (cluster && only.has('commands')) await commandBench(cluster);
  if (only.has('snapshot')) {
    if (values.keep) {
      const kept = await openKeptCluster(values.keep);
      try {
        await snapshotBench(kept);
      } finally {
        await kept.stop();
      }
    } else await snapshotBench(cluster!);
  }
} finally {
  await cluster?.stop();
}
// a partial run (--only) keeps the other figures of the last run
let kept: Figure[] = [];
if (values.only) {
  try {
    kept = readResults('datacenter').filter((f) => !figures.some((g) => g.name.split('(')[0] === f.name.split('(')[0] && g.metric === f.metric));
  } catch {
    // no earlier results
  }
}
if (profileDir) log(`profiled run: figures not written; profiles in ${profileDir}`);
else if (values.engine) log('one engine only: figures not written');
else log(`results: ${writeResults('datacenter', [...kept, ...figures])}`);
for (const f of figures) log(`${f.name}: ${f.value} ${f.unit} (baseline ${f.baseline ?? '—'}, ratio ${f.ratio ?? '—'}${f.target ? `, target ${f.target}` : ''})`);
