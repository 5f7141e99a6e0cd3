/**
 * Migration 0008: event documents apart from `events`. On a replica that held
 * events (documents inline), the migration empties the replica and its cursor
 * (the next start re-snapshots) and keeps the outbox; the four extracted
 * columns say, event by event, exactly what the document expressions of the
 * indexes said before; the indexes hold the same rows and serve the query
 * layer's terms; a snapshot swap carries the documents with their rids, and
 * live upserts and deletes keep `events_doc` in step with `events`.
 */
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { filterSql } from '../../queries/events/event-sql';
import { migrate } from '../migrate';
import { RowWriter } from '../replicated-rows';
import { buildFtsChunk, stageRows, swapInSnapshot } from '../replica-writes';
import { readSyncState, writeSyncState } from '../sync-state';
import { migrations } from './index';
import { writeEventsInline } from './inline-event-rows';

const T0 = Date.parse('2026-11-20T08:00:00.000Z');
const iso = (ms: number) => new Date(ms).toISOString();

interface Opts {
  status?: string;
  pauses?: { from: unknown; to: string | null }[];
  clocks?: 'none' | 'two';
  pendingExtension?: unknown;
  supervisedBy?: unknown;
  assisting?: unknown;
}
function eventDoc(n: number, o: Opts = {}) {
  const started = T0 + n * 60_000;
  const clock = (id: string, pauses: Opts['pauses']) => ({
    id,
    kind: id,
    measure: 'calendar',
    warnAt: 0.8,
    startedAt: iso(started),
    budgetMs: 86_400_000,
    baseDeadline: iso(started + 86_400_000),
    policy: null,
    pauses: pauses ?? [],
    extensions: [],
    stoppedAt: null,
  });
  const clocks = o.clocks === 'none' ? [] : o.clocks === 'two' ? [clock('internal', o.pauses), clock('public', [])] : [clock('internal', o.pauses)];
  const workflow: Record<string, unknown> = {
    id: `e${n}`,
    status: o.status ?? 'in_progress',
    area: { districtCode: '440114', townCode: '440114001000', villageCode: '440114001001', gridCode: '440114001001001' },
    categoryCode: '0401',
    reportedAt: iso(started),
    updatedAt: iso(started),
    leadUnitId: 'dept-cg',
    clocks,
    supervision: o.supervisedBy === undefined ? null : { level: 1, since: iso(started), reason: 'x', byActorId: o.supervisedBy, dueAt: null },
    pendingExtension: o.pendingExtension ?? null,
    closedAt: null,
  };
  if (o.assisting !== undefined) workflow.assistingUnitIds = o.assisting;
  return {
    id: `e${n}`,
    caseNo: `HD20261120${String(n).padStart(4, '0')}`,
    title: `事件${n}`,
    description: `井盖缺失第${n}处`,
    address: '花都区新华街建设北路1号',
    location: [113.2, 23.4],
    source: 'grid_patrol',
    urgency: 'normal',
    createdAt: iso(started),
    workflow,
  };
}

const ext = { requestedAt: iso(T0), requestedBy: 'u', unitId: 'dept-cg', duration: { unit: 'working_days', amount: 1 }, clockIds: ['internal'], reason: 'r' };
const DOCS = [
  eventDoc(1),
  eventDoc(2, { status: 'parked', pauses: [{ from: iso(T0 + 3_600_000), to: null }] }),
  eventDoc(3, { status: 'parked', clocks: 'two', pauses: [{ from: iso(T0), to: iso(T0 + 60_000) }, { from: iso(T0 + 7_200_000), to: null }] }),
  eventDoc(4, { pauses: [{ from: iso(T0), to: iso(T0 + 60_000) }] }), // a closed pause: running, pause_from still the document's
  eventDoc(5, { status: 'parked', pauses: [{ from: 12345, to: null }] }), // not a string: not selected by `> ''`
  eventDoc(6, { clocks: 'none' }),
  eventDoc(7, { pendingExtension: ext }),
  eventDoc(8, { status: 'evaluated', pendingExtension: ext }), // closed: not in the partial index
  eventDoc(9, { pendingExtension: 'soon' }), // not an object
  eventDoc(10, { supervisedBy: 'officer-a' }),
  eventDoc(11, { supervisedBy: 'officer-b', assisting: ['dept-sw'] }),
  eventDoc(12, { supervisedBy: 7 }),
  eventDoc(13, { assisting: [] }),
  eventDoc(14, { assisting: ['dept-sw', 'dept-jt'] }),
  eventDoc(15, { status: 'closed', assisting: ['dept-sw'] }),
  eventDoc(16, { assisting: 'dept-sw' }), // not an array: json_each read it as one id
  eventDoc(17, { assisting: [3, 'dept-jt'] }),
];
const ROWS = DOCS.map((d, i) => ({ key: d.id, v: i + 1, row: d }));

/** per event, what the document expressions of 0003's indexes read (unit ids: the strings, the only values a unit filter can match) */
const OLD_EXPRESSIONS = `SELECT key,
  CASE WHEN json_type(doc, '$.workflow.clocks[0].pauses[#-1].from') = 'text' THEN json_extract(doc, '$.workflow.clocks[0].pauses[#-1].from') END AS pause,
  json_type(doc, '$.workflow.pendingExtension') = 'object' AS ext,
  CASE WHEN json_type(doc, '$.workflow.supervision.byActorId') = 'text' THEN json_extract(doc, '$.workflow.supervision.byActorId') END AS byActor,
  (SELECT json_group_array(value) FROM json_each(doc, '$.workflow.assistingUnitIds') WHERE type = 'text') AS units
  FROM events ORDER BY key`;
const NEW_COLUMNS = `SELECT key, pause_from AS pause, pending_extension AS ext, supervised_by AS byActor,
  (SELECT json_group_array(value) FROM json_each(assisting_units)) AS units
  FROM events ORDER BY key`;

/** keys an index holds for its own condition */
const inIndex = (db: Database.Database, index: string, where: string) => db.prepare(`SELECT key FROM events INDEXED BY ${index} WHERE ${where} ORDER BY key`).pluck().all();
const plan = (db: Database.Database, sql: string, bind: Record<string, unknown> = {}) =>
  (db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(bind) as { detail: string }[]).map((r) => r.detail).join(' | ');
const columns = (db: Database.Database, t: string) => db.prepare(`SELECT name FROM pragma_table_info('${t}')`).pluck().all() as string[];

function at0007() {
  const db = new Database(':memory:');
  migrate(db, migrations.slice(0, 7));
  writeEventsInline(db, ROWS);
  return db;
}
function at0008() {
  const db = new Database(':memory:');
  migrate(db, migrations);
  const w = new RowWriter(db);
  db.transaction(() => ROWS.forEach((r) => w.upsert('events', r.key, r.v, r.row)))();
  return { db, w };
}
const docsOf = (db: Database.Database) =>
  db.prepare('SELECT e.key, e.rid, d.doc FROM events e JOIN events_doc d ON d.rid = e.rid ORDER BY e.key').all() as { key: string; rid: number; doc: string }[];

describe('migration 0008 event documents apart', () => {
  it('empties a replica that held events, documents apart from then on; the outbox stays; the cursor goes (re-snapshot)', () => {
    const db = at0007();
    writeSyncState(db, { scope: 'district', cursor: { epoch: 'e', v: 16 }, referenceVersion: 'e:1', lastChecksum: null, snapshotAt: iso(T0), lastBatchAt: iso(T0) });
    db.exec("INSERT INTO events_fts (rowid, title, description, address) SELECT rid, title, json_extract(doc, '$.description'), address FROM events");
    db.exec("INSERT INTO outbox (client_id, created_at, mutation, event_id, state, updated_at) VALUES ('c', 't', '{}', 'e1', 'queued', 't')");
    db.exec(`INSERT INTO preferences VALUES ('ftsIndex', '{"through":3}', 't'), ('clientId', '"c"', 't')`);
    expect(columns(db, 'events')).toContain('doc');

    expect(migrate(db, migrations.slice(0, 8)).applied).toEqual([8]);
    for (const t of ['events', 'stage_events']) {
      expect(columns(db, t)).not.toContain('doc');
      expect(columns(db, t)).toEqual(expect.arrayContaining(['pause_from', 'pending_extension', 'supervised_by', 'assisting_units']));
    }
    for (const t of ['events_doc', 'stage_events_doc']) expect(columns(db, t)).toEqual(['rid', 'doc']);
    for (const t of ['events', 'events_doc', 'kpi_facts', 'sync_state']) expect(db.prepare(`SELECT count(*) FROM ${t}`).pluck().get()).toBe(0);
    expect(readSyncState(db)).toBeNull();
    expect(db.prepare("SELECT count(*) FROM events_fts WHERE events_fts MATCH '\"井盖缺\"'").pluck().get()).toBe(0);
    expect(db.prepare('SELECT key FROM preferences ORDER BY key').pluck().all()).toEqual(['clientId']);
    expect(db.prepare('SELECT count(*) FROM outbox').pluck().get()).toBe(1);
    // the facts trigger came back with the table
    expect(db.prepare("SELECT count(*) FROM sqlite_master WHERE type = 'trigger' AND name = 'events_kpi_facts_delete'").pluck().get()).toBe(1);
  });

  it('the extracted columns say what the document expressions said, event by event, and the indexes hold the same rows', () => {
    const before = at0007();
    const { db } = at0008();
    const old = before.prepare(OLD_EXPRESSIONS).all();
    expect(db.prepare(NEW_COLUMNS).all()).toEqual(old);
    expect(old.filter((r) => (r as { pause: unknown }).pause !== null)).toHaveLength(3); // the fixture covers each case

    const same = (index: string, oldWhere: string, newWhere: string) => expect(inIndex(db, index, newWhere)).toEqual(inIndex(before, index, oldWhere));
    same('events_paused', "is_open = 1 AND clock_state = 'paused' AND json_extract(doc, '$.workflow.clocks[0].pauses[#-1].from') > ''", "is_open = 1 AND clock_state = 'paused' AND pause_from > ''");
    same('events_pending_extension', "is_open = 1 AND json_type(doc, '$.workflow.pendingExtension') = 'object'", 'is_open = 1 AND pending_extension = 1');
    same('events_supervised_by', 'is_open = 1 AND supervision_level IS NOT NULL', 'is_open = 1 AND supervision_level IS NOT NULL');
    expect(inIndex(db, 'events_pending_extension', 'is_open = 1 AND pending_extension = 1')).toEqual(['e7']);
    // e3's most urgent clock is its second, running one: not paused, though its first clock's last pause is open
    expect(inIndex(db, 'events_paused', "is_open = 1 AND clock_state = 'paused' AND pause_from > ''")).toEqual(['e2']);
    // assisting: the old index also held documents without the field (a text test); the new one only events with units
    expect(inIndex(db, 'events_open_assisting', 'is_open = 1 AND assisting_units IS NOT NULL')).toEqual(['e11', 'e14', 'e16', 'e17']);
  });

  it('the query layer’s terms read the new columns off their indexes and select what the document expressions did', () => {
    const before = at0007();
    const { db } = at0008();
    const keys = (d: Database.Database, where: string, bind: Record<string, unknown> = {}) => d.prepare(`SELECT e.key FROM events e WHERE ${where} ORDER BY e.key`).pluck().all(bind);
    const f = filterSql({ queue: 'all', unitIds: ['dept-sw'] }, T0, null);
    expect(f.where).toContain('assisting_units');
    expect(db.prepare(`SELECT e.key FROM ${f.from} ${f.where} ORDER BY e.key`).pluck().all(f.bind)).toEqual(['e11', 'e14', 'e16']);
    // the same filter as 0003 wrote it, on the old replica (lead unit dept-cg is not asked: only assisting units match)
    const oldAssisting = `e.rid IN (SELECT e.rid FROM events e INDEXED BY events_open_assisting WHERE e.is_open = 1 AND instr(e.doc, '"assistingUnitIds":[]') = 0
      AND EXISTS (SELECT 1 FROM json_each(e.doc, '$.workflow.assistingUnitIds') WHERE value IN ('dept-sw')))`;
    expect(keys(before, oldAssisting)).toEqual(['e11', 'e14', 'e16']);
    expect(plan(db, `SELECT e.rid FROM ${f.from} ${f.where}`, f.bind)).toMatch(/COVERING INDEX events_open_assisting/);

    const ext = filterSql({ queue: 'extension_requests' }, T0, null);
    expect(db.prepare(`SELECT e.key FROM ${ext.from} ${ext.where} ORDER BY e.key`).pluck().all(ext.bind)).toEqual(['e7']);
    const mine = filterSql({ queue: 'supervised_by_me' }, T0, 'officer-a');
    expect(db.prepare(`SELECT e.key FROM ${mine.from} ${mine.where} ORDER BY e.key`).pluck().all(mine.bind)).toEqual(['e10']);
    expect(plan(db, `SELECT e.rid FROM ${mine.from} ${mine.where}`, mine.bind)).toContain('events_supervised_by');
    expect(plan(db, `SELECT e.rid FROM events e WHERE e.is_open = 1 AND e.clock_state = 'paused' AND e.pause_from > ''`)).toContain('events_paused');
  });

  it('a snapshot swap carries the documents under their rids; the FTS index reads descriptions from them', () => {
    const { db, w } = at0008();
    const indexes = () => db.prepare("SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'events' AND sql IS NOT NULL ORDER BY name").all();
    const before = indexes();
    stageRows(db, w, 'events', ROWS.map((r) => ({ ...r, v: r.v + 100 })));
    expect(db.prepare('SELECT count(*) FROM stage_events_doc').pluck().get()).toBe(DOCS.length);
    swapInSnapshot(db, { scope: 'district', checkpoint: { epoch: 'e', v: 200 }, referenceVersion: 'e:200', checksum: null, at: iso(T0) }, { deferFts: true });
    for (const t of ['stage_events', 'stage_events_doc']) expect(db.prepare(`SELECT count(*) FROM ${t}`).pluck().get()).toBe(0);
    const docs = docsOf(db);
    expect(docs.map((r) => JSON.parse(r.doc))).toEqual([...DOCS].sort((a, b) => a.id.localeCompare(b.id)));
    expect(db.prepare('SELECT count(*) FROM events_doc').pluck().get()).toBe(DOCS.length);
    while (!buildFtsChunk(db, 5));
    expect(db.prepare("SELECT rowid FROM events_fts WHERE events_fts MATCH '\"缺失第14处\"'").pluck().all()).toEqual([docs.find((r) => r.key === 'e14')!.rid]);
    // the indexes of events came back over the swapped table; events_doc has none but its key
    expect(indexes()).toEqual(before);
    expect(before.length).toBeGreaterThan(15);
    expect(db.prepare("SELECT count(*) FROM sqlite_master WHERE type = 'index' AND tbl_name = 'events_doc'").pluck().get()).toBe(0);
  });

  it('live upserts keep the rid and replace the document; deletes take it away', () => {
    const { db, w } = at0008();
    const rid = db.prepare("SELECT rid FROM events WHERE key = 'e14'").pluck().get() as number;
    const changed = { ...DOCS[13]!, description: '已修复', workflow: { ...DOCS[13]!.workflow, assistingUnitIds: [] } };
    db.transaction(() => w.upsert('events', 'e14', 99, changed))();
    expect(db.prepare("SELECT rid, v, assisting_units FROM events WHERE key = 'e14'").get()).toEqual({ rid, v: 99, assisting_units: null });
    expect(JSON.parse(db.prepare('SELECT doc FROM events_doc WHERE rid = ?').pluck().get(rid) as string)).toEqual(changed);
    db.transaction(() => w.delete('events', 'e14'))();
    expect(db.prepare('SELECT count(*) FROM events_doc WHERE rid = ?').pluck().get(rid)).toBe(0);
    expect(db.prepare('SELECT count(*) FROM events_fts WHERE rowid = ?').pluck().get(rid)).toBe(0);
    expect(db.prepare('SELECT count(*) FROM events').pluck().get()).toBe(DOCS.length - 1);
    expect(db.prepare('SELECT count(*) FROM events_doc').pluck().get()).toBe(DOCS.length - 1);
    // every event has its document and no document is left without its event
    expect(db.prepare('SELECT count(*) FROM events e LEFT JOIN events_doc d ON d.rid = e.rid WHERE d.rid IS NULL').pluck().get()).toBe(0);
    expect(db.prepare('SELECT count(*) FROM events_doc d LEFT JOIN events e ON e.rid = d.rid WHERE e.rid IS NULL').pluck().get()).toBe(0);
  });
});
