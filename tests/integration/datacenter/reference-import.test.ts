/**
 * Reference data as editable configuration, on PGlite and PostgreSQL, through the admin routes:
 * GeoJSON grid import with every kind of refusal (field-level, with the feature index, nothing
 * written), all-or-nothing even when the database fails halfway, a village redrawn as new grid
 * versions whose history still adds up, and JSON edits of areas, units and grid workers. Every
 * accepted edit is one replicated write: a new reference version, the changed rows in the sync
 * feed's tables.
 */
import { eq, sql } from 'drizzle-orm';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import polygonClipping from 'polygon-clipping';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { geometryArea, type AreaGeometry, type Grid, type GridsResponse } from '../../../src/core';
import { DEMO_PASSWORD, seedDemoAuth } from '../../../src/datacenter/auth';
import { generateDemoDistrict } from '../../../src/datacenter/demo';
import { buildApp } from '../../../src/datacenter/http/app';
import { readMeta } from '../../../src/datacenter/reference/read';
import { seedDemo } from '../../../src/datacenter/reference/seed';
import type { DataCenterDb } from '../../../src/datacenter/store/database';
import { grids } from '../../../src/datacenter/store/schema';
import { changeLog, syncRows, syncVersion } from '../../../src/datacenter/store/sync-schema';
import { forEachBackend } from './backends';

const demo = generateDemoDistrict();
const CHEAP = { memoryCost: 1024, timeCost: 1, parallelism: 1 };
const OLD_FROM = demo.grids[0]!.validFrom;
const NEW_FROM = '2026-01-01';

/** a village with at least four grids, two of them sharing an edge */
function pickVillage(): { code: string; grids: Grid[]; a: Grid; b: Grid } {
  const byVillage = new Map<string, Grid[]>();
  for (const g of demo.grids) {
    let list = byVillage.get(g.villageCode);
    if (!list) byVillage.set(g.villageCode, (list = []));
    list.push(g);
  }
  for (const [code, list] of byVillage) {
    if (list.length < 4) continue;
    for (const a of list) {
      for (const b of list) {
        if (a === b) continue;
        const u = polygonClipping.union(coords(a.geometry), coords(b.geometry));
        if (u.length === 1) return { code, grids: list, a, b };
      }
    }
  }
  throw new Error('no suitable village in the demo district');
}
const coords = (g: AreaGeometry) => (g.type === 'Polygon' ? [g.coordinates] : g.coordinates) as [number, number][][][];
const village = pickVillage();
const merged: AreaGeometry = { type: 'Polygon', coordinates: polygonClipping.union(coords(village.a.geometry), coords(village.b.geometry))[0]! };

const feature = (code: string, geometry: unknown, props: Record<string, unknown> = {}) => ({
  type: 'Feature',
  geometry,
  properties: { code, name: `网格 ${code.slice(-3)}`, villageCode: code.slice(0, 12), ...props },
});
/** the village redrawn: a absorbs b, the others are kept as they are (corrections with the same validFrom) */
const redrawn = () => ({
  type: 'FeatureCollection',
  features: [
    feature(village.a.code, merged, { name: `${village.a.name}（合并）` }),
    ...village.grids.filter((g) => g !== village.a && g !== village.b).map((g) => feature(g.code, g.geometry, { name: g.name, validFrom: g.validFrom, kind: g.kind })),
  ],
});

forEachBackend('reference import', (backend) => {
  let store: DataCenterDb;
  let app: FastifyInstance;
  let admin: string;
  let duty: string;

  const call = (method: 'GET' | 'POST' | 'DELETE', url: string, opts: { token?: string; body?: unknown; type?: string } = {}) =>
    app.inject({
      method,
      url,
      ...(opts.body !== undefined ? { payload: JSON.stringify(opts.body) } : {}),
      headers: { ...(opts.body !== undefined ? { 'content-type': opts.type ?? 'application/json' } : {}), ...(opts.token ? { authorization: `Bearer ${opts.token}` } : {}) },
    });
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- answers of many shapes, checked by the assertions
  type Loose = any;
  const body = (r: LightMyRequestResponse) => r.json() as { ok: boolean; value?: Loose; error?: { code: string; message: string; details?: Loose } };
  const state = async () => ({
    version: (await readMeta(store.db))!.referenceVersion,
    v: (await store.db.select({ v: syncVersion.v }).from(syncVersion))[0]?.v ?? 0,
    grids: (await store.db.select({ n: sql<number>`count(*)::int` }).from(grids))[0]!.n,
    current: (await store.db.select({ n: sql<number>`count(*)::int` }).from(grids).where(sql`${grids.validTo} is null`))[0]!.n,
  });
  const gridsAsOf = async (day: string): Promise<Grid[]> => (body(await call('GET', `/api/v1/grids?asOf=${day}`)) as unknown as GridsResponse).grids;

  beforeAll(async () => {
    store = await backend.fresh();
    await seedDemo(store.db);
    app = await buildApp({ store, auth: { demo: true, argon2: CHEAP } });
    await app.ready();
    await seedDemoAuth(app.auth.service, store.db);
    const login = async (l: string) => (await app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { login: l, password: DEMO_PASSWORD } })).json().value.accessToken as string;
    admin = await login('admin');
    duty = await login('duty');
  });
  afterAll(async () => {
    await app?.close();
  });

  it('is for admins only', async () => {
    expect((await call('POST', '/api/v1/admin/reference/grids/geojson', { body: redrawn() })).statusCode).toBe(401);
    expect((await call('POST', '/api/v1/admin/reference/grids/geojson', { token: duty, body: redrawn() })).statusCode).toBe(403);
  });

  it('refuses a GeoJSON with problems, naming each feature and field, and writes nothing', async () => {
    const before = await state();
    const [g1, g2] = village.grids;
    const square = (lon: number, lat: number) => [
      [lon, lat],
      [lon + 0.001, lat],
      [lon + 0.001, lat + 0.001],
      [lon, lat + 0.001],
      [lon, lat],
    ];
    const bowTie = [
      [113.1, 23.4],
      [113.101, 23.401],
      [113.101, 23.4],
      [113.1, 23.401],
      [113.1, 23.4],
    ];
    const fc = {
      type: 'FeatureCollection',
      features: [
        feature(`${village.code}901`, { type: 'Polygon', coordinates: [square(113.1, 23.4).slice(0, 4)] }), // 0 unclosed
        feature(`${village.code}902`, { type: 'Polygon', coordinates: [[[113.1, 23.4], [113.2, 23.4], [113.1, 23.4]]] }), // 1 short
        feature(`${village.code}903`, { type: 'Polygon', coordinates: [bowTie] }), // 2 self-intersection
        feature(`${village.code}904`, g1!.geometry), // 3 overlaps a current grid of the village
        feature('440114999999001', { type: 'Polygon', coordinates: [square(113.3, 23.4)] }), // 4 unknown village
        feature('44011400', { type: 'Polygon', coordinates: [square(113.3, 23.4)] }, { villageCode: village.code }), // 5 bad code
        feature(`${village.code}905`, { type: 'Polygon', coordinates: [square(113.5, 23.4)] }), // 6 fine alone…
        feature(`${village.code}905`, { type: 'Polygon', coordinates: [square(113.6, 23.4)] }), // 7 …but the code again
        feature(g2!.code, g2!.geometry, { validFrom: '2020-01-01' }), // 8 before the current version
        { type: 'Feature', geometry: null, properties: {} }, // 9 no geometry, no properties
      ],
    };
    const r = await call('POST', '/api/v1/admin/reference/grids/geojson', { token: admin, body: fc });
    expect(r.statusCode).toBe(400);
    const err = body(r).error!;
    expect(err.code).toBe('invalid_args');
    const problems = err.details as { feature: number | null; field: string; kind: string; message: string }[];
    const kindOf = (i: number) => problems.filter((p) => p.feature === i).map((p) => p.kind);
    expect(kindOf(0)).toEqual(['invalid_ring']);
    expect(kindOf(1)).toEqual(['invalid_ring']);
    expect(kindOf(2)).toEqual(['self_intersection']);
    expect(kindOf(3)).toEqual(['overlap']);
    expect(kindOf(4)).toEqual(['unknown_parent']);
    expect(kindOf(5)).toContain('bad_code');
    expect(kindOf(6)).toEqual([]);
    expect(kindOf(7)).toEqual(['duplicate']);
    expect(kindOf(8)).toEqual(['version_order']);
    expect(kindOf(9).every((k) => k === 'schema') && kindOf(9).length >= 2).toBe(true);
    expect(problems.find((p) => p.feature === 0)).toMatchObject({ field: 'features[0].geometry.coordinates[0]', message: expect.stringMatching(/not closed/) });
    expect(problems.find((p) => p.feature === 3)).toMatchObject({ field: 'features[3].geometry', message: expect.stringContaining(g1!.code) });
    expect(problems.find((p) => p.feature === 4)).toMatchObject({ field: 'features[4].properties.villageCode' });
    expect(await state()).toEqual(before);

    const notGeoJson = await call('POST', '/api/v1/admin/reference/grids/geojson', { token: admin, body: { type: 'Topology' } });
    expect(body(notGeoJson).error?.details).toEqual([
      expect.objectContaining({ feature: null, field: 'type', kind: 'schema' }),
      expect.objectContaining({ feature: null, field: 'features', kind: 'schema' }),
    ]);
  });

  it('is all or nothing: a failure in the database halfway leaves everything as it was', async () => {
    const before = await state();
    // the insert of the new version fails after the old versions were already closed
    await store.db.execute(sql.raw(`CREATE FUNCTION refuse_grid() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'disk full'; END $$`));
    await store.db.execute(sql.raw(`CREATE TRIGGER refuse_grid BEFORE INSERT ON grids FOR EACH ROW WHEN (NEW.code = '${village.a.code}') EXECUTE FUNCTION refuse_grid()`));
    try {
      const r = await call('POST', `/api/v1/admin/reference/grids/geojson?validFrom=${NEW_FROM}&retireMissing=true`, { token: admin, body: redrawn() });
      expect(r.statusCode).toBe(500);
    } finally {
      await store.db.execute(sql.raw('DROP TRIGGER refuse_grid ON grids'));
      await store.db.execute(sql.raw('DROP FUNCTION refuse_grid()'));
    }
    expect(await state()).toEqual(before);
    const b = await store.db.select().from(grids).where(eq(grids.code, village.b.code));
    expect(b.map((g) => g.validTo)).toEqual([null]);
  });

  it('versions a redrawn village: old grids close the day the new ones start, and history still adds up', async () => {
    const before = await state();
    const villageArea = (list: Grid[]) => list.filter((g) => g.villageCode === village.code).reduce((sum, g) => sum + geometryArea(g.geometry), 0);
    const r = await call('POST', `/api/v1/admin/reference/grids/geojson?validFrom=${NEW_FROM}&retireMissing=true`, { token: admin, body: redrawn(), type: 'application/geo+json' });
    expect(r.statusCode, r.body).toBe(200);
    const value = body(r).value;
    expect(value.versioned).toEqual([{ code: village.a.code, validFrom: NEW_FROM }]);
    expect(value.corrected).toHaveLength(village.grids.length - 2);
    expect(value.created).toEqual([]);
    expect(value.retired).toEqual(
      expect.arrayContaining([
        { code: village.a.code, validFrom: OLD_FROM, validTo: NEW_FROM },
        { code: village.b.code, validFrom: OLD_FROM, validTo: NEW_FROM },
      ]),
    );
    const after = await state();
    expect(after.version).not.toBe(before.version);
    expect(value.version).toBe(after.version);
    expect(after.v).toBe(before.v + 1);
    expect(after.grids).toBe(before.grids + 1);
    expect(after.current).toBe(before.current - 1);

    const old = await gridsAsOf('2025-12-31');
    const now = await gridsAsOf(NEW_FROM);
    expect(old.filter((g) => g.villageCode === village.code)).toHaveLength(village.grids.length);
    expect(now.filter((g) => g.villageCode === village.code)).toHaveLength(village.grids.length - 1);
    expect(now.find((g) => g.code === village.b.code)).toBeUndefined();
    expect(now.find((g) => g.code === village.a.code)).toMatchObject({ validFrom: NEW_FROM, validTo: null, name: `${village.a.name}（合并）`, workers: village.a.workers });
    // the same ground is covered on both days
    expect(villageArea(now)).toBeCloseTo(villageArea(old), -1);

    // desktops get it: the changed grid versions are in the sync feed at that version
    const rows = await store.db.select().from(syncRows).where(eq(syncRows.tableName, 'grids'));
    const row = (key: string) => rows.find((x) => x.key === key);
    expect(row(`${village.a.code}:${NEW_FROM}`)).toMatchObject({ v: value.v, scope: village.a.townCode });
    // sync_rows.row holds the row's jsonb text (migration 0008)
    expect(JSON.parse(row(`${village.b.code}:${OLD_FROM}`)!.row)).toMatchObject({ validTo: NEW_FROM });
    const logged = await store.db.select({ key: changeLog.key }).from(changeLog).where(eq(changeLog.v, value.v));
    expect(logged.map((l) => l.key)).toEqual(expect.arrayContaining([`${village.a.code}:${NEW_FROM}`, `${village.a.code}:${OLD_FROM}`, `${village.b.code}:${OLD_FROM}`]));

    // the versions of a code never overlap in time: a second redraw must come later
    const again = await call('POST', `/api/v1/admin/reference/grids/geojson?validFrom=2025-06-01`, { token: admin, body: { type: 'FeatureCollection', features: [feature(village.a.code, merged)] } });
    expect(body(again).error?.details).toEqual([expect.objectContaining({ feature: 0, kind: 'version_order' })]);
  });

  it('retires a grid without a successor', async () => {
    const g = village.grids.find((x) => x !== village.a && x !== village.b)!;
    const r = await call('POST', `/api/v1/admin/reference/grids/${g.code}/retire`, { token: admin, body: { validTo: '2026-06-01' } });
    expect(body(r).value).toMatchObject({ code: g.code, validFrom: OLD_FROM, validTo: '2026-06-01' });
    expect((await gridsAsOf('2026-06-01')).find((x) => x.code === g.code)).toBeUndefined();
    expect((await call('POST', `/api/v1/admin/reference/grids/${g.code}/retire`, { token: admin, body: { validTo: '2026-07-01' } })).statusCode).toBe(404);
  });

  it('adds and edits areas from JSON, with field errors for codes and parents', async () => {
    const town = demo.towns[0]!;
    const newVillage = {
      code: `${town.code.slice(0, 9)}999`,
      name: '测试新村',
      level: 'village',
      kind: 'village',
      parentCode: town.code,
      geometry: { type: 'Polygon', coordinates: [[[113.2, 23.3], [113.201, 23.3], [113.201, 23.301], [113.2, 23.301], [113.2, 23.3]]] },
      population: 120,
    };
    const bad = await call('POST', '/api/v1/admin/reference/areas', {
      token: admin,
      body: { areas: [{ ...newVillage, parentCode: '440114777000' }, { ...newVillage, code: '440114002998' }, { ...newVillage, code: '440114001997', kind: 'town' }] },
    });
    expect(bad.statusCode).toBe(400);
    expect(body(bad).error?.details).toEqual(
      expect.arrayContaining([
        { field: 'areas[0].parentCode', message: 'no area 440114777000' },
        { field: 'areas[1].code', message: expect.stringMatching(/does not start with its parent/) },
        { field: 'areas[2].kind', message: expect.stringMatching(/community or village/) },
      ]),
    );
    const before = await state();
    const { bbox: _bbox, ...renamed } = { ...demo.villages[0]!, name: '改名村' };
    const ok = await call('POST', '/api/v1/admin/reference/areas', { token: admin, body: { areas: [newVillage, renamed] } });
    expect(ok.statusCode, ok.body).toBe(200);
    expect(body(ok).value).toMatchObject({ created: [newVillage.code], updated: [demo.villages[0]!.code] });
    expect((await state()).version).not.toBe(before.version);
    const areasServed = ((await call('GET', '/api/v1/areas')).json() as { areas: { code: string; name: string; labelPoint: number[] }[] }).areas;
    expect(areasServed.find((a) => a.code === newVillage.code)).toMatchObject({ name: '测试新村', labelPoint: [expect.any(Number), expect.any(Number)] });
    expect(areasServed.find((a) => a.code === demo.villages[0]!.code)?.name).toBe('改名村');
    const [synced] = await store.db.select().from(syncRows).where(sql`${syncRows.tableName} = 'areas' and ${syncRows.key} = ${newVillage.code}`);
    expect(synced).toMatchObject({ scope: town.code });
  });

  it('adds and edits units from JSON; unknown parents and loops are refused', async () => {
    const unit = { id: 'dept-test', name: '测试局', shortName: '测试局', kind: 'department', areaCode: null, parentId: 'district-440114', location: [113.22, 23.4], phone: '020-00000000' };
    const loop = await call('POST', '/api/v1/admin/reference/units', {
      token: admin,
      body: { units: [{ ...unit, parentId: 'dept-test2' }, { ...unit, id: 'dept-test2', parentId: 'dept-test' }] },
    });
    expect(body(loop).error?.details).toEqual(expect.arrayContaining([expect.objectContaining({ field: 'units[0].parentId', message: expect.stringMatching(/loops/) })]));
    const unknown = await call('POST', '/api/v1/admin/reference/units', { token: admin, body: { units: [{ ...unit, parentId: 'nobody', areaCode: '440114999999' }] } });
    expect(body(unknown).error?.details).toEqual([
      { field: 'units[0].areaCode', message: 'no area 440114999999' },
      { field: 'units[0].parentId', message: 'no unit nobody' },
    ]);
    const ok = await call('POST', '/api/v1/admin/reference/units', { token: admin, body: { units: [unit] } });
    expect(body(ok).value).toMatchObject({ created: ['dept-test'] });
    const list = ((await call('GET', '/api/v1/units')).json() as { units: { id: string }[] }).units;
    expect(list.at(-1)?.id).toBe('dept-test'); // a new unit goes last in display order
  });

  it('adds, assigns and removes grid workers; the grids they cover follow', async () => {
    // a grid of the village that is neither redrawn nor retired by the tests above
    const g = village.grids.filter((x) => x !== village.a && x !== village.b)[1]!;
    const otherVillageGrid = demo.grids.find((x) => x.villageCode !== village.code)!;
    const wrong = await call('POST', '/api/v1/admin/reference/workers', {
      token: admin,
      body: { workers: [{ id: 'gw-test', name: '王五', phone: '13800000000', villageCode: village.code, grids: [otherVillageGrid.code, '440114999999999'] }] },
    });
    expect(body(wrong).error?.details).toEqual([
      { field: 'workers[0].grids[0]', message: expect.stringMatching(/lies in village/) },
      { field: 'workers[0].grids[1]', message: 'no grid 440114999999999' },
    ]);
    const ok = await call('POST', '/api/v1/admin/reference/workers', { token: admin, body: { workers: [{ id: 'gw-test', name: '王五', phone: '13800000000', villageCode: village.code, grids: [g.code] }] } });
    expect(body(ok).value).toMatchObject({ created: ['gw-test'] });
    const served = (await gridsAsOf(NEW_FROM)).find((x) => x.code === g.code)!;
    expect(served.workers.at(-1)).toEqual({ id: 'gw-test', name: '王五', phone: '13800000000' });
    const list = body(await call('GET', `/api/v1/admin/reference/workers?villageCode=${village.code}`, { token: admin })).value as { id: string; grids: string[] }[];
    expect(list.find((w) => w.id === 'gw-test')?.grids).toEqual([g.code]);
    const [worker] = await store.db.select().from(syncRows).where(sql`${syncRows.tableName} = 'workers' and ${syncRows.key} = 'gw-test'`);
    expect(worker).toMatchObject({ scope: village.a.townCode });
    expect(JSON.parse(worker!.row)).toMatchObject({ id: 'gw-test', villageCode: village.code });

    const removed = await call('DELETE', '/api/v1/admin/reference/workers/gw-test', { token: admin });
    expect(removed.statusCode).toBe(200);
    expect((await gridsAsOf(NEW_FROM)).find((x) => x.code === g.code)!.workers.some((w) => w.id === 'gw-test')).toBe(false);
    expect(await store.db.select().from(syncRows).where(sql`${syncRows.tableName} = 'workers' and ${syncRows.key} = 'gw-test'`)).toEqual([]);
    const [del] = await store.db.select().from(changeLog).where(sql`${changeLog.tableName} = 'workers' and ${changeLog.key} = 'gw-test' and ${changeLog.op} = 'delete'`);
    expect(del).toBeDefined();
    expect((await call('DELETE', '/api/v1/admin/reference/workers/gw-test', { token: admin })).statusCode).toBe(404);
  });
});

describe('the demo village used here', () => {
  it('has two neighbouring grids whose union is one polygon', () => {
    expect(merged.coordinates.length).toBeGreaterThan(0);
    expect(geometryArea(merged)).toBeCloseTo(geometryArea(village.a.geometry) + geometryArea(village.b.geometry), -1);
  });
});
