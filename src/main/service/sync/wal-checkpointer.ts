/**
 * The WAL checkpoint after a replica image's switch, off the data service's thread.
 *
 * The switch (store/replica-image.ts) commits the image into the WAL: ~0.5 GB at 200,000 events, whose
 * checkpoint into the database file took 2.6–3.6 s on the service's connection (docs/sync-client.md, "A
 * replica image switched in whole"). Here a worker thread opens a connection of its own to the replica file
 * and runs `wal_checkpoint(PASSIVE)` until every frame is in the database file — a passive checkpoint
 * blocks neither the service's reads nor its writes — then `wal_checkpoint(TRUNCATE)` with no busy wait,
 * retried while a reader or a writer is in the WAL, so the `-wal` gives its disk space back. Writes the
 * service commits meanwhile land in the same WAL and are checkpointed by the later passes.
 *
 * The caller turns its own connection's `wal_autocheckpoint` off before the switch and back on once this
 * is over: with it on, the first commit on the service's connection after the switch (the switch's own
 * `snapshot_at` stamp) checkpoints the whole WAL on the service's thread (measured: the database file had
 * the image's size when the switch returned). Whatever happens here, the caller turns it back on, so the
 * WAL is checkpointed by SQLite's own autocheckpoint again and does not grow without bound.
 *
 * The worker is a few lines of plain JavaScript evaluated in the worker (no bundle entry of its own):
 * better-sqlite3 is loaded from the path this module resolves, with the replica's native binding.
 */
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

export interface CheckpointOptions {
  /** the replica's database file */
  file: string;
  /** better-sqlite3's `nativeBinding`, as the replica was opened with */
  nativeBinding?: string;
  /** passive passes at most before trying TRUNCATE anyway; default 200 */
  passes?: number;
  /** TRUNCATE tries at most; default 100 */
  truncateTries?: number;
  /** between passes and tries; default 50 ms */
  retryMs?: number;
}

export interface CheckpointResult {
  /** passive passes run */
  passes: number;
  /** frames in the WAL and frames checkpointed, at the last passive pass */
  log: number;
  checkpointed: number;
  /** the WAL was truncated to zero bytes */
  truncated: boolean;
  /** TRUNCATE tries */
  tries: number;
  /** from the worker's start to its answer */
  ms: number;
}

/** the worker (CommonJS: the `eval` worker's own module kind) */
const WORKER = `
const { parentPort, workerData: w } = require('node:worker_threads');
const Database = require(w.module);
const pause = (ms) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
const t0 = Date.now();
const db = new Database(w.file, w.nativeBinding ? { fileMustExist: true, nativeBinding: w.nativeBinding } : { fileMustExist: true });
try {
  db.pragma('busy_timeout = 0');
  db.pragma('synchronous = FULL');
  let passes = 0;
  let last;
  for (;;) {
    last = db.pragma('wal_checkpoint(PASSIVE)')[0];
    passes += 1;
    if ((last.busy === 0 && last.checkpointed >= last.log) || passes >= w.passes) break;
    pause(w.retryMs);
  }
  let truncated = false;
  let tries = 0;
  while (tries < w.truncateTries) {
    tries += 1;
    if (db.pragma('wal_checkpoint(TRUNCATE)')[0].busy === 0) {
      truncated = true;
      break;
    }
    pause(w.retryMs);
  }
  parentPort.postMessage({ passes, log: last.log, checkpointed: last.checkpointed, truncated, tries, ms: Date.now() - t0 });
} finally {
  db.close();
}
`;

export interface RunningCheckpoint {
  /** the worker's answer; rejects when it failed (an I/O error, the worker could not start) */
  readonly done: Promise<CheckpointResult>;
  /** ends the worker (after the SQLite call it is in) and waits for it */
  stop(): Promise<void>;
}

/** Starts the checkpoint of `file`'s WAL in a worker thread. */
export function checkpointOffThread(opts: CheckpointOptions): RunningCheckpoint {
  const worker = new Worker(WORKER, {
    eval: true,
    workerData: {
      module: createRequire(import.meta.url).resolve('better-sqlite3'),
      file: opts.file,
      nativeBinding: opts.nativeBinding ?? null,
      passes: opts.passes ?? 200,
      truncateTries: opts.truncateTries ?? 100,
      retryMs: opts.retryMs ?? 50,
    },
  });
  const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
  const done = new Promise<CheckpointResult>((resolve, reject) => {
    worker.once('message', (m: CheckpointResult) => resolve(m));
    worker.once('error', reject);
    void exited.then(() => reject(new Error('the checkpoint worker exited without an answer')));
  });
  done.catch(() => undefined);
  return {
    done,
    async stop() {
      await worker.terminate();
      await exited;
    },
  };
}
