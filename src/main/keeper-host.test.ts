/**
 * Main's supervision of the image keeper utilityProcess (keeper-host.ts) with in-memory children and fake
 * timers: started once the data service is first live; a keeper that exits or fails to start is forked again
 * with a growing backoff (reset after a stable run), and never throws, except for bad settings or a folder locked
 * by another keeper (logged once as errors, not retried); one not ready in time is logged once and left running;
 * stop() sends shutdown and waits, or kills a keeper that does not exit; the child's environment.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { SyncStatus } from '../core/rpc/contract';
import { createKeeperSupervisor, keeperEnv } from './keeper-host';
import { KEEPER_EXIT } from './service/keeper/exit-codes';
import { FakeUtilityChild } from './test/fake-utility-child';


const status = (state: SyncStatus['state']) => ({ state }) as SyncStatus;

/** a data service port that only pushes sync/status */
function statusSource() {
  const listeners = new Set<(s: SyncStatus) => void>();
  return {
    listeners,
    push: (s: SyncStatus) => {
      for (const l of [...listeners]) l(s);
    },
    subscribe: ((_name: 'sync/status', listener: (s: SyncStatus) => void) => {
      listeners.add(listener);
      return () => listeners.delete(listener);
    }) as never,
  };
}

let children: FakeUtilityChild[];
let said: string[];
const supervisor = (over: Partial<Parameters<typeof createKeeperSupervisor>[0]> = {}) =>
  createKeeperSupervisor({
    fork: () => {
      const c = new FakeUtilityChild();
      children.push(c);
      return c;
    },
    log: (m) => said.push(m),
    ...over,
  });

beforeEach(() => {
  vi.useFakeTimers();
  children = [];
  said = [];
});
afterEach(() => {
  vi.useRealTimers();
});

describe('image keeper supervisor', () => {
  it('starts the keeper once the data service is first live, and only once', async () => {
    const source = statusSource();
    const k = supervisor();
    k.startWhenLive(source);
    expect(k.state).toBe('waiting');
    source.push(status('connecting'));
    source.push(status('snapshot'));
    await vi.advanceTimersByTimeAsync(0);
    expect(children).toHaveLength(0);
    source.push(status('live'));
    source.push(status('live'));
    await vi.advanceTimersByTimeAsync(0);
    expect(children).toHaveLength(1);
    expect(k.state).toBe('starting');
    // no longer listening
    expect(source.listeners.size).toBe(0);
    children[0]!.emit('message', { t: 'ready', scope: 'district', imagesDir: '/u/images', image: null });
    expect(k.state).toBe('ready');
    expect(said).toEqual(['image keeper ready (scope district, images in /u/images, no image yet)']);
    children[0]!.emit('message', { t: 'image', file: 'district-7-0123456789ab.sqlite', bytes: 2_300_000, ms: 75 });
    expect(said.at(-1)).toBe('image keeper published district-7-0123456789ab.sqlite (2300000 bytes, 75 ms)');
  });

  it('forks a keeper that exits or fails again after a growing backoff, reset after a stable run', async () => {
    const k = supervisor({ initialBackoffMs: 1000, maxBackoffMs: 4000, stableAfterMs: 60_000 });
    k.start();
    // its sign-in failed (the data center not up yet): it says why, then exits 1
    children[0]!.emit('message', { t: 'fatal', message: 'the keeper could not sign in as wall: fetch failed' });
    children[0]!.emit('exit', 1);
    expect(k.state).toBe('down');
    expect(said.at(-1)).toBe('the image keeper exited with code 1: the keeper could not sign in as wall: fetch failed; starting it again in 1 s (desktops take the row snapshot meanwhile)');
    await vi.advanceTimersByTimeAsync(999);
    expect(children).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(children).toHaveLength(2);
    children[1]!.emit('exit', 1);
    await vi.advanceTimersByTimeAsync(2000);
    children[2]!.emit('exit', 1);
    await vi.advanceTimersByTimeAsync(4000);
    children[3]!.emit('exit', 1);
    // capped
    await vi.advanceTimersByTimeAsync(3999);
    expect(children).toHaveLength(4);
    await vi.advanceTimersByTimeAsync(1);
    expect(children).toHaveLength(5);
    expect(k.restarts).toBe(4);
    // a keeper that ran for a minute and then crashed starts again after the first delay
    children[4]!.emit('message', { t: 'ready', scope: 'district', imagesDir: '/u/images', image: 'district-7-0123456789ab.sqlite' });
    await vi.advanceTimersByTimeAsync(60_000);
    children[4]!.emit('exit', 134);
    expect(said.at(-1)).toMatch(/exited with code 134; starting it again in 1 s/);
    await vi.advanceTimersByTimeAsync(1000);
    expect(children).toHaveLength(6);
    await stopWith(k, children[5]!);
  });

  it('leaves a keeper not ready in time running (a long migration), logged once, and survives a fork that throws', async () => {
    let forks = 0;
    const k = supervisor({
      readyTimeoutMs: 5000,
      initialBackoffMs: 1000,
      fork: () => {
        if (++forks === 1) throw new Error('no such file out/main/image-keeper.js');
        const c = new FakeUtilityChild();
        children.push(c);
        return c;
      },
    });
    k.start();
    await vi.advanceTimersByTimeAsync(0);
    expect(said).toEqual(['could not fork the image keeper: no such file out/main/image-keeper.js', 'the image keeper exited with code -1; starting it again in 1 s (desktops take the row snapshot meanwhile)']);
    await vi.advanceTimersByTimeAsync(1000);
    expect(children).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(5000);
    expect(said.at(-1)).toBe('the image keeper is not ready after 5 s (migrating a large replica?); leaving it running');
    await vi.advanceTimersByTimeAsync(600_000);
    expect(children[0]!.killed).toBe(false);
    expect(children).toHaveLength(1);
    expect(said.filter((m) => m.includes('not ready'))).toHaveLength(1);
    expect(k.state).toBe('starting');
    children[0]!.emit('message', { t: 'ready', scope: 'district', imagesDir: '/u/images', image: null });
    expect(k.state).toBe('ready');
    children[0]!.emit('exit', 1);
    await vi.advanceTimersByTimeAsync(2000);
    expect(children).toHaveLength(2);
    await stopWith(k, children[1]!);
  });

  it('does not start again a keeper whose settings are bad: one error', async () => {
    const fatal = "the image keeper's settings are incomplete: HUYING_KEEPER_DATACENTER_URL URL is required";
    const errors: string[] = [];
    const k = supervisor({ error: (m) => errors.push(m) });
    k.start();
    children[0]!.emit('message', { t: 'fatal', message: fatal });
    children[0]!.emit('exit', KEEPER_EXIT.settings);
    expect(k.state).toBe('failed');
    await vi.advanceTimersByTimeAsync(3_600_000);
    expect(children).toHaveLength(1);
    expect(k.restarts).toBe(0);
    expect(errors).toEqual([`the image keeper exited with code ${KEEPER_EXIT.settings}: ${fatal}; not starting it again, as it would fail the same way (desktops take the row snapshot)`]);
    expect(said).toEqual([]);
    await k.stop();
    expect(k.state).toBe('stopped');
  });

  it('tries a folder another keeper holds again every maxBackoffMs, one error in all, and says so when it takes it over', async () => {
    const fatal = 'the images folder /u/images is kept for scope district by another keeper: pid 4242';
    const errors: string[] = [];
    const k = supervisor({ error: (m) => errors.push(m), maxBackoffMs: 300_000 });
    k.start();
    for (let i = 0; i < 3; i++) {
      children[i]!.emit('message', { t: 'fatal', message: fatal });
      children[i]!.emit('exit', KEEPER_EXIT.locked);
      expect(k.state).toBe('locked');
      // not before the interval, whatever the backoff count: the other keeper is doing the work
      await vi.advanceTimersByTimeAsync(299_999);
      expect(children).toHaveLength(i + 1);
      await vi.advanceTimersByTimeAsync(1);
      expect(children).toHaveLength(i + 2);
      expect(k.state).toBe('starting');
    }
    expect(errors).toEqual([
      `the image keeper exited with code ${KEEPER_EXIT.locked}: ${fatal}; trying again every 300 s, quietly, to take the folder over once that keeper stops (desktops take its images meanwhile)`,
    ]);
    expect(said).toEqual([]);
    // the other keeper stopped: this one gets the folder
    children[3]!.emit('message', { t: 'ready', scope: 'district', imagesDir: '/u/images', image: 'district-9-abc.sqlite' });
    expect(k.state).toBe('ready');
    expect(said[0]).toBe('the images folder is no longer kept by another keeper: this image keeper keeps it now');
    // a crash afterwards is an ordinary one: the short backoff, not the lock's interval
    children[3]!.emit('exit', 1);
    expect(k.state).toBe('down');
    await vi.advanceTimersByTimeAsync(1000);
    expect(children).toHaveLength(5);
    // locked again, then a failure past the lock (a refused sign-in), then locked again: each lock is told once
    children[4]!.emit('exit', KEEPER_EXIT.locked);
    expect(errors).toHaveLength(2);
    await vi.advanceTimersByTimeAsync(300_000);
    children[5]!.emit('exit', 1);
    // the second ordinary failure in a row: the backoff's second step
    await vi.advanceTimersByTimeAsync(2000);
    children[6]!.emit('exit', KEEPER_EXIT.locked);
    expect(errors).toHaveLength(3);
    // stop() while waiting out the lock's interval forks nothing more
    await k.stop();
    await vi.advanceTimersByTimeAsync(600_000);
    expect(children).toHaveLength(7);
    expect(k.state).toBe('stopped');
  });

  it('stops: shutdown, then waits for the exit (or kills after the timeout); no restart after stop; not started while waiting', async () => {
    const k = supervisor({ stopTimeoutMs: 3000 });
    k.start();
    const c = children[0]!;
    c.emit('message', { t: 'ready', scope: 'district', imagesDir: '/u/images', image: null });
    const stopped = k.stop();
    expect(c.sent).toEqual([{ t: 'shutdown' }]);
    await vi.advanceTimersByTimeAsync(2999);
    expect(c.killed).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    await stopped;
    expect(c.killed).toBe(true);
    c.emit('exit', 137);
    await vi.advanceTimersByTimeAsync(600_000);
    expect(children).toHaveLength(1);
    expect(k.state).toBe('stopped');

    const source = statusSource();
    const waiting = supervisor();
    waiting.startWhenLive(source);
    await waiting.stop();
    expect(source.listeners.size).toBe(0);
    source.push(status('live'));
    await vi.advanceTimersByTimeAsync(0);
    expect(children).toHaveLength(1);
  });

  it('gives the child its settings in the environment, the password only there', () => {
    expect(keeperEnv({ PATH: '/bin', HUYING_SQLITE_BINDING: '/x.node' }, { dataCenterUrl: 'http://127.0.0.1:4100', imagesDir: '/u/images', dataDir: '/u/image-keeper' })).toEqual({
      PATH: '/bin',
      HUYING_SQLITE_BINDING: '/x.node',
      HUYING_KEEPER_DATACENTER_URL: 'http://127.0.0.1:4100',
      HUYING_KEEPER_IMAGES_DIR: '/u/images',
      HUYING_KEEPER_DATA_DIR: '/u/image-keeper',
      HUYING_KEEPER_USER: 'wall',
      HUYING_KEEPER_PASSWORD: 'huying-demo',
    });
  });
});

async function stopWith(k: ReturnType<typeof createKeeperSupervisor>, c: FakeUtilityChild) {
  const stopped = k.stop();
  expect(c.sent).toContainEqual({ t: 'shutdown' });
  c.emit('exit', 0);
  await stopped;
}
