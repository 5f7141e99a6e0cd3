/**
 * The wall's state at a real data center (PGlite and PostgreSQL): a one-key call raises an alert
 * in the intake's own transaction, replicated district-wide; duty officers acknowledge it through
 * `POST /api/v1/commands` (`wall/ack`) — a second acknowledgement, a wall viewer, a unit operator
 * and a town officer of another town are refused with stable codes; `wall/directive` pushes a view
 * stamped with who and when, refuses a bad one with its field and keeps the newest 20; an ordinary
 * report raises nothing. Everything is read back as the sync feed's snapshot ships it.
 */
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { CommandsResponse } from '../../../src/core/sync/protocol';
import { WallAlert } from '../../../src/core/rpc/wall';
import { DEMO_PASSWORD, demoApiKey } from '../../../src/datacenter/auth';
import { startDataCenter, type DataCenter } from '../../../src/datacenter/server';
import type { DataCenterDb } from '../../../src/datacenter/store/database';
import { rowsOf } from '../../../src/datacenter/store/migration';
import { DIRECTIVES_KEPT } from '../../../src/datacenter/wall';
import { forEachBackend } from './backends';
import { demo, HARNESS_TIMEOUT_MS, hotlineOrder } from './events-fixtures';

forEachBackend('wall alerts and directives', (backend) => {
  let dc: DataCenter;
  let store: DataCenterDb;
  const tokens: Record<string, string> = {};
  let mutationId = 0;

  beforeAll(async () => {
    store = await backend.fresh();
    dc = await startDataCenter({ port: 0, seed: 'demo', database: store, slaScheduler: false });
    for (const login of ['duty', 'wall', 'town', 'unit-cg', 'supervisor']) {
      const res = await fetch(`${dc.url}/api/v1/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ login, password: DEMO_PASSWORD }) });
      expect(res.status, login).toBe(200);
      tokens[login] = ((await res.json()) as { value: { accessToken: string } }).value.accessToken;
    }
  }, HARNESS_TIMEOUT_MS);
  afterAll(async () => {
    await dc?.close();
  });

  const push = async (who: string, mutation: unknown) => {
    const res = await fetch(`${dc.url}/api/v1/commands`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${tokens[who]}` },
      body: JSON.stringify({ clientId: `wall-test-${who}`, mutations: [{ mutationId: ++mutationId, createdAt: new Date().toISOString(), mutation }] }),
    });
    expect(res.status).toBe(200);
    return ((await res.json()) as CommandsResponse).results[0]!;
  };
  const wallRows = async () =>
    rowsOf<{ key: string; scope: string | null; row: unknown }>(await store.db.execute(sql`select key, scope, row::jsonb as row from sync_rows where table_name = 'wall' order by v, key`)).map((r) => ({
      ...r,
      row: (typeof r.row === 'string' ? JSON.parse(r.row) : r.row) as Record<string, unknown>,
    }));

  // the demo's town officer is scoped to the first town by code; a grid in another town
  const firstTown = [...demo.towns].map((t) => t.code).sort()[0]!;
  const foreignGrid = demo.grids.find((g) => g.townCode !== firstTown)!;

  const oneKey = (callId: string, grid = foreignGrid) => ({
    callId,
    caller: { name: '张老板', phone: '13700001111', organisation: '好再来餐馆' },
    location: { lon: grid.labelPoint[0], lat: grid.labelPoint[1], coordSystem: 'wgs84' },
    callType: 'fire',
    message: '后厨起火',
    calledAt: '2025-11-26 15:40:00',
  });

  let alertId: string;
  let eventId: string;

  it('a one-key call raises an alert with the intake, district-wide; an ordinary report raises none', async () => {
    const before = (await wallRows()).length;
    const hotline = await fetch(`${dc.url}/api/v1/intake/hotline_12345`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': demoApiKey('hotline_12345') },
      body: JSON.stringify(hotlineOrder('WALL-1')),
    });
    expect(hotline.status).toBe(201);
    expect(await wallRows()).toHaveLength(before);

    const res = await fetch(`${dc.url}/api/v1/intake/one_key`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': demoApiKey('one_key') },
      body: JSON.stringify(oneKey('OK-WALL-1')),
    });
    expect(res.status).toBe(201);
    const created = ((await res.json()) as { value: { eventId: string; caseNo: string } }).value;
    eventId = created.eventId;
    const rows = await wallRows();
    expect(rows).toHaveLength(before + 1);
    const row = rows.at(-1)!;
    expect(row.scope).toBeNull();
    const alert = WallAlert.parse(row.row);
    alertId = alert.id;
    expect(row.key).toBe(`alert:${alert.id}`);
    expect(alert).toMatchObject({ kind: 'one_key', eventId, caseNo: created.caseNo, townCode: foreignGrid.townCode, gridCode: foreignGrid.code, ackedAt: null, ackedBy: null });
    expect(Date.parse(alert.respondBy) - Date.parse(alert.raisedAt)).toBe(3 * 60_000);
    // in the same version as the event: one transaction
    const [v] = rowsOf<{ same: boolean }>(
      await store.db.execute(sql`select (select v from sync_rows where table_name = 'wall' and key = ${row.key}) = (select v from sync_rows where table_name = 'events' and key = ${eventId}) as same`),
    );
    expect(v!.same).toBe(true);
  });

  it('only desk roles within their area acknowledge, once', async () => {
    expect(await push('wall', { name: 'wall/ack', alertId })).toMatchObject({ status: 'rejected', error: { code: 'forbidden_role' } });
    expect(await push('unit-cg', { name: 'wall/ack', alertId })).toMatchObject({ status: 'rejected', error: { code: 'forbidden_role' } });
    expect(await push('town', { name: 'wall/ack', alertId })).toMatchObject({ status: 'rejected', error: { code: 'out_of_scope' } });
    expect(await push('duty', { name: 'wall/ack', alertId: 'no-such-alert' })).toMatchObject({ status: 'rejected', error: { code: 'not_found' } });
    const ok = await push('duty', { name: 'wall/ack', alertId });
    expect(ok).toMatchObject({ status: 'applied', result: { alertId } });
    const acked = WallAlert.parse((await wallRows()).find((r) => r.key === `alert:${alertId}`)!.row);
    expect(acked.ackedBy).toEqual({ id: 'demo-duty', name: expect.any(String) });
    expect(Date.parse(acked.ackedAt!)).toBeGreaterThan(Date.parse(acked.raisedAt) - 1);
    const again = await push('supervisor', { name: 'wall/ack', alertId });
    expect(again).toMatchObject({ status: 'rejected', error: { code: 'illegal_transition' } });
    expect(again.error!.message).toContain('already acknowledged');
  });

  it('wall/directive: stamped by the data center, validated by field, only the newest 20 kept', async () => {
    expect(await push('wall', { name: 'wall/directive', directive: { id: 'd-x', focus: { kind: 'district' } } })).toMatchObject({
      status: 'rejected',
      error: { code: 'forbidden_role' },
    });
    const bad = await push('duty', { name: 'wall/directive', directive: { id: 'd-bad', focus: { kind: 'grid', code: '12' } } });
    expect(bad).toMatchObject({ status: 'rejected', error: { code: 'invalid_args' } });
    expect(JSON.stringify(bad.error!.details)).toContain('directive.focus.code');

    const first = await push('duty', { name: 'wall/directive', directive: { id: 'd-1', issuedAt: '2000-01-01T00:00:00.000Z', focus: { kind: 'event', eventId }, layers: { show: ['heatmap'] } } });
    expect(first).toMatchObject({ status: 'applied', result: { directiveId: 'd-1' } });
    const row = (await wallRows()).find((r) => r.key === 'directive:d-1')!;
    const directive = row.row.directive as Record<string, unknown>;
    expect(directive).toMatchObject({ id: 'd-1', walls: 'all', focus: { kind: 'event', eventId }, issuedBy: { id: 'demo-duty' }, holdSeconds: 300 });
    // the data center's time, not the client's
    expect(Date.parse(directive.issuedAt as string)).toBeGreaterThan(Date.parse('2020-01-01'));
    expect(await push('duty', { name: 'wall/directive', directive: { id: 'd-1', focus: { kind: 'district' } } })).toMatchObject({ status: 'rejected', error: { code: 'conflict' } });

    for (let i = 2; i <= DIRECTIVES_KEPT + 5; i++) {
      expect((await push('supervisor', { name: 'wall/directive', directive: { id: `d-${i}`, tour: { enabled: true } } })).status).toBe('applied');
    }
    const kept = (await wallRows()).filter((r) => r.key.startsWith('directive:')).map((r) => r.key);
    expect(kept).toHaveLength(DIRECTIVES_KEPT);
    expect(kept).toContain(`directive:d-${DIRECTIVES_KEPT + 5}`);
    expect(kept).not.toContain('directive:d-1');
    // the alert is untouched by the pruning
    expect((await wallRows()).some((r) => r.key === `alert:${alertId}`)).toBe(true);
  });
});
