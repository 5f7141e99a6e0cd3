/**
 * `tsx src/main/service/keeper/cli.ts --datacenter URL --images DIR --data DIR [--scope district|<town code>]
 * [--user U --password P | --token T] [--renew-minutes N]`: an image keeper as a process of its own, next to
 * a data center started with `--images DIR` (./keeper.ts, docs/image-keeper.md).
 *
 * Logs are JSON lines on stdout (as the data center's): `"msg":"keeper ready"` once it runs, `"msg":"image
 * written"` with the manifest's fields after each image. SIGINT/SIGTERM stop it cleanly (a running export
 * finishes). Exit codes: 0 clean stop · 1 failed to start · 2 bad arguments.
 */
import path from 'node:path';
import { parseArgs } from 'node:util';
import { pino } from 'pino';
import { SyncScope } from '../../../core/index';
import { DEFAULT_RENEW_MS, startKeeper, type Keeper, type KeeperCredentials } from './keeper';

export const USAGE = `usage: tsx src/main/service/keeper/cli.ts --datacenter URL --images DIR --data DIR
       [--scope district|<town code>] [--user U --password P | --token T] [--renew-minutes N]

  --datacenter URL  the data center (http or https)
  --images DIR      the folder that data center serves images from (its --images DIR)
  --data DIR        the keeper's own data folder (its replica; one per scope)
  --scope S         district (default) or a 12-digit town code
  --user U          sign in as this account (it must be allowed to replicate the scope; a district
                    wall_viewer account is enough for any scope); the password from --password or
                    the environment variable HUYING_KEEPER_PASSWORD (kept off the command line)
  --token T         a fixed access token instead (it is never renewed: tests and short runs)
  --renew-minutes N renew the image when the data center moved on and the image is N minutes old
                    (default ${DEFAULT_RENEW_MS / 60_000}; fractions allowed)
  --help            show this text

Logs are JSON lines on stdout: "keeper ready" when it runs, "image written" after each image.
HUYING_LOG_LEVEL sets the log level (default info).`;

export interface KeeperCliOptions {
  dataCenterUrl: string;
  imagesDir: string;
  dataDir: string;
  scope: SyncScope;
  credentials: KeeperCredentials;
  renewMs: number;
}

export type ParsedKeeperArgs = { kind: 'run'; options: KeeperCliOptions } | { kind: 'help' } | { kind: 'error'; message: string };

export function parseKeeperArgs(argv: readonly string[], env: Record<string, string | undefined> = {}): ParsedKeeperArgs {
  let values: { datacenter?: string; images?: string; data?: string; scope?: string; user?: string; password?: string; token?: string; 'renew-minutes'?: string; help?: boolean };
  try {
    ({ values } = parseArgs({
      args: [...argv],
      options: {
        datacenter: { type: 'string' },
        images: { type: 'string' },
        data: { type: 'string' },
        scope: { type: 'string' },
        user: { type: 'string' },
        password: { type: 'string' },
        token: { type: 'string' },
        'renew-minutes': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (err) {
    return { kind: 'error', message: (err as Error).message };
  }
  if (values.help) return { kind: 'help' };

  if (!values.datacenter) return { kind: 'error', message: '--datacenter URL is required' };
  let url: URL;
  try {
    url = new URL(values.datacenter);
  } catch {
    return { kind: 'error', message: `--datacenter must be a URL, got "${values.datacenter}"` };
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return { kind: 'error', message: `--datacenter must be an http(s) URL, got "${values.datacenter}"` };
  for (const name of ['images', 'data'] as const) {
    const v = values[name];
    if (v === undefined) return { kind: 'error', message: `--${name} DIR is required` };
    if (v.trim() === '') return { kind: 'error', message: `--${name} must name a directory` };
  }
  const imagesDir = path.resolve(values.images!);
  const dataDir = path.resolve(values.data!);
  if (imagesDir === dataDir) return { kind: 'error', message: '--images and --data must be different folders' };

  const scope = SyncScope.safeParse(values.scope ?? 'district');
  if (!scope.success) return { kind: 'error', message: `--scope must be "district" or a 12-digit town code, got "${values.scope}"` };

  let credentials: KeeperCredentials;
  const password = values.password ?? (env.HUYING_KEEPER_PASSWORD || undefined);
  if (values.token !== undefined) {
    if (values.user !== undefined || values.password !== undefined) return { kind: 'error', message: '--token and --user/--password are exclusive: choose one way to sign in' };
    if (values.token.trim() === '') return { kind: 'error', message: '--token must not be empty' };
    credentials = { token: values.token };
  } else if (values.user !== undefined) {
    if (values.user.trim() === '') return { kind: 'error', message: '--user must not be empty' };
    if (password === undefined) return { kind: 'error', message: '--user needs a password: --password P or HUYING_KEEPER_PASSWORD' };
    credentials = { login: values.user, password };
  } else {
    return { kind: 'error', message: values.password !== undefined ? '--password needs --user' : 'sign in with --user U (and --password P or HUYING_KEEPER_PASSWORD) or --token T' };
  }

  let renewMs = DEFAULT_RENEW_MS;
  if (values['renew-minutes'] !== undefined) {
    const m = values['renew-minutes'];
    if (!/^\d{1,5}(\.\d{1,3})?$/.test(m) || Number(m) <= 0) return { kind: 'error', message: `--renew-minutes must be a number of minutes > 0, got "${m}"` };
    renewMs = Math.round(Number(m) * 60_000);
  }

  return { kind: 'run', options: { dataCenterUrl: values.datacenter, imagesDir, dataDir, scope: scope.data, credentials, renewMs } };
}

async function main(): Promise<void> {
  const parsed = parseKeeperArgs(process.argv.slice(2), process.env);
  if (parsed.kind === 'help') {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  if (parsed.kind === 'error') {
    process.stderr.write(`huying image keeper: ${parsed.message}\n\n${USAGE}\n`);
    process.exit(2);
  }
  // synchronous stdout: a host acts on the ready line, and nothing is lost on exit
  const log = pino({ name: 'image-keeper', level: process.env.HUYING_LOG_LEVEL || 'info' }, pino.destination({ dest: 1, sync: true }));
  let keeper: Keeper | null = null;
  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'shutting down');
    // still starting: nothing to finish (the replica is SQLite; its next open recovers)
    if (!keeper) process.exit(0);
    keeper.stop().then(
      () => process.exit(0),
      (err: unknown) => {
        log.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  try {
    keeper = await startKeeper({ ...parsed.options, logger: log });
  } catch (err) {
    log.fatal({ err }, `the keeper failed to start: ${(err as Error).message}`);
    process.exit(1);
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === path.resolve(new URL(import.meta.url).pathname)) {
  void main();
}
