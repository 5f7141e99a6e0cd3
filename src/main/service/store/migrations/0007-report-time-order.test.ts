/**
 * Migration 0007: within a status, rows without a running or paused clock
 * (待派遣: filed, no clock yet; stopped clocks) come oldest reported first,
 * not in row order, and running ones by deadline — read off
 * events_status_rank / events_deadline_order in that order (no sort of the
 * queue) with the very expressions the query layer writes, through a
 * snapshot swap too.
 */
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { DEADLINE_KEY_SQL, DEADLINE_RANK_SQL } from '../../queries/events/event-sql';
import { migrate } from '../migrate';
import { RowWriter } from '../replicated-rows';
import { stageRows, swapInSnapshot } from '../replica-writes';
import { migrations } from './index';
import { writeEventsInline } from './inline-event-rows';
import { eventDoc, internalClock, iso, T0, type ClockState } from './test-docs';


/** an event reported `reportedH` hours after T0, with a running/stopped clock due `deadlineH` hours after T0, or none */
function doc(n: number, status: string, reportedH: number, clock: ClockState = null, deadlineH = 0) {
  return eventDoc(n, { status, reportedH, clocks: clock ? [internalClock(clock, deadlineH)] : [] });
}

// written in this order (rid order): the filed ones newest reported first, so row order is the wrong answer
const DOCS = [
  doc(1, 'filed', 5),
  doc(2, 'filed', 1),
  doc(3, 'filed', 3),
  doc(4, 'filed', 1), // reported with e2: rid breaks the tie
  doc(5, 'dispatched', 0, 'running', 9),
  doc(6, 'dispatched', 2, 'running', 4),
  doc(7, 'handled', 4, 'stopped', 1),
  doc(8, 'handled', 2, 'stopped', 8),
];

const plan = (db: Database.Database, sql: string) => (db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all() as { detail: string }[]).map((r) => r.detail).join(' | ');
const ORDER = `ORDER BY ${DEADLINE_RANK_SQL}, ${DEADLINE_KEY_SQL}, e.rid`;
const queue = (db: Database.Database, status: string) => db.prepare(`SELECT e.key FROM events e INDEXED BY events_status_rank WHERE e.status = ? ${ORDER} LIMIT 100`).pluck().all(status);
const all = (db: Database.Database) => db.prepare(`SELECT e.key FROM events e ${ORDER} LIMIT 100`).pluck().all();

function check(db: Database.Database) {
  expect(queue(db, 'filed')).toEqual(['e2', 'e4', 'e3', 'e1']);
  expect(queue(db, 'dispatched')).toEqual(['e6', 'e5']);
  // stopped clocks: by report time, not by their stopped deadline
  expect(queue(db, 'handled')).toEqual(['e8', 'e7']);
  expect(all(db)).toEqual(['e6', 'e5', 'e2', 'e4', 'e8', 'e3', 'e7', 'e1']);
  // served in that order by the indexes: no sort step
  const p = plan(db, `SELECT e.rid FROM events e INDEXED BY events_status_rank WHERE e.status = 'filed' ${ORDER} LIMIT 10`);
  expect(p).toContain('events_status_rank');
  expect(p).not.toMatch(/TEMP B-TREE/);
  const pa = plan(db, `SELECT e.rid FROM events e ${ORDER} LIMIT 10`);
  expect(pa).toContain('events_deadline_order');
  expect(pa).not.toMatch(/TEMP B-TREE/);
}

describe('migration 0007 report-time order', () => {
  it('before it, 待派遣 came in row order; after it, oldest reported first, off the index, also after a swap', () => {
    const before = new Database(':memory:');
    migrate(before, migrations.slice(0, 6));
    writeEventsInline(before, DOCS.map((d, i) => ({ key: d.id, v: i + 1, row: d })));
    expect(before.prepare(`SELECT e.key FROM events e WHERE e.status = 'filed' ORDER BY ${DEADLINE_RANK_SQL}, e.deadline_at, e.rid`).pluck().all()).toEqual(['e1', 'e2', 'e3', 'e4']);
    // the migration on a replica that holds rows rebuilds both indexes over them (0008 then empties the replica)
    migrate(before, migrations.slice(0, 7));
    check(before);

    const db = new Database(':memory:');
    migrate(db, migrations);
    const w = new RowWriter(db);
    db.transaction(() => DOCS.forEach((d, i) => w.upsert('events', d.id, i + 1, d)))();
    check(db);
    stageRows(db, w, 'events', DOCS.map((d, i) => ({ key: d.id, v: i + 1, row: d })));
    swapInSnapshot(db, { scope: 'district', checkpoint: { epoch: 'e', v: 9 }, referenceVersion: 'e:9', checksum: null, at: iso(T0) });
    check(db);
    expect(db.prepare("SELECT count(*) FROM sqlite_master WHERE type = 'index' AND name IN ('events_deadline_order', 'events_status_rank')").pluck().get()).toBe(2);
  });
});
