/**
 * The one write primitive for replicated data (ARCHITECTURE.md, "Sync
 * protocol"): `writeReplicated(db, fn)` runs ONE transaction that
 *
 *  1. takes the next version FIRST (`sync_version.v + 1`, the row stays locked
 *     until commit, so writers queue there: version order = commit order, and a
 *     reader that sees version V knows every version ≤ V has committed — there
 *     are no gaps that could be filled later);
 *  2. runs `fn(tx, out)`, which writes its domain rows (stamping them with
 *     `out.v` where they carry a version) and reports every replicated change
 *     with `out.upsert(table, key, scope, row)` / `out.delete(table, key)`;
 *  3. applies the reported changes to `sync_rows` (the replicated state) and
 *     appends them to `change_log`, finding each row's previous scope itself
 *     (so a row moving between towns is logged as such), in one statement;
 *  4. commits, and only then publishes the version in-process for the live feed.
 *
 * If `fn` throws, everything rolls back, the version too: the next writer gets
 * the same number. Versions whose `fn` reports nothing still commit (a rejected
 * command takes a version so its ack arrives in order).
 *
 * Several reports for one (table, key) within a version collapse into the last
 * one. Changes are buffered in memory until `fn` returns — write huge imports
 * as several versions.
 */
import { sql } from 'drizzle-orm';
import { HuyingError, ReplicatedTable, type CommandAck } from '../../core';
import type { Db, DbOrTx } from '../store/database';
import { rowsOf } from '../store/migration';
import { syncNotifier, type CommittedVersion, type LoggedOp } from './notifier';

/** Where `fn` reports the replicated changes of its transaction. */
export interface ChangeSink {
  /** the version this transaction writes (rows that carry a `v` column store this) */
  readonly v: number;
  /**
   * The row `key` of `table` now is `row` (a JSON document) and belongs to
   * `scope`: a town code, the district code (district clients only) or null
   * (district-wide, every client).
   */
  upsert(table: ReplicatedTable, key: string, scope: string | null, row: unknown): void;
  /**
   * The row is gone. Its scope is the one `sync_rows` holds; `scope` is only
   * accepted for symmetry with upsert. Deleting a row that was never
   * replicated is a no-op.
   */
  delete(table: ReplicatedTable, key: string, scope?: string | null): void;
}

export type ReplicatedWrite<T> = (tx: DbOrTx, out: ChangeSink) => Promise<T>;

const SCOPE_PATTERN = /^\d{6}(\d{6})?$/;

interface BufferedOp {
  table: ReplicatedTable;
  key: string;
  op: 'upsert' | 'delete';
  scope: string | null;
  rowJson: string | null;
}

/** The in-memory ChangeSink of one transaction (internal: the command endpoint adds acks). */
export class ChangeBuffer implements ChangeSink {
  readonly ops = new Map<string, BufferedOp>();
  readonly acks: CommandAck[] = [];
  constructor(readonly v: number) {}

  upsert(table: ReplicatedTable, key: string, scope: string | null, row: unknown): void {
    checkTarget(table, key);
    if (scope !== null && !SCOPE_PATTERN.test(scope)) {
      throw new HuyingError('internal', `replicated ${table}/${key}: scope must be a 6- or 12-digit area code or null, got ${JSON.stringify(scope)}`);
    }
    const rowJson = JSON.stringify(row);
    if (rowJson === undefined || !rowJson.startsWith('{')) {
      throw new HuyingError('internal', `replicated ${table}/${key}: the row must be a JSON object`);
    }
    this.set({ table, key, op: 'upsert', scope, rowJson });
  }

  delete(table: ReplicatedTable, key: string): void {
    checkTarget(table, key);
    this.set({ table, key, op: 'delete', scope: null, rowJson: null });
  }

  /** Takes over the ops of `other` (a savepoint's buffer that committed), in order. */
  absorb(other: ChangeBuffer): void {
    for (const op of other.ops.values()) this.set(op);
    this.acks.push(...other.acks);
  }

  private set(op: BufferedOp): void {
    const id = `${op.table}\u0000${op.key}`;
    // the last report wins, in the position of the last report
    this.ops.delete(id);
    this.ops.set(id, op);
  }
}

function checkTarget(table: ReplicatedTable, key: string): void {
  if (!ReplicatedTable.safeParse(table).success) throw new HuyingError('internal', `unknown replicated table ${JSON.stringify(table)}`);
  if (typeof key !== 'string' || key.length === 0) throw new HuyingError('internal', `replicated ${table}: empty key`);
}

/** Takes the next version; the row lock is held until the transaction ends. */
async function takeVersion(tx: DbOrTx): Promise<number> {
  // an upsert rather than a bare UPDATE, so the row need not be seeded by a migration
  const r = rowsOf<{ v: string | number }>(
    await tx.execute(
      sql`INSERT INTO sync_version (id, v) VALUES (1, 1) ON CONFLICT (id) DO UPDATE SET v = sync_version.v + 1 RETURNING v`,
    ),
  );
  const v = Number(r[0]?.v);
  if (!Number.isSafeInteger(v) || v <= 0) throw new HuyingError('internal', 'could not take a sync version');
  return v;
}

/** ops per statement: bounded parameter size for geometry-heavy documents */
const FLUSH_CHUNK = 500;

/** Applies the buffered ops to sync_rows and change_log; returns what was logged, in seq order. */
async function flush(tx: DbOrTx, buffer: ChangeBuffer): Promise<LoggedOp[]> {
  const all = [...buffer.ops.values()];
  const logged: LoggedOp[] = [];
  for (let start = 0; start < all.length; start += FLUSH_CHUNK) {
    const chunk = all.slice(start, start + FLUSH_CHUNK);
    const byId = new Map(chunk.map((o) => [`${o.table}\u0000${o.key}`, o]));
    // one JSON parameter; the documents are spliced in as already-serialised text
    const input =
      '[' +
      chunk
        .map(
          (o, i) =>
            `{"n":${i},"tbl":${JSON.stringify(o.table)},"key":${JSON.stringify(o.key)},"op":"${o.op}","scope":${JSON.stringify(o.scope)},"row":${o.rowJson ?? 'null'}}`,
        )
        .join(',') +
      ']';
    // seq continues after the ops logged so far; deletes of rows never replicated are dropped
    const result = await tx.execute(sql`
      WITH input AS (
        SELECT * FROM jsonb_to_recordset(${input}::jsonb) AS i(n integer, tbl text, key text, op text, scope text, row jsonb)
      ), prev AS (
        SELECT s.table_name, s.key, s.scope FROM sync_rows s JOIN input i ON s.table_name = i.tbl AND s.key = i.key
      ), removed AS (
        DELETE FROM sync_rows s USING input i WHERE i.op = 'delete' AND s.table_name = i.tbl AND s.key = i.key
        RETURNING s.key
      ), written AS (
        INSERT INTO sync_rows (table_name, key, scope, v, row)
        SELECT tbl, key, scope, ${buffer.v}, row FROM input WHERE op = 'upsert'
        ON CONFLICT (table_name, key) DO UPDATE SET scope = excluded.scope, v = excluded.v, row = excluded.row
        RETURNING key
      )
      INSERT INTO change_log (v, seq, table_name, key, op, scope, prev_scope, moved, row)
      SELECT ${buffer.v}, ${logged.length} + (row_number() OVER (ORDER BY i.n))::integer - 1, i.tbl, i.key, i.op,
             CASE WHEN i.op = 'delete' THEN p.scope ELSE i.scope END,
             p.scope,
             (i.op = 'upsert' AND p.key IS NOT NULL AND p.scope IS DISTINCT FROM i.scope),
             i.row
      FROM input i LEFT JOIN prev p ON p.table_name = i.tbl AND p.key = i.key
      WHERE i.op = 'upsert' OR p.key IS NOT NULL
      RETURNING seq, table_name, key, scope, prev_scope, moved
    `);
    const rows = rowsOf<{ seq: number; table_name: string; key: string; scope: string | null; prev_scope: string | null; moved: boolean }>(result);
    rows.sort((a, b) => a.seq - b.seq);
    for (const r of rows) {
      const o = byId.get(`${r.table_name}\u0000${r.key}`)!;
      logged.push({ table: o.table, key: o.key, op: o.op, v: buffer.v, scope: r.scope, prevScope: r.prev_scope, moved: r.moved, rowJson: o.rowJson });
    }
  }
  return logged;
}

/**
 * Internal form of writeReplicated: `fn` gets the ChangeBuffer itself (the
 * command endpoint records acks on it) and the real transaction (for savepoints).
 */
export async function runReplicated<T>(
  db: Db,
  fn: (tx: Parameters<Parameters<Db['transaction']>[0]>[0], out: ChangeBuffer) => Promise<T>,
): Promise<{ result: T; v: number; version: CommittedVersion }> {
  const done = await db.transaction(async (tx) => {
    const v = await takeVersion(tx);
    const buffer = new ChangeBuffer(v);
    const result = await fn(tx, buffer);
    const ops = await flush(tx, buffer);
    return { result, v, version: { v, ops, acks: buffer.acks } satisfies CommittedVersion };
  });
  try {
    syncNotifier(db).publish(done.version);
  } catch {
    // a listener's failure must not turn a committed write into an error; the hub's poll recovers
  }
  return done;
}

/**
 * Runs `fn` in one transaction with the next sync version, logs what it
 * reports, commits, then tells live subscribers. Resolves with fn's result and
 * the version it committed as.
 */
export async function writeReplicated<T>(db: Db, fn: ReplicatedWrite<T>): Promise<{ result: T; v: number }> {
  const { result, v } = await runReplicated(db, (tx, out) => fn(tx, out));
  return { result, v };
}
