/**
 * The replication log's state and upkeep: the committed head, the retention
 * floor and the epoch; per-scope checksums; pruning the change log; bumping the
 * epoch after a restore.
 *
 * Reading the head is the reader's half of writeReplicated's promise: the
 * `sync_version` row only becomes visible with its transaction's commit, and
 * the writers queue on that row, so a reader that sees version V may read
 * change_log up to V knowing nothing below V can still appear.
 */
import { randomUUID } from 'node:crypto';
import { eq, sql } from 'drizzle-orm';
import { HuyingError, ReplicatedTable, type ScopeChecksum, type SyncScope } from '../../core';
import type { Db, DbOrTx } from '../store/database';
import { rowsOf } from '../store/migration';
import { meta } from '../store/schema';
import { syncNotifier } from './notifier';

export const REPLICATED_TABLES: readonly ReplicatedTable[] = ReplicatedTable.options;

export interface SyncHead {
  epoch: string;
  /** the last committed version (0 before the first replicated write) */
  v: number;
  /** cursors below this version must re-snapshot (their ops may be gone) */
  prunedThrough: number;
}

/** Epoch, head and retention floor, from one statement (one snapshot). */
export async function readSyncHead(db: DbOrTx): Promise<SyncHead> {
  const [r] = rowsOf<{ epoch: string | null; v: string | number | null; pruned: string | number | null }>(
    await db.execute(sql`
      SELECT (SELECT epoch::text FROM meta WHERE id = 1) AS epoch,
             (SELECT v FROM sync_version WHERE id = 1) AS v,
             (SELECT pruned_through FROM sync_version WHERE id = 1) AS pruned`),
  );
  if (!r?.epoch) throw new HuyingError('unavailable', 'the database has no meta row yet');
  return { epoch: r.epoch, v: Number(r.v ?? 0), prunedThrough: Number(r.pruned ?? 0) };
}

/** SQL condition on a row's scope for what a client of `scope` replicates. */
export function scopeFilter(scope: SyncScope, column = sql.raw('scope')) {
  return scope === 'district' ? sql`true` : sql`(${column} = ${scope} OR ${column} IS NULL)`;
}

/**
 * Per table: the number of rows a client of `scope` holds and the sum of their
 * versions, at the head — one statement, so one consistent read.
 */
export async function computeChecksum(db: DbOrTx, scope: SyncScope): Promise<ScopeChecksum> {
  const [r] = rowsOf<{ epoch: string; v: string | number | null; tables: Record<string, { count: number | string; sumV: number | string }> | string | null }>(
    await db.execute(sql`
      SELECT (SELECT epoch::text FROM meta WHERE id = 1) AS epoch,
             (SELECT v FROM sync_version WHERE id = 1) AS v,
             (SELECT json_object_agg(t.table_name, json_build_object('count', t.n, 'sumV', t.s::text))
                FROM (SELECT table_name, count(*) AS n, sum(v) AS s FROM sync_rows WHERE ${scopeFilter(scope)} GROUP BY table_name) t) AS tables`),
  );
  if (!r?.epoch) throw new HuyingError('unavailable', 'the database has no meta row yet');
  const raw = typeof r.tables === 'string' ? (JSON.parse(r.tables) as Record<string, { count: number; sumV: string }>) : (r.tables ?? {});
  const tables: ScopeChecksum['tables'] = {};
  for (const t of REPLICATED_TABLES) {
    const x = raw[t];
    tables[t] = { count: Number(x?.count ?? 0), sumV: Number(x?.sumV ?? 0) };
  }
  return { scope, checkpoint: { epoch: r.epoch, v: Number(r.v ?? 0) }, tables };
}

export interface PruneOptions {
  /** drop the ops of versions committed before this instant */
  olderThan?: Date;
  /** or: drop the ops of every version up to this one */
  throughV?: number;
}

export interface PruneResult {
  prunedThrough: number;
  deletedOps: number;
  deletedMutations: number;
}

/**
 * Retention: raises the floor first (its own short transaction), then deletes
 * the ops and stored command results below it in batches. Readers check the
 * floor after reading the log, so a cursor below it gets must-refetch whether
 * or not its ops are deleted yet. The floor never goes down.
 */
export async function pruneChangeLog(db: Db, opts: PruneOptions): Promise<PruneResult> {
  const head = await readSyncHead(db);
  let through = opts.throughV ?? 0;
  if (opts.olderThan) {
    // the first version still inside the retention window, found along the primary key
    const [first] = rowsOf<{ v: string | number }>(
      await db.execute(sql`SELECT v FROM change_log WHERE committed_at >= ${opts.olderThan.toISOString()} ORDER BY v, seq LIMIT 1`),
    );
    through = Math.max(through, first ? Number(first.v) - 1 : head.v);
  }
  through = Math.min(through, head.v);
  if (through <= head.prunedThrough) return { prunedThrough: head.prunedThrough, deletedOps: 0, deletedMutations: 0 };
  await db.execute(sql`UPDATE sync_version SET pruned_through = greatest(pruned_through, ${through}) WHERE id = 1`);
  let deletedOps = 0;
  let deletedMutations = 0;
  for (;;) {
    const r = rowsOf<{ n: number }>(
      await db.execute(sql`WITH d AS (
        DELETE FROM change_log WHERE (v, seq) IN (SELECT v, seq FROM change_log WHERE v <= ${through} ORDER BY v, seq LIMIT 10000) RETURNING 1
      ) SELECT count(*)::int AS n FROM d`),
    );
    const n = r[0]?.n ?? 0;
    deletedOps += n;
    if (n < 10000) break;
  }
  // stored command results older than the log: a replay of one gets the stale-id refusal instead
  for (;;) {
    const r = rowsOf<{ n: number }>(
      await db.execute(sql`WITH d AS (
        DELETE FROM client_mutations WHERE (client_id, mutation_id) IN
          (SELECT client_id, mutation_id FROM client_mutations WHERE v <= ${through} LIMIT 10000) RETURNING 1
      ) SELECT count(*)::int AS n FROM d`),
    );
    const n = r[0]?.n ?? 0;
    deletedMutations += n;
    if (n < 10000) break;
  }
  return { prunedThrough: through, deletedOps, deletedMutations };
}

/**
 * Gives the database a new epoch: every client's cursor becomes invalid and
 * every client re-snapshots. Use after restoring a backup (the restored
 * database has an older history than the cursors clients hold) or after
 * editing replicated data by hand.
 */
export async function bumpEpoch(db: Db): Promise<string> {
  const epoch = randomUUID();
  const updated = await db.update(meta).set({ epoch }).where(eq(meta.id, 1)).returning({ epoch: meta.epoch });
  if (updated.length === 0) throw new HuyingError('unavailable', 'the database has no meta row yet');
  syncNotifier(db).publishEpoch(epoch);
  return epoch;
}
