/**
 * The live feed's view of the log, one per server process: the committed head,
 * the epoch, and the most recent versions in memory, so that subscribers who
 * are current get their batches without a query each (20 subscribers at 50
 * commands/s would otherwise be 1,000 queries/s).
 *
 * Versions arrive from writeReplicated's in-process publication — not always
 * in order (two pooled connections commit v and v+1, their answers race) — so
 * the hub only advances its head over a contiguous run. A version that never
 * arrives (written by another process, or its publication lost) is noticed by
 * a poll of `sync_version`; the hub then jumps to the database's head and
 * forgets its memory window, and subscribers behind it read the change log.
 *
 * The hub also runs retention (pruneChangeLog) on a timer.
 */
import type { Db } from '../store/database';
import { syncNotifier, type CommittedVersion } from './notifier';
import { pruneChangeLog, readSyncHead, type SyncHead } from './state';

export interface SyncHubOptions {
  /** how often to look at sync_version for versions not published here (default 1000 ms) */
  pollMs?: number;
  /** how long a missing version may stay missing before the hub gives up waiting (default 200 ms) */
  gapGraceMs?: number;
  /** versions kept in memory (default 2000) … */
  recentVersions?: number;
  /** … and at most this many ops among them (default 50,000) */
  recentOps?: number;
  /** keep the change log this long (default 7 days); null: never prune */
  retentionMs?: number | null;
  /** how often to prune (default 10 minutes) */
  pruneEveryMs?: number;
  /** called with errors of the background poll and pruning (they are retried) */
  onError?: (err: unknown, what: string) => void;
}

export class SyncHub {
  /** last version known committed, every version up to it accounted for */
  head = 0;
  epoch = '';
  prunedThrough = 0;

  private readonly recent = new Map<number, CommittedVersion>();
  private recentOpCount = 0;
  /** `recent` holds every version in (memFloor, head] */
  private memFloor = 0;
  private readonly pending = new Map<number, CommittedVersion>();
  private readonly advanceListeners = new Set<() => void>();
  private readonly epochListeners = new Set<(epoch: string) => void>();
  private readonly timers: NodeJS.Timeout[] = [];
  private gapTimer: NodeJS.Timeout | null = null;
  private readonly unsubscribe: (() => void)[] = [];
  private stopped = false;
  private readonly opts: Required<Omit<SyncHubOptions, 'onError' | 'retentionMs'>> & Pick<SyncHubOptions, 'onError'> & { retentionMs: number | null };

  private constructor(
    readonly db: Db,
    options: SyncHubOptions,
  ) {
    this.opts = {
      pollMs: options.pollMs ?? 1000,
      gapGraceMs: options.gapGraceMs ?? 200,
      recentVersions: options.recentVersions ?? 2000,
      recentOps: options.recentOps ?? 50_000,
      retentionMs: options.retentionMs === undefined ? 7 * 24 * 3600_000 : options.retentionMs,
      pruneEveryMs: options.pruneEveryMs ?? 10 * 60_000,
      onError: options.onError,
    };
  }

  static async start(db: Db, options: SyncHubOptions = {}): Promise<SyncHub> {
    const hub = new SyncHub(db, options);
    const notifier = syncNotifier(db);
    hub.unsubscribe.push(notifier.onCommit((v) => hub.accept(v)));
    hub.unsubscribe.push(notifier.onEpoch((e) => hub.setEpoch(e)));
    const state = await readSyncHead(db);
    hub.epoch = state.epoch;
    hub.prunedThrough = state.prunedThrough;
    hub.head = Math.max(hub.head, state.v);
    hub.memFloor = hub.head;
    for (const v of [...hub.pending.keys()]) if (v <= hub.head) hub.pending.delete(v);
    hub.drain();
    const poll = setInterval(() => void hub.refresh().catch((err) => hub.opts.onError?.(err, 'poll')), hub.opts.pollMs);
    poll.unref();
    hub.timers.push(poll);
    if (hub.opts.retentionMs !== null) {
      const prune = setInterval(() => void hub.prune().catch((err) => hub.opts.onError?.(err, 'prune')), hub.opts.pruneEveryMs);
      prune.unref();
      hub.timers.push(prune);
    }
    return hub;
  }

  stop(): void {
    this.stopped = true;
    for (const t of this.timers) clearInterval(t);
    if (this.gapTimer) clearTimeout(this.gapTimer);
    for (const u of this.unsubscribe) u();
    this.advanceListeners.clear();
    this.epochListeners.clear();
  }

  /** Called whenever the head moves. */
  onAdvance(listener: () => void): () => void {
    this.advanceListeners.add(listener);
    return () => this.advanceListeners.delete(listener);
  }

  /** Called when the database gets a new epoch. */
  onEpoch(listener: (epoch: string) => void): () => void {
    this.epochListeners.add(listener);
    return () => this.epochListeners.delete(listener);
  }

  /**
   * The versions (from, to] from memory, in order, or null when some of them
   * are not held (the caller reads the change log instead).
   */
  versions(from: number, to: number): CommittedVersion[] | null {
    if (from < this.memFloor || to > this.head) return null;
    const out: CommittedVersion[] = [];
    for (let v = from + 1; v <= to; v++) {
      const entry = this.recent.get(v);
      if (!entry) return null;
      out.push(entry);
    }
    return out;
  }

  /**
   * Re-reads head, floor and epoch from the database (also on every connect);
   * returns what the database says — its head may be ahead of the hub's for a
   * moment (a version not yet published here).
   */
  async refresh(): Promise<SyncHead> {
    const state = await readSyncHead(this.db);
    if (this.stopped) return state;
    this.prunedThrough = Math.max(this.prunedThrough, state.prunedThrough);
    if (state.epoch !== this.epoch) this.setEpoch(state.epoch);
    if (state.v > this.head) this.expectHead(state.v);
    return state;
  }

  /** Runs retention now (the timer calls this). */
  async prune(): Promise<void> {
    if (this.opts.retentionMs === null) return;
    const r = await pruneChangeLog(this.db, { olderThan: new Date(Date.now() - this.opts.retentionMs) });
    this.prunedThrough = Math.max(this.prunedThrough, r.prunedThrough);
  }

  private accept(version: CommittedVersion): void {
    if (this.stopped || version.v <= this.head) return;
    this.pending.set(version.v, version);
    this.drain();
  }

  /** The database says `v` has committed: wait a moment for its publication, then jump. */
  private expectHead(v: number): void {
    if (this.gapTimer) return;
    this.gapTimer = setTimeout(() => {
      this.gapTimer = null;
      if (this.stopped || this.head >= v) return;
      // give up on the missing versions: subscribers behind read them from the change log
      this.recent.clear();
      this.recentOpCount = 0;
      this.head = v;
      this.memFloor = v;
      for (const p of [...this.pending.keys()]) if (p <= v) this.pending.delete(p);
      this.drain(true);
    }, this.opts.gapGraceMs);
    this.gapTimer.unref();
  }

  private drain(force = false): void {
    let moved = force;
    while (this.pending.has(this.head + 1)) {
      const next = this.pending.get(this.head + 1)!;
      this.pending.delete(next.v);
      this.recent.set(next.v, next);
      this.recentOpCount += next.ops.length;
      this.head = next.v;
      moved = true;
    }
    while (this.recent.size > this.opts.recentVersions || (this.recentOpCount > this.opts.recentOps && this.recent.size > 1)) {
      const oldest = this.memFloor + 1;
      const entry = this.recent.get(oldest);
      this.recent.delete(oldest);
      this.recentOpCount -= entry?.ops.length ?? 0;
      this.memFloor = oldest;
    }
    if (moved) for (const l of [...this.advanceListeners]) l();
  }

  private setEpoch(epoch: string): void {
    if (epoch === this.epoch) return;
    this.epoch = epoch;
    for (const l of [...this.epochListeners]) l(epoch);
  }
}
