/**
 * The sync client: keeps the replica equal to the data center's rows of one
 * scope (the district or a town), by the protocol of core/sync/protocol.ts.
 *
 *   no replica, another scope, must_refetch, drift
 *        │
 *        ▼
 *   SNAPSHOT ── the scope's replica image when the data center has one: downloaded
 *        │      (progress in bytes, hashed as it comes), renamed over the replica and the
 *        │      connection reopened (or copied in, its WAL checkpointed in a worker)
 *        │      (imageSnapshot; docs/sync-client.md "The client, as wired"); otherwise
 *        │      NDJSON into the stage_ twins (progress pushed) ── one swap
 *        │
 *        ▼
 *   LIVE TAIL ── WebSocket, else SSE, from the stored cursor
 *        │        each batch: `from` = cursor, ops + acks + cursor atomically
 *        │        (consecutive batches that queued up share ONE transaction)
 *        │        heartbeat at the cursor → live; checksum at the cursor → drift check
 *        ▼
 *   link lost → offline, reconnect with exponential backoff and jitter
 *
 * One loop owns the replica's writes; frames are queued as they arrive and
 * handled in order right after the I/O that brought them (setImmediate, no
 * timer; better-sqlite3 is synchronous, so they never interleave). The
 * batches that queued up while an earlier durable commit waited on the disk
 * are applied together: one transaction, one fsync, the last one's cursor —
 * each batch still all or nothing. A frame or row that does not fit is refused with a
 * logged error and the replica stays as it was; the client reconnects from
 * its cursor with backoff.
 *
 * A data center without the sync feed (404 on the snapshot) is still served:
 * the first cut's reference endpoints are read into the same tables
 * (./legacy-reference.ts) and polled.
 */
import { rmSync } from 'node:fs';
import path from 'node:path';
import {
  LiveFrame,
  formatZodError,
  type Cursor,
  type ScopeChecksum,
  type SnapshotFrame,
  type SyncScope,
  type SyncStatus,
} from '../../../core/index';
import { IMAGE_CONTENT_TYPE, replicaSchemaIdOf } from '../../../core/sync/image';
import type { AccessTokenSource } from '../auth';
import type { Clock } from '../clock';
import type { Logger } from '../log';
import type { OutboxStore } from '../outbox/outbox-store';
import { migrations } from '../store/migrations';
import { ReplicaFailed, type Replica } from '../store/open';
import { renameInReplicaImage, ReplicaImageCommitted, ReplicaImageNotRenamed, ReplicaImageRefused, switchInReplicaImage, type SwitchResult } from '../store/replica-image';
import {
  applyBatches,
  BatchShapeError,
  clearStaging,
  compareChecksum,
  stageFrames,
  swapInSnapshot,
  tableFigures,
} from '../store/replica-writes';
import { EXTRACTION_VERSION, MalformedRowError, type RowWriter, type StagedRows } from '../store/replicated-rows';
import { readSyncState, writeChecksum, type SyncStateRow } from '../store/sync-state';
import { failureDelay, pollDelay, retryDelay } from './backoff';
import {
  authHeaders,
  baseUrl,
  describeFetchError,
  MalformedError,
  MustRefetchError,
  NotSupportedError,
  statusError,
  UnauthenticatedError,
  UnavailableError,
} from './http';
import { imageAnswerOf, receiveImageBody, type ImageAnswer } from './image-http';
import { legacyReferenceRound } from './legacy-reference';
import { sseTransport, webSocketTransport, type LiveConnection, type LiveTransport } from './live-transport';
import { fetchSnapshotGet, nodeSnapshotGet, type SnapshotGet, type SnapshotResponse } from './snapshot-http';
import { FtsBuilder } from './fts-builder';
import { readSnapshotStream } from './snapshot-stream';
import { checkpointOffThread } from './wal-checkpointer';

/** What one attempt of the loop came to; `syncNow` resolves with it. */
export type SyncOutcome =
  /** caught up with the live feed */
  | 'live'
  /** legacy data center: new reference data applied / nothing new */
  | 'applied'
  | 'unchanged'
  | 'unavailable'
  | 'unauthenticated'
  | 'malformed'
  | 'stopped';

export interface SyncClientOptions {
  replica: Replica;
  writer: RowWriter;
  outbox: OutboxStore;
  dataCenterUrl: string;
  scope: SyncScope;
  fetch: typeof fetch;
  clock: Clock;
  random: () => number;
  log: Logger;
  auth?: AccessTokenSource;
  /** tried in order; default WebSocket, then SSE */
  transports?: LiveTransport[];
  /** first retry after a failure, doubling up to retryMaxMs; defaults 1 s and 30 s */
  retryInitialMs?: number;
  retryMaxMs?: number;
  /** to open a snapshot or a live connection; default 30 s */
  requestTimeoutMs?: number;
  /** no frame for this long: the connection is dead; default 45 s */
  heartbeatTimeoutMs?: number;
  /**
   * a snapshot's answer that delivers no frame for this long is given up (UnavailableError, retried with backoff): a
   * link that died without an error would otherwise hold the client in `snapshot` for good; default 300 s (undici's
   * body timeout, which guarded the body while it came through fetch)
   */
  snapshotIdleTimeoutMs?: number;
  /** no frame at all this long after connecting: the replica is current; default 1.5 s */
  quietCaughtUpMs?: number;
  /** legacy data centers only: between version checks; default 30 s */
  pollIntervalMs?: number;
  /** between snapshot progress pushes; default 250 ms */
  progressIntervalMs?: number;
  /** rows per staging transaction; default 5000 */
  stageChunkRows?: number;
  /**
   * where a snapshot's NDJSON is parsed and its rows extracted (sync/snapshot-stream.ts): 'inline' (default) on the
   * service's thread; 'worker' in a worker thread; 'auto' in the worker when the snapshot has PARSER_WORKER_MIN_ROWS
   * rows or more. Inline is the default because it measured faster on 2 cores shared with the data center
   * (docs/sync-client.md, "Parsing in a worker"): the worker pays off only with a core to spare.
   */
  snapshotParser?: 'auto' | 'worker' | 'inline';
  /**
   * opens the snapshot's GET and the replica image's (sync/snapshot-http.ts); default: node:http(s) when `fetch` is the runtime's own fetch
   * (its web-stream body costs ~1 s of CPU per 200,000 events), else `fetch` itself
   */
  snapshotGet?: SnapshotGet;
  /**
   * try the scope's replica image before the row snapshot (`GET /api/v1/sync/image`, switched in whole:
   * docs/sync-client.md, "A replica image switched in whole"); default true
   */
  images?: boolean;
  /** pages per step of an image's copy into the replica (store/replica-image.ts `pagesPerStep`); default the switch's */
  imagePagesPerStep?: number;
  /**
   * how a downloaded image becomes the replica: 'rename' (default) over the replica's file, the connection reopened
   * (renameInReplicaImage; it copies where the file cannot be renamed), or 'copy' into the live file through
   * SQLite's backup API, its WAL checkpointed by a worker (switchInReplicaImage)
   */
  imageSwitch?: 'rename' | 'copy';
  /** better-sqlite3's `nativeBinding` the replica was opened with: the checkpoint worker after an image switch opens it too */
  sqliteBinding?: string;
  /**
   * events per chunk of the full-text index built after a snapshot's swap; fixed when given,
   * otherwise sized to take about FTS_CHUNK_BUDGET_MS each (see ftsChunkRowsAfter)
   */
  ftsChunkRows?: number;
  onStatus(status: SyncStatus): void;
  /** after each applied batch or snapshot */
  onEventsChanged(ids: string[], all: boolean, checkpoint: Cursor | null): void;
  /** outbox entries the feed settled */
  onOutboxSettled(mutationIds: number[]): void;
  /** areas, grids, units, workers or config changed */
  onReferenceChanged(): void;
  /** the live feed accepted our cursor (the pusher re-sends what is unsettled) */
  onFeedConnected(): void;
}

class ConnectionEnded extends Error {}

/** A snapshot's GET once answered (SyncClient.openGet). */
interface OpenGet {
  res: SnapshotResponse;
  /** the access token it was sent with (a 401 invalidates exactly that one) */
  token: string | null;
  signal: AbortSignal;
  /** data came: the idle watch starts over */
  touch(): void;
  /** the body is read: no idle watch any more */
  stopWatching(): void;
  /** closes the answer (if not read to its end) and stops the idle watch */
  end(): void;
}

export class SyncClient {
  private readonly base: URL;
  private readonly transports: LiveTransport[];
  private readonly retry: { initialMs: number; maxMs: number };
  private current: SyncStatus;
  private scope: SyncScope;
  private refetch = false;
  private failures = 0;
  private downReason: string | null = null;
  private started = false;
  private stopped = false;
  private loop: Promise<void> | null = null;
  private wake: (() => void) | null = null;
  private connection: LiveConnection | null = null;
  private endConnection: ((err: Error) => void) | null = null;
  private inflight: AbortController | null = null;
  private waiters: ((o: SyncOutcome) => void)[] = [];
  private readyWaiters: ((ready: boolean) => void)[] = [];
  private pendingChecksum: ScopeChecksum | null = null;
  /** the epoch the connected feed accepted; null while not connected */
  private feedEpoch: string | null = null;
  private caughtUp = false;
  /** the background build of the last snapshot's full-text index (./fts-builder.ts) */
  private readonly fts: FtsBuilder;
  /** the live frames received and not handled yet (the FTS build gives them its turn) */
  private liveFrames: readonly string[] = [];
  /** why snapshots no longer ask for the data center's extracted columns (`?columns=`), or null while they do */
  private columnsRefused: string | null = null;
  /** the snapshot being read takes its rows' extracted columns: its begin frame named our EXTRACTION_VERSION */
  private snapshotTakesColumns = false;
  /** why this process no longer asks for replica images (one was refused, or an answer was malformed), or null while it does */
  private imagesRefused: string | null = null;
  /** a missing image (404) was logged at info once; later ones at debug (a data center without images answers it every time) */
  private imageMissingLogged = false;
  /** resolves when the image switch that is running ends; null while none runs (writes to the replica are held meanwhile) */
  private switchEnded: Promise<void> | null = null;
  /** the WAL checkpoint after an image switch, running in a worker thread */
  private checkpointing: { stop(): Promise<void>; settled: Promise<void> } | null = null;

  constructor(private readonly opts: SyncClientOptions) {
    this.base = baseUrl(opts.dataCenterUrl);
    this.transports = opts.transports ?? [webSocketTransport, sseTransport];
    this.retry = { initialMs: opts.retryInitialMs ?? 1_000, maxMs: opts.retryMaxMs ?? 30_000 };
    this.scope = opts.scope;
    const stored = readSyncState(opts.replica.sqlite);
    this.current = {
      state: 'connecting',
      dataCenterUrl: opts.dataCenterUrl,
      offlineSince: null,
      lastBatchAt: stored?.lastBatchAt ?? null,
      version: stored?.referenceVersion ?? null,
      progress: null,
      message: null,
      scope: this.scope,
      cursor: stored?.cursor ?? null,
    };
    this.fts = new FtsBuilder({
      sqlite: opts.replica,
      ...(opts.ftsChunkRows !== undefined ? { chunkRows: opts.ftsChunkRows } : {}),
      livePending: () => this.liveFrames.length > 0,
      // paused while a snapshot streams: its swap starts the build over
      mayRun: () => this.current.state !== 'snapshot',
      onDone: (ms) => this.opts.log.info({ ms: Math.round(ms) }, 'full-text index built'),
      onError: (err) => this.opts.log.error({ err }, 'building the full-text index failed; text search reads the rest of the events with LIKE'),
    });
  }

  status(): SyncStatus {
    return this.current;
  }

  /** The cursor the connected feed has confirmed, or null while not connected. */
  connectedCursor(): Cursor | null {
    const s = readSyncState(this.opts.replica.sqlite);
    return s && this.feedEpoch !== null && s.cursor.epoch === this.feedEpoch ? s.cursor : null;
  }

  /**
   * While a replica image is being switched in (the replica's write lock is the switch's): resolves when the switch
   * ends; null otherwise. The outbox's writing requests wait for it (outbox/outbox-handlers.ts).
   */
  writesHeld(): Promise<void> | null {
    return this.switchEnded;
  }

  start(): void {
    if (this.started || this.stopped) return;
    this.started = true;
    // a download left by a process that stopped during it is never switched in (one that cannot be deleted is
    // logged; the image is then not tried, imageSnapshot)
    if (!this.opts.replica.sqlite.memory) this.removeDownload(this.imageFile(), 'at start');
    // a full-text index left half built (the process stopped during the build) is finished
    this.scheduleFtsBuild();
    this.loop = this.run();
  }

  /**
   * Starts the loop if needed, cuts a backoff wait short, and resolves with
   * the outcome of the next attempt ('live' at once when already caught up).
   */
  syncNow(): Promise<SyncOutcome> {
    if (this.stopped) return Promise.resolve('stopped');
    if (this.connection && this.caughtUp) return Promise.resolve('live');
    const p = new Promise<SyncOutcome>((resolve) => this.waiters.push(resolve));
    if (!this.started) this.start();
    else this.wake?.();
    return p;
  }

  /** Resolves true once the replica holds a snapshot (at once if it does), false after `timeoutMs`. */
  whenReady(timeoutMs: number): Promise<boolean> {
    if (readSyncState(this.opts.replica.sqlite)) return Promise.resolve(true);
    if (this.stopped) return Promise.resolve(false);
    return new Promise((resolve) => {
      const waiter = (ready: boolean) => {
        cancel();
        this.readyWaiters = this.readyWaiters.filter((w) => w !== waiter);
        resolve(ready);
      };
      const cancel = this.opts.clock.setTimeout(() => waiter(false), timeoutMs);
      this.readyWaiters.push(waiter);
    });
  }

  /** Replicates another scope from now on: the next attempt re-snapshots. */
  setScope(scope: SyncScope): void {
    if (scope === this.scope) return;
    this.scope = scope;
    this.refetch = true;
    this.setStatus({ scope });
    this.interrupt(new MustRefetchError(`scope changed to ${scope}`));
    // not waiting out a backoff for it either
    this.wake?.();
  }

  reportDataCenterDown(reason: string): void {
    this.downReason = reason;
    this.opts.log.error({ reason }, 'data center down');
    this.goOffline(reason);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.fts.stop();
    this.interrupt(new ConnectionEnded('stopped'));
    this.wake?.();
    await this.loop?.catch(() => undefined);
    const checkpoint = this.checkpointing;
    if (checkpoint) {
      await checkpoint.stop();
      await checkpoint.settled;
    }
    this.settle('stopped');
    for (const w of [...this.readyWaiters]) w(false);
  }

  // ── the loop ────────────────────────────────────────────────────────────

  private async run(): Promise<void> {
    while (!this.stopped) {
      let outcome: SyncOutcome;
      let delay: number;
      try {
        outcome = await this.attempt();
        delay = this.delayAfter(outcome);
      } catch (err) {
        if (this.stopped) break;
        ({ outcome, delay } = this.failure(err));
      }
      this.settle(outcome);
      if (this.stopped) break;
      await this.sleep(delay);
    }
  }

  private async attempt(): Promise<SyncOutcome> {
    const state = readSyncState(this.opts.replica.sqlite);
    if (!state || state.scope !== this.scope || this.refetch || state.cursor.epoch === LEGACY_EPOCH) {
      try {
        await this.snapshot();
      } catch (err) {
        if (err instanceof MalformedError && this.snapshotTakesColumns) this.stopAskingForColumns(err);
        if (err instanceof NotSupportedError) return this.legacyRound(state, null);
        // signed out (no token at all): the reference data is public, the events are not
        if (err instanceof UnauthenticatedError && !(await this.hasToken())) {
          return this.legacyRound(state, 'not signed in to the data center: only the reference data is replicated');
        }
        throw err;
      }
      this.refetch = false;
    }
    return this.tail();
  }

  private delayAfter(outcome: SyncOutcome): number {
    if (outcome === 'applied' || outcome === 'unchanged') {
      this.failures = 0;
      return pollDelay(this.opts.pollIntervalMs ?? 30_000, this.opts.random);
    }
    // the tail ended after it had caught up: reconnect soon, from the first rung
    this.failures = 1;
    return retryDelay(1, this.retry, this.opts.random);
  }

  private failure(err: unknown): { outcome: SyncOutcome; delay: number } {
    if (err instanceof MustRefetchError) {
      this.opts.log.warn({ reason: err.message }, 're-snapshotting the scope');
      this.refetch = true;
      // at once the first time; a data center that keeps asking gets backoff
      this.failures += 1;
      return { outcome: 'unavailable', delay: this.failures <= 1 ? 0 : retryDelay(this.failures - 1, this.retry, this.opts.random) };
    }
    this.failures += 1;
    const delay = failureDelay(this.failures, this.retry, this.opts.random, err instanceof UnavailableError ? err.retryAfterMs : null);
    if (err instanceof MalformedError) {
      this.opts.log.error({ dataCenterUrl: this.opts.dataCenterUrl, reason: err.message, details: err.details }, 'refused malformed data from the data center; the replica is unchanged');
      this.goOffline(`refused malformed data: ${err.message}`);
      return { outcome: 'malformed', delay };
    }
    if (err instanceof UnauthenticatedError) {
      this.opts.log.warn({ reason: err.message }, 'the data center refused the access token');
      this.goOffline(`not signed in to the data center: ${err.message}`);
      return { outcome: 'unauthenticated', delay };
    }
    const message = err instanceof Error ? err.message : String(err);
    if (!(err instanceof UnavailableError) && !(err instanceof ConnectionEnded)) {
      this.opts.log.error({ err }, 'sync attempt failed');
    } else if (this.current.state !== 'offline') {
      this.opts.log.warn({ dataCenterUrl: this.opts.dataCenterUrl, reason: message }, 'data center unreachable; serving the replica offline');
    } else {
      this.opts.log.debug({ reason: message, failures: this.failures }, 'data center still unreachable');
    }
    this.goOffline(`cannot reach the data center: ${message}`);
    return { outcome: 'unavailable', delay };
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        cancel();
        this.wake = null;
        resolve();
      };
      const cancel = this.opts.clock.setTimeout(done, ms);
      this.wake = done;
    });
  }

  private settle(outcome: SyncOutcome): void {
    for (const w of this.waiters.splice(0)) w(outcome);
  }

  private interrupt(err: Error): void {
    this.inflight?.abort(err);
    this.endConnection?.(err);
  }

  // ── snapshot ────────────────────────────────────────────────────────────

  private async snapshot(): Promise<void> {
    if (await this.imageSnapshot()) return;
    await this.rowSnapshot();
  }

  /**
   * Opens a GET of a snapshot (the rows', an image's): the access token, the open timeout (requestTimeoutMs), and from
   * the answer on an idle watch that aborts the request when `touch` was not called for snapshotIdleTimeoutMs (a link
   * that died without an error would otherwise hold the client in `snapshot` for good). The caller ends it (`end`),
   * which closes an answer whose body was not read to its end, so the data center's side of it ends too.
   */
  private async openGet(url: URL, accept: string, what: string): Promise<OpenGet> {
    const abort = new AbortController();
    this.inflight = abort;
    const release = () => {
      if (!abort.signal.aborted) abort.abort(new ConnectionEnded(`${what} over`));
      if (this.inflight === abort) this.inflight = null;
    };
    let res: SnapshotResponse;
    let token: string | null;
    try {
      const auth = await authHeaders(this.opts.auth);
      token = auth.token;
      const get = this.opts.snapshotGet ?? (this.opts.fetch === globalThis.fetch ? nodeSnapshotGet : fetchSnapshotGet(this.opts.fetch));
      const openTimer = this.opts.clock.setTimeout(() => abort.abort(new UnavailableError(`timed out opening ${url.pathname}`)), this.opts.requestTimeoutMs ?? 30_000);
      try {
        res = await get(url, { headers: { ...auth.headers, accept }, signal: abort.signal });
      } catch (err) {
        throw abort.signal.reason instanceof Error ? abort.signal.reason : new UnavailableError(describeFetchError(err, url.pathname));
      } finally {
        openTimer();
      }
    } catch (err) {
      release();
      throw err;
    }
    // re-armed for what is left of the limit rather than on each touch, so a touch costs a clock read
    const idleMs = this.opts.snapshotIdleTimeoutMs ?? 300_000;
    let lastAt = this.opts.clock.now();
    let stopIdleWatch: () => void = () => undefined;
    const watchIdle = (ms: number) => {
      stopIdleWatch = this.opts.clock.setTimeout(() => {
        const quiet = this.opts.clock.now() - lastAt;
        if (quiet >= idleMs) abort.abort(new UnavailableError(`no ${what} from ${url.pathname} for ${Math.round(quiet / 1000)} s`));
        else watchIdle(idleMs - quiet);
      }, ms);
    };
    watchIdle(idleMs);
    return {
      res,
      token,
      signal: abort.signal,
      touch: () => {
        lastAt = this.opts.clock.now();
      },
      stopWatching: () => stopIdleWatch(),
      end: () => {
        stopIdleWatch();
        release();
      },
    };
  }

  /**
   * Tries the scope's replica image (docs/sync-client.md, "A replica image switched in whole"): the keeper's copy of
   * a replica of this scope, schema and page size, downloaded next to the replica and switched in whole
   * (store/replica-image.ts), the tail then starting from its cursor. True when it was switched in; false when the
   * row snapshot is to be taken instead, in the same attempt: no image (404), the data center failed or could not
   * be reached, the download was cut, an answer or the file was not usable. After a malformed answer or a refused
   * file, this process asks for no image again (it would meet the same). Throws what ends the attempt as it would end
   * a row snapshot: 401 (the token is invalidated first), a stop, a change of scope, and a switch that committed
   * and failed after (ReplicaImageCommitted: re-snapshot by rows, see imageCommittedThenFailed).
   */
  private async imageSnapshot(): Promise<boolean> {
    const { sqlite } = this.opts.replica;
    if (this.opts.images === false || this.imagesRefused !== null || sqlite.memory) return false;
    // an earlier switch's checkpoint owns the connection's autocheckpoint setting until it ends
    if (this.checkpointing) await this.checkpointing.settled;
    const scope = this.scope;
    const started = this.opts.clock.now();
    const file = this.imageFile();
    // a leftover that cannot be deleted (a folder in its place, Windows' EBUSY/EPERM while a scanner holds it) would
    // fail every download before its first byte: the row snapshot instead, in this attempt
    if (!this.removeDownload(file, 'before downloading an image')) return false;
    const schema = replicaSchemaIdOf(migrations);
    const url = new URL('api/v1/sync/image', this.base);
    url.searchParams.set('scope', scope);
    url.searchParams.set('schema', schema);
    url.searchParams.set('pageSize', String(sqlite.pragma('page_size', { simple: true })));

    let answer: ImageAnswer;
    let received: string;
    let get: OpenGet | null = null;
    try {
      get = await this.openGet(url, IMAGE_CONTENT_TYPE, 'image data');
      const { res } = get;
      if (!res.ok || !res.body) {
        const err = await statusError(res, url.pathname);
        if (err instanceof UnauthenticatedError) this.opts.auth?.invalidate?.(get.token);
        throw err;
      }
      answer = imageAnswerOf(res.headers, { scope, schema });
      const total = answer.bytes;
      // bytes against Content-Length (totalBytes, kind 'image', phase 'download'); no rows (an image has no row count
      // to show): rows 0, totalRows null, rate 0 for renderers that know no image; the ETA from the bytes' rate
      let lastProgress = 0;
      const progress = (bytes: number, force: boolean) => {
        const now = this.opts.clock.now();
        if (!force && now - lastProgress < (this.opts.progressIntervalMs ?? 250)) return;
        lastProgress = now;
        const rate = bytes / Math.max(0.001, (now - started) / 1000);
        this.setStatus({ state: 'snapshot', scope, progress: { rows: 0, bytes, totalRows: null, rowsPerSecond: 0, etaSeconds: rate > 0 ? Math.max(0, (total - bytes) / rate) : null, kind: 'image', phase: 'download', totalBytes: total } });
      };
      progress(0, true);
      const opened = get;
      received = await receiveImageBody(res.body, file, total, (bytes) => {
        opened.touch();
        progress(bytes, false);
      });
      progress(total, true);
    } catch (err) {
      this.removeDownload(file, 'after a failed download');
      // the signal's reason first: a stop, a change of scope, a timeout say more than the broken stream they caused
      const reason: unknown = get?.signal.aborted ? get.signal.reason : err;
      if (this.stopped) throw new ConnectionEnded('stopped');
      if (reason instanceof MustRefetchError || reason instanceof ConnectionEnded || reason instanceof UnauthenticatedError) throw reason;
      this.imageNotTaken(reason, url);
      this.leaveImageProgress();
      return false;
    } finally {
      get?.end();
    }
    const downloaded = this.opts.clock.now();
    return this.switchInImage(file, answer, received, started, downloaded);
  }

  /** Logs why an image was not taken (its GET or download failed) and whether images are asked for again. */
  private imageNotTaken(err: unknown, url: URL): void {
    const reason = err instanceof Error ? err.message : String(err);
    const where = { dataCenterUrl: this.opts.dataCenterUrl, path: url.pathname };
    if (err instanceof NotSupportedError) {
      // no keeper, no image of this scope, schema or page size: the row snapshot is the normal way then
      if (this.imageMissingLogged) this.opts.log.debug({ ...where, reason }, 'no replica image; taking the row snapshot');
      else this.opts.log.info({ ...where, reason }, 'no replica image; taking the row snapshot');
      this.imageMissingLogged = true;
      return;
    }
    if (err instanceof MalformedError) {
      this.imagesRefused = reason;
      this.opts.log.warn({ ...where, reason }, 'the replica image answer is malformed; taking the row snapshot, and no image until the data service restarts');
      return;
    }
    this.opts.log.warn({ ...where, reason }, 'could not download the replica image; taking the row snapshot');
  }

  /**
   * Switches a downloaded image in, checked by the digest computed while it was received (`received`: the very file
   * the keeper checked), the service's writes held meanwhile (writesHeld): renamed into place over the replica's
   * file and the connection reopened (store/replica-image.ts renameInReplicaImage; docs/sync-client.md "Rename
   * instead of copy"), or — `imageSwitch: 'copy'`, or where it cannot be renamed — copied into the live file, its
   * WAL checkpointed afterwards off this thread (copyInImage). The file is deleted whatever happens (after a late
   * refusal it was written to and no longer has its digest; after a rename it is gone already).
   */
  private async switchInImage(file: string, answer: ImageAnswer, received: string, started: number, downloaded: number): Promise<boolean> {
    const scope = answer.scope;
    let endSwitch: () => void = () => undefined;
    this.switchEnded = new Promise<void>((resolve) => (endSwitch = resolve));
    let result: { cursor: Cursor; bytes: number; how: 'rename' | 'copy'; ms: Record<string, number> };
    try {
      const renamed = this.opts.imageSwitch === 'copy' ? null : await this.renameInImage(file, answer, received);
      result = renamed ? { ...renamed, how: 'rename' } : { ...(await this.copyInImage(file, answer, received)), how: 'copy' };
    } catch (err) {
      if (err instanceof ReplicaImageCommitted) this.imageCommittedThenFailed(err);
      // the replica's file did not open again: nothing to snapshot into, the service exits (store/open.ts)
      if (err instanceof ReplicaFailed) throw err;
      if (this.stopped) throw new ConnectionEnded('stopped');
      if (err instanceof MustRefetchError || err instanceof ConnectionEnded) throw err;
      const reason = err instanceof Error ? err.message : String(err);
      if (err instanceof ReplicaImageRefused) {
        this.imagesRefused = reason;
        this.opts.log.warn({ dataCenterUrl: this.opts.dataCenterUrl, code: err.code, reason }, 'refused the replica image; taking the row snapshot, and no image until the data service restarts');
      } else {
        this.opts.log.warn({ err }, 'switching the replica image in failed; the replica is as it was; taking the row snapshot');
      }
      this.leaveImageProgress();
      return false;
    } finally {
      this.switchEnded = null;
      endSwitch();
      this.removeDownload(file, 'after the switch');
    }
    // the scope changed during the copy's last step: the replica holds the scope asked for before
    if (scope !== this.scope) throw new MustRefetchError(`scope changed to ${this.scope}`);
    this.pendingChecksum = null;
    this.opts.log.info(
      { scope, cursor: result.cursor, bytes: result.bytes, how: result.how, ms: { total: this.opts.clock.now() - started, download: downloaded - started, ...roundMs(result.ms) } },
      'replica image switched in',
    );
    this.afterSnapshot();
    return true;
  }

  /**
   * The image renamed into place (renameInReplicaImage); null when it cannot be (another connection holds the
   * replica, the rename failed): nothing was switched, the replica is open as it was, and the caller copies it in.
   */
  private async renameInImage(file: string, answer: ImageAnswer, received: string) {
    const scope = answer.scope;
    // one status for the whole switch (it has no steps to count): the badge says "switching in", the bar at its start
    this.setStatus({ state: 'snapshot', progress: { rows: 0, bytes: 0, totalRows: null, rowsPerSecond: 0, etaSeconds: null, kind: 'image', phase: 'copy', totalBytes: answer.bytes } });
    try {
      const result = await renameInReplicaImage(
        this.opts.replica,
        file,
        { scope, sha256: answer.sha256 },
        {
          check: 'digest',
          receivedSha256: received,
          at: this.isoNow(),
          beforeSwap: () => {
            if (this.stopped) throw new ConnectionEnded('stopped');
            if (scope !== this.scope) throw new MustRefetchError(`scope changed to ${this.scope}`);
          },
        },
      );
      if (result.folderSyncError) this.opts.log.warn({ err: result.folderSyncError }, 'the replica image was renamed into place, but its folder could not be synced: a power cut may bring the old replica back');
      return result;
    } catch (err) {
      if (!(err instanceof ReplicaImageNotRenamed)) throw err;
      this.opts.log.warn({ reason: err.message }, 'could not rename the replica image into place; copying it in');
      return null;
    }
  }

  /**
   * The image copied into the live file (switchInReplicaImage, its digest the one computed on receipt), its WAL
   * checkpointed afterwards off this thread (checkpointAfterSwitch).
   */
  private async copyInImage(file: string, answer: ImageAnswer, received: string): Promise<SwitchResult> {
    const { sqlite } = this.opts.replica;
    const scope = answer.scope;
    // an earlier switch's checkpoint owns the connection's autocheckpoint setting until it ends
    if (this.checkpointing) await this.checkpointing.settled;
    // with it on, the switch's own snapshot_at stamp — a commit on this connection — would checkpoint the whole
    // image on this thread (wal-checkpointer.ts); the checkpoint runs in a worker instead, and turns it back on
    const autocheckpoint = sqlite.pragma('wal_autocheckpoint', { simple: true }) as number;
    sqlite.pragma('wal_autocheckpoint = 0');
    let copyStarted = 0;
    let committed = false;
    try {
      const result = await switchInReplicaImage(
        sqlite,
        file,
        { scope, sha256: answer.sha256 },
        {
          check: 'digest',
          receivedSha256: received,
          checkpoint: false,
          at: this.isoNow(),
          ...(this.opts.imagePagesPerStep ? { pagesPerStep: this.opts.imagePagesPerStep } : {}),
          onProgress: ({ totalPages, remainingPages }) => {
            // a throw here abandons the copy: the replica stays as it was
            if (this.stopped) throw new ConnectionEnded('stopped');
            if (scope !== this.scope) throw new MustRefetchError(`scope changed to ${this.scope}`);
            const now = this.opts.clock.now();
            copyStarted ||= now;
            const done = totalPages - remainingPages;
            const rate = done / Math.max(0.001, (now - copyStarted) / 1000);
            // the copy's share of the file in bytes, so the bar runs again from 0 to the file's size in this phase
            const copied = totalPages > 0 ? Math.round((answer.bytes * done) / totalPages) : answer.bytes;
            this.setStatus({
              state: 'snapshot',
              progress: { rows: 0, bytes: copied, totalRows: null, rowsPerSecond: 0, etaSeconds: rate > 0 ? remainingPages / rate : null, kind: 'image', phase: 'copy', totalBytes: answer.bytes },
            });
          },
        },
      );
      committed = true;
      return result;
    } catch (err) {
      if (err instanceof ReplicaImageCommitted) committed = true;
      throw err;
    } finally {
      // the checkpoint (or the setting) first: a delete that throws must not leave autocheckpoint at 0 with no worker
      if (committed) this.checkpointAfterSwitch(autocheckpoint);
      else sqlite.pragma(`wal_autocheckpoint = ${autocheckpoint}`);
    }
  }

  /**
   * A switch that committed — the replica holds the image's rows, with the local tables carried in — and then could
   * not show the image's sync state or stamp its snapshot time on the service's connection (store/replica-image.ts
   * ReplicaImageCommitted). Not a refusal: the old replica is gone, so there is nothing to fall back to. What the
   * replica holds is not trusted as the image's either (the cursor the tail would start from, the caches that learn
   * of a new replica from that stamp: the query layer's memo, the KPI facts' basis). The sound way on without a
   * restart: re-snapshot by rows at once — a row snapshot's swap writes every replicated table and the sync state on
   * the service's own connection, which those caches see — and ask for no image again in this process (the next one
   * would likely fail the same way). Nothing is lost meanwhile: the outbox was carried by the switch.
   */
  private imageCommittedThenFailed(err: ReplicaImageCommitted): never {
    this.imagesRefused = err.message;
    this.opts.log.error({ dataCenterUrl: this.opts.dataCenterUrl, err }, 'the replica image was switched in, then failed; re-snapshotting by rows, and no image until the data service restarts');
    throw new MustRefetchError(`${err.message}: re-snapshotting by rows`);
  }

  /**
   * Checkpoints the WAL the switch committed into, in a worker thread (./wal-checkpointer.ts): the replica is
   * ready at the copy's commit, not after the checkpoint. Turns the connection's autocheckpoint back on when the
   * worker is over, whatever came of it, so the WAL never grows without bound.
   */
  private checkpointAfterSwitch(autocheckpoint: number): void {
    const { sqlite } = this.opts.replica;
    const restore = () => {
      if (sqlite.open) sqlite.pragma(`wal_autocheckpoint = ${autocheckpoint}`);
    };
    let running: ReturnType<typeof checkpointOffThread>;
    try {
      running = checkpointOffThread({ file: mainFileOf(sqlite), ...(this.opts.sqliteBinding ? { nativeBinding: this.opts.sqliteBinding } : {}) });
    } catch (err) {
      this.opts.log.warn({ err }, 'could not start the checkpoint worker; SQLite checkpoints the replica image on this thread');
      restore();
      return;
    }
    const settled = running.done
      .then(
        (r) => {
          if (r.truncated) this.opts.log.info({ ...r }, 'replica image checkpointed off the service thread');
          else this.opts.log.warn({ ...r }, 'the replica image checkpoint did not finish; SQLite checkpoints the rest on this thread');
        },
        (err: unknown) => {
          if (this.stopped) this.opts.log.debug({ reason: (err as Error).message }, 'the replica image checkpoint stopped with the service');
          else this.opts.log.warn({ err }, 'the replica image checkpoint failed; SQLite checkpoints the replica on this thread');
        },
      )
      .finally(() => {
        restore();
        if (this.checkpointing?.settled === settled) this.checkpointing = null;
      });
    this.checkpointing = { stop: () => running.stop(), settled };
  }

  /**
   * Deletes the image download `file` if it is there. False, with a warning, when it could not be deleted (`force`
   * only ignores ENOENT: a folder in its place, EACCES, EBUSY/EPERM on Windows while a scanner holds it): the caller
   * goes on without it — a leftover is never switched in, since each download creates the file anew (`wx`).
   */
  private removeDownload(file: string, when: string): boolean {
    try {
      rmSync(file, { force: true });
      return true;
    } catch (err) {
      this.opts.log.warn({ err, file, when }, 'could not delete the replica image download');
      return false;
    }
  }

  /**
   * After an image was not taken: the status leaves the image's progress for the row snapshot's first one, so the
   * badge does not say "downloading the replica image" while the row snapshot opens (nothing pushed when no image
   * progress was shown: a 404, a 503).
   */
  private leaveImageProgress(): void {
    if (this.current.state === 'snapshot' && this.current.progress?.kind === 'image') this.setStatus({ state: 'snapshot', progress: ROW_SNAPSHOT_START, scope: this.scope });
  }

  /** where an image is downloaded: next to the replica */
  private imageFile(): string {
    return path.join(path.dirname(mainFileOf(this.opts.replica.sqlite)), IMAGE_DOWNLOAD_FILE);
  }

  private async rowSnapshot(): Promise<void> {
    this.snapshotTakesColumns = false;
    const { sqlite } = this.opts.replica;
    const scope = this.scope;
    const started = this.opts.clock.now();

    const url = new URL('api/v1/sync/snapshot', this.base);
    url.searchParams.set('scope', scope);
    // the data center sends each row's extracted columns when it holds them of our version (sync/snapshot-frames.ts),
    // unless a snapshot read with them was refused (stopAskingForColumns)
    const askedForColumns = this.columnsRefused === null;
    if (askedForColumns) url.searchParams.set('columns', String(EXTRACTION_VERSION));
    const get = await this.openGet(url, 'application/x-ndjson', 'snapshot data');
    const { res } = get;
    try {
      if (!res.ok || !res.body) {
        const err = await statusError(res, url.pathname);
        if (err instanceof UnauthenticatedError) this.opts.auth?.invalidate?.(get.token);
        throw err;
      }

      this.setStatus({ state: 'snapshot', progress: ROW_SNAPSHOT_START, scope });
      clearStaging(sqlite);
      let begin: Extract<SnapshotFrame, { t: 'begin' }> | null = null;
      let rows = 0;
      let bytes = 0;
      let lastProgress = 0;
      /** extracted rows frames waiting for the next staging transaction */
      let chunk: StagedRows[] = [];
      let chunkRows = 0;
      const flush = () => {
        if (chunkRows > 0) {
          try {
            stageFrames(sqlite, this.opts.writer, chunk);
          } catch (err) {
            const code = (err as { code?: unknown }).code;
            if (typeof code === 'string' && code.startsWith('SQLITE_CONSTRAINT')) throw new MalformedError(`snapshot: ${(err as Error).message} in ${chunk.map((c) => c.table).join(', ')}`);
            throw err;
          }
        }
        chunk = [];
        chunkRows = 0;
      };
      const progress = (force: boolean) => {
        const now = this.opts.clock.now();
        if (!force && now - lastProgress < (this.opts.progressIntervalMs ?? 250)) return;
        lastProgress = now;
        const seconds = Math.max(0.001, (now - started) / 1000);
        const rate = rows / seconds;
        const total = begin?.totalRows ?? null;
        this.setStatus({
          state: 'snapshot',
          progress: { rows, bytes, totalRows: total, rowsPerSecond: Math.round(rate), etaSeconds: total !== null && rate > 0 ? Math.max(0, (total - rows) / rate) : null },
        });
      };
      let endFrame: Extract<SnapshotFrame, { t: 'end' }> | null = null;

      const result = await readSnapshotStream(res.body, (frame, bytesSoFar) => {
        if (this.stopped) throw new ConnectionEnded('stopped');
        get.touch();
        bytes = bytesSoFar;
        switch (frame.t) {
          case 'begin':
            if (begin) throw new MalformedError('snapshot: a second begin frame');
            if (frame.scope !== scope) throw new MalformedError(`snapshot: asked for scope ${scope}, got ${frame.scope}`);
            begin = frame;
            // the line parser takes the rows' columns exactly then (SnapshotLineParser): asked for, and of our version
            this.snapshotTakesColumns = askedForColumns && frame.columns === EXTRACTION_VERSION;
            progress(true);
            return;
          case 'rows': {
            if (!begin) throw new MalformedError('snapshot: rows before begin');
            const cp = begin.checkpoint;
            const staged = frame.rows;
            if (staged.maxV > cp.v) throw new MalformedError(`snapshot: ${frame.table} row ${staged.maxVKey} has v ${staged.maxV} after the checkpoint ${cp.v}`);
            chunk.push(staged);
            chunkRows += staged.keys.length;
            rows += staged.keys.length;
            if (chunkRows >= (this.opts.stageChunkRows ?? 5000)) flush();
            progress(false);
            return;
          }
          case 'error':
            // the server failed after the stream started: discard what was staged, retry with backoff
            if (frame.code === 'must_refetch') throw new MustRefetchError(frame.message);
            throw new UnavailableError(`the data center failed during the snapshot (${frame.code}): ${frame.message}`);
          case 'end':
            if (!begin) throw new MalformedError('snapshot: end before begin');
            if (frame.checkpoint.epoch !== begin.checkpoint.epoch || frame.checkpoint.v !== begin.checkpoint.v) {
              throw new MalformedError('snapshot: the end checkpoint differs from the begin checkpoint');
            }
            flush();
            endFrame = frame;
            return 'stop';
        }
      }, { parser: this.opts.snapshotParser ?? 'inline', askedForColumns });
      get.stopWatching();
      if (!result.ended || !endFrame || !begin) throw new UnavailableError(`the snapshot stream ended early, after ${rows} rows`);
      const end: Extract<SnapshotFrame, { t: 'end' }> = endFrame;
      const checkpoint = (begin as Extract<SnapshotFrame, { t: 'begin' }>).checkpoint;
      bytes = result.bytes;
      progress(true);

      const staged = tableFigures(sqlite, Object.keys(end.checksum.tables), true);
      const mismatches = compareChecksum(staged, end.checksum);
      if (mismatches.length > 0) {
        clearStaging(sqlite);
        throw new MalformedError(`snapshot: the rows do not match the end checksum (${mismatches.map((m) => m.table).join(', ')})`, mismatches);
      }
      const at = this.isoNow();
      // the FTS index is built after the swap, in chunks (scheduleFtsBuild): text search reads
      // what is not indexed yet with LIKE meanwhile
      swapInSnapshot(
        sqlite,
        {
          scope,
          checkpoint,
          referenceVersion: `${checkpoint.epoch}:${checkpoint.v}`,
          checksum: { checkpoint, ok: true, at },
          at,
        },
        { deferFts: true },
      );
      this.pendingChecksum = null;
      // the swap wrote the whole replica through the WAL: fold it back and give the disk space back
      sqlite.pragma('wal_checkpoint(TRUNCATE)');
      this.opts.log.info({ scope, checkpoint, rows, bytes, parser: result.parser, ms: this.opts.clock.now() - started }, 'snapshot applied');
      this.afterSnapshot();
    } finally {
      // an answer whose body was not read to its end (a failure before or while reading it) is closed here, so the
      // data center's export (a transaction, a pooled connection, a snapshot slot) ends with it
      get.end();
    }
  }

  /**
   * A snapshot read with the data center's extracted columns was refused — its end checksum, or any malformed
   * line, row or frame — so this client snapshots without them from now on. With columns, the cut of a rows line
   * at `},{"key":` is not proved by parsing each document (sync/snapshot-frames.ts `splitRowsLine`): it rests on the
   * data center storing PostgreSQL's jsonb::text, which never writes that text (docs/sync-protocol.md §3), and a
   * writer that stored other JSON would make every snapshot with columns fail the same way, for ever. Without them
   * every document is parsed, so a wrong cut falls back to the whole-line parse. Not undone within the process:
   * trying the columns again costs a whole snapshot (docs/sync-client.md, "When a snapshot with columns is refused").
   */
  private stopAskingForColumns(err: MalformedError): void {
    if (this.columnsRefused !== null) return;
    this.columnsRefused = err.message;
    this.opts.log.warn(
      { dataCenterUrl: this.opts.dataCenterUrl, reason: err.message },
      "a snapshot read with the data center's extracted columns was refused; snapshotting without them (every document parsed, slower) until the data service restarts",
    );
  }

  /**
   * Builds the FTS index of the last snapshot in the background until it is complete (./fts-builder.ts: live
   * frames go before its chunks); nothing to do when it is, or when the build runs. Paused while a snapshot
   * streams (its swap starts the build over).
   */
  private scheduleFtsBuild(): void {
    this.fts.start();
  }

  private afterSnapshot(): void {
    this.scheduleFtsBuild();
    const s = readSyncState(this.opts.replica.sqlite)!;
    // the tail connects next (a legacy round goes live at once)
    this.setStatus({ state: 'catching_up', lastBatchAt: s.lastBatchAt, version: s.referenceVersion, cursor: s.cursor, progress: null });
    this.opts.onEventsChanged([], true, s.cursor);
    this.opts.onReferenceChanged();
    for (const w of [...this.readyWaiters]) w(true);
  }

  private async hasToken(): Promise<boolean> {
    return this.opts.auth ? (await this.opts.auth.token()) !== null : false;
  }

  private async legacyRound(state: SyncStateRow | null, note: string | null): Promise<SyncOutcome> {
    const abort = new AbortController();
    this.inflight = abort;
    try {
      const applied = await legacyReferenceRound({
        sqlite: this.opts.replica.sqlite,
        writer: this.opts.writer,
        base: this.base,
        fetch: this.opts.fetch,
        signal: abort.signal,
        requestTimeoutMs: this.opts.requestTimeoutMs ?? 60_000,
        headers: (await authHeaders(this.opts.auth)).headers,
        stored: state,
        scope: this.scope,
        at: () => this.isoNow(),
        onProgress: (progress) => this.setStatus({ state: 'snapshot', progress }),
        log: this.opts.log,
      });
      if (applied) this.afterSnapshot();
      const s = readSyncState(this.opts.replica.sqlite)!;
      this.goLive(s);
      if (note) this.setStatus({ message: note });
      return applied ? 'applied' : 'unchanged';
    } finally {
      if (this.inflight === abort) this.inflight = null;
    }
  }

  // ── live tail ───────────────────────────────────────────────────────────

  private async tail(): Promise<SyncOutcome> {
    const { sqlite } = this.opts.replica;
    const state = readSyncState(sqlite);
    if (!state) throw new MustRefetchError('no replica to tail');
    const { headers, token } = await authHeaders(this.opts.auth);
    const req = {
      base: this.base,
      query: { scope: state.scope, epoch: state.cursor.epoch, v: String(state.cursor.v), clientId: this.opts.outbox.clientId },
      headers,
      fetch: this.opts.fetch,
      openTimeoutMs: this.opts.requestTimeoutMs ?? 30_000,
    };

    let ended!: (err: Error) => void;
    const done = new Promise<never>((_, reject) => (ended = reject));
    done.catch(() => undefined);
    let finished = false;
    const finish = (err: Error) => {
      if (finished) return;
      finished = true;
      ended(err);
    };
    this.endConnection = finish;
    this.caughtUp = false;
    const watchdog: { cancel: (() => void) | null } = { cancel: null };
    const heartbeatTimeout = this.opts.heartbeatTimeoutMs ?? 45_000;
    const arm = () => {
      watchdog.cancel?.();
      watchdog.cancel = this.opts.clock.setTimeout(() => finish(new UnavailableError(`no frame from the live feed for ${heartbeatTimeout} ms`)), heartbeatTimeout);
    };

    // A server that heartbeats only after an idle period says nothing when the
    // client is current at connect; silence right after connecting means that.
    const quiet: { cancel: (() => void) | null; heard: boolean } = { cancel: null, heard: false };

    let lastError: Error | null = null;
    let conn: LiveConnection | null = null;
    // what livePending sees, from the connection's open on (set just before the try below, whose finally empties it):
    // frames a transport queued before it threw must not stay pending — the FTS builder would yield to them in a
    // loop until the next tail
    const queue: string[] = [];
    for (const transport of this.transports) {
      try {
        conn = await transport(req, {
          onMessage: (text) => {
            if (finished) return;
            arm();
            quiet.heard = true;
            quiet.cancel?.();
            // Frames are queued and handled together once the I/O that brought them is done
            // (setImmediate runs right after the event loop's poll phase, no timer): the
            // batches that arrived while an earlier commit waited on the disk share one
            // transaction and one durable commit.
            queue.push(text);
            if (queue.length === 1) {
              setImmediate(() => {
                if (finished) return;
                try {
                  this.onFrames(queue.splice(0));
                } catch (err) {
                  finish(err instanceof Error ? err : new Error(String(err)));
                }
              });
            }
          },
          onClose: (reason) => finish(new UnavailableError(reason)),
        });
        break;
      } catch (err) {
        if (err instanceof MustRefetchError || err instanceof MalformedError) throw err;
        if (err instanceof UnauthenticatedError) {
          this.opts.auth?.invalidate?.(token);
          throw err;
        }
        lastError = err as Error;
        this.opts.log.debug({ reason: (err as Error).message }, 'live transport failed to open; trying the next');
      }
      if (this.stopped) throw new ConnectionEnded('stopped');
    }
    if (!conn) throw lastError ?? new UnavailableError('no live transport');
    this.connection = conn;
    this.feedEpoch = state.cursor.epoch;
    if (finished) conn.close();
    arm();
    this.failures = 0;
    this.downReason = null;
    this.setStatus({ state: 'catching_up', message: null });
    if (!quiet.heard) {
      quiet.cancel = this.opts.clock.setTimeout(() => {
        if (finished || quiet.heard || this.caughtUp) return;
        const now = readSyncState(sqlite);
        if (!now) return;
        this.caughtUp = true;
        this.goLive(now);
        this.settle('live');
      }, this.opts.quietCaughtUpMs ?? 1_500);
    }
    this.opts.log.info({ transport: conn.kind, cursor: state.cursor }, 'live feed connected');
    this.scheduleFtsBuild();
    this.opts.onFeedConnected();
    this.liveFrames = queue;
    try {
      await done;
      throw new Error('unreachable');
    } catch (err) {
      const wasLive = this.caughtUp;
      if (err instanceof ConnectionEnded) throw err;
      if (wasLive && err instanceof UnavailableError) {
        this.opts.log.warn({ reason: err.message }, 'live feed lost; reconnecting');
        this.goOffline(`live feed lost: ${err.message}`);
        return 'unavailable';
      }
      throw err;
    } finally {
      watchdog.cancel?.();
      quiet.cancel?.();
      conn.close();
      this.connection = null;
      // frames left unhandled by an ended connection are dropped (the next one resumes from the cursor)
      this.liveFrames = [];
      this.endConnection = null;
      this.feedEpoch = null;
      this.caughtUp = false;
    }
  }

  /**
   * Handles the live frames that arrived together, in order; throws to end the
   * connection (the frames after the one that threw are dropped: the client
   * reconnects from its cursor). Runs of consecutive batch frames are applied
   * in one transaction (`applyGroup`); any other frame ends a run.
   */
  private onFrames(texts: readonly string[]): void {
    let run: BatchFrame[] = [];
    for (const text of texts) {
      let frame: LiveFrame;
      try {
        frame = parseFrame(text);
      } catch (err) {
        // the batches before a malformed frame are applied first
        this.applyGroup(run);
        throw err;
      }
      if (frame.t === 'batch') {
        run.push(frame);
        continue;
      }
      this.applyGroup(run);
      run = [];
      this.onControlFrame(frame);
    }
    this.applyGroup(run);
  }

  /**
   * Applies consecutive batch frames: a batch the replica already holds is
   * skipped, the ones that start at the cursor are applied together in ONE
   * transaction whose stored cursor is the last one's (each batch all or
   * nothing, in its own savepoint), and the first frame that cannot be
   * applied — another epoch, a gap, a malformed batch — ends the connection
   * after the batches before it have committed. A pending checksum's
   * checkpoint ends a transaction too, so the replica is compared exactly there.
   */
  private applyGroup(frames: readonly BatchFrame[]): void {
    if (frames.length === 0) return;
    const { sqlite } = this.opts.replica;
    const state = readSyncState(sqlite);
    if (!state) throw new MustRefetchError('the replica has no cursor');
    let cursor = state.cursor;
    let group: BatchFrame[] = [];
    let stop: Error | null = null;
    for (const frame of frames) {
      if (frame.from.epoch !== cursor.epoch) {
        stop = new MustRefetchError(`the feed is at epoch ${frame.from.epoch}, the replica at ${cursor.epoch}`);
        break;
      }
      if (frame.from.v < cursor.v && frame.checkpoint.v <= cursor.v) {
        this.opts.log.debug({ from: frame.from, checkpoint: frame.checkpoint, cursor }, 'skipped a batch the replica already holds');
        continue;
      }
      if (frame.from.v !== cursor.v) {
        this.opts.log.warn({ from: frame.from, cursor }, 'refused a batch that does not start at the cursor; reconnecting from the cursor');
        stop = new UnavailableError(`batch from v ${frame.from.v} does not start at the cursor v ${cursor.v}`);
        break;
      }
      group.push(frame);
      cursor = frame.checkpoint;
      const c = this.pendingChecksum;
      if (c && c.checkpoint.epoch === cursor.epoch && c.checkpoint.v === cursor.v) {
        this.applyTogether(group);
        group = [];
      }
    }
    this.applyTogether(group);
    if (stop) throw stop;
  }

  private applyTogether(frames: readonly BatchFrame[]): void {
    if (frames.length === 0) return;
    const { sqlite } = this.opts.replica;
    const at = this.isoNow();
    const result = applyBatches(sqlite, this.opts.writer, frames, (ack, when) => this.opts.outbox.settle(ack, when), at);
    if (result.notAtCursor !== false) throw new UnavailableError('the batch does not start at the cursor');
    if (result.applied > 0) {
      const applied = frames.slice(0, result.applied);
      const last = applied.at(-1)!.checkpoint;
      if (applied.length > 1) this.opts.log.debug({ frames: applied.length, from: applied[0]!.from, checkpoint: last }, 'applied queued batches in one transaction');
      this.setStatus({ lastBatchAt: at, cursor: last, ...(result.referenceChanged ? { version: `${last.epoch}:${last.v}` } : {}) });
      if (result.eventIds.length > 0 || applied.some((f) => f.ops.length > 0)) this.opts.onEventsChanged(result.eventIds, false, last);
      if (result.settled.length > 0) this.opts.onOutboxSettled(result.settled);
      if (result.referenceChanged) this.opts.onReferenceChanged();
    }
    if (result.failed) {
      const frame = frames[result.failed.index]!;
      const err = result.failed.error;
      if (err instanceof MalformedRowError || err instanceof BatchShapeError) {
        throw new MalformedError(`batch ${frame.from.v}→${frame.checkpoint.v}: ${err.message}`);
      }
      throw err;
    }
    this.checkDrift(frames[result.applied - 1]!.checkpoint);
  }

  /** Handles one frame other than a batch. */
  private onControlFrame(frame: Exclude<LiveFrame, BatchFrame>): void {
    const { sqlite } = this.opts.replica;
    switch (frame.t) {
      case 'heartbeat': {
        const state = readSyncState(sqlite);
        if (!state || frame.checkpoint.epoch !== state.cursor.epoch) throw new MustRefetchError(`the feed is at epoch ${frame.checkpoint.epoch}`);
        if (frame.checkpoint.v === state.cursor.v) {
          if (!this.caughtUp) {
            this.caughtUp = true;
            this.goLive(state);
            this.settle('live');
          }
        } else if (frame.checkpoint.v > state.cursor.v && this.current.state !== 'catching_up') {
          this.setStatus({ state: 'catching_up' });
        }
        return;
      }
      case 'checksum':
        this.pendingChecksum = frame.checksum;
        this.checkDrift(readSyncState(sqlite)?.cursor ?? null);
        return;
      case 'must_refetch':
        throw new MustRefetchError(frame.reason);
      case 'error':
        this.opts.log.error({ code: frame.code, message: frame.message }, 'the live feed reported an error');
        if (frame.code === 'unauthenticated') throw new UnauthenticatedError(frame.message);
        if (frame.code === 'must_refetch') throw new MustRefetchError(frame.message);
        throw new UnavailableError(`the live feed reported ${frame.code}: ${frame.message}`);
    }
  }

  /** Compares a pending checksum once the replica stands exactly at its checkpoint. */
  private checkDrift(cursor: Cursor | null): void {
    const c = this.pendingChecksum;
    if (!c || !cursor) return;
    if (c.checkpoint.epoch !== cursor.epoch) {
      this.pendingChecksum = null;
      return;
    }
    if (cursor.v > c.checkpoint.v) {
      this.opts.log.debug({ checkpoint: c.checkpoint, cursor }, 'passed a checksum checkpoint without stopping at it; skipped');
      this.pendingChecksum = null;
      return;
    }
    if (cursor.v < c.checkpoint.v) return;
    this.pendingChecksum = null;
    const { sqlite } = this.opts.replica;
    const mismatches = compareChecksum(tableFigures(sqlite, Object.keys(c.tables)), c);
    writeChecksum(sqlite, { checkpoint: c.checkpoint, ok: mismatches.length === 0, at: this.isoNow(), ...(mismatches.length ? { mismatches } : {}) });
    if (mismatches.length > 0) {
      this.opts.log.warn({ checkpoint: c.checkpoint, mismatches }, 'the replica drifted from the data center; re-snapshotting the scope');
      throw new MustRefetchError('checksum drift');
    }
  }

  // ── status ──────────────────────────────────────────────────────────────

  private goLive(state: SyncStateRow): void {
    this.downReason = null;
    this.failures = 0;
    this.setStatus({ state: 'live', offlineSince: null, version: state.referenceVersion, lastBatchAt: state.lastBatchAt, cursor: state.cursor, progress: null, message: null });
  }

  private goOffline(message: string): void {
    this.setStatus({
      state: 'offline',
      offlineSince: this.current.offlineSince ?? this.isoNow(),
      progress: null,
      message: this.downReason && !message.startsWith(this.downReason) ? `${this.downReason}; ${message}` : message,
    });
  }

  private setStatus(patch: Partial<SyncStatus>): void {
    const next = { ...this.current, ...patch };
    if (JSON.stringify(next) === JSON.stringify(this.current)) return;
    this.current = next;
    this.opts.onStatus(next);
  }

  private isoNow(): string {
    return new Date(this.opts.clock.now()).toISOString();
  }
}

type BatchFrame = Extract<LiveFrame, { t: 'batch' }>;

function parseFrame(text: string): LiveFrame {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new MalformedError('a live frame is not JSON');
  }
  const parsed = LiveFrame.safeParse(json);
  if (!parsed.success) throw new MalformedError(`live frame: ${formatZodError(parsed.error).slice(0, 500)}`, parsed.error.issues.slice(0, 10));
  return parsed.data;
}

/** a row snapshot's progress before its first row: nothing counted yet, no total, no rate */
const ROW_SNAPSHOT_START = { rows: 0, bytes: 0, totalRows: null, rowsPerSecond: 0, etaSeconds: null } as const satisfies NonNullable<SyncStatus['progress']>;

function roundMs(ms: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(ms).map(([k, v]) => [k, Math.round(v)]));
}

/** The file a replica image is downloaded to, in the replica's folder (a leftover is deleted at start). */
export const IMAGE_DOWNLOAD_FILE = 'replica-image.download';

/** the database file of a connection, absolute (its name is the path it was opened with) */
function mainFileOf(sqlite: Replica['sqlite']): string {
  const main = (sqlite.prepare('PRAGMA database_list').all() as { name: string; file: string }[]).find((d) => d.name === 'main');
  return main?.file || path.resolve(sqlite.name);
}

/** The cursor epoch of a replica filled from a data center without the sync feed. */
export const LEGACY_EPOCH = 'legacy-reference';
