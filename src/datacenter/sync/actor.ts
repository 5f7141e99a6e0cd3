/**
 * THE AUTH SEAM of the sync feed and the command endpoint: who is asking, and
 * which scopes they may replicate.
 *
 * Auth (src/datacenter/auth) installs a fastify hook that sets `request.actor`
 * (the core `Actor`) from the bearer token; `requestActor` reads it. Until that
 * hook is registered every request has no actor and the sync and command routes
 * answer 401 — they fail closed. Tests, and a server wiring another scheme,
 * pass their own `actorOf` to registerSyncRoutes / registerCommandRoutes.
 */
import type { FastifyRequest } from 'fastify';
import type { Actor, SyncScope } from '../../core';

export type ActorOf = (request: FastifyRequest) => Actor | null;

/** The actor auth's hook put on the request, or null. */
export const requestActor: ActorOf = (request) => (request as FastifyRequest & { actor?: Actor | null }).actor ?? null;

/** The town of a town or village code (12 digits: district 6 + town 3 + village 3). */
export function townOf(areaCode: string): string {
  return `${areaCode.slice(0, 9)}000`;
}

/**
 * May `actor` replicate `scope`? District-scoped accounts (and the system)
 * may replicate anything; a town account its town; a village account its town
 * (the smallest scope the feed offers).
 */
export function canReadScope(actor: Actor, scope: SyncScope): boolean {
  if (actor.role === 'system') return true;
  switch (actor.scope.level) {
    case 'district':
      return true;
    case 'town':
      return scope === actor.scope.code;
    case 'village':
      return scope === townOf(actor.scope.code);
  }
}
