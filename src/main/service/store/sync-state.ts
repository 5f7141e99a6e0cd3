/**
 * The replica's position in the data center's log: which scope it holds, the
 * cursor `{ epoch, v }` up to which every change is applied, the reference
 * data version and the last drift check. One row; it is written only in the
 * same transaction as the rows it describes (a snapshot swap or a batch).
 */
import type Database from 'better-sqlite3';
import type { Cursor, SyncScope } from '../../../core/index';

export interface ChecksumRecord {
  checkpoint: Cursor;
  ok: boolean;
  /** ISO time it was checked */
  at: string;
  /** tables that differed, with local and remote figures */
  mismatches?: { table: string; local: { count: number; sumV: number }; remote: { count: number; sumV: number } }[];
}

export interface SyncStateRow {
  scope: SyncScope;
  cursor: Cursor;
  referenceVersion: string;
  lastChecksum: ChecksumRecord | null;
  snapshotAt: string;
  lastBatchAt: string;
}

interface Raw {
  scope: string;
  epoch: string;
  v: number;
  reference_version: string;
  last_checksum: string | null;
  snapshot_at: string;
  last_batch_at: string;
}

export function readSyncState(sqlite: Database.Database): SyncStateRow | null {
  const r = sqlite.prepare('SELECT * FROM sync_state LIMIT 1').get() as Raw | undefined;
  if (!r) return null;
  return {
    scope: r.scope as SyncScope,
    cursor: { epoch: r.epoch, v: r.v },
    referenceVersion: r.reference_version,
    lastChecksum: r.last_checksum ? (JSON.parse(r.last_checksum) as ChecksumRecord) : null,
    snapshotAt: r.snapshot_at,
    lastBatchAt: r.last_batch_at,
  };
}

/** Replaces the row (inside the caller's transaction). */
export function writeSyncState(sqlite: Database.Database, s: SyncStateRow): void {
  sqlite.prepare('DELETE FROM sync_state').run();
  sqlite
    .prepare('INSERT INTO sync_state (scope, epoch, v, reference_version, last_checksum, snapshot_at, last_batch_at) VALUES (?, ?, ?, ?, ?, ?, ?)')
    .run(s.scope, s.cursor.epoch, s.cursor.v, s.referenceVersion, s.lastChecksum ? JSON.stringify(s.lastChecksum) : null, s.snapshotAt, s.lastBatchAt);
}

export function writeChecksum(sqlite: Database.Database, record: ChecksumRecord): void {
  sqlite.prepare('UPDATE sync_state SET last_checksum = ?').run(JSON.stringify(record));
}
