/**
 * The events store on PGlite and PostgreSQL: migrations 0002 (events) and 0003 (the audit trail
 * made append-only by the database itself), the real EventSink behind intake (event row, first
 * audit entries and change-log version in one transaction; reported vs filed per source; case
 * numbers per local day; external references never twice; near-duplicates by time and cell),
 * and the read endpoints with their filters, paging and scope.
 */
import Fastify, { type FastifyInstance } from 'fastify';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EventRecord } from '../../../src/core/events/types';
import { AuditEntry } from '../../../src/core/workflow/event';
import type { Actor } from '../../../src/core/workflow/roles';
import { registerEventRoutes } from '../../../src/datacenter/events/routes';
import { pgInstant } from '../../../src/datacenter/events/rows';
import { installErrorHandling } from '../../../src/datacenter/http/errors';
import { actors, expectCreated, GRID_A, GRID_B, hotlineOrder, HARNESS_TIMEOUT_MS, openHarness, patrolReport, TOWN_A, type Harness } from './events-fixtures';
import { forEachBackend } from './backends';

/** runs raw SQL expecting PostgreSQL to refuse it; returns the SQLSTATE */
async function refusedWith(h: Harness, statement: ReturnType<typeof sql>): Promise<string> {
  try {
    await h.store.db.execute(statement);
  } catch (err) {
    const e = err as { code?: string; cause?: { code?: string } };
    return e.cause?.code ?? e.code ?? 'unknown';
  }
  throw new Error('the statement was not refused');
}

forEachBackend('events store', (backend) => {
  let h: Harness;
  let app: FastifyInstance;
  let as: Actor | null = null;

  beforeAll(async () => {
    h = await openHarness(backend);
    app = Fastify({ logger: false });
    installErrorHandling(app);
    registerEventRoutes(app, { store: h.events, actorOf: () => as });
    await app.ready();
  }, HARNESS_TIMEOUT_MS);
  afterAll(async () => {
    await app?.close();
  });

  const get = async (url: string, who: Actor | null = null) => {
    as = who;
    const res = await app.inject({ method: 'GET', url });
    return { status: res.statusCode, body: res.json() };
  };

  describe('intake creates events through the change log', () => {
    it('a 12345 complaint starts reported, with one audit entry by the source system, all in one version', async () => {
      const { eventId, caseNo } = expectCreated(await h.submit('hotline_12345', hotlineOrder('GZ-0001')));
      expect(caseNo).toBe('HD202511260001');
      const found = (await h.events.getEventWithTimeline(eventId))!;
      expect(found.event.workflow.status).toBe('reported');
      expect(found.event.workflow.version).toBe(1);
      expect(found.event.workflow.area).toEqual({ districtCode: '440114', townCode: GRID_A.townCode, villageCode: GRID_A.villageCode, gridCode: GRID_A.code });
      expect(found.audit).toHaveLength(1);
      expect(AuditEntry.parse(found.audit[0])).toMatchObject({ seq: 1, command: 'report', from: 'reported', to: 'reported', actorId: 'source:hotline_12345', role: 'intake_agent' });
      expect(found.intake).toMatchObject({ appealType: 'complaint', placement: 'point' });
      expect(found.intake.sourceClocks).toHaveLength(1);

      // the row's columns are the document's fields
      const [row] = await h.rows<Record<string, unknown>>(sql`select status, source, category, town, village, grid, urgency, scope, external_system, external_id, v from events where id = ${eventId}`);
      expect(row).toMatchObject({ status: 'reported', source: 'hotline_12345', category: '0702', town: GRID_A.townCode, scope: GRID_A.townCode, grid: GRID_A.code, urgency: 'normal', external_system: '12345', external_id: 'GZ-0001' });

      // event and audit rows were logged under one version, in the event's town scope
      const logged = await h.rows<{ v: string; table_name: string; key: string; scope: string | null }>(
        sql`select v, table_name, key, scope from change_log where key in (${eventId}, ${`${eventId}:1`}) order by table_name`,
      );
      expect(logged.map((l) => [l.table_name, l.key, l.scope])).toEqual([
        ['audit', `${eventId}:1`, GRID_A.townCode],
        ['events', eventId, GRID_A.townCode],
      ]);
      expect(Number(logged[0]!.v)).toBe(Number(row!.v));
      const [synced] = await h.rows<{ row: EventRecord }>(sql`select row::jsonb as row from sync_rows where table_name = 'events' and key = ${eventId}`);
      expect(synced!.row).toEqual(found.event);
    });

    it('a grid-worker report and a 数字城管 case are filed at once (report + file by the source); an AI alarm waits for verification', async () => {
      const patrol = expectCreated(await h.submit('grid_patrol', patrolReport('GP-0001')));
      const p = (await h.events.getEventWithTimeline(patrol.eventId))!;
      expect(p.event.workflow.status).toBe('filed');
      expect(p.event.workflow.categoryCode).toBe('040101');
      expect(p.audit.map((a) => [a.seq, a.command, a.from, a.to, a.actorId])).toEqual([
        [1, 'report', 'reported', 'reported', 'source:grid_patrol'],
        [2, 'file', 'reported', 'filed', 'source:grid_patrol'],
      ]);
      expect(p.event.workflow.version).toBe(2);

      const base = { minorClass: '道路不洁', description: '泥沙', location: { lon: GRID_A.labelPoint[0], lat: GRID_A.labelPoint[1] }, reportedAt: '2025-11-26 09:00:00' };
      const szcg = expectCreated(await h.submit('urban_management', { ...base, caseNo: 'SZCG-1' }));
      const ai = expectCreated(await h.submit('urban_management', { ...base, caseNo: 'SZCG-2', aiAlarm: true, cameraId: 'CAM-7' }));
      expect((await h.events.getEvent(szcg.eventId))!.workflow.status).toBe('filed');
      expect((await h.events.getEvent(ai.eventId))!.workflow.status).toBe('reported');
    });

    it('case numbers count per local day (UTC+8): the sequence restarts after midnight China time', async () => {
      const before = expectCreated(await h.submit('hotline_12345', hotlineOrder('GZ-0002')));
      expect(before.caseNo).toMatch(/^HD20251126\d{4}$/);
      const saved = h.now;
      h.now = new Date('2025-11-26T16:00:00.000Z'); // 2025-11-27 00:00 CST
      try {
        const next = expectCreated(await h.submit('hotline_12345', hotlineOrder('GZ-0003', GRID_A, { acceptedAt: '2025-11-27 00:00:00' })));
        expect(next.caseNo).toBe('HD202511270001');
      } finally {
        h.now = saved;
      }
    });

    it('an external reference is entered once: a retry gets the same event, and the database refuses a second row', async () => {
      const again = await h.submit('hotline_12345', hotlineOrder('GZ-0001'));
      expect(again.kind).toBe('duplicate');
      const first = await h.events.findByExternalRef({ system: '12345', id: 'GZ-0001' });
      expect(again).toMatchObject({ eventId: first!.eventId, caseNo: 'HD202511260001' });
      expect(await h.events.findByExternalRef({ system: '12345', id: 'nope' })).toBeNull();

      // bypassing intake's claim: the events store's unique index still refuses it, and nothing is half-written
      const ref = await h.reference();
      const before = await h.rows<{ n: number }>(sql`select count(*)::int as n from events`);
      const draft = (await import('../../../src/datacenter/intake/sources/index')).adaptIntake(
        'hotline_12345',
        hotlineOrder('GZ-0001'),
        (await import('../../../src/datacenter/intake/sources/index')).createIntakeContext({ now: h.now }),
      );
      if (!draft.ok) throw new Error('draft');
      const placement = (await import('../../../src/datacenter/intake/service')).placeDraft(draft.value, ref);
      await expect(h.events.createEvent(draft.value, placement, [])).rejects.toMatchObject({ code: 'conflict' });
      expect(await h.rows<{ n: number }>(sql`select count(*)::int as n from events`)).toEqual(before);
    });

    it("intake's sets that arrive while one is written go together in the next write; a set that fails there fails alone", async () => {
      const { adaptIntake, createIntakeContext } = await import('../../../src/datacenter/intake/sources/index');
      const { placeDraft } = await import('../../../src/datacenter/intake/service');
      const { createEventsStore } = await import('../../../src/datacenter/events/store');
      let writes = 0;
      const events = createEventsStore({ db: h.store.db, writeReplicated: (db, work) => (writes++, h.write(db, work)), config: h.config, clock: () => h.now });
      const ref = await h.reference();
      const ctx = createIntakeContext({ now: h.now });
      // 2 km south of grid B's label point: no near-duplicates of the suite's other reports
      const item = (orderNo: string) => {
        const d = adaptIntake('hotline_12345', hotlineOrder(orderNo, GRID_B, { latitude: GRID_B.labelPoint[1] - 0.018 }), ctx);
        if (!d.ok) throw new Error('draft');
        return { draft: d.value, placement: placeDraft(d.value, ref), duplicates: [] };
      };
      const caseSeq = (x: { caseNo: string }) => Number(x.caseNo.slice(-4));

      // three sets at once: the first is written at once, the two that wait go together — one write
      const [a, b, c] = await Promise.all([events.createEvents!([item('SET-A1'), item('SET-A2')]), events.createEvents!([item('SET-B1')]), events.createEvents!([item('SET-C1'), item('SET-C2')])]);
      expect(writes).toBe(2);
      // case numbers in the order of the calls, each set's in its order
      expect([...a, ...b, ...c].map((x) => caseSeq(x) - caseSeq(a[0]!))).toEqual([0, 1, 2, 3, 4]);
      const written = await h.rows<{ external_id: string; id: string }>(sql`select external_id, id from events where external_id like 'SET-%' order by case_no`);
      expect(written.map((w) => w.external_id)).toEqual(['SET-A1', 'SET-A2', 'SET-B1', 'SET-C1', 'SET-C2']);
      expect(written.map((w) => w.id)).toEqual([...a, ...b, ...c].map((x) => x.eventId));

      // a set whose insert fails (a reference entered before, bypassing intake's claim) fails alone:
      // the combined write is given up and each waiting set is written on its own
      writes = 0;
      const [d, e, f] = await Promise.allSettled([
        events.createEvents!([item('SET-D1')]),
        events.createEvents!([item('SET-E1'), item('SET-A1')]),
        events.createEvents!([item('SET-F1')]),
      ]);
      expect(d.status).toBe('fulfilled');
      expect(e).toMatchObject({ status: 'rejected', reason: { code: 'conflict' } });
      expect(f.status).toBe('fulfilled');
      expect(writes).toBe(4); // D; E with F (refused); E alone (refused) and F alone
      const after = await h.rows<{ external_id: string }>(sql`select external_id from events where external_id in ('SET-D1', 'SET-E1', 'SET-F1') order by external_id`);
      expect(after.map((r) => r.external_id)).toEqual(['SET-D1', 'SET-F1']);
    });

    it('a set insert writes every column of the event and audit rows as the one-event insert does (the set reads only the columns from its JSON)', async () => {
      const { adaptIntake, createIntakeContext } = await import('../../../src/datacenter/intake/sources/index');
      const { placeDraft } = await import('../../../src/datacenter/intake/service');
      const { prepareEvent, insertNewEvent, insertNewEvents, PENDING_CASE_NO } = await import('../../../src/datacenter/events/create');
      const { filesOnIntake, sourceActor } = await import('../../../src/datacenter/events/intake-policy');
      const ref = await h.reference();
      const ctx = await h.config.current();
      // a grid-patrol report (filed on intake: two audit entries) and a 12345 order (one), each written both ways
      const drafts = [
        adaptIntake('hotline_12345', hotlineOrder('COLS-1', GRID_B, { latitude: GRID_B.labelPoint[1] - 0.03 }), createIntakeContext({ now: h.now })),
        adaptIntake('grid_patrol', patrolReport('COLS-2'), createIntakeContext({ now: h.now })),
      ];
      const prepared = (id: string, n: number) => {
        const d = drafts[n]!;
        if (!d.ok) throw new Error('draft');
        const placement = placeDraft(d.value, ref);
        const p = prepareEvent({ draft: { ...d.value, externalRef: d.value.externalRef && { ...d.value.externalRef, id: `${d.value.externalRef.id}-${id}` } }, placement, duplicates: [], reporter: sourceActor(d.value.source, placement.area.districtCode), file: filesOnIntake(d.value), now: h.now, ctx, id }, PENDING_CASE_NO);
        if (!p.ok) throw new Error('prepare');
        return p.value;
      };
      const ids = { one: ['cols-one-0', 'cols-one-1'], set: ['cols-set-0', 'cols-set-1'] };
      for (const n of [0, 1]) await h.write(h.store.db, (tx, out) => insertNewEvent(tx, out, prepared(ids.one[n]!, n)));
      const { v: setV } = await h.write(h.store.db, (tx, out) => insertNewEvents(tx, out, [0, 1].map((n) => ({ prepared: prepared(ids.set[n]!, n) }))));
      // everything but what differs by construction — id, case number, external id (also inside the documents) and version
      const eventRows = await h.rows<{ id: string; case_no: string; external_id: string; j: unknown }>(sql`select id, case_no, external_id, to_jsonb(e) - 'v' as j from events e where id like 'cols-%'`);
      const auditRows = await h.rows<{ event_id: string; j: unknown }>(sql`select event_id, to_jsonb(a) - 'v' as j from audit a where event_id like 'cols-%' order by seq`);
      const normalised = (id: string) => {
        const e = eventRows.find((r) => r.id === id)!;
        const text = JSON.stringify({ event: e.j, audit: auditRows.filter((a) => a.event_id === id).map((a) => a.j) });
        return JSON.parse(text.replaceAll(e.id, 'ID').replaceAll(e.case_no, 'CASE').replaceAll(e.external_id, 'EXT')) as { event: unknown; audit: unknown[] };
      };
      for (const n of [0, 1]) {
        const one = normalised(ids.one[n]!);
        expect(one.audit).toHaveLength(n === 0 ? 1 : 2);
        expect(normalised(ids.set[n]!)).toEqual(one);
      }
      const [set] = await h.rows<{ v: number; n: number }>(sql`select min(v)::int as v, count(*)::int as n from events where id like 'cols-set-%'`);
      expect(set).toEqual({ v: setV, n: 2 });
      const [setAudit] = await h.rows<{ v: number; n: number }>(sql`select min(v)::int as v, count(*)::int as n from audit where event_id like 'cols-set-%'`);
      expect(setAudit).toEqual({ v: setV, n: 3 });
    });

    it('suggests open events of the same category nearby as duplicates; finished ones are not suggested', async () => {
      const a = expectCreated(await h.submit('hotline_12345', hotlineOrder('GZ-DUP-1', GRID_B)));
      const outcome = await h.submit('hotline_12345', hotlineOrder('GZ-DUP-2', GRID_B, { acceptedAt: '2025-11-26 09:40:00' }));
      if (outcome.kind !== 'created') throw new Error('not created');
      expect(outcome.duplicateCandidates.map((d) => d.eventId)).toEqual([a.eventId]);
      expect((await h.events.getEvent(outcome.eventId))!.duplicateCandidates).toEqual([a.eventId]);

      // elsewhere or another category: nothing
      const far = await h.submit('hotline_12345', hotlineOrder('GZ-DUP-3', GRID_A, { classification: '噪声扰民' }));
      if (far.kind !== 'created') throw new Error('not created');
      expect(far.duplicateCandidates.map((d) => d.eventId)).not.toContain(a.eventId);

      const r1 = await h.command(a.eventId, { type: 'reject', reason: '不属实' }, actors.desk);
      expect(r1.ok).toBe(true);
      const r2 = await h.command(outcome.eventId, { type: 'reject', reason: '不属实' }, actors.desk);
      expect(r2.ok).toBe(true);
      const later = await h.submit('hotline_12345', hotlineOrder('GZ-DUP-4', GRID_B, { acceptedAt: '2025-11-26 09:50:00' }));
      if (later.kind !== 'created') throw new Error('not created');
      expect(later.duplicateCandidates).toEqual([]);
      const near = await h.events.openEventsNear({ lon: GRID_B.labelPoint[0], lat: GRID_B.labelPoint[1], radiusMetres: 50, from: new Date('2025-11-25T00:00:00Z'), to: new Date('2025-11-27T00:00:00Z') });
      expect(near.map((n) => n.eventId)).toEqual([later.eventId]);
      // the report time as the stored timestamptz reads (pgInstant of its text), also with microseconds
      // (cut to milliseconds, as Date.parse cuts them) and before 1970
      const [{ reported_at: storedAt }] = (await h.rows<{ reported_at: string }>(sql`select reported_at::text as reported_at from events where id = ${later.eventId}`)) as [{ reported_at: string }];
      expect(near[0]!.reportedAt).toBe(pgInstant(storedAt));
      for (const [at, iso] of [
        ['2025-11-26 09:50:00.123987+00', '2025-11-26T09:50:00.123Z'],
        ['1969-12-31 23:59:59.999999+00', '1969-12-31T23:59:59.999Z'],
        ['1969-12-31 23:59:58.000001+00', '1969-12-31T23:59:58.000Z'],
      ]) {
        await h.store.db.execute(sql`update events set reported_at = ${at}::timestamptz where id = ${later.eventId}`);
        const found = await h.events.openEventsNear({ lon: GRID_B.labelPoint[0], lat: GRID_B.labelPoint[1], radiusMetres: 50, from: new Date('1969-01-01T00:00:00Z'), to: new Date('2025-11-27T00:00:00Z') });
        expect(found.map((n) => n.reportedAt)).toEqual([iso]);
        expect(found[0]!.reportedAt).toBe(pgInstant(at));
      }
      await h.store.db.execute(sql`update events set reported_at = ${storedAt}::timestamptz where id = ${later.eventId}`);
    });
  });

  describe('the audit trail is append-only in the database', () => {
    it('raw UPDATE, DELETE and TRUNCATE are refused, also with triggers switched to replica mode', async () => {
      const [{ n }] = (await h.rows<{ n: number }>(sql`select count(*)::int as n from audit`)) as [{ n: number }];
      expect(n).toBeGreaterThan(0);
      expect(await refusedWith(h, sql`update audit set command = 'forged'`)).toBe('HY001');
      expect(await refusedWith(h, sql`update audit set doc = jsonb_set(doc, '{reason}', '"forged"') where seq = 1`)).toBe('HY001');
      expect(await refusedWith(h, sql`delete from audit where seq = 1`)).toBe('HY001');
      expect(await refusedWith(h, sql`truncate audit`)).toBe('HY001');
      expect(await refusedWith(h, sql`truncate audit, events cascade`)).toBe('HY001');
      // session_replication_role = replica silences ordinary triggers, not ENABLE ALWAYS ones
      await h.store.db.transaction(async (tx) => {
        await tx.execute(sql`set local session_replication_role = replica`);
        let code = 'none';
        try {
          await tx.execute(sql`savepoint s`);
          await tx.execute(sql`delete from audit`);
        } catch (err) {
          code = (err as { cause?: { code?: string }; code?: string }).cause?.code ?? (err as { code?: string }).code ?? 'unknown';
          await tx.execute(sql`rollback to savepoint s`);
        }
        expect(code).toBe('HY001');
      });
      expect(await h.rows<{ n: number }>(sql`select count(*)::int as n from audit`)).toEqual([{ n }]);
      // appending still works, and an event cannot be deleted from under its trail
      expect(await refusedWith(h, sql`delete from events`)).toBe('23503');
    });

    it('events refuse a status outside the workflow and a half external reference', async () => {
      expect(await refusedWith(h, sql`update events set status = 'lost'`)).toBe('23514');
      expect(await refusedWith(h, sql`update events set external_id = null where external_system is not null`)).toBe('23514');
    });
  });

  describe('GET /api/v1/events and /api/v1/events/:id', () => {
    it('filters by status, source, town, category branch, report time and external reference', async () => {
      const all = await get('/api/v1/events?limit=500');
      expect(all.status).toBe(200);
      const items = all.body.value.items as EventRecord[];
      expect(items.length).toBeGreaterThanOrEqual(10);
      // newest first
      const times = items.map((e) => Date.parse(e.workflow.reportedAt));
      expect([...times].sort((a, b) => b - a)).toEqual(times);

      const filed = (await get('/api/v1/events?status=filed&limit=500')).body.value.items as EventRecord[];
      expect(filed.length).toBeGreaterThan(0);
      expect(filed.every((e) => e.workflow.status === 'filed')).toBe(true);

      const two = (await get('/api/v1/events?source=grid_patrol,urban_management')).body.value.items as EventRecord[];
      expect(new Set(two.map((e) => e.source))).toEqual(new Set(['grid_patrol', 'urban_management']));

      const townB = (await get(`/api/v1/events?town=${GRID_B.townCode}`)).body.value.items as EventRecord[];
      expect(townB.length).toBeGreaterThan(0);
      expect(townB.every((e) => e.workflow.area.townCode === GRID_B.townCode)).toBe(true);

      const branch = (await get('/api/v1/events?category=04')).body.value.items as EventRecord[];
      expect(branch.length).toBeGreaterThan(0);
      expect(branch.every((e) => e.workflow.categoryCode!.startsWith('04'))).toBe(true);

      const ref = (await get('/api/v1/events?externalSystem=12345&externalId=GZ-0001')).body.value.items as EventRecord[];
      expect(ref.map((e) => e.caseNo)).toEqual(['HD202511260001']);

      const nextDay = (await get('/api/v1/events?since=2025-11-27')).body.value.items as EventRecord[];
      expect(nextDay.map((e) => e.externalRef?.id)).toEqual(['GZ-0003']);
      const untilDay = (await get('/api/v1/events?until=2025-11-27&limit=500')).body.value.items as EventRecord[];
      expect(untilDay.length).toBe(items.length - 1);
    });

    it('pages with a cursor without gaps or repeats', async () => {
      const all = (await get('/api/v1/events?limit=500')).body.value.items as EventRecord[];
      const seen: string[] = [];
      let cursor: string | null = null;
      do {
        const page: { status: number; body: { value: { items: EventRecord[]; nextCursor: string | null } } } = await get(`/api/v1/events?limit=3${cursor ? `&cursor=${cursor}` : ''}`);
        expect(page.status).toBe(200);
        seen.push(...page.body.value.items.map((e) => e.id));
        cursor = page.body.value.nextCursor;
      } while (cursor);
      expect(seen).toEqual(all.map((e) => e.id));
    });

    it('answers one event with its audit timeline, by id or case number', async () => {
      const id = (await h.events.findByExternalRef({ system: 'grid-app', id: 'GP-0001' }))!.eventId;
      const byId = await get(`/api/v1/events/${id}`);
      expect(byId.status).toBe(200);
      expect(byId.body.value.event.id).toBe(id);
      expect(byId.body.value.audit.map((a: { command: string }) => a.command)).toEqual(['report', 'file']);
      const byCase = await get(`/api/v1/events/${byId.body.value.event.caseNo}`);
      expect(byCase.body.value.event.id).toBe(id);
      expect((await get('/api/v1/events/no-such-event')).status).toBe(404);
    });

    it('limits a town officer to their town, and refuses bad filters with the field named', async () => {
      const mine = (await get('/api/v1/events?limit=500', actors.townA)).body.value.items as EventRecord[];
      expect(mine.length).toBeGreaterThan(0);
      expect(mine.every((e) => e.workflow.area.townCode === TOWN_A)).toBe(true);
      const other = (await get(`/api/v1/events?town=${GRID_B.townCode}`, actors.townA)).body.value.items;
      expect(other).toEqual([]);
      const foreign = (await get(`/api/v1/events?town=${GRID_B.townCode}`)).body.value.items[0] as EventRecord;
      expect((await get(`/api/v1/events/${foreign.id}`, actors.townA)).status).toBe(403);

      const bad = await get('/api/v1/events?status=lost&since=yesterday&limit=0');
      expect(bad.status).toBe(400);
      expect(bad.body.error.code).toBe('invalid_args');
      expect(bad.body.error.details.map((d: { field: string }) => d.field).sort()).toEqual(['limit', 'since', 'status.0']);
      expect((await get('/api/v1/events?cursor=bogus')).status).toBe(400);
    });
  });
});
