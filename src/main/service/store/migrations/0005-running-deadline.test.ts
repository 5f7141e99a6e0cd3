/**
 * Migration 0005: the running-deadline index holds exactly the open events
 * whose clock runs, walks them in deadline order (the window of the 超期/预警
 * queue stops after its rows instead of sorting them all), and survives a
 * snapshot swap.
 */
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { migrate } from '../migrate';
import { RowWriter } from '../replicated-rows';
import { stageRows, swapInSnapshot } from '../replica-writes';
import { migrations } from './index';
import { eventDoc, H, internalClock, iso, T0, type ClockState } from './test-docs';


function doc(n: number, status: string, clock: ClockState, deadlineHours: number) {
  return eventDoc(n, { status, townCode: n % 2 ? '440114001000' : '440114002000', clocks: clock ? [internalClock(clock, deadlineHours)] : [] });
}

describe('migration 0005 running deadline', () => {
  it('indexes the open events whose clock runs, walks them by deadline, and survives a swap', () => {
    const db = new Database(':memory:');
    migrate(db, migrations);
    const w = new RowWriter(db);
    const docs = [
      doc(1, 'in_progress', 'running', 9),
      doc(2, 'dispatched', 'running', 3),
      doc(3, 'signed', 'running', 6),
      doc(4, 'handled', 'stopped', 1),
      doc(5, 'closed', 'stopped', 2),
      doc(6, 'filed', null, 0),
      doc(7, 'rework', 'running', 3),
    ];
    db.transaction(() => docs.forEach((d, i) => w.upsert('events', d.id, i + 1, d)))();
    const sql = "SELECT key FROM events INDEXED BY events_running_deadline WHERE is_open = 1 AND clock_state = 'running' AND deadline_at < ? ORDER BY deadline_at, rid";
    const overdueBy = (at: number) => db.prepare(sql).pluck().all(at);
    expect(db.prepare("SELECT count(*) FROM events INDEXED BY events_running_deadline WHERE is_open = 1 AND clock_state = 'running'").pluck().get()).toBe(4);
    // deadlines: e2 and e7 at 3 h (rid breaks the tie), e3 at 6 h, e1 at 9 h; e4/e5 stopped, e6 without a clock
    expect(overdueBy(T0 + 7 * H)).toEqual(['e2', 'e7', 'e3']);
    const plan = (db.prepare(`EXPLAIN QUERY PLAN ${sql} LIMIT 2`).all(T0) as { detail: string }[]).map((r) => r.detail).join();
    expect(plan).toContain('events_running_deadline');
    // the deadline order comes from the index: only the tie-break by rid is sorted
    expect(plan).not.toMatch(/TEMP B-TREE FOR ORDER BY/);
    stageRows(db, w, 'events', docs.map((d, i) => ({ key: d.id, v: i + 1, row: d })));
    swapInSnapshot(db, { scope: 'district', checkpoint: { epoch: 'e', v: 9 }, referenceVersion: 'e:9', checksum: null, at: iso(T0) });
    expect(overdueBy(T0 + 7 * H)).toEqual(['e2', 'e7', 'e3']);
    expect(db.prepare("SELECT count(*) FROM sqlite_master WHERE name = 'events_running_deadline'").pluck().get()).toBe(1);
  });
});
