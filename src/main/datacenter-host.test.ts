import { EventEmitter } from 'node:events';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { startEmbeddedDataCenter } from './datacenter-host';

class ManualChild extends EventEmitter {
  readonly sent: unknown[] = [];
  killed = false;
  postMessage(message: unknown) {
    this.sent.push(message);
  }
  kill() {
    this.killed = true;
    return true;
  }
}

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe('embedded data center', () => {
  it('resolves with the URL the child reports, ignoring other messages, and stops it with shutdown', async () => {
    const child = new ManualChild();
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
    const early = new ManualChild();
    const failing = startEmbeddedDataCenter({ fork: () => early });
    early.emit('exit', 3);
    await expect(failing).rejects.toThrow(/exited with code 3 before it was ready/);

    const failed = new ManualChild();
    const refusing = startEmbeddedDataCenter({ fork: () => failed });
    failed.emit('message', { type: 'error', code: 'store_unavailable', message: 'cannot open PGlite in /x', exitCode: 1 });
    failed.emit('exit', 1);
    await expect(refusing).rejects.toThrow('cannot open PGlite in /x (store_unavailable)');

    const slow = new ManualChild();
    const hanging = startEmbeddedDataCenter({ fork: () => slow, readyTimeoutMs: 1000 });
    const outcome = hanging.catch((e: Error) => e);
    await vi.advanceTimersByTimeAsync(1000);
    expect(await outcome).toBeInstanceOf(Error);
    expect(((await outcome) as Error).message).toMatch(/did not report ready within 1 s/);
    expect(slow.killed).toBe(true);
  });

  it('kills a child that does not stop in time, and reports an unexpected exit', async () => {
    const exits: number[] = [];
    const child = new ManualChild();
    const started = startEmbeddedDataCenter({ fork: () => child, stopTimeoutMs: 500, onUnexpectedExit: (c) => exits.push(c) });
    child.emit('message', { type: 'ready', url: 'http://127.0.0.1:1' });
    const dc = await started;
    const stopping = dc.stop();
    await vi.advanceTimersByTimeAsync(500);
    await stopping;
    expect(child.killed).toBe(true);
    expect(exits).toEqual([]);

    const other = new ManualChild();
    const second = startEmbeddedDataCenter({ fork: () => other, onUnexpectedExit: (c) => exits.push(c) });
    other.emit('message', { type: 'ready', url: 'http://127.0.0.1:2' });
    await second;
    other.emit('exit', 9);
    expect(exits).toEqual([9]);
  });
});
