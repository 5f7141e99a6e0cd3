/**
 * The replica image's download on its own (docs/sync-client.md, "The image's body, received"): a data center's
 * image route (src/datacenter/sync/image-route.ts, on a bare fastify in a child process) serves a file of N bytes,
 * and a desktop-like child process takes it as the sync client does — node:http GET (snapshot-http.ts), the
 * headers checked (imageAnswerOf), the body received into a file (receiveImageBody: SHA-256, flushes, the
 * length), then the switch's fsync. Its baseline, measured in the same run and alternated with it run by run: the
 * floor of that work — the same GET, each chunk hashed and written with fs.writeSync, one fdatasync at the end.
 *
 * Figures (bench/results/image-download.json): wall time and the client's CPU against the floor's, the longest
 * and the p99 event-loop delay of the receiving process (perf_hooks monitorEventLoopDelay: the data service's
 * thread also answers the renderer and paints the progress; a synchronous block at the very end, the fsync, is
 * not seen by it), the whole machine's busy CPU (/proc/stat: the kernel's writeback included, which the periodic
 * flushes move into the client's own figure), and the data center's CPU per GB served (its process's /proc stat
 * around each download; no baseline). On a shared VM the CPU figures move by ±30% from run to run: compare the
 * ratios of one run, not figures across runs.
 *
 *   tsx bench/sync/image-download.ts [--bytes N] [--file PATH] [--dir DIR] [--runs R]
 *
 * Without --file a file of N bytes (default 2.6 GB, the 10^6-event image's size) is generated once into DIR
 * (default <tmp>/huying-bench-image-download) and kept for the next run; with --file an existing file is served
 * through a symbolic link in DIR, read only.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { createHash, randomFillSync } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import type { Actor } from '../../src/core';
import { formatImageCursor, IMAGE_CONTENT_TYPE, imageManifestName, type ImageManifest } from '../../src/core/sync/image';
import { imageAnswerOf, receiveImageBody } from '../../src/main/service/sync/image-http';
import { nodeSnapshotGet } from '../../src/main/service/sync/snapshot-http';
import { figure, log, machineNote, writeResults } from '../support/results';

const SCOPE = 'district';
const SCHEMA = '1-bench-image-download';
const PAGE_SIZE = 16384;
const CURSOR = { epoch: 'bench-epoch', v: 1 };

interface Outcome {
  mode: 'receive' | 'floor';
  ms: number;
  cpuUserMs: number;
  cpuSysMs: number;
  loopP99Ms: number;
  loopMaxMs: number;
  /** the body's chunks as they came */
  chunks: number;
  sha256: string;
}

function argOf(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

/** user + system CPU ms of a process so far (/proc/<pid>/stat, ticks of 10 ms) */
function cpuMsOf(pid: number): number {
  const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

/** busy CPU ms of the whole machine so far (/proc/stat: all but idle and iowait): the kernel's writeback threads included */
function machineBusyMs(): number {
  const [, user, nice, system, , , irq, softirq, steal] = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).map(Number);
  return (user! + nice! + system! + irq! + softirq! + steal!) * 10;
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

/** A file of `bytes` incompressible bytes (a random 4 MB block, each copy stamped with its index) and its SHA-256. */
function makeImage(file: string, bytes: number): string {
  const digestFile = `${file}.sha256`;
  if (fs.existsSync(file) && fs.existsSync(digestFile) && fs.statSync(file).size === bytes) return fs.readFileSync(digestFile, 'utf8').trim();
  log(`writing a ${(bytes / 1e9).toFixed(2)} GB image to ${file}`);
  const block = randomFillSync(Buffer.alloc(4 * 2 ** 20));
  const hash = createHash('sha256');
  const fd = fs.openSync(file, 'w');
  try {
    for (let at = 0, i = 0; at < bytes; i++) {
      block.writeUInt32LE(i, 0);
      const part = block.subarray(0, Math.min(block.length, bytes - at));
      hash.update(part);
      fs.writeSync(fd, part);
      at += part.length;
    }
    fs.fdatasyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  const sha256 = hash.digest('hex');
  fs.writeFileSync(digestFile, sha256);
  return sha256;
}

function sha256Of(file: string): string {
  const hash = createHash('sha256');
  const fd = fs.openSync(file, 'r');
  const buf = Buffer.allocUnsafe(4 * 2 ** 20);
  try {
    for (let n; (n = fs.readSync(fd, buf)) > 0; ) hash.update(buf.subarray(0, n));
  } finally {
    fs.closeSync(fd);
  }
  return hash.digest('hex');
}

/** The server child: the data center's image route on a bare fastify, its auth and head stubbed to "allowed, current". */
async function serve(imagesDir: string): Promise<void> {
  const { default: Fastify } = await import('fastify');
  const { registerImageRoute } = await import('../../src/datacenter/sync/image-route');
  const app = Fastify();
  const actor: Actor = { id: 'bench', name: 'Bench', role: 'admin', organisationId: 'district-440114', scope: { level: 'district', code: '440114' } };
  registerImageRoute(app, { imagesDir, requireActor: () => actor, head: async () => ({ ...CURSOR, floor: 0 }), stallTimeoutMs: 30_000 });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const { port } = app.server.address() as { port: number };
  process.send!({ t: 'listening', url: `http://127.0.0.1:${port}` });
}

/** The client child: one download, as the sync client takes it, or the floor of the same work. */
async function download(url: string, out: string, mode: Outcome['mode']): Promise<Outcome> {
  fs.rmSync(out, { force: true });
  const loop = monitorEventLoopDelay({ resolution: 5 });
  loop.enable();
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  const res = await nodeSnapshotGet(new URL(`/api/v1/sync/image?scope=${SCOPE}&schema=${SCHEMA}&pageSize=${PAGE_SIZE}`, url), {
    headers: { accept: IMAGE_CONTENT_TYPE },
    signal: new AbortController().signal,
  });
  if (res.status !== 200 || !res.body) throw new Error(`image GET answered ${res.status}: ${await res.text()}`);
  const answer = imageAnswerOf(res.headers, { scope: SCOPE, schema: SCHEMA as never });
  let sha256: string;
  let chunks = 0;
  if (mode === 'receive') {
    let seen = 0;
    sha256 = await receiveImageBody(res.body, out, answer.bytes, (n) => {
      seen = n;
      chunks++;
    });
    if (seen !== answer.bytes) throw new Error(`onBytes saw ${seen} of ${answer.bytes}`);
  } else {
    const hash = createHash('sha256');
    const fd = fs.openSync(out, 'wx');
    try {
      for await (const chunk of res.body as AsyncIterable<Buffer>) {
        chunks++;
        hash.update(chunk);
        fs.writeSync(fd, chunk);
      }
      fs.fdatasyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    sha256 = hash.digest('hex');
  }
  // the switch's fsync before its rename (for the floor: its last part is already flushed)
  const fd = fs.openSync(out, 'r+');
  fs.fdatasyncSync(fd);
  fs.closeSync(fd);
  const ms = performance.now() - t0;
  const cpu = process.cpuUsage(c0);
  loop.disable();
  fs.rmSync(out, { force: true });
  if (sha256 !== answer.sha256) throw new Error(`${mode}: SHA-256 ${sha256}, the answer says ${answer.sha256}`);
  return { mode, ms, cpuUserMs: cpu.user / 1000, cpuSysMs: cpu.system / 1000, loopP99Ms: loop.percentile(99) / 1e6, loopMaxMs: loop.max / 1e6, chunks, sha256 };
}

type Run = Outcome & { serverCpuMs: number; machineMs: number };

function child(args: string[]): ChildProcess {
  return fork(import.meta.filename, args, { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
}

const nextMessage = <T>(c: ChildProcess) =>
  new Promise<T>((resolve, reject) => {
    c.once('message', (m) => resolve(m as T));
    c.once('exit', (code) => reject(new Error(`child exited with ${code}`)));
  });

async function main(): Promise<void> {
  const bytes = Number(argOf('bytes') ?? 2.6e9);
  const runs = Number(argOf('runs') ?? 3);
  const dir = argOf('dir') ?? path.join(os.tmpdir(), 'huying-bench-image-download');
  const source = argOf('file');
  fs.mkdirSync(dir, { recursive: true });

  const imageName = 'district-bench.sqlite';
  const imageFile = path.join(dir, imageName);
  let sha256: string;
  if (source) {
    fs.rmSync(imageFile, { force: true });
    fs.symlinkSync(path.resolve(source), imageFile);
    log(`hashing ${source}`);
    sha256 = sha256Of(imageFile);
  } else {
    sha256 = makeImage(imageFile, bytes);
  }
  const size = fs.statSync(imageFile).size;
  const manifest: ImageManifest = { format: 1, scope: SCOPE, schema: SCHEMA as never, pageSize: PAGE_SIZE, file: imageName, bytes: size, sha256, cursor: CURSOR, builtAt: new Date().toISOString() };
  fs.writeFileSync(path.join(dir, imageManifestName(SCOPE)), JSON.stringify(manifest));
  const out = path.join(dir, 'replica-image.download');

  const loadBefore = machineNote();
  const server = child(['--serve', dir]);
  const outcomes: Run[] = [];
  try {
    const { url } = await nextMessage<{ url: string }>(server);
    log(`serving ${(size / 1e9).toFixed(2)} GB (cursor ${formatImageCursor(CURSOR)}) at ${url}; ${runs} runs of each, alternating`);
    for (let i = 0; i < runs; i++) {
      for (const mode of ['floor', 'receive'] as const) {
        const c = child(['--download', url, out, mode]);
        await nextMessage<{ t: 'ready' }>(c);
        const serverCpu0 = cpuMsOf(server.pid!);
        const machine0 = machineBusyMs();
        c.send({ t: 'go' });
        const outcome = await nextMessage<Outcome>(c);
        const serverCpuMs = cpuMsOf(server.pid!) - serverCpu0;
        const machineMs = machineBusyMs() - machine0;
        await new Promise((r) => c.once('exit', r));
        outcomes.push({ ...outcome, serverCpuMs, machineMs });
        log(
          `${mode.padEnd(7)} ${(outcome.ms / 1000).toFixed(1)} s, ${(size / 1e6 / (outcome.ms / 1000)).toFixed(0)} MB/s, client CPU ${((outcome.cpuUserMs + outcome.cpuSysMs) / 1000).toFixed(1)} s (user ${(outcome.cpuUserMs / 1000).toFixed(1)}), loop p99 ${outcome.loopP99Ms.toFixed(1)} ms max ${outcome.loopMaxMs.toFixed(0)} ms, server CPU ${(serverCpuMs / 1000).toFixed(1)} s, machine ${(machineMs / 1000).toFixed(1)} s, ${outcome.chunks} chunks; load ${os.loadavg()[0]!.toFixed(1)}`,
        );
      }
    }
  } finally {
    server.kill();
  }
  const of = (mode: Outcome['mode'], f: (o: Run) => number) => median(outcomes.filter((o) => o.mode === mode).map(f));
  const list = (mode: Outcome['mode'], f: (o: Run) => number) =>
    outcomes
      .filter((o) => o.mode === mode)
      .map(f)
      .map((x) => x.toFixed(1))
      .join(', ');
  const gb = size / 1e9;
  const notes = `${(size / 1e9).toFixed(2)} GB ${source ? `(${source})` : '(generated)'} over loopback from the image route on fastify (its own process) to a child process; medians of ${runs} runs each, floor and receive alternating; load before: ${loadBefore}; after: ${machineNote()}`;
  const name = 'image download: receiveImageBody (+ the switch’s fsync) vs the floor (read, SHA-256, fs.writeSync per chunk, one fdatasync)';
  const figures = [
    figure({ name, metric: 'wall_seconds', value: of('receive', (o) => o.ms / 1000), baseline: of('floor', (o) => o.ms / 1000), unit: 's', notes: `receive ${list('receive', (o) => o.ms / 1000)} s, floor ${list('floor', (o) => o.ms / 1000)} s; ${notes}` }),
    figure({
      name,
      metric: 'client_cpu_seconds',
      value: of('receive', (o) => (o.cpuUserMs + o.cpuSysMs) / 1000),
      baseline: of('floor', (o) => (o.cpuUserMs + o.cpuSysMs) / 1000),
      unit: 's',
      notes: `user+system; receive ${list('receive', (o) => (o.cpuUserMs + o.cpuSysMs) / 1000)} s (user ${list('receive', (o) => o.cpuUserMs / 1000)}), floor ${list('floor', (o) => (o.cpuUserMs + o.cpuSysMs) / 1000)} s (user ${list('floor', (o) => o.cpuUserMs / 1000)}); ${notes}`,
    }),
    figure({
      name,
      metric: 'event_loop_delay_p99',
      value: of('receive', (o) => o.loopP99Ms),
      baseline: of('floor', (o) => o.loopP99Ms),
      unit: 'ms',
      target: '< 50 ms',
      met: of('receive', (o) => o.loopP99Ms) < 50,
      notes: `monitorEventLoopDelay (5 ms resolution) over the whole download; receive ${list('receive', (o) => o.loopP99Ms)} ms; ${notes}`,
    }),
    figure({
      name,
      metric: 'event_loop_delay_max',
      value: of('receive', (o) => o.loopMaxMs),
      baseline: of('floor', (o) => o.loopMaxMs),
      unit: 'ms',
      notes: `the longest event-loop delay of each download (median over runs); receive ${list('receive', (o) => o.loopMaxMs)} ms, floor ${list('floor', (o) => o.loopMaxMs)} ms; ${notes}`,
    }),
    figure({
      name,
      metric: 'machine_cpu_seconds',
      value: of('receive', (o) => o.machineMs / 1000),
      baseline: of('floor', (o) => o.machineMs / 1000),
      unit: 's',
      notes: `the whole machine's busy CPU during each download (/proc/stat): client, server and the kernel's writeback threads (the flushes move writeback into the client's own CPU, so its figure alone overstates them) — and whatever else ran; receive ${list('receive', (o) => o.machineMs / 1000)} s, floor ${list('floor', (o) => o.machineMs / 1000)} s; ${notes}`,
    }),
    figure({
      name: 'image route: data center CPU per GB served (fastify, the file streamed from its descriptor)',
      metric: 'server_cpu_seconds_per_gb',
      value: of('receive', (o) => o.serverCpuMs / 1000 / gb),
      baseline: null,
      unit: 's/GB',
      notes: `the server process's user+system CPU around each download (/proc, 10 ms ticks), during the receive runs; during the floor runs ${list('floor', (o) => o.serverCpuMs / 1000 / gb)} s/GB; ${notes}`,
    }),
  ];
  log(`wrote ${writeResults('image-download', figures)}`);
}

const mode = process.argv[2];
if (mode === '--serve') {
  await serve(process.argv[3]!);
} else if (mode === '--download') {
  // started (tsx compiles this file) before the parent's counters are read
  process.send!({ t: 'ready' });
  await new Promise((resolve) => process.once('message', resolve));
  const outcome = await download(process.argv[3]!, process.argv[4]!, process.argv[5] as Outcome['mode']);
  process.send!(outcome);
  process.disconnect();
} else {
  await main();
}
