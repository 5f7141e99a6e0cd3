/**
 * The two ways the replica changes, each in ONE SQLite transaction together
 * with the cursor that says how far it is:
 *
 * - a snapshot: rows stream into the `stage_` twins (in chunks, outside the
 *   live tables), then `swapInSnapshot` drops each live table, renames its
 *   twin into place, recreates the indexes from the live table's own DDL,
 *   rebuilds the FTS index and writes the new `sync_state` — readers see the
 *   old replica or the new one, and a crash at any point leaves the old one;
 * - a live batch: `applyBatch` checks that the batch starts at the stored
 *   cursor, applies its ops, settles the outbox entries its acks name, and
 *   advances the cursor, or changes nothing at all.
 *
 * Building indexes once after a bulk load is much cheaper than keeping ten
 * of them up to date row by row, which is why the twins have none.
 */
import type Database from 'better-sqlite3';
import type { CommandAck, Cursor, ReplicatedTable, ScopeChecksum, SyncOp, SyncScope } from '../../../core/index';
import { REPLICATED_TABLES, type RowWriter } from './replicated-rows';
import { readSyncState, writeSyncState, type ChecksumRecord } from './sync-state';

/** Tables whose change moves the reference version (areas/tree, grids/geometry are rebuilt). */
export const REFERENCE_TABLES: ReadonlySet<ReplicatedTable> = new Set(['areas', 'grids', 'units', 'workers', 'config']);

export type TableFigures = Record<string, { count: number; sumV: number }>;

/** count(*) and sum(v) per table, of the live tables or of their staging twins. */
export function tableFigures(sqlite: Database.Database, tables: readonly string[], staged = false): TableFigures {
  const out: TableFigures = {};
  for (const t of tables) {
    if (!(REPLICATED_TABLES as readonly string[]).includes(t)) {
      out[t] = { count: 0, sumV: 0 };
      continue;
    }
    const r = sqlite.prepare(`SELECT count(*) AS count, coalesce(sum(v), 0) AS sumV FROM ${staged ? 'stage_' : ''}${t}`).get() as { count: number; sumV: number };
    out[t] = r;
  }
  return out;
}

/** Compares figures with a checksum; the tables that differ. */
export function compareChecksum(local: TableFigures, remote: ScopeChecksum): NonNullable<ChecksumRecord['mismatches']> {
  const out: NonNullable<ChecksumRecord['mismatches']> = [];
  for (const [table, want] of Object.entries(remote.tables)) {
    const got = local[table] ?? { count: 0, sumV: 0 };
    if (got.count !== want.count || got.sumV !== want.sumV) out.push({ table, local: got, remote: want });
  }
  return out;
}

export function clearStaging(sqlite: Database.Database): void {
  sqlite.transaction(() => {
    for (const t of REPLICATED_TABLES) sqlite.exec(`DELETE FROM stage_${t}`);
  })();
}

/**
 * Writes staged rows in one transaction. Staging commits use
 * `synchronous=NORMAL` (in WAL mode a commit then does not fsync: a power cut
 * can only lose staged rows, which a restarted snapshot refetches anyway),
 * and FULL is back before anything else can write: better-sqlite3 is
 * synchronous, so no outbox write can slip in between.
 *
 * The WAL is checkpointed every STAGE_WAL_PAGES pages while staging instead of
 * SQLite's 1,000 (4 MB): each checkpoint fsyncs the WAL and the database, and
 * 10^6 events (~2.5 GB) made ~600 of them. Not `synchronous=OFF`: a checkpoint
 * without those fsyncs could tear the database file itself, live tables
 * included, on a power cut.
 */
export const STAGE_WAL_PAGES = 32_768;

export function stageRows(sqlite: Database.Database, writer: RowWriter, table: ReplicatedTable, rows: readonly { key: string; v: number; row: unknown }[]): void {
  sqlite.pragma('synchronous = NORMAL');
  const autocheckpoint = sqlite.pragma('wal_autocheckpoint', { simple: true }) as number;
  sqlite.pragma(`wal_autocheckpoint = ${STAGE_WAL_PAGES}`);
  try {
    sqlite.transaction(() => {
      for (const r of rows) writer.stageRow(table, r.key, r.v, r.row);
    })();
  } finally {
    sqlite.pragma('synchronous = FULL');
    sqlite.pragma(`wal_autocheckpoint = ${autocheckpoint}`);
  }
}

export interface SnapshotMeta {
  scope: SyncScope;
  checkpoint: Cursor;
  referenceVersion: string;
  checksum: ChecksumRecord | null;
  /** ISO time */
  at: string;
}

const CREATE_TABLE = /^CREATE TABLE\s+(?:"[^"]+"|\S+)\s*\(/i;

export function swapInSnapshot(sqlite: Database.Database, meta: SnapshotMeta): void {
  sqlite.transaction(() => {
    for (const t of REPLICATED_TABLES) {
      const tableSql = sqlite.prepare("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?").pluck().get(t) as string;
      const dependents = sqlite
        .prepare("SELECT sql FROM sqlite_master WHERE tbl_name = ? AND type IN ('index', 'trigger') AND sql IS NOT NULL ORDER BY type, name")
        .pluck()
        .all(t) as string[];
      sqlite.exec(`DROP TABLE ${t}`);
      sqlite.exec(`ALTER TABLE stage_${t} RENAME TO ${t}`);
      for (const ddl of dependents) sqlite.exec(ddl);
      if (!CREATE_TABLE.test(tableSql)) throw new Error(`cannot recreate the staging twin of ${t} from ${tableSql.slice(0, 60)}`);
      sqlite.exec(tableSql.replace(CREATE_TABLE, `CREATE TABLE stage_${t} (`));
    }
    sqlite.exec("INSERT INTO events_fts (events_fts) VALUES ('delete-all')");
    sqlite.exec("INSERT INTO events_fts (rowid, title, description, address) SELECT rid, title, json_extract(doc, '$.description'), address FROM events");
    writeSyncState(sqlite, {
      scope: meta.scope,
      cursor: meta.checkpoint,
      referenceVersion: meta.referenceVersion,
      lastChecksum: meta.checksum,
      snapshotAt: meta.at,
      lastBatchAt: meta.at,
    });
  })();
}

export interface BatchInput {
  from: Cursor;
  checkpoint: Cursor;
  ops: readonly SyncOp[];
  acks: readonly CommandAck[];
}

export type BatchResult =
  | {
      applied: true;
      /** events whose row or timeline changed, or whose pending overlay went away */
      eventIds: string[];
      /** outbox entries the acks settled */
      settled: number[];
      referenceChanged: boolean;
    }
  /** `from` is not the stored cursor: nothing was written */
  | { applied: false; reason: 'not_at_cursor'; cursor: Cursor | null };

export class BatchShapeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BatchShapeError';
  }
}

/** Checks that do not need the database: versions inside (from, checkpoint], one epoch, upserts carry a row. */
export function checkBatchShape(b: BatchInput): void {
  if (b.checkpoint.epoch !== b.from.epoch) throw new BatchShapeError(`checkpoint epoch ${b.checkpoint.epoch} differs from the batch's epoch ${b.from.epoch}`);
  if (b.checkpoint.v < b.from.v) throw new BatchShapeError(`checkpoint v ${b.checkpoint.v} is before from v ${b.from.v}`);
  for (const op of b.ops) {
    if (op.v <= b.from.v || op.v > b.checkpoint.v) throw new BatchShapeError(`op ${op.table}/${op.key} has v ${op.v} outside (${b.from.v}, ${b.checkpoint.v}]`);
    if (op.op === 'upsert' && (op.row === undefined || op.row === null)) throw new BatchShapeError(`upsert of ${op.table}/${op.key} has no row`);
  }
  for (const a of b.acks) {
    if (a.v > b.checkpoint.v) throw new BatchShapeError(`ack of mutation ${a.mutationId} has v ${a.v} after the checkpoint ${b.checkpoint.v}`);
  }
}

export interface OutboxSettle {
  /** settles one entry from an ack inside the batch's transaction; returns its event id if it changed */
  (ack: CommandAck, at: string): { changed: boolean; eventId: string | null };
}

export function applyBatch(sqlite: Database.Database, writer: RowWriter, batch: BatchInput, settle: OutboxSettle, at: string): BatchResult {
  checkBatchShape(batch);
  return sqlite.transaction((): BatchResult => {
    const state = readSyncState(sqlite);
    if (!state || state.cursor.epoch !== batch.from.epoch || state.cursor.v !== batch.from.v) {
      return { applied: false, reason: 'not_at_cursor', cursor: state?.cursor ?? null };
    }
    const eventIds = new Set<string>();
    let referenceChanged = false;
    for (const op of batch.ops) {
      if (op.op === 'upsert') writer.upsert(op.table, op.key, op.v, op.row);
      else writer.delete(op.table, op.key);
      if (op.table === 'events') eventIds.add(op.key);
      else if (op.table === 'audit') {
        const id = (op.row as { eventId?: unknown } | undefined)?.eventId;
        eventIds.add(typeof id === 'string' ? id : op.key.slice(0, op.key.lastIndexOf(':')));
      } else if (REFERENCE_TABLES.has(op.table)) referenceChanged = true;
    }
    const settled: number[] = [];
    for (const ack of batch.acks) {
      const r = settle(ack, at);
      if (r.changed) {
        settled.push(ack.mutationId);
        if (r.eventId) eventIds.add(r.eventId);
      }
    }
    writeSyncState(sqlite, {
      ...state,
      cursor: batch.checkpoint,
      referenceVersion: referenceChanged ? `${batch.checkpoint.epoch}:${batch.checkpoint.v}` : state.referenceVersion,
      lastBatchAt: at,
    });
    return { applied: true, eventIds: [...eventIds], settled, referenceChanged };
  })();
}
