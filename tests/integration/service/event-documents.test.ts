/**
 * Event documents apart from their rows (migration 0008), end to end over the
 * fake feed: after live updates that change every column extracted from the
 * document (pause start, pending extension, supervisor, assisting units),
 * live deletes, a re-upsert of a deleted key, a must_refetch re-snapshot and a
 * scope change, every event has exactly its document, no document outlives
 * its event, and the extracted columns say what the document says
 * (`replicaRows` reports each of those as a difference from the server).
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { EventRecord } from '../../../src/core/index';
import { startFakeFeed } from './fake-feed-server';
import { eventChange, makeEvent, referenceChanges, replicaRows, serviceOn, sorted, tempDir, TOWN_A, TOWN_B } from './feed-fixtures';

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** e with the four document fields that migration 0008 extracts into columns set */
function loaded(e: EventRecord): EventRecord {
  const wf: EventRecord['workflow'] = { ...e.workflow };
  wf.status = 'parked';
  wf.clocks = [
    {
      id: 'urban',
      kind: 'urban',
      measure: 'calendar',
      warnAt: 0.8,
      startedAt: '2026-11-20T08:00:00.000Z',
      budgetMs: 86_400_000,
      baseDeadline: '2026-11-21T08:00:00.000Z',
      policy: null,
      pauses: [{ from: '2026-11-20T10:00:00.000Z', to: null, reason: 'parked' }],
      extensions: [],
      stoppedAt: null,
    },
  ];
  wf.pendingExtension = { requestedAt: '2026-11-20T09:00:00.000Z', requestedBy: 'u-1', unitId: 'dept-cg', duration: { unit: 'working_days', amount: 1, dayConvention: 'elapsed' }, clockIds: ['urban'], reason: 'r' };
  wf.supervision = { level: 1, since: '2026-11-20T09:00:00.000Z', reason: 'x', byActorId: 'officer-a', dueAt: null };
  wf.assistingUnitIds = ['dept-sw', 'dept-jt'];
  return { ...e, description: '已挂账，等待协办', workflow: wf };
}

describe('event documents apart (0008) over the feed', () => {
  it('live updates, deletes, a re-upsert, a must_refetch and a scope change keep events_doc and the extracted columns in step', async () => {
    const f = await startFakeFeed();
    cleanups.push(() => f.close());
    f.commit(referenceChanges());
    const events = Array.from({ length: 6 }, (_, i) => makeEvent(`e${i + 1}`, { town: i % 2 ? TOWN_B : TOWN_A }));
    f.commit(events.map(eventChange));
    const h = await serviceOn(f, tempDir(cleanups), cleanups);
    expect(await h.svc.syncNow()).toBe('live');
    expect(sorted(replicaRows(h.svc))).toEqual(sorted(f.rowsOf('district')));
    const db = h.svc.replica.sqlite;
    const cursor = () => h.svc.syncStatus().cursor?.v;

    // every extracted column changes, then changes back
    let v = f.commit([eventChange(loaded(events[0]!)), eventChange(loaded(events[1]!))]);
    await expect.poll(cursor).toBe(v);
    expect(db.prepare("SELECT pause_from, pending_extension, supervised_by, assisting_units FROM events WHERE key = 'e1'").get()).toEqual({
      pause_from: '2026-11-20T10:00:00.000Z',
      pending_extension: 1,
      supervised_by: 'officer-a',
      assisting_units: '["dept-sw","dept-jt"]',
    });
    expect(sorted(replicaRows(h.svc))).toEqual(sorted(f.rowsOf('district')));
    v = f.commit([eventChange(events[0]!)]);
    await expect.poll(cursor).toBe(v);
    expect(db.prepare("SELECT pause_from, pending_extension, supervised_by, assisting_units FROM events WHERE key = 'e1'").get()).toEqual({
      pause_from: null,
      pending_extension: 0,
      supervised_by: null,
      assisting_units: null,
    });
    expect(sorted(replicaRows(h.svc))).toEqual(sorted(f.rowsOf('district')));

    // deletes (a row leaving nothing behind), then the highest rid deleted and a new key taking it, then a deleted key back
    const ridOf = (key: string) => db.prepare('SELECT rid FROM events WHERE key = ?').pluck().get(key) as number | undefined;
    const top = db.prepare('SELECT key FROM events ORDER BY rid DESC LIMIT 1').pluck().get() as string;
    const topRid = ridOf(top)!;
    v = f.commit([
      { table: 'events', key: top, row: undefined },
      { table: 'events', key: 'e3', row: undefined },
    ]);
    await expect.poll(cursor).toBe(v);
    expect(ridOf('e3')).toBeUndefined();
    expect(sorted(replicaRows(h.svc))).toEqual(sorted(f.rowsOf('district')));
    v = f.commit([eventChange(makeEvent('e7', { description: '新的描述' }))]);
    await expect.poll(cursor).toBe(v);
    expect(ridOf('e7')).toBe(topRid); // no AUTOINCREMENT: the rid comes back, with the new event's own document
    v = f.commit([eventChange(makeEvent('e3', { title: '回来的事件' }))]);
    await expect.poll(cursor).toBe(v);
    expect(sorted(replicaRows(h.svc))).toEqual(sorted(f.rowsOf('district')));
    const match = (q: string) => db.prepare('SELECT rowid FROM events_fts WHERE events_fts MATCH ?').pluck().all(`"${q}"`);
    expect(match('新的描述')).toEqual([topRid]);
    expect(match('回来的事件')).toEqual([ridOf('e3')]);

    // a must_refetch re-snapshot, then a scope change: the documents are swapped with their rows
    f.sendFrame({ t: 'must_refetch', reason: 'test' });
    await expect.poll(() => f.hits.get('/api/v1/sync/snapshot')).toBe(2);
    await expect.poll(() => h.svc.syncStatus().state).toBe('live');
    expect(sorted(replicaRows(h.svc))).toEqual(sorted(f.rowsOf('district')));
    await h.svc.handlers['sync/set-scope']({ scope: TOWN_B });
    await expect.poll(() => h.svc.syncStatus().scope === TOWN_B && h.svc.syncStatus().state === 'live').toBe(true);
    await expect.poll(() => sorted(replicaRows(h.svc))).toEqual(sorted(f.rowsOf(TOWN_B)));
    expect(db.prepare('SELECT count(*) FROM events_doc').pluck().get()).toBe(db.prepare('SELECT count(*) FROM events').pluck().get());
  });
});
