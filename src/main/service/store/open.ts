/**
 * Opens (creating if needed) the replica database and brings its schema up
 * to date before anything reads it.
 *
 * WAL lets readers (queries for the renderer) run while the sync writes;
 * `synchronous=FULL` makes every committed transaction durable across a power
 * cut, which the sync cursor and (later) the outbox rely on — the cost is one
 * extra fsync per commit, and replica commits are few and large.
 *
 * Pages of 16 KB (REPLICA_PAGE_SIZE), not SQLite's 4 KB: a snapshot writes
 * every page of the replica through the WAL twice (the commit, the
 * checkpoint), each page with its own system calls, and the documents
 * (~2 KB an event) fill whole pages; with 16 KB pages staging 200,000
 * events took ~45% less CPU (docs/sync-client.md, "Pages of 16 KB"). The
 * page size of a database file is fixed when its first table is created:
 * a new file gets it at once, an existing replica of another page size is
 * rebuilt with it by VACUUM when it is small (at most
 * PAGE_SIZE_REBUILD_MAX_BYTES: a copy of the file, in one atomic step of
 * SQLite's rollback journal) and otherwise kept as it is.
 */
import { realpathSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { drizzle, type BetterSQLite3Database } from 'drizzle-orm/better-sqlite3';
import { createLogger, type Logger } from '../log';
import type { ReplicaConnection } from './connection';
import { migrate, type MigrationResult } from './migrate';
import { schema } from './schema';

/** the page size of a replica file (bytes) */
export const REPLICA_PAGE_SIZE = 16_384;
/** an existing replica of another page size is rebuilt (VACUUM) at open when it is at most this big */
export const PAGE_SIZE_REBUILD_MAX_BYTES = 64 * 2 ** 20;

export type ReplicaDb = BetterSQLite3Database<typeof schema>;
export { connectionOf, perConnection, type ConnectionLike, type ReplicaConnection } from './connection';

/**
 * The open replica: its connection and drizzle handle (both getters: the current ones), the migrations its first
 * open applied. `reopen` closes the connection, runs `swap` with no connection open (the rename of an image over
 * the file) and opens the file again, whether `swap` succeeded or threw (its error is rethrown after). When the
 * file cannot be opened again (a full disk, too many open files) after a few tries (REOPEN_RETRY_MS), the handle
 * is failed: `reopen` throws ReplicaFailed (`swap`'s error, if any, as its cause, else the open's), every later use
 * of `sqlite`/`db` throws it too, and `onFailed` is told once — the data service exits on it, and its host starts
 * it again on the same folder (a fresh open), rather than every holder failing on a closed connection in a loop.
 */
export interface Replica extends ReplicaConnection {
  readonly db: ReplicaDb;
  /** the database file ('' for ':memory:') */
  readonly file: string;
  migration: MigrationResult;
  /** see above; refused on an in-memory replica (it would come back empty) or a closed one */
  reopen(swap?: () => void): void;
  close(): void;
}

export interface OpenReplicaOptions {
  /** database file, or ':memory:' in tests */
  file: string;
  /** path of better_sqlite3.node built for this runtime (Electron's ABI differs from Node's) */
  nativeBinding?: string;
  /** default PAGE_SIZE_REBUILD_MAX_BYTES */
  pageSizeRebuildMaxBytes?: number;
  /** for what opening the file met and survived (a failed page-size rebuild); default the data service's logger */
  log?: Logger;
  /** the pauses before each new try to open the file again after `reopen`'s swap; default REOPEN_RETRY_MS */
  reopenRetryMs?: readonly number[];
  /** the handle failed (see Replica): told once, with the error its uses throw from now on */
  onFailed?: (err: ReplicaFailed) => void;
}

/** the pauses (ms) before the 2nd, 3rd … try to open the replica again after a swap: a transient EMFILE or a full disk freed meanwhile */
export const REOPEN_RETRY_MS: readonly number[] = [50, 250, 1000];

/**
 * The replica's file could not be opened again after `reopen` closed it: the handle has no connection, and the
 * data service cannot go on without one (store/open.ts Replica). `cause`: the swap's error when it threw (what the
 * reopen was for), else the open's error; `openError`: the last open's error.
 */
export class ReplicaFailed extends Error {
  readonly openError: unknown;
  constructor(message: string, options: { cause: unknown; openError: unknown }) {
    super(`the replica cannot be opened again: ${message}`, { cause: options.cause });
    this.name = 'ReplicaFailed';
    this.openError = options.openError;
  }
}

export function openReplica(options: OpenReplicaOptions): Replica {
  // one path for the file, resolved once: the reopen must not depend on the working folder, and a replica image is
  // renamed onto this very path — through a symlinked data folder SQLite names the file by its real path
  // (PRAGMA database_list), which the rename compares with it (store/replica-image.ts renameInReplicaImage)
  const opts = options.file === ':memory:' ? options : { ...options, file: realFile(options.file) };
  let conn = openConnection(opts);
  const migration = conn.migration;
  let generation = 0;
  let closed = false;
  let failed: ReplicaFailed | null = null;
  return {
    get sqlite() {
      if (failed) throw failed;
      return conn.sqlite;
    },
    get db() {
      if (failed) throw failed;
      return conn.db;
    },
    get generation() {
      return generation;
    },
    file: opts.file === ':memory:' ? '' : opts.file,
    migration,
    reopen(swap) {
      if (opts.file === ':memory:') throw new Error('an in-memory replica cannot be reopened');
      if (failed) throw failed;
      if (closed) throw new Error('the replica is closed');
      conn.sqlite.close();
      let swapError: unknown = null;
      try {
        swap?.();
      } catch (err) {
        swapError = err;
      }
      // the handle is unusable until this succeeds: `sqlite` answers the closed connection
      const retries = opts.reopenRetryMs ?? REOPEN_RETRY_MS;
      let openError: unknown = null;
      for (let attempt = 0; attempt <= retries.length; attempt++) {
        // synchronous on purpose: no other code of the service may run while the handle has no connection
        if (attempt > 0) sleepSync(retries[attempt - 1]!);
        try {
          conn = openConnection(opts);
          openError = null;
          break;
        } catch (err) {
          openError = err;
        }
      }
      generation += 1;
      if (openError !== null) {
        const tries = retries.length + 1;
        const why = `${(openError as Error)?.message ?? String(openError)} (${tries} tries)`;
        failed = new ReplicaFailed(swapError !== null ? `${why}, after the swap failed: ${(swapError as Error)?.message ?? String(swapError)}` : why, {
          cause: swapError ?? openError,
          openError,
        });
        opts.onFailed?.(failed);
        throw failed;
      }
      if (swapError !== null) throw swapError;
    },
    close() {
      closed = true;
      if (!failed) conn.sqlite.close();
    },
  };
}

/** `file` absolute, its folder's symlinks resolved (the folder must exist; the file need not) */
function realFile(file: string): string {
  const abs = path.resolve(file);
  return path.join(realpathSync(path.dirname(abs)), path.basename(abs));
}

function sleepSync(ms: number): void {
  if (ms > 0) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

function openConnection(opts: OpenReplicaOptions): { sqlite: Database.Database; db: ReplicaDb; migration: MigrationResult } {
  const sqlite = new Database(opts.file, opts.nativeBinding ? { nativeBinding: opts.nativeBinding } : {});
  try {
    if (opts.file !== ':memory:') {
      setPageSize(sqlite, opts.pageSizeRebuildMaxBytes ?? PAGE_SIZE_REBUILD_MAX_BYTES, opts.log);
      sqlite.pragma('journal_mode = WAL');
    }
    sqlite.pragma('synchronous = FULL');
    sqlite.pragma('foreign_keys = ON');
    sqlite.pragma('busy_timeout = 5000');
    const migration = migrate(sqlite);
    const db = drizzle({ client: sqlite, schema });
    return { sqlite, db, migration };
  } catch (err) {
    sqlite.close();
    throw err;
  }
}

/**
 * Gives a new file REPLICA_PAGE_SIZE (it takes effect with the first table), and rebuilds a small existing
 * file of another page size with it: VACUUM can change the page size only outside WAL mode, so the file
 * goes to a rollback journal for it (the WAL is checkpointed into the file first) and the caller sets WAL
 * again. A crash during the VACUUM leaves the file as it was (the rollback journal undoes it at the next open);
 * a file another connection holds keeps its page size, quietly (SQLITE_BUSY / SQLITE_LOCKED: it is rebuilt at
 * a later open). Any other failure (I/O, a full disk, a corrupt file …) keeps the page size too, and is logged.
 */
function setPageSize(sqlite: Database.Database, rebuildMaxBytes: number, log: Logger | undefined): void {
  const pages = sqlite.pragma('page_count', { simple: true }) as number;
  if (pages === 0) {
    sqlite.pragma(`page_size = ${REPLICA_PAGE_SIZE}`);
    return;
  }
  const size = sqlite.pragma('page_size', { simple: true }) as number;
  if (size === REPLICA_PAGE_SIZE || pages * size > rebuildMaxBytes) return;
  try {
    sqlite.pragma('journal_mode = DELETE');
    sqlite.pragma(`page_size = ${REPLICA_PAGE_SIZE}`);
    sqlite.exec('VACUUM');
  } catch (err) {
    // another connection holds the file (it cannot leave WAL mode then): keep the page size, rebuild another time
    const code = (err as { code?: unknown }).code;
    if (typeof code === 'string' && (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED'))) return;
    (log ?? createLogger('data-service')).warn({ file: sqlite.name, pageSize: size, err }, `could not rebuild the replica with ${REPLICA_PAGE_SIZE}-byte pages; it keeps its ${size}-byte pages`);
  }
}
