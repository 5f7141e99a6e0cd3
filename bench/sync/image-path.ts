/**
 * The replica image path measured end to end against the snapshot's raw baseline (issue 4's "snapshot ≥ 0.5×
 * a raw better-sqlite3 insert"), docs/sync-client.md "A replica image switched in whole". Not part of
 * `npm run bench`; writes no results file.
 *
 * 1. a data center on PostgreSQL with N events, loaded as bench:sync loads it (tests/support/pg-cluster.ts,
 *    bench/support/datacenter-load.ts, bench/support/history.ts);
 * 2. the keeper: the data service in its own process (bench/sync/service-child.ts) snapshots the district —
 *    the row snapshot's own figure in this run, request → swapped in — and its replica is exported as it is then
 *    (image `deferred`: FTS index empty, built after the switch as after a row snapshot's swap), then with its
 *    FTS index completed, both ways (images `backup` and `vacuum`), each timed with its CPU;
 * 3. the images are served over node:http on loopback (GET /sync/image?scope=district&image=<name>, SHA-256,
 *    scope and cursor in headers);
 * 4. each round: the raw baseline (bench/sync/raw-baseline.ts), then a fresh target replica with a queued
 *    command in a process of its own (this file with HUYING_IMAGE_PATH_ROLE=target) times GET → temp file →
 *    switchInReplicaImage → ready, with its CPU: image `deferred` checked by its digest, image `vacuum` by its
 *    digest, image `deferred` by quick_check;
 * 5. ratio = (rows/s of the image path) / (raw rows/s), rows as the snapshot counts them (every replicated row).
 *
 *   npx tsx bench/sync/image-path.ts [--events 200000] [--rounds 2]
 */
import { fork, type ChildProcess } from 'node:child_process';
import { createWriteStream, createReadStream, mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { parseArgs } from 'node:util';
import Database from 'better-sqlite3';
import { DEMO_PASSWORD } from '../../src/datacenter/auth';
import { generateDemoDistrict } from '../../src/datacenter/demo';
import { startDataCenter } from '../../src/datacenter/server';
import { openDatabase } from '../../src/datacenter/store/database';
import { OutboxStore } from '../../src/main/service/outbox/outbox-store';
import { openReplica } from '../../src/main/service/store/open';
import { clientIdOf } from '../../src/main/service/store/preferences';
import { exportReplicaImage, sha256Of, switchInReplicaImage, type ImageInfo } from '../../src/main/service/store/replica-image';
import { REPLICATED_TABLES } from '../../src/main/service/store/replicated-rows';
import { buildFtsChunk, ftsBuiltThrough } from '../../src/main/service/store/replica-writes';
import { readSyncState } from '../../src/main/service/store/sync-state';
import taxonomy from '../../resources/config/taxonomy-demo.json';
import { startPgCluster } from '../../tests/support/pg-cluster';
import { processCpuSeconds } from '../datacenter/common';
import { loadEvents } from '../support/datacenter-load';
import { generateHistory, leafCategories } from '../support/history';
import { log, machineNote } from '../support/results';
import { measureRawInsert } from './raw-baseline';

type Message = { t: string; [k: string]: unknown };
const cpuMs = (u: NodeJS.CpuUsage) => (u.user + u.system) / 1000;
const s = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
const MB = (bytes: number) => `${(bytes / 2 ** 20).toFixed(0)} MB`;

if (process.env.HUYING_IMAGE_PATH_ROLE === 'target') targetProcess();
else await main();

/**
 * The desktop's half, in a process of its own (its CPU is its own): per `round` message, a fresh replica with
 * one queued command, then GET → temp file → switchInReplicaImage → ready.
 */
function targetProcess(): void {
  const send = (m: Message) => process.send!(m);
  process.on('message', (raw) => {
    const m = raw as { t: string; url: string; dir: string; check: 'quick' | 'digest' };
    if (m.t === 'stop') process.exit(0);
    void (async () => {
      try {
        mkdirSync(m.dir, { recursive: true });
        const replica = openReplica({ file: path.join(m.dir, 'replica.sqlite') });
        const outbox = new OutboxStore(replica.sqlite, clientIdOf(replica.sqlite));
        outbox.submit({ name: 'wall/ack', alertId: 'queued-before-the-image' }, new Date().toISOString());
        const temp = path.join(m.dir, 'image.download');
        const t0 = performance.now();
        const c0 = process.cpuUsage();
        const headers = await new Promise<http.IncomingHttpHeaders>((resolve, reject) => {
          http
            .get(m.url, (res) => {
              if (res.statusCode !== 200) {
                res.resume();
                reject(new Error(`GET ${m.url}: ${res.statusCode}`));
                return;
              }
              pipeline(res, createWriteStream(temp)).then(() => resolve(res.headers), reject);
            })
            .on('error', reject);
        });
        const t1 = performance.now();
        const c1 = process.cpuUsage();
        const length = Number(headers['content-length']);
        if (statSync(temp).size !== length) throw new Error(`the download has ${statSync(temp).size} bytes, the answer said ${length}`);
        const res = await switchInReplicaImage(replica.sqlite, temp, { scope: 'district', sha256: String(headers['x-huying-image-sha256']) }, { check: m.check });
        const t2 = performance.now();
        const c2 = process.cpuUsage();
        const state = readSyncState(replica.sqlite)!;
        const queued = replica.sqlite.prepare("SELECT count(*) FROM outbox WHERE state = 'queued'").pluck().get() as number;
        const events = replica.sqlite.prepare('SELECT count(*) FROM events').pluck().get() as number;
        replica.close();
        rmSync(m.dir, { recursive: true, force: true });
        send({
          t: 'done',
          ms: { get: t1 - t0, verify: res.ms.verify, copy: res.ms.copy, checkpoint: res.ms.checkpoint, total: t2 - t0 },
          cpuMs: { get: cpuMs(c1) - cpuMs(c0), total: cpuMs(c2) - cpuMs(c0) },
          cursor: `${state.cursor.epoch}:${state.cursor.v}`,
          queued,
          events,
          maxRssMB: process.resourceUsage().maxRSS / 1024,
        });
      } catch (err) {
        send({ t: 'error', message: err instanceof Error ? `${err.message}\n${err.stack}` : String(err) });
      }
    })();
  });
  process.send!({ t: 'alive' });
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { events: { type: 'string', default: '200000' }, rounds: { type: 'string', default: '2' } } });
  const N = Number(values.events);
  const ROUNDS = Number(values.rounds);
  const machineAtStart = machineNote();
  const cluster = await startPgCluster();
  const work = mkdtempSync(path.join(os.tmpdir(), 'huying-bench-image-'));
  const children: ChildProcess[] = [];
  const child = (file: string, env: Record<string, string> = {}) => {
    const c = fork(file, [], { execArgv: ['--import', 'tsx'], env: { ...process.env, ...env }, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    children.push(c);
    const waiters: { t: string; resolve: (m: Message) => void }[] = [];
    const seen: Message[] = [];
    c.on('message', (raw) => {
      const m = raw as Message;
      seen.push(m);
      if (m.t === 'error') log(`child error: ${String(m.message)}`);
      for (const w of waiters.filter((x) => x.t === m.t || m.t === 'error')) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(m);
      }
    });
    const ask = (m: Message | null, answer: string) =>
      new Promise<Message>((resolve, reject) => {
        waiters.push({ t: answer, resolve: (x) => (x.t === 'error' ? reject(new Error(String(x.message))) : resolve(x)) });
        if (m) c.send(m);
      });
    return { c, ask, seen };
  };
  let server: http.Server | null = null;
  try {
    // ── 1. the data center with N events (as bench:sync loads it) ───────────
    const store = await openDatabase({ pg: await cluster.createDatabase('bench') });
    const dc = await startDataCenter({ port: 0, seed: 'demo', database: store });
    const district = generateDemoDistrict();
    log(`loading ${N.toLocaleString('en')} events into the data center (PostgreSQL)`);
    const load = await loadEvents(
      store.db,
      (function* () {
        for (const { record } of generateHistory({ count: N, now: new Date(), grids: district.grids, units: district.units, categories: leafCategories(taxonomy as never) })) yield record;
      })(),
    );
    log(`  loaded in ${s(load.ms)}`);

    // ── 2. the keeper: the data service snapshots the district; FTS completed; exported both ways ──
    const keeperDir = path.join(work, 'keeper');
    const keeper = child(path.join(import.meta.dirname, 'service-child.ts'));
    await keeper.ask(null, 'alive');
    await keeper.ask({ t: 'start', dataDir: keeperDir, url: dc.url }, 'started');
    await keeper.ask({ t: 'login', login: 'duty', password: DEMO_PASSWORD }, 'session');
    const k0 = Number(process.hrtime.bigint()) / 1e6;
    const kc0 = 1000 * processCpuSeconds(keeper.c.pid!);
    await keeper.ask({ t: 'sync' }, 'synced');
    const statuses = keeper.seen.filter((m) => m.t === 'status') as unknown as { at: number; state: string }[];
    const swapped = statuses.find((x, i) => x.state === 'catching_up' && statuses.slice(0, i).some((y) => y.state === 'snapshot'));
    const keeperCpu = 1000 * processCpuSeconds(keeper.c.pid!) - kc0;
    const exited = new Promise((r) => keeper.c.once('exit', r));
    keeper.c.send({ t: 'stop' });
    await exited;
    // the child stamps its statuses with CLOCK_MONOTONIC (process.hrtime), the same clock as k0
    const rowSnapshotMs = swapped ? swapped.at - k0 : NaN;
    log(`  row snapshot (keeper, request → swapped in): ${s(rowSnapshotMs)}, data service CPU ${s(keeperCpu)} up to the end of syncNow`);

    const kr = openReplica({ file: path.join(keeperDir, 'replica.sqlite') });
    const rows = REPLICATED_TABLES.reduce((n, t) => n + (kr.sqlite.prepare(`SELECT count(*) FROM ${t}`).pluck().get() as number), 0);
    const events = kr.sqlite.prepare('SELECT count(*) FROM events').pluck().get() as number;
    log(`  keeper: ${rows.toLocaleString('en')} replicated rows, ${events.toLocaleString('en')} events; file ${MB(statSync(path.join(keeperDir, 'replica.sqlite')).size)}, ${kr.sqlite.pragma('freelist_count', { simple: true }) as number} free pages`);
    /** images by name: `deferred` as the row snapshot leaves the replica (FTS index empty, built after), `backup` and `vacuum` with the FTS index complete */
    const images: Record<string, ImageInfo> = {};
    const exportAs = async (name: string, method: 'backup' | 'vacuum') => {
      const c = process.cpuUsage();
      const t = performance.now();
      images[name] = await exportReplicaImage(kr.sqlite, path.join(work, `image-${name}.sqlite`), { method, check: false });
      log(`  export ${name} (${method}, with its SHA-256, no check): ${s(performance.now() - t)}, CPU ${s(cpuMs(process.cpuUsage(c)))}, ${MB(images[name].bytes)} (${images[name].pages} pages)`);
    };
    // the keeper's background FTS build ran between its swap and its stop: say how far it got
    log(`  keeper's FTS index built through rid ${String(ftsBuiltThrough(kr.sqlite) ?? 'all (complete)')} when image deferred is exported`);
    await exportAs('deferred', 'vacuum');
    {
      const c = process.cpuUsage();
      const t = performance.now();
      while (!buildFtsChunk(kr.sqlite, 5000));
      const ftsBytes = kr.sqlite.prepare('SELECT sum(length(block)) FROM events_fts_data').pluck().get() as number;
      log(`  keeper: FTS index completed in ${s(performance.now() - t)}, CPU ${s(cpuMs(process.cpuUsage(c)))}; its data ${MB(ftsBytes)}`);
    }
    await exportAs('backup', 'backup');
    await exportAs('vacuum', 'vacuum');
    for (const name of ['deferred', 'vacuum']) {
      // read-only: opening it as a replica would put it in WAL mode, and its digest would change
      const image = new Database(images[name]!.file, { readonly: true });
      let c = process.cpuUsage();
      let t = performance.now();
      const verdict = image.pragma('quick_check', { simple: true });
      log(`  quick_check of image ${name}: ${s(performance.now() - t)}, CPU ${s(cpuMs(process.cpuUsage(c)))} (${String(verdict)})`);
      image.close();
      c = process.cpuUsage();
      t = performance.now();
      await sha256Of(images[name]!.file);
      log(`  SHA-256 of image ${name} alone: ${s(performance.now() - t)}, CPU ${s(cpuMs(process.cpuUsage(c)))}`);
    }
    kr.close();

    // ── 3. the images over node:http on loopback ────────────────────────────
    server = http.createServer((req, res) => {
      const url = new URL(req.url ?? '/', 'http://x');
      const image = images[url.searchParams.get('image') ?? 'vacuum'];
      if (url.pathname !== '/sync/image' || !image || url.searchParams.get('scope') !== image.scope) return void res.writeHead(404).end();
      res.writeHead(200, {
        'content-type': 'application/vnd.sqlite3',
        'content-length': image.bytes,
        'x-huying-image-sha256': image.sha256,
        'x-huying-image-scope': image.scope,
        'x-huying-image-cursor': `${image.cursor.epoch}:${image.cursor.v}`,
      });
      createReadStream(image.file).pipe(res);
    });
    await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/sync/image?scope=district`;

    // ── 4. rounds: raw baseline, then the image path (both images; checked by digest, and by quick_check) ──
    const target = child(import.meta.filename, { HUYING_IMAGE_PATH_ROLE: 'target' });
    await target.ask(null, 'alive');
    const lines: string[] = [];
    let firstRaw: number | null = null;
    for (let round = 1; round <= ROUNDS; round++) {
      const raw = await measureRawInsert(store.db, path.join(work, `raw-${round}.sqlite`));
      rmSync(path.join(work, `raw-${round}.sqlite`), { force: true });
      firstRaw ??= raw.rowsPerSecond;
      log(`round ${round}: raw insert ${raw.rows.toLocaleString('en')} rows in ${s(raw.ms)} = ${Math.round(raw.rowsPerSecond)} rows/s, CPU ${s(raw.cpuMs)}; ${machineNote()}`);
      for (const [name, check] of [['deferred', 'digest'], ['vacuum', 'digest'], ['deferred', 'quick']] as const) {
        const d = await target.ask({ t: 'round', url: `${base}&image=${name}`, dir: path.join(work, `target-${round}-${name}-${check}`), check }, 'done');
        const ms = d.ms as Record<string, number>;
        const cpu = d.cpuMs as Record<string, number>;
        const rate = rows / (ms.total! / 1000);
        const line = `round ${round} image ${name} (${MB(images[name]!.bytes)}, ${check}): ${s(ms.total!)} = ${Math.round(rate)} rows/s, ratio ${(rate / raw.rowsPerSecond).toFixed(2)}× (events only ${(events / (ms.total! / 1000) / raw.rowsPerSecond).toFixed(2)}×); GET ${s(ms.get!)}, verify ${s(ms.verify!)}, copy ${s(ms.copy!)}, checkpoint ${s(ms.checkpoint!)}; CPU ${s(cpu.total!)} (GET ${s(cpu.get!)}) = ${(cpu.total! / raw.cpuMs).toFixed(2)}× the raw insert's; cursor ${String(d.cursor)}, queued ${String(d.queued)}, events ${String(d.events)}, max RSS ${Number(d.maxRssMB).toFixed(0)} MB; ${machineNote()}`;
        log(line);
        lines.push(line);
      }
    }
    target.c.send({ t: 'stop' });
    const rowRate = rows / (rowSnapshotMs / 1000);
    log(
      `summary (${N.toLocaleString('en')} events, ${rows.toLocaleString('en')} rows; images ${Object.entries(images).map(([k, v]) => `${k} ${MB(v.bytes)}`).join(', ')}; the keeper's row snapshot ${s(rowSnapshotMs)} = ${Math.round(rowRate)} rows/s, ${(rowRate / (firstRaw ?? NaN)).toFixed(2)}× round 1's raw insert; at start: ${machineAtStart}):\n  ${lines.join('\n  ')}`,
    );
    await dc.close();
    await store.close();
  } finally {
    server?.close();
    for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
    await cluster.stop();
    rmSync(work, { recursive: true, force: true });
  }
}
