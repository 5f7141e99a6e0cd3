/**
 * Migration 0009: `events_reported` is gone (also after a snapshot swap,
 * which recreates indexes from sqlite_master), and what it served — the
 * history newest first, a time window — is read off `events_reported_geo`
 * in order (no sort of the table; ties of the reported time, broken by rid,
 * are the only thing sorted), with the answers in the right order.
 */
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { orderSql } from '../../queries/events/event-sql';
import { migrate } from '../migrate';
import { RowWriter } from '../replicated-rows';
import { stageRows, swapInSnapshot } from '../replica-writes';
import { migrations } from './index';
import { eventDoc, H, iso, T0 } from './test-docs';


function doc(n: number, reportedH: number, townCode: string | null) {
  return eventDoc(n, { status: 'closed', reportedH, townCode });
}
// e2 and e5 reported at the same instant, e5 in a town that sorts before e2's: rid, not the town, must break the tie
const DOCS = [doc(1, 1, null), doc(2, 5, '440114002000'), doc(3, 3, null), doc(4, 7, null), doc(5, 5, '440114001000'), doc(6, 2, null)];

const plan = (db: Database.Database, sql: string, bind: Record<string, unknown> = {}) =>
  (db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(bind) as { detail: string }[]).map((r) => r.detail).join(' | ');
const indexNames = (db: Database.Database) => db.prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'events' AND sql IS NOT NULL ORDER BY name").pluck().all() as string[];

function check(db: Database.Database) {
  expect(indexNames(db)).not.toContain('events_reported');
  const newest = `SELECT e.key FROM events e ${orderSql('reported_desc', false)} LIMIT 50`;
  expect(db.prepare(newest).pluck().all()).toEqual(['e4', 'e5', 'e2', 'e3', 'e6', 'e1']);
  const p = plan(db, newest);
  expect(p).toContain('events_reported_geo');
  // only the ties are sorted ("RIGHT PART OF ORDER BY"), never the whole table
  expect(p).not.toMatch(/TEMP B-TREE FOR ORDER BY/);
  const window = `SELECT e.key FROM events e WHERE e.reported_at >= @from AND e.reported_at < @to ${orderSql('reported_desc', false)}`;
  expect(db.prepare(window).pluck().all({ from: T0 + 2 * H, to: T0 + 6 * H })).toEqual(['e5', 'e2', 'e3', 'e6']);
  expect(plan(db, window, { from: 0, to: 1 })).toMatch(/INDEX events_reported_geo \(reported_at>\? AND reported_at<\?\)/);
}

describe('migration 0009 drop the reported-time index', () => {
  it('drops events_reported; the newest-first order and time windows are read off events_reported_geo, also after a swap', () => {
    const before = new Database(':memory:');
    migrate(before, migrations.slice(0, 8));
    expect(indexNames(before)).toContain('events_reported');
    const count = indexNames(before).length;
    migrate(before, migrations);
    expect(indexNames(before)).toHaveLength(count - 1);

    const db = new Database(':memory:');
    migrate(db, migrations);
    const w = new RowWriter(db);
    db.transaction(() => DOCS.forEach((d, i) => w.upsert('events', d.id, i + 1, d)))();
    check(db);
    stageRows(db, w, 'events', DOCS.map((d, i) => ({ key: d.id, v: i + 10, row: d })));
    swapInSnapshot(db, { scope: 'district', checkpoint: { epoch: 'e', v: 20 }, referenceVersion: 'e:20', checksum: null, at: iso(T0) });
    check(db);
  });
});
