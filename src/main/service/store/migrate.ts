/**
 * Applies the numbered migrations in order, each in its own transaction
 * together with its row in `schema_migrations`, so a crash leaves the replica
 * at a whole migration and the next start carries on from there. A replica
 * written by a newer app (a migration id this build does not know) is refused
 * rather than guessed at.
 */
import type Database from 'better-sqlite3';
import { migrations as allMigrations, type Migration } from './migrations';

export interface MigrationResult {
  /** ids applied by this call, in order */
  applied: number[];
  /** the schema version after this call */
  version: number;
}

export class ReplicaTooNewError extends Error {
  constructor(readonly found: number, readonly known: number) {
    super(`the replica has schema version ${found} but this build knows only up to ${known}; use a newer app or move the data folder aside`);
    this.name = 'ReplicaTooNewError';
  }
}

export function migrate(sqlite: Database.Database, migrations: readonly Migration[] = allMigrations): MigrationResult {
  checkSequence(migrations);
  sqlite.exec(
    'CREATE TABLE IF NOT EXISTS schema_migrations (id INTEGER PRIMARY KEY NOT NULL, name TEXT NOT NULL, applied_at TEXT NOT NULL)',
  );
  const done = sqlite.prepare('SELECT id, name FROM schema_migrations ORDER BY id').all() as { id: number; name: string }[];
  const known = migrations.length;
  const newest = done.at(-1)?.id ?? 0;
  if (newest > known) throw new ReplicaTooNewError(newest, known);
  for (const row of done) {
    const m = migrations[row.id - 1];
    if (!m || m.name !== row.name) {
      throw new Error(`schema_migrations row ${row.id} '${row.name}' does not match this build's migration '${m?.name ?? '(none)'}'`);
    }
  }

  const insert = sqlite.prepare('INSERT INTO schema_migrations (id, name, applied_at) VALUES (?, ?, ?)');
  const applied: number[] = [];
  for (const m of migrations.slice(newest)) {
    sqlite.transaction(() => {
      sqlite.exec(m.sql);
      insert.run(m.id, m.name, new Date().toISOString());
    })();
    applied.push(m.id);
  }
  return { applied, version: Math.max(newest, known) };
}

function checkSequence(migrations: readonly Migration[]): void {
  migrations.forEach((m, i) => {
    if (m.id !== i + 1) throw new Error(`migration #${i} has id ${m.id}; ids must run 1, 2, 3 … without gaps`);
  });
}
