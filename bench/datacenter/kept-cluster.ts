/**
 * A PostgreSQL cluster the snapshot benchmark keeps between runs (`--keep DIR`), so a 10^6-event
 * history (~15 min to generate) is built once and reused: DIR/data is the cluster (initdb on first
 * use, as tests/support/pg-cluster.ts does: trust auth, fsync off, loopback on a free port),
 * DIR/history.json names the database holding a history and its size. `stop()` shuts the server
 * down and leaves DIR in place; delete DIR to throw it away.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { findPgBinDir, initdbArgs, postgresUser, run, serverOptions } from '../../tests/support/pg-cluster';
import { freePort } from './common';

export interface KeptHistory {
  database: string;
  events: number;
}

export interface KeptCluster {
  /** the cluster directory (DIR); its data is in DIR/data, as clusterCpuSeconds expects */
  dir: string;
  port: number;
  urlOf(database: string): string;
  /** the history recorded in DIR, if any */
  history(): KeptHistory | null;
  /** records that `database` holds a history of `events` events */
  recordHistory(h: KeptHistory): void;
  /** drops `database` if it exists and creates it empty */
  recreateDatabase(database: string): Promise<string>;
  stop(): Promise<void>;
}

export async function openKeptCluster(dirArg: string): Promise<KeptCluster> {
  const bin = findPgBinDir();
  const dir = path.resolve(dirArg);
  const dataDir = path.join(dir, 'data');
  const asUser = process.getuid?.() === 0 ? postgresUser() : undefined;
  const opts = { cwd: dir, ...(asUser ?? {}) };
  mkdirSync(dir, { recursive: true });
  if (asUser) {
    chownSync(dir, asUser.uid, asUser.gid);
    chmodSync(dir, 0o700);
  }
  if (!existsSync(path.join(dataDir, 'PG_VERSION'))) {
    await run(path.join(bin, 'initdb'), initdbArgs(dataDir), opts);
  }
  const port = await freePort();
  await run(path.join(bin, 'pg_ctl'), ['start', '-D', dataDir, '-w', '-t', '120', '-l', path.join(dir, 'server.log'), '-o', serverOptions(port, dir)], opts);
  const stopSync = () => {
    try {
      execFileSync(path.join(bin, 'pg_ctl'), ['stop', '-D', dataDir, '-m', 'fast', '-w'], { stdio: 'ignore', ...(asUser ?? {}) });
    } catch {
      // already stopped
    }
  };
  process.once('exit', stopSync);
  const historyFile = path.join(dir, 'history.json');
  const urlOf = (database: string) => `postgres://postgres@127.0.0.1:${port}/${database}`;
  let stopped = false;
  return {
    dir,
    port,
    urlOf,
    history() {
      try {
        return JSON.parse(readFileSync(historyFile, 'utf8')) as KeptHistory;
      } catch {
        return null;
      }
    },
    recordHistory(h) {
      writeFileSync(historyFile, JSON.stringify(h));
    },
    async recreateDatabase(database) {
      if (!/^[a-z_][a-z0-9_]*$/.test(database)) throw new Error(`database name ${database}`);
      writeFileSync(historyFile, 'null'); // no history until it is complete
      const client = new pg.Client({ connectionString: urlOf('postgres') });
      await client.connect();
      try {
        await client.query(`DROP DATABASE IF EXISTS ${database}`);
        await client.query(`CREATE DATABASE ${database}`);
      } finally {
        await client.end();
      }
      return urlOf(database);
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      process.removeListener('exit', stopSync);
      // a fast (clean) shutdown: the next run starts without crash recovery
      await run(path.join(bin, 'pg_ctl'), ['stop', '-D', dataDir, '-m', 'fast', '-w', '-t', '120'], opts);
    },
  };
}
