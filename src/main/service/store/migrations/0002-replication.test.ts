/**
 * Migration 0002 as it shipped: the replicated tables and their stage twins
 * (same columns, no secondary index), on a fresh replica and on one that held
 * the first cut's reference data; the FTS index finds Chinese substrings; the
 * outbox never reuses a mutation id.
 */
import Database from 'better-sqlite3';
import { getTableConfig } from 'drizzle-orm/sqlite-core';
import { describe, expect, it } from 'vitest';
import { migrate } from '../migrate';
import { replicatedTables } from '../schema';
import { migration0001 } from './0001-reference-data';
import { migration0002 } from './0002-replication';
import { describeDbTable, listDbTables } from './schema-compare';

function migrated() {
  const db = new Database(':memory:');
  db.pragma('foreign_keys = ON');
  migrate(db, [migration0001, migration0002]);
  return db;
}

describe('migration 0002 replication', () => {
  const db = migrated();

  it('creates the replicated tables with their stage twins, the FTS index and the local tables', () => {
    // frozen as 0002 shipped; ../schema.test.ts compares the result of ALL migrations with schema.ts
    const replicated = ['areas', 'audit', 'config', 'events', 'grids', 'units', 'wall', 'workers'];
    expect(listDbTables(db)).toEqual(
      [...replicated, ...replicated.map((t) => `stage_${t}`), 'outbox', 'pending_overlay', 'preferences', 'sync_state'].sort(),
    );
    expect(db.prepare("SELECT count(*) FROM sqlite_master WHERE name = 'events_fts'").pluck().get()).toBe(1);
    expect(describeDbTable(db, 'events').indexes).toHaveLength(11);
  });

  it('gives every replicated table a stage twin with the same columns and no secondary index', () => {
    for (const [name, { live, stage }] of Object.entries(replicatedTables)) {
      expect(getTableConfig(live).name).toBe(name);
      expect(getTableConfig(stage).name).toBe(`stage_${name}`);
      expect(describeDbTable(db, `stage_${name}`).columns).toEqual(describeDbTable(db, name).columns);
      expect(describeDbTable(db, `stage_${name}`).indexes).toEqual([]);
    }
  });

  it('replaces the first cut’s tables on a replica that held reference data', () => {
    const old = new Database(':memory:');
    migrate(old, [migration0001]);
    old.exec(`
      INSERT INTO areas VALUES ('440114', 'd', 'district', 'district', NULL, 0, 0, '[]', '{}', 0);
      INSERT INTO sync_state VALUES ('reference', 'v1', '2024-01-01T00:00:00Z');
    `);
    expect(migrate(old, [migration0001, migration0002]).applied).toEqual([2]);
    expect(old.prepare('SELECT count(*) FROM areas').pluck().get()).toBe(0);
    expect(old.prepare('SELECT count(*) FROM sync_state').pluck().get()).toBe(0);
    expect(listDbTables(old)).not.toContain('grid_workers');
  });

  it('finds events by any 3-character substring of title, description or address', () => {
    const fts = db.prepare('INSERT INTO events_fts (rowid, title, description, address) VALUES (?, ?, ?, ?)');
    fts.run(1, '新华街道路面坑洼', '井盖缺失，车辆绕行', '花都区新华街建设北路1号');
    fts.run(2, '噪音扰民', '工地夜间施工', '花东镇李溪村');
    const match = (q: string) => db.prepare('SELECT rowid FROM events_fts WHERE events_fts MATCH ? ORDER BY rowid').pluck().all(`"${q}"`);
    expect(match('路面坑')).toEqual([1]);
    expect(match('夜间施')).toEqual([2]);
    expect(match('建设北路')).toEqual([1]);
    expect(match('李溪村')).toEqual([2]);
    db.prepare('DELETE FROM events_fts WHERE rowid = ?').run(1);
    expect(match('路面坑')).toEqual([]);
  });

  it('never reuses a mutation id, keeps outbox states to the known ones, and drops an overlay with its command', () => {
    const put = db.prepare("INSERT INTO outbox (client_id, created_at, mutation, state, updated_at) VALUES ('c', 't', '{}', ?, 't')");
    const a = put.run('queued').lastInsertRowid;
    const b = put.run('queued').lastInsertRowid;
    db.prepare("INSERT INTO pending_overlay VALUES (?, 'e1', '{}', 't')").run(b);
    db.prepare('DELETE FROM outbox WHERE mutation_id = ?').run(b);
    expect(db.prepare('SELECT count(*) FROM pending_overlay').pluck().get()).toBe(0);
    const c = put.run('queued').lastInsertRowid;
    expect([Number(a), Number(b), Number(c)]).toEqual([1, 2, 3]);
    expect(() => put.run('lost')).toThrow(/CHECK/);
  });

  it('keeps an event’s rid when it is upserted by key', () => {
    const up = db.prepare(
      `INSERT INTO events (key, v, doc, status, is_open, source, urgency, reported_at, created_at, updated_at, title)
       VALUES (?, ?, '{}', 'reported', 1, 'api', 'normal', 0, 0, 0, 't')
       ON CONFLICT (key) DO UPDATE SET v = excluded.v`,
    );
    up.run('e1', 1);
    const rid = db.prepare("SELECT rid FROM events WHERE key = 'e1'").pluck().get();
    up.run('e1', 2);
    expect(db.prepare("SELECT rid, v FROM events WHERE key = 'e1'").get()).toEqual({ rid, v: 2 });
  });
});
