/**
 * bench:sync's image path (docs/sync-client.md "A replica image switched in whole", docs/image-keeper.md):
 * a keeper (src/main/service/keeper/cli.ts, its own process, as an operator runs it) replicates the district
 * from the bench's data center and writes its image into the data center's `--images` folder; then a data
 * service with an empty data folder (bench/sync/service-child.ts, its own process) syncs the district as any
 * desktop does, and takes the image: GET /api/v1/sync/image → download → switch in → ready (its status
 * `catching_up` after `snapshot`, as the row snapshot's figure counts). The keeper's own costs (its row
 * snapshot, the export, its CPU and peak RSS, the image's bytes) are measured and reported beside the figure:
 * they are paid once per scope and renewal, not per desktop.
 *
 * The keeper's first image carries the part of the full-text index its background build (sync/fts-builder.ts) had
 * done; it publishes another as soon as the index is complete (`image written` with `ftsComplete: true`), and that
 * is the image a desktop meets once the keeper has settled: `completeImage()` waits for it.
 */
import { fork, spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { DEMO_PASSWORD } from '../../src/datacenter/auth';
import { log } from '../support/results';

type Message = { t: string; [k: string]: unknown };
const nowMs = () => Number(process.hrtime.bigint()) / 1e6;
const root = path.resolve(import.meta.dirname, '../..');

/** user + system CPU ms of a process so far (/proc/<pid>/stat, ticks of 10 ms) */
function cpuMsOf(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

/** the peak RSS of a live process so far, MB (/proc/<pid>/status VmHWM) */
function peakRssMbOf(pid: number): number {
  const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

/** an image the keeper wrote (its `image written` line) */
export interface KeeperImage {
  /** keeper started → this image written, ms */
  atMs: number;
  /** the export's own ms */
  exportMs: number;
  bytes: number;
  sha256: string;
  /** the image holds the whole full-text index */
  ftsComplete: boolean;
  /** the keeper's CPU (all its threads) from its start to this image, ms */
  cpuMs: number;
  /** its peak RSS so far, MB */
  peakRssMb: number;
}

const orNaN = (f: () => number): number => {
  try {
    return f();
  } catch {
    return NaN;
  }
};

export interface KeeperRun {
  /** keeper started → first image written, ms */
  firstImageMs: number;
  /** the first image's export, ms (the keeper's `image written` line) */
  exportMs: number;
  bytes: number;
  cpuMs: number;
  peakRssMb: number;
  first: KeeperImage;
  /**
   * the first image that holds the whole full-text index (the first itself when it does), waited for up to `timeoutMs`
   * (default 2 h: at 10^6 events the keeper's background build ran at ~400 events/s once its index passed 3·10^5,
   * docs/sync-client.md "Live batches while the FTS index builds")
   */
  completeImage(timeoutMs?: number): Promise<KeeperImage>;
  /** keeper started → its FTS build ended (its data service's `full-text index built`), ms, and the build's own ms; null before (or without one) */
  ftsBuilt(): { atMs: number; ms: number } | null;
  /** the keeper's CPU so far, ms */
  cpuNowMs(): number;
  stop(): Promise<void>;
}

/** Starts a keeper of the district against `dataCenterUrl` and resolves once its first image is written. */
export async function startBenchKeeper(dataCenterUrl: string, imagesDir: string, dataDir: string, timeoutMs = 30 * 60_000): Promise<KeeperRun> {
  const t0 = nowMs();
  const images: KeeperImage[] = [];
  const imageWaiters: ((image: KeeperImage) => void)[] = [];
  let ftsBuilt: { atMs: number; ms: number } | null = null;
  const keeper: ChildProcess = spawn(
    process.execPath,
    ['--import', 'tsx', path.join(root, 'src/main/service/keeper/cli.ts'), '--datacenter', dataCenterUrl, '--images', imagesDir, '--data', dataDir, '--user', 'duty', '--renew-minutes', '600'],
    { cwd: root, env: { ...process.env, HUYING_KEEPER_PASSWORD: DEMO_PASSWORD }, stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const exited = new Promise<number | null>((r) => keeper.once('exit', (code) => r(code)));
  const first = await new Promise<KeeperImage>((resolve, reject) => {
    // either way out kills what the other leaves: a keeper that wrote nothing in time is killed (it would outlive
    // the bench), and a keeper that exited early clears the timer (it would hold the bench's event loop for 30 min)
    const timer = setTimeout(() => {
      keeper.kill('SIGKILL');
      reject(new Error(`the keeper wrote no image in ${timeoutMs / 1000} s`));
    }, timeoutMs);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`the keeper exited (${code}) before its first image`));
    });
    imageWaiters.push((image) => {
      clearTimeout(timer);
      resolve(image);
    });
    // for the keeper's whole life: every image it writes, and the end of its FTS build
    createInterface({ input: keeper.stdout! }).on('line', (line) => {
      let entry: { msg?: string; ms?: number; bytes?: number; sha256?: string; ftsComplete?: boolean; level?: number };
      try {
        entry = JSON.parse(line) as typeof entry;
      } catch {
        return log(`keeper: ${line}`);
      }
      if ((entry.level ?? 0) >= 40) log(`keeper: ${line.slice(0, 400)}`);
      if (entry.msg === 'full-text index built') ftsBuilt = { atMs: nowMs() - t0, ms: entry.ms ?? NaN };
      if (entry.msg === 'image written') {
        const image: KeeperImage = {
          atMs: nowMs() - t0,
          exportMs: entry.ms ?? NaN,
          bytes: entry.bytes ?? NaN,
          sha256: entry.sha256 ?? '',
          ftsComplete: entry.ftsComplete === true,
          // NaN when the line is read after the keeper exited (an export published while it stopped)
          cpuMs: orNaN(() => cpuMsOf(keeper.pid!)),
          peakRssMb: orNaN(() => peakRssMbOf(keeper.pid!)),
        };
        images.push(image);
        for (const w of imageWaiters.splice(0)) w(image);
      }
    });
  });
  return {
    firstImageMs: first.atMs,
    exportMs: first.exportMs,
    bytes: first.bytes,
    cpuMs: first.cpuMs,
    peakRssMb: first.peakRssMb,
    first,
    completeImage(completeTimeoutMs = 2 * 3_600_000) {
      const done = images.find((i) => i.ftsComplete);
      if (done) return Promise.resolve(done);
      return new Promise<KeeperImage>((resolve, reject) => {
        const timer = setTimeout(() => {
          imageWaiters.splice(imageWaiters.indexOf(waiter), 1);
          reject(new Error(`the keeper wrote no image with the whole full-text index in ${completeTimeoutMs / 1000} s`));
        }, completeTimeoutMs);
        const waiter = (image: KeeperImage) => {
          if (!image.ftsComplete) return void imageWaiters.push(waiter);
          clearTimeout(timer);
          resolve(image);
        };
        imageWaiters.push(waiter);
        void exited.then((code) => {
          clearTimeout(timer);
          reject(new Error(`the keeper exited (${code}) before an image with the whole full-text index`));
        });
      });
    },
    ftsBuilt: () => ftsBuilt,
    cpuNowMs: () => cpuMsOf(keeper.pid!),
    async stop() {
      keeper.kill('SIGTERM');
      const timer = setTimeout(() => keeper.kill('SIGKILL'), 30_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

export interface ImageSync {
  /** request → ready (status catching_up after snapshot), ms */
  ms: number;
  /**
   * the sync client's own account ('replica image switched in'), ms: total, download, verify, and then — renamed —
   * fsync, carry (carry, close, rename, folder fsync) and reopen, or — copied — copy and checkpoint
   */
  parts: Record<string, number> | null;
  /** how the image became the replica ('rename', or 'copy' where it could not be renamed or was asked for) */
  how: string | null;
  bytes: number | null;
  /** the data service's CPU from the request to ready, ms (all its threads) */
  cpuMs: number;
  peakRssMb: number;
  /** what the data service's replica holds afterwards: rows of the replicated tables, and its cursor */
  outcome: unknown;
  /**
   * how far the replica's full-text index is built at ready (store/replica-writes.ts ftsBuiltThrough): null when it is
   * complete — the image held the whole index and the data service has no FTS build to run
   */
  ftsBuiltThrough: number | null;
  /** the ms of an FTS build the data service ran and finished (its 'full-text index built') before it stopped; null: none */
  ftsBuildMs: number | null;
}

/** A fresh data service (its own process, an empty data folder) syncs the district; it should take the image (`imageSwitch`: how it switches it in). */
export async function syncByImage(dataCenterUrl: string, dataDir: string, opts: { imageSwitch?: 'rename' | 'copy' } = {}): Promise<ImageSync> {
  const child = fork(path.join(import.meta.dirname, 'service-child.ts'), [], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const statuses: { at: number; state: string; progress: { rows: number; bytes: number } | null }[] = [];
  const waiters: { t: string; resolve: (m: Message) => void }[] = [];
  let cpuAtReady: number | null = null;
  let image = null as Message | null;
  let ftsBuilt = null as Message | null;
  child.on('message', (raw) => {
    const m = raw as Message;
    if (m.t === 'status') {
      statuses.push(m as never);
      if (cpuAtReady === null && m.state === 'catching_up' && statuses.some((s) => s.state === 'snapshot')) cpuAtReady = cpuMsOf(child.pid!);
    } else if (m.t === 'image') image = m;
    else if (m.t === 'ftsBuilt') ftsBuilt = m;
    else if (m.t === 'error') log(`image service error: ${String(m.message)}`);
    for (const w of waiters.filter((x) => x.t === m.t)) {
      waiters.splice(waiters.indexOf(w), 1);
      w.resolve(m);
    }
  });
  const ask = (m: Message, answer: string) =>
    new Promise<Message>((resolve) => {
      waiters.push({ t: answer, resolve });
      child.send(m);
    });
  try {
    await ask({ t: 'start', dataDir, url: dataCenterUrl, ...(opts.imageSwitch ? { imageSwitch: opts.imageSwitch } : {}) }, 'started');
    await ask({ t: 'login', login: 'duty', password: DEMO_PASSWORD }, 'session');
    const s0 = nowMs();
    const cpu0 = cpuMsOf(child.pid!);
    const synced = await ask({ t: 'sync' }, 'synced');
    const ready = statuses.find((s, i) => s.state === 'catching_up' && statuses.slice(0, i).some((x) => x.state === 'snapshot'));
    if (!ready) throw new Error(`the image path's data service never reached catching_up after a snapshot (outcome ${JSON.stringify(synced.outcome)})`);
    const snapshots = statuses.filter((s) => s.state === 'snapshot' && s.at <= ready.at);
    // an image's progress counts bytes and no rows; a row snapshot's counts rows
    if (snapshots.some((s) => (s.progress?.rows ?? 0) > 0)) throw new Error('the data service took the row snapshot, not the image');
    const fts = await ask({ t: 'fts' }, 'fts');
    const peak = ((await ask({ t: 'memory' }, 'memory')).peak as number) / 2 ** 20;
    return {
      ms: ready.at - s0,
      parts: (image?.ms as ImageSync['parts']) ?? null,
      how: (image?.how as string | undefined) ?? null,
      bytes: (image?.bytes as number | undefined) ?? null,
      cpuMs: (cpuAtReady ?? cpuMsOf(child.pid!)) - cpu0,
      peakRssMb: peak,
      outcome: synced.outcome,
      ftsBuiltThrough: fts.through as number | null,
      ftsBuildMs: (ftsBuilt?.ms as number | undefined) ?? null,
    };
  } finally {
    const exited = new Promise((r) => child.once('exit', r));
    child.send({ t: 'stop' });
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    await exited;
    clearTimeout(timer);
  }
}
