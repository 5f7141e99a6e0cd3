/**
 * The embedded data center of the web host, run as a CHILD process (its own
 * PGlite, its own event loop, so a heavy seed or query never stalls the
 * renderer's WebSocket): `node --import tsx src/datacenter/cli.ts --port 0
 * --data DIR --seed demo`. We wait for its JSON "data center ready" line,
 * which carries the URL it bound to, and stop it on close (SIGTERM, then
 * SIGKILL after a grace period). If it dies on its own we say so through
 * `onExit`, and the host reports it in the log and the sync status.
 *
 * The ready timeout counts only while the child is not migrating its store.
 * A schema migration may take minutes on a large store (0008: ~6 min on PGlite
 * for a 10^6-event district, docs/datacenter.md) and holds the child's event
 * loop meanwhile, so it cannot say "still alive"; killing it there would undo
 * the migration and the next start would be killed the same way. The child
 * prints a "store migration started" line before each migration and a
 * "store migration finished" line after it: in between the clock stops.
 */
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { createInterface } from 'node:readline';
import type { Logger } from '../service/index';
import { describeMigrationStep, migrationStepOf, type MigrationStep } from '../../core/store-migration';
import { pausableTimeout } from '../service/clock';
export type { MigrationStep };

export interface EmbeddedDataCenterOptions {
  /** the data center's own folder (PGlite files) */
  dataDir: string;
  /** default src/datacenter/cli.ts of this checkout */
  cliPath?: string;
  /** default 'demo' */
  seed?: 'demo' | null;
  /** further switches of the data center's CLI, e.g. DEMO_ACTIVITY_ARGS */
  extraArgs?: readonly string[];
  /**
   * how long to wait for the ready line, not counting the store's migrations (announced by the
   * child, they may take minutes); default 120 s (first run seeds the demo district)
   */
  readyTimeoutMs?: number;
  /** grace period between SIGTERM and SIGKILL on stop; default 5 s */
  stopTimeoutMs?: number;
  log: Logger;
  /** every line the child prints; default: its warnings, errors and non-JSON lines to our stderr */
  onOutput?: (line: string, stream: 'stdout' | 'stderr') => void;
  /** the child exited without being asked to */
  onExit?: (description: string) => void;
}

export interface EmbeddedDataCenter {
  url: string;
  pid: number;
  stop(): Promise<void>;
}

/**
 * The demo district at work (the data center's `--demo-activity`: past events on the first start,
 * then the simulator; src/datacenter/options.ts says how many). `npm run web` and `npm start` give it
 * to their embedded data center; the end-to-end tests start it quiet (`--quiet-demo`).
 */
export const DEMO_ACTIVITY_ARGS: readonly string[] = ['--demo-activity'];

export const DEFAULT_DATACENTER_CLI = fileURLToPath(new URL('../../datacenter/cli.ts', import.meta.url));

const TAIL_LINES = 40;

export async function startEmbeddedDataCenter(opts: EmbeddedDataCenterOptions): Promise<EmbeddedDataCenter> {
  const cliPath = opts.cliPath ?? DEFAULT_DATACENTER_CLI;
  // tsx's ESM loader, resolved from this package so the child works from any cwd.
  const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
  const args = ['--import', tsx, cliPath, '--port', '0', '--data', opts.dataDir];
  if (opts.seed !== null) args.push('--seed', opts.seed ?? 'demo');
  if (opts.extraArgs) args.push(...opts.extraArgs);

  const child = spawn(process.execPath, args, {
    stdio: ['pipe', 'pipe', 'pipe'],
    env: { ...process.env, FORCE_COLOR: '0' },
    // Its own process group: Ctrl-C in the terminal reaches the host, which then stops the
    // child in order, instead of both racing to exit.
    detached: process.platform !== 'win32',
  });
  const tail: string[] = [];
  const output = opts.onOutput ?? defaultOutput;
  let stopping = false;
  let exited: { code: number | null; signal: NodeJS.Signals | null } | null = null;
  const exitPromise = new Promise<void>((resolve) =>
    child.once('exit', (code, signal) => {
      exited = { code, signal };
      resolve();
    }),
  );
  // If this process ends without close() (an uncaught error, process.exit), do not leave the child behind.
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);

  const readyTimeoutMs = opts.readyTimeoutMs ?? 120_000;
  /** the store migration the child announced and has not finished yet */
  let migrating: MigrationStep | null = null;
  let timedOut: (err: Error) => void = () => {};
  const timeout = new Promise<never>((_, reject) => (timedOut = reject));
  const deadline = pausableTimeout(readyTimeoutMs, () =>
    timedOut(new Error(`the embedded data center did not report ready within ${readyTimeoutMs} ms${tailText(tail)}`)),
  );
  const onMigration = (step: MigrationStep) => {
    if (step.phase === 'start') {
      migrating = step;
      deadline.pause();
      opts.log.info(
        { pid: child.pid, migration: step.id, name: step.name, of: `${step.index}/${step.count}` },
        `the embedded data center is migrating its store (${describeMigrationStep(step)}); this can take minutes on a large store — waiting for it without a time limit`,
      );
    } else {
      migrating = null;
      deadline.resume();
      opts.log.info({ pid: child.pid, migration: step.id, name: step.name, ms: step.ms }, `the embedded data center finished migrating its store (${describeMigrationStep(step)})`);
    }
  };

  let announce: ((url: string) => void) | null = null;
  const ready = new Promise<string>((resolve, reject) => {
    announce = resolve;
    child.once('error', reject);
    void exitPromise.then(() => {
      const during = migrating ? ` while migrating its store (${describeMigrationStep(migrating)})` : '';
      reject(new Error(`the embedded data center exited before it was ready (${describe(exited!)})${during}${tailText(tail)}`));
    });
  });

  const watch = (stream: NodeJS.ReadableStream, name: 'stdout' | 'stderr') => {
    createInterface({ input: stream, crlfDelay: Infinity }).on('line', (line) => {
      tail.push(line);
      if (tail.length > TAIL_LINES) tail.shift();
      output(line, name);
      if (name === 'stdout' && announce) {
        const url = readyUrl(line);
        if (url) {
          announce(url);
          announce = null;
        }
        const step = migrationStep(line);
        if (step) onMigration(step);
      }
    });
  };
  watch(child.stdout!, 'stdout');
  watch(child.stderr!, 'stderr');

  const stop = async (): Promise<void> => {
    stopping = true;
    process.off('exit', killOnExit);
    if (exited) return;
    child.kill('SIGTERM');
    const timeout = opts.stopTimeoutMs ?? 5_000;
    const graceful = await Promise.race([exitPromise.then(() => true), delay(timeout).then(() => false)]);
    if (!graceful) {
      opts.log.warn({ pid: child.pid, timeoutMs: timeout }, 'embedded data center did not stop in time; killing it');
      child.kill('SIGKILL');
      await exitPromise;
    }
  };

  let url: string;
  try {
    url = await Promise.race([ready, timeout]);
  } catch (err) {
    await stop();
    throw err;
  } finally {
    deadline.clear();
  }

  void exitPromise.then(() => {
    if (stopping) return;
    const description = `the embedded data center exited unexpectedly (${describe(exited!)})`;
    opts.log.error({ pid: child.pid, ...exited, tail: tail.slice(-10) }, description);
    opts.onExit?.(description);
  });
  opts.log.info({ url, pid: child.pid, dataDir: opts.dataDir }, 'embedded data center ready');
  return { url, pid: child.pid!, stop };
}

/** The embedded data center's `--images DIR`: it serves the replica images the keeper child writes there. */
export function imagesArgs(imagesDir: string): string[] {
  return ['--images', imagesDir];
}

export const DEFAULT_KEEPER_CLI = fileURLToPath(new URL('../service/keeper/cli.ts', import.meta.url));

/**
 * The demo account the embedded image keeper signs in with (src/datacenter/auth/demo.ts, docs/auth.md): the
 * wall's, the least privileged that may replicate the district (wall_viewer, district scope: the sync feed's
 * canReadScope admits it, and it may run no command). It exists only on a data center seeded with the demo.
 */
export const DEMO_KEEPER_ACCOUNT = { login: 'wall', password: 'huying-demo' } as const;

export interface ImageKeeperChildOptions {
  dataCenterUrl: string;
  /** the embedded data center's `--images` */
  imagesDir: string;
  /** the keeper's own data folder */
  dataDir: string;
  /** default src/main/service/keeper/cli.ts of this checkout */
  cliPath?: string;
  /** default DEMO_KEEPER_ACCOUNT (its password goes through the environment, not the command line) */
  account?: { login: string; password: string };
  renewMinutes?: number;
  /** how long to wait for its "keeper ready" line; default 60 s */
  readyTimeoutMs?: number;
  /** grace period between SIGTERM and SIGKILL on stop; default 10 s (a running export finishes first) */
  stopTimeoutMs?: number;
  log: Logger;
  /** every line the child prints; default: its warnings, errors and non-JSON lines to our stderr */
  onOutput?: (line: string, stream: 'stdout' | 'stderr') => void;
}

export interface ImageKeeperChild {
  pid: number;
  /** its "keeper ready" line came (rejects when it exits or stays silent first) */
  ready: Promise<void>;
  stop(): Promise<void>;
}

/**
 * The image keeper (src/main/service/keeper, docs/image-keeper.md) as a CHILD process of the web host: its
 * exports hold its thread for seconds, which must be neither the host's (the kiosks' WebSocket) nor the data
 * center's. `node --import tsx src/main/service/keeper/cli.ts --datacenter URL --images DIR --data DIR --user
 * wall`. Not vital: a keeper that fails or exits is logged, and desktops take the row snapshot.
 */
export function startImageKeeperChild(opts: ImageKeeperChildOptions): ImageKeeperChild {
  const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
  const account = opts.account ?? DEMO_KEEPER_ACCOUNT;
  const args = ['--import', tsx, opts.cliPath ?? DEFAULT_KEEPER_CLI, '--datacenter', opts.dataCenterUrl, '--images', opts.imagesDir, '--data', opts.dataDir, '--user', account.login];
  if (opts.renewMinutes !== undefined) args.push('--renew-minutes', String(opts.renewMinutes));
  const child = spawn(process.execPath, args, {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, FORCE_COLOR: '0', HUYING_KEEPER_PASSWORD: account.password },
    // its own process group: Ctrl-C reaches the host, which stops it in order
    detached: process.platform !== 'win32',
  });
  const output = opts.onOutput ?? defaultOutput;
  const tail: string[] = [];
  let stopping = false;
  let exited: { code: number | null; signal: NodeJS.Signals | null } | null = null;
  // 'close', not 'exit': its last lines (the "keeper stopped" one) are read by then
  const exitPromise = new Promise<void>((resolve) =>
    child.once('close', (code, signal) => {
      exited = { code, signal };
      resolve();
    }),
  );
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);

  let announce: (() => void) | null = null;
  const readyTimeoutMs = opts.readyTimeoutMs ?? 60_000;
  const ready = new Promise<void>((resolve, reject) => {
    announce = resolve;
    child.once('error', reject);
    const timer = setTimeout(() => reject(new Error(`the image keeper did not report ready within ${readyTimeoutMs} ms${tailText(tail)}`)), readyTimeoutMs);
    timer.unref();
    void exitPromise.then(() => reject(new Error(`the image keeper exited before it was ready (${describe(exited!)})${tailText(tail)}`)));
  });
  // a keeper that never comes up is logged, not fatal
  ready.then(
    () => opts.log.info({ pid: child.pid, imagesDir: opts.imagesDir }, 'image keeper ready'),
    (err: unknown) => {
      if (!stopping) opts.log.error({ pid: child.pid, err }, 'the image keeper did not start; desktops take the row snapshot');
    },
  );
  void exitPromise.then(() => {
    if (!stopping) opts.log.error({ pid: child.pid, ...exited, tail: tail.slice(-10) }, `the image keeper exited unexpectedly (${describe(exited!)})`);
  });

  for (const [stream, name] of [
    [child.stdout!, 'stdout'],
    [child.stderr!, 'stderr'],
  ] as const) {
    createInterface({ input: stream, crlfDelay: Infinity }).on('line', (line) => {
      tail.push(line);
      if (tail.length > TAIL_LINES) tail.shift();
      output(line, name);
      if (name === 'stdout' && announce && logMessage(line) === 'keeper ready') {
        announce();
        announce = null;
      }
    });
  }

  return {
    pid: child.pid!,
    ready,
    stop: async () => {
      stopping = true;
      process.off('exit', killOnExit);
      if (exited) return;
      child.kill('SIGTERM');
      const timeout = opts.stopTimeoutMs ?? 10_000;
      const graceful = await Promise.race([exitPromise.then(() => true), delay(timeout).then(() => false)]);
      if (!graceful) {
        opts.log.warn({ pid: child.pid, timeoutMs: timeout }, 'image keeper did not stop in time; killing it');
        child.kill('SIGKILL');
        await exitPromise;
      }
    },
  };
}

/** The `msg` of a JSON log line, null for anything else. */
export function logMessage(line: string): string | null {
  if (!line.startsWith('{')) return null;
  try {
    const msg = (JSON.parse(line) as { msg?: unknown }).msg;
    return typeof msg === 'string' ? msg : null;
  } catch {
    return null;
  }
}

/**
 * Copies the child's warnings and errors (and anything that is not a JSON log
 * line, e.g. a crash trace) to our stderr; its per-request info lines would
 * drown everything else. HUYING_LOG_LEVEL=debug copies every line.
 */
function defaultOutput(line: string): void {
  if (process.env.HUYING_LOG_LEVEL === 'debug' || process.env.HUYING_LOG_LEVEL === 'trace' || (logLevel(line) ?? 50) >= 40) {
    process.stderr.write(`${line}\n`);
  }
}

/** pino's numeric level of a JSON log line, null for anything else. */
export function logLevel(line: string): number | null {
  if (!line.startsWith('{')) return null;
  try {
    const level = (JSON.parse(line) as { level?: unknown }).level;
    return typeof level === 'number' ? level : null;
  } catch {
    return null;
  }
}

/** The URL of a `{"msg":"data center ready","url":…}` log line, else null. */
export function readyUrl(line: string): string | null {
  if (!line.startsWith('{')) return null;
  try {
    const obj = JSON.parse(line) as { msg?: unknown; url?: unknown };
    if (obj.msg === 'data center ready' && typeof obj.url === 'string') return obj.url;
  } catch {
    // not JSON: an ordinary log line
  }
  return null;
}

/** The migration a `{"msg":"store migration started"|"store migration finished","migration":{…}}` line is about, else null. */
export function migrationStep(line: string): MigrationStep | null {
  if (!line.startsWith('{')) return null;
  try {
    const obj = JSON.parse(line) as { msg?: unknown; migration?: unknown };
    const phase = obj.msg === 'store migration started' ? 'start' : obj.msg === 'store migration finished' ? 'done' : null;
    return migrationStepOf(phase, obj.migration);
  } catch {
    return null;
  }
}


function describe(e: { code: number | null; signal: NodeJS.Signals | null }): string {
  return e.signal ? `signal ${e.signal}` : `code ${e.code}`;
}

function tailText(tail: string[]): string {
  return tail.length ? `; last output:\n${tail.slice(-15).join('\n')}` : '';
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}
