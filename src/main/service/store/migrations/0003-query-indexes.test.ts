/**
 * Migration 0003: the query layer's indexes exist, hold exactly the rows their
 * conditions select, are what SQLite picks (or may be named) for the queries
 * they were made for, survive a snapshot swap (which recreates every index and
 * trigger of `events`), and the facts of a deleted event go with it.
 */
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { migrate } from '../migrate';
import { RowWriter } from '../replicated-rows';
import { stageRows, swapInSnapshot } from '../replica-writes';
import { migration0001 } from './0001-reference-data';
import { migration0002 } from './0002-replication';
import { migration0003 } from './0003-query-indexes';
import { migrations } from './index';
import { writeEventsInline } from './inline-event-rows';

const T0 = Date.parse('2026-11-20T08:00:00.000Z');
const iso = (ms: number) => new Date(ms).toISOString();

function eventDoc(n: number, o: { status?: string; paused?: boolean; pendingExtension?: boolean; supervisedBy?: string; assisting?: string[] } = {}) {
  const started = T0 + n * 60_000;
  const clock = {
    id: 'internal',
    kind: 'internal',
    measure: 'calendar',
    warnAt: 0.8,
    startedAt: iso(started),
    budgetMs: 86_400_000,
    baseDeadline: iso(started + 86_400_000),
    policy: null,
    pauses: o.paused ? [{ from: iso(started + 3_600_000), to: null, reason: 'parked' }] : [],
    extensions: [],
    stoppedAt: null,
  };
  return {
    id: `e${n}`,
    caseNo: `HD20261120${String(n).padStart(4, '0')}`,
    title: `事件${n}`,
    description: '路面坑洼',
    address: '花都区新华街建设北路1号',
    location: [113.2, 23.4],
    source: 'grid_patrol',
    urgency: 'normal',
    createdAt: iso(started),
    workflow: {
      id: `e${n}`,
      status: o.status ?? 'in_progress',
      area: { districtCode: '440114', townCode: '440114001000', villageCode: '440114001001', gridCode: '440114001001001' },
      categoryCode: '0401',
      reportedAt: iso(started),
      updatedAt: iso(started),
      leadUnitId: 'dept-cg',
      assistingUnitIds: o.assisting ?? [],
      clocks: [clock],
      supervision: o.supervisedBy ? { level: 1, since: iso(started), reason: 'x', byActorId: o.supervisedBy, dueAt: null } : null,
      pendingExtension: o.pendingExtension ? { requestedAt: iso(started), requestedBy: 'u', unitId: 'dept-cg', duration: { unit: 'working_days', amount: 1 }, clockIds: ['internal'], reason: 'r' } : null,
      closedAt: null,
    },
  };
}

function migrated() {
  const db = new Database(':memory:');
  migrate(db, [migration0001, migration0002, migration0003]);
  return db;
}

const DOCS = [
  eventDoc(1),
  eventDoc(2, { paused: true, status: 'parked' }),
  eventDoc(3, { pendingExtension: true }),
  eventDoc(4, { supervisedBy: 'officer-a' }),
  eventDoc(5, { supervisedBy: 'officer-b', assisting: ['dept-sw'] }),
  eventDoc(6, { status: 'evaluated', pendingExtension: true, supervisedBy: 'officer-a', assisting: ['dept-sw'] }),
];

/** the rows as 0003 held them (documents inline in `events`) */
function filled(db: Database.Database) {
  writeEventsInline(db, DOCS.map((d, i) => ({ key: d.id, v: i + 1, row: d })));
}

/** today's replica (every migration), written by today's RowWriter: the swap and the delete are today's code */
function current() {
  const db = new Database(':memory:');
  migrate(db, migrations);
  const w = new RowWriter(db);
  db.transaction(() => DOCS.forEach((d, i) => w.upsert('events', d.id, i + 1, d)))();
  return { db, w };
}

const count = (db: Database.Database, index: string, where: string) =>
  db.prepare(`SELECT count(*) FROM events INDEXED BY ${index} WHERE ${where}`).pluck().get() as number;
const plan = (db: Database.Database, sql: string, bind: Record<string, unknown> = {}) =>
  (db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(bind) as { detail: string }[]).map((r) => r.detail).join(' | ');

describe('migration 0003 query indexes', () => {
  it('partial indexes hold exactly the rows their conditions select', () => {
    const db = migrated();
    filled(db);
    expect(count(db, 'events_open', 'is_open = 1')).toBe(5);
    expect(count(db, 'events_paused', "is_open = 1 AND clock_state = 'paused'")).toBe(1);
    expect(count(db, 'events_pending_extension', "is_open = 1 AND json_type(doc, '$.workflow.pendingExtension') = 'object'")).toBe(1);
    expect(count(db, 'events_supervised_by', 'is_open = 1 AND supervision_level IS NOT NULL')).toBe(2);
    expect(count(db, 'events_open_assisting', `is_open = 1 AND instr(doc, '"assistingUnitIds":[]') = 0`)).toBe(1);
  });

  it('reads a paused clock’s start and the supervising officer from the index, as the query layer names them', () => {
    const db = migrated();
    filled(db);
    const paused = `SELECT json_extract(doc, '$.workflow.clocks[0].pauses[#-1].from') AS f FROM events
      WHERE is_open = 1 AND clock_state = 'paused' AND json_extract(doc, '$.workflow.clocks[0].pauses[#-1].from') > ''`;
    expect(plan(db, paused)).toContain('events_paused');
    expect(db.prepare(paused).pluck().all()).toEqual([iso(T0 + 2 * 60_000 + 3_600_000)]);
    const mine = `SELECT key FROM events WHERE supervision_level IS NOT NULL AND json_extract(doc, '$.workflow.supervision.byActorId') = @me AND is_open = 1`;
    expect(plan(db, mine, { me: 'officer-a' })).toContain('events_supervised_by');
    expect(db.prepare(mine).pluck().all({ me: 'officer-a' })).toEqual(['e4']);
    expect(plan(db, 'SELECT count(*) FROM events WHERE case_no = @c', { c: 'x' })).toContain('events_case_no');
    expect(plan(db, 'SELECT max(v) FROM events')).toContain('events_v');
  });

  it('keeps every index and the facts trigger through a snapshot swap', () => {
    const { db, w } = current();
    const before = db.prepare("SELECT name, sql FROM sqlite_master WHERE tbl_name = 'events' AND type IN ('index', 'trigger') AND sql IS NOT NULL ORDER BY name").all();
    stageRows(db, w, 'events', DOCS.map((d, i) => ({ key: d.id, v: i + 10, row: d })));
    swapInSnapshot(db, { scope: 'district', checkpoint: { epoch: 'e', v: 20 }, referenceVersion: 'e:20', checksum: null, at: iso(T0) });
    const after = db.prepare("SELECT name, sql FROM sqlite_master WHERE tbl_name = 'events' AND type IN ('index', 'trigger') AND sql IS NOT NULL ORDER BY name").all();
    expect(after).toEqual(before);
    expect(count(db, 'events_paused', "is_open = 1 AND clock_state = 'paused'")).toBe(1);
  });

  it('drops the facts of an event deleted from the replica', () => {
    const { db, w } = current();
    const rid = db.prepare("SELECT rid FROM events WHERE key = 'e3'").pluck().get() as number;
    db.prepare(
      "INSERT INTO kpi_facts (reported_at, rid, v, key, urgency, source, flags) VALUES (?, ?, 3, 'e3', 'normal', 'grid_patrol', 0), (?, 999, 1, 'other', 'normal', 'api', 0)",
    ).run(T0, rid, T0);
    w.delete('events', 'e3');
    expect(db.prepare('SELECT key FROM kpi_facts').pluck().all()).toEqual(['other']);
  });

  it('applies on a replica that already holds events (the indexes are built from its rows)', () => {
    const db = new Database(':memory:');
    migrate(db, [migration0001, migration0002]);
    filled(db);
    expect(migrate(db, [migration0001, migration0002, migration0003]).applied).toEqual([3]);
    expect(count(db, 'events_open', 'is_open = 1')).toBe(5);
    expect(db.prepare('SELECT count(*) FROM kpi_facts').pluck().get()).toBe(0);
  });
});
