/**
 * Migration 0004: the running-clocks index holds exactly the open events whose
 * clock runs, serves "warning instant passed" as a range, and survives a
 * snapshot swap.
 */
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { migrate } from '../migrate';
import { RowWriter } from '../replicated-rows';
import { stageRows, swapInSnapshot } from '../replica-writes';
import { migrations } from './index';
import { eventDoc, internalClock, iso, T0, type ClockState } from './test-docs';


/** a 10-hour internal clock due `n` hours after T0 */
function doc(n: number, status: string, clock: ClockState) {
  return eventDoc(n, { status, clocks: clock ? [internalClock(clock, n, 10)] : [] });
}

describe('migration 0004 running clocks', () => {
  it('indexes the open events whose clock runs, ranged by warning instant, and survives a swap', () => {
    const db = new Database(':memory:');
    migrate(db, migrations);
    const w = new RowWriter(db);
    const docs = [doc(1, 'in_progress', 'running'), doc(5, 'dispatched', 'running'), doc(9, 'signed', 'running'), doc(2, 'handled', 'stopped'), doc(3, 'closed', 'stopped'), doc(4, 'filed', null)];
    db.transaction(() => docs.forEach((d, i) => w.upsert('events', d.id, i + 1, d)))();
    const passed = (at: number) =>
      db.prepare("SELECT key FROM events INDEXED BY events_running_warn WHERE is_open = 1 AND clock_state = 'running' AND warn_at <= ? ORDER BY key").pluck().all(at);
    expect(db.prepare("SELECT count(*) FROM events INDEXED BY events_running_warn WHERE is_open = 1 AND clock_state = 'running'").pluck().get()).toBe(3);
    // warning from 80 % of the limit: e1 at 0.8 h, e5 at 4 h, e9 at 7.2 h
    expect(passed(T0 + 5 * 3_600_000)).toEqual(['e1', 'e5']);
    const plan = (db.prepare("EXPLAIN QUERY PLAN SELECT count(*) FROM events WHERE is_open = 1 AND clock_state = 'running' AND warn_at <= 1").all() as { detail: string }[]).map((r) => r.detail).join();
    expect(plan).toContain('events_running_warn');
    stageRows(db, w, 'events', docs.map((d, i) => ({ key: d.id, v: i + 1, row: d })));
    swapInSnapshot(db, { scope: 'district', checkpoint: { epoch: 'e', v: 9 }, referenceVersion: 'e:9', checksum: null, at: iso(T0) });
    expect(passed(T0 + 5 * 3_600_000)).toEqual(['e1', 'e5']);
  });
});
