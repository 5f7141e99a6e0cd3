/**
 * A throwaway PostgreSQL cluster for integration tests: initdb into a temp
 * directory, `pg_ctl start` on a free loopback port with trust auth and
 * fsync off, and remove it all on stop. Nothing touches the machine's own
 * PostgreSQL service.
 *
 * initdb refuses to run as root, so under root (CI containers) the cluster is
 * created and run as the `postgres` user the Debian package installs.
 * Without PostgreSQL's server binaries this fails loudly — the PostgreSQL half
 * of the suites must not be skipped silently.
 */
import { execFileSync, spawn } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';

export interface PgCluster {
  /** postgres://postgres@127.0.0.1:PORT/postgres */
  url: string;
  port: number;
  /** temp directory holding the cluster's data, socket and log */
  dir: string;
  /** creates an empty database and returns its URL */
  createDatabase(name?: string): Promise<string>;
  /** stops the server (immediate) and deletes its directory; safe to call twice */
  stop(): Promise<void>;
}

const INSTALL_HINT =
  'install the `postgresql` package (Debian/Ubuntu: apt-get install postgresql; `npm test` does this when run as root), or set PG_BINDIR to the directory holding initdb and pg_ctl';

/** Where initdb and pg_ctl may be: $PG_BINDIR, `pg_config --bindir`, then /usr/lib/postgresql/N/bin, newest first. */
export function pgBinDirCandidates(): string[] {
  const candidates: string[] = [];
  if (process.env.PG_BINDIR) candidates.push(process.env.PG_BINDIR);
  try {
    candidates.push(execFileSync('pg_config', ['--bindir'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim());
  } catch {
    // pg_config may be missing while the server binaries are present
  }
  if (existsSync('/usr/lib/postgresql')) {
    const versions = readdirSync('/usr/lib/postgresql')
      .filter((v) => /^\d+$/.test(v))
      .sort((a, b) => Number(b) - Number(a));
    candidates.push(...versions.map((v) => `/usr/lib/postgresql/${v}/bin`));
  }
  return candidates;
}

/** The first candidate holding initdb and pg_ctl; throws with the install hint when none does. */
export function findPgBinDir(candidates: readonly string[] = pgBinDirCandidates()): string {
  const found = candidates.find((dir) => existsSync(path.join(dir, 'initdb')) && existsSync(path.join(dir, 'pg_ctl')));
  if (!found) throw new Error(`PostgreSQL server binaries (initdb, pg_ctl) not found: ${INSTALL_HINT}`);
  return found;
}

/** The `postgres` user to run initdb and the server as (initdb refuses root); throws with the install hint when there is none. */
export function postgresUser(): { uid: number; gid: number } {
  const line = readFileSync('/etc/passwd', 'utf8')
    .split('\n')
    .find((l) => l.startsWith('postgres:'));
  const [, , uid, gid] = line?.split(':') ?? [];
  if (!uid || !gid) {
    throw new Error(`running as root, and initdb refuses root, but there is no \`postgres\` user to run it as: ${INSTALL_HINT}`);
  }
  return { uid: Number(uid), gid: Number(gid) };
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** Runs a PostgreSQL tool (as opts' uid/gid when given) in the C locale; rejects with its output when it fails. */
export function run(cmd: string, args: string[], opts: { uid?: number; gid?: number; cwd: string }): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, {
      cwd: opts.cwd,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, LC_ALL: 'C', LANG: 'C' },
      ...(opts.uid !== undefined ? { uid: opts.uid, gid: opts.gid } : {}),
    });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    child.once('error', reject);
    child.once('exit', (code) =>
      code === 0 ? resolve() : reject(new Error(`${path.basename(cmd)} ${args.join(' ')} exited with ${code}:\n${output.trim()}`)),
    );
  });
}

/** initdb's arguments for a test or benchmark cluster: trust auth, UTF-8, C locale, no fsync. */
export function initdbArgs(dataDir: string): string[] {
  return ['-D', dataDir, '-U', 'postgres', '-A', 'trust', '-E', 'UTF8', '--locale=C', '--no-sync', '--no-instructions'];
}

/** The server's options (pg_ctl -o): loopback on `port`, its socket in `socketDir`, durability off. */
export function serverOptions(port: number, socketDir: string): string {
  return [
    '-c listen_addresses=127.0.0.1',
    `-p ${port}`,
    `-k ${socketDir}`,
    '-c fsync=off',
    '-c synchronous_commit=off',
    '-c full_page_writes=off',
    '-c max_connections=50',
  ].join(' ');
}

export async function startPgCluster(): Promise<PgCluster> {
  const bin = findPgBinDir();
  const asUser = process.getuid?.() === 0 ? postgresUser() : undefined;
  const dir = mkdtempSync(path.join(os.tmpdir(), 'huying-pg-'));
  const dataDir = path.join(dir, 'data');
  if (asUser) {
    chownSync(dir, asUser.uid, asUser.gid);
    chmodSync(dir, 0o700);
  }
  const opts = { cwd: dir, ...(asUser ?? {}) };
  const cleanup = () => rmSync(dir, { recursive: true, force: true });

  try {
    await run(path.join(bin, 'initdb'), initdbArgs(dataDir), opts);
  } catch (err) {
    cleanup();
    throw err;
  }

  let port = 0;
  let lastError: unknown = null;
  for (let attempt = 0; attempt < 3 && port === 0; attempt++) {
    const candidate = await freePort();
    try {
      await run(path.join(bin, 'pg_ctl'), ['start', '-D', dataDir, '-w', '-t', '60', '-l', path.join(dir, 'server.log'), '-o', serverOptions(candidate, dir)], opts);
      port = candidate;
    } catch (err) {
      lastError = err; // most likely the port was taken between probing and binding: try another
    }
  }
  if (port === 0) {
    cleanup();
    throw lastError instanceof Error ? lastError : new Error('could not start PostgreSQL');
  }

  const stopSync = () => {
    try {
      execFileSync(path.join(bin, 'pg_ctl'), ['stop', '-D', dataDir, '-m', 'immediate', '-w'], {
        stdio: 'ignore',
        ...(asUser ?? {}),
      });
    } catch {
      // already stopped
    }
    cleanup();
  };
  // a crashed test run must not leave a server behind
  process.once('exit', stopSync);

  const url = `postgres://postgres@127.0.0.1:${port}/postgres`;
  let counter = 0;
  let stopped = false;
  return {
    url,
    port,
    dir,
    async createDatabase(name?: string) {
      const db = name ?? `t${process.pid}_${++counter}_${Math.random().toString(36).slice(2, 8)}`;
      if (!/^[a-z_][a-z0-9_]*$/.test(db)) throw new Error(`database name ${db}: use lower-case letters, digits and _`);
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      try {
        await client.query(`CREATE DATABASE ${db}`);
      } finally {
        await client.end();
      }
      return `postgres://postgres@127.0.0.1:${port}/${db}`;
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      process.removeListener('exit', stopSync);
      try {
        await run(path.join(bin, 'pg_ctl'), ['stop', '-D', dataDir, '-m', 'immediate', '-w'], opts);
      } finally {
        cleanup();
      }
    },
  };
}
