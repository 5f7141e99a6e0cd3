/**
 * `POST /api/v1/commands`: a desktop pushes its outbox, `{ clientId, mutations }`
 * (CommandsRequest of src/core/sync/protocol.ts), and gets one result per
 * mutation in order (CommandsResponse). Confirmation, for the client, is the
 * ack in the live feed; the response is the fast path (and the stored answer
 * on a retry). See process.ts for the exactly-once rules.
 */
import type { FastifyInstance } from 'fastify';
import { HuyingError, type CommandsResponse } from '../../core';
import type { Db } from '../store/database';
import { requestActor, type ActorOf } from '../sync/actor';
import { processCommands, PushedCommands } from './process';
import { mutationHandlers, type MutationRegistry } from './registry';

export interface CommandRoutesOptions {
  db: Db;
  /** the auth seam (default: `request.actor`, set by auth's hook) */
  actorOf?: ActorOf;
  /** default: the process-wide registry of registerMutationHandler */
  registry?: MutationRegistry;
  now?: () => Date;
}

export function registerCommandRoutes(app: FastifyInstance, opts: CommandRoutesOptions): void {
  const actorOf = opts.actorOf ?? requestActor;
  const registry = opts.registry ?? mutationHandlers;
  app.post('/api/v1/commands', async (request, reply): Promise<CommandsResponse> => {
    const actor = actorOf(request);
    if (!actor) throw new HuyingError('unauthenticated', 'sign in to send commands');
    const push = PushedCommands.parse(request.body);
    reply.header('cache-control', 'no-store');
    return processCommands(opts.db, push, actor, {
      registry,
      ...(opts.now ? { now: opts.now } : {}),
      onHandlerError: (err, m) => request.log.error({ err, ...m }, 'mutation handler failed; stored as rejected (internal)'),
    });
  });
}
