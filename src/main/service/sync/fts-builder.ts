/**
 * The background build of a snapshot's full-text index (store/replica-writes.ts `buildFtsChunk`), on the data
 * service's one thread, so that a live batch never waits long behind it (issue 4: live p99 < 250 ms).
 *
 * The build runs a chunk per turn of the event loop (setImmediate) and each chunk is sized by time
 * (`ftsChunkRowsAfter`). A frame that arrives during a chunk is handled in a setImmediate of its own, queued
 * after the next chunk's: it waited for the rest of one chunk and the whole next one (measured on a copy of a
 * 10^6-event replica with bench/sync/fts-live.ts: a batch's wait p50 44–50 ms behind chunks of p50 27 ms).
 * Here a chunk whose turn comes while live frames are queued gives its turn up (`livePending`): they are
 * applied first, and a frame waits for at most the chunk that was running when it arrived.
 */
import type Database from 'better-sqlite3';
import { connectionOf, type ConnectionLike, type ReplicaConnection } from '../store/connection';
import { buildFtsChunk, ftsBuiltThrough } from '../store/replica-writes';

/**
 * A trigram chunk of 1,000 events took 260–670 ms on a 10^6-event replica (measured), long enough to hold a
 * live batch past its 250 ms target, so the chunks are sized by time: each next chunk aims at
 * FTS_CHUNK_BUDGET_MS from the rate of the last one, between 20 and 2,000 events.
 */
export const FTS_CHUNK_BUDGET_MS = 25;
const FTS_CHUNK_FIRST_ROWS = 100;

/** The events of the next FTS chunk, after one of `rows` events took `ms`. */
export function ftsChunkRowsAfter(rows: number, ms: number, budgetMs = FTS_CHUNK_BUDGET_MS): number {
  const target = (rows * budgetMs) / Math.max(ms, 0.5);
  // move halfway (in ratio) toward the target, so one slow chunk (a checkpoint, GC) does not swing it
  const next = Math.sqrt(rows * target);
  return Math.round(Math.min(2_000, Math.max(20, next)));
}

export interface FtsChunkDone {
  /** events indexed */
  rows: number;
  ms: number;
}

export interface FtsBuilderOptions {
  /** the replica: a handle is read at every step (an image renamed into place replaces its connection) */
  sqlite: ConnectionLike;
  /** live frames are queued and not applied yet: they go before the next chunk */
  livePending(): boolean;
  /** the build may go on (false while a snapshot streams: the build stops, and its swap starts it over); default always */
  mayRun?(): boolean;
  /** events per chunk, fixed; default sized by time (ftsChunkRowsAfter) */
  chunkRows?: number;
  /** the time a chunk aims at when sized by time; default FTS_CHUNK_BUDGET_MS */
  budgetMs?: number;
  onChunk?(chunk: FtsChunkDone): void;
  /** the index is complete */
  onDone(ms: number): void;
  /** a chunk threw: the build stops (text search reads the rest with LIKE) */
  onError(err: unknown): void;
}

export class FtsBuilder {
  private next: NodeJS.Immediate | null = null;
  private stopped = false;

  private readonly replica: ReplicaConnection;

  constructor(private readonly opts: FtsBuilderOptions) {
    this.replica = connectionOf(opts.sqlite);
  }

  private db(): Database.Database {
    return this.replica.sqlite;
  }

  /** true while a chunk is scheduled */
  running(): boolean {
    return this.next !== null;
  }

  /** Builds the index until it is complete; nothing to do when it is, or when a build runs. */
  start(): void {
    if (this.stopped || this.next || ftsBuiltThrough(this.db()) === null) return;
    const started = performance.now();
    let rows = this.opts.chunkRows ?? FTS_CHUNK_FIRST_ROWS;
    const step = () => {
      this.next = null;
      if (this.stopped || this.opts.mayRun?.() === false) return;
      // the frames queued meanwhile go first: their setImmediate is behind this one
      if (this.opts.livePending()) {
        this.next = setImmediate(step);
        return;
      }
      let done: boolean;
      const t0 = performance.now();
      const before = ftsBuiltThrough(this.db()) ?? 0;
      try {
        done = buildFtsChunk(this.db(), rows);
      } catch (err) {
        this.opts.onError(err);
        return;
      }
      const ms = performance.now() - t0;
      if (this.opts.chunkRows === undefined) rows = ftsChunkRowsAfter(rows, ms, this.opts.budgetMs);
      if (this.opts.onChunk) {
        const after = ftsBuiltThrough(this.db());
        // the last chunk indexed what was left, fewer than `rows` events
        const indexed = (
          after === null
            ? this.db().prepare('SELECT count(*) FROM events WHERE rid > ?').pluck().get(before)
            : this.db().prepare('SELECT count(*) FROM events WHERE rid > ? AND rid <= ?').pluck().get(before, after)
        ) as number;
        this.opts.onChunk({ rows: indexed, ms });
      }
      if (done) this.opts.onDone(performance.now() - started);
      else this.next = setImmediate(step);
    };
    this.next = setImmediate(step);
  }

  /** No chunk after the one running (if any); `start` may begin again. */
  pause(): void {
    if (this.next) clearImmediate(this.next);
    this.next = null;
  }

  /** For good. */
  stop(): void {
    this.stopped = true;
    this.pause();
  }
}
