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

const iso = (ms: number) => new Date(ms).toISOString();
const T0 = Date.parse('2026-11-20T08:00:00.000Z');

function doc(n: number, status: string, clock: 'running' | 'stopped' | null) {
  const clocks =
    clock === null
      ? []
      : [{ id: 'internal', kind: 'internal', measure: 'calendar', warnAt: 0.8, startedAt: iso(T0), budgetMs: 10 * 3_600_000, baseDeadline: iso(T0 + n * 3_600_000), policy: null, pauses: [], extensions: [], stoppedAt: clock === 'stopped' ? iso(T0 + 1000) : null }];
  return {
    id: `e${n}`,
    caseNo: `HD${n}`,
    title: 't',
    description: '',
    address: null,
    location: null,
    source: 'api',
    urgency: 'normal',
    createdAt: iso(T0),
    workflow: { id: `e${n}`, status, area: { districtCode: '440114', townCode: null, villageCode: null, gridCode: null }, categoryCode: null, reportedAt: iso(T0), updatedAt: iso(T0), leadUnitId: null, clocks, supervision: null, closedAt: null },
  };
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
