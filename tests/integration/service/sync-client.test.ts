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
import { auditOf, eventChange, makeEvent, referenceChanges, replicaRows, serviceOn, sorted, tempDir, TOWN_A, TOWN_B, type Harness } from './feed-fixtures';

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

/** Counts the outermost transactions run on a connection from now on (savepoints not included). */
function countTransactions(db: Harness['svc']['replica']['sqlite']): { count: number } {
  const counter = { count: 0 };
  const original = db.transaction.bind(db);
  db.transaction = ((fn: (...a: unknown[]) => unknown) => {
    const tx = original(fn);
    return Object.assign((...a: unknown[]) => {
      if (!db.inTransaction) counter.count += 1;
      return tx(...a);
    }, tx);
  }) as typeof db.transaction;
  return counter;
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
    // the two batches may arrive together and share a transaction: one notification then covers both
    const live = eventsChanged(h).slice(1);
    expect(live.at(-1)!.checkpoint).toEqual({ epoch: 'epoch-1', v: 4 });
    expect(live.flatMap((c) => c.ids).sort()).toEqual(['e1', 'e2']);
    expect(live.every((c) => !c.all)).toBe(true);
    const db = h.svc.replica.sqlite;
    expect(db.prepare("SELECT rowid FROM events_fts WHERE events_fts MATCH '\"井盖缺\"'").pluck().all()).toEqual([
      db.prepare("SELECT rid FROM events WHERE key = 'e1'").pluck().get(),
    ]);
    expect(f.liveClients()[0]!.kind).toBe('websocket');
  });

  it('reads the snapshot through an injected fetch (node:http only replaces the runtime’s own fetch)', async () => {
    const f = await feed({ pageRows: 3 });
    f.commit(Array.from({ length: 5 }, (_, i) => eventChange(makeEvent(`e${i + 1}`))));
    const asked: string[] = [];
    const fetchFn: typeof fetch = (input, init) => {
      asked.push(new URL(input instanceof Request ? input.url : input).pathname);
      return globalThis.fetch(input, init);
    };
    const h = await serviceOn(f, tempDir(cleanups), cleanups, { fetch: fetchFn });
    expect(await h.svc.syncNow()).toBe('live');
    expect(asked).toContain('/api/v1/sync/snapshot');
    expect(sorted(replicaRows(h.svc))).toEqual(sorted(f.rowsOf('district')));
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

describe('sync client faults', () => {
  const cursorOf = (h: Harness) =>
    h.svc.replica.sqlite.prepare('SELECT epoch, v FROM sync_state').get() as { epoch: string; v: number };

  it('refuses a malformed batch with a logged error, leaves the replica untouched, and resumes from its cursor', async () => {
    const f = await feed();
    f.commit([eventChange(makeEvent('e1'))]);
    const h = await serviceOn(f, tempDir(cleanups), cleanups);
    expect(await h.svc.syncNow()).toBe('live');
    const before = sorted(replicaRows(h.svc));

    const broken = makeEvent('e2') as unknown as Record<string, unknown>;
    delete broken.title;
    const cases = [
      'not json {',
      JSON.stringify({ t: 'batch', from: { epoch: 'epoch-1', v: 2 }, ops: [{ table: 'events', op: 'upsert', key: 'e2', v: 3 }], checkpoint: { epoch: 'epoch-1', v: 3 }, acks: [] }),
      JSON.stringify({ t: 'batch', from: { epoch: 'epoch-1', v: 2 }, ops: [{ table: 'events', op: 'upsert', key: 'e2', v: 3, row: broken }], checkpoint: { epoch: 'epoch-1', v: 3 }, acks: [] }),
      JSON.stringify({ t: 'batch', from: { epoch: 'epoch-1', v: 2 }, ops: [{ table: 'nope', op: 'upsert', key: 'x', v: 3, row: {} }], checkpoint: { epoch: 'epoch-1', v: 3 }, acks: [] }),
      // an op version outside (from, checkpoint]
      JSON.stringify({ t: 'batch', from: { epoch: 'epoch-1', v: 2 }, ops: [{ table: 'events', op: 'upsert', key: 'e3', v: 9, row: makeEvent('e3') }], checkpoint: { epoch: 'epoch-1', v: 3 }, acks: [] }),
      // a good op followed by a bad one: all or nothing
      JSON.stringify({
        t: 'batch',
        from: { epoch: 'epoch-1', v: 2 },
        ops: [
          { table: 'events', op: 'upsert', key: 'e3', v: 3, row: makeEvent('e3') },
          { table: 'events', op: 'upsert', key: 'e4', v: 3, row: makeEvent('e5') },
        ],
        checkpoint: { epoch: 'epoch-1', v: 3 },
        acks: [],
      }),
    ];
    for (const raw of cases) {
      const errorsBefore = h.log.entries.filter((e) => e.level === 'error').length;
      f.sendRaw(raw);
      await expect.poll(() => h.log.entries.filter((e) => e.level === 'error').length).toBe(errorsBefore + 1);
      expect(h.log.entries.filter((e) => e.level === 'error').at(-1)!.msg).toMatch(/refused malformed data/);
      expect(sorted(replicaRows(h.svc))).toEqual(before);
      expect(cursorOf(h)).toEqual({ epoch: 'epoch-1', v: 2 });
      await expect.poll(() => h.svc.syncStatus().state).toBe('live'); // reconnected from the cursor
    }
    expect(f.hits.get('/api/v1/sync/snapshot')).toBe(1);
    f.commit([eventChange(makeEvent('e6'))]);
    await expect.poll(() => cursorOf(h).v).toBe(3);
    expect(sorted(replicaRows(h.svc))).toEqual(sorted(f.rowsOf('district')));
  });

  it('applies a burst of queued batches in fewer transactions than frames, as one-by-one application would', async () => {
    const f = await feed();
    f.commit([eventChange(makeEvent('e1')), eventChange(makeEvent('e2'))]);
    const h = await serviceOn(f, tempDir(cleanups), cleanups);
    expect(await h.svc.syncNow()).toBe('live');
    const db = h.svc.replica.sqlite;
    const tx = countTransactions(db);
    const N = 30;
    f.split = () => 1; // one version per frame
    f.paused = true;
    for (let i = 0; i < N; i++) {
      const e = makeEvent(`e${(i % 5) + 1}`, { title: `井盖缺失${i}` });
      f.commit(i % 7 === 6 ? [{ table: 'events', key: e.id }] : [eventChange(e), auditOf(e, i + 1, 'verify', 'verifying')]);
    }
    const before = eventsChanged(h).length;
    f.release(); // the N frames are written in one turn of the server's loop: they arrive together
    await expect.poll(() => cursorOf(h).v).toBe(2 + N);
    expect(tx.count).toBeGreaterThan(0);
    expect(tx.count).toBeLessThan(N);
    expect(sorted(replicaRows(h.svc))).toEqual(sorted(f.rowsOf('district')));
    expect(db.prepare('SELECT count(*) FROM events_fts').pluck().get()).toBe(db.prepare('SELECT count(*) FROM events').pluck().get());
    const notes = eventsChanged(h).slice(before);
    expect(notes.length).toBe(tx.count);
    expect(notes.at(-1)!.checkpoint).toEqual({ epoch: 'epoch-1', v: 2 + N });
    expect(new Set(notes.flatMap((n) => n.ids))).toEqual(new Set(['e1', 'e2', 'e3', 'e4', 'e5']));
    expect(h.log.entries.some((e) => e.msg === 'applied queued batches in one transaction')).toBe(true);
  });

  it('a malformed frame in the middle of a burst: the batches before it are applied, it and the ones after are not', async () => {
    const f = await feed();
    const h = await serviceOn(f, tempDir(cleanups), cleanups);
    expect(await h.svc.syncNow()).toBe('live');
    f.split = () => 1;
    f.paused = true;
    for (let i = 1; i <= 3; i++) f.commit([eventChange(makeEvent(`e${i}`))]); // v2..v4
    const expected = sorted(f.rowsOf('district'));
    const broken = makeEvent('e9') as unknown as Record<string, unknown>;
    delete broken.title;
    const errorsBefore = h.log.entries.filter((e) => e.level === 'error').length;
    // in one turn: three good batches, a batch with a row the replica cannot index, a good batch after it
    f.release();
    f.sendRaw(JSON.stringify({ t: 'batch', from: { epoch: 'epoch-1', v: 4 }, ops: [{ table: 'events', op: 'upsert', key: 'e9', v: 5, row: broken }], checkpoint: { epoch: 'epoch-1', v: 5 }, acks: [] }));
    f.sendRaw(JSON.stringify({ t: 'batch', from: { epoch: 'epoch-1', v: 5 }, ops: [{ table: 'events', op: 'upsert', key: 'e8', v: 6, row: makeEvent('e8') }], checkpoint: { epoch: 'epoch-1', v: 6 }, acks: [] }));
    await expect.poll(() => h.log.entries.filter((e) => e.level === 'error').length).toBe(errorsBefore + 1);
    expect(h.log.entries.filter((e) => e.level === 'error').at(-1)!.msg).toMatch(/refused malformed data/);
    expect(cursorOf(h)).toEqual({ epoch: 'epoch-1', v: 4 });
    expect(sorted(replicaRows(h.svc))).toEqual(expected);
    expect(h.svc.replica.sqlite.prepare("SELECT key FROM events WHERE key IN ('e8', 'e9')").pluck().all()).toEqual([]);
    expect(h.log.entries.find((e) => e.msg === 'applied queued batches in one transaction')?.obj).toMatchObject({ frames: 3, checkpoint: { v: 4 } });
    await expect.poll(() => h.svc.syncStatus().state).toBe('live'); // reconnected from v4
    f.commit([eventChange(makeEvent('e6'))]);
    await expect.poll(() => cursorOf(h).v).toBe(5);
    expect(sorted(replicaRows(h.svc))).toEqual(sorted(f.rowsOf('district')));
  });

  it('refuses a batch that does not start at the cursor, and skips one it already holds', async () => {
    const f = await feed();
    const h = await serviceOn(f, tempDir(cleanups), cleanups);
    expect(await h.svc.syncNow()).toBe('live');
    f.paused = true;
    f.commit([eventChange(makeEvent('e1'))]); // v2, not sent
    const v3 = makeEvent('e2');
    // a batch after a gap (from v2, the replica is at v1)
    f.sendFrame({ t: 'batch', from: { epoch: 'epoch-1', v: 2 }, ops: [{ table: 'events', op: 'upsert', key: 'e2', v: 3, row: v3 }], checkpoint: { epoch: 'epoch-1', v: 3 }, acks: [] });
    await expect.poll(() => h.log.entries.some((e) => e.level === 'warn' && /does not start at the cursor/.test(e.msg))).toBe(true);
    expect(cursorOf(h).v).toBe(1);
    expect(h.svc.replica.sqlite.prepare('SELECT count(*) FROM events').pluck().get()).toBe(0);
    f.release();
    await expect.poll(() => cursorOf(h).v).toBe(2);
    // a replay of a batch the replica holds changes nothing
    f.sendFrame({ t: 'batch', from: { epoch: 'epoch-1', v: 1 }, ops: [{ table: 'events', op: 'delete', key: 'e1', v: 2 }], checkpoint: { epoch: 'epoch-1', v: 2 }, acks: [] });
    await new Promise((r) => setTimeout(r, 100));
    expect(h.svc.replica.sqlite.prepare('SELECT key FROM events').pluck().all()).toEqual(['e1']);
    expect(sorted(replicaRows(h.svc))).toEqual(sorted(f.rowsOf('district')));
  });

  it('re-snapshots by itself on a new epoch (restored backup), a pruned log (409) and a must_refetch frame', async () => {
    const f = await feed();
    const h = await serviceOn(f, tempDir(cleanups), cleanups);
    expect(await h.svc.syncNow()).toBe('live');
    expect(f.hits.get('/api/v1/sync/snapshot')).toBe(1);

    f.commit([eventChange(makeEvent('e1'))]);
    f.newEpoch('epoch-2'); // drops the live clients; the reconnect gets 409
    f.commit([eventChange(makeEvent('e2'))]);
    await expect.poll(() => h.svc.syncStatus().cursor?.epoch, { timeout: 5000 }).toBe('epoch-2');
    await expect.poll(() => h.svc.syncStatus().state).toBe('live');
    expect(f.hits.get('/api/v1/sync/snapshot')).toBe(2);
    expect(sorted(replicaRows(h.svc))).toEqual(sorted(f.rowsOf('district')));

    f.dropLiveClients();
    f.commit([eventChange(makeEvent('e3'))]);
    f.prune(f.head);
    await expect.poll(() => f.hits.get('/api/v1/sync/snapshot'), { timeout: 5000 }).toBe(3);
    await expect.poll(() => h.svc.syncStatus().state).toBe('live');
    expect(sorted(replicaRows(h.svc))).toEqual(sorted(f.rowsOf('district')));

    f.sendFrame({ t: 'must_refetch', reason: 'expired' });
    await expect.poll(() => f.hits.get('/api/v1/sync/snapshot'), { timeout: 5000 }).toBe(4);
    await expect.poll(() => h.svc.syncStatus().state).toBe('live');
    expect(h.log.entries.some((e) => e.level === 'warn' && /re-snapshotting/.test(e.msg))).toBe(true);
  });

  it('checks the checksum at its checkpoint and re-snapshots on drift', async () => {
    const f = await feed();
    f.commit([eventChange(makeEvent('e1'))]);
    const h = await serviceOn(f, tempDir(cleanups), cleanups);
    expect(await h.svc.syncNow()).toBe('live');
    f.sendFrame({ t: 'checksum', checksum: f.checksumOf('district') });
    await expect.poll(() => JSON.parse(h.svc.replica.sqlite.prepare('SELECT last_checksum FROM sync_state').pluck().get() as string).at).not.toBe(undefined);
    await new Promise((r) => setTimeout(r, 50));
    expect(f.hits.get('/api/v1/sync/snapshot')).toBe(1);

    // the replica lost a row behind the client's back
    h.svc.replica.sqlite.prepare("DELETE FROM events WHERE key = 'e1'").run();
    f.sendFrame({ t: 'checksum', checksum: f.checksumOf('district') });
    await expect.poll(() => f.hits.get('/api/v1/sync/snapshot'), { timeout: 5000 }).toBe(2);
    await expect.poll(() => h.svc.syncStatus().state).toBe('live');
    expect(h.log.entries.some((e) => /drifted/.test(e.msg))).toBe(true);
    expect(sorted(replicaRows(h.svc))).toEqual(sorted(f.rowsOf('district')));
  });

  it('gives up a snapshot whose body stops coming (a link that died without an error) and snapshots again', async () => {
    const f = await feed({ pageRows: 2 });
    f.commit(Array.from({ length: 6 }, (_, i) => eventChange(makeEvent(`e${i + 1}`))));
    f.snapshotPageDelayMs = 60_000; // the begin frame and one page, then silence
    const h = await serviceOn(f, tempDir(cleanups), cleanups, { sync: { snapshotIdleTimeoutMs: 300 } });
    void h.svc.syncNow().catch(() => undefined);
    await expect.poll(() => h.statuses.some((s) => /no snapshot data from \/api\/v1\/sync\/snapshot for 0 s/.test(s.message ?? '')), { timeout: 5000 }).toBe(true);
    expect(h.svc.syncStatus().state).not.toBe('live');
    f.snapshotPageDelayMs = 0;
    await expect.poll(() => h.svc.syncStatus().state, { timeout: 5000 }).toBe('live');
    expect(f.hits.get('/api/v1/sync/snapshot')).toBeGreaterThanOrEqual(2);
    expect(sorted(replicaRows(h.svc))).toEqual(sorted(f.rowsOf('district')));
  });

  it('goes offline when the server stops, retries with backoff, and resumes from the cursor without a snapshot', async () => {
    const f = await feed();
    const h = await serviceOn(f, tempDir(cleanups), cleanups);
    expect(await h.svc.syncNow()).toBe('live');
    await f.down();
    await expect.poll(() => h.svc.syncStatus().state).toBe('offline');
    const since = h.svc.syncStatus().offlineSince;
    expect(since).not.toBeNull();
    f.commit([eventChange(makeEvent('e1'))]);
    await new Promise((r) => setTimeout(r, 300));
    expect(h.svc.syncStatus().offlineSince).toBe(since); // kept across retries
    await f.up();
    await expect.poll(() => h.svc.syncStatus().state, { timeout: 5000 }).toBe('live');
    expect(h.svc.syncStatus()).toMatchObject({ offlineSince: null, message: null, cursor: { v: 2 } });
    expect(f.hits.get('/api/v1/sync/snapshot')).toBe(1);
    expect(sorted(replicaRows(h.svc))).toEqual(sorted(f.rowsOf('district')));
  });

  it('re-snapshots when the scope changes (sync/set-scope), and keeps the choice in the data folder', async () => {
    const f = await feed();
    f.commit([eventChange(makeEvent('a1', { town: TOWN_A })), eventChange(makeEvent('b1', { town: TOWN_B }))]);
    const dir = tempDir(cleanups);
    const h = await serviceOn(f, dir, cleanups);
    expect(await h.svc.syncNow()).toBe('live');
    expect(h.svc.replica.sqlite.prepare('SELECT count(*) FROM events').pluck().get()).toBe(2);
    const status = await h.svc.handlers['sync/set-scope']({ scope: TOWN_B });
    expect(status.scope).toBe(TOWN_B);
    await expect.poll(() => h.svc.replica.sqlite.prepare('SELECT scope FROM sync_state').pluck().get(), { timeout: 5000 }).toBe(TOWN_B);
    expect(h.svc.replica.sqlite.prepare('SELECT key FROM events').pluck().all()).toEqual(['b1']);
    await h.svc.close();
    const again = await serviceOn(f, dir, cleanups);
    expect(again.svc.syncStatus().scope).toBe(TOWN_B);
  });
});
