/**
 * The history generator on PGlite and PostgreSQL: past events with valid records and audit trails
 * as the workflow would have produced them (chained states, contiguous sequences, the SLA
 * scheduler's supervision after a deadline), written through the replication log's tables so a
 * client tailing the feed and a fresh snapshot agree row for row and with the checksums; case
 * numbers and external references stay consistent for intake that comes afterwards; the
 * `changeLog: false` path moves the retention floor instead.
 */
import { PassThrough } from 'node:stream';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { EventRecord } from '../../../src/core/events/types';
import { AuditEntry } from '../../../src/core/workflow/event';
import { createDomainConfigService } from '../../../src/datacenter/config/service';
import { nextCaseNo } from '../../../src/datacenter/events/create';
import { createEventsStore } from '../../../src/datacenter/events/store';
import { generateHistory, historyTableCounts } from '../../../src/datacenter/history/generate';
import { createPlacementReferenceCache } from '../../../src/datacenter/intake/reference';
import { createIntakeService } from '../../../src/datacenter/intake/service';
import { seedDemo } from '../../../src/datacenter/reference/seed';
import type { DataCenterDb } from '../../../src/datacenter/store/database';
import { rowsOf } from '../../../src/datacenter/store/migration';
import { readBatch } from '../../../src/datacenter/sync/feed';
import { writeSnapshot } from '../../../src/datacenter/sync/snapshot';
import { computeChecksum, readSyncHead } from '../../../src/datacenter/sync/state';
import { writeReplicated } from '../../../src/datacenter/sync/write';
import { forEachBackend } from './backends';
import { Replica } from './sync-client';

const NOW = new Date('2026-03-20T04:00:00.000Z');
const DAYS = 60;

async function snapshot(store: DataCenterDb): Promise<Replica> {
  const out = new PassThrough();
  const chunks: Buffer[] = [];
  out.on('data', (c: Buffer) => chunks.push(c));
  await writeSnapshot(store.db, 'district', out);
  const replica = new Replica('district');
  replica.applySnapshot(Buffer.concat(chunks).toString('utf8'));
  return replica;
}

forEachBackend('history generator', (backend) => {
  let store: DataCenterDb;
  let before: Replica;
  let result: Awaited<ReturnType<typeof generateHistory>>;

  const rows = async <T>(q: ReturnType<typeof sql>) => rowsOf<T>(await store.db.execute(q));

  beforeAll(async () => {
    store = await backend.fresh();
    await seedDemo(store.db);
    before = await snapshot(store);
    result = await generateHistory(store.db, { count: 400, days: DAYS, seed: 11, now: NOW, batchSize: 150 });
  }, 240_000);
  afterAll(async () => {
    await store?.close();
  });

  it('writes every event with a valid record and an audit trail the workflow would have produced', async () => {
    expect(result).toMatchObject({ events: 400, skipped: 0, refused: 0 });
    expect(result.versions!.last - result.versions!.first).toBe(2); // three batches, three versions
    const counts = await historyTableCounts(store.db);
    expect(counts.events).toBe(400);
    expect(counts.audit).toBe(result.auditRows);

    const docs = (await rows<{ doc: unknown; status: string; case_no: string; created_at: string; supervision_level: number }>(sql`select doc, status, case_no, created_at::text, supervision_level from events`)).map((r) => ({
      ...r,
      doc: EventRecord.parse(r.doc),
    }));
    const trails = new Map<string, AuditEntry[]>();
    for (const r of await rows<{ doc: unknown }>(sql`select doc from audit order by event_id, seq`)) {
      const e = AuditEntry.parse(r.doc);
      trails.set(e.eventId, [...(trails.get(e.eventId) ?? []), e]);
    }
    const from = NOW.getTime() - DAYS * 86_400_000;
    let supervisedAfterDeadline = 0;
    for (const { doc, status, case_no, supervision_level } of docs) {
      const wf = doc.workflow;
      expect(status).toBe(wf.status);
      expect(case_no).toBe(doc.caseNo);
      expect(supervision_level).toBe(wf.supervision?.level ?? 0);
      const local = new Date(Date.parse(doc.createdAt) + 8 * 3_600_000).toISOString().slice(0, 10).replaceAll('-', '');
      expect(doc.caseNo).toMatch(new RegExp(`^HD${local}\\d{4}$`));
      expect(Date.parse(wf.reportedAt)).toBeGreaterThan(from - 3_600_000);
      const trail = trails.get(doc.id)!;
      expect(trail.map((a) => a.seq)).toEqual(trail.map((_, i) => i + 1));
      expect(wf.version).toBe(trail.length);
      expect(trail[0]!.command).toBe('report');
      for (let i = 1; i < trail.length; i++) {
        expect(trail[i]!.from, `${doc.caseNo} step ${i + 1}`).toBe(trail[i - 1]!.to);
        expect(Date.parse(trail[i]!.at)).toBeGreaterThanOrEqual(Date.parse(trail[i - 1]!.at));
      }
      expect(trail.at(-1)!.to).toBe(wf.status);
      expect(Date.parse(trail.at(-1)!.at)).toBeLessThanOrEqual(NOW.getTime());
      // the scheduler's replay: supervision by 'system' only once a clock had passed its deadline
      const supervise = trail.find((a) => a.command === 'supervise' && a.actorId === 'system');
      if (supervise) {
        const deadlines = wf.clocks.map((c) => Date.parse(c.baseDeadline));
        expect(Math.min(...deadlines)).toBeLessThan(Date.parse(supervise.at));
        supervisedAfterDeadline++;
      }
    }
    expect(new Set(docs.map((d) => d.doc.caseNo)).size).toBe(400);
    // a realistic mix: most finished, some rejected, recent ones still open, some overdue
    const by = result.byStatus;
    expect((by.evaluated ?? 0) + (by.closed ?? 0)).toBeGreaterThan(250);
    expect(by.rejected ?? 0).toBeGreaterThan(0);
    expect(400 - (by.evaluated ?? 0) - (by.closed ?? 0) - (by.rejected ?? 0) - (by.cancelled ?? 0)).toBeGreaterThan(0);
    expect(supervisedAfterDeadline).toBeGreaterThan(0);
    expect(new Set(docs.map((d) => d.doc.source)).size).toBeGreaterThanOrEqual(6);
    // every external reference is claimed for its event
    const [refs] = await rows<{ n: number; bad: number }>(sql`select count(*)::int as n,
      count(*) filter (where e.id is null or e.case_no <> r.case_no or r.created_at is null)::int as bad
      from external_refs r left join events e on e.id = r.event_id`);
    expect(refs!.bad).toBe(0);
    expect(refs!.n).toBe(docs.filter((d) => d.doc.externalRef !== null).length);
  });

  it('a client tailing the feed from before the history and a fresh snapshot agree, with the checksums', async () => {
    const head = await readSyncHead(store.db);
    const tail = before;
    while (tail.cursor!.v < head.v) {
      const b = await readBatch(store.db, null, { scope: 'district', clientId: null, epoch: head.epoch, from: tail.cursor!.v, upto: head.v });
      if (b.kind !== 'batch') throw new Error('must refetch');
      tail.apply(JSON.parse(b.json));
    }
    const fresh = await snapshot(store);
    expect(tail.rowsOf('events')).toEqual(fresh.rowsOf('events'));
    expect(tail.rowsOf('audit')).toEqual(fresh.rowsOf('audit'));
    const server = await computeChecksum(store.db, 'district');
    expect(tail.checksum().events).toEqual(server.tables.events);
    expect(tail.checksum().audit).toEqual(server.tables.audit);
    expect(Object.keys(fresh.rowsOf('events'))).toHaveLength(400);
    // the bulk path stores each document as its jsonb text, as writeReplicated does (migration 0008)
    const [stored] = await rows<{ n: number; bad: number }>(
      sql`select count(*)::int as n, count(*) filter (where s.row <> coalesce(e.doc, a.doc)::text)::int as bad from sync_rows s
          left join events e on s.table_name = 'events' and e.id = s.key left join audit a on s.table_name = 'audit' and a.event_id || ':' || a.seq = s.key
          where s.table_name in ('events', 'audit')`,
    );
    expect(stored).toEqual({ n: 400 + result.auditRows, bad: 0 });
  });

  it('intake afterwards gets new case numbers and refuses a reference the history entered', async () => {
    const [last] = await rows<{ case_no: string; created_at: string; external_system: string; external_id: string }>(
      sql`select case_no, created_at::text as created_at, external_system, external_id from events where external_system = '12345' order by created_at desc limit 1`,
    );
    const at = new Date(last!.created_at.replace(' ', 'T').replace(/([+-]\d{2})$/, '$1:00'));
    const next = await store.db.transaction((tx) => nextCaseNo(tx, at));
    const [{ n }] = (await rows<{ n: number }>(sql`select count(*)::int as n from events where case_no = ${next}`)) as [{ n: number }];
    expect(n).toBe(0);
    expect(next > last!.case_no).toBe(true);

    const config = createDomainConfigService({ db: store.db, writeReplicated: (d, w) => writeReplicated(d, w), clock: () => NOW });
    const events = createEventsStore({ db: store.db, writeReplicated: (d, w) => writeReplicated(d, w), config, clock: () => NOW });
    const intake = createIntakeService({ db: store.db, sink: events, reference: createPlacementReferenceCache(store.db, { clock: () => NOW }).get, clock: () => NOW, categories: config.categories });
    const order = { orderNo: last!.external_id, appealType: '投诉', content: '另一张工单', acceptedAt: '2026-03-19 10:00:00' };
    await expect(intake.submit('hotline_12345', { text: JSON.stringify(order), contentType: 'application/json' })).rejects.toMatchObject({ code: 'conflict' });
  });

  it('without change_log rows, the retention floor moves past the history: old cursors re-snapshot, the snapshot has it all', async () => {
    const head = await readSyncHead(store.db);
    const more = await generateHistory(store.db, { count: 40, days: 10, seed: 12, now: NOW, changeLog: false });
    expect(more.events).toBe(40);
    const after = await readSyncHead(store.db);
    expect(after.prunedThrough).toBe(more.versions!.last);
    const b = await readBatch(store.db, null, { scope: 'district', clientId: null, epoch: after.epoch, from: head.v, upto: after.v });
    expect(b.kind).toBe('must_refetch');
    const [logged] = await rows<{ n: number }>(sql`select count(*)::int as n from change_log where v > ${head.v}`);
    expect(logged!.n).toBe(0);
    const fresh = await snapshot(store);
    expect(Object.keys(fresh.rowsOf('events'))).toHaveLength(440);
    expect(fresh.checksum().audit).toEqual((await computeChecksum(store.db, 'district')).tables.audit);
  });
});
