/**
 * Scheduling of the reference sync under a fake clock: the first check at
 * once, retries that back off while the data center is unreachable, and the
 * normal poll interval once it answers.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { SyncStatus } from '../../../core/index';
import type { Clock } from '../clock';
import { openReplica, type Replica } from '../store/open';
import { ReferenceSync } from './reference-sync';

class FakeClock implements Clock {
  t = Date.parse('2025-03-01T08:00:00Z');
  timers: { at: number; fn: () => void; delay: number; cancelled: boolean }[] = [];
  now = () => this.t;
  setTimeout = (fn: () => void, ms: number) => {
    const timer = { at: this.t + ms, fn, delay: ms, cancelled: false };
    this.timers.push(timer);
    return () => void (timer.cancelled = true);
  };
  pending() {
    return this.timers.filter((t) => !t.cancelled);
  }
  /** fires the next timer and lets the round it starts finish */
  async fireNext(settle: () => Promise<unknown>) {
    const next = this.pending().sort((a, b) => a.at - b.at)[0];
    if (!next) throw new Error('no timer pending');
    next.cancelled = true;
    this.t = next.at;
    next.fn();
    await settle();
    return next.delay;
  }
}

const versionDoc = { version: 'v1', district: { code: '440114', name: '花都区' }, counts: { towns: 0, villages: 0, grids: 0, units: 0 } };
const silent = { debug() {}, info() {}, warn() {}, error() {} };

let replica: Replica;
afterEach(() => replica?.close());

function setup(fetchImpl: typeof fetch) {
  replica = openReplica({ file: ':memory:' });
  // the replica already holds v1, so a healthy check finds nothing to fetch
  replica.sqlite.prepare("INSERT INTO sync_state VALUES ('reference', 'v1', '2025-02-01T00:00:00.000Z')").run();
  const clock = new FakeClock();
  const statuses: SyncStatus[] = [];
  let rounds: Promise<unknown> = Promise.resolve();
  const sync = new ReferenceSync({
    replica,
    dataCenterUrl: 'http://dc.invalid',
    fetch: ((...args: Parameters<typeof fetch>) => {
      const p = fetchImpl(...args);
      rounds = p.catch(() => undefined);
      return p;
    }) as typeof fetch,
    clock,
    random: () => 0.5,
    log: silent,
    pollIntervalMs: 30_000,
    retryInitialMs: 1000,
    retryMaxMs: 8000,
    onStatus: (s) => statuses.push(s),
  });
  // a round ends a few microtasks after its fetch settles
  const settle = async () => {
    await rounds;
    for (let i = 0; i < 20; i++) await Promise.resolve();
  };
  return { clock, sync, statuses, settle };
}

describe('ReferenceSync scheduling', () => {
  it('checks at once, backs off while unreachable, then polls at the interval', async () => {
    let up = false;
    const { clock, sync, statuses, settle } = setup(async () => {
      if (!up) throw new TypeError('fetch failed', { cause: { code: 'ECONNREFUSED' } });
      return new Response(JSON.stringify(versionDoc), { headers: { 'content-type': 'application/json' } });
    });
    sync.start();
    const delays = [];
    for (let i = 0; i < 6; i++) delays.push(await clock.fireNext(settle));
    // first check immediately, then 1 s, 2 s, 4 s, 8 s, 8 s (×0.75 with random 0.5)
    expect(delays).toEqual([0, 750, 1500, 3000, 6000, 6000]);
    expect(sync.status().state).toBe('offline');
    expect(sync.status().offlineSince).toBe('2025-03-01T08:00:00.000Z');
    expect(statuses.filter((s) => s.state === 'offline')).toHaveLength(1);

    up = true;
    await clock.fireNext(settle);
    expect(sync.status()).toMatchObject({ state: 'live', offlineSince: null, message: null });
    // healthy again: the next check is one poll interval away, and the backoff starts over
    expect(clock.pending().map((t) => t.delay)).toEqual([30_000]);
    await sync.stop();
    expect(clock.pending()).toHaveLength(0);
  });

  it('after a healthy check waits the poll interval', async () => {
    replica = openReplica({ file: ':memory:' });
    replica.sqlite.prepare("INSERT INTO sync_state VALUES ('reference', 'v1', '2025-02-01T00:00:00.000Z')").run();
    const clock = new FakeClock();
    const sync = new ReferenceSync({
      replica,
      dataCenterUrl: 'http://dc.invalid/prefix',
      fetch: (async (url: URL) => {
        expect(String(url)).toBe('http://dc.invalid/prefix/api/v1/reference/version');
        return new Response(JSON.stringify(versionDoc));
      }) as unknown as typeof fetch,
      clock,
      random: () => 0.5,
      log: silent,
      pollIntervalMs: 30_000,
      onStatus: () => undefined,
    });
    expect(sync.status()).toMatchObject({ state: 'connecting', version: 'v1', lastBatchAt: '2025-02-01T00:00:00.000Z' });
    expect(await sync.syncNow()).toBe('unchanged');
    expect(sync.status().state).toBe('live');
    expect(clock.pending().map((t) => t.delay)).toEqual([30_000]);
    await sync.stop();
  });
});
