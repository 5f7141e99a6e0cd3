/**
 * The data center's HTTP application: fastify with JSON errors as data, the
 * liveness probe, the reference-data routes, the sync feed and the command
 * endpoint. Built separately from
 * listening, so tests can `inject()` without a socket.
 */
import Fastify, { type FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { z } from 'zod';
import { HuyingError } from '../../core';
import { createAuth, installAuth, registerAuthRoutes, type AuthServiceOptions } from '../auth';
import { registerCommandRoutes, type MutationRegistry } from '../commands';
import { registerReferenceAdminRoutes } from '../reference/admin-routes';
import { readMeta } from '../reference/read';
import type { DataCenterDb } from '../store/database';
import { appliedMigrations } from '../store/migration';
import { installErrorHandling } from './errors';
import { registerSyncRoutes, type ActorOf, type LiveOptions, type SnapshotLimitOptions, type SyncHub, type SyncHubOptions } from '../sync';
import { registerOpenApiRoute } from './openapi';
import { registerReferenceRoutes } from './reference-routes';
import { appMutationRegistry, installWorkflow, type WorkflowOptions } from '../workflow/install';

/** `GET /healthz` */
export const HealthResponse = z.object({
  ok: z.literal(true),
  status: z.literal('ok'),
  /** reference-data version, null until seeded or imported */
  version: z.string().nullable(),
  /** random id of this database, made once when it was created */
  epoch: z.string(),
  db: z.enum(['pglite', 'postgres']),
  /** id of the newest applied migration */
  schemaVersion: z.number().int(),
  uptimeSeconds: z.number(),
});
export type HealthResponse = z.infer<typeof HealthResponse>;

export interface AppOptions {
  store: DataCenterDb;
  logger?: Logger | false;
  /**
   * Who is asking (sync feed, commands). Default: `request.actor`, which auth's
   * hook sets; without that hook those routes answer 401. See src/datacenter/sync/actor.ts.
   */
  actorOf?: ActorOf;
  /** mutation handlers for POST /api/v1/commands (default: the process-wide registry) */
  mutations?: MutationRegistry;
  /** tuning of the sync feed (tests shorten the timers) */
  sync?: { hub?: SyncHubOptions; live?: LiveOptions; snapshot?: SnapshotLimitOptions; images?: string | null };
  /** auth settings (src/datacenter/auth); `demo: true` accepts the demo seed's accounts and keys */
  auth?: Omit<AuthServiceOptions, 'db'>;
  /** events store, workflow authority, SLA scheduler (src/datacenter/workflow/install.ts) */
  workflow?: WorkflowOptions;
  /**
   * How long a graceful shutdown lets requests still running (a snapshot a slow
   * client is reading) finish before their connections are cut. Default 10 s.
   */
  shutdownGraceMs?: number;
}

declare module 'fastify' {
  interface FastifyInstance {
    /** the live feed's hub (src/datacenter/sync/hub.ts) */
    syncHub: SyncHub;
  }
}

export async function buildApp(opts: AppOptions): Promise<FastifyInstance> {
  const { store } = opts;
  // the cast drops pino's Logger type parameter, which fastify's types would otherwise thread through every plugin
  const app = Fastify({
    ...(opts.logger ? { loggerInstance: opts.logger } : { logger: false }),
    // keep-alive clients must not hold a graceful shutdown open
    forceCloseConnections: 'idle',
    bodyLimit: 8 * 1024 * 1024,
  }) as unknown as FastifyInstance;
  installErrorHandling(app);
  installBoundedShutdown(app, opts.shutdownGraceMs ?? 10_000);
  // auth before any route: its global hook puts request.actor on requests with a valid access token
  const auth = await createAuth({ ...opts.auth, db: store.db });
  installAuth(app, auth);
  // the sync routes register @fastify/websocket, which must come before the other routes
  const hub = await registerSyncRoutes(app, {
    store,
    ...(opts.actorOf ? { actorOf: opts.actorOf } : {}),
    ...(opts.sync?.hub ? { hub: opts.sync.hub } : {}),
    ...(opts.sync?.live ? { live: opts.sync.live } : {}),
    ...(opts.sync?.snapshot ? { snapshot: opts.sync.snapshot } : {}),
    ...(opts.sync?.images ? { images: opts.sync.images } : {}),
  });
  app.decorate('syncHub', hub);
  // this app's handlers: the process-wide ones plus the workflow's (installWorkflow), bound to this database
  const mutations = opts.mutations ?? appMutationRegistry();
  registerCommandRoutes(app, {
    db: store.db,
    ...(opts.actorOf ? { actorOf: opts.actorOf } : {}),
    registry: mutations,
  });

  const startedAt = Date.now();
  const schemaVersion = (await appliedMigrations(store.db)).at(-1)?.id ?? 0;

  app.get('/healthz', async (_request, reply): Promise<HealthResponse> => {
    const m = await readMeta(store.db);
    if (!m) throw new HuyingError('unavailable', 'the database has no meta row yet');
    reply.header('cache-control', 'no-store');
    return {
      ok: true,
      status: 'ok',
      version: m.referenceVersion,
      epoch: m.epoch,
      db: store.kind,
      schemaVersion,
      uptimeSeconds: Math.round((Date.now() - startedAt) / 1000),
    };
  });

  registerReferenceRoutes(app, store.db);
  registerOpenApiRoute(app);
  registerAuthRoutes(app, auth);
  registerReferenceAdminRoutes(app, { db: store.db, requireAdmin: auth.requireAdmin, ...(opts.auth?.clock ? { clock: opts.auth.clock } : {}) });
  await installWorkflow(app, { ...opts.workflow, store, auth, registry: mutations, ...(opts.actorOf ? { actorOf: opts.actorOf } : {}), logger: opts.workflow?.logger ?? (opts.logger || null) });
  return app;
}

/**
 * Graceful, and bounded. Node's `server.close()` only reaps the connections that
 * are idle at that moment: a keep-alive connection whose request was still
 * running becomes idle later and would then hold the shutdown for the whole
 * keep-alive timeout (72 s), and a client that stops reading a snapshot would
 * hold it for ever. So once closing starts, every response asks its client to
 * close, connections that fall idle are reaped as they do, and after `graceMs`
 * whatever is left is cut (the snapshot's transaction ends with its stream).
 */
function installBoundedShutdown(app: FastifyInstance, graceMs: number): void {
  let closing = false;
  let reaper: NodeJS.Timeout | null = null;
  let cutter: NodeJS.Timeout | null = null;
  app.addHook('onSend', async (_request, reply, payload) => {
    if (closing && !reply.raw.headersSent) reply.header('connection', 'close');
    return payload;
  });
  app.addHook('preClose', async () => {
    closing = true;
    const server = app.server;
    reaper = setInterval(() => server.closeIdleConnections(), 50);
    reaper.unref();
    cutter = setTimeout(() => {
      app.log.warn({ graceMs }, 'shutdown: cutting the connections still open after the grace period');
      server.closeAllConnections();
    }, graceMs);
    cutter.unref();
  });
  app.addHook('onClose', async () => {
    if (reaper) clearInterval(reaper);
    if (cutter) clearTimeout(cutter);
  });
}
