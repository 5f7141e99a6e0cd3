/**
 * The workflow as a real data center serves it (startDataCenter on PGlite and PostgreSQL, demo
 * accounts and API keys, real tokens): intake with a source system's key creates events in the
 * events store; `POST /api/v1/commands` runs `event/command` and `event/intake` for the account
 * behind the token (a wall viewer's and a foreign town officer's commands come back rejected with
 * stable codes); the read endpoints and the configuration admin check role and scope; a bad
 * configuration is refused with field errors and nothing changes; the scheduler runs on demand.
 */
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CommandsResponse } from '../../../src/core/sync/protocol';
import { DEMO_PASSWORD, demoApiKey } from '../../../src/datacenter/auth';
import { startDataCenter, type DataCenter } from '../../../src/datacenter/server';
import type { DataCenterDb } from '../../../src/datacenter/store/database';
import { rowsOf } from '../../../src/datacenter/store/migration';
import { demo, GRID_A, HARNESS_TIMEOUT_MS, hotlineOrder, patrolReport } from './events-fixtures';
import { forEachBackend } from './backends';

forEachBackend('workflow over HTTP', (backend) => {
  let dc: DataCenter;
  let store: DataCenterDb;
  const tokens: Record<string, string> = {};
  let mutationId = 0;

  beforeAll(async () => {
    store = await backend.fresh();
    dc = await startDataCenter({ port: 0, seed: 'demo', database: store, slaScheduler: false });
    for (const login of ['admin', 'duty', 'intake', 'wall', 'town', 'supervisor', 'unit-cg']) {
      const res = await fetch(`${dc.url}/api/v1/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ login, password: DEMO_PASSWORD }) });
      expect(res.status, login).toBe(200);
      tokens[login] = ((await res.json()) as { value: { accessToken: string } }).value.accessToken;
    }
  }, HARNESS_TIMEOUT_MS);
  afterAll(async () => {
    await dc?.close();
  });

  const call = async (method: string, path: string, who: string | null, body?: unknown, headers: Record<string, string> = {}) => {
    const res = await fetch(`${dc.url}${path}`, {
      method,
      headers: { ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...(who ? { authorization: `Bearer ${tokens[who]}` } : {}), ...headers },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    return { status: res.status, body: (await res.json()) as Record<string, any>, headers: res.headers }; // eslint-disable-line @typescript-eslint/no-explicit-any
  };
  const push = async (who: string, ...mutations: unknown[]) => {
    const res = await call('POST', '/api/v1/commands', who, { clientId: `client-${who}`, mutations: mutations.map((mutation) => ({ mutationId: ++mutationId, createdAt: new Date().toISOString(), mutation })) });
    expect(res.status).toBe(200);
    return (res.body as unknown as CommandsResponse).results;
  };
  const intake = (source: string, payload: unknown, key: string | null = demoApiKey(source as never)) =>
    call('POST', `/api/v1/intake/${source}`, null, payload, key ? { 'x-api-key': key } : {});

  // the demo's town officer is scoped to the first town by code
  const firstTown = [...demo.towns].map((t) => t.code).sort()[0]!;
  const gridIn = (inFirst: boolean) => demo.grids.find((g) => (g.townCode === firstTown) === inFirst)!;

  describe('intake and commands', () => {
    let mine: string;
    let foreign: string;

    it('intake needs the source system key and lands in the events store', async () => {
      expect((await intake('hotline_12345', hotlineOrder('WEB-1'), null)).status).toBe(401);
      const a = await intake('hotline_12345', hotlineOrder('WEB-1', gridIn(true)));
      expect(a.status, JSON.stringify(a.body)).toBe(201);
      mine = a.body.value.eventId;
      const b = await intake('grid_patrol', patrolReport('WEB-GP-1', gridIn(false)));
      expect(b.status).toBe(201);
      foreign = b.body.value.eventId;
      const rows = rowsOf<{ status: string }>(await store.db.execute(sql`select status from events where id in (${mine}, ${foreign}) order by status desc`));
      expect(rows.map((r) => r.status)).toEqual(['reported', 'filed']);
    });

    it('commands run for the account behind the token; refusals come back as rejected acks with stable codes', async () => {
      const results = await push(
        'duty',
        { name: 'event/command', eventId: mine, command: { type: 'verify' } },
        { name: 'event/command', eventId: mine, command: { type: 'file', categoryCode: '0702' } },
        { name: 'event/command', eventId: mine, command: { type: 'close' } },
      );
      expect(results.map((r) => [r.status, r.error?.code ?? null])).toEqual([
        ['applied', null],
        ['applied', null],
        ['rejected', 'illegal_transition'],
      ]);
      expect(results[1]!.result).toMatchObject({ eventId: mine, status: 'filed', version: 3 });

      const wall = await push('wall', { name: 'event/command', eventId: mine, command: { type: 'dispatch', leadUnitId: 'dept-cg' }, actor: { id: 'demo-admin', role: 'admin' } });
      expect(wall.map((r) => [r.status, r.error?.code])).toEqual([['rejected', 'forbidden_role']]);
      const town = await push('town', { name: 'event/command', eventId: foreign, command: { type: 'dispatch', leadUnitId: 'dept-cg' } });
      expect(town.map((r) => [r.status, r.error?.code])).toEqual([['rejected', 'out_of_scope']]);
      const ok = await push('town', { name: 'event/command', eventId: mine, command: { type: 'dispatch', leadUnitId: 'dept-cg' } });
      expect(ok.map((r) => r.status)).toEqual(['applied']);
      const unit = await push('unit-cg', { name: 'event/command', eventId: mine, command: { type: 'sign' } });
      expect(unit.map((r) => r.status)).toEqual(['applied']);

      const audit = rowsOf<{ command: string; actor_id: string }>(await store.db.execute(sql`select command, actor_id from audit where event_id = ${mine} order by seq`));
      expect(audit.map((a) => [a.command, a.actor_id])).toEqual([
        ['report', 'source:hotline_12345'],
        ['verify', 'demo-duty'],
        ['file', 'demo-duty'],
        ['dispatch', 'demo-town'],
        ['sign', 'demo-unit-cg'],
      ]);
    });

    it('event/intake by an intake agent; not by a wall viewer', async () => {
      const [r] = await push('intake', { name: 'event/intake', event: { title: '路灯不亮', location: { lon: GRID_A.labelPoint[0], lat: GRID_A.labelPoint[1] }, categoryCode: '040202' } });
      expect(r!.status).toBe('applied');
      expect(r!.result).toMatchObject({ status: 'reported', outsideDistrict: false });
      const [w] = await push('wall', { name: 'event/intake', event: { title: '路灯不亮' } });
      expect([w!.status, w!.error?.code]).toEqual(['rejected', 'forbidden_role']);
    });
  });

  describe('read endpoints, configuration admin, scheduler', () => {
    it('GET /api/v1/events: signed-in desk roles, within their scope', async () => {
      expect((await call('GET', '/api/v1/events', null)).status).toBe(401);
      expect((await call('GET', '/api/v1/events', 'wall')).status).toBe(403);
      const all = await call('GET', '/api/v1/events?limit=100', 'duty');
      expect(all.status).toBe(200);
      expect(all.body.value.items.length).toBe(3);
      type Item = { id: string; workflow: { area: { townCode: string } } };
      const town = await call('GET', '/api/v1/events?limit=100', 'town');
      const expected = (all.body.value.items as Item[]).filter((e) => e.workflow.area.townCode === firstTown).map((e) => e.id);
      expect(expected.length).toBeGreaterThan(0);
      expect((town.body.value.items as Item[]).map((e) => e.id)).toEqual(expected);
      const one = await call('GET', `/api/v1/events/${all.body.value.items[0].id}`, 'supervisor');
      expect(one.status).toBe(200);
      expect(one.body.value.audit.length).toBeGreaterThan(0);
    });

    it('configuration: admin only; bad documents refused with field errors and nothing written; a good one replicated', async () => {
      expect((await call('GET', '/api/v1/admin/config', 'duty')).status).toBe(403);
      const list = await call('GET', '/api/v1/admin/config', 'admin');
      expect(list.status).toBe(200);
      expect(list.body.value.documents.map((d: { name: string }) => d.name)).toEqual(['calendar', 'responsibility', 'taxonomy', 'workflow']);
      expect(list.body.value.problems).toEqual([]);

      const cal = await call('GET', '/api/v1/admin/config/calendar', 'admin');
      const calendar = cal.body.value.document as { makeUpWorkdays: { date: string }[] };
      const broken = { ...calendar, makeUpWorkdays: [{ ...calendar.makeUpWorkdays[0]!, date: '2025-09-29' }, ...calendar.makeUpWorkdays.slice(1)] };
      const bad = await call('PUT', '/api/v1/admin/config/calendar', 'admin', broken);
      expect(bad.status).toBe(400);
      expect(bad.body.error.details.map((d: { field: string }) => d.field)).toContain('calendar:makeUpWorkdays.0.date');
      expect((await call('GET', '/api/v1/admin/config/calendar', 'admin')).body.value).toEqual(cal.body.value);

      const wf = (await call('GET', '/api/v1/admin/config/workflow', 'admin')).body.value;
      const changed = { ...wf.document, version: 'site-2025.2' };
      expect((await call('PUT', '/api/v1/admin/config/workflow', 'admin', changed, { 'if-match': `"${wf.v - 1}"` })).status).toBe(409);
      const put = await call('PUT', '/api/v1/admin/config/workflow', 'admin', changed, { 'if-match': `"${wf.v}"` });
      expect(put.status, JSON.stringify(put.body)).toBe(200);
      const v = put.body.value.documents[0].v;
      expect(v).toBeGreaterThan(wf.v);
      const synced = rowsOf<{ v: string; row: { version: string } }>(await store.db.execute(sql`select v, row::jsonb as row from sync_rows where table_name = 'config' and key = 'workflow'`));
      expect(synced.map((s) => [Number(s.v), s.row.version])).toEqual([[v, 'site-2025.2']]);
      expect((await call('GET', '/api/v1/admin/config/nope', 'admin')).status).toBe(404);
    });

    it('the scheduler runs on demand for an admin', async () => {
      expect((await call('POST', '/api/v1/admin/scheduler/run', 'duty', {})).status).toBe(403);
      const run = await call('POST', '/api/v1/admin/scheduler/run', 'admin', {});
      expect(run.status).toBe(200);
      expect(run.body.value).toMatchObject({ failed: 0 });
    });
  });
});
