/**
 * Seeding and the reference endpoints, on PGlite and on PostgreSQL, through a
 * real listening server: seeding is all-or-nothing and happens once, the demo
 * district comes back out of the database exactly as generated, every body
 * matches its zod schema in src/core, ETags give 304s, errors have the
 * `{ ok: false, error }` shape — and both engines serve the same version.
 */
import { count, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { AreasResponse, GridsResponse, ReferenceVersion, RpcErrorSchema, UnitsResponse } from '../../../src/core';
import { generateDemoDistrict } from '../../../src/datacenter/demo';
import { HealthResponse } from '../../../src/datacenter/http/app';
import { referenceDataFromDemo, seedReferenceData, type ReferenceData } from '../../../src/datacenter/reference/seed';
import { startDataCenter, type DataCenter } from '../../../src/datacenter/server';
import type { DataCenterDb } from '../../../src/datacenter/store/database';
import { migrations } from '../../../src/datacenter/store/migrations';
import { areas, gridAssignments, grids, gridWorkers, meta, units } from '../../../src/datacenter/store/schema';
import { forEachBackend } from './backends';

const ErrorResponse = z.object({ ok: z.literal(false), error: RpcErrorSchema }).strict();

const demo = generateDemoDistrict();
const data: ReferenceData = referenceDataFromDemo(demo);
const versions = new Map<string, string>();

async function rowCounts(store: DataCenterDb) {
  const one = async (table: typeof areas | typeof grids | typeof units | typeof gridWorkers | typeof gridAssignments) =>
    (await store.db.select({ n: count() }).from(table))[0]!.n;
  return { areas: await one(areas), grids: await one(grids), units: await one(units), workers: await one(gridWorkers), assignments: await one(gridAssignments) };
}

forEachBackend('reference data over HTTP', (backend) => {
  let store: DataCenterDb;
  let dc: DataCenter;
  let version = '';
  const get = (path: string, headers: Record<string, string> = {}) => fetch(`${dc.url}${path}`, { headers });

  beforeAll(async () => {
    store = await backend.fresh();
    dc = await startDataCenter({ database: store, port: 0, seed: null });
  });
  afterAll(async () => {
    await dc?.close();
  });

  it('answers /healthz before any reference data, and the reference routes say unavailable', async () => {
    const res = await get('/healthz');
    expect(res.status).toBe(200);
    const health = HealthResponse.parse(await res.json());
    expect(health).toMatchObject({ ok: true, version: null, db: backend.kind, schemaVersion: migrations.length });
    const areasRes = await get('/api/v1/areas');
    expect(areasRes.status).toBe(503);
    expect(ErrorResponse.parse(await areasRes.json()).error.code).toBe('unavailable');
  });

  it('seeds all or nothing: a grid in an unknown village leaves the database empty', async () => {
    const broken: ReferenceData = { ...data, grids: data.grids.map((g, i) => (i === data.grids.length - 1 ? { ...g, villageCode: '440114999999' } : g)) };
    await expect(seedReferenceData(store.db, broken, 'broken')).rejects.toThrow();
    expect(await rowCounts(store)).toEqual({ areas: 0, grids: 0, units: 0, workers: 0, assignments: 0 });
    expect((await store.db.select({ v: meta.referenceVersion }).from(meta))[0]?.v).toBeNull();
  });

  it('seeds the demo district once, even when two seeders race', async () => {
    const outcomes = await Promise.all([seedReferenceData(store.db, data, 'demo:test'), seedReferenceData(store.db, data, 'demo:test')]);
    expect(outcomes.filter((o) => o.seeded)).toHaveLength(1);
    const seeded = outcomes.find((o) => o.seeded)!;
    if (!seeded.seeded) throw new Error('unreachable');
    expect(seeded.rows).toEqual({ areas: 263, grids: 1401, units: 290, workers: demo.workers.length });
    version = seeded.version;
    versions.set(backend.kind, version);
    expect(await rowCounts(store)).toEqual({
      areas: 263,
      grids: 1401,
      units: 290,
      workers: demo.workers.length,
      assignments: demo.grids.reduce((n, g) => n + g.workers.length, 0),
    });
  });

  it('leaves an already-seeded database alone (idempotent restart)', async () => {
    const other = referenceDataFromDemo(generateDemoDistrict(7));
    const again = await seedReferenceData(store.db, other, 'demo:seed=7');
    expect(again).toEqual({ seeded: false, reason: 'already_loaded', version, source: 'demo:test' });
    expect((await rowCounts(store)).grids).toBe(1401);
    // and a server started with --seed demo on it does not reseed either
    const second = await startDataCenter({ database: store, port: 0, seed: 'demo' });
    expect(second.version).toBe(version);
    await second.close();
    expect((await get('/healthz')).status).toBe(200); // closing the second server left the shared database open
  });

  it('/healthz reports version, epoch and engine', async () => {
    const health = HealthResponse.parse(await (await get('/healthz')).json());
    expect(health.version).toBe(version);
    expect(health.epoch).toBe(dc.epoch);
    expect(health.db).toBe(backend.kind);
  });

  it('/api/v1/reference/version counts the district', async () => {
    const res = await get('/api/v1/reference/version');
    expect(res.status).toBe(200);
    expect(res.headers.get('etag')).toBe(`"${version}"`);
    expect(ReferenceVersion.parse(await res.json())).toEqual({
      version,
      district: { code: '440114', name: demo.district.name },
      counts: { towns: 10, villages: 252, grids: 1401, units: 290 },
    });
  });

  it('/api/v1/areas returns the district, towns and villages exactly as generated', async () => {
    const res = await get('/api/v1/areas');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    const body = AreasResponse.parse(await res.json());
    expect(body.version).toBe(version);
    expect(body.areas.map((a) => a.level).slice(0, 12)).toEqual(['district', ...Array(10).fill('town'), 'village']);
    const byCode = (a: { code: string }, b: { code: string }) => (a.code < b.code ? -1 : 1);
    expect([...body.areas].sort(byCode)).toEqual([...data.areas].sort(byCode));
  });

  it('/api/v1/grids returns every grid with its workers exactly as generated', async () => {
    const res = await get('/api/v1/grids');
    expect(res.status).toBe(200);
    const body = GridsResponse.parse(await res.json());
    expect(body.grids).toHaveLength(1401);
    expect(body.grids.filter((g) => g.kind === 'community')).toHaveLength(791);
    const byCode = (a: { code: string }, b: { code: string }) => (a.code < b.code ? -1 : 1);
    expect(body.grids).toEqual([...data.grids].sort(byCode));
  });

  it('/api/v1/grids?asOf picks the versions in force on that day', async () => {
    const validFrom = demo.grids[0]!.validFrom;
    const before = new Date(Date.parse(`${validFrom}T00:00:00Z`) - 86_400_000).toISOString().slice(0, 10);
    expect(GridsResponse.parse(await (await get(`/api/v1/grids?asOf=${before}`)).json()).grids).toHaveLength(0);
    expect(GridsResponse.parse(await (await get(`/api/v1/grids?asOf=${validFrom}`)).json()).grids).toHaveLength(1401);
    const bad = await get('/api/v1/grids?asOf=2025-02-30');
    expect(bad.status).toBe(400);
    const err = ErrorResponse.parse(await bad.json());
    expect(err.error.code).toBe('invalid_args');
    expect(err.error.details).toEqual([{ field: 'asOf', message: expect.any(String) }]);
  });

  it('/api/v1/units returns the units in display order', async () => {
    const body = UnitsResponse.parse(await (await get('/api/v1/units')).json());
    expect(body.version).toBe(version);
    expect(body.units).toEqual(data.units);
    expect(body.units.filter((u) => u.kind === 'department')).toHaveLength(27);
  });

  it('answers If-None-Match with 304 and an unchanged version, 200 otherwise', async () => {
    for (const path of ['/api/v1/reference/version', '/api/v1/areas', '/api/v1/grids', '/api/v1/units']) {
      for (const inm of [`"${version}"`, `W/"${version}"`, `"stale", "${version}"`, '*']) {
        const res = await get(path, { 'if-none-match': inm });
        expect(res.status, `${path} ${inm}`).toBe(304);
        expect(res.headers.get('etag')).toBe(`"${version}"`);
        expect(await res.text()).toBe('');
      }
      const stale = await get(path, { 'if-none-match': '"stale"' });
      expect(stale.status).toBe(200);
      expect(stale.headers.get('etag')).toBe(`"${version}"`);
    }
  });

  it('serves a new version after the reference data changes (no stale cache)', async () => {
    // simulate an edit: what an import would do, in one transaction
    await store.db.transaction(async (tx) => {
      await tx.execute(sql`update units set phone = '020-00000000' where id = 'dept-cg'`);
      await tx.update(meta).set({ referenceVersion: `${version}-edited` });
    });
    const res = await get('/api/v1/units', { 'if-none-match': `"${version}"` });
    expect(res.status).toBe(200);
    expect(res.headers.get('etag')).toBe(`"${version}-edited"`);
    const body = UnitsResponse.parse(await res.json());
    expect(body.units.find((u) => u.id === 'dept-cg')?.phone).toBe('020-00000000');
    await store.db.transaction(async (tx) => {
      await tx.execute(sql`update units set phone = ${data.units.find((u) => u.id === 'dept-cg')!.phone} where id = 'dept-cg'`);
      await tx.update(meta).set({ referenceVersion: version });
    });
    expect((await get('/api/v1/units', { 'if-none-match': `"${version}"` })).status).toBe(304);
  });

  it('answers unknown routes and methods with a 404 error body', async () => {
    for (const [method, path] of [
      ['GET', '/api/v1/nothing'],
      ['POST', '/api/v1/areas'],
      ['GET', '/'],
    ] as const) {
      const res = await fetch(`${dc.url}${path}`, { method });
      expect(res.status, `${method} ${path}`).toBe(404);
      expect(res.headers.get('content-type')).toMatch(/^application\/json/);
      const body = ErrorResponse.parse(await res.json());
      expect(body.error.code).toBe('not_found');
      expect(body.error.message).toContain(path);
    }
  });
});

describe('across engines', () => {
  it('PGlite and PostgreSQL give the same reference version for the same district', () => {
    expect(versions.get('pglite')).toMatch(/^[0-9a-f]{20}$/);
    expect(versions.get('postgres')).toBe(versions.get('pglite'));
  });
});
