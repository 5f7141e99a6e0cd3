/**
 * What the events store, the workflow authority and the configuration need from the change log
 * (src/datacenter/sync): a write transaction that takes the next version and records each
 * replicated row it changes. The sync module provides `writeReplicated`; these modules take it
 * as a dependency (a port), so they state exactly what they rely on and tests can see every
 * row a transaction reports.
 */
import type { ReplicatedTable } from '../../core/sync/protocol';
import type { Db, DbOrTx } from '../store/database';

/** The rows one replicated transaction changed, reported as it goes. */
export interface ReplicationOut {
  /** the version this transaction writes (rows that carry a `v` column store it) */
  readonly v: number;
  /**
   * a row written: `scope` is the town code, or null for district-wide rows; `rowJson`, when the caller has
   * it, is exactly JSON.stringify(row) (not made again)
   */
  upsert(table: ReplicatedTable, key: string, scope: string | null, row: unknown, rowJson?: string): void;
  delete(table: ReplicatedTable, key: string, scope?: string | null): void;
}

/** The transaction handle a replicated write runs on. */
export type Tx = DbOrTx;

/**
 * Runs `work` in one transaction that takes the next change-log version (`out.v`); the rows
 * reported to `out` are shipped under that version. A throw rolls everything back, version
 * included. Resolves with work's result and the version committed (src/datacenter/sync/write.ts).
 */
export type WriteReplicated = <T>(db: Db, work: (tx: Tx, out: ReplicationOut) => Promise<T>) => Promise<{ result: T; v: number }>;
