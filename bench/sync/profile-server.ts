/**
 * The data center's half of a snapshot, without the data service: a data
 * center on PostgreSQL loaded with N events (as bench:sync does), then, each
 * timed alone —
 *
 * 1. export: `writeSnapshot` into a stream that drops the bytes (PostgreSQL's
 *    COPY of the stored row texts, NDJSON frames built from their bytes);
 * 2. HTTP: `GET /api/v1/sync/snapshot` as the duty officer, the body read
 *    and dropped (export + Fastify + loopback + fetch);
 * 3. HTTP + the client's stream read (`readSnapshotStream`: line split,
 *    `JSON.parse`, `SnapshotFrame`), nothing staged;
 *
 * against the raw better-sqlite3 insert of bench:sync (the same rows, key +
 * v + document, into a bare table). Tells whether the server or the client
 * bounds the end-to-end snapshot. Each step reports its wall time and the CPU
 * time of this process (`process.cpuUsage`: the data center, and in 3 the
 * stream read too) and of the PostgreSQL cluster (its processes' utime +
 * stime from /proc): on a shared 2-core machine the CPU times are the
 * figures that hold still while the wall times follow the load.
 *
 *   npx tsx bench/sync/profile-server.ts [--events 200000]
 */
import { Writable } from 'node:stream';
import { parseArgs } from 'node:util';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DEMO_PASSWORD } from '../../src/datacenter/auth';
import { generateDemoDistrict } from '../../src/datacenter/demo';
import { startDataCenter } from '../../src/datacenter/server';
import { openDatabase } from '../../src/datacenter/store/database';
import { writeSnapshot } from '../../src/datacenter/sync/snapshot';
import { readSnapshotStream } from '../../src/main/service/sync/snapshot-stream';
import taxonomy from '../../resources/config/taxonomy-demo.json';
import { startPgCluster } from '../../tests/support/pg-cluster';
import { loadEvents } from '../support/datacenter-load';
import { generateHistory, leafCategories } from '../support/history';
import { log, machineNote } from '../support/results';
import { measureRawInsert } from './raw-baseline';

const { values } = parseArgs({ options: { events: { type: 'string', default: '200000' }, rounds: { type: 'string', default: '2' } } });
const N = Number(values.events);
const ROUNDS = Number(values.rounds);
const cluster = await startPgCluster();
/** CPU ms of the cluster: the postmaster and its children (backends, checkpointer, …), from /proc */
const postgresCpuMs = (): number => {
  const dataDir = readdirSync(cluster.dir).find((f) => {
    try {
      return readFileSync(path.join(cluster.dir, f, 'postmaster.pid'), 'utf8').length > 0;
    } catch {
      return false;
    }
  });
  if (!dataDir) return NaN;
  const postmaster = Number(readFileSync(path.join(cluster.dir, dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
  const hz = 100; // USER_HZ
  let ticks = 0;
  for (const pid of readdirSync('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(pid) === postmaster || Number(f[1]) === postmaster) ticks += Number(f[11]) + Number(f[12]);
    } catch {
      // the process ended meanwhile
    }
  }
  return (ticks * 1000) / hz;
};
const work = mkdtempSync(path.join(os.tmpdir(), 'huying-profile-server-'));
try {
  const store = await openDatabase({ pg: await cluster.createDatabase('bench') });
  const dc = await startDataCenter({ port: 0, seed: 'demo', database: store });
  const district = generateDemoDistrict();
  const load = await loadEvents(
    store.db,
    (function* () {
      for (const { record } of generateHistory({ count: N, now: new Date(), grids: district.grids, units: district.units, categories: leafCategories(taxonomy as never) })) yield record;
    })(),
  );
  log(`${N} events loaded in ${(load.ms / 1000).toFixed(0)} s; ${machineNote()}`);

  // raw baseline, as bench:sync
  const { rows: rawRows, ms: rawMs, rowsPerSecond: rawRate } = await measureRawInsert(store.db, path.join(work, 'raw.sqlite'));
  log(`raw insert: ${rawRows} rows in ${(rawMs / 1000).toFixed(2)} s = ${Math.round(rawRate)} rows/s; half of it: ${Math.round(rawRate / 2)} rows/s`);

  let clock = { cpu: process.cpuUsage(), pg: postgresCpuMs(), t: performance.now() };
  const start = () => (clock = { cpu: process.cpuUsage(), pg: postgresCpuMs(), t: performance.now() });
  const report = (what: string, rows: number, bytes: number) => {
    const ms = performance.now() - clock.t;
    const cpu = process.cpuUsage(clock.cpu);
    log(
      `${what}: ${(ms / 1000).toFixed(2)} s, ${Math.round(rows / (ms / 1000))} rows/s (${(rows / (ms / 1000) / rawRate).toFixed(3)}× raw), ${(bytes / 2 ** 20).toFixed(0)} MB; ` +
        `CPU: this process ${((cpu.user + cpu.system) / 1000).toFixed(0)} ms, PostgreSQL ${(postgresCpuMs() - clock.pg).toFixed(0)} ms`,
    );
  };

  const login = (await (
    await fetch(new URL('api/v1/auth/login', dc.url), { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ login: 'duty', password: DEMO_PASSWORD }) })
  ).json()) as { value: { accessToken: string } };
  const headers = { authorization: `Bearer ${login.value.accessToken}`, accept: 'application/x-ndjson' };
  const url = new URL('api/v1/sync/snapshot?scope=district', dc.url);

  for (let round = 0; round < ROUNDS; round++) {
    // 1. export only
    let bytes = 0;
    const sink = new Writable({
      highWaterMark: 1024 * 1024,
      write(chunk: Buffer, _enc, cb) {
        bytes += chunk.byteLength;
        cb();
      },
    });
    start();
    const summary = await writeSnapshot(store.db, 'district', sink);
    report('export (writeSnapshot, bytes dropped)', summary.rows, bytes);

    // 2. over HTTP, body dropped
    start();
    const res = await fetch(url, { headers });
    bytes = 0;
    const reader = res.body!.getReader();
    for (let c = await reader.read(); !c.done; c = await reader.read()) bytes += c.value.byteLength;
    report('HTTP GET, body read and dropped', summary.rows, bytes);

    // 3. over HTTP with the client's stream read
    start();
    const res2 = await fetch(url, { headers });
    let rows = 0;
    const r = await readSnapshotStream(
      res2.body!,
      (f) => {
        if (f.t === 'rows') rows += f.rows.keys.length;
      },
      { parser: 'inline', askedForColumns: false },
    );
    report('HTTP GET + readSnapshotStream on this thread (parse, SnapshotFrame, column extraction, document text)', rows, r.bytes);
  }
  log(machineNote());
  await dc.close();
  await store.close();
} finally {
  await cluster.stop();
  rmSync(work, { recursive: true, force: true });
}
