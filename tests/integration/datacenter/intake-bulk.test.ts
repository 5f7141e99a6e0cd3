/**
 * Set-based intake at a real data center (PGlite and PostgreSQL): `POST /api/v1/intake/{source}/bulk`
 * answers per payload what its single POST would have — created, duplicate (also of a repeat within
 * the request), rejected into the quarantine with its field errors, or failed (a reference entered
 * with another payload) — and nothing is lost; the events of one request get consecutive case
 * numbers, one audit entry each, their sync rows and change-log entries, a near-duplicate within
 * the same request is suggested as if they had come one after another, and a one-key call still
 * raises its wall alert. Concurrent single POSTs, taken in together, keep their own answers.
 */
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { extractValues } from '../../../src/core/sync/extraction';
import { demoApiKey } from '../../../src/datacenter/auth';
import { startDataCenter, type DataCenter } from '../../../src/datacenter/server';
import type { DataCenterDb } from '../../../src/datacenter/store/database';
import { rowsOf } from '../../../src/datacenter/store/migration';
import { forEachBackend } from './backends';
import { GRID_A, GRID_B, HARNESS_TIMEOUT_MS, hotlineOrder } from './events-fixtures';

interface BulkAnswer {
  created: number;
  duplicates: number;
  rejected: number;
  failed: number;
  items: { index: number; result: string; status: number; value?: Record<string, unknown> & { eventId: string; caseNo: string }; error?: { code: string; details?: unknown }; quarantineId?: string }[];
}

forEachBackend('bulk and batched intake', (backend) => {
  let dc: DataCenter;
  let store: DataCenterDb;

  beforeAll(async () => {
    store = await backend.fresh();
    dc = await startDataCenter({ port: 0, seed: 'demo', database: store, slaScheduler: false });
  }, HARNESS_TIMEOUT_MS);
  afterAll(async () => {
    await dc?.close();
  });

  const post = (path: string, body: string, source: Parameters<typeof demoApiKey>[0] = 'hotline_12345', type = 'application/json') =>
    fetch(`${dc.url}${path}`, { method: 'POST', headers: { 'content-type': type, 'x-api-key': demoApiKey(source) }, body });
  const rows = async <T>(query: ReturnType<typeof sql>) => rowsOf<T>(await store.db.execute(query));
  // near one another (about 60 m apart), same category
  const near: [number, number] = [GRID_B.labelPoint[0] + 60 / 102_000, GRID_B.labelPoint[1]];

  it('answers per payload: created, duplicate, rejected into the quarantine, failed; nothing lost', async () => {
    const single = await post('/api/v1/intake/hotline_12345', JSON.stringify(hotlineOrder('BULK-0')));
    expect(single.status).toBe(201);
    const earlier = ((await single.json()) as { value: { eventId: string; caseNo: string } }).value;

    const items = [
      hotlineOrder('BULK-1'),
      { ...hotlineOrder('BULK-2'), longitude: 'east' }, // bad field
      hotlineOrder('BULK-0'), // entered before: a retry
      hotlineOrder('BULK-3', GRID_B),
      hotlineOrder('BULK-1'), // the same order twice in one request
      { ...hotlineOrder('BULK-0'), content: '别的内容' }, // entered before with another payload
      hotlineOrder('BULK-4', GRID_B, { longitude: near[0], latitude: near[1], acceptedAt: '2025-11-26 09:40:00' }), // near BULK-3
      { orderNo: 'BULK-5' }, // many fields missing
    ];
    const res = await post('/api/v1/intake/hotline_12345/bulk', JSON.stringify({ items }));
    expect(res.status).toBe(200);
    const { value } = (await res.json()) as { value: BulkAnswer };
    expect(value.items.map((x) => [x.index, x.result, x.status])).toEqual([
      [0, 'created', 201],
      [1, 'rejected', 400],
      [2, 'duplicate', 200],
      [3, 'created', 201],
      [4, 'duplicate', 200],
      [5, 'failed', 409],
      [6, 'created', 201],
      [7, 'rejected', 400],
    ]);
    expect({ created: value.created, duplicates: value.duplicates, rejected: value.rejected, failed: value.failed }).toEqual({ created: 3, duplicates: 2, rejected: 2, failed: 1 });
    const [c1, bad, retry, c3, twice, conflict, c4, bad2] = value.items as [BulkAnswer['items'][number], ...BulkAnswer['items']];
    expect(retry!.value).toEqual({ eventId: earlier.eventId, caseNo: earlier.caseNo, duplicate: true });
    expect(twice!.value).toEqual({ eventId: c1.value!.eventId, caseNo: c1.value!.caseNo, duplicate: true });
    expect(conflict!.error).toMatchObject({ code: 'conflict', details: { field: 'externalRef', eventId: earlier.eventId } });
    expect(bad!.error).toMatchObject({ code: 'invalid_args', details: [{ field: 'longitude' }] });
    // the later of two near reports of one request sees the earlier, as if sent one after the other
    expect(c4!.value!.duplicateCandidates).toEqual([{ eventId: c3!.value!.eventId, distanceMetres: expect.closeTo(60, 0), hoursApart: expect.any(Number) }]);
    expect(c3!.value!.duplicateCandidates).toEqual([]);
    expect(c1.value).toMatchObject({ duplicate: false, outsideDistrict: false, placement: { method: 'point', gridCode: GRID_A.code } });

    // each refused payload is its own quarantine row, verbatim as its single POST would have sent it
    for (const [answer, item] of [
      [bad!, items[1]],
      [bad2!, items[7]],
    ] as const) {
      const [q] = await rows<{ source: string; raw_payload: string; status: string; errors: unknown }>(sql`select source, raw_payload, status, errors from intake_quarantine where id = ${answer.quarantineId!}`);
      expect(q).toMatchObject({ source: 'hotline_12345', status: 'pending' });
      expect(JSON.parse(q!.raw_payload)).toEqual(item);
    }

    // one event per external reference, each with its audit entry, sync rows and change-log entries
    const created = [c1, c3!, c4!].map((x) => x.value!);
    const events = await rows<{ id: string; case_no: string; external_id: string; v: number; doc: unknown }>(
      sql`select id, case_no, external_id, v, doc from events where external_id like 'BULK-%' order by external_id`,
    );
    expect(events.map((e) => e.external_id)).toEqual(['BULK-0', 'BULK-1', 'BULK-3', 'BULK-4']);
    for (const c of created) {
      const e = events.find((x) => x.id === c.eventId)!;
      expect(e.case_no).toBe(c.caseNo);
      const doc = (typeof e.doc === 'string' ? JSON.parse(e.doc) : e.doc) as { caseNo: string; duplicateCandidates: string[] };
      expect(doc.caseNo).toBe(c.caseNo);
      const audit = await rows<{ seq: number; command: string }>(sql`select seq, command from audit where event_id = ${c.eventId} order by seq`);
      expect(audit).toEqual([{ seq: 1, command: 'report' }]);
      const synced = await rows<{ table_name: string; v: string | number }>(sql`select table_name, v from sync_rows where key in (${c.eventId}, ${c.eventId + ':1'}) order by table_name`);
      expect(synced.map((s) => s.table_name)).toEqual(['audit', 'events']);
      expect(Number(synced[0]!.v)).toBe(Number(e.v));
      // the replicated rows (made from the documents' texts the insert statement was given) are the rows written
      const [same] = await rows<{ event: boolean; audit: boolean; logged: number; row: string; cols: string }>(sql`
        select (select s.row = x.doc::text from sync_rows s, events x where s.table_name = 'events' and s.key = ${c.eventId} and x.id = ${c.eventId}) as event,
               (select s.row = a.doc::text from sync_rows s, audit a where s.table_name = 'audit' and s.key = ${c.eventId + ':1'} and a.event_id = ${c.eventId} and a.seq = 1) as audit,
               (select count(*)::int from change_log l join sync_rows s on s.table_name = l.table_name and s.key = l.key where l.key in (${c.eventId}, ${c.eventId + ':1'}) and l.row::text = s.row) as logged,
               (select row::text from sync_rows where table_name = 'events' and key = ${c.eventId}) as row,
               (select cols from sync_rows where table_name = 'events' and key = ${c.eventId}) as cols`);
      expect(same).toEqual(expect.objectContaining({ event: true, audit: true, logged: 2 }));
      expect(JSON.parse(same!.cols)).toEqual(extractValues('events', c.eventId, JSON.parse(same!.row)));
      const logged = await rows<{ n: number }>(sql`select count(*)::int as n from change_log where key in (${c.eventId}, ${c.eventId + ':1'})`);
      expect(logged[0]!.n).toBe(2);
      const [claim] = await rows<{ event_id: string; case_no: string }>(sql`select event_id, case_no from external_refs where system = '12345' and ref_id = ${e.external_id}`);
      expect(claim).toEqual({ event_id: c.eventId, case_no: c.caseNo });
    }
    expect((events.find((x) => x.id === c4!.value!.eventId)!.doc as { duplicateCandidates: string[] }).duplicateCandidates ?? JSON.parse(String(events.find((x) => x.id === c4!.value!.eventId)!.doc)).duplicateCandidates).toEqual([c3!.value!.eventId]);
    // the events of the request took consecutive case numbers, in the order sent
    const seq = created.map((c) => Number(c.caseNo.slice(-4)));
    expect(new Set(created.map((c) => c.caseNo)).size).toBe(3);
    expect(seq[1]! - seq[0]!).toBe(1);
  });

  it('near reports of one request, created in one statement, each name the ones before them, nearest first', async () => {
    // 700 m south of grid A's label point, away from the other tests' reports
    const at = (east: number): [number, number] => [GRID_A.labelPoint[0] + east / 102_000, GRID_A.labelPoint[1] - 700 / 111_000];
    const items = [0, 50, 100, 150].map((east, i) => hotlineOrder(`CHAIN-${i}`, GRID_A, { longitude: at(east)[0], latitude: at(east)[1] }));
    const res = await post('/api/v1/intake/hotline_12345/bulk', JSON.stringify({ items }));
    const { value } = (await res.json()) as { value: BulkAnswer };
    expect(value.created).toBe(4);
    const created = value.items.map((x) => x.value! as { eventId: string; caseNo: string; duplicateCandidates: { eventId: string }[] });
    const ids = (list: { eventId: string }[]) => list.map((x) => x.eventId);
    expect(created.map((c) => ids(c.duplicateCandidates))).toEqual([
      [],
      [created[0]!.eventId],
      [created[1]!.eventId, created[0]!.eventId],
      [created[2]!.eventId, created[1]!.eventId, created[0]!.eventId],
    ]);
    // what was written is what was answered: the ids, the suggestions, consecutive case numbers in the order sent
    const written = await rows<{ id: string; case_no: string; doc: unknown }>(sql`select id, case_no, doc from events where external_id like 'CHAIN-%' order by case_no`);
    expect(written.map((w) => w.id)).toEqual(created.map((c) => c.eventId));
    for (const [i, w] of written.entries()) {
      const doc = (typeof w.doc === 'string' ? JSON.parse(w.doc) : w.doc) as { duplicateCandidates: string[] };
      expect(doc.duplicateCandidates).toEqual(ids(created[i]!.duplicateCandidates));
      expect(w.case_no).toBe(created[i]!.caseNo);
    }
    const seq = created.map((c) => Number(c.caseNo.slice(-4)));
    expect(seq.map((n) => n - seq[0]!)).toEqual([0, 1, 2, 3]);
  });

  it('a body that is not a list of payloads is refused whole and kept in the quarantine', async () => {
    for (const body of ['{"items": []}', '[1, 2]', '{"items": [{}], "more": 1}', 'not json']) {
      const res = await post('/api/v1/intake/hotline_12345/bulk', body);
      expect(res.status, body).toBe(400);
      const answer = (await res.json()) as { ok: false; quarantineId: string; error: { code: string } };
      expect(answer.error.code).toBe('invalid_args');
      const [q] = await rows<{ raw_payload: string }>(sql`select raw_payload from intake_quarantine where id = ${answer.quarantineId}`);
      expect(q!.raw_payload).toBe(body);
    }
    const wrongKey = await fetch(`${dc.url}/api/v1/intake/hotline_12345/bulk`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-api-key': demoApiKey('one_key') }, body: '{"items":[{}]}' });
    expect(wrongKey.status).toBe(403);
  });

  it('a one-key call in a bulk request raises its wall alert in the same version as its event', async () => {
    const call = (callId: string) => ({
      callId,
      caller: { name: '张老板', phone: '13700001111', organisation: '好再来餐馆' },
      location: { lon: GRID_A.labelPoint[0], lat: GRID_A.labelPoint[1], coordSystem: 'wgs84' },
      callType: 'fire',
      message: '后厨起火',
      calledAt: '2025-11-26 15:40:00',
    });
    const res = await post('/api/v1/intake/one_key/bulk', JSON.stringify({ items: [call('BULK-OK-1'), call('BULK-OK-2')] }), 'one_key');
    const { value } = (await res.json()) as { value: BulkAnswer };
    expect(value.created).toBe(2);
    for (const item of value.items) {
      const [alert] = await rows<{ same: boolean }>(
        sql`select w.v = e.v as same from sync_rows w, sync_rows e where w.table_name = 'wall' and w.row::jsonb ->> 'eventId' = ${item.value!.eventId} and e.table_name = 'events' and e.key = ${item.value!.eventId}`,
      );
      expect(alert?.same).toBe(true);
    }
  });

  it('a repeat arriving while the first is still being written waits for it and answers duplicate, not 409', async () => {
    const order = JSON.stringify(hotlineOrder('INFLIGHT-1', GRID_A));
    const first = post('/api/v1/intake/hotline_12345', order);
    await new Promise((r) => setTimeout(r, 3));
    const second = post('/api/v1/intake/hotline_12345', order);
    const [a, b] = await Promise.all([first, second]);
    expect([a.status, b.status]).toEqual([201, 200]);
    const [va, vb] = (await Promise.all([a.json(), b.json()])) as { value: { eventId: string } }[];
    expect(vb!.value.eventId).toBe(va!.value.eventId);
  });

  it('concurrent single POSTs are taken in together yet each keeps its own answer', async () => {
    const orders = Array.from({ length: 24 }, (_, i) => hotlineOrder(`BATCH-${i}`, i % 2 ? GRID_A : GRID_B));
    const bodies = [...orders.map((o) => JSON.stringify(o)), JSON.stringify({ ...orders[0], latitude: 'north' }), JSON.stringify(orders[3])];
    const answers = await Promise.all(bodies.map((b) => post('/api/v1/intake/hotline_12345', b)));
    const statuses = answers.map((a) => a.status);
    expect(statuses.slice(0, 24).every((s) => s === 201 || s === 200)).toBe(true);
    expect(statuses.filter((s) => s === 201)).toHaveLength(24);
    expect(statuses[24]).toBe(400);
    expect(statuses[25]).toBe(200);
    const values = (await Promise.all(answers.map((a) => a.json()))) as { value?: { eventId: string; caseNo: string }; quarantineId?: string }[];
    expect(values[25]!.value!.eventId).toBe(values[3]!.value!.eventId);
    expect(new Set(values.slice(0, 24).map((v) => v.value!.caseNo)).size).toBe(24);
    const [n] = await rows<{ n: number }>(sql`select count(*)::int as n from events where external_id like 'BATCH-%'`);
    expect(n!.n).toBe(24);
    const [a] = await rows<{ n: number }>(sql`select count(*)::int as n from audit a join events e on e.id = a.event_id where e.external_id like 'BATCH-%'`);
    expect(a!.n).toBe(24);
    expect(values[24]!.quarantineId).toEqual(expect.any(String));
  });
});
