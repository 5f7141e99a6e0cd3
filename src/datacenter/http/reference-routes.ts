/**
 * Reference data over HTTP: whole-resource fetches with the reference version
 * as ETag (`If-None-Match` → 304). This is the first cut of the sync feed for
 * data that changes rarely; operational tables get the snapshot/live protocol.
 *
 * The version lives in the meta row, so a request costs one small query when
 * the client is current, and the serialised body of each resource is kept per
 * version: the 1,401 grids are read from the database once per version, not
 * once per client. A miss reads the version and the rows in one read-only
 * repeatable-read transaction, so a body is never cached under the wrong version.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { HuyingError, type AreasResponse, type GridsResponse, type ReferenceVersion, type UnitsResponse } from '../../core';
import { loadAreas, loadGrids, loadReferenceVersion, loadUnits, readMeta } from '../reference/read';
import type { Db, DbOrTx } from '../store/database';

type Resource = 'version' | 'areas' | 'grids' | 'units';

/** YYYY-MM-DD that is a real calendar date */
const IsoDate = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/, 'expected a date as YYYY-MM-DD')
  .refine((s) => !Number.isNaN(Date.parse(`${s}T00:00:00Z`)) && new Date(`${s}T00:00:00Z`).toISOString().startsWith(s), 'not a calendar date');

export const GridsQuery = z.object({ asOf: IsoDate.optional() });

const NO_REFERENCE_DATA = 'no reference data is loaded: start the data center with --seed demo or import reference data';

export class ReferenceBodies {
  private readonly bodies = new Map<string, { version: string; body: string }>();
  constructor(private readonly db: Db) {}

  /** the current version, or null while nothing is loaded */
  async currentVersion(): Promise<string | null> {
    return (await readMeta(this.db))?.referenceVersion ?? null;
  }

  /** the serialised body of a resource and the version it belongs to */
  async body(resource: Resource, key: string, build: (tx: DbOrTx, version: string) => Promise<object>, knownVersion: string): Promise<{ version: string; body: string }> {
    const hit = this.bodies.get(key);
    if (hit && hit.version === knownVersion) return hit;
    const made = await this.db.transaction(
      async (tx) => {
        const version = (await readMeta(tx))?.referenceVersion ?? null;
        if (!version) throw new HuyingError('unavailable', NO_REFERENCE_DATA);
        return { version, body: JSON.stringify(await build(tx, version)) };
      },
      { isolationLevel: 'repeatable read', accessMode: 'read only' },
    );
    // only the plain resources are cached; per-date grid views are built on demand
    if (key === resource) this.bodies.set(key, made);
    return made;
  }
}

/** `If-None-Match` holds this version (quoted, weak or not, in a list, or `*`) */
export function matchesEtag(header: string | undefined, version: string): boolean {
  if (!header) return false;
  return header
    .split(',')
    .map((t) => t.trim())
    .some((t) => t === '*' || t.replace(/^W\//, '') === `"${version}"`);
}

export function registerReferenceRoutes(app: FastifyInstance, db: Db): void {
  const bodies = new ReferenceBodies(db);

  async function serve(
    request: FastifyRequest,
    reply: FastifyReply,
    resource: Resource,
    key: string,
    build: (tx: DbOrTx, version: string) => Promise<object>,
  ): Promise<FastifyReply> {
    const current = await bodies.currentVersion();
    if (!current) throw new HuyingError('unavailable', NO_REFERENCE_DATA);
    reply.header('cache-control', 'no-cache');
    if (matchesEtag(request.headers['if-none-match'], current)) {
      return reply.code(304).header('etag', `"${current}"`).send();
    }
    const { version, body } = await bodies.body(resource, key, build, current);
    return reply.header('etag', `"${version}"`).type('application/json; charset=utf-8').send(body);
  }

  app.get('/api/v1/reference/version', (request, reply) =>
    serve(request, reply, 'version', 'version', async (tx): Promise<ReferenceVersion> => {
      const v = await loadReferenceVersion(tx);
      if (!v) throw new HuyingError('unavailable', NO_REFERENCE_DATA);
      return v;
    }),
  );

  app.get('/api/v1/areas', (request, reply) =>
    serve(request, reply, 'areas', 'areas', async (tx, version): Promise<AreasResponse> => ({ version, areas: await loadAreas(tx) })),
  );

  app.get('/api/v1/grids', async (request, reply) => {
    const q = GridsQuery.parse(request.query);
    return serve(request, reply, 'grids', q.asOf ? `grids?asOf=${q.asOf}` : 'grids', async (tx, version): Promise<GridsResponse> => ({
      version,
      grids: await loadGrids(tx, q.asOf ? { asOf: q.asOf } : {}),
    }));
  });

  app.get('/api/v1/units', (request, reply) =>
    serve(request, reply, 'units', 'units', async (tx, version): Promise<UnitsResponse> => ({ version, units: await loadUnits(tx) })),
  );
}
