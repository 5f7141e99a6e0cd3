/**
 * The two ways the replica changes, each in ONE SQLite transaction together
 * with the cursor that says how far it is:
 *
 * - a snapshot: rows stream into the `stage_` twins (in chunks, outside the
 *   live tables), then `swapInSnapshot` drops each live table, renames its
 *   twin into place, recreates the indexes from the live table's own DDL,
 *   empties the FTS index (rebuilt inside, or after it in chunks:
 *   `buildFtsChunk`) and writes the new `sync_state` — readers see the
 *   old replica or the new one, and a crash at any point leaves the old one;
 * - a live batch: `applyBatch` checks that the batch starts at the stored
 *   cursor, applies its ops, settles the outbox entries its acks name, and
 *   advances the cursor, or changes nothing at all. `applyBatches` does the
 *   same for consecutive batches that queued up, in one transaction (each
 *   batch in a savepoint: still all or nothing, with its cursor).
 *
 * Building indexes once after a bulk load is much cheaper than keeping ten
 * of them up to date row by row, which is why the twins have none.
 */
import type Database from 'better-sqlite3';
import type { CommandAck, Cursor, ReplicatedTable, ScopeChecksum, SyncOp, SyncScope } from '../../../core/index';
import { readPreference, writePreference } from './preferences';
import { MalformedRowError, REPLICATED_TABLES, type RowWriter, type StagedRows } from './replicated-rows';
import { readSyncState, writeSyncState, type ChecksumRecord, type SyncStateRow } from './sync-state';

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

/**
 * The tables a snapshot stages and swaps: the replicated tables and
 * `events_doc`, the event documents kept apart from `events` (migration 0008)
 * so that the swap's index builds scan a narrow table.
 */
export const SWAPPED_TABLES: readonly string[] = [...REPLICATED_TABLES, 'events_doc'];

export function clearStaging(sqlite: Database.Database): void {
  sqlite.transaction(() => {
    for (const t of SWAPPED_TABLES) sqlite.exec(`DELETE FROM stage_${t}`);
  })();
}

/**
 * Writes staged rows in one transaction. Staging commits use
 * `synchronous=NORMAL` (in WAL mode a commit then does not fsync: a power cut
 * can only lose staged rows, which a restarted snapshot refetches anyway),
 * and FULL is back before anything else can write: better-sqlite3 is
 * synchronous, so no outbox write can slip in between.
 *
 * The WAL is checkpointed every STAGE_WAL_BYTES (128 MB) while staging instead
 * of every 1,000 pages (SQLite's default; 4 MB of 4 KB pages): each checkpoint
 * fsyncs the WAL and the database, and 10^6 events (~2.5 GB) made ~600 of
 * them. In bytes, not pages: the replica's pages are 16 KB (store/open.ts),
 * an older replica's may be 4 KB, and the WAL should stay ~128 MB either way.
 * Not `synchronous=OFF`: a checkpoint without those fsyncs could tear the
 * database file itself, live tables included, on a power cut.
 */
export const STAGE_WAL_BYTES = 128 * 2 ** 20;

export function stageRows(sqlite: Database.Database, writer: RowWriter, table: ReplicatedTable, rows: readonly { key: string; v: number; row: unknown }[]): void {
  stagingTransaction(sqlite, () => {
    for (const r of rows) writer.stageRow(table, r.key, r.v, r.row);
  });
}

/** `stageRows` of frames whose rows are extracted already (sync/snapshot-frames.ts), in one transaction. */
export function stageFrames(sqlite: Database.Database, writer: RowWriter, frames: readonly StagedRows[]): void {
  stagingTransaction(sqlite, () => {
    for (const f of frames) writer.stageFrame(f);
  });
}

function stagingTransaction(sqlite: Database.Database, fn: () => void): void {
  sqlite.pragma('synchronous = NORMAL');
  const autocheckpoint = sqlite.pragma('wal_autocheckpoint', { simple: true }) as number;
  const pageSize = sqlite.pragma('page_size', { simple: true }) as number;
  sqlite.pragma(`wal_autocheckpoint = ${Math.max(1000, Math.round(STAGE_WAL_BYTES / pageSize))}`);
  try {
    sqlite.transaction(fn)();
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

/**
 * The full-text index of a snapshot can be built after the swap, in chunks
 * (`buildFtsChunk`), instead of inside it: the trigram index of 10^6 events
 * is one more scan of the whole table on the swap's critical path. While it
 * is being built, the preference `ftsIndex` says how far: every event with
 * `rid <= through` is indexed (live upserts keep every row they touch indexed
 * anyway), and text search reads the rest with LIKE (queries/events/event-sql.ts).
 * No preference, or `through: null`: the index is complete.
 */
export const FTS_PREFERENCE = 'ftsIndex';

export interface FtsProgress {
  /** every event with rid <= through is in the index; null: all of them */
  through: number | null;
}

/** How far the FTS index is built: the highest rid below which every event is indexed, null when complete. */
export function ftsBuiltThrough(sqlite: Database.Database): number | null {
  return readPreference<FtsProgress>(sqlite, FTS_PREFERENCE)?.through ?? null;
}

/**
 * Indexes the next `rows` events above the high-water rid, in one transaction
 * with the new high-water mark; true once the index is complete. The rows of
 * the chunk's rid range that a live upsert indexed already are deleted first,
 * one by one (found in the index's `events_fts_docsize`, FTS5's rowid table of
 * the indexed rows: a range DELETE on the FTS table scans the whole index,
 * 22–44 ms a chunk at 3–4.6·10^5 indexed events whatever the chunk's size).
 * Commits with `synchronous=NORMAL`, as staging does: a power cut
 * can only lose index chunks, which the next start builds again (the mark
 * is in the same transaction).
 *
 * While the build runs, FTS5's automerge is off (`automerge=0`, stored in the
 * index's config, so it stays off across a restart until the build ends): the
 * builder merges in time-bounded steps of its own (`ftsMergeStep`) after each
 * chunk. With automerge on, the commit that flushed a segment also did merge
 * work in proportion to it and to the number of levels, and with live one-event
 * segments between the chunks one chunk near the end of a 10^6 build took
 * 0.6–1.4 s (docs/sync-client.md, "Live batches while the FTS index builds").
 * The last chunk turns it back on (FTS5's default, 4), in its transaction.
 */
export function buildFtsChunk(sqlite: Database.Database, rows: number): boolean {
  const through = ftsBuiltThrough(sqlite);
  if (through === null) return true;
  const upper =
    (sqlite.prepare('SELECT rid FROM events WHERE rid > ? ORDER BY rid LIMIT 1 OFFSET ?').pluck().get(through, Math.max(0, rows - 1)) as number | undefined) ?? null;
  sqlite.pragma('synchronous = NORMAL');
  try {
    return sqlite.transaction((): boolean => {
      const top = upper ?? ((sqlite.prepare('SELECT max(rid) FROM events').pluck().get() as number | null) ?? through);
      if (top > through) {
        const live = sqlite.prepare('SELECT id FROM events_fts_docsize WHERE id > ? AND id <= ?').pluck().all(through, top) as number[];
        const remove = sqlite.prepare('DELETE FROM events_fts WHERE rowid = ?');
        for (const rid of live) remove.run(rid);
        sqlite
          .prepare(`${FTS_FILL} WHERE e.rid > ? AND e.rid <= ?`)
          .run(through, top);
      }
      const done = upper === null;
      setFtsAutomerge(sqlite, done ? FTS_AUTOMERGE_DEFAULT : 0);
      writePreference(sqlite, FTS_PREFERENCE, { through: done ? null : top } satisfies FtsProgress);
      return done;
    })();
  } finally {
    sqlite.pragma('synchronous = FULL');
  }
}

/** FTS5's automerge when the index's config does not say (sqlite3.c FTS5_DEFAULT_AUTOMERGE). */
export const FTS_AUTOMERGE_DEFAULT = 4;

/** The FTS index's automerge setting (FTS5 keeps it in `events_fts_config`). */
export function ftsAutomerge(sqlite: Database.Database): number {
  const v = sqlite.prepare("SELECT v FROM events_fts_config WHERE k = 'automerge'").pluck().get() as number | undefined;
  return v ?? FTS_AUTOMERGE_DEFAULT;
}

/** Sets the FTS index's automerge (inside the caller's transaction, if any); also used on an exported image's copy. */
export function setFtsAutomerge(sqlite: Database.Database, value: number): void {
  // a config write rewrites the index's structure record: only when it changes (FTS5 wants an integer, not a real)
  if (ftsAutomerge(sqlite) !== value) sqlite.prepare("INSERT INTO events_fts (events_fts, rank) VALUES ('automerge', ?)").run(BigInt(value));
}

/**
 * Puts FTS5's default automerge back on a complete index that has it off; true when it did. A complete index with
 * automerge 0 comes from an image exported mid-build by a keeper and switched in by a build that never turned it
 * back on (the builder returns early on a complete index): FTS5 would merge only at its crisis threshold.
 */
export function repairFtsAutomerge(sqlite: Database.Database): boolean {
  if (ftsBuiltThrough(sqlite) !== null || ftsAutomerge(sqlite) === FTS_AUTOMERGE_DEFAULT) return false;
  sqlite.transaction(() => setFtsAutomerge(sqlite, FTS_AUTOMERGE_DEFAULT))();
  return true;
}

/**
 * One step of FTS5's incremental merge (`'merge'` with a page count: about `pages` leaf pages written, on a level
 * of at least 4 segments, or one a merge has begun on), in its own transaction at `synchronous=NORMAL` (a lost
 * step is merged again). False when there was nothing to merge: the index has no level of 4 segments or more.
 */
export function ftsMergeStep(sqlite: Database.Database, pages: number): boolean {
  sqlite.pragma('synchronous = NORMAL');
  try {
    return sqlite.transaction((): boolean => {
      const before = sqlite.prepare('SELECT total_changes()').pluck().get() as number;
      sqlite.prepare("INSERT INTO events_fts (events_fts, rank) VALUES ('merge', ?)").run(BigInt(Math.max(1, Math.round(pages))));
      // FTS5's documented test: a merge that did nothing changes fewer than two rows (https://sqlite.org/fts5.html#the_merge_command)
      return (sqlite.prepare('SELECT total_changes()').pluck().get() as number) - before >= 2;
    })();
  } finally {
    sqlite.pragma('synchronous = FULL');
  }
}

/** Indexes events (title, description from the document, address) into the FTS table; append a WHERE on `e`. */
const FTS_FILL =
  "INSERT INTO events_fts (rowid, title, description, address) SELECT e.rid, e.title, json_extract(d.doc, '$.description'), e.address FROM events e JOIN events_doc d ON d.rid = e.rid";

export function swapInSnapshot(sqlite: Database.Database, meta: SnapshotMeta, opts: { deferFts?: boolean } = {}): void {
  sqlite.transaction(() => {
    for (const t of SWAPPED_TABLES) {
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
    if (opts.deferFts) {
      writePreference(sqlite, FTS_PREFERENCE, { through: 0 } satisfies FtsProgress, meta.at);
    } else {
      // a background build cut before its end (a crash, a new snapshot) left FTS5's automerge off: the index is
      // complete here, so nothing else would turn it back on; before the fill, which reads it at each flush of
      // its pending terms (with 0 the fill's segments pile up on level 0 until FTS5's crisis merge)
      setFtsAutomerge(sqlite, FTS_AUTOMERGE_DEFAULT);
      sqlite.exec(FTS_FILL);
      writePreference(sqlite, FTS_PREFERENCE, { through: null } satisfies FtsProgress, meta.at);
    }
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

/** What a group of consecutive batches came to (`applyBatches`). */
export interface GroupResult {
  /** how many batches of the group were applied (a prefix of it), all in one transaction */
  applied: number;
  /** the stored cursor after the transaction (the last applied batch's checkpoint), null when nothing was applied */
  cursor: Cursor | null;
  /** events whose row or timeline changed, or whose pending overlay went away, over the applied batches */
  eventIds: string[];
  /** outbox entries the applied batches' acks settled */
  settled: number[];
  referenceChanged: boolean;
  /** the batch that could not be applied, with why; the batches after it were not tried */
  failed: { index: number; error: unknown } | null;
  /** the first batch did not start at the stored cursor: nothing was written */
  notAtCursor: Cursor | null | false;
}

/**
 * Applies consecutive live batches (each starting at the previous one's
 * checkpoint) in ONE transaction with ONE durable commit: the batches that
 * queued up while an earlier commit waited on the disk. Each batch runs in
 * its own savepoint and writes the cursor with its ops and acks, so every
 * batch is still all or nothing: a batch that fails (malformed shape, a row
 * the replica cannot index) is rolled back to its savepoint, the batches
 * before it commit with their cursor, the ones after it are not tried, and
 * the failure is returned in `failed`. Any other error (the disk) rolls the
 * whole transaction back and is thrown.
 */
export function applyBatches(sqlite: Database.Database, writer: RowWriter, batches: readonly BatchInput[], settle: OutboxSettle, at: string): GroupResult {
  return sqlite.transaction((): GroupResult => {
    const out: GroupResult = { applied: 0, cursor: null, eventIds: [], settled: [], referenceChanged: false, failed: null, notAtCursor: false };
    let state = readSyncState(sqlite);
    if (!state || batches.length === 0 || state.cursor.epoch !== batches[0]!.from.epoch || state.cursor.v !== batches[0]!.from.v) {
      return { ...out, notAtCursor: batches.length === 0 ? false : (state?.cursor ?? null) };
    }
    const eventIds = new Set<string>();
    for (let i = 0; i < batches.length; i++) {
      const batch = batches[i]!;
      const current: SyncStateRow = state;
      if (current.cursor.epoch !== batch.from.epoch || current.cursor.v !== batch.from.v) {
        out.failed = { index: i, error: new BatchShapeError(`batch from v ${batch.from.v} does not start at the previous batch's checkpoint v ${current.cursor.v}`) };
        break;
      }
      try {
        const r = sqlite.transaction(() => applyOne(sqlite, writer, batch, current, settle, at))();
        for (const id of r.eventIds) eventIds.add(id);
        out.settled.push(...r.settled);
        out.referenceChanged ||= r.referenceChanged;
        state = r.state;
        out.applied += 1;
        out.cursor = batch.checkpoint;
      } catch (error) {
        if (error instanceof BatchShapeError || error instanceof MalformedRowError || isConstraintError(error)) {
          out.failed = { index: i, error };
          break;
        }
        throw error;
      }
    }
    out.eventIds = [...eventIds];
    return out;
  })();
}

function isConstraintError(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && code.startsWith('SQLITE_CONSTRAINT');
}

/** One batch inside the caller's transaction (a savepoint): ops, acks, the cursor. */
function applyOne(
  sqlite: Database.Database,
  writer: RowWriter,
  batch: BatchInput,
  state: SyncStateRow,
  settle: OutboxSettle,
  at: string,
): { eventIds: Set<string>; settled: number[]; referenceChanged: boolean; state: SyncStateRow } {
  checkBatchShape(batch);
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
  const next: SyncStateRow = {
    ...state,
    cursor: batch.checkpoint,
    referenceVersion: referenceChanged ? `${batch.checkpoint.epoch}:${batch.checkpoint.v}` : state.referenceVersion,
    lastBatchAt: at,
  };
  writeSyncState(sqlite, next);
  return { eventIds, settled, referenceChanged, state: next };
}

/** One batch in its own transaction (`applyBatches` of one); a malformed batch throws and writes nothing. */
export function applyBatch(sqlite: Database.Database, writer: RowWriter, batch: BatchInput, settle: OutboxSettle, at: string): BatchResult {
  checkBatchShape(batch);
  const r = applyBatches(sqlite, writer, [batch], settle, at);
  if (r.notAtCursor !== false) return { applied: false, reason: 'not_at_cursor', cursor: r.notAtCursor };
  if (r.failed) throw r.failed.error;
  return { applied: true, eventIds: r.eventIds, settled: r.settled, referenceChanged: r.referenceChanged };
}
