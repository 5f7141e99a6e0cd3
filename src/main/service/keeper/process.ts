/**
 * Entry of the image keeper when the Electron app runs it next to its embedded demo data center, in a
 * utilityProcess of its own (built to out/main/image-keeper.js; main's side: src/main/keeper-host.ts). Plain
 * Node: it talks to main through the global `process.parentPort` and never imports electron.
 *
 * Protocol with main (structured-clone messages):
 *
 *   keeper → main   { t: 'ready', scope, imagesDir, image }   running (signed in, its folder locked and cleaned);
 *                                                             image: the file in place, or null
 *                   { t: 'image', file, bytes, ms }           an image was published
 *                   { t: 'fatal', message }                   could not start; the process exits 1, or one of
 *                                                             ./exit-codes.ts (bad settings, folder locked) that
 *                                                             main does not retry
 *   main → keeper   { t: 'shutdown' }                         stop (a running export finishes), then exit 0
 *
 * SIGTERM (Electron's `kill()`, after main's stop timeout) stops it the same way, so that its lock file is not
 * left behind, but exits after `terminateGraceMs` whatever the stop is waiting for (a long export, a migration at
 * start): a kill must still end the process.
 *
 * Settings come in the environment (as the data service's), checked by the keeper CLI's own parser:
 * HUYING_KEEPER_DATACENTER_URL, HUYING_KEEPER_IMAGES_DIR, HUYING_KEEPER_DATA_DIR, HUYING_KEEPER_USER with
 * HUYING_KEEPER_PASSWORD (never on a command line, and deleted from the environment once read), optionally HUYING_KEEPER_SCOPE and
 * HUYING_KEEPER_RENEW_MINUTES; HUYING_SQLITE_BINDING (better-sqlite3 built for Electron, from `npm start`) and
 * HUYING_LOG_LEVEL. Logs are the CLI's JSON lines, on stdout (main's, with `stdio: 'inherit'`).
 */
import { pino } from 'pino';
import type { ImageManifest } from '../../../core/sync/image';
import type { Logger } from '../log';
import { parseKeeperArgs, type KeeperCliOptions } from './cli';
import { KEEPER_EXIT } from './exit-codes';
import { ImagesLockedError } from './images-lock';
import type { Keeper, KeeperOptions } from './keeper';

export type ToKeeperMessage = { t: 'shutdown' };
export type FromKeeperMessage =
  | { t: 'ready'; scope: string; imagesDir: string; image: string | null }
  | { t: 'image'; file: string; bytes: number; ms: number }
  | { t: 'fatal'; message: string };

/** Electron's `process.parentPort`, declared here rather than imported (messages arrive wrapped: `{ data }`). */
export interface KeeperParentPort {
  on(event: 'message', listener: (messageEvent: { data: unknown }) => void): unknown;
  postMessage(message: FromKeeperMessage): void;
}

/** The keeper CLI's options from the environment main set, or an error naming what is wrong. */
export function keeperOptionsFromEnv(env: Record<string, string | undefined>): { ok: true; options: KeeperCliOptions } | { ok: false; message: string } {
  const args: string[] = [];
  const pairs = [
    ['--datacenter', 'HUYING_KEEPER_DATACENTER_URL'],
    ['--images', 'HUYING_KEEPER_IMAGES_DIR'],
    ['--data', 'HUYING_KEEPER_DATA_DIR'],
    ['--user', 'HUYING_KEEPER_USER'],
    ['--scope', 'HUYING_KEEPER_SCOPE'],
    ['--renew-minutes', 'HUYING_KEEPER_RENEW_MINUTES'],
  ] as const;
  for (const [flag, name] of pairs) {
    const value = env[name];
    if (value !== undefined && value !== '') args.push(flag, value);
  }
  // the password only from HUYING_KEEPER_PASSWORD, which the parser reads itself
  const parsed = parseKeeperArgs(args, { HUYING_KEEPER_PASSWORD: env.HUYING_KEEPER_PASSWORD });
  if (parsed.kind === 'run') return { ok: true, options: parsed.options };
  const message = parsed.kind === 'error' ? parsed.message : 'no settings';
  // the CLI's words name its switches: say which variables main should have set
  const named = pairs.reduce((text, [flag, name]) => text.replaceAll(flag, name), message).replace('--password P or ', '');
  return { ok: false, message: `the image keeper's settings are incomplete: ${named}` };
}

export interface KeeperProcessDeps {
  startKeeper(opts: KeeperOptions): Promise<Keeper>;
  logger: Logger;
  exit(code: number): void;
  /** registers the SIGTERM listener (process.once('SIGTERM', …) in the utilityProcess) */
  onTerminate?(listener: () => void): void;
  /** how long a SIGTERM waits for the keeper to stop before exiting anyway; default 5 s */
  terminateGraceMs?: number;
}

/**
 * Runs the keeper for main: starts it with the settings of `env`, says `ready` (or `fatal`, then exits), answers
 * `shutdown` by stopping it and exiting 0 — also while it is still starting (then once it has started: its lock and
 * replica are closed properly). SIGTERM does the same, with a deadline. The password is deleted from `env` once read.
 */
export async function runKeeperProcess(parentPort: KeeperParentPort, env: Record<string, string | undefined>, deps: KeeperProcessDeps): Promise<void> {
  const post = (message: FromKeeperMessage) => {
    try {
      parentPort.postMessage(message);
    } catch (err) {
      deps.logger.error({ err }, 'could not post to main');
    }
  };
  let exited = false;
  let graceTimer: ReturnType<typeof setTimeout> | undefined;
  // once: a stop that ends after SIGTERM's deadline exits no more
  const exit = (code: number) => {
    if (exited) return;
    exited = true;
    clearTimeout(graceTimer);
    deps.exit(code);
  };
  let keeper: Keeper | null = null;
  let shutdown = false;
  let stopping: Promise<void> | null = null;
  const stop = () => {
    stopping ??= (keeper ? keeper.stop() : Promise.resolve()).then(
      () => exit(0),
      (err: unknown) => {
        deps.logger.error({ err }, 'the image keeper did not stop cleanly');
        exit(1);
      },
    );
  };
  const shutDown = (why: string) => {
    if (shutdown) return;
    shutdown = true;
    deps.logger.info({}, why);
    // still starting: stopped as soon as it runs (below)
    if (keeper) stop();
  };
  parentPort.on('message', ({ data }) => {
    if ((data as { t?: unknown } | null)?.t === 'shutdown') shutDown('shutting down');
  });
  deps.onTerminate?.(() => {
    const graceMs = deps.terminateGraceMs ?? 5000;
    shutDown('SIGTERM: shutting down');
    graceTimer ??= setTimeout(() => {
      deps.logger.error({}, `the image keeper did not stop within ${graceMs / 1000} s of SIGTERM; exiting anyway`);
      exit(1);
    }, graceMs);
    graceTimer.unref?.();
  });

  const settings = keeperOptionsFromEnv(env);
  // read: no longer in the environment (of this process, its dumps, anything it might start)
  delete env.HUYING_KEEPER_PASSWORD;
  if (!settings.ok) {
    deps.logger.error({}, settings.message);
    post({ t: 'fatal', message: settings.message });
    exit(KEEPER_EXIT.settings);
    return;
  }
  try {
    keeper = await deps.startKeeper({
      ...settings.options,
      logger: deps.logger,
      ...(env.HUYING_SQLITE_BINDING ? { sqliteBinding: env.HUYING_SQLITE_BINDING } : {}),
      onImage: (manifest: ImageManifest, ms: number) => post({ t: 'image', file: manifest.file, bytes: manifest.bytes, ms }),
    });
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    deps.logger.error({ err }, `the image keeper failed to start: ${message}`);
    post({ t: 'fatal', message });
    exit(err instanceof ImagesLockedError ? KEEPER_EXIT.locked : 1);
    return;
  }
  if (shutdown) return stop();
  post({ t: 'ready', scope: keeper.scope, imagesDir: settings.options.imagesDir, image: keeper.manifest()?.file ?? null });
}

async function boot(parentPort: KeeperParentPort): Promise<void> {
  // loaded here, not at the top: tests of runKeeperProcess need no data service
  const { startKeeper } = await import('./keeper');
  // synchronous stdout: nothing is lost on exit
  const logger = pino({ name: 'image-keeper', level: process.env.HUYING_LOG_LEVEL || 'info' }, pino.destination({ dest: 1, sync: true }));
  await runKeeperProcess(parentPort, process.env, {
    startKeeper,
    logger,
    onTerminate: (listener) => void process.once('SIGTERM', listener),
    // a moment for the last message to leave
    exit: (code) => void setTimeout(() => process.exit(code), code === 0 ? 0 : 200),
  });
}

const parentPort = (process as unknown as { parentPort?: KeeperParentPort }).parentPort;
if (parentPort) void boot(parentPort);
