/**
 * The query layer against replicas filled through the sync client's own write
 * path (query-fixtures.ts), each answer checked against an independent
 * JavaScript oracle over the same records or against hand-computed figures:
 *
 * - 10,000 events: every window of events/list, in every sort, concatenates
 *   to the whole ordered result with no row twice or missing; the total and
 *   the queue counts equal the oracle's; every filter equals the oracle's
 *   predicate; 序时消单 puts running clocks first by deadline, none last (oldest
 *   reported first);
 * - FTS (3+ characters), short words (LIKE) and case-number prefixes;
 * - pending overlays from the outbox in rows and in detail, gone once settled;
 * - events/detail: timeline, clocks read now with the replicated calendar
 *   (equal to core clockStates), duplicates, similar events, nearby workers;
 * - stats/kpis against hand-computed rates and core computeIndicators;
 * - map columns, density, playback, grid stats, wall state, saved views,
 *   configuration and units, grids as of a day; a live batch and a delete
 *   are seen at once.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  clockStates,
  computeIndicators,
  eventFacts,
  EventSource,
  EventStatus,
  OPEN_STATES,
  Urgency,
  type EventRecord,
  type AuditEntry,
} from '../../../src/core/index';
import { EventListArgs, KpiArgs, MapEventsArgs, type EventRow, type QueueId } from '../../../src/core/rpc/queries';
import { OutboxStore } from '../../../src/main/service/outbox/outbox-store';
import { writePreference } from '../../../src/main/service/store/preferences';
import { buildFtsChunk, ftsBuiltThrough, FTS_PREFERENCE } from '../../../src/main/service/store/replica-writes';
import { summariseClocks } from '../../../src/main/service/store/replicated-rows';
import { generateHistory, leafCategories } from '../../../bench/support/history';
import {
  ADMIN,
  closedLoop,
  cmd,
  CONFIG_DOCS,
  domainConfig,
  GRID_A1,
  makeEvent,
  queryReplica,
  SUPERVISOR,
  SUPERVISOR_USER,
  TOWN_A,
  TOWN_B,
  type QueryReplica,
} from './query-fixtures';

const H = 3_600_000;
const D = 24 * H;
/** Thursday 2026-11-26 16:00 in Guangzhou */
const NOW = Date.parse('2026-11-26T08:00:00.000Z');
const ctx = domainConfig();

// ── the oracle: what a row's queue and clock status are, computed in JavaScript ──

const OPEN = new Set<string>(OPEN_STATES);
function clockStatusOf(r: EventRecord, now: number): 'running' | 'warning' | 'overdue' | null {
  const s = summariseClocks(r.workflow.clocks);
  if (!s || s.state === 'stopped') return null;
  if (s.state === 'paused') {
    const from = r.workflow.clocks[0]?.pauses.at(-1)?.from;
    const pf = from ? Date.parse(from) : NaN;
    return pf > s.deadlineAt ? 'overdue' : pf >= s.warnAt ? 'warning' : 'running';
  }
  return now > s.deadlineAt ? 'overdue' : now >= s.warnAt ? 'warning' : 'running';
}
const QUEUE_STATES: Partial<Record<QueueId, string[]>> = {
  to_verify: ['reported', 'verifying'],
  to_dispatch: ['filed'],
  awaiting_signature: ['dispatched'],
  bounced: ['bounced'],
  in_progress: ['signed', 'in_progress', 'rework'],
  to_check: ['handled', 'checking'],
  to_evaluate: ['checked', 'closed'],
};
function inQueue(q: QueueId, r: EventRecord, now: number, me: string | null): boolean {
  const wf = r.workflow;
  const states = QUEUE_STATES[q];
  if (states) return states.includes(wf.status);
  const open = OPEN.has(wf.status);
  switch (q) {
    case 'extension_requests':
      return open && wf.pendingExtension !== null;
    case 'overdue_warning': {
      const s = clockStatusOf(r, now);
      return open && (s === 'warning' || s === 'overdue');
    }
    case 'supervised_by_me':
      return open && me !== null && wf.supervision?.byActorId === me;
    default:
      return true;
  }
}

async function allRows(h: QueryReplica, args: Parameters<typeof EventListArgs.parse>[0], limit = 1000): Promise<{ rows: EventRow[]; totals: number[] }> {
  const rows: EventRow[] = [];
  const totals: number[] = [];
  for (let offset = 0; ; offset += limit) {
    const page = await h.handlers['events/list'](EventListArgs.parse({ ...(args as object), offset, limit }));
    totals.push(page.total);
    rows.push(...page.rows);
    if (page.rows.length < limit) return { rows, totals };
  }
}

describe('events/list, events/counts, map/events on 10,000 events', () => {
  let h: QueryReplica;
  let records: EventRecord[];
  beforeAll(() => {
    const grids = [
      { code: '440114001001001', villageCode: '440114001001', townCode: TOWN_A, labelPoint: [113.025, 23.325] as [number, number] },
      { code: '440114001001002', villageCode: '440114001001', townCode: TOWN_A, labelPoint: [113.075, 23.325] as [number, number] },
      { code: '440114002001001', villageCode: '440114002001', townCode: TOWN_B, labelPoint: [113.225, 23.325] as [number, number] },
    ];
    const units = [
      { id: 'dept-cg', kind: 'department', areaCode: null },
      { id: 'town-440114001000', kind: 'town', areaCode: TOWN_A },
    ];
    const items = [...generateHistory({ count: 10_000, now: new Date(NOW), days: 60, grids, units, categories: leafCategories(CONFIG_DOCS.taxonomy as never), withAudit: false, supervisors: ['u-sup', 'u-other'] })];
    // a few events with assisting units (协办), which only the documents know
    for (const it of items.slice(-40)) it.record.workflow.assistingUnitIds = it.record.workflow.leadUnitId ? ['dept-sw'] : [];
    records = items.map((i) => i.record);
    h = queryReplica(items, () => NOW);
    h.setUser(SUPERVISOR_USER);
  });
  afterAll(() => h?.close());

  const ids = (rows: EventRow[]) => rows.map((r) => r.id);
  const oracle = (pred: (r: EventRecord) => boolean) => new Set(records.filter(pred).map((r) => r.id));

  it('windows of 1,000 (and of 137) concatenate to the whole result, in every sort, without a row twice', async () => {
    for (const sort of ['deadline', 'reported_desc', 'updated_desc', 'urgency'] as const) {
      const { rows, totals } = await allRows(h, { sort });
      expect(totals.every((t) => t === 10_000)).toBe(true);
      expect(new Set(ids(rows)).size).toBe(10_000);
      const odd = await allRows(h, { sort }, 137);
      expect(ids(odd.rows)).toEqual(ids(rows));
    }
  });

  it('序时消单: running clocks first by deadline, then paused, then none; reported_desc is by report time', async () => {
    const { rows } = await allRows(h, { sort: 'deadline' });
    const byId = new Map(records.map((r) => [r.id, r]));
    const rank = (r: EventRow) => {
      const s = summariseClocks(byId.get(r.id)!.workflow.clocks);
      return s?.state === 'running' ? 0 : s?.state === 'paused' ? 1 : 2;
    };
    const ranks = rows.map(rank);
    expect([...ranks].sort((a, b) => a - b)).toEqual(ranks);
    const running = rows.filter((r) => rank(r) === 0);
    expect(running.length).toBeGreaterThan(100);
    expect(running.every((r) => r.deadline !== null)).toBe(true);
    const deadlines = running.map((r) => Date.parse(r.deadline!));
    expect([...deadlines].sort((a, b) => a - b)).toEqual(deadlines);
    expect(rows.filter((r) => rank(r) !== 0).every((r) => r.deadline === null)).toBe(true);
    // without a running or paused clock (待派遣, stopped clocks): oldest reported first, not in row order
    const rest = rows.filter((r) => rank(r) === 2).map((r) => Date.parse(r.reportedAt));
    expect(rest.length).toBeGreaterThan(100);
    expect([...rest].sort((a, b) => a - b)).toEqual(rest);
    const reported = (await allRows(h, { sort: 'reported_desc' })).rows.map((r) => Date.parse(r.reportedAt));
    expect([...reported].sort((a, b) => b - a)).toEqual(reported);
  });

  it('every queue holds exactly the oracle’s events, and events/counts says so in one answer', async () => {
    const counts = (await h.handlers['events/counts']({})).counts;
    for (const q of ['to_verify', 'to_dispatch', 'awaiting_signature', 'bounced', 'in_progress', 'extension_requests', 'overdue_warning', 'to_check', 'to_evaluate', 'supervised_by_me', 'all'] as const) {
      const want = oracle((r) => inQueue(q, r, NOW, 'u-sup'));
      const { rows, totals } = await allRows(h, { filter: { queue: q } });
      expect(new Set(ids(rows)), q).toEqual(want);
      expect(totals[0], q).toBe(want.size);
      expect(counts[q], q).toBe(want.size);
      if (q !== 'all') expect(want.size, `${q} is not empty in the fixture`).toBeGreaterThan(0);
    }
  });

  it('rows carry the clock status now, equal to the oracle’s', async () => {
    const { rows } = await allRows(h, { filter: { queue: 'all', openOnly: true } });
    const byId = new Map(records.map((r) => [r.id, r]));
    for (const row of rows) expect(row.clockStatus, row.id).toBe(clockStatusOf(byId.get(row.id)!, NOW));
  });

  it('each filter keeps exactly what the oracle keeps', async () => {
    const some = records.find((r) => r.workflow.leadUnitId === 'dept-cg' && r.workflow.supervision)!;
    const from = NOW - 20 * D;
    const to = NOW - 5 * D;
    const cases: [object, (r: EventRecord) => boolean][] = [
      [{ statuses: ['in_progress', 'closed'] }, (r) => ['in_progress', 'closed'].includes(r.workflow.status)],
      [{ categoryCodes: ['04'] }, (r) => (r.workflow.categoryCode ?? '').startsWith('04')],
      [{ categoryCodes: ['0401', '1101'] }, (r) => ['0401', '1101'].some((c) => (r.workflow.categoryCode ?? '').startsWith(c))],
      [{ townCodes: [TOWN_B] }, (r) => r.workflow.area.townCode === TOWN_B],
      [{ villageCodes: ['440114001001'] }, (r) => r.workflow.area.villageCode === '440114001001'],
      [{ gridCodes: ['440114001001002'] }, (r) => r.workflow.area.gridCode === '440114001001002'],
      [{ sources: ['hotline_12345', 'one_key'] }, (r) => ['hotline_12345', 'one_key'].includes(r.source)],
      [{ urgencies: ['urgent', 'critical'] }, (r) => r.urgency !== 'normal'],
      [{ supervised: true }, (r) => r.workflow.supervision !== null],
      [{ supervised: false }, (r) => r.workflow.supervision === null],
      [{ from: new Date(from).toISOString(), to: new Date(to).toISOString() }, (r) => Date.parse(r.workflow.reportedAt) >= from && Date.parse(r.workflow.reportedAt) < to],
      [{ townCodes: [TOWN_A], categoryCodes: ['04'], from: new Date(from).toISOString() }, (r) => r.workflow.area.townCode === TOWN_A && (r.workflow.categoryCode ?? '').startsWith('04') && Date.parse(r.workflow.reportedAt) >= from],
      [{ clockStatuses: ['overdue'] }, (r) => OPEN.has(r.workflow.status) && clockStatusOf(r, NOW) === 'overdue'],
      [{ clockStatuses: ['running', 'warning'] }, (r) => OPEN.has(r.workflow.status) && ['running', 'warning'].includes(clockStatusOf(r, NOW) ?? '')],
      [{ openOnly: true, unitIds: ['dept-sw'] }, (r) => OPEN.has(r.workflow.status) && r.workflow.assistingUnitIds.includes('dept-sw')],
      [{ unitIds: ['dept-cg'] }, (r) => r.workflow.leadUnitId === 'dept-cg' || (OPEN.has(r.workflow.status) && r.workflow.assistingUnitIds.includes('dept-cg'))],
      [{ queue: 'in_progress', townCodes: [TOWN_A], urgencies: ['normal'] }, (r) => inQueue('in_progress', r, NOW, null) && r.workflow.area.townCode === TOWN_A && r.urgency === 'normal'],
    ];
    expect(some).toBeDefined();
    for (const [filter, pred] of cases) {
      const want = oracle(pred);
      const { rows, totals } = await allRows(h, { filter });
      expect(new Set(ids(rows)), JSON.stringify(filter)).toEqual(want);
      expect(totals[0], JSON.stringify(filter)).toBe(want.size);
      expect(want.size, `${JSON.stringify(filter)} selects something`).toBeGreaterThan(0);
    }
  });

  it('queue, clock-status and time windows come in the oracle’s order, window after window (the index-walked windows of state queues and clocks)', async () => {
    // the oracle's order: 序时消单 = (rank of the most urgent clock, its deadline — or, without a running or paused
    // clock, the report time: oldest reported first —, rid); newest first = (reported, rid) descending
    const rid = new Map((h.replica.sqlite.prepare('SELECT key, rid FROM events').all() as { key: string; rid: number }[]).map((r) => [r.key, r.rid]));
    const byDeadline = (a: EventRecord, b: EventRecord) => {
      const sa = summariseClocks(a.workflow.clocks);
      const sb = summariseClocks(b.workflow.clocks);
      const rank = (s: typeof sa) => (s?.state === 'running' ? 0 : s?.state === 'paused' ? 1 : 2);
      const key = (r: EventRecord, s: typeof sa) => (rank(s) < 2 ? s!.deadlineAt : Date.parse(r.workflow.reportedAt));
      return rank(sa) - rank(sb) || key(a, sa) - key(b, sb) || rid.get(a.id)! - rid.get(b.id)!;
    };
    const newest = (a: EventRecord, b: EventRecord) => Date.parse(b.workflow.reportedAt) - Date.parse(a.workflow.reportedAt) || rid.get(b.id)! - rid.get(a.id)!;
    const from = NOW - 20 * D;
    const cases: [object, (r: EventRecord) => boolean, (a: EventRecord, b: EventRecord) => number][] = [
      [{ filter: { queue: 'to_dispatch' } }, (r) => inQueue('to_dispatch', r, NOW, null), byDeadline],
      [{ filter: { queue: 'to_verify', townCodes: [TOWN_A] } }, (r) => inQueue('to_verify', r, NOW, null) && r.workflow.area.townCode === TOWN_A, byDeadline],
      [{}, () => true, byDeadline],
      [{ filter: { queue: 'to_evaluate' } }, (r) => inQueue('to_evaluate', r, NOW, null), byDeadline],
      [{ filter: { queue: 'to_check' } }, (r) => inQueue('to_check', r, NOW, null), byDeadline],
      [{ filter: { queue: 'in_progress', openOnly: true } }, (r) => inQueue('in_progress', r, NOW, null), byDeadline],
      [{ filter: { statuses: ['filed', 'closed', 'in_progress'] } }, (r) => ['filed', 'closed', 'in_progress'].includes(r.workflow.status), byDeadline],
      [{ filter: { queue: 'overdue_warning' } }, (r) => inQueue('overdue_warning', r, NOW, null), byDeadline],
      [{ filter: { clockStatuses: ['overdue'], townCodes: [TOWN_A] } }, (r) => OPEN.has(r.workflow.status) && clockStatusOf(r, NOW) === 'overdue' && r.workflow.area.townCode === TOWN_A, byDeadline],
      [{ filter: { clockStatuses: ['running', 'warning'], gridCodes: [GRID_A1] } }, (r) => OPEN.has(r.workflow.status) && ['running', 'warning'].includes(clockStatusOf(r, NOW) ?? '') && r.workflow.area.gridCode === GRID_A1, byDeadline],
      [{ filter: { townCodes: [TOWN_A], categoryCodes: ['04'], from: new Date(from).toISOString() }, sort: 'reported_desc' }, (r) => r.workflow.area.townCode === TOWN_A && (r.workflow.categoryCode ?? '').startsWith('04') && Date.parse(r.workflow.reportedAt) >= from, newest],
    ];
    for (const [args, pred, order] of cases) {
      const want = records.filter(pred).sort(order).map((r) => r.id);
      expect(want.length, JSON.stringify(args)).toBeGreaterThan(20);
      for (const limit of [1000, 37]) {
        const { rows, totals } = await allRows(h, args as Parameters<typeof EventListArgs.parse>[0], limit);
        expect(ids(rows), `${JSON.stringify(args)} in windows of ${limit}`).toEqual(want);
        expect(new Set(totals), JSON.stringify(args)).toEqual(new Set([want.length]));
      }
    }
  });

  it('text: FTS phrases of 3+ characters, LIKE for shorter words, case-number prefixes, words combined', async () => {
    const probe = records[1234]!;
    const phrase = probe.address!.slice(3, 7);
    const cases: [string, (r: EventRecord) => boolean][] = [
      [phrase, (r) => [r.title, r.description, r.address ?? ''].some((t) => t.includes(phrase))],
      [probe.title.slice(-2), (r) => r.title.includes(probe.title.slice(-2)) || (r.address ?? '').includes(probe.title.slice(-2))],
      [probe.caseNo.slice(0, 11), (r) => r.caseNo.startsWith(probe.caseNo.slice(0, 11))],
      [`${phrase} ${probe.workflow.categoryCode === null ? '' : probe.title.slice(-4)}`.trim(), (r) => [r.title, r.description, r.address ?? ''].some((t) => t.includes(phrase)) && [r.title, r.description, r.address ?? ''].some((t) => t.includes(probe.title.slice(-4)))],
    ];
    for (const [text, pred] of cases) {
      const want = oracle(pred);
      const { rows } = await allRows(h, { filter: { text } });
      expect(new Set(ids(rows)), text).toEqual(want);
      expect(want.size, text).toBeGreaterThan(0);
    }
    // the same answers while the FTS index of a snapshot is still being built after the swap
    // (none of it, then part of it), and the same index once the build is complete
    const db = h.replica.sqlite;
    // every token instance the (contentless) index holds
    db.exec('CREATE VIRTUAL TABLE IF NOT EXISTS temp.fts_vocab USING fts5vocab(main, events_fts, instance)');
    const content = () => db.prepare('SELECT term, doc, col, offset FROM temp.fts_vocab ORDER BY doc, col, offset, term').all();
    const fullIndex = content();
    expect(fullIndex.length).toBeGreaterThan(10_000);
    db.exec("INSERT INTO events_fts (events_fts) VALUES ('delete-all')");
    writePreference(db, FTS_PREFERENCE, { through: 0 });
    for (let chunk = 0; ; chunk++) {
      expect(ftsBuiltThrough(db), `chunk ${chunk}`).not.toBeNull();
      for (const [text, pred] of cases) {
        const { rows } = await allRows(h, { filter: { text } });
        expect(new Set(ids(rows)), `${text} at chunk ${chunk}`).toEqual(oracle(pred));
      }
      if (chunk === 1) break;
      buildFtsChunk(db, 3_700);
    }
    while (!buildFtsChunk(db, 3_700));
    expect(ftsBuiltThrough(db)).toBeNull();
    expect(content()).toEqual(fullIndex);
  });

  it('map/events: one row per open event with a position, codes as the enums index them, patches by id', async () => {
    const cols = await h.handlers['map/events'](MapEventsArgs.parse({}));
    const want = records.filter((r) => OPEN.has(r.workflow.status) && r.location);
    expect(cols.count).toBe(want.length);
    expect(new Set(cols.ids)).toEqual(new Set(want.map((r) => r.id)));
    expect(cols.positions).toBeInstanceOf(Float32Array);
    expect(cols.positions.length).toBe(2 * cols.count);
    const byId = new Map(records.map((r) => [r.id, r]));
    cols.ids.forEach((id, i) => {
      const r = byId.get(id)!;
      expect(EventStatus.options[cols.status[i]!]).toBe(r.workflow.status);
      expect(Urgency.options[cols.urgency[i]!]).toBe(r.urgency);
      expect(EventSource.options[cols.source[i]!]).toBe(r.source);
      expect(cols.reportedAt[i]).toBe(Date.parse(r.workflow.reportedAt));
      expect(cols.positions[2 * i]).toBeCloseTo(r.location![0], 4);
      expect(cols.clockStatus[i]).toBe([null, 'running', 'warning', 'overdue'].indexOf(clockStatusOf(r, NOW)) === -1 ? 0 : [null, 'running', 'warning', 'overdue'].indexOf(clockStatusOf(r, NOW)));
      expect(cols.gridCodes![i]).toBe(r.workflow.area.gridCode);
      expect(cols.leadUnitIds![i]).toBe(r.workflow.leadUnitId);
      expect(Number.isNaN(cols.deadline[i]!)).toBe(!['running', 'paused'].includes(summariseClocks(r.workflow.clocks)?.state ?? ''));
    });
    const closed = records.find((r) => r.workflow.status === 'evaluated')!;
    const patch = await h.handlers['map/events'](MapEventsArgs.parse({ ids: [want[0]!.id, closed.id, 'nope'] }));
    expect(patch.ids).toEqual([want[0]!.id]);
  });
});

describe('events/detail, pending overlays, live batches', () => {
  let h: QueryReplica;
  let a: { record: EventRecord; audit: AuditEntry[] };
  const T = NOW - 3 * D;
  beforeAll(() => {
    a = makeEvent({ id: 'ev-1', reportedAt: T, duplicateCandidates: ['ev-2', 'ev-3'], steps: [[cmd.file(), T + H], [cmd.dispatch(NOW + 2 * D), T + 2 * H], [cmd.sign(), T + 3 * H], [cmd.park(), T + 4 * H, SUPERVISOR]] });
    const dup = makeEvent({ id: 'ev-2', reportedAt: T + H });
    const closedDup = makeEvent({ id: 'ev-3', reportedAt: T + H, steps: closedLoop(T + H, T + 3 * D, T + 5 * H, 'satisfied') });
    const far = makeEvent({ id: 'ev-4', reportedAt: T - D, location: [113.3, 23.5] });
    const other = makeEvent({ id: 'ev-5', reportedAt: T - D, category: '0501' });
    h = queryReplica([a, dup, closedDup, far, other], () => NOW);
  });
  afterAll(() => h?.close());

  it('answers the record, the whole timeline, clocks read now with the calendar, open duplicates, similar events and workers', async () => {
    const d = await h.handlers['events/detail']({ id: 'ev-1' });
    expect(d.event).toEqual(a.record);
    expect(d.audit).toEqual(a.audit);
    expect(d.audit.map((x) => x.command)).toEqual(['report', 'file', 'dispatch', 'sign', 'park']);
    const want = clockStates(a.record.workflow.clocks, new Date(NOW), ctx.calendar);
    expect(d.clocks.map((c) => [c.id, c.status, c.paused, c.deadline, c.remainingMs])).toEqual(want.map((s) => [s.id, s.status, s.paused, s.deadline.toISOString(), s.remainingMs]));
    expect(d.clocks[0]!.paused).toBe(true);
    expect(d.duplicates.map((r) => r.id)).toEqual(['ev-2']);
    expect(d.recentSimilar.map((r) => r.id).sort()).toEqual(['ev-2', 'ev-3']);
    expect(d.nearbyWorkers[0]).toMatchObject({ id: 'w-001', gridCode: GRID_A1 });
    expect(d.nearbyWorkers.map((w) => w.id)).toEqual(['w-001', 'w-002']);
    expect(d.nearbyWorkers[0]!.distanceMetres).toBeGreaterThan(0);
    await expect(h.handlers['events/detail']({ id: 'missing' })).rejects.toMatchObject({ code: 'not_found' });
  });

  it('shows an unsettled command in the row and the detail, and not once the feed settled it', async () => {
    const outbox = new OutboxStore(h.replica.sqlite, 'client-1');
    const { entry } = outbox.submit({ name: 'event/command', eventId: 'ev-2', command: { type: 'file', attachments: [] } }, new Date(NOW).toISOString());
    const row = (await h.handlers['events/list'](EventListArgs.parse({ filter: { queue: 'to_verify' } }))).rows.find((r) => r.id === 'ev-2')!;
    expect(row.pending).toEqual({ mutationId: entry.mutationId, state: 'queued', command: 'file' });
    expect((await h.handlers['events/detail']({ id: 'ev-2' })).pending).toEqual([{ mutationId: entry.mutationId, state: 'queued', command: 'file', createdAt: entry.createdAt, error: null }]);
    outbox.settle({ clientId: 'client-1', mutationId: entry.mutationId, status: 'rejected', error: { code: 'illegal_transition', message: 'no' }, v: 2 }, new Date(NOW).toISOString());
    const rejected = (await h.handlers['events/list'](EventListArgs.parse({ filter: { queue: 'to_verify' } }))).rows.find((r) => r.id === 'ev-2')!;
    expect(rejected.pending).toMatchObject({ state: 'rejected' });
    outbox.dismiss(entry.mutationId, new Date(NOW).toISOString());
    expect((await h.handlers['events/list'](EventListArgs.parse({ filter: { queue: 'to_verify' } }))).rows.find((r) => r.id === 'ev-2')!.pending).toBeNull();
  });

  it('sees a live batch and a delete at once (totals are not served stale)', async () => {
    const before = (await h.handlers['events/list'](EventListArgs.parse({ filter: { queue: 'to_dispatch' } }))).total;
    const filed = makeEvent({ id: 'ev-9', reportedAt: NOW - H, steps: [[cmd.file(), NOW - H / 2]] });
    h.live([filed]);
    expect((await h.handlers['events/list'](EventListArgs.parse({ filter: { queue: 'to_dispatch' } }))).total).toBe(before + 1);
    expect((await h.handlers['events/counts']({})).counts.to_dispatch).toBe(before + 1);
    h.live([], ['ev-9']);
    expect((await h.handlers['events/list'](EventListArgs.parse({ filter: { queue: 'to_dispatch' } }))).total).toBe(before);
  });
});

describe('stats/kpis against hand-computed figures', () => {
  let h: QueryReplica;
  let made: { record: EventRecord; audit: AuditEntry[] }[];
  beforeAll(() => {
    made = [];
    // three copies of eight cases, reported 5 days ago in town A (copies 0, 1) and town B (copy 2)
    for (let k = 0; k < 3; k++) {
      const town = k === 2 ? TOWN_B : TOWN_A;
      const t = NOW - 5 * D + k * H;
      const e = (n: number, steps: ReturnType<typeof closedLoop>, source: EventRecord['source'] = 'grid_patrol') =>
        made.push(makeEvent({ id: `k${k}-${n}`, reportedAt: t, town, source, steps }));
      e(1, closedLoop(t, t + 2 * D, t + D, 'satisfied')); // due, closed on time, satisfied
      e(2, closedLoop(t, t + 2 * D, t + 3 * D, 'dissatisfied'), 'hotline_12345'); // due, closed late
      e(3, [[cmd.file(), t + 0.1 * H], [cmd.dispatch(t + 4 * D), t + 0.2 * H], [cmd.sign(), t + H], [cmd.start(), t + 2 * H]]); // overdue now, not handled: due
      e(4, [[cmd.file(), t + 0.1 * H], [cmd.dispatch(NOW + 2 * D), t + 0.2 * H], [cmd.sign(), t + H]]); // running, not due
      e(5, [[cmd.file(), t + 0.1 * H]]); // never dispatched
      e(6, closedLoop(t, t + 2 * D, t + D, null)); // due, closed on time, not evaluated
      e(7, [[cmd.file(), t + 0.1 * H], [cmd.dispatch(t + 4 * D), t + 0.2 * H], [cmd.cancel(), t + D]]); // withdrawn: not due
      e(8, [[cmd.file(), t + 0.1 * H], [cmd.dispatch(NOW + D), t + 0.2 * H], [cmd.sign(), t + H], [cmd.park(), t + 2 * H]]); // paused in time: not due
    }
    // reported before the period: outside the cohort
    made.push(makeEvent({ id: 'old', reportedAt: NOW - 40 * D, steps: closedLoop(NOW - 40 * D, NOW - 38 * D, NOW - 39 * D, 'satisfied') }));
    h = queryReplica(made, () => NOW);
  });
  afterAll(() => h?.close());

  it('counts the declared formulas: 9 of 12 closed, 6 on time, satisfaction withheld below its minimum sample', async () => {
    const k = await h.handlers['stats/kpis'](KpiArgs.parse({ period: '7d' }));
    expect(k.intake).toBe(24);
    expect(k.dispatched).toBe(21);
    expect(k.closureRate).toEqual({ value: 9 / 12, numerator: 9, denominator: 12, formula: '结案率 = 结案数 ÷ 应结案数', sufficient: true });
    expect(k.onTimeRate).toMatchObject({ value: 6 / 12, numerator: 6, denominator: 12, sufficient: true });
    expect(k.satisfaction).toMatchObject({ value: null, numerator: 3, denominator: 6, sufficient: false });
    // the same numbers as core/indicators over the same records
    const cohort = made.filter((m) => m.record.id !== 'old').map((m) => eventFacts(m.record.workflow, new Date(NOW), ctx.calendar));
    const core = Object.fromEntries(computeIndicators(cohort).map((v) => [v.id, v]));
    expect([k.closureRate.numerator, k.closureRate.denominator]).toEqual([core.closure_rate!.numerator, core.closure_rate!.sample]);
    expect([k.onTimeRate.numerator, k.onTimeRate.denominator]).toEqual([core.on_time_closure_rate!.numerator, core.on_time_closure_rate!.sample]);
    expect([k.satisfaction.numerator, k.satisfaction.denominator]).toEqual([core.satisfaction_rate!.numerator, core.satisfaction_rate!.sample]);
    // now: 3 dispatched/signed/in progress (k*-3 in progress, k*-4 signed) × 3; overdue: k*-3
    expect(k.inProgress).toBe(6);
    expect(k.overdue).toBe(3);
    expect(k.bySource).toEqual([
      { key: 'grid_patrol', label: '网格巡查', count: 21 },
      { key: 'hotline_12345', label: '12345热线', count: 3 },
    ]);
    expect(k.byTown).toEqual([
      { key: TOWN_A, label: '新华街', count: 16 },
      { key: TOWN_B, label: '花东镇', count: 8 },
    ]);
    expect(k.byCategory).toEqual([{ key: '04', label: expect.any(String), count: 24 }]);
    expect(k.byUnit).toEqual([{ key: 'dept-cg', label: '区城市', count: 21 }]);
    expect(k.hourly.today.reduce((s, n) => s + n, 0)).toBe(0);
    expect(k.hourly.last7Days.reduce((s, n) => s + n, 0) * 7).toBeCloseTo(24);
  });

  it('per area, and after a live batch changes a fact', async () => {
    const b = await h.handlers['stats/kpis'](KpiArgs.parse({ period: '7d', areaCode: TOWN_B }));
    expect([b.intake, b.closureRate.numerator, b.closureRate.denominator, b.closureRate.sufficient]).toEqual([8, 3, 4, false]);
    // k2-3 gets handled now: it stays due, and becomes handled (not closed)
    const k23 = made.find((m) => m.record.id === 'k2-3')!;
    const t = NOW - 5 * D + 2 * H;
    const handled = makeEvent({ id: 'k2-3', reportedAt: t, town: TOWN_B, steps: [[cmd.file(), t + 0.1 * H], [cmd.dispatch(t + 4 * D), t + 0.2 * H], [cmd.sign(), t + H], [cmd.start(), t + 2 * H], [cmd.handle(), NOW - H]] });
    expect(handled.record.workflow.status).toBe('handled');
    h.live([handled]);
    const after = await h.handlers['stats/kpis'](KpiArgs.parse({ period: '7d', areaCode: TOWN_B }));
    expect(after.inProgress).toBe(b.inProgress - 1);
    expect(after.overdue).toBe(b.overdue - 1);
    void k23;
  });
});

describe('map, wall, configuration, saved views', () => {
  let h: QueryReplica;
  const T = NOW - 2 * D;
  beforeAll(() => {
    const events = [
      makeEvent({ id: 'p1', reportedAt: T, steps: closedLoop(T, T + D, T + 5 * H, 'satisfied') }),
      makeEvent({ id: 'p2', reportedAt: T + H, steps: [[cmd.file(), T + 2 * H], [cmd.dispatch(NOW - H), T + 3 * H]] }),
      makeEvent({ id: 'p3', reportedAt: T + 2 * H, town: TOWN_B, location: null }),
      makeEvent({ id: 'p4', reportedAt: NOW - 40 * D }),
    ];
    const alert = (id: string, raisedAt: number, ackedAt: number | null) => ({
      key: `alert:${id}`,
      row: { id, kind: 'one_key', eventId: 'p2', caseNo: null, title: '一键呼叫', address: null, location: [113.02, 23.32], townCode: TOWN_A, gridCode: GRID_A1, raisedAt: new Date(raisedAt).toISOString(), respondBy: new Date(raisedAt + 600_000).toISOString(), ackedAt: ackedAt === null ? null : new Date(ackedAt).toISOString(), ackedBy: ackedAt === null ? null : { id: 'u', name: 'n' } },
    });
    const directive = (id: string, issuedAt: number, walls: string[] | 'all') => ({ key: `directive:${id}`, row: { id, issuedAt: new Date(issuedAt).toISOString(), issuedBy: null, walls, holdSeconds: 300, focus: { kind: 'district' } } });
    h = queryReplica(events, () => NOW, {
      wall: [alert('a1', NOW - 60_000, null), alert('a2', NOW - 3_600_000, NOW - 3_000_000), alert('a3', NOW - 120_000, NOW - 60_000), directive('d1', NOW - 100_000, 'all'), directive('d2', NOW - 50_000, ['east'])],
    });
  });
  afterAll(() => h?.close());

  it('map/density bins the period’s events with a position; weights add up to the total', async () => {
    const d = await h.handlers['map/density']({ period: '7d', cellMetres: 250 });
    expect(d.total).toBe(2);
    expect(Array.from(d.weights).reduce((s, w) => s + w, 0)).toBe(2);
    expect(d.positions[0]).toBeCloseTo(113.02, 2);
  });

  it('map/playback gives each step’s instant, NaN for what had not happened by the period’s end', async () => {
    const p = await h.handlers['map/playback']({ from: new Date(T - H).toISOString(), to: new Date(NOW).toISOString() });
    expect(p.ids).toEqual(['p1', 'p2']);
    expect(p.reportedAt[0]).toBe(T);
    expect(p.dispatchedAt[0]).toBe(T + 0.2 * H);
    expect(p.handledAt[0]).toBe(T + 5 * H);
    expect(p.closedAt[0]).toBe(T + 7 * H);
    expect(p.dispatchedAt[1]).toBe(T + 3 * H);
    expect(Number.isNaN(p.handledAt[1]!)).toBe(true);
    expect(p.geometryAsOf).toBe('2026-11-24');
  });

  it('map/grid-stats: every current grid in code order, load, open and overdue per grid', async () => {
    const g = await h.handlers['map/grid-stats']({ period: '7d' });
    expect(g.gridCodes).toEqual(['440114001001001', '440114001001002', '440114001002001', '440114002001001', '440114002001002']);
    expect(Array.from(g.reported)).toEqual([2, 0, 0, 1, 0]);
    expect(Array.from(g.open)).toEqual([2, 0, 0, 1, 0]);
    expect(Array.from(g.overdue)).toEqual([1, 0, 0, 0, 0]);
  });

  it('map/workers places grid workers at their grid', async () => {
    const w = await h.handlers['map/workers']({});
    expect(w.workers.map((x) => [x.id, x.gridCode, x.source])).toEqual([
      ['w-001', '440114001001001', 'grid'],
      ['w-002', '440114001001002', 'grid'],
      ['w-003', '440114002001001', 'grid'],
    ]);
  });

  it('wall/state: unacknowledged and recently acknowledged alerts newest first, the newest directive for this wall, queued commands laid over', async () => {
    const s = await h.handlers['wall/state']({ wallId: 'main' });
    expect(s.alerts.map((a) => a.id)).toEqual(['a1', 'a3']);
    expect(s.directive?.id).toBe('d1');
    expect((await h.handlers['wall/state']({ wallId: 'east' })).directive?.id).toBe('d2');
    const outbox = new OutboxStore(h.replica.sqlite, 'c');
    outbox.submit({ name: 'wall/ack', alertId: 'a1' }, new Date(NOW).toISOString());
    outbox.submit({ name: 'wall/directive', directive: { id: 'd3', issuedAt: new Date(NOW).toISOString(), focus: { kind: 'town', code: TOWN_B } } } as never, new Date(NOW).toISOString());
    const after = await h.handlers['wall/state']({ wallId: 'main' });
    expect(after.alerts.find((a) => a.id === 'a1')!.ackedAt).toBe(new Date(NOW).toISOString());
    expect(after.directive?.id).toBe('d3');
  });

  it('config/get, units/list, grids/geometry as of a past day', async () => {
    const c = await h.handlers['config/get']({});
    expect(c.documents.calendar).toEqual(CONFIG_DOCS.calendar);
    expect(c.versions).toEqual({ calendar: 1, taxonomy: 1, responsibility: 1, workflow: 1 });
    expect((await h.handlers['units/list']({})).units.map((u) => u.id)).toEqual(['district', 'dept-cg', 'town-440114001000', 'town-440114002000', 'village-440114001001']);
    expect((await h.handlers['grids/geometry']({})).grids).toHaveLength(5);
    // the fixture's grids came into force on 2024-01-01; before that day there were none
    expect((await h.handlers['grids/geometry']({ asOf: '2023-06-01' })).grids).toEqual([]);
    expect((await h.handlers['grids/geometry']({ asOf: '2025-03-01' })).grids.map((g) => g.code)).toEqual((await h.handlers['grids/geometry']({})).grids.map((g) => g.code));
  });

  it('saved views: per signed-in account, replaced by id, deleted; nobody signed in is unauthenticated', async () => {
    h.setUser(null);
    expect(() => h.handlers['saved-views/list']({})).toThrow(expect.objectContaining({ code: 'unauthenticated' }));
    h.setUser(SUPERVISOR_USER);
    const view = { id: 'v1', name: '花东镇 超期', queue: 'overdue_warning' as const, filter: { townCodes: [TOWN_B] }, sort: 'deadline' as const };
    expect((await h.handlers['saved-views/save']({ view })).views).toMatchObject([{ id: 'v1', name: '花东镇 超期', updatedAt: new Date(NOW).toISOString() }]);
    expect((await h.handlers['saved-views/save']({ view: { ...view, name: '改名' } })).views.map((v) => v.name)).toEqual(['改名']);
    h.setUser({ ...SUPERVISOR_USER, id: 'someone-else' });
    expect((await h.handlers['saved-views/list']({})).views).toEqual([]);
    h.setUser(SUPERVISOR_USER);
    expect((await h.handlers['saved-views/delete']({ id: 'v1' })).views).toEqual([]);
    void ADMIN;
  });
});
