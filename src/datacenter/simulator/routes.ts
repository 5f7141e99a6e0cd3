/**
 * Admin routes of a data center started with `--simulate`:
 *
 * - `GET  /api/v1/admin/simulator` — `{ ok: true, value: { seed, ratePerHour, speed, running, stats } }`;
 * - `POST /api/v1/admin/simulator/rainstorm` — `{ durationMinutes?, peakPerHour?, startsInMinutes? }`
 *   triggers a rainstorm (a burst of flooding reports in low-lying grids) and answers its window.
 */
import type { FastifyInstance, RouteShorthandOptions } from 'fastify';
import { z } from 'zod';
import type { Simulator } from './simulator';

export const RainstormBody = z
  .object({
    durationMinutes: z.number().int().min(10).max(24 * 60).optional(),
    peakPerHour: z.number().positive().max(100_000).optional(),
    startsInMinutes: z.number().int().min(0).max(24 * 60).optional(),
  })
  .strict();

export function registerSimulatorRoutes(app: FastifyInstance, deps: { simulator: Simulator; requireAdmin?: NonNullable<RouteShorthandOptions['preHandler']> }): void {
  const opts = deps.requireAdmin ? { preHandler: deps.requireAdmin } : {};
  const sim = deps.simulator;
  app.get('/api/v1/admin/simulator', opts, async () => ({
    ok: true,
    value: { seed: sim.seed, ratePerHour: sim.ratePerHour, speed: sim.speed, running: sim.running, stats: sim.stats() },
  }));
  app.post('/api/v1/admin/simulator/rainstorm', opts, async (request) => {
    const body = RainstormBody.parse(request.body ?? {});
    const storm = sim.triggerRainstorm({
      ...(body.durationMinutes !== undefined ? { durationMinutes: body.durationMinutes } : {}),
      ...(body.peakPerHour !== undefined ? { peakPerHour: body.peakPerHour } : {}),
      ...(body.startsInMinutes !== undefined ? { startsInMinutes: body.startsInMinutes } : {}),
    });
    return { ok: true, value: { start: storm.start.toISOString(), end: storm.end.toISOString(), peakPerHour: storm.peakPerHour } };
  });
}
