/**
 * Command-line options of the data center, shared by the CLI and the Electron
 * utility-process entry. Parsing never exits: it returns an error message, and
 * the caller prints it with the usage and exits with code 2.
 */
import path from 'node:path';
import { parseArgs } from 'node:util';
import { DEFAULT_HOST, DEFAULT_PORT, type DataCenterOptions } from './server';
import { parseSimulateArg } from './simulator/simulator';
import { DEFAULT_SNAPSHOT_LIMITS } from './sync/snapshot-limits';

export const DEFAULT_DATA_DIR = '.data/datacenter';

/**
 * `--demo-activity`: the demo district at work, as `npm start` and `npm run web` show it — on the
 * first start 3,000 past events of the last 30 days (about 300 still open), then the simulator's
 * arrivals in real time, 240 an hour. Defined here once; both shells pass the one switch.
 */
export const DEMO_ACTIVITY = { history: 3000, ratePerHour: 240 } as const;

export const USAGE = `usage: npm run datacenter -- [--port N] [--host H] [--pg URL | --data DIR] [--seed demo|none] [--simulate RATE] [--demo-history N] [--demo-activity]
       [--snapshot-limit N] [--snapshot-stall-seconds S] [--images DIR]

  --port N      TCP port to listen on (default ${DEFAULT_PORT}; 0 picks a free one)
  --host H      address to bind (default ${DEFAULT_HOST})
  --pg URL      use PostgreSQL at URL (postgres://…); also taken from DATABASE_URL
  --data DIR    use embedded PGlite in DIR (default ${DEFAULT_DATA_DIR})
  --seed demo   load the demo district into an empty database (default with PGlite)
  --seed none   do not seed (default with PostgreSQL)
  --simulate RATE  run the simulator (docs/simulator.md): RATE events per hour in real time (e.g. 120),
                a speed (e.g. 60x: simulated time runs 60 times faster, 30 events per simulated hour)
                or both (120@60x: 120 per simulated hour, 2 per real second)
  --simulate-seed N  the simulator's random seed (default: a fresh one, logged)
  --demo-history N  with --seed demo, on the first start (empty database): also write N past events
                of the last 30 days, so the demo shows a district at work
  --demo-activity  with --seed demo: the demo at work as npm start and npm run web show it, i.e.
                --demo-history ${DEMO_ACTIVITY.history} --simulate ${DEMO_ACTIVITY.ratePerHour} (either may still be given to override)
  --snapshot-limit N  snapshot exports served at once (default ${DEFAULT_SNAPSHOT_LIMITS.maxConcurrent}; with PostgreSQL below its pool's 10
                connections); more are answered 503 with Retry-After. Also HUYING_SNAPSHOT_LIMIT
  --snapshot-stall-seconds S  cut a snapshot export whose client has read nothing for S seconds
                (default ${DEFAULT_SNAPSHOT_LIMITS.stallTimeoutMs / 1000}; 0: never). Also HUYING_SNAPSHOT_STALL_SECONDS
  --images DIR  serve the replica images an image keeper writes to DIR (GET /api/v1/sync/image,
                docs/image-keeper.md); without it that route answers 404 and desktops take the row snapshot
  --history N   write N past events into the database and exit (docs/simulator.md)
  --help        show this text

Logs are JSON lines on stdout; the line with "msg":"data center ready" carries the "url".
LOG_LEVEL sets the log level (default info).`;

export type CliOptions = Required<Pick<DataCenterOptions, 'port' | 'host' | 'seed'>> &
  Pick<DataCenterOptions, 'simulate' | 'demoHistory' | 'snapshot' | 'images'> & { pg?: string; dataDir?: string };

export type ParsedArgs = { kind: 'run'; options: CliOptions } | { kind: 'help' } | { kind: 'error'; message: string };

export function parseDataCenterArgs(argv: readonly string[], env: Record<string, string | undefined> = {}): ParsedArgs {
  let values: { port?: string; host?: string; pg?: string; data?: string; seed?: string; simulate?: string; 'simulate-seed'?: string; 'demo-history'?: string; 'demo-activity'?: boolean; 'snapshot-limit'?: string; 'snapshot-stall-seconds'?: string; images?: string; help?: boolean };
  try {
    ({ values } = parseArgs({
      args: [...argv],
      options: {
        port: { type: 'string' },
        host: { type: 'string' },
        pg: { type: 'string' },
        data: { type: 'string' },
        seed: { type: 'string' },
        simulate: { type: 'string' },
        'simulate-seed': { type: 'string' },
        'demo-history': { type: 'string' },
        'demo-activity': { type: 'boolean' },
        'snapshot-limit': { type: 'string' },
        'snapshot-stall-seconds': { type: 'string' },
        images: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (err) {
    return { kind: 'error', message: (err as Error).message };
  }
  if (values.help) return { kind: 'help' };

  let port = DEFAULT_PORT;
  if (values.port !== undefined) {
    if (!/^\d{1,5}$/.test(values.port) || Number(values.port) > 65535) {
      return { kind: 'error', message: `--port must be a whole number from 0 to 65535, got "${values.port}"` };
    }
    port = Number(values.port);
  }

  const host = values.host ?? DEFAULT_HOST;
  if (host.trim() === '') return { kind: 'error', message: '--host must not be empty' };

  if (values.pg !== undefined && values.data !== undefined) {
    return { kind: 'error', message: '--pg and --data are exclusive: choose PostgreSQL or embedded PGlite' };
  }
  // an explicit --data wins over DATABASE_URL from the environment
  const pgUrl = values.pg ?? (values.data === undefined ? env.DATABASE_URL || undefined : undefined);
  if (pgUrl !== undefined && !/^postgres(ql)?:\/\/.+/.test(pgUrl)) {
    const from = values.pg !== undefined ? '--pg' : 'DATABASE_URL';
    return { kind: 'error', message: `${from} must be a postgres:// or postgresql:// URL` };
  }
  if (values.data !== undefined && values.data.trim() === '') return { kind: 'error', message: '--data must name a directory' };

  let seed: 'demo' | null = pgUrl ? null : 'demo';
  if (values.seed !== undefined) {
    if (values.seed === 'demo') seed = 'demo';
    else if (values.seed === 'none') seed = null;
    else return { kind: 'error', message: `--seed must be "demo" or "none", got "${values.seed}"` };
  }

  if (values['demo-activity'] && seed !== 'demo') return { kind: 'error', message: '--demo-activity needs the demo district (--seed demo)' };
  let simulate: DataCenterOptions['simulate'];
  if (values.simulate === undefined && values['demo-activity']) {
    simulate = { ratePerHour: DEMO_ACTIVITY.ratePerHour, speed: 1 };
    if (values['simulate-seed'] !== undefined) return { kind: 'error', message: '--simulate-seed needs --simulate' };
  } else if (values.simulate !== undefined) {
    const sim = parseSimulateArg(values.simulate);
    if (!sim.ok) return { kind: 'error', message: sim.message };
    simulate = { ratePerHour: sim.ratePerHour, speed: sim.speed };
    if (values['simulate-seed'] !== undefined) {
      if (!/^\d{1,10}$/.test(values['simulate-seed'])) return { kind: 'error', message: `--simulate-seed must be a whole number, got "${values['simulate-seed']}"` };
      simulate.seed = Number(values['simulate-seed']);
    }
  } else if (values['simulate-seed'] !== undefined) {
    return { kind: 'error', message: '--simulate-seed needs --simulate' };
  }

  let demoHistory: number | undefined;
  if (values['demo-history'] !== undefined) {
    if (!/^\d{1,7}$/.test(values['demo-history'])) return { kind: 'error', message: `--demo-history must be a whole number of events, got "${values['demo-history']}"` };
    if (seed !== 'demo') return { kind: 'error', message: '--demo-history needs the demo district (--seed demo)' };
    demoHistory = Number(values['demo-history']);
  } else if (values['demo-activity']) {
    demoHistory = DEMO_ACTIVITY.history;
  }

  // snapshot export bounds: the flag, else the environment (the pool's bound is checked at start-up)
  const snapshot: NonNullable<CliOptions['snapshot']> = {};
  const limitArg = values['snapshot-limit'] ?? (env.HUYING_SNAPSHOT_LIMIT || undefined);
  if (limitArg !== undefined) {
    const from = values['snapshot-limit'] !== undefined ? '--snapshot-limit' : 'HUYING_SNAPSHOT_LIMIT';
    if (!/^\d{1,4}$/.test(limitArg) || Number(limitArg) < 1) return { kind: 'error', message: `${from} must be a whole number ≥ 1, got "${limitArg}"` };
    snapshot.maxConcurrent = Number(limitArg);
  }
  const stallArg = values['snapshot-stall-seconds'] ?? (env.HUYING_SNAPSHOT_STALL_SECONDS || undefined);
  if (stallArg !== undefined) {
    const from = values['snapshot-stall-seconds'] !== undefined ? '--snapshot-stall-seconds' : 'HUYING_SNAPSHOT_STALL_SECONDS';
    if (!/^\d{1,6}(\.\d{1,3})?$/.test(stallArg)) return { kind: 'error', message: `${from} must be a number of seconds ≥ 0 (0: never), got "${stallArg}"` };
    snapshot.stallTimeoutMs = Math.round(Number(stallArg) * 1000);
  }

  if (values.images !== undefined && values.images.trim() === '') return { kind: 'error', message: '--images must name a directory' };

  const options: CliOptions = pgUrl ? { port, host, seed, pg: pgUrl } : { port, host, seed, dataDir: path.resolve(values.data ?? DEFAULT_DATA_DIR) };
  if (simulate) options.simulate = simulate;
  if (demoHistory) options.demoHistory = demoHistory;
  if (Object.keys(snapshot).length > 0) options.snapshot = snapshot;
  if (values.images !== undefined) options.images = path.resolve(values.images);
  return { kind: 'run', options };
}
