import { describe, expect, it } from 'vitest';
import { HuyingError } from '../../core/errors';
import { createFakeService } from '../../core/rpc/fake-service';
import type { EventColumns } from '../../core/rpc/queries';
import { createRpcClient } from '../../core/rpc/wire';
import { bridgeOver } from '../test/fake-bridge';
import { EventStore } from './event-store';
import { LiveFeed, type FeedChange } from './live-feed';

function columns(ids: string[]): EventColumns {
  const n = ids.length;
  return {
    count: n,
    ids,
    positions: new Float32Array(2 * n).fill(113),
    status: new Uint8Array(n).fill(7),
    urgency: new Uint8Array(n),
    source: new Uint8Array(n),
    reportedAt: new Float64Array(n),
    deadline: new Float64Array(n),
    clockStatus: new Uint8Array(n),
    supervisionLevel: new Uint8Array(n),
    checkpoint: 1,
  };
}

const tick = () => new Promise((r) => setTimeout(r, 0));

function setup(open: Set<string>, options: { failFirst?: number; frameWaitMs?: number; frameWaitFrames?: number; frameWaitMinMs?: number; frameWaitMaxMs?: number; clock?: () => number } = {}) {
  const requests: { ids?: string[] }[] = [];
  let fails = options.failFirst ?? 0;
  let release: (() => void) | null = null;
  let hold = false;
  const service = createFakeService({
    'map/events': async (args) => {
      requests.push({ ...(args.ids ? { ids: args.ids } : {}) });
      if (fails > 0) {
        fails--;
        throw new HuyingError('unavailable', 'not yet');
      }
      if (hold) await new Promise<void>((r) => (release = r));
      return columns((args.ids ?? [...open]).filter((id) => open.has(id)));
    },
  });
  const client = createRpcClient(bridgeOver(service));
  const store = new EventStore({ gridCount: 0, gridIndexOf: () => -1, unitIndexOf: () => -1 });
  const changes: FeedChange[] = [];
  let t = 0;
  const feed = new LiveFeed(client, store, {
    onChange: (c) => changes.push(c),
    now: options.clock ?? (() => (t += 5)),
    retryMs: 10,
    ...(options.frameWaitMs !== undefined ? { frameWaitMs: options.frameWaitMs } : {}),
    ...(options.frameWaitFrames !== undefined ? { frameWaitFrames: options.frameWaitFrames } : {}),
    ...(options.frameWaitMinMs !== undefined ? { frameWaitMinMs: options.frameWaitMinMs } : {}),
    ...(options.frameWaitMaxMs !== undefined ? { frameWaitMaxMs: options.frameWaitMaxMs } : {}),
  });
  return { service, store, feed, requests, changes, holdNext: () => (hold = true), release: () => release?.() };
}

describe('LiveFeed', () => {
  it('loads everything once, then asks only for the ids of each events/changed and patches them', async () => {
    const open = new Set(['a', 'b']);
    const s = setup(open);
    s.feed.start();
    await tick();
    expect(s.store.length).toBe(2);
    open.add('c');
    open.delete('a');
    s.service.emit('events/changed', { ids: ['c', 'a'], all: false, checkpoint: null });
    await tick();
    expect(s.requests).toEqual([{}, { ids: ['c', 'a'] }]);
    expect(s.store.rowOf('a')).toBe(-1);
    expect(s.store.rowOf('c')).toBeGreaterThanOrEqual(0);
    expect(s.changes.map((c) => c.kind)).toEqual(['load', 'patch']);
    expect(s.changes[1]!.patch).toMatchObject({ added: 1, removed: 1 });
    expect(s.feed.state).toBe('live');
    s.feed.stop();
  });

  it('gathers ids that arrive while a patch is in flight into one next request', async () => {
    const open = new Set(['a', 'b', 'c', 'd']);
    const s = setup(open);
    s.feed.start();
    await tick();
    s.holdNext();
    s.service.emit('events/changed', { ids: ['a'], all: false, checkpoint: null });
    await tick();
    for (const id of ['b', 'c', 'b']) s.service.emit('events/changed', { ids: [id], all: false, checkpoint: null });
    s.release();
    await tick();
    await tick();
    expect(s.requests.slice(1)).toEqual([{ ids: ['a'] }, { ids: ['b', 'c'] }]);
    s.feed.stop();
  });

  it('with frameWaitMs, sends the next patch only once a frame showed the last one, gathering the ids meanwhile', async () => {
    const open = new Set(['a', 'b', 'c', 'd']);
    const s = setup(open, { frameWaitMs: 60_000 });
    s.feed.start();
    await tick();
    // the first patch after the load goes at once (no patch is waiting for its frame)
    s.service.emit('events/changed', { ids: ['a'], all: false, checkpoint: null });
    await tick();
    expect(s.requests.slice(1)).toEqual([{ ids: ['a'] }]);
    // the answers come faster than frames: before the fix each of these made its own request and patch
    for (const id of ['b', 'c', 'b']) {
      s.service.emit('events/changed', { ids: [id], all: false, checkpoint: null });
      await tick();
    }
    expect(s.requests.slice(1)).toEqual([{ ids: ['a'] }]);
    expect(s.changes.filter((c) => c.kind === 'patch')).toHaveLength(1);
    // a frame older than the patch does not count
    s.feed.drawn(s.store.version - 1);
    await tick();
    expect(s.requests).toHaveLength(2);
    s.feed.drawn(s.store.version);
    await tick();
    await tick();
    expect(s.requests.slice(1)).toEqual([{ ids: ['a'] }, { ids: ['b', 'c'] }]);
    expect(s.store.rowOf('c')).toBeGreaterThanOrEqual(0);
    // drawn already caught up: the next change goes at once
    s.feed.drawn(s.store.version);
    s.service.emit('events/changed', { ids: ['d'], all: false, checkpoint: null });
    await tick();
    expect(s.requests.slice(1)).toEqual([{ ids: ['a'] }, { ids: ['b', 'c'] }, { ids: ['d'] }]);
    s.feed.stop();
  });

  /** 'a' patched after the load, then 'b' changed: waiting for a frame that shows 'a' (asserted) */
  const patchedThenWaiting = async (frameWaitMs: number) => {
    const s = setup(new Set(['a', 'b']), { frameWaitMs });
    s.feed.start();
    await tick();
    s.service.emit('events/changed', { ids: ['a'], all: false, checkpoint: null });
    await tick();
    s.service.emit('events/changed', { ids: ['b'], all: false, checkpoint: null });
    await tick();
    expect(s.requests.slice(1)).toEqual([{ ids: ['a'] }]);
    return s;
  };

  it('with frameWaitMs, sends the next patch after that long when no frame comes', async () => {
    const s = await patchedThenWaiting(30);
    await new Promise((r) => setTimeout(r, 60));
    expect(s.requests.slice(1)).toEqual([{ ids: ['a'] }, { ids: ['b'] }]);
    expect(s.store.rowOf('b')).toBeGreaterThanOrEqual(0);
    s.feed.stop();
  });

  it('with frameWaitMs, a snapshot (all: true) during the wait reloads at once, and nothing is sent after stop', async () => {
    const s = await patchedThenWaiting(60_000);
    s.service.emit('events/changed', { ids: [], all: true, checkpoint: null });
    await tick();
    await tick();
    expect(s.requests.slice(1)).toEqual([{ ids: ['a'] }, {}]);
    s.service.emit('events/changed', { ids: ['b'], all: false, checkpoint: null });
    await tick();
    s.service.emit('events/changed', { ids: ['a'], all: false, checkpoint: null });
    await tick();
    const n = s.requests.length;
    s.feed.stop();
    s.feed.drawn(s.store.version + 10);
    await tick();
    expect(s.requests).toHaveLength(n);
  });

  /**
   * Patches 'e0', 'e1', … one after another, each drawn `frameMs` after it was written (on the test's
   * clock); returns the feed with no patch waiting.
   */
  const drawnAfter = async (frameMs: number[], options: { frameWaitMs: number; frameWaitFrames?: number; frameWaitMinMs?: number; frameWaitMaxMs?: number }) => {
    let t = 0;
    const ids = frameMs.map((_, i) => `e${i}`);
    const s = setup(new Set([...ids, 'x', 'y']), { ...options, clock: () => t });
    s.feed.start();
    await tick();
    for (const [i, ms] of frameMs.entries()) {
      s.service.emit('events/changed', { ids: [ids[i]!], all: false, checkpoint: null });
      await tick();
      t += ms;
      s.feed.drawn(s.store.version);
    }
    expect(s.requests.slice(1)).toEqual(ids.map((id) => ({ ids: [id] })));
    return s;
  };

  it('with frameWaitFrames, waits at most that many measured patch → frame times, within [frameWaitMinMs, frameWaitMs]', async () => {
    // nothing measured yet: frameWaitMs
    const none = await drawnAfter([], { frameWaitMs: 250, frameWaitFrames: 2 });
    expect(none.feed.waitLimitMs()).toBe(250);
    none.feed.stop();
    // a GPU: frames 16–17 ms after the patch (one slow frame of 400 ms among them does not move the median)
    const gpu = await drawnAfter([16, 17, 400, 16, 17], { frameWaitMs: 250, frameWaitFrames: 2, frameWaitMinMs: 10 });
    expect(gpu.feed.waitLimitMs()).toBe(34);
    gpu.feed.stop();
    // the floor: frames 5 ms after the patch wait at least frameWaitMinMs (33 by default)
    const fast = await drawnAfter([5, 5, 5], { frameWaitMs: 250, frameWaitFrames: 2 });
    expect(fast.feed.waitLimitMs()).toBe(33);
    fast.feed.stop();
    // software GL: frames seconds apart keep the ceiling, frameWaitMaxMs (frameWaitMs when unset)
    const slow = await drawnAfter([1200, 3400, 900], { frameWaitMs: 250, frameWaitFrames: 2 });
    expect(slow.feed.waitLimitMs()).toBe(250);
    slow.feed.stop();
    const slowCapped = await drawnAfter([8000, 10_000, 9000], { frameWaitMs: 250, frameWaitFrames: 2, frameWaitMaxMs: 2000 });
    expect(slowCapped.feed.waitLimitMs()).toBe(2000);
    slowCapped.feed.stop();
    // without frameWaitFrames the limit is frameWaitMs whatever the frames
    const fixed = await drawnAfter([16, 16, 16], { frameWaitMs: 250 });
    expect(fixed.feed.waitLimitMs()).toBe(250);
    fixed.feed.stop();
  });

  it('with frameWaitFrames, only the last few frames count, and a frame that shows no new patch measures nothing', async () => {
    // eight slow frames, then eight fast ones: the slow ones have left the window
    const s = await drawnAfter([...Array(8).fill(2000), ...Array(8).fill(20)], { frameWaitMs: 250, frameWaitFrames: 2, frameWaitMinMs: 1 });
    expect(s.feed.waitLimitMs()).toBe(40);
    // frames drawn later without a new patch (pulses) are not patch → frame times
    s.feed.drawn(s.store.version + 1);
    s.feed.drawn(s.store.version + 2);
    expect(s.feed.waitLimitMs()).toBe(40);
    s.feed.stop();
  });

  it('with frameWaitFrames, a patch whose frame does not come holds the next one about two frame times, not frameWaitMs', async () => {
    // frames came 10 ms after their patch: the limit is 20 ms (frameWaitMs, a minute, would hold 'y' that long)
    const s = await drawnAfter([10, 10, 10], { frameWaitMs: 60_000, frameWaitFrames: 2, frameWaitMinMs: 1 });
    expect(s.feed.waitLimitMs()).toBe(20);
    s.service.emit('events/changed', { ids: ['x'], all: false, checkpoint: null });
    await tick();
    // 'x' patched, its frame never comes; 'y' waits for it at most the limit
    s.service.emit('events/changed', { ids: ['y'], all: false, checkpoint: null });
    await tick();
    expect(s.requests.at(-1)).toEqual({ ids: ['x'] });
    const t0 = performance.now();
    while (s.requests.at(-1)?.ids?.[0] !== 'y' && performance.now() - t0 < 5000) await new Promise((r) => setTimeout(r, 5));
    expect(s.requests.at(-1)).toEqual({ ids: ['y'] });
    expect(performance.now() - t0).toBeLessThan(5000);
    s.feed.stop();
  });

  it('with frameWaitMaxMs, frames slower than 4 × frameWaitMs give a quarter of a frame up to it; faster ones as without', async () => {
    const options = { frameWaitMs: 250, frameWaitFrames: 2, frameWaitMaxMs: 2000 };
    // SwiftShader: frames 2–3 s after the patch → a quarter of one, 600 ms (not 250: ten patches a frame)
    const software = await drawnAfter([2400, 2000, 3000], options);
    expect(software.feed.waitLimitMs()).toBe(600);
    software.feed.stop();
    // llvmpipe under load: frames 0.8–1 s → 250 ms as before (the next request overlaps the frame)
    const llvmpipe = await drawnAfter([800, 900, 1000], options);
    expect(llvmpipe.feed.waitLimitMs()).toBe(250);
    llvmpipe.feed.stop();
    // llvmpipe at idle: frames 90 ms → two of them
    const idle = await drawnAfter([90, 90, 90], options);
    expect(idle.feed.waitLimitMs()).toBe(180);
    idle.feed.stop();
    // a GPU wall: frames 16–17 ms after the patch → 34 ms
    const gpu = await drawnAfter([16, 17, 16, 17], options);
    expect(gpu.feed.waitLimitMs()).toBe(34);
    gpu.feed.stop();
  });

  it('with frameWaitFrames, a frame showing several patches measures from the oldest it shows', async () => {
    let t = 0;
    const s = setup(new Set(['a', 'b']), { frameWaitMs: 20, frameWaitFrames: 2, frameWaitMinMs: 1, frameWaitMaxMs: 60_000, clock: () => t });
    s.feed.start();
    await tick();
    s.service.emit('events/changed', { ids: ['a'], all: false, checkpoint: null });
    await tick();
    // 'a' written at 0; 'b' comes at 1000 and waits for a's frame, which does not come within the
    // limit: a quarter of the 1000 ms 'a' has waited (250 ms, real time), not frameWaitMs
    t = 1000;
    s.service.emit('events/changed', { ids: ['b'], all: false, checkpoint: null });
    const t0 = performance.now();
    while (s.requests.length < 3 && performance.now() - t0 < 5000) await new Promise((r) => setTimeout(r, 5));
    expect(s.requests.slice(1)).toEqual([{ ids: ['a'] }, { ids: ['b'] }]);
    expect(performance.now() - t0).toBeGreaterThan(200);
    expect(s.feed.stats).toMatchObject({ frameWaits: 1, frameWaitsRanOut: 1 });
    // one frame at 2000 shows both: a waited 2000 ms for it (b 1000) → a quarter of 2000 (250 from the newer)
    t = 2000;
    s.feed.drawn(s.store.version);
    expect(s.feed.waitLimitMs()).toBe(500);
    s.feed.stop();
  });

  it('with frameWaitFrames, while no frame comes (a hidden page) the limit grows with the undrawn patch\'s wait to frameWaitMaxMs; frames bring it back', async () => {
    // visible on a fast GPU: frames at once after their patch (real clock), limit the least, 1 ms
    const ids = Array.from({ length: 60 }, (_, i) => `h${i}`);
    const s = setup(new Set([...ids, ...Array.from({ length: 9 }, (_, i) => `e${i}`)]), { frameWaitMs: 20, frameWaitFrames: 2, frameWaitMinMs: 1, frameWaitMaxMs: 160, clock: () => performance.now() });
    s.feed.start();
    await tick();
    for (let i = 0; i < 3; i++) {
      s.service.emit('events/changed', { ids: [`e${i}`], all: false, checkpoint: null });
      await tick();
      s.feed.drawn(s.store.version);
    }
    expect(s.feed.waitLimitMs()).toBeLessThan(20);
    // hidden: changes keep coming, frames stop; each wait runs out, the limit climbs to the most
    const limits: number[] = [];
    const t0 = performance.now();
    for (const id of ids) {
      const n = s.requests.length;
      s.service.emit('events/changed', { ids: [id], all: false, checkpoint: null });
      while (s.requests.length === n && performance.now() - t0 < 10_000) await new Promise((r) => setTimeout(r, 2));
      limits.push(s.feed.waitLimitMs());
      if (s.feed.waitLimitMs() === 160) break;
    }
    expect(limits.at(-1)).toBe(160);
    expect(limits).toEqual([...limits].sort((a, b) => a - b)); // never falls while no frame comes
    expect(s.feed.stats.frameWaitsRanOut).toBe(s.feed.stats.frameWaits);
    expect(s.feed.stats.frameWaitsRanOut).toBeGreaterThan(5);
    // visible again: the first frame measures the long wait, then fast frames bring the limit back
    s.feed.drawn(s.store.version);
    for (let i = 3; i < 9; i++) {
      s.service.emit('events/changed', { ids: [`e${i}`], all: false, checkpoint: null });
      await tick();
      await tick();
      s.feed.drawn(s.store.version);
    }
    expect(s.feed.waitLimitMs()).toBeLessThan(20);
    s.feed.stop();
  });

  it('reloads everything after a snapshot (all: true)', async () => {
    const open = new Set(['a']);
    const s = setup(open);
    s.feed.start();
    await tick();
    open.add('z');
    s.service.emit('events/changed', { ids: [], all: true, checkpoint: null });
    await tick();
    expect(s.requests).toEqual([{}, {}]);
    expect(s.store.length).toBe(2);
    s.feed.stop();
  });

  it('says unavailable while the service cannot answer, and retries until it can', async () => {
    const s = setup(new Set(['a']), { failFirst: 2 });
    s.feed.start();
    await tick();
    expect(s.feed.state).toBe('unavailable');
    expect(s.feed.error?.code).toBe('unavailable');
    await new Promise((r) => setTimeout(r, 60));
    expect(s.feed.state).toBe('live');
    expect(s.store.length).toBe(1);
    s.feed.stop();
  });

  it('measures the time from arrival to the row written', async () => {
    const open = new Set(['a']);
    const s = setup(open);
    s.feed.start();
    await tick();
    s.service.emit('events/changed', { ids: ['a'], all: false, checkpoint: null });
    await tick();
    const patch = s.changes.find((c) => c.kind === 'patch')!;
    expect(patch.appliedAt).toBeGreaterThan(patch.receivedAt);
    expect(s.feed.stats.lastApplyMs).toBe(patch.appliedAt - patch.receivedAt);
    s.feed.stop();
  });
});
