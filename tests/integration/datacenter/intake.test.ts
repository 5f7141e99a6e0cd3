/**
 * Intake through HTTP (fastify inject) on PGlite and on PostgreSQL, against the demo district's
 * grids in the database: every source lands in the right grid, GCJ-02/BD-09 positions included;
 * an external reference is entered once even when ten copies race; near-duplicates are
 * suggested; bad input gets field errors and waits in quarantine until an admin fixes and
 * replays it or discards it; Open311 GeoReport v2 speaks its own formats. The events store is the
 * in-memory EventSink of the contract (the real one is wired by the lead).
 */
import Fastify, { type FastifyInstance } from 'fastify';
import gcoord from 'gcoord';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { geometryBBox } from '../../../src/core/geo/geometry';
import type { Grid } from '../../../src/core/geo/types';
import { HuyingError } from '../../../src/core/errors';
import { generateDemoDistrict } from '../../../src/datacenter/demo';
import { createCategoryResolver, DEMO_HOTLINE_LABELS, DEMO_URBAN_MANAGEMENT_CLASSES } from '../../../src/datacenter/intake/categories';
import { createMemoryEventSink, type MemoryEventSink } from '../../../src/datacenter/intake/event-sink';
import { loadOpen311Services, open311ServicesFromTaxonomy, type TaxonomyLikeNode } from '../../../src/datacenter/intake/open311-routes';
import { createPlacementReferenceCache } from '../../../src/datacenter/intake/reference';
import { registerIntakeRoutes } from '../../../src/datacenter/intake/routes';
import { createIntakeService } from '../../../src/datacenter/intake/service';
import { ensureMetaRow, type DataCenterDb } from '../../../src/datacenter/store/database';
import { externalRefs, intakeQuarantine } from '../../../src/datacenter/store/intake-schema';
import { migrate } from '../../../src/datacenter/store/migration';
import { migrations } from '../../../src/datacenter/store/migrations';
import { areas, grids, meta } from '../../../src/datacenter/store/schema';
import { forEachBackend } from './backends';

const demo = generateDemoDistrict();
const TAXONOMY_FILE = new URL('../../../resources/config/taxonomy-demo.json', import.meta.url).pathname;
const services = loadOpen311Services(TAXONOMY_FILE);
const NOW = new Date('2025-11-26T08:00:00.000Z');

/** One grid per town, to show every town's grids are reached. */
const gridsByTown = new Map<string, Grid>();
for (const g of demo.grids) if (!gridsByTown.has(g.townCode)) gridsByTown.set(g.townCode, g);
const sampleGrids = [...gridsByTown.values()];
const grid = sampleGrids[0]!;

const toGcj = (p: readonly [number, number]) => gcoord.transform<[number, number]>([p[0], p[1]], gcoord.WGS84, gcoord.GCJ02);
const toBd = (p: readonly [number, number]) => gcoord.transform<[number, number]>([p[0], p[1]], gcoord.WGS84, gcoord.BD09);

async function seedGeography(store: DataCenterDb): Promise<void> {
  const areaRow = (a: typeof demo.district) => ({
    code: a.code,
    name: a.name,
    level: a.level,
    kind: a.kind,
    parentCode: a.parentCode,
    labelLon: a.labelPoint[0],
    labelLat: a.labelPoint[1],
    minLon: a.bbox[0],
    minLat: a.bbox[1],
    maxLon: a.bbox[2],
    maxLat: a.bbox[3],
    geometry: a.geometry,
    population: a.population,
  });
  await store.db.insert(areas).values(areaRow(demo.district));
  await store.db.insert(areas).values(demo.towns.map(areaRow));
  await store.db.insert(areas).values(demo.villages.map(areaRow));
  for (let i = 0; i < demo.grids.length; i += 200) {
    await store.db.insert(grids).values(
      demo.grids.slice(i, i + 200).map((g) => {
        const b = geometryBBox(g.geometry);
        return {
          code: g.code,
          validFrom: g.validFrom,
          validTo: g.validTo,
          name: g.name,
          kind: g.kind,
          villageCode: g.villageCode,
          townCode: g.townCode,
          labelLon: g.labelPoint[0],
          labelLat: g.labelPoint[1],
          minLon: b[0],
          minLat: b[1],
          maxLon: b[2],
          maxLat: b[3],
          geometry: g.geometry,
        };
      }),
    );
  }
  await store.db.update(meta).set({ referenceVersion: 'intake-test-1' });
}

const json = (payload: unknown) => ({ payload: JSON.stringify(payload), headers: { 'content-type': 'application/json', 'x-api-key': 'test-key' } });

const hotlineOrder = (orderNo: string, at: readonly [number, number] = grid.labelPoint) => {
  const [lon, lat] = toGcj(at);
  return { orderNo, appealType: '投诉', content: '夜间施工噪音扰民', classification: '噪声扰民', longitude: lon, latitude: lat, acceptedAt: '2025-11-26 09:15:00' };
};

forEachBackend('intake over HTTP', (backend) => {
  let store: DataCenterDb;
  let app: FastifyInstance;
  let sink: MemoryEventSink;
  let now = NOW;
  const keyChecks: string[] = [];

  beforeAll(async () => {
    store = await backend.fresh({ migrate: false });
    await migrate(store.db, migrations);
    await ensureMetaRow(store.db);
    await seedGeography(store);
    sink = createMemoryEventSink({ clock: () => now });
    const service = createIntakeService({
      db: store.db,
      sink,
      reference: createPlacementReferenceCache(store.db, { clock: () => now }).get,
      clock: () => now,
      categories: createCategoryResolver({
        nodes: open311ServicesFromTaxonomy(JSON.parse((await import('node:fs')).readFileSync(TAXONOMY_FILE, 'utf8')).categories as TaxonomyLikeNode[]).map((s) => ({ code: s.service_code, name: s.service_name })),
        labels: { urban_management: DEMO_URBAN_MANAGEMENT_CLASSES, hotline_12345: DEMO_HOTLINE_LABELS },
      }),
      staleClaimMs: 5_000,
    });
    app = Fastify({ logger: false });
    registerIntakeRoutes(app, {
      service,
      // stands in for the auth module's hook: a key per request, remembered per source
      requireApiKey: (source) => async (request) => {
        if (request.headers['x-api-key'] !== 'test-key') throw new HuyingError('unauthenticated', 'API key required');
        keyChecks.push(source);
      },
      actorOf: (request) => (request.headers['x-admin'] as string | undefined) ?? null,
      open311: { reader: sink, services, clock: () => now },
    });
    await app.ready();
  });
  afterAll(async () => {
    await app?.close();
  });

  const post = (url: string, body: unknown, extra: Record<string, string> = {}) => {
    const r = json(body);
    return app.inject({ method: 'POST', url, payload: r.payload, headers: { ...r.headers, ...extra } });
  };

  describe('every source, placed by the spatial index', () => {
    it('a 12345 order in GCJ-02 lands in its grid, in every town', async () => {
      for (const [i, g] of sampleGrids.entries()) {
        const res = await post('/api/v1/intake/hotline_12345', hotlineOrder(`GZ-TOWN-${i}`, g.labelPoint));
        expect(res.statusCode, res.body).toBe(201);
        const body = res.json();
        expect(body.ok).toBe(true);
        expect(body.value.placement).toEqual({ method: 'point', districtCode: '440114', townCode: g.townCode, villageCode: g.villageCode, gridCode: g.code });
        expect(body.value.outsideDistrict).toBe(false);
        expect(body.value.caseNo).toMatch(/^HD20251126\d{4}$/);
      }
      expect(new Set(keyChecks)).toEqual(new Set(['hotline_12345']));
      const rec = sink.records.find((r) => r.externalRef?.id === 'GZ-TOWN-0')!;
      expect(rec.sourceLocation?.system).toBe('gcj02');
      expect(rec.workflow.area.gridCode).toBe(sampleGrids[0]!.code);
      expect(rec.workflow.categoryCode).toBe('0702');
    });

    it('a one-key call in BD-09, an enterprise call, an urban-management alarm and generic-API records land too', async () => {
      const g = sampleGrids[3]!;
      const [blon, blat] = toBd(g.labelPoint);
      const cases: [string, unknown][] = [
        ['one_key', { callId: 'OK-1', caller: { phone: '13700001111' }, location: { lon: blon, lat: blat, coordSystem: 'bd09' }, callType: 'fire', calledAt: '2025-11-26 15:40:00' }],
        [
          'enterprise',
          {
            ticketId: 'QY-1',
            enterprise: { name: '某公司', creditCode: '914403001922038216' },
            contact: { name: '刘', phone: '020-36881234' },
            title: '道路破损',
            content: '厂区门口道路破损',
            location: { lon: g.labelPoint[0], lat: g.labelPoint[1] },
            submittedAt: '2025-11-26 10:00:00',
          },
        ],
        ['urban_management', { caseNo: 'SZCG-1', minorClass: '井盖缺失', description: 'AI 识别', location: { lon: g.labelPoint[0], lat: g.labelPoint[1] }, aiAlarm: true, cameraId: 'CAM-1', reportedAt: '2025-11-26 14:00:00' }],
        ['migrant', { externalRef: { system: 'laisui', id: 'LS-1' }, title: '出租屋未登记', location: { lon: g.labelPoint[0], lat: g.labelPoint[1] }, categoryCode: '0503' }],
        ['gov_service', { externalRef: { system: 'zwfw', id: 'ZW-1' }, title: '办事难', categoryCode: '0201' }],
      ];
      for (const [source, payload] of cases) {
        const res = await post(`/api/v1/intake/${source}`, payload);
        expect(res.statusCode, `${source}: ${res.body}`).toBe(201);
        const placement = res.json().value.placement;
        if (source === 'gov_service') expect(placement).toMatchObject({ method: 'none', gridCode: null });
        else expect(placement.gridCode, source).toBe(g.code);
      }
      expect(sink.records.find((r) => r.externalRef?.id === 'OK-1')?.urgency).toBe('urgent');
      expect(sink.records.find((r) => r.externalRef?.id === 'SZCG-1')?.workflow.categoryCode).toBe('040201');
    });

    it('a grid-worker report without a GPS fix is placed by its declared grid', async () => {
      const g = sampleGrids[5]!;
      const res = await post('/api/v1/intake/grid_patrol', {
        reportId: 'GP-1',
        workerId: 'W-1',
        gridCode: g.code,
        baseItem: '023',
        description: '路面污渍',
        photos: ['https://grid.example.cn/p/1.jpg'],
        reportedAt: '2025-11-26 15:00:00',
      });
      expect(res.statusCode, res.body).toBe(201);
      expect(res.json().value.placement).toMatchObject({ method: 'declared_grid', gridCode: g.code, townCode: g.townCode });
    });

    it('a position outside the district is flagged, not dropped', async () => {
      const res = await post('/api/v1/intake/api', { externalRef: { system: 'sjzx', id: 'OUT-1' }, title: '广州市区', location: { lon: 113.264, lat: 23.129 } });
      expect(res.statusCode).toBe(201);
      expect(res.json().value).toMatchObject({ outsideDistrict: true, placement: { method: 'point', districtCode: '440114', townCode: null, gridCode: null } });
      expect(sink.records.find((r) => r.externalRef?.id === 'OUT-1')?.outsideDistrict).toBe(true);
    });

    it('refuses a request without the API key before reading it (nothing quarantined)', async () => {
      const before = await store.db.select({ n: sql<number>`count(*)::int` }).from(intakeQuarantine);
      const res = await app.inject({ method: 'POST', url: '/api/v1/intake/api', payload: '{}', headers: { 'content-type': 'application/json' } });
      expect(res.statusCode).toBe(401);
      expect(res.json()).toEqual({ ok: false, error: { code: 'unauthenticated', message: 'API key required' } });
      const after = await store.db.select({ n: sql<number>`count(*)::int` }).from(intakeQuarantine);
      expect(after[0]!.n).toBe(before[0]!.n);
    });

    it('answers 404 for an unknown source', async () => {
      expect((await post('/api/v1/intake/fax', {})).statusCode).toBe(404);
    });
  });

  describe('external references', () => {
    it('the same order twice: 201, then 200 with the same event', async () => {
      const first = await post('/api/v1/intake/hotline_12345', hotlineOrder('GZ-DUP-1'));
      const second = await post('/api/v1/intake/hotline_12345', hotlineOrder('GZ-DUP-1'));
      expect(first.statusCode).toBe(201);
      expect(second.statusCode).toBe(200);
      expect(second.json().value).toEqual({ eventId: first.json().value.eventId, caseNo: first.json().value.caseNo, duplicate: true });
      expect(sink.records.filter((r) => r.externalRef?.id === 'GZ-DUP-1')).toHaveLength(1);
    });

    it('the same reference with a different payload: 409 naming the event', async () => {
      const res = await post('/api/v1/intake/hotline_12345', { ...hotlineOrder('GZ-DUP-1'), content: '别的内容' });
      expect(res.statusCode).toBe(409);
      expect(res.json().error).toMatchObject({ code: 'conflict', details: { field: 'externalRef', eventId: expect.any(String) } });
    });

    it('when the near-duplicate search fails for a batch, its claims are given back: a retry enters each order at once', async () => {
      const search = sink.openEventsNear.bind(sink);
      sink.openEventsNear = () => Promise.reject(new Error('the search is down'));
      try {
        // sent together, so they are taken in as one batch
        const failed = await Promise.all(['GZ-DOWN-1', 'GZ-DOWN-2'].map((id) => post('/api/v1/intake/hotline_12345', hotlineOrder(id))));
        expect(failed.map((r) => r.statusCode)).toEqual([500, 500]);
      } finally {
        sink.openEventsNear = search;
      }
      expect(sink.records.filter((r) => r.externalRef?.id.startsWith('GZ-DOWN-'))).toHaveLength(0);
      // a claim kept would answer 409 ("still being entered") until it went stale
      const retried = await Promise.all(['GZ-DOWN-1', 'GZ-DOWN-2'].map((id) => post('/api/v1/intake/hotline_12345', hotlineOrder(id))));
      expect(retried.map((r) => r.statusCode)).toEqual([201, 201]);
      expect(sink.records.filter((r) => r.externalRef?.id.startsWith('GZ-DOWN-'))).toHaveLength(2);
    });

    it('ten copies racing create exactly one event', async () => {
      const results = await Promise.all(Array.from({ length: 10 }, () => post('/api/v1/intake/hotline_12345', hotlineOrder('GZ-RACE-1'))));
      const codes = results.map((r) => r.statusCode);
      expect(codes.filter((c) => c === 201)).toHaveLength(1);
      expect(codes.every((c) => c === 201 || c === 200 || c === 409)).toBe(true);
      expect(sink.records.filter((r) => r.externalRef?.id === 'GZ-RACE-1')).toHaveLength(1);
      const created = results.find((r) => r.statusCode === 201)!.json().value.eventId;
      for (const r of results.filter((x) => x.statusCode === 200)) expect(r.json().value.eventId).toBe(created);
      const retry = await post('/api/v1/intake/hotline_12345', hotlineOrder('GZ-RACE-1'));
      expect(retry.statusCode).toBe(200);
      expect(retry.json().value.eventId).toBe(created);
    });

    it('a claim left by a crash after the event was created is completed from the event store', async () => {
      const order = hotlineOrder('GZ-CRASH-1');
      // the event exists (created, then the process died before completing the claim)
      const first = await post('/api/v1/intake/hotline_12345', order);
      const eventId = first.json().value.eventId;
      await store.db.update(externalRefs).set({ eventId: null, caseNo: null, createdAt: null }).where(sql`${externalRefs.refId} = 'GZ-CRASH-1'`);
      const again = await post('/api/v1/intake/hotline_12345', order);
      expect(again.statusCode).toBe(200);
      expect(again.json().value.eventId).toBe(eventId);
      const [row] = await store.db.select().from(externalRefs).where(sql`${externalRefs.refId} = 'GZ-CRASH-1'`);
      expect(row?.eventId).toBe(eventId);
    });

    it('a claim left by a crash before the event was created is taken over once stale', async () => {
      const order = hotlineOrder('GZ-CRASH-2');
      const { payloadHash } = await import('../../../src/datacenter/intake/body');
      await store.db.insert(externalRefs).values({ system: '12345', refId: 'GZ-CRASH-2', source: 'hotline_12345', payloadHash: payloadHash(order) });
      const fresh = await post('/api/v1/intake/hotline_12345', order);
      expect(fresh.statusCode).toBe(409); // still fresh: another request may be creating it
      await store.db.update(externalRefs).set({ claimedAt: sql`now() - interval '1 minute'` }).where(sql`${externalRefs.refId} = 'GZ-CRASH-2'`);
      const taken = await post('/api/v1/intake/hotline_12345', order);
      expect(taken.statusCode).toBe(201);
      expect(sink.records.filter((r) => r.externalRef?.id === 'GZ-CRASH-2')).toHaveLength(1);
    });
  });

  describe('near-duplicates', () => {
    it('a second report of the same category 60 m away within the day is suggested for merging', async () => {
      const g = sampleGrids[7]!;
      const at = g.labelPoint;
      const near: [number, number] = [at[0] + 60 / 102_000, at[1]];
      const base = { minorClass: '道路不洁', description: '路面泥沙', reportedAt: '2025-11-26 10:00:00' };
      const a = await post('/api/v1/intake/urban_management', { ...base, caseNo: 'ND-1', location: { lon: at[0], lat: at[1] } });
      const b = await post('/api/v1/intake/urban_management', { ...base, caseNo: 'ND-2', location: { lon: near[0], lat: near[1] }, reportedAt: '2025-11-26 13:00:00' });
      const other = await post('/api/v1/intake/urban_management', { ...base, caseNo: 'ND-3', minorClass: '路灯不亮', location: { lon: near[0], lat: near[1] } });
      expect(b.json().value.duplicateCandidates).toEqual([{ eventId: a.json().value.eventId, distanceMetres: expect.closeTo(60, 0), hoursApart: 3 }]);
      expect(other.json().value.duplicateCandidates).toEqual([]);
      expect(sink.records.find((r) => r.id === b.json().value.eventId)?.duplicateCandidates).toEqual([a.json().value.eventId]);
      // once the first is closed it is no longer a candidate
      sink.setStatus(a.json().value.eventId, 'closed');
      const c = await post('/api/v1/intake/urban_management', { ...base, caseNo: 'ND-4', location: { lon: at[0], lat: at[1] } });
      expect(c.json().value.duplicateCandidates.map((d: { eventId: string }) => d.eventId)).toEqual([b.json().value.eventId]);
    });
    it('near reports of one bulk request name the ones before them; one whose creation fails is named by none, and its claim is given back', async () => {
      // 600 m north of a town's label point, away from the other tests' reports
      const base = sampleGrids[3]!.labelPoint;
      const at = (east: number): [number, number] => [base[0] + east / 102_000, base[1] + 600 / 111_000];
      const create = sink.createEvent.bind(sink);
      sink.createEvent = (draft, ...rest) => (draft.externalRef?.id === 'GZ-SET-2' ? Promise.reject(new Error('the store refused it')) : create(draft, ...rest));
      let res;
      try {
        res = await post('/api/v1/intake/hotline_12345/bulk', { items: [hotlineOrder('GZ-SET-1', at(0)), hotlineOrder('GZ-SET-2', at(40)), hotlineOrder('GZ-SET-3', at(80)), hotlineOrder('GZ-SET-4', at(120))] });
      } finally {
        sink.createEvent = create;
      }
      const items = res.json().value.items as { result: string; value?: { eventId: string; caseNo: string; duplicateCandidates: { eventId: string }[] } }[];
      expect(items.map((x) => x.result)).toEqual(['created', 'failed', 'created', 'created']);
      const [a, , c, d] = items.map((x) => x.value);
      const ids = (list: { eventId: string }[]) => list.map((x) => x.eventId);
      // as if sent one after another: each names the earlier ones, nearest first — but not the one that failed
      expect(ids(a!.duplicateCandidates)).toEqual([]);
      expect(ids(c!.duplicateCandidates)).toEqual([a!.eventId]);
      expect(ids(d!.duplicateCandidates)).toEqual([c!.eventId, a!.eventId]);
      // the ids intake chose are those of the events created, and the store has the same suggestions
      for (const x of [a!, c!, d!]) expect(sink.records.find((r) => r.id === x.eventId)?.caseNo).toBe(x.caseNo);
      expect(sink.records.find((r) => r.id === d!.eventId)?.duplicateCandidates).toEqual([c!.eventId, a!.eventId]);
      // case numbers in the order sent
      expect([a!, c!, d!].map((x) => x.caseNo)).toEqual([a!, c!, d!].map((x) => x.caseNo).sort());
      // the failed one's claim went back: a retry enters it at once, and it sees the three
      const retry = await post('/api/v1/intake/hotline_12345', hotlineOrder('GZ-SET-2', at(40)));
      expect(retry.statusCode).toBe(201);
      expect(ids(retry.json().value.duplicateCandidates).sort()).toEqual([a!.eventId, c!.eventId, d!.eventId].sort());
    });
  });

  describe('quarantine', () => {
    let badId = '';

    it('bad input: 400 with field errors, and the raw payload kept verbatim', async () => {
      const payload = { ...hotlineOrder('GZ-BAD-1'), appealType: '表扬', longitude: 0, latitude: 0 };
      const res = await post('/api/v1/intake/hotline_12345', payload, { 'x-forwarded-for': '10.0.0.1' });
      expect(res.statusCode).toBe(400);
      const body = res.json();
      expect(body.ok).toBe(false);
      expect(body.error.code).toBe('invalid_args');
      expect(body.error.details.map((d: { field: string }) => d.field).sort()).toEqual(['appealType', 'longitude']);
      expect(res.headers['x-quarantine-id']).toBe(body.quarantineId);
      badId = body.quarantineId;
      const got = await app.inject({ method: 'GET', url: `/api/v1/admin/quarantine/${badId}` });
      expect(got.statusCode).toBe(200);
      expect(got.json().value).toMatchObject({
        id: badId,
        source: 'hotline_12345',
        status: 'pending',
        contentType: 'application/json',
        rawPayload: JSON.stringify(payload),
        errors: body.error.details,
        replayAttempts: 0,
        replayedEventId: null,
      });
      expect(Date.parse(got.json().value.receivedAt)).not.toBeNaN();
    });

    it('broken JSON and an unknown content type are quarantined too', async () => {
      const broken = await app.inject({ method: 'POST', url: '/api/v1/intake/api', payload: '{"title": ', headers: { 'content-type': 'application/json', 'x-api-key': 'test-key' } });
      expect(broken.statusCode).toBe(400);
      expect(broken.json().error.details[0].field).toBe('(body)');
      const xml = await app.inject({ method: 'POST', url: '/api/v1/intake/api', payload: '<order/>', headers: { 'content-type': 'text/xml', 'x-api-key': 'test-key' } });
      expect(xml.statusCode).toBe(415);
      const row = (await app.inject({ method: 'GET', url: `/api/v1/admin/quarantine/${xml.json().quarantineId}` })).json().value;
      expect(row).toMatchObject({ rawPayload: '<order/>', contentType: 'text/xml', source: 'api' });
    });

    it('lists pending payloads newest first, a page at a time', async () => {
      const page1 = (await app.inject({ method: 'GET', url: '/api/v1/admin/quarantine?status=pending&limit=2' })).json().value;
      expect(page1.items).toHaveLength(2);
      expect(page1.items[0]).not.toHaveProperty('rawPayload');
      expect(page1.items[0].preview).toBeTypeOf('string');
      expect(page1.nextCursor).toBeTypeOf('string');
      const page2 = (await app.inject({ method: 'GET', url: `/api/v1/admin/quarantine?status=pending&limit=2&cursor=${page1.nextCursor}` })).json().value;
      const ids = [...page1.items, ...page2.items].map((i: { id: string }) => i.id);
      expect(new Set(ids).size).toBe(3);
      expect(ids).toContain(badId);
      expect(page2.nextCursor).toBeNull();
      const bySource = (await app.inject({ method: 'GET', url: '/api/v1/admin/quarantine?source=hotline_12345' })).json().value;
      expect(bySource.items.map((i: { id: string }) => i.id)).toEqual([badId]);
      const bad = await app.inject({ method: 'GET', url: '/api/v1/admin/quarantine?status=lost' });
      expect(bad.statusCode).toBe(400);
      expect(bad.json().error.details[0].field).toBe('status');
    });

    it('a replay of the unchanged payload fails again and stays pending', async () => {
      const res = await app.inject({ method: 'POST', url: `/api/v1/admin/quarantine/${badId}/replay` });
      expect(res.statusCode).toBe(400);
      expect(res.json().quarantineId).toBe(badId);
      const row = (await app.inject({ method: 'GET', url: `/api/v1/admin/quarantine/${badId}` })).json().value;
      expect(row).toMatchObject({ status: 'pending', replayAttempts: 1 });
    });

    it('a replay with a fixed payload creates the event and closes the row', async () => {
      const fixed = hotlineOrder('GZ-BAD-1');
      const res = await app.inject({ method: 'POST', url: `/api/v1/admin/quarantine/${badId}/replay`, payload: JSON.stringify({ payload: fixed }), headers: { 'content-type': 'application/json', 'x-admin': 'admin-1' } });
      expect(res.statusCode, res.body).toBe(201);
      const eventId = res.json().value.eventId;
      const row = (await app.inject({ method: 'GET', url: `/api/v1/admin/quarantine/${badId}` })).json().value;
      expect(row).toMatchObject({ status: 'replayed', replayedEventId: eventId, resolvedBy: 'admin-1', fixedPayload: JSON.stringify(fixed) });
      expect(row.resolvedAt).not.toBeNull();
      const again = await app.inject({ method: 'POST', url: `/api/v1/admin/quarantine/${badId}/replay` });
      expect(again.statusCode).toBe(409);
      expect(again.json().error.code).toBe('conflict');
    });

    it('a replay of a record entered meanwhile closes the row with that event', async () => {
      const bad = await post('/api/v1/intake/hotline_12345', { ...hotlineOrder('GZ-BAD-2'), acceptedAt: 'yesterday' });
      const id = bad.json().quarantineId;
      const good = hotlineOrder('GZ-BAD-2');
      const direct = await post('/api/v1/intake/hotline_12345', good);
      expect(direct.statusCode).toBe(201);
      const res = await app.inject({ method: 'POST', url: `/api/v1/admin/quarantine/${id}/replay`, payload: JSON.stringify({ payload: good }), headers: { 'content-type': 'application/json' } });
      expect(res.statusCode).toBe(200);
      expect(res.json().value).toMatchObject({ duplicate: true, eventId: direct.json().value.eventId });
      const row = (await app.inject({ method: 'GET', url: `/api/v1/admin/quarantine/${id}` })).json().value;
      expect(row).toMatchObject({ status: 'replayed', replayedEventId: direct.json().value.eventId });
    });

    it('discards with a reason, once; unknown ids are 404', async () => {
      const list = (await app.inject({ method: 'GET', url: '/api/v1/admin/quarantine?status=pending&source=api' })).json().value.items;
      const id = list[0].id;
      const res = await app.inject({ method: 'POST', url: `/api/v1/admin/quarantine/${id}/discard`, payload: JSON.stringify({ reason: '测试数据' }), headers: { 'content-type': 'application/json' } });
      expect(res.statusCode).toBe(200);
      expect(res.json().value).toMatchObject({ status: 'discarded', note: '测试数据' });
      expect((await app.inject({ method: 'POST', url: `/api/v1/admin/quarantine/${id}/discard` })).statusCode).toBe(409);
      expect((await app.inject({ method: 'POST', url: `/api/v1/admin/quarantine/${id}/replay` })).statusCode).toBe(409);
      expect((await app.inject({ method: 'GET', url: '/api/v1/admin/quarantine/nope' })).statusCode).toBe(404);
      expect((await app.inject({ method: 'POST', url: '/api/v1/admin/quarantine/nope/replay' })).statusCode).toBe(404);
      const unknownField = await app.inject({ method: 'POST', url: `/api/v1/admin/quarantine/${id}/discard`, payload: '{"why":1}', headers: { 'content-type': 'application/json' } });
      expect(unknownField.statusCode).toBe(400);
    });

    it('the database refuses a replayed row without its event', async () => {
      const pending = await store.db.select({ n: sql<number>`count(*)::int` }).from(intakeQuarantine).where(sql`status = 'pending'`);
      expect(pending[0]!.n).toBeGreaterThan(0);
      await expect(store.db.execute(sql`update intake_quarantine set status = 'replayed', resolved_at = now() where status = 'pending'`)).rejects.toThrow();
    });
  });

  describe('Open311 GeoReport v2', () => {
    let requestId = '';

    it('lists the taxonomy as services', async () => {
      const res = await app.inject({ method: 'GET', url: '/open311/v2/services.json' });
      expect(res.statusCode).toBe(200);
      const list = res.json();
      expect(list.length).toBeGreaterThan(40);
      expect(list).toContainEqual(expect.objectContaining({ service_code: '040202', service_name: '路灯不亮', group: '城市管理', metadata: false, type: 'realtime' }));
    });

    it('takes a form-encoded request and answers in Open311 form', async () => {
      const g = sampleGrids[2]!;
      const form = new URLSearchParams({
        api_key: 'k',
        service_code: '040202',
        lat: String(g.labelPoint[1]),
        long: String(g.labelPoint[0]),
        description: '路灯不亮已经一周',
        account_id: 'resident-9',
        media_url: 'https://img.example.cn/lamp.png',
      }).toString();
      const res = await app.inject({ method: 'POST', url: '/open311/v2/requests.json', payload: form, headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-api-key': 'test-key' } });
      expect(res.statusCode, res.body).toBe(201);
      const [created] = res.json();
      expect(created).toEqual({ service_request_id: expect.any(String), service_notice: expect.stringMatching(/^已受理，案件编号 HD\d{12}$/), account_id: 'resident-9' });
      requestId = created.service_request_id;
      expect(keyChecks).toContain('open311');
    });

    it('bad requests get Open311 errors and go to quarantine', async () => {
      const res = await app.inject({ method: 'POST', url: '/open311/v2/requests.json', payload: 'service_code=040202&lat=23.4', headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-api-key': 'test-key' } });
      expect(res.statusCode).toBe(400);
      expect(res.json()).toEqual([{ code: 400, description: 'long: lat and long come together' }]);
      const id = res.headers['x-quarantine-id'] as string;
      const row = (await app.inject({ method: 'GET', url: `/api/v1/admin/quarantine/${id}` })).json().value;
      expect(row).toMatchObject({ source: 'open311', rawPayload: 'service_code=040202&lat=23.4' });
      const unknown = await app.inject({ method: 'POST', url: '/open311/v2/requests.json', ...json({ service_code: '9999', address_string: '新华街' }) });
      expect(unknown.json()).toEqual([{ code: 400, description: 'service_code: unknown category code 9999' }]);
    });

    it('reads requests back by id and by filters; other sources stay private', async () => {
      const one = await app.inject({ method: 'GET', url: `/open311/v2/requests/${requestId}.json` });
      expect(one.statusCode).toBe(200);
      expect(one.json()).toEqual([
        expect.objectContaining({
          service_request_id: requestId,
          status: 'open',
          service_code: '040202',
          service_name: '路灯不亮',
          description: '路灯不亮已经一周',
          media_url: 'https://img.example.cn/lamp.png',
          requested_datetime: NOW.toISOString(),
          lat: sampleGrids[2]!.labelPoint[1],
          long: sampleGrids[2]!.labelPoint[0],
        }),
      ]);
      const all = (await app.inject({ method: 'GET', url: '/open311/v2/requests.json' })).json();
      expect(all.map((r: { service_request_id: string }) => r.service_request_id)).toEqual([requestId]);
      const byCode = (await app.inject({ method: 'GET', url: '/open311/v2/requests.json?service_code=0702,040202&status=open' })).json();
      expect(byCode).toHaveLength(1);
      expect((await app.inject({ method: 'GET', url: '/open311/v2/requests.json?status=closed' })).json()).toEqual([]);
      expect((await app.inject({ method: 'GET', url: '/open311/v2/requests.json?start_date=2025-11-27T00:00:00Z' })).json()).toEqual([]);
      expect((await app.inject({ method: 'GET', url: `/open311/v2/requests.json?service_request_id=${requestId},other` })).json()).toHaveLength(1);
      const hotline = sink.records.find((r) => r.source === 'hotline_12345')!;
      const hidden = await app.inject({ method: 'GET', url: `/open311/v2/requests/${hotline.id}.json` });
      expect(hidden.statusCode).toBe(404);
      expect(hidden.json()).toEqual([{ code: 404, description: `no service request ${hotline.id}` }]);
      const bad = await app.inject({ method: 'GET', url: '/open311/v2/requests.json?status=maybe&start_date=soon' });
      expect(bad.statusCode).toBe(400);
      expect(bad.json().map((e: { description: string }) => e.description.split(':')[0])).toEqual(['status', 'start_date']);
      sink.setStatus(requestId, 'closed');
      expect((await app.inject({ method: 'GET', url: '/open311/v2/requests.json?status=closed' })).json()).toHaveLength(1);
      now = new Date(NOW.getTime() + 100 * 86_400_000);
      expect((await app.inject({ method: 'GET', url: '/open311/v2/requests.json' })).json()).toEqual([]);
      now = NOW;
    });
  });
});
