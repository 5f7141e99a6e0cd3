/**
 * Forward-only schema migrations, applied by a runner small enough to read.
 *
 * Migrations are TypeScript modules exporting their SQL statements (generated
 * from drizzle-kit's SQL by sync-migrations.ts), so they travel inside any
 * bundle — no migrations folder to locate at run time. Each one runs in its own
 * transaction together with its row in `schema_migrations`; either both land or
 * neither does. A transaction-scoped advisory lock serialises runners, so two
 * data centers starting on one PostgreSQL cannot apply the same migration twice.
 *
 * The runner refuses to start when the database knows a migration this build
 * does not (the database is newer than the code), or when an applied
 * migration's statements changed since (its checksum differs): migrations are
 * never edited after release, a new one is added instead.
 *
 * A migration may take minutes (0008 rewrites `sync_rows`: 35 s for 10^6 rows
 * on PGlite, about 6 min for a 10^6-event district — docs/datacenter.md), and
 * on PGlite a statement holds the process's event loop the whole time. So the
 * runner announces each migration through `onProgress` before its first
 * statement and again once it committed: the data center logs both, and a
 * host waiting for it to get ready stops its ready timeout in between instead
 * of killing a child that is busy, not stuck.
 */
import { createHash } from 'node:crypto';
import { asc, eq, sql } from 'drizzle-orm';
import { integer, pgTable, text, timestamp } from 'drizzle-orm/pg-core';
import { HuyingError } from '../../core';
import type { Db } from './database';

export interface Migration {
  /** 1, 2, 3 … in the order they apply; never reused */
  id: number;
  /** kebab-case, from the drizzle-kit tag */
  name: string;
  /** SQL statements, run one by one inside one transaction */
  statements: readonly string[];
}

/** Bookkeeping table of the runner; not part of the drizzle schema on purpose. */
export const schemaMigrations = pgTable('schema_migrations', {
  id: integer('id').primaryKey(),
  name: text('name').notNull(),
  checksum: text('checksum').notNull(),
  appliedAt: timestamp('applied_at', { withTimezone: true, mode: 'string' }).notNull().defaultNow(),
});

/** Arbitrary constant shared by every Huying migration runner (pg_advisory_xact_lock key). */
const MIGRATION_LOCK_KEY = 4_401_140_001;

const CREATE_BOOKKEEPING = sql`CREATE TABLE IF NOT EXISTS schema_migrations (
  id integer PRIMARY KEY,
  name text NOT NULL,
  checksum text NOT NULL,
  applied_at timestamp with time zone NOT NULL DEFAULT now()
)`;

export function migrationChecksum(m: Migration): string {
  return createHash('sha256').update(m.statements.join('\n--> statement-breakpoint\n')).digest('hex').slice(0, 16);
}

export interface AppliedMigration {
  id: number;
  name: string;
  checksum: string;
}

/**
 * Said before a pending migration starts (`start`, before its transaction takes the lock) and after
 * it committed (`done`; `applied` false when another runner applied it meanwhile). A migration that
 * fails says nothing more: `migrate` rejects.
 */
export type MigrationProgress =
  | { phase: 'start'; id: number; name: string; /** 1-based, among the pending ones */ index: number; count: number }
  | { phase: 'done'; id: number; name: string; index: number; count: number; applied: boolean; ms: number };

export interface MigrateOptions {
  /** apply up to this id (default: all) */
  to?: number;
  /**
   * told about each pending migration; awaited, so a caller can get its word out (a log line, a
   * message to its host) before a statement holds the event loop
   */
  onProgress?: (progress: MigrationProgress) => void | Promise<void>;
}

export interface MigrateResult {
  /** ids applied by this call, in order */
  applied: number[];
  /** id of the newest migration in the database afterwards (0 when none) */
  current: number;
}

/** Checks the list itself: ids 1..n without gaps, unique names. */
export function assertMigrationList(list: readonly Migration[]): void {
  list.forEach((m, i) => {
    if (m.id !== i + 1) throw new Error(`migration list out of order: position ${i + 1} holds id ${m.id} (${m.name})`);
    if (m.statements.length === 0) throw new Error(`migration ${m.id} (${m.name}) has no statements`);
  });
  const names = new Set(list.map((m) => m.name));
  if (names.size !== list.length) throw new Error('migration names must be unique');
}

/** Reads what the database has applied; empty when the bookkeeping table does not exist yet. */
export async function appliedMigrations(db: Db): Promise<AppliedMigration[]> {
  const exists = await db.execute(sql`SELECT to_regclass('schema_migrations') IS NOT NULL AS present`);
  if (!rowsOf<{ present: boolean }>(exists)[0]?.present) return [];
  return db
    .select({ id: schemaMigrations.id, name: schemaMigrations.name, checksum: schemaMigrations.checksum })
    .from(schemaMigrations)
    .orderBy(asc(schemaMigrations.id));
}

/**
 * Applies every migration of `list` (up to `to`, when given) that the database
 * lacks, oldest first, one transaction each.
 */
export async function migrate(db: Db, list: readonly Migration[], opts: MigrateOptions = {}): Promise<MigrateResult> {
  assertMigrationList(list);
  const target = opts.to ?? list.length;
  if (target < 0 || target > list.length) throw new Error(`cannot migrate to ${target}: known migrations are 1..${list.length}`);

  await db.transaction(async (tx) => {
    await tx.execute(sql`SELECT pg_advisory_xact_lock(${MIGRATION_LOCK_KEY})`);
    await tx.execute(CREATE_BOOKKEEPING);
  });

  const done = await appliedMigrations(db);
  verifyApplied(done, list);
  const doneIds = new Set(done.map((row) => row.id));
  const pending = list.slice(0, target).filter((m) => !doneIds.has(m.id));

  const applied: number[] = [];
  for (const [i, m] of pending.entries()) {
    const step = { id: m.id, name: m.name, index: i + 1, count: pending.length };
    await opts.onProgress?.({ phase: 'start', ...step });
    const started = Date.now();
    const didApply = await db.transaction(async (tx) => {
      await tx.execute(sql`SELECT pg_advisory_xact_lock(${MIGRATION_LOCK_KEY})`);
      // re-read under the lock: another runner may have applied it meanwhile
      const already = await tx.select({ id: schemaMigrations.id }).from(schemaMigrations).where(eq(schemaMigrations.id, m.id));
      if (already.length > 0) return false;
      for (const statement of m.statements) await tx.execute(sql.raw(statement));
      await tx.insert(schemaMigrations).values({ id: m.id, name: m.name, checksum: migrationChecksum(m) });
      return true;
    });
    if (didApply) applied.push(m.id);
    await opts.onProgress?.({ phase: 'done', ...step, applied: didApply, ms: Date.now() - started });
  }
  const after = await appliedMigrations(db);
  return { applied, current: after.at(-1)?.id ?? 0 };
}

function verifyApplied(done: AppliedMigration[], list: readonly Migration[]): void {
  for (const row of done) {
    const known = list[row.id - 1];
    if (!known) {
      throw new HuyingError(
        'conflict',
        `the database has migration ${row.id} (${row.name}) that this build does not know: the database is newer than the code`,
      );
    }
    if (known.name !== row.name || migrationChecksum(known) !== row.checksum) {
      throw new HuyingError(
        'conflict',
        `migration ${row.id} (${known.name}) differs from the one applied to this database (${row.name}, checksum ${row.checksum}); ` +
          'released migrations are never edited — add a new one',
      );
    }
  }
}

/** Rows of a `db.execute()` result on either driver (PGlite and node-postgres both expose `.rows`). */
export function rowsOf<T>(result: unknown): T[] {
  const rows = (result as { rows?: unknown }).rows;
  return Array.isArray(rows) ? (rows as T[]) : [];
}
