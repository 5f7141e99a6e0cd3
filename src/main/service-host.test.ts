import { EventEmitter } from 'node:events';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { HuyingError } from '../core/errors';
import { fakeResults } from '../core/rpc/fake-service';
import type { SyncStatus } from '../core/rpc/contract';
import { backoffDelay, createServiceSupervisor, type ServiceSupervisorOptions } from './service-host';

/** A utilityProcess child driven by hand: we read what main posted and answer for the child. */
class ManualChild extends EventEmitter {
  readonly sent: { t: string; id?: number; name?: string; args?: unknown }[] = [];
  killed = false;
  postMessage(message: { t: string }) {
    this.sent.push(message);
  }
  kill() {
    this.killed = true;
    return true;
  }
  say(message: unknown) {
    this.emit('message', message);
  }
  exit(code: number) {
    this.emit('exit', code);
  }
  requests() {
    return this.sent.filter((m) => m.t === 'req');
  }
  answer(index: number, reply: unknown) {
    this.say({ t: 'res', id: this.requests()[index]!.id, reply });
  }
}

function setup(overrides: Partial<ServiceSupervisorOptions> = {}) {
  const children: ManualChild[] = [];
  const logs: string[] = [];
  const supervisor = createServiceSupervisor({
    fork: () => {
      const c = new ManualChild();
      children.push(c);
      return c;
    },
    dataCenterUrl: 'http://dc.test',
    offlineMessage: '数据服务已停止，正在重新启动…',
    log: (m) => logs.push(m),
    ...overrides,
  });
  const last = () => children[children.length - 1]!;
  return { supervisor, children, last, logs };
}

beforeEach(() => {
  vi.useFakeTimers({ now: new Date('2026-01-05T08:00:00Z') });
});
afterEach(() => {
  vi.useRealTimers();
});

describe('data service supervisor', () => {
  it('pushes a changed starting message to sync/status subscribers before start, and answers it', async () => {
    const { supervisor, last } = setup({ startingMessage: '正在启动数据中心和数据服务…' });
    const pushed: SyncStatus[] = [];
    supervisor.subscribe('sync/status', (s) => pushed.push(s));
    supervisor.setStartingMessage('数据中心正在升级存储（迁移 2/3：sync-rows-text）…');
    expect(pushed).toHaveLength(1);
    expect(pushed[0]).toMatchObject({ state: 'connecting', dataCenterUrl: 'http://dc.test', message: '数据中心正在升级存储（迁移 2/3：sync-rows-text）…' });
    await expect(Promise.resolve(supervisor.handlers['sync/status']({}))).resolves.toMatchObject({
      message: '数据中心正在升级存储（迁移 2/3：sync-rows-text）…',
    });
    // done: back to the plain starting message
    supervisor.setStartingMessage(null);
    expect(pushed.map((s) => [s.state, s.message])).toEqual([
      ['connecting', '数据中心正在升级存储（迁移 2/3：sync-rows-text）…'],
      ['connecting', '正在启动数据中心和数据服务…'],
    ]);
    await expect(Promise.resolve(supervisor.handlers['sync/status']({}))).resolves.toMatchObject({ message: '正在启动数据中心和数据服务…' });
    // once started, the data service speaks for itself: nothing pushed from here
    supervisor.start();
    supervisor.setStartingMessage('late');
    last().say({ t: 'ready' });
    expect(pushed).toHaveLength(2);
  });

  it('holds requests made before start and while starting until the child is ready, then forwards them', async () => {
    const { supervisor, last } = setup({ startingMessage: '正在启动数据中心…' });
    expect(supervisor.state).toBe('idle');
    const info = supervisor.handlers['app/info']({});
    await expect(Promise.resolve(supervisor.handlers['sync/status']({}))).resolves.toMatchObject({
      state: 'connecting',
      dataCenterUrl: 'http://dc.test',
      message: '正在启动数据中心…',
    });
    supervisor.start();
    expect(supervisor.state).toBe('starting');
    const tree = supervisor.handlers['areas/tree']({});
    await vi.advanceTimersByTimeAsync(10);
    expect(last().requests()).toHaveLength(0);

    last().say({ t: 'ready' });
    expect(supervisor.state).toBe('ready');
    expect(last().requests().map((r) => r.name)).toEqual(['app/info', 'areas/tree']);
    last().answer(0, { ok: true, result: fakeResults['app/info'] });
    last().answer(1, { ok: false, error: { code: 'not_found', message: 'empty replica', details: { n: 0 } } });
    await expect(info).resolves.toEqual(fakeResults['app/info']);
    const err = await Promise.resolve(tree).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(HuyingError);
    expect(err).toMatchObject({ code: 'not_found', message: 'empty replica', details: { n: 0 } });
  });

  it('fails pending requests with unavailable when the child dies, pushes offline, restarts with backoff', async () => {
    const { supervisor, children, last } = setup({ initialBackoffMs: 500, maxBackoffMs: 4000 });
    supervisor.start();
    last().say({ t: 'ready' });
    const statuses: SyncStatus[] = [];
    supervisor.subscribe('sync/status', (s) => statuses.push(s));
    expect(last().sent).toContainEqual({ t: 'sub', name: 'sync/status' });
    // the child reported a live status once
    last().say({ t: 'evt', name: 'sync/status', payload: { ...fakeResults['sync/status'], lastBatchAt: '2026-01-05T07:59:00.000Z' } });

    const pending = Promise.resolve(supervisor.handlers['grids/geometry']({})).catch((e: unknown) => e);
    last().exit(1);
    expect(await pending).toMatchObject({ code: 'unavailable' });
    expect(supervisor.state).toBe('down');
    expect(statuses.at(-1)).toEqual({
      state: 'offline',
      dataCenterUrl: 'http://dc.test',
      offlineSince: '2026-01-05T08:00:00.000Z',
      lastBatchAt: '2026-01-05T07:59:00.000Z',
      version: 'fake-1',
      progress: null,
      message: '数据服务已停止，正在重新启动…',
    });

    // while down: requests fail at once, sync/status answers the offline status
    await expect(Promise.resolve(supervisor.handlers['app/info']({}))).rejects.toMatchObject({ code: 'unavailable' });
    await expect(Promise.resolve(supervisor.handlers['sync/status']({}))).resolves.toMatchObject({ state: 'offline' });

    // restarts after 500, 1000, 2000, 4000, 4000 ms while it keeps crashing
    const delays: number[] = [];
    for (let i = 0; i < 5; i++) {
      const before = children.length;
      let waited = 0;
      while (children.length === before) {
        await vi.advanceTimersByTimeAsync(100);
        waited += 100;
      }
      delays.push(waited);
      last().exit(1);
    }
    expect(delays).toEqual([500, 1000, 2000, 4000, 4000]);
    expect(supervisor.restarts).toBe(5);
  });

  it('subscribes the new child again and tells subscribers its status after a restart', async () => {
    const { supervisor, last } = setup({ initialBackoffMs: 100 });
    supervisor.start();
    last().say({ t: 'ready' });
    const statuses: (string | null)[] = [];
    supervisor.subscribe('sync/status', (s) => statuses.push(s.state));
    last().exit(1);
    await vi.advanceTimersByTimeAsync(100);
    const second = last();
    expect(second.sent).toEqual([]);
    second.say({ t: 'ready' });
    expect(second.sent[0]).toEqual({ t: 'sub', name: 'sync/status' });
    const statusRequest = second.requests()[0]!;
    expect(statusRequest.name).toBe('sync/status');
    second.answer(0, { ok: true, result: fakeResults['sync/status'] });
    await vi.advanceTimersByTimeAsync(0);
    expect(statuses).toEqual(['offline', 'live']);
    // events from the new child flow
    second.say({ t: 'evt', name: 'sync/status', payload: { ...fakeResults['sync/status'], state: 'catching_up' } });
    expect(statuses.at(-1)).toBe('catching_up');
  });

  it('starts the backoff again after a child stayed up long enough', async () => {
    const { supervisor, children, last } = setup({ initialBackoffMs: 100, stableAfterMs: 10_000 });
    supervisor.start();
    last().exit(1); // 100 ms
    await vi.advanceTimersByTimeAsync(100);
    last().exit(1); // 200 ms
    await vi.advanceTimersByTimeAsync(200);
    expect(children).toHaveLength(3);
    last().say({ t: 'ready' });
    await vi.advanceTimersByTimeAsync(10_000);
    last().exit(1); // stable: back to 100 ms
    await vi.advanceTimersByTimeAsync(100);
    expect(children).toHaveLength(4);
  });

  it('sends sub for the first listener and unsub after the last', () => {
    const { supervisor, last } = setup();
    supervisor.start();
    last().say({ t: 'ready' });
    const off1 = supervisor.subscribe('sync/status', () => {});
    const off2 = supervisor.subscribe('sync/status', () => {});
    off1();
    off1();
    expect(last().sent.filter((m) => m.t !== 'req')).toEqual([{ t: 'sub', name: 'sync/status' }]);
    off2();
    expect(last().sent.at(-1)).toEqual({ t: 'unsub', name: 'sync/status' });
  });

  it('times out a request the child never answers, and ignores junk from the child', async () => {
    const { supervisor, last, logs } = setup({ requestTimeoutMs: 1000 });
    supervisor.start();
    last().say({ t: 'ready' });
    const slow = Promise.resolve(supervisor.handlers['app/info']({})).catch((e: unknown) => e);
    last().say({ t: 'res', id: 'x' });
    last().say('garbage');
    await vi.advanceTimersByTimeAsync(1000);
    expect(await slow).toMatchObject({ code: 'timeout' });
    expect(logs.filter((l) => l.includes('malformed'))).toHaveLength(2);
    // a late answer for the timed-out id is dropped
    last().answer(0, { ok: true, result: fakeResults['app/info'] });
  });

  it('kills a child that never says ready, and restarts it', async () => {
    const { supervisor, children } = setup({ readyTimeoutMs: 5000, initialBackoffMs: 100 });
    supervisor.start();
    await vi.advanceTimersByTimeAsync(5000);
    expect(children[0]!.killed).toBe(true);
    children[0]!.exit(137);
    await vi.advanceTimersByTimeAsync(100);
    expect(children).toHaveLength(2);
  });

  it('stops cleanly: shutdown, wait for exit, no restart; kills when the child hangs', async () => {
    const { supervisor, children, last } = setup({ stopTimeoutMs: 2000 });
    supervisor.start();
    last().say({ t: 'ready' });
    const stopped = supervisor.stop();
    expect(last().sent.at(-1)).toEqual({ t: 'shutdown' });
    last().exit(0);
    await stopped;
    await vi.advanceTimersByTimeAsync(60_000);
    expect(children).toHaveLength(1);
    await expect(Promise.resolve(supervisor.handlers['app/info']({}))).rejects.toMatchObject({ code: 'unavailable' });

    const hung = setup({ stopTimeoutMs: 2000 });
    hung.supervisor.start();
    hung.last().say({ t: 'ready' });
    const stopping = hung.supervisor.stop();
    await vi.advanceTimersByTimeAsync(2000);
    await stopping;
    expect(hung.last().killed).toBe(true);
  });

  it('computes capped exponential delays', () => {
    expect([0, 1, 2, 3, 10, 100].map((a) => backoffDelay(a, 500, 30_000))).toEqual([500, 1000, 2000, 4000, 30_000, 30_000]);
  });
});
