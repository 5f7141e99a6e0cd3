/**
 * `POST /api/v1/admin/scheduler/run`: runs the SLA scheduler now (after a calendar change, or
 * from a tool) and answers what it did: `{ ok: true, value: SchedulerRun }`.
 */
import type { FastifyInstance, RouteShorthandOptions } from 'fastify';
import type { SlaScheduler } from './scheduler';

export function registerSchedulerRoutes(app: FastifyInstance, deps: { scheduler: SlaScheduler; requireAdmin?: NonNullable<RouteShorthandOptions['preHandler']> }): void {
  app.post('/api/v1/admin/scheduler/run', deps.requireAdmin ? { preHandler: deps.requireAdmin } : {}, async () => ({ ok: true, value: await deps.scheduler.runOnce() }));
}
