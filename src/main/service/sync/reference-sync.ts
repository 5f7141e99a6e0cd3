/**
 * Reference sync, first cut: keeps the replica's areas, grids and units equal
 * to the data center's by polling `/api/v1/reference/version` and, when the
 * version differs from the one stored, fetching the three resources,
 * validating them with the core schemas and replacing the replicated rows in
 * one transaction together with the new version. (Issue 4 replaces this with
 * the snapshot + live protocol.)
 *
 * The replica is served as it is from the first moment, so the app works
 * offline on yesterday's data. A response that fails validation is refused
 * with a logged error and never touches the replica.
 */
import type { z } from 'zod';
import {
  AreasResponse,
  GridsResponse,
  ReferenceVersion,
  UnitsResponse,
  formatZodError,
  type SyncStatus,
} from '../../../core/index';
import type { Clock } from '../clock';
import type { Logger } from '../log';
import type { Replica } from '../store/open';
import { readScopeState, replaceReferenceData } from '../store/reference-store';
import { pollDelay, retryDelay } from './backoff';

export interface ReferenceSyncOptions {
  replica: Replica;
  dataCenterUrl: string;
  fetch: typeof fetch;
  clock: Clock;
  random: () => number;
  log: Logger;
  /** between checks while the link is up; default 30 s */
  pollIntervalMs?: number;
  /** first retry after a failure; doubles up to retryMaxMs. Defaults 1 s and 30 s */
  retryInitialMs?: number;
  retryMaxMs?: number;
  /** per HTTP request; default 60 s */
  requestTimeoutMs?: number;
  /** every change of the status */
  onStatus(status: SyncStatus): void;
  /** after a new version was committed to the replica */
  onApplied?(version: string): void;
}

export type RoundOutcome = 'applied' | 'unchanged' | 'unavailable' | 'malformed' | 'moved' | 'stopped';

/** The data center could not be reached or did not answer 2xx. */
class UnavailableError extends Error {}
/** The data center answered with something the replica must not take. */
class MalformedError extends Error {
  constructor(
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
  }
}

export class ReferenceSync {
  private readonly base: URL;
  private readonly pollIntervalMs: number;
  private readonly retry: { initialMs: number; maxMs: number };
  private readonly requestTimeoutMs: number;
  private current: SyncStatus;
  private failures = 0;
  private downReason: string | null = null;
  private cancelTimer: (() => void) | null = null;
  private running: Promise<RoundOutcome> | null = null;
  private inflight: AbortController | null = null;
  private stopped = false;
  private readyWaiters: ((ready: boolean) => void)[] = [];

  constructor(private readonly opts: ReferenceSyncOptions) {
    const url = opts.dataCenterUrl;
    this.base = new URL(url.endsWith('/') ? url : `${url}/`);
    this.pollIntervalMs = opts.pollIntervalMs ?? 30_000;
    this.retry = { initialMs: opts.retryInitialMs ?? 1_000, maxMs: opts.retryMaxMs ?? 30_000 };
    this.requestTimeoutMs = opts.requestTimeoutMs ?? 60_000;
    const stored = readScopeState(opts.replica);
    this.current = {
      state: 'connecting',
      dataCenterUrl: opts.dataCenterUrl,
      offlineSince: null,
      lastBatchAt: stored?.syncedAt ?? null,
      version: stored?.version ?? null,
      progress: null,
      message: null,
    };
  }

  status(): SyncStatus {
    return this.current;
  }

  /** Starts polling: the first check runs at once. */
  start(): void {
    this.schedule(0);
  }

  /** Runs one check now (after any round in progress) and re-arms the poll timer. */
  async syncNow(): Promise<RoundOutcome> {
    if (this.stopped) return 'stopped';
    this.cancelTimer?.();
    this.cancelTimer = null;
    if (this.running) await this.running.catch(() => undefined);
    if (this.stopped) return 'stopped';
    const round = this.round();
    this.running = round;
    const outcome = await round.finally(() => {
      if (this.running === round) this.running = null;
    });
    if (!this.stopped) this.schedule(this.nextDelay(outcome));
    return outcome;
  }

  /**
   * Resolves true once the replica holds reference data (at once if it already
   * does), false after `timeoutMs` without.
   */
  whenReady(timeoutMs: number): Promise<boolean> {
    if (this.current.version !== null) return Promise.resolve(true);
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

  /**
   * A host knows the data center is gone before a poll finds out (the
   * embedded one exited): go offline now and keep the reason in the status
   * until the link works again.
   */
  reportDataCenterDown(reason: string): void {
    this.downReason = reason;
    this.opts.log.error({ reason }, 'data center down');
    this.setStatus({ state: 'offline', offlineSince: this.current.offlineSince ?? this.isoNow(), progress: null, message: reason });
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.cancelTimer?.();
    this.cancelTimer = null;
    this.inflight?.abort();
    await this.running?.catch(() => undefined);
    for (const w of [...this.readyWaiters]) w(false);
  }

  private schedule(ms: number): void {
    this.cancelTimer?.();
    this.cancelTimer = this.opts.clock.setTimeout(() => {
      this.cancelTimer = null;
      void this.syncNow();
    }, ms);
  }

  private nextDelay(outcome: RoundOutcome): number {
    if (outcome === 'applied' || outcome === 'unchanged') {
      this.failures = 0;
      return pollDelay(this.pollIntervalMs, this.opts.random);
    }
    this.failures += 1;
    return retryDelay(this.failures, this.retry, this.opts.random);
  }

  private async round(): Promise<RoundOutcome> {
    const abort = new AbortController();
    this.inflight = abort;
    try {
      return await this.check(abort.signal);
    } catch (err) {
      if (this.stopped) return 'stopped';
      if (err instanceof MalformedError) {
        this.opts.log.error(
          { dataCenterUrl: this.opts.dataCenterUrl, reason: err.message, details: err.details },
          'refused malformed reference data from the data center; the replica is unchanged',
        );
        this.goOffline(`refused malformed reference data: ${err.message}`);
        return 'malformed';
      }
      const message = err instanceof Error ? err.message : String(err);
      if (this.current.state !== 'offline') {
        this.opts.log.warn({ dataCenterUrl: this.opts.dataCenterUrl, reason: message }, 'data center unreachable; serving the replica offline');
      } else {
        this.opts.log.debug({ reason: message, failures: this.failures + 1 }, 'data center still unreachable');
      }
      this.goOffline(`cannot reach the data center: ${message}`);
      return 'unavailable';
    } finally {
      if (this.inflight === abort) this.inflight = null;
    }
  }

  private async check(signal: AbortSignal): Promise<RoundOutcome> {
    const remote = (await this.getJson('api/v1/reference/version', ReferenceVersion, signal)).value;
    const stored = readScopeState(this.opts.replica);
    if (stored?.version === remote.version) {
      this.goLive(stored.version, stored.syncedAt);
      return 'unchanged';
    }

    const started = this.opts.clock.now();
    const totalRows = 1 + remote.counts.towns + remote.counts.villages + remote.counts.grids + remote.counts.units;
    let rows = 0;
    let bytes = 0;
    const progress = () => {
      const seconds = Math.max(0.001, (this.opts.clock.now() - started) / 1000);
      const rowsPerSecond = rows / seconds;
      const etaSeconds = rowsPerSecond > 0 ? Math.max(0, (totalRows - rows) / rowsPerSecond) : null;
      this.setStatus({ state: 'snapshot', progress: { rows, bytes, totalRows, rowsPerSecond, etaSeconds } });
    };
    progress();
    const counted = <T>(got: { value: T; bytes: number }, n: (v: T) => number): T => {
      rows += n(got.value);
      bytes += got.bytes;
      progress();
      return got.value;
    };
    const [areas, grids, units] = await Promise.all([
      this.getJson('api/v1/areas', AreasResponse, signal).then((r) => counted(r, (v) => v.areas.length)),
      this.getJson('api/v1/grids', GridsResponse, signal).then((r) => counted(r, (v) => v.grids.length)),
      this.getJson('api/v1/units', UnitsResponse, signal).then((r) => counted(r, (v) => v.units.length)),
    ]);

    const versions = new Set([remote.version, areas.version, grids.version, units.version]);
    if (versions.size > 1) {
      // The data center changed while we were fetching: not an error, just try again.
      this.opts.log.info({ versions: [...versions] }, 'reference data changed during the fetch; fetching again');
      return 'moved';
    }
    checkCounts(remote, areas.areas, grids.grids.length, units.units.length);

    const syncedAt = this.isoNow();
    try {
      replaceReferenceData(this.opts.replica, { version: remote.version, areas: areas.areas, grids: grids.grids, units: units.units }, syncedAt);
    } catch (err) {
      // A constraint of the replica (a grid in an unknown village, a duplicate code) refused the set.
      const code = (err as { code?: unknown }).code;
      if (typeof code === 'string' && code.startsWith('SQLITE_CONSTRAINT')) {
        throw new MalformedError(`inconsistent reference data (${code}): ${(err as Error).message}`);
      }
      throw err;
    }
    this.opts.log.info(
      { version: remote.version, areas: areas.areas.length, grids: grids.grids.length, units: units.units.length, bytes, ms: this.opts.clock.now() - started },
      'reference data replicated',
    );
    this.goLive(remote.version, syncedAt);
    this.opts.onApplied?.(remote.version);
    return 'applied';
  }

  private async getJson<S extends z.ZodType>(path: string, schema: S, signal: AbortSignal): Promise<{ value: z.output<S>; bytes: number }> {
    const url = new URL(path, this.base);
    let text: string;
    try {
      const res = await this.opts.fetch(url, {
        headers: { accept: 'application/json' },
        signal: AbortSignal.any([signal, AbortSignal.timeout(this.requestTimeoutMs)]),
      });
      if (!res.ok) {
        await res.body?.cancel().catch(() => undefined);
        throw new UnavailableError(`HTTP ${res.status} from ${url.pathname}`);
      }
      text = await res.text();
    } catch (err) {
      if (err instanceof UnavailableError) throw err;
      throw new UnavailableError(describeFetchError(err, url));
    }
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      throw new MalformedError(`${url.pathname} is not JSON`);
    }
    const parsed = schema.safeParse(json);
    if (!parsed.success) throw new MalformedError(`${url.pathname}: ${formatZodError(parsed.error).slice(0, 500)}`, parsed.error.issues.slice(0, 20));
    return { value: parsed.data, bytes: Buffer.byteLength(text) };
  }

  private goLive(version: string, lastBatchAt: string): void {
    this.downReason = null;
    this.setStatus({ state: 'live', offlineSince: null, version, lastBatchAt, progress: null, message: null });
    for (const w of [...this.readyWaiters]) w(true);
  }

  private goOffline(message: string): void {
    this.setStatus({
      state: 'offline',
      offlineSince: this.current.offlineSince ?? this.isoNow(),
      progress: null,
      message: this.downReason ? `${this.downReason}; ${message}` : message,
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

function checkCounts(
  remote: ReferenceVersion,
  areas: { level: string }[],
  grids: number,
  units: number,
): void {
  const towns = areas.filter((a) => a.level === 'town').length;
  const villages = areas.filter((a) => a.level === 'village').length;
  const districts = areas.filter((a) => a.level === 'district').length;
  const want = remote.counts;
  if (districts !== 1 || towns !== want.towns || villages !== want.villages || grids !== want.grids || units !== want.units) {
    throw new MalformedError(
      `counts differ from the announced version: got ${districts} district, ${towns} towns, ${villages} villages, ${grids} grids, ${units} units; ` +
        `announced ${want.towns} towns, ${want.villages} villages, ${want.grids} grids, ${want.units} units`,
    );
  }
}

function describeFetchError(err: unknown, url: URL): string {
  if (err instanceof Error) {
    if (err.name === 'TimeoutError') return `timed out fetching ${url.pathname}`;
    if (err.name === 'AbortError') return `aborted fetching ${url.pathname}`;
    const cause = (err as { cause?: { code?: string; message?: string } }).cause;
    const detail = cause?.code ?? cause?.message;
    return detail ? `${err.message} (${detail})` : err.message;
  }
  return String(err);
}
