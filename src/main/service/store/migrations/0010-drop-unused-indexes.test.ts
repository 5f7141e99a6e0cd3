/**
 * Migration 0010: the five indexes no statement of the data service is planned
 * on are gone (also after a snapshot swap, which recreates indexes from
 * sqlite_master), and the statements that read those tables still read them
 * through the keys they always used: the reference tables whole in key order
 * (reference/reference-store.ts) on the UNIQUE key's index, an event's audit
 * trail in order (queries/events/detail.ts) on `audit_event_seq` — no sort,
 * the right rows in the right order, live upserts and deletes by key.
 */
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { migrate } from '../migrate';
import { RowWriter } from '../replicated-rows';
import { stageRows, swapInSnapshot } from '../replica-writes';
import { migrations } from './index';
import { iso, T0 } from './test-docs';

const DROPPED = ['areas_parent_code', 'audit_at', 'grids_town_code', 'grids_village_code', 'units_area_code'];

const plan = (db: Database.Database, sql: string, bind: Record<string, unknown> = {}) =>
  (db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(bind) as { detail: string }[]).map((r) => r.detail).join(' | ');
const indexNames = (db: Database.Database) => db.prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL ORDER BY name").pluck().all() as string[];

const area = (code: string, parentCode: string | null) => ({ key: code, row: { code, level: parentCode ? 'town' : 'district', parentCode } });
const grid = (code: string, townCode: string) => ({ key: `${code}:2026-01-01`, row: { code, townCode, villageCode: `${townCode.slice(0, 9)}001`, validFrom: '2026-01-01' } });
const unit = (id: string, areaCode: string) => ({ key: id, row: { id, kind: 'town', areaCode } });
const entry = (eventId: string, seq: number, atH: number) => ({ key: `${eventId}:${seq}`, row: { eventId, seq, at: iso(T0 + atH * 3_600_000) } });

// keys written out of order, audit entries of two events interleaved, `at` not in seq order
const AREAS = [area('440114002000', '440114000000'), area('440114000000', null), area('440114001000', '440114000000')];
const GRIDS = [grid('G3', '440114002000'), grid('G1', '440114001000'), grid('G2', '440114001000')];
const UNITS = [unit('u-b', '440114002000'), unit('u-a', '440114001000')];
const AUDIT = [entry('e2', 1, 5), entry('e1', 2, 1), entry('e1', 0, 3), entry('e2', 0, 4), entry('e1', 1, 2)];

function check(db: Database.Database) {
  for (const name of DROPPED) expect(indexNames(db)).not.toContain(name);
  for (const [table, want] of [
    ['areas', ['440114000000', '440114001000', '440114002000']],
    ['grids', ['G1:2026-01-01', 'G2:2026-01-01', 'G3:2026-01-01']],
    ['units', ['u-a', 'u-b']],
  ] as const) {
    const sql = `SELECT key, doc FROM ${table} ORDER BY key`; // reference-store.ts
    expect(db.prepare(sql).all().map((r) => (r as { key: string }).key)).toEqual(want);
    const p = plan(db, sql);
    expect(p).toMatch(new RegExp(`SCAN ${table} USING INDEX sqlite_autoindex_${table}_1`));
    expect(p).not.toMatch(/TEMP B-TREE/);
  }
  const timeline = 'SELECT doc FROM audit WHERE event_id = @id ORDER BY seq'; // detail.ts
  expect(db.prepare(timeline).all({ id: 'e1' }).map((r) => JSON.parse((r as { doc: string }).doc).seq)).toEqual([0, 1, 2]);
  expect(plan(db, timeline, { id: 'e1' })).toBe('SEARCH audit USING INDEX audit_event_seq (event_id=?)');
}

describe('migration 0010 drop the indexes no query uses', () => {
  it('drops the four reference-table indexes and audit_at; key-order reads and the timeline keep their indexes, also after a swap and live writes', () => {
    const before = new Database(':memory:');
    migrate(before, migrations.slice(0, 9));
    for (const name of DROPPED) expect(indexNames(before)).toContain(name);
    const count = indexNames(before).length;
    migrate(before, migrations);
    expect(indexNames(before)).toHaveLength(count - DROPPED.length);

    const db = new Database(':memory:');
    migrate(db, migrations);
    const w = new RowWriter(db);
    const live = (table: 'areas' | 'grids' | 'units' | 'audit', rows: { key: string; row: unknown }[]) => rows.forEach((r, i) => w.upsert(table, r.key, i + 1, r.row));
    db.transaction(() => {
      live('areas', AREAS);
      live('grids', GRIDS);
      live('units', UNITS);
      live('audit', AUDIT);
    })();
    check(db);

    const indexes = indexNames(db);
    const stage = (table: 'areas' | 'grids' | 'units' | 'audit', rows: { key: string; row: unknown }[]) => stageRows(db, w, table, rows.map((r, i) => ({ ...r, v: i + 10 })));
    stage('areas', AREAS);
    stage('grids', GRIDS);
    stage('units', UNITS);
    stage('audit', AUDIT);
    swapInSnapshot(db, { scope: 'district', checkpoint: { epoch: 'e', v: 20 }, referenceVersion: 'e:20', checksum: null, at: iso(T0) });
    expect(indexNames(db)).toEqual(indexes);
    check(db);

    // a live batch's delete and re-upsert by key, after the swap
    db.transaction(() => {
      w.delete('audit', 'e1:1');
      w.upsert('audit', 'e1:3', 30, entry('e1', 3, 0).row);
      w.delete('grids', 'G2:2026-01-01');
    })();
    expect(db.prepare('SELECT doc FROM audit WHERE event_id = @id ORDER BY seq').all({ id: 'e1' }).map((r) => JSON.parse((r as { doc: string }).doc).seq)).toEqual([0, 2, 3]);
    expect(db.prepare('SELECT key FROM grids ORDER BY key').pluck().all()).toEqual(['G1:2026-01-01', 'G3:2026-01-01']);
  });
});
