/**
 * Opens (creating if needed) the replica database and brings its schema up
 * to date before anything reads it.
 *
 * WAL lets readers (queries for the renderer) run while the sync writes;
 * `synchronous=FULL` makes every committed transaction durable across a power
 * cut, which the sync cursor and (later) the outbox rely on — the cost is one
 * extra fsync per commit, and replica commits are few and large.
 */
import Database from 'better-sqlite3';
import { drizzle, type BetterSQLite3Database } from 'drizzle-orm/better-sqlite3';
import { migrate, type MigrationResult } from './migrate';
import { schema } from './schema';

export type ReplicaDb = BetterSQLite3Database<typeof schema>;

export interface Replica {
  sqlite: Database.Database;
  db: ReplicaDb;
  migration: MigrationResult;
  close(): void;
}

export interface OpenReplicaOptions {
  /** database file, or ':memory:' in tests */
  file: string;
  /** path of better_sqlite3.node built for this runtime (Electron's ABI differs from Node's) */
  nativeBinding?: string;
}

export function openReplica(opts: OpenReplicaOptions): Replica {
  const sqlite = new Database(opts.file, opts.nativeBinding ? { nativeBinding: opts.nativeBinding } : {});
  try {
    if (opts.file !== ':memory:') sqlite.pragma('journal_mode = WAL');
    sqlite.pragma('synchronous = FULL');
    sqlite.pragma('foreign_keys = ON');
    sqlite.pragma('busy_timeout = 5000');
    const migration = migrate(sqlite);
    const db = drizzle({ client: sqlite, schema });
    return { sqlite, db, migration, close: () => sqlite.close() };
  } catch (err) {
    sqlite.close();
    throw err;
  }
}
