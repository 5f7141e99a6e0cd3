/**
 * Starts a data center in this process: opens (and migrates) the database,
 * seeds the demo district when asked, and listens. The CLI (cli.ts), the
 * Electron utility-process entry (process.ts) and the tests all come through
 * here, so there is one start-up order and one "data center ready" line.
 */
import { generateHistory } from './history/generate';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { HuyingError } from '../core';
import { seedDemoAuth, type AuthServiceOptions } from './auth';
import { buildApp, type AppOptions } from './http/app';
import { readMeta } from './reference/read';
import { seedDemo } from './reference/seed';
import { createSimulator, registerSimulatorRoutes, type Simulator } from './simulator';
import { openDatabase, type DataCenterDb, type DbKind } from './store/database';
import type { MigrationProgress } from './store/migration';
import type { SnapshotLimitOptions } from './sync/snapshot-limits';

/** the demo history's span (`demoHistory`) */
export const DEMO_HISTORY_DAYS = 30;

export interface DataCenterOptions {
  /** default 8600; 0 picks a free port */
  port?: number;
  /** default 127.0.0.1 */
  host?: string;
  /** PostgreSQL URL; embedded PGlite when absent */
  pg?: string;
  /** PGlite data directory; in memory when absent (and no `pg`) */
  dataDir?: string;
  /** load the demo district into an empty database; default 'demo' on PGlite, null on PostgreSQL */
  seed?: 'demo' | null;
  /** seed of the demo generator (default: the generator's own) */
  demoSeed?: number;
  /**
   * when the demo district is seeded into an empty database (the first start), also write this many
   * past events over the last 30 days (`--demo-history N`), so a new demo shows a district at work;
   * later starts keep what is there
   */
  demoHistory?: number;
  /** pino logger; false or absent: silent */
  logger?: Logger | false;
  /**
   * told before and after each schema migration it applies, after its "store migration started" /
   * "store migration finished" line (a host stops its ready timeout in between: a migration may take minutes)
   */
  onMigration?: (progress: MigrationProgress) => void | Promise<void>;
  /** an already-open database to serve (tests share one); close() leaves it open */
  database?: DataCenterDb;
  /** extra application options: the auth seam of the sync feed and commands, mutation handlers, sync timers, workflow clock */
  app?: Pick<AppOptions, 'actorOf' | 'mutations' | 'sync' | 'workflow' | 'shutdownGraceMs'>;
  /** run the SLA scheduler on its interval once listening (default true) */
  slaScheduler?: boolean;
  /**
   * auth settings (token lifetimes, Argon2 cost, clock…); the JWT secret defaults to
   * `HUYING_JWT_SECRET`, else a key kept in the database. Demo accounts work only with seed 'demo'.
   */
  auth?: Omit<AuthServiceOptions, 'db' | 'demo'>;
  /**
   * run the simulator once listening (`--simulate`, docs/simulator.md): `ratePerHour` arrivals per
   * simulated hour, simulated time `speed` times faster than real time (1–3600), `seed` for a repeatable run
   */
  simulate?: { ratePerHour: number; speed: number; seed?: number };
  /**
   * bounds of the snapshot exports (`--snapshot-limit`, `--snapshot-stall-seconds`;
   * src/datacenter/sync/snapshot-limits.ts); `app.sync.snapshot`, when given, wins field by field
   */
  snapshot?: SnapshotLimitOptions;
  /**
   * the image keeper's folder (`--images DIR`): `GET /api/v1/sync/image` serves the replica images a keeper
   * writes there (src/datacenter/sync/image-route.ts, docs/image-keeper.md); absent: that route is always 404
   */
  images?: string;
}

export interface DataCenter {
  /** base URL to reach it from this machine, e.g. http://127.0.0.1:8600 */
  url: string;
  port: number;
  db: DbKind;
  epoch: string;
  /** reference version at start-up (null when unseeded) */
  version: string | null;
  /** the simulator, when started with `simulate` */
  simulator: Simulator | null;
  /** stops listening (in-flight requests get the grace period to finish, then are cut), then closes the database it opened */
  close(): Promise<void>;
}

export const DEFAULT_PORT = 8600;
export const DEFAULT_HOST = '127.0.0.1';

export async function startDataCenter(opts: DataCenterOptions = {}): Promise<DataCenter> {
  const log = opts.logger || null;
  const host = opts.host ?? DEFAULT_HOST;
  const port = opts.port ?? DEFAULT_PORT;

  const owned = !opts.database;
  const onMigration = async (progress: MigrationProgress) => {
    // the web host's child reads these two lines (src/main/web-host/embedded-datacenter.ts); keep the msg
    const { phase, ...step } = progress;
    if (phase === 'start') {
      log?.info({ migration: step, note: 'this can take minutes on a large store; killing the process undoes it and the next start begins again' }, 'store migration started');
    } else {
      log?.info({ migration: step }, 'store migration finished');
    }
    await opts.onMigration?.(progress);
  };
  const store =
    opts.database ??
    (await openDatabase({ ...(opts.pg ? { pg: opts.pg } : {}), ...(opts.dataDir ? { dataDir: opts.dataDir } : {}), onMigration }));
  let app: FastifyInstance | null = null;
  let simulator: Simulator | null = null;
  try {
    log?.info({ db: store.kind, location: store.location, migrationsApplied: store.migrations?.applied ?? [] }, 'database open');

    const seed = opts.seed === undefined ? (store.kind === 'pglite' ? 'demo' : null) : opts.seed;
    if (seed === 'demo') {
      const t0 = Date.now();
      const outcome = await seedDemo(store.db, opts.demoSeed);
      if (outcome.seeded) {
        log?.info({ version: outcome.version, source: outcome.source, rows: outcome.rows, ms: Date.now() - t0 }, 'reference data seeded');
        if (opts.demoHistory && opts.demoHistory > 0) {
          const h = await generateHistory(store.db, { count: opts.demoHistory, days: DEMO_HISTORY_DAYS });
          log?.info({ events: h.events, byStatus: h.byStatus, ms: Math.round(h.ms) }, 'demo history written');
        }
      } else {
        log?.info({ version: outcome.version, source: outcome.source }, 'reference data already loaded; seed skipped');
      }
    }

    const meta = await readMeta(store.db);
    if (!meta) throw new HuyingError('internal', 'the database has no meta row');

    const jwtSecret = opts.auth?.jwtSecret ?? (process.env.HUYING_JWT_SECRET || undefined);
    // demo accounts only with --seed demo on the demo district: never on reference data from elsewhere (docs/auth.md)
    const demo = seed === 'demo' && (meta.referenceSource ?? '').startsWith('demo:');
    const sync = {
      ...opts.app?.sync,
      ...(opts.snapshot ? { snapshot: { ...opts.snapshot, ...opts.app?.sync?.snapshot } } : {}),
      ...(opts.images && opts.app?.sync?.images === undefined ? { images: opts.images } : {}),
    };
    app = await buildApp({ ...opts.app, sync, store, logger: opts.logger ?? false, auth: { ...opts.auth, ...(jwtSecret ? { jwtSecret } : {}), demo } });
    if (demo) {
      // demo accounts and API keys exist only in demo mode (docs/auth.md)
      const made = await seedDemoAuth(app.auth.service, store.db);
      if (made.accountsCreated.length > 0 || made.apiKeysCreated.length > 0) log?.debug(made, 'demo accounts and API keys created');
    }
    if (opts.simulate) {
      simulator = await createSimulator({ db: store.db, ...opts.simulate, logger: log ? log.child({ module: 'simulator' }) : null });
      registerSimulatorRoutes(app, { simulator, requireAdmin: app.auth.requireAdmin });
    }
    try {
      await app.listen({ port, host });
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'EADDRINUSE') throw new HuyingError('unavailable', `port ${port} on ${host} is already in use`);
      if (code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND') throw new HuyingError('invalid_args', `cannot listen on host ${host}`);
      throw err;
    }
    if (opts.slaScheduler !== false) app.workflow.scheduler.start();
    const address = app.server.address();
    const actualPort = typeof address === 'object' && address ? address.port : port;
    const url = `http://${connectHost(host)}:${actualPort}`;
    log?.info({ url, db: store.kind, version: meta.referenceVersion, epoch: meta.epoch, ...(opts.images ? { images: opts.images } : {}) }, 'data center ready');
    simulator?.start();

    const running = app;
    let closing: Promise<void> | null = null;
    return {
      url,
      port: actualPort,
      db: store.kind,
      epoch: meta.epoch,
      version: meta.referenceVersion,
      simulator,
      close: () =>
        (closing ??= (async () => {
          try {
            await simulator?.stop().catch(() => {});
            await running.close();
          } finally {
            if (owned) await store.close();
          }
        })()),
    };
  } catch (err) {
    await simulator?.stop().catch(() => {});
    await app?.close().catch(() => {});
    if (owned) await store.close().catch(() => {});
    throw err;
  }
}

/** The host a local client should dial: wildcard binds are reached on loopback. */
function connectHost(host: string): string {
  if (host === '0.0.0.0' || host === '') return '127.0.0.1';
  if (host === '::' || host === '[::]') return '[::1]';
  return host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
}
