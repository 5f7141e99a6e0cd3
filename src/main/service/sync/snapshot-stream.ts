/**
 * Reads a snapshot response: NDJSON, one SnapshotFrame per line, handed to
 * `onFrame` one at a time as bytes arrive (a district's snapshot is never
 * held in memory whole), each `rows` frame with its rows extracted for the
 * staging inserts (./snapshot-frames.ts). A line that is not JSON or not a
 * frame, or a row the replica cannot index, is malformed; a body that ends
 * without `end` was cut off.
 *
 * Parsing — UTF-8 decoding, JSON.parse, the frame check, column extraction
 * and the document text, about two thirds of a snapshot's CPU on the client —
 * can run in a worker thread (./snapshot-worker.ts): `parser: 'worker'`, or
 * 'auto' when the begin frame announces at least PARSER_WORKER_MIN_ROWS rows.
 * The data service's thread then only moves bytes and inserts rows, and the
 * two overlap — worth it with a core to spare; on 2 cores shared with the data
 * center it measured slower than parsing inline, the sync client's default
 * (docs/sync-client.md, "Parsing in a worker"). The bytes
 * handed to the worker and not yet staged are bounded by
 * PARSER_MAX_BYTES_IN_FLIGHT (the body is not read further until the data
 * service's thread has caught up), so the worker never holds more than a few
 * frames. Small snapshots are parsed on the service's thread: a worker costs
 * a thread start, worth it only for many rows.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Readable } from 'node:stream';
import { Worker } from 'node:worker_threads';
import { MalformedError, UnavailableError } from './http';
import { SnapshotLineParser, type ParsedFrame } from './snapshot-frames';
import type { FromParser, ParserWorkerData, ToParser } from './snapshot-worker';

export type { ParsedFrame } from './snapshot-frames';

const NL = 0x0a;

/** A snapshot of at least this many rows is parsed in the worker (when `parser` is 'auto'). */
export const PARSER_WORKER_MIN_ROWS = 20_000;
/** Bytes handed to the parser worker whose frames are not staged yet, at most (a `rows` frame of 1,000 events is ~1.8 MB: about four of them). */
export const PARSER_MAX_BYTES_IN_FLIGHT = 8 * 2 ** 20;

export interface SnapshotReadOptions {
  /** the request asked for the data center's extracted columns (`?columns=`): only then are rows' `c` taken (SnapshotLineParser) */
  askedForColumns: boolean;
  /** 'auto' (default): the worker for a snapshot of at least PARSER_WORKER_MIN_ROWS rows, else this thread */
  parser?: 'auto' | 'worker' | 'inline';
  /** where a bundled build finds the worker's script; default: next to this module or one folder up */
  workerScript?: string;
  /** default PARSER_MAX_BYTES_IN_FLIGHT */
  maxBytesInFlight?: number;
}

export interface SnapshotReadResult {
  ended: boolean;
  bytes: number;
  /** where the rows were parsed */
  parser: 'worker' | 'inline';
}

/**
 * `body`: a web stream (fetch's Response) or a Node stream (node:http's response, ./snapshot-http.ts);
 * it is cancelled (destroyed) when the read ends early.
 */
export async function readSnapshotStream(
  body: ReadableStream<Uint8Array> | Readable,
  onFrame: (frame: ParsedFrame, bytesSoFar: number) => void | 'stop',
  opts: SnapshotReadOptions,
): Promise<SnapshotReadResult> {
  const reader = chunkReader(body);
  const inline = new SnapshotLineParser(opts.askedForColumns);
  let bytes = 0;
  /** bytes parsed on this thread (before the worker took over) */
  let inlineBytes = 0;
  let mode: 'inline' | 'worker' | null = opts.parser === 'inline' ? 'inline' : opts.parser === 'worker' ? 'worker' : null;
  let worker: ParserWorker | null = null;
  const deliver = (frames: { frame: ParsedFrame; at: number }[]): boolean => {
    for (const f of frames) if (onFrame(f.frame, f.at) === 'stop') return true;
    return false;
  };
  const toWorker = (): ParserWorker | null => {
    const script = parserWorkerScript(opts.workerScript);
    return script ? new ParserWorker(script, opts.askedForColumns, inlineBytes, opts.maxBytesInFlight ?? PARSER_MAX_BYTES_IN_FLIGHT, onFrame, () => void reader.cancel().catch(() => undefined)) : null;
  };
  try {
    if (mode === 'worker') {
      worker = toWorker();
      if (!worker) mode = 'inline';
    }
    for (;;) {
      let chunk: Awaited<ReturnType<typeof reader.read>>;
      try {
        chunk = await reader.read();
      } catch (err) {
        worker?.throwIfFailed();
        throw new UnavailableError(`the snapshot stream broke after ${bytes} bytes: ${err instanceof Error ? err.message : String(err)}`);
      }
      worker?.throwIfFailed();
      if (worker?.stopped) return { ended: true, bytes, parser: 'worker' };
      if (chunk.done) break;
      let data = chunk.value;
      bytes += data.byteLength;
      // 'auto': the first frame is parsed here, and says how many rows follow
      while (mode === null && data.byteLength > 0) {
        const nl = data.indexOf(NL);
        const head = nl < 0 ? data : data.subarray(0, nl + 1);
        data = data.subarray(head.byteLength);
        inlineBytes += head.byteLength;
        const frames = inline.push(head);
        if (deliver(frames)) return { ended: true, bytes, parser: 'inline' };
        const first = frames[0]?.frame;
        if (first) {
          mode = first.t === 'begin' && first.totalRows >= PARSER_WORKER_MIN_ROWS ? 'worker' : 'inline';
          if (mode === 'worker') {
            worker = toWorker();
            if (!worker) mode = 'inline';
          }
        }
      }
      if (data.byteLength === 0) continue;
      if (worker) {
        worker.push(data);
        await worker.room();
        worker.throwIfFailed();
        if (worker.stopped) return { ended: true, bytes, parser: 'worker' };
      } else {
        inlineBytes += data.byteLength;
        if (deliver(inline.push(data))) return { ended: true, bytes, parser: 'inline' };
      }
    }
    if (worker) {
      await worker.finish();
      worker.throwIfFailed();
      return { ended: worker.stopped, bytes, parser: 'worker' };
    }
    const last = inline.finish();
    return { ended: last ? deliver([last]) : false, bytes, parser: 'inline' };
  } finally {
    worker?.close();
    await reader.cancel().catch(() => undefined);
  }
}

/** Reads a web or a Node stream chunk by chunk; `cancel` ends it early (a pending read then settles). */
function chunkReader(body: ReadableStream<Uint8Array> | Readable): { read(): Promise<{ done: true; value?: Uint8Array } | { done: false; value: Uint8Array }>; cancel(): Promise<void> } {
  if ('getReader' in body) return body.getReader();
  const it = body[Symbol.asyncIterator]() as AsyncIterator<Uint8Array, undefined>;
  return {
    read: async () => {
      const r = await it.next();
      return r.done ? { done: true, value: undefined } : { done: false, value: r.value };
    },
    // not it.return(): an async iterator's return waits for the pending next
    cancel: async () => void body.destroy(),
  };
}

/**
 * The worker's script: the bundle's entry next to the data service's (or one
 * folder up, from a chunk), or — running from the TypeScript source under
 * vitest or tsx — the source itself, loaded through tsx. null when there is
 * none (then the snapshot is parsed on the service's thread).
 */
function parserWorkerScript(given?: string): { code: string; eval: true } | { file: string } | null {
  if (given) return existsSync(given) ? { file: given } : null;
  const here = import.meta.url;
  if (here.endsWith('.ts')) {
    let api: string;
    try {
      api = createRequire(here).resolve('tsx/esm/api').replace(/\.cjs$/, '.mjs');
    } catch {
      return null;
    }
    const entry = new URL('./snapshot-worker.ts', here).href;
    return { eval: true, code: `import(${JSON.stringify(pathToFileURL(api).href)}).then((m) => { m.register(); return import(${JSON.stringify(entry)}); })` };
  }
  for (const rel of ['./snapshot-parser.js', '../snapshot-parser.js']) {
    const file = fileURLToPath(new URL(rel, here));
    if (existsSync(file)) return { file };
  }
  return null;
}

/** One snapshot's parser worker, seen from the data service's thread. */
class ParserWorker {
  private readonly worker: Worker;
  /** stream offset of the worker's first byte */
  private readonly base: number;
  private posted = 0;
  /** `bytes` messages posted, and answered by the worker (each gets one `frames` answer) */
  private posts = 0;
  private answers = 0;
  /** bytes whose frames were handed to onFrame */
  private handled = 0;
  private failure: Error | null = null;
  private done = false;
  stopped = false;
  private wake: (() => void) | null = null;

  constructor(
    script: { code: string; eval: true } | { file: string },
    askedForColumns: boolean,
    base: number,
    private readonly maxBytesInFlight: number,
    private readonly onFrame: (frame: ParsedFrame, bytesSoFar: number) => void | 'stop',
    private readonly abortRead: () => void,
  ) {
    this.base = base;
    const workerData: ParserWorkerData = { askedForColumns };
    this.worker = 'file' in script ? new Worker(script.file, { workerData }) : new Worker(script.code, { eval: true, workerData });
    this.worker.on('message', (m: FromParser) => this.receive(m));
    this.worker.on('error', (err) => this.fail(new Error(`the snapshot parser worker failed: ${err.message}`)));
    this.worker.on('exit', (code) => {
      if (!this.done && !this.stopped) this.fail(new Error(`the snapshot parser worker exited (${code})`));
    });
  }

  push(data: Uint8Array): void {
    // a copy of just these bytes in a buffer of their own, moved (not cloned) to the worker: the chunk may be a
    // view of a larger buffer (and a Buffer's slice() is a view, not a copy)
    const copy = new Uint8Array(data);
    this.posted += copy.byteLength;
    this.posts += 1;
    this.worker.postMessage({ t: 'bytes', data: copy } satisfies ToParser, [copy.buffer]);
  }

  /**
   * Resolves once the bytes in flight are within the bound (or the worker failed or stopped), or
   * once the worker answered them all and handed over every line among them: what is left in
   * flight is the start of a line longer than the bound, which needs the next bytes to end.
   */
  async room(): Promise<void> {
    while (!this.failure && !this.stopped && this.posted - this.handled > this.maxBytesInFlight && this.answers < this.posts) {
      await new Promise<void>((resolve) => (this.wake = resolve));
    }
  }

  /** The body ended: resolves once the worker parsed and handed over everything (or failed, or stopped). */
  async finish(): Promise<void> {
    this.worker.postMessage({ t: 'end' } satisfies ToParser);
    while (!this.failure && !this.stopped && !this.done) await new Promise<void>((resolve) => (this.wake = resolve));
  }

  throwIfFailed(): void {
    if (this.failure) throw this.failure;
  }

  close(): void {
    this.done = true;
    void this.worker.terminate();
  }

  private receive(m: FromParser): void {
    if (this.failure || this.stopped) return;
    switch (m.t) {
      case 'frames':
        this.answers += 1;
        for (const f of m.frames) {
          try {
            if (this.onFrame(f.frame, this.base + f.at) === 'stop') {
              this.stopped = true;
              this.abortRead();
              break;
            }
          } catch (err) {
            this.fail(err instanceof Error ? err : new Error(String(err)));
            return;
          }
          this.handled = f.at;
        }
        // every line before upTo is handed over (blank ones give no frame)
        if (!this.stopped) this.handled = Math.max(this.handled, m.upTo);
        break;
      case 'done':
        this.done = true;
        break;
      case 'malformed':
        this.fail(new MalformedError(m.message, m.details));
        return;
      case 'failed':
        this.fail(new Error(`the snapshot parser worker failed: ${m.message}`));
        return;
    }
    this.signal();
  }

  private fail(err: Error): void {
    if (this.failure || this.done) return;
    this.failure = err;
    this.abortRead();
    this.signal();
  }

  private signal(): void {
    const w = this.wake;
    this.wake = null;
    w?.();
  }
}
