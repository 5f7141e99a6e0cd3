/**
 * Migration 0006: the two shadowed indexes are gone (and stay gone through a
 * snapshot swap, which recreates indexes from sqlite_master), and what they
 * served is still answered from an index: status lookups and the deadline
 * order within a status from events_status_rank, open events from events_open.
 */
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { migrate } from '../migrate';
import { RowWriter } from '../replicated-rows';
import { stageRows, swapInSnapshot } from '../replica-writes';
import { migrations } from './index';
import { eventDoc, iso, T0 } from './test-docs';


function doc(n: number, status: string) {
  return eventDoc(n, { status });
}

const plan = (db: Database.Database, sql: string) => (db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all() as { detail: string }[]).map((r) => r.detail).join(' | ');
const indexNames = (db: Database.Database) => db.prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'events'").pluck().all() as string[];

describe('migration 0006 drop shadowed indexes', () => {
  it('drops events_open_deadline and events_status_deadline; status and open lookups still read an index, through a swap too', () => {
    const before = new Database(':memory:');
    migrate(before, migrations.slice(0, 5));
    expect(indexNames(before)).toEqual(expect.arrayContaining(['events_open_deadline', 'events_status_deadline']));
    migrate(before, migrations);
    expect(indexNames(before)).not.toContain('events_open_deadline');
    expect(indexNames(before)).not.toContain('events_status_deadline');

    const db = new Database(':memory:');
    migrate(db, migrations);
    const w = new RowWriter(db);
    const docs = [doc(1, 'closed'), doc(2, 'filed'), doc(3, 'closed'), doc(4, 'in_progress')];
    stageRows(db, w, 'events', docs.map((d, i) => ({ key: d.id, v: i + 1, row: d })));
    swapInSnapshot(db, { scope: 'district', checkpoint: { epoch: 'e', v: 4 }, referenceVersion: 'e:4', checksum: null, at: iso(T0) });
    expect(indexNames(db)).not.toContain('events_open_deadline');
    expect(indexNames(db)).not.toContain('events_status_deadline');
    expect(plan(db, "SELECT rid FROM events WHERE status = 'closed' ORDER BY (CASE clock_state WHEN 'running' THEN 0 WHEN 'paused' THEN 1 ELSE 2 END), deadline_at")).toContain('events_status_rank');
    expect(plan(db, "SELECT count(*) FROM events WHERE status IN ('closed', 'checked')")).toMatch(/USING (COVERING )?INDEX events_/);
    expect(plan(db, 'SELECT status, count(*) FROM events WHERE is_open = 1 GROUP BY status')).toContain('events_open');
    expect(db.prepare("SELECT key FROM events WHERE status = 'closed' ORDER BY key").pluck().all()).toEqual(['e1', 'e3']);
  });
});
