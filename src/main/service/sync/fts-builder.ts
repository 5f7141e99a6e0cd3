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
 *
 * FTS5's own merging is off while the build runs (buildFtsChunk sets `automerge=0`): after each chunk the
 * builder merges in steps of its own (`ftsMergeStep`), each its own turn sized by time like the chunks and capped in
 * pages (FTS_MERGE_MAX_PAGES), until a step finds nothing to merge (no level of 4 segments or more), then the next
 * chunk. With FTS5's automerge the
 * commit that flushed a segment paid merge work in proportion to its pages and the index's levels, all at once
 * (docs/sync-client.md, "Live batches while the FTS index builds").
 */
import type Database from 'better-sqlite3';
import { connectionOf, type ConnectionLike, type ReplicaConnection } from '../store/connection';
import { buildFtsChunk, ftsBuiltThrough, ftsMergeStep, repairFtsAutomerge } from '../store/replica-writes';

/**
 * A trigram chunk of 1,000 events took 260–670 ms on a 10^6-event replica (measured), long enough to hold a
 * live batch past its 250 ms target, so the chunks are sized by time: each next chunk aims at
 * FTS_CHUNK_BUDGET_MS from the rate of the last one, between 20 and 2,000 events.
 */
export const FTS_CHUNK_BUDGET_MS = 25;
const FTS_CHUNK_FIRST_ROWS = 100;
/** leaf pages of the first merge step (FTS5's own unit of merge work is 64) */
const FTS_MERGE_FIRST_PAGES = 64;
/**
 * A step's time per page varies with what it merges (a level's end, the start of the next): sized by time alone
 * after a cheap step it reached 2,000 pages and took 100–164 ms (0.05–0.08 ms a page on a 10^6 build), so it is
 * capped. On a copy of a 10^6-event replica with live batches at 100/s (bench/sync/fts-live.ts, load < 1.1) the
 * steps' p99 was 50–51 ms at 800 pages, 37–43 at 400, 24–34 at 200, 19–25 at 100, the build 22–31 s at every cap;
 * the maximum stayed 43–97 ms at every cap: FTS5 ends a step only between terms, so a common trigram's doclist in
 * the largest segments is merged in one piece (sqlite3.c fts5IndexMergeLevel). 200: docs/sync-client.md.
 */
export const FTS_MERGE_MAX_PAGES = 200;

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

export interface FtsMergeDone {
  /** the leaf pages the step aimed at */
  pages: number;
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
  /** the time a chunk or merge step aims at when sized by time; default FTS_CHUNK_BUDGET_MS */
  budgetMs?: number;
  /** the most leaf pages a merge step aims at; default FTS_MERGE_MAX_PAGES */
  mergeMaxPages?: number;
  onChunk?(chunk: FtsChunkDone): void;
  /** a merge step between chunks merged something */
  onMerge?(step: FtsMergeDone): void;
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

  /**
   * Builds the index until it is complete; nothing to do when it is (but FTS5's automerge put back on if it is
   * off: `repairFtsAutomerge`), or when a build runs. Called at the service's start, at each (re)connection and
   * after a snapshot or an image is switched in.
   */
  start(): void {
    if (this.stopped || this.next) return;
    if (ftsBuiltThrough(this.db()) === null) {
      try {
        repairFtsAutomerge(this.db());
      } catch (err) {
        this.opts.onError(err);
      }
      return;
    }
    const started = performance.now();
    let rows = this.opts.chunkRows ?? FTS_CHUNK_FIRST_ROWS;
    let pages = Math.min(FTS_MERGE_FIRST_PAGES, this.opts.mergeMaxPages ?? FTS_MERGE_MAX_PAGES);
    // merge steps are due after each chunk (and at a resumed start: the last run may have stopped between them)
    let merging = true;
    const step = () => {
      this.next = null;
      if (this.stopped || this.opts.mayRun?.() === false) return;
      // the frames queued meanwhile go first: their setImmediate is behind this one
      if (this.opts.livePending()) {
        this.next = setImmediate(step);
        return;
      }
      const t0 = performance.now();
      if (merging) {
        let merged: boolean;
        try {
          merged = ftsMergeStep(this.db(), pages);
        } catch (err) {
          this.opts.onError(err);
          return;
        }
        const ms = performance.now() - t0;
        if (merged) {
          this.opts.onMerge?.({ pages, ms });
          pages = Math.min(this.opts.mergeMaxPages ?? FTS_MERGE_MAX_PAGES, ftsChunkRowsAfter(pages, ms, this.opts.budgetMs));
        } else merging = false;
        this.next = setImmediate(step);
        return;
      }
      let done: boolean;
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
      // the last chunk turned FTS5's automerge back on: it merges what is left a bounded step per commit
      if (done) this.opts.onDone(performance.now() - started);
      else {
        merging = true;
        this.next = setImmediate(step);
      }
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
