/**
 * Admin routes that edit the reference data (edit.ts), all behind `requireAdmin`:
 *
 * - `POST /api/v1/admin/reference/grids/geojson?validFrom=YYYY-MM-DD&retireMissing=true` — a
 *   GeoJSON FeatureCollection of base grids (`application/json` or `application/geo+json`);
 * - `POST /api/v1/admin/reference/grids/{code}/retire` `{ validTo }`;
 * - `POST /api/v1/admin/reference/areas` `{ areas: [...] }`;
 * - `POST /api/v1/admin/reference/units` `{ units: [...] }`;
 * - `GET  /api/v1/admin/reference/workers?villageCode=`, `POST …/workers` `{ workers: [...] }`,
 *   `DELETE …/workers/{id}`.
 *
 * A refused import answers 400 `invalid_args` whose `details` lists every problem
 * (`{ feature?, field, kind?, message }`) and changes nothing.
 */
import type { FastifyInstance, preHandlerAsyncHookHandler } from 'fastify';
import { z } from 'zod';
import type { Db } from '../store/database';
import { deleteWorker, importGridsGeoJson, listWorkers, retireGrid, upsertAreas, upsertUnits, upsertWorkers } from './edit';
import { IsoDate } from './grid-import';

export interface ReferenceAdminDeps {
  db: Db;
  requireAdmin: preHandlerAsyncHookHandler;
  clock?: () => Date;
}

export const ImportQuery = z.object({
  validFrom: IsoDate.optional(),
  retireMissing: z.enum(['true', 'false', '1', '0']).transform((v) => v === 'true' || v === '1').optional(),
  overlapToleranceM2: z.coerce.number().min(0).max(10_000).optional(),
});
export const RetireGridBody = z.object({ validTo: IsoDate }).strict();
export const WorkersQuery = z.object({ villageCode: z.string().regex(/^\d{12}$/).optional() });

export function registerReferenceAdminRoutes(app: FastifyInstance, deps: ReferenceAdminDeps): void {
  void app.register(async (scope) => {
    scope.addContentTypeParser('application/geo+json', { parseAs: 'string' }, (_request, body, done) => {
      try {
        done(null, JSON.parse(body as string));
      } catch (err) {
        (err as { statusCode?: number }).statusCode = 400;
        done(err as Error, undefined);
      }
    });
    scope.addHook('preHandler', deps.requireAdmin);
    // who changed the reference data, in the structured log (the sync log has what changed)
    scope.addHook('onResponse', async (request, reply) => {
      if (request.method !== 'GET' && reply.statusCode < 300) {
        request.log.info({ actor: request.actor?.id ?? null, route: request.routeOptions.url }, 'reference data edited');
      }
    });

    scope.post('/api/v1/admin/reference/grids/geojson', async (request) => {
      const q = ImportQuery.parse(request.query ?? {});
      const value = await importGridsGeoJson(deps.db, request.body, {
        ...(q.validFrom !== undefined ? { validFrom: q.validFrom } : {}),
        ...(q.retireMissing !== undefined ? { retireMissing: q.retireMissing } : {}),
        ...(q.overlapToleranceM2 !== undefined ? { overlapToleranceM2: q.overlapToleranceM2 } : {}),
        ...(deps.clock ? { clock: deps.clock } : {}),
      });
      return { ok: true, value };
    });

    scope.post<{ Params: { code: string } }>('/api/v1/admin/reference/grids/:code/retire', async (request) => {
      const body = RetireGridBody.parse(request.body ?? {});
      return { ok: true, value: await retireGrid(deps.db, request.params.code, body.validTo) };
    });

    scope.post('/api/v1/admin/reference/areas', async (request) => ({ ok: true, value: await upsertAreas(deps.db, request.body) }));
    scope.post('/api/v1/admin/reference/units', async (request) => ({ ok: true, value: await upsertUnits(deps.db, request.body) }));

    scope.get('/api/v1/admin/reference/workers', async (request) => {
      const q = WorkersQuery.parse(request.query ?? {});
      return { ok: true, value: await listWorkers(deps.db, q.villageCode) };
    });
    scope.post('/api/v1/admin/reference/workers', async (request) => ({ ok: true, value: await upsertWorkers(deps.db, request.body) }));
    scope.delete<{ Params: { id: string } }>('/api/v1/admin/reference/workers/:id', async (request) => ({
      ok: true,
      value: await deleteWorker(deps.db, request.params.id),
    }));
  });
}
