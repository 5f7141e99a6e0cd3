import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { startEmbeddedDataCenter } from './datacenter-host';
import { FakeUtilityChild } from './test/fake-utility-child';


beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe('embedded data center', () => {
  it('resolves with the URL the child reports, ignoring other messages, and stops it with shutdown', async () => {
    const child = new FakeUtilityChild();
    const started = startEmbeddedDataCenter({ fork: () => child });
    child.emit('message', { type: 'progress', seeded: 10 });
    child.emit('message', { type: 'ready', url: 'not a url' });
    child.emit('message', { type: 'ready', url: 'http://127.0.0.1:41234' });
    const dc = await started;
    expect(dc.url).toBe('http://127.0.0.1:41234');

    const stopped = dc.stop();
    expect(child.sent).toEqual([{ type: 'shutdown' }]);
    child.emit('exit', 0);
    await stopped;
    expect(child.killed).toBe(false);
  });

  it('fails with a clear error when the child exits before ready or never gets ready', async () => {
    const early = new FakeUtilityChild();
    const failing = startEmbeddedDataCenter({ fork: () => early });
    early.emit('exit', 3);
    await expect(failing).rejects.toThrow(/exited with code 3 before it was ready/);

    const failed = new FakeUtilityChild();
    const refusing = startEmbeddedDataCenter({ fork: () => failed });
    failed.emit('message', { type: 'error', code: 'store_unavailable', message: 'cannot open PGlite in /x', exitCode: 1 });
    failed.emit('exit', 1);
    await expect(refusing).rejects.toThrow('cannot open PGlite in /x (store_unavailable)');

    const slow = new FakeUtilityChild();
    const hanging = startEmbeddedDataCenter({ fork: () => slow, readyTimeoutMs: 1000 });
    const outcome = hanging.catch((e: Error) => e);
    await vi.advanceTimersByTimeAsync(1000);
    expect(await outcome).toBeInstanceOf(Error);
    expect(((await outcome) as Error).message).toMatch(/did not report ready within 1 s/);
    expect(slow.killed).toBe(true);
  });

  it('stops counting the ready timeout while the child migrates its store, and not longer', async () => {
    const said: string[] = [];
    const child = new FakeUtilityChild();
    const started = startEmbeddedDataCenter({ fork: () => child, readyTimeoutMs: 1000, log: (m) => said.push(m) });
    let settled = false;
    void started.then(
      () => (settled = true),
      () => (settled = true),
    );
    await vi.advanceTimersByTimeAsync(600);
    child.emit('message', { type: 'migration', phase: 'start', id: 8, name: 'sync-rows-text', index: 1, count: 2 });
    // ten minutes of migrating, far past the ready timeout: still waiting
    await vi.advanceTimersByTimeAsync(600_000);
    expect(child.killed).toBe(false);
    expect(settled).toBe(false);
    expect(said).toEqual([
      'the embedded data center is migrating its store (migration 8 sync-rows-text, 1 of 2); this can take minutes on a large store — waiting for it without a time limit',
    ]);
    child.emit('message', { type: 'migration', phase: 'done', id: 8, name: 'sync-rows-text', index: 1, count: 2 });
    child.emit('message', { type: 'migration', phase: 'start', id: 9, name: 'next', index: 2, count: 2 });
    await vi.advanceTimersByTimeAsync(600_000);
    child.emit('message', { type: 'migration', phase: 'done', id: 9, name: 'next', index: 2, count: 2 });
    // the clock goes on with what it had left (400 ms)
    await vi.advanceTimersByTimeAsync(399);
    expect(child.killed).toBe(false);
    child.emit('message', { type: 'ready', url: 'http://127.0.0.1:41234' });
    const dc = await started;
    expect(dc.url).toBe('http://127.0.0.1:41234');
    expect(said.at(-1)).toBe('the embedded data center finished migrating its store (migration 9 next, 2 of 2)');
    await vi.advanceTimersByTimeAsync(10_000);
    expect(child.killed).toBe(false);

    // a child silent after its migration times out when the rest of its time is up
    const quiet = new FakeUtilityChild();
    const hanging = startEmbeddedDataCenter({ fork: () => quiet, readyTimeoutMs: 1000, log: () => {} });
    const outcome = hanging.catch((e: Error) => e);
    await vi.advanceTimersByTimeAsync(600);
    quiet.emit('message', { type: 'migration', phase: 'start', id: 8, name: 'sync-rows-text', index: 1, count: 1 });
    await vi.advanceTimersByTimeAsync(600_000);
    quiet.emit('message', { type: 'migration', phase: 'done', id: 8, name: 'sync-rows-text', index: 1, count: 1 });
    await vi.advanceTimersByTimeAsync(399);
    expect(quiet.killed).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect(quiet.killed).toBe(true);
    expect(((await outcome) as Error).message).toMatch(/did not report ready within 1 s/);
  });

  it('tells onMigration of each migration start and done, in order, until the child is ready', async () => {
    const steps: unknown[] = [];
    const child = new FakeUtilityChild();
    const started = startEmbeddedDataCenter({ fork: () => child, log: () => {}, onMigration: (step) => steps.push(step) });
    const step = (phase: string, id: number, name: string, index: number) => ({ type: 'migration', phase, id, name, index, count: 2 });
    child.emit('message', step('start', 7, 'grid-cells', 1));
    child.emit('message', step('done', 7, 'grid-cells', 1));
    child.emit('message', step('start', 8, 'sync-rows-text', 2));
    expect(steps).toEqual([
      { phase: 'start', id: 7, name: 'grid-cells', index: 1, count: 2 },
      { phase: 'done', id: 7, name: 'grid-cells', index: 1, count: 2 },
      { phase: 'start', id: 8, name: 'sync-rows-text', index: 2, count: 2 },
    ]);
    child.emit('message', step('done', 8, 'sync-rows-text', 2));
    child.emit('message', { type: 'ready', url: 'http://127.0.0.1:41234' });
    await started;
    expect(steps.at(-1)).toEqual({ phase: 'done', id: 8, name: 'sync-rows-text', index: 2, count: 2 });
    // after ready, a stray migration message is not a start step any more
    child.emit('message', step('start', 9, 'late', 2));
    expect(steps).toHaveLength(4);
  });

  it('says which migration a child died in', async () => {
    const child = new FakeUtilityChild();
    const started = startEmbeddedDataCenter({ fork: () => child, log: () => {} });
    child.emit('message', { type: 'migration', phase: 'start', id: 8, name: 'sync-rows-text', index: 1, count: 1 });
    child.emit('exit', 1);
    await expect(started).rejects.toThrow('exited with code 1 before it was ready while migrating its store (migration 8 sync-rows-text)');
  });

  it('kills a child that does not stop in time, and reports an unexpected exit', async () => {
    const exits: number[] = [];
    const child = new FakeUtilityChild();
    const started = startEmbeddedDataCenter({ fork: () => child, stopTimeoutMs: 500, onUnexpectedExit: (c) => exits.push(c) });
    child.emit('message', { type: 'ready', url: 'http://127.0.0.1:1' });
    const dc = await started;
    const stopping = dc.stop();
    await vi.advanceTimersByTimeAsync(500);
    await stopping;
    expect(child.killed).toBe(true);
    expect(exits).toEqual([]);

    const other = new FakeUtilityChild();
    const second = startEmbeddedDataCenter({ fork: () => other, onUnexpectedExit: (c) => exits.push(c) });
    other.emit('message', { type: 'ready', url: 'http://127.0.0.1:2' });
    await second;
    other.emit('exit', 9);
    expect(exits).toEqual([9]);
  });
});
