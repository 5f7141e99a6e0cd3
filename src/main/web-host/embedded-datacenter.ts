/**
 * The web host's two children, both supervised by child-supervisor.ts (spawn, output tail, ready
 * line, stop with SIGTERM then SIGKILL): the embedded data center and the image keeper.
 *
 * The embedded data center runs as a CHILD process (its own PGlite, its own event
 * loop, so a heavy seed or query never stalls the renderer's WebSocket): `node
 * --import tsx src/datacenter/cli.ts --port 0 --data DIR --seed demo`. We wait
 * for its JSON "data center ready" line, which carries the URL it bound to, and
 * stop it on close (SIGTERM, then SIGKILL after 5 s). If it dies on its own we
 * say so through `onExit`, and the host reports it in the log and the sync status.
 *
 * The ready timeout counts only while the child is not migrating its store.
 * A schema migration may take minutes on a large store (0008: ~6 min on PGlite
 * for a 10^6-event district, docs/datacenter.md) and holds the child's event
 * loop meanwhile, so it cannot say "still alive"; killing it there would undo
 * the migration and the next start would be killed the same way. The child
 * prints a "store migration started" line before each migration and a
 * "store migration finished" line after it: in between the clock stops.
 */
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Logger } from '../service/index';
import type { Clock } from '../service/clock';
import { describeMigrationStep, migrationStepOf, type MigrationStep } from '../../core/store-migration';
import { DEMO_KEEPER_ACCOUNT } from '../service/keeper/demo-account';
import { superviseChild, type SupervisedChild } from './child-supervisor';
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
  /** the ready deadline's and the stop grace's time; default the system's (tests: a manual clock) */
  clock?: Clock;
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

export async function startEmbeddedDataCenter(opts: EmbeddedDataCenterOptions): Promise<EmbeddedDataCenter> {
  const args = [...tsxArgs(), opts.cliPath ?? DEFAULT_DATACENTER_CLI, '--port', '0', '--data', opts.dataDir];
  if (opts.seed !== null) args.push('--seed', opts.seed ?? 'demo');
  if (opts.extraArgs) args.push(...opts.extraArgs);
  const output = opts.onOutput ?? defaultOutput;
  /** the store migration the child announced and has not finished yet */
  let migrating: MigrationStep | null = null;
  let started = false;

  const child: SupervisedChild<string> = superviseChild({
    name: 'the embedded data center',
    args,
    readyFrom: (line) => readyUrl(line) ?? undefined,
    readyTimeoutMs: opts.readyTimeoutMs ?? 120_000,
    stopTimeoutMs: opts.stopTimeoutMs ?? 5_000,
    log: opts.log,
    ...(opts.clock ? { clock: opts.clock } : {}),
    context: () => (migrating ? ` while migrating its store (${describeMigrationStep(migrating)})` : ''),
    onLine: (line, stream) => {
      output(line, stream);
      const step = stream === 'stdout' && !started ? migrationStep(line) : null;
      if (step) onMigration(step);
    },
    onUnexpectedExit: (description) => opts.onExit?.(description),
  });
  // the deadline stops while the child migrates its store (see the module comment)
  function onMigration(step: MigrationStep): void {
    if (step.phase === 'start') {
      migrating = step;
      child.readyDeadline.pause();
      opts.log.info(
        { pid: child.pid, migration: step.id, name: step.name, of: `${step.index}/${step.count}` },
        `the embedded data center is migrating its store (${describeMigrationStep(step)}); this can take minutes on a large store — waiting for it without a time limit`,
      );
    } else {
      migrating = null;
      child.readyDeadline.resume();
      opts.log.info({ pid: child.pid, migration: step.id, name: step.name, ms: step.ms }, `the embedded data center finished migrating its store (${describeMigrationStep(step)})`);
    }
  }

  let url: string;
  try {
    url = await child.ready;
  } catch (err) {
    // it stays silent (or could not start): stop it, and say why with its last output
    await child.stop();
    throw err;
  }
  started = true;
  opts.log.info({ url, pid: child.pid, dataDir: opts.dataDir }, 'embedded data center ready');
  return { url, pid: child.pid!, stop: async () => void (await child.stop()) };
}

/** The embedded data center's `--images DIR`: it serves the replica images the keeper child writes there. */
export function imagesArgs(imagesDir: string): string[] {
  return ['--images', imagesDir];
}

export const DEFAULT_KEEPER_CLI = fileURLToPath(new URL('../service/keeper/cli.ts', import.meta.url));

/** The demo account the embedded image keeper signs in with: the wall's (src/main/service/keeper/demo-account.ts). */
export { DEMO_KEEPER_ACCOUNT };

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
  /** the ready deadline's and the stop grace's time; default the system's (tests: a manual clock) */
  clock?: Clock;
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
  const account = opts.account ?? DEMO_KEEPER_ACCOUNT;
  const args = [...tsxArgs(), opts.cliPath ?? DEFAULT_KEEPER_CLI, '--datacenter', opts.dataCenterUrl, '--images', opts.imagesDir, '--data', opts.dataDir, '--user', account.login];
  if (opts.renewMinutes !== undefined) args.push('--renew-minutes', String(opts.renewMinutes));
  const output = opts.onOutput ?? defaultOutput;
  let stopping = false;
  const child = superviseChild<true>({
    name: 'the image keeper',
    args,
    env: { HUYING_KEEPER_PASSWORD: account.password },
    readyFrom: (line) => (logMessage(line) === 'keeper ready' ? true : undefined),
    readyTimeoutMs: opts.readyTimeoutMs ?? 60_000,
    stopTimeoutMs: opts.stopTimeoutMs ?? 10_000,
    log: opts.log,
    ...(opts.clock ? { clock: opts.clock } : {}),
    onLine: output,
  });
  const ready = child.ready.then(() => undefined);
  // a keeper that never comes up is logged, not fatal; one silent past the deadline is left running (its
  // replica may be migrating), and said again if it exits
  ready.then(
    () => opts.log.info({ pid: child.pid, imagesDir: opts.imagesDir }, 'image keeper ready'),
    (err: unknown) => {
      if (!stopping) opts.log.error({ pid: child.pid, err }, 'the image keeper did not start; desktops take the row snapshot');
    },
  );
  return {
    pid: child.pid!,
    ready,
    stop: async () => {
      stopping = true;
      await child.stop();
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

/** Node's switches that run a TypeScript entry: tsx's ESM loader, resolved from this package so the child works from any cwd. */
function tsxArgs(): string[] {
  return ['--import', pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href];
}
