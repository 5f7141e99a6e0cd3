/**
 * The sync client against the fake feed over real HTTP, WebSocket and SSE:
 * snapshot with progress then live batches; SSE when WebSockets are refused;
 * town scope; malformed and out-of-order batches refused with the replica
 * untouched; must_refetch, a new epoch, a pruned log and checksum drift
 * re-snapshot by themselves; a restarted server is resumed from the cursor.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { parseEvent, type EventsChanged } from '../../../src/core/index';
import { startFakeFeed, type FakeFeedServer } from './fake-feed-server';
import { auditOf, eventChange, makeEvent, referenceChanges, replicaRows, serviceOn, sorted, tempDir, TOWN_A, TOWN_B } from './feed-fixtures';

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function feed(opts: Parameters<typeof startFakeFeed>[0] = {}): Promise<FakeFeedServer> {
  const f = await startFakeFeed(opts);
  cleanups.push(() => f.close());
  f.commit(referenceChanges());
  return f;
}

const eventsChanged = (h: { events: { name: string; payload: unknown }[] }) =>
  h.events.filter((e) => e.name === 'events/changed').map((e) => parseEvent('events/changed', e.payload) as EventsChanged);

describe('sync client', () => {
  it('snapshots the scope with progress, then applies live batches with their cursor', async () => {
    const f = await feed({ pageRows: 3 });
    const events = Array.from({ length: 30 }, (_, i) => makeEvent(`e${i + 1}`, { town: i % 2 ? TOWN_A : TOWN_B }));
    f.commit(events.map(eventChange));
    const h = await serviceOn(f, tempDir(cleanups), cleanups);
    expect(await h.svc.syncNow()).toBe('live');

    const progress = h.statuses.filter((s) => s.state === 'snapshot').map((s) => s.progress!);
    expect(progress.at(-1)).toMatchObject({ rows: 47, totalRows: 47 });
    expect(progress.at(-1)!.bytes).toBeGreaterThan(10_000);
    expect(h.statuses.at(-1)).toMatchObject({ state: 'live', cursor: { epoch: 'epoch-1', v: 2 }, scope: 'district', offlineSince: null });
    expect(sorted(replicaRows(h.svc))).toEqual(sorted(f.rowsOf('district')));
    expect(eventsChanged(h)).toEqual([{ ids: [], all: true, checkpoint: { epoch: 'epoch-1', v: 2 } }]);

    const tree = await h.svc.handlers['areas/tree']({});
    expect(tree.district.children.map((t) => t.gridCount)).toEqual([3, 2]);

    const e1 = { ...events[0]!, title: '井盖缺失' };
    f.commit([eventChange(e1), auditOf(e1, 1, 'verify', 'verifying')]);
    f.commit([{ table: 'events', key: 'e2' }]);
    await expect.poll(() => h.svc.syncStatus().cursor?.v).toBe(4);
    expect(sorted(replicaRows(h.svc))).toEqual(sorted(f.rowsOf('district')));
    expect(eventsChanged(h).slice(1)).toEqual([
      { ids: ['e1'], all: false, checkpoint: { epoch: 'epoch-1', v: 3 } },
      { ids: ['e2'], all: false, checkpoint: { epoch: 'epoch-1', v: 4 } },
    ]);
    const db = h.svc.replica.sqlite;
    expect(db.prepare("SELECT rowid FROM events_fts WHERE events_fts MATCH '\"井盖缺\"'").pluck().all()).toEqual([
      db.prepare("SELECT rid FROM events WHERE key = 'e1'").pluck().get(),
    ]);
    expect(f.liveClients()[0]!.kind).toBe('websocket');
  });

  it('falls back to SSE when WebSockets are refused', async () => {
    const f = await feed();
    f.refuseWebSocket = true;
    const h = await serviceOn(f, tempDir(cleanups), cleanups);
    expect(await h.svc.syncNow()).toBe('live');
    expect(f.liveClients()[0]!.kind).toBe('sse');
    f.commit([eventChange(makeEvent('e1'))]);
    await expect.poll(() => h.svc.syncStatus().cursor?.v).toBe(2);
    expect(sorted(replicaRows(h.svc))).toEqual(sorted(f.rowsOf('district')));
  });

  it('replicates one town: its rows and the district-wide ones; a row leaving the town is deleted', async () => {
    const f = await feed();
    f.commit([eventChange(makeEvent('a1', { town: TOWN_A })), eventChange(makeEvent('b1', { town: TOWN_B }))]);
    const h = await serviceOn(f, tempDir(cleanups), cleanups, { scope: TOWN_A });
    expect(await h.svc.syncNow()).toBe('live');
    expect(sorted(replicaRows(h.svc))).toEqual(sorted(f.rowsOf(TOWN_A)));
    expect(h.svc.replica.sqlite.prepare('SELECT key FROM events').pluck().all()).toEqual(['a1']);
    const moved = makeEvent('a1', { town: TOWN_B });
    f.commit([eventChange(moved)]);
    await expect.poll(() => h.svc.syncStatus().cursor?.v).toBe(3);
    expect(h.svc.replica.sqlite.prepare('SELECT count(*) FROM events').pluck().get()).toBe(0);
    expect(sorted(replicaRows(h.svc))).toEqual(sorted(f.rowsOf(TOWN_A)));
  });
});
