/**
 * What a snapshot export may hold, so that desktops reading snapshots can never starve the rest of
 * the data center (intake, commands, auth, the live feed) of database connections.
 *
 * On PostgreSQL each export holds a pooled connection for as long as its client reads (one
 * REPEATABLE READ transaction, ./snapshot.ts); a client that opens a snapshot and stops reading
 * would hold it for ever. Two bounds:
 * - at most `maxConcurrent` exports at once, below the pool's size: a further request is answered at
 *   once `503 unavailable` with `Retry-After` (the desktop's sync client retries with backoff);
 * - an export whose client has read nothing for `stallTimeoutMs` while the stream waits for it
 *   (back-pressure) is cut: the response is destroyed, the half-read COPY's connection closed.
 * On PGlite (one connection, a snapshot transaction holds the whole database) the same bounds hold.
 */
import { HuyingError } from '../../core';
import { postgresPoolOf, type DataCenterDb } from '../store/database';

export interface SnapshotLimitOptions {
  /** exports at once (default 4; on PostgreSQL it must stay below the pool's size) */
  maxConcurrent?: number;
  /** cut an export whose client has read nothing for this long while it waits (default 30 s; 0 = never) */
  stallTimeoutMs?: number;
  /** the Retry-After of a refused export, in seconds (default 5) */
  retryAfterSeconds?: number;
}

export type SnapshotLimits = Required<SnapshotLimitOptions>;

export const DEFAULT_SNAPSHOT_LIMITS: SnapshotLimits = { maxConcurrent: 4, stallTimeoutMs: 30_000, retryAfterSeconds: 5 };

/** The limits with their defaults; throws `invalid_args` for a limit the pool cannot honour. */
export function resolveSnapshotLimits(opts: SnapshotLimitOptions | undefined, store: Pick<DataCenterDb, 'db'>): SnapshotLimits {
  const limits: SnapshotLimits = { ...DEFAULT_SNAPSHOT_LIMITS, ...definedOnly(opts ?? {}) };
  const poolSize = postgresPoolOf(store.db)?.options.max ?? null;
  if (!Number.isInteger(limits.maxConcurrent) || limits.maxConcurrent < 1) {
    throw new HuyingError('invalid_args', `the snapshot export limit must be a whole number ≥ 1, got ${limits.maxConcurrent}`);
  }
  if (poolSize !== null && limits.maxConcurrent >= poolSize) {
    throw new HuyingError(
      'invalid_args',
      `the snapshot export limit (${limits.maxConcurrent}) must stay below the PostgreSQL pool's ${poolSize} connections, or stalled snapshot readers could hold them all`,
    );
  }
  if (!Number.isFinite(limits.stallTimeoutMs) || limits.stallTimeoutMs < 0) {
    throw new HuyingError('invalid_args', `the snapshot stall timeout must be ≥ 0 ms, got ${limits.stallTimeoutMs}`);
  }
  if (!Number.isInteger(limits.retryAfterSeconds) || limits.retryAfterSeconds < 0) {
    throw new HuyingError('invalid_args', `the snapshot Retry-After must be a whole number of seconds ≥ 0, got ${limits.retryAfterSeconds}`);
  }
  return limits;
}

function definedOnly<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
