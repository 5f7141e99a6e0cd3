/**
 * The data center's HTTP application: fastify with JSON errors as data, the
 * liveness probe and the reference-data routes. Built separately from
 * listening, so tests can `inject()` without a socket.
 */
import Fastify, { type FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { z } from 'zod';
import { HuyingError } from '../../core';
import { readMeta } from '../reference/read';
import type { DataCenterDb } from '../store/database';
import { appliedMigrations } from '../store/migration';
import { installErrorHandling } from './errors';
import { registerReferenceRoutes } from './reference-routes';

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
  return app;
}
