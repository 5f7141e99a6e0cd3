/**
 * One way to open the data center's database, whichever engine holds it:
 * embedded PGlite (PostgreSQL compiled to WASM, in a directory or in memory)
 * for the desktop's built-in data center and for tests, or a real PostgreSQL
 * through node-postgres for a district's server. Both come back as the same
 * drizzle `Db` behind `DataCenterDb`, so nothing above this file knows which.
 *
 * PGlite is single-process: two servers on one directory would corrupt it, and
 * PGlite itself does not stop that, so the directory gets a lock file holding
 * the owner's pid (a stale lock of a dead process is taken over).
 */
import { randomUUID } from 'node:crypto';
import { closeSync, mkdirSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { sql } from 'drizzle-orm';
import { drizzle as drizzleNodePg } from 'drizzle-orm/node-postgres';
import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core';
import { drizzle as drizzlePglite } from 'drizzle-orm/pglite';
import pg from 'pg';
import { HuyingError } from '../../core';
import { migrate, type MigrateOptions, type MigrateResult } from './migration';
import { migrations } from './migrations';
import { meta, schema, type Schema } from './schema';

export type DbKind = 'pglite' | 'postgres';

/** The drizzle database every query in the data center is written against. */
export type Db = PgDatabase<PgQueryResultHKT, Schema>;

/** A transaction handle or the database itself: anything that can run queries. */
export type DbOrTx = Pick<Db, 'select' | 'insert' | 'update' | 'delete' | 'execute'>;

export interface DataCenterDb {
  readonly kind: DbKind;
  readonly db: Db;
  /** where the data lives, safe to log: a directory, `memory`, or the URL without its password */
  readonly location: string;
  /** what `openDatabase` applied (null when opened with `migrate: false`) */
  readonly migrations: MigrateResult | null;
  close(): Promise<void>;
}

export interface OpenDatabaseOptions {
  /** PostgreSQL connection URL; wins over `dataDir` */
  pg?: string;
  /** PGlite data directory (created when missing); in memory when neither is given */
  dataDir?: string;
  /** apply pending migrations and make the meta row (default true) */
  migrate?: boolean;
  /** told before and after each pending migration (migration.ts: a migration may take minutes) */
  onMigration?: MigrateOptions['onProgress'];
}

export async function openDatabase(opts: OpenDatabaseOptions = {}): Promise<DataCenterDb> {
  const opened = opts.pg ? await openPostgres(opts.pg) : await openPglite(opts.dataDir);
  if (opts.migrate === false) return opened;
  try {
    const result = await migrate(opened.db, migrations, opts.onMigration ? { onProgress: opts.onMigration } : {});
    await ensureMetaRow(opened.db);
    return { ...opened, migrations: result, close: opened.close };
  } catch (err) {
    await opened.close();
    throw err;
  }
}

/** Makes the one meta row with a fresh epoch, once per database. */
export async function ensureMetaRow(db: Db): Promise<void> {
  await db.insert(meta).values({ id: 1, epoch: randomUUID() }).onConflictDoNothing();
}

async function openPglite(dataDir: string | undefined): Promise<DataCenterDb> {
  let release = () => {};
  let client: PGlite;
  if (dataDir) {
    const dir = path.resolve(dataDir);
    mkdirSync(dir, { recursive: true });
    release = acquireDirLock(dir);
    try {
      client = await PGlite.create(path.join(dir, 'pg'));
    } catch (err) {
      release();
      throw new HuyingError('unavailable', `cannot open the embedded database in ${dir}: ${errorMessage(err)}`);
    }
  } else {
    client = await PGlite.create();
  }
  const db: Db = drizzlePglite({ client, schema });
  let closed: Promise<void> | null = null;
  return {
    kind: 'pglite',
    db,
    location: dataDir ? path.resolve(dataDir) : 'memory',
    migrations: null,
    close: () =>
      (closed ??= (async () => {
        try {
          await client.close();
        } finally {
          release();
        }
      })()),
  };
}

/** The node-postgres pool behind each `Db` opened on PostgreSQL (see `postgresPoolOf`). */
const postgresPools = new WeakMap<Db, pg.Pool>();

/**
 * The node-postgres pool behind a `Db` that `openDatabase` opened on PostgreSQL, or null (PGlite,
 * or a drizzle instance made elsewhere). Only for what drizzle cannot do — the snapshot export
 * streams `COPY … TO STDOUT` on a client of its own (sync/snapshot-copy.ts); everything else goes
 * through the `Db`.
 */
export function postgresPoolOf(db: Db): pg.Pool | null {
  return postgresPools.get(db) ?? null;
}

async function openPostgres(url: string): Promise<DataCenterDb> {
  const location = redactUrl(url);
  const pool = new pg.Pool({ connectionString: url, max: 10, application_name: 'huying-datacenter' });
  // an idle client losing its connection must not crash the process; the next query reports it
  pool.on('error', () => {});
  const db: Db = drizzleNodePg({ client: pool, schema });
  try {
    await db.execute(sql`SELECT 1`);
  } catch (err) {
    await pool.end().catch(() => {});
    throw new HuyingError('unavailable', `cannot reach PostgreSQL at ${location}: ${errorMessage(err)}`);
  }
  postgresPools.set(db, pool);
  let closed: Promise<void> | null = null;
  return {
    kind: 'postgres',
    db,
    location,
    migrations: null,
    close: () => (closed ??= pool.end()),
  };
}

/** The URL without its password, for logs and /healthz. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '(unparseable database URL)';
  }
}

function errorMessage(err: unknown): string {
  if (err instanceof AggregateError && err.errors.length > 0) return err.errors.map(errorMessage).join('; ');
  return err instanceof Error ? err.message || err.name : String(err);
}

const heldLocks = new Set<string>();

/** Takes `<dir>/datacenter.lock` for this process; returns its release. */
function acquireDirLock(dir: string): () => void {
  const file = path.join(dir, 'datacenter.lock');
  if (heldLocks.has(file)) throw new HuyingError('conflict', `${dir} is already open in this process`);
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(file, 'wx');
      writeSync(fd, String(process.pid));
      closeSync(fd);
      heldLocks.add(file);
      return () => {
        if (!heldLocks.delete(file)) return;
        rmSync(file, { force: true });
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const owner = Number.parseInt(readFileSync(file, 'utf8'), 10);
      if (Number.isInteger(owner) && owner > 0 && owner !== process.pid && isAlive(owner)) {
        throw new HuyingError('conflict', `${dir} is in use by another data center (pid ${owner})`);
      }
      rmSync(file, { force: true }); // stale: its process is gone
    }
  }
  throw new HuyingError('conflict', `could not lock ${dir}`);
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
