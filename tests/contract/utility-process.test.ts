/**
 * The main ↔ data-service message protocol end to end in memory: the
 * supervisor (main) and serveParentPort (the utilityProcess entry) with
 * structured-cloned messages, including a crash and a restart.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { HuyingError } from '../../src/core/errors';
import { createFakeService, fakeResults } from '../../src/core/rpc/fake-service';
import type { SyncStatus } from '../../src/core/rpc/contract';
import { createServiceSupervisor, type ServiceSupervisor } from '../../src/main/service-host';
import { serveParentPort, serviceOptionsFromEnv, type ParentPortLike } from '../../src/main/service/process';
import { statusWith } from './contract-suite';
import { forkInMemory, type FakeUtilityChild } from './fake-electron';

let supervisor: ServiceSupervisor | null = null;
afterEach(async () => {
  await supervisor?.stop();
  supervisor = null;
});

async function until(check: () => boolean, what: string): Promise<void> {
  const start = Date.now();
  while (!check()) {
    if (Date.now() - start > 5000) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

describe('data service in a utility process', () => {
  it('answers, forwards events, survives a crash and comes back subscribed', async () => {
    const services = [createFakeService(), createFakeService()];
    const closed: number[] = [];
    const children: FakeUtilityChild[] = [];
    supervisor = createServiceSupervisor({
      fork: () => {
        const n = children.length;
        const child = forkInMemory({ ...services[n]!, close: async () => void closed.push(n) });
        children.push(child);
        return child;
      },
      dataCenterUrl: 'http://dc.test',
      offlineMessage: 'restarting',
      initialBackoffMs: 20,
      log: () => {},
    });
    supervisor.start();
    expect(await supervisor.handlers['app/info']({})).toEqual(fakeResults['app/info']);

    const seen: SyncStatus[] = [];
    supervisor.subscribe('sync/status', (s) => seen.push(s));
    await until(() => services[0]!.listenerCount('sync/status') === 1, 'the child to subscribe');
    services[0]!.emit('sync/status', statusWith('one'));
    await until(() => seen.length === 1, 'the first event');

    children[0]!.crash(1);
    await until(() => seen.length === 2, 'the offline status');
    expect(seen[1]).toMatchObject({ state: 'offline', message: 'restarting' });
    await until(() => supervisor!.state === 'ready', 'the restart');
    await until(() => services[1]!.listenerCount('sync/status') === 1, 'the new child to subscribe');
    await until(() => seen.length === 3, 'the status of the new child');
    expect(seen[2]).toEqual(fakeResults['sync/status']);
    services[1]!.emit('sync/status', statusWith('two'));
    await until(() => seen.length === 4, 'an event from the new child');
    expect(seen[3]!.message).toBe('two');

    await supervisor.stop();
    supervisor = null;
    expect(closed).toEqual([1]);
    expect(services[1]!.listenerCount('sync/status')).toBe(0);
  });

  it('carries handler errors with their code through the child', async () => {
    const service = createFakeService({
      'grids/geometry': () => {
        throw new HuyingError('must_refetch', 'cursor too old');
      },
    });
    supervisor = createServiceSupervisor({
      fork: () => forkInMemory({ ...service, close: async () => {} }),
      dataCenterUrl: 'http://dc.test',
      offlineMessage: 'x',
      log: () => {},
    });
    supervisor.start();
    await expect(Promise.resolve(supervisor.handlers['grids/geometry']({}))).rejects.toMatchObject({ code: 'must_refetch', message: 'cursor too old' });
  });
});

describe('serveParentPort', () => {
  function port() {
    const posted: unknown[] = [];
    let listener: (e: { data: unknown }) => void = () => {};
    const p: ParentPortLike = {
      on: (_e, l) => (listener = l),
      postMessage: (m) => posted.push(m),
    };
    return { p, posted, send: (data: unknown) => listener({ data }) };
  }

  it('answers requests with the contract checks, ignores malformed messages, closes on shutdown', async () => {
    const errors = vi.spyOn(console, 'error').mockImplementation(() => {});
    const service = createFakeService();
    let closedService = false;
    const { p, posted, send } = port();
    const done = serveParentPort(p, { ...service, close: async () => void (closedService = true) });
    send({ t: 'req', id: 1, name: 'app/info', args: {} });
    send({ t: 'req', id: 2, name: 'app/info', args: { x: 1 } });
    send({ t: 'req', id: 3, name: 'nope', args: {} });
    send({ nonsense: true });
    send({ t: 'sub', name: 'made/up' });
    await until(() => posted.length === 3, 'three answers');
    // answers may come in any order
    const byId = [...(posted as { id: number }[])].sort((a, b) => a.id - b.id);
    expect(byId).toEqual([
      { t: 'res', id: 1, reply: { ok: true, result: fakeResults['app/info'] } },
      { t: 'res', id: 2, reply: { ok: false, error: expect.objectContaining({ code: 'invalid_args' }) } },
      { t: 'res', id: 3, reply: { ok: false, error: expect.objectContaining({ code: 'unknown_method' }) } },
    ]);
    expect(errors.mock.calls.map((c) => String(c[0]))).toEqual([
      'data service: malformed message from main',
      'data service: main subscribed to unknown event "made/up"',
    ]);
    errors.mockRestore();
    send({ t: 'sub', name: 'sync/status' });
    send({ t: 'sub', name: 'sync/status' });
    expect(service.listenerCount('sync/status')).toBe(1);
    send({ t: 'unsub', name: 'sync/status' });
    expect(service.listenerCount('sync/status')).toBe(0);
    send({ t: 'sub', name: 'sync/status' });
    send({ t: 'shutdown' });
    await done;
    expect(closedService).toBe(true);
    expect(service.listenerCount('sync/status')).toBe(0);
  });

  it('answers with an error when a result cannot be posted', async () => {
    const service = createFakeService({ 'app/info': () => ({ ...fakeResults['app/info'], oops: () => 1 }) as never });
    const posted: unknown[] = [];
    const p: ParentPortLike = {
      on: (_e, l) => void setImmediate(() => l({ data: { t: 'req', id: 9, name: 'app/info', args: {} } })),
      postMessage: (m) => posted.push(structuredClone(m)),
    };
    void serveParentPort(p, { ...service, close: async () => {} });
    await until(() => posted.length === 1, 'the answer');
    expect(posted[0]).toMatchObject({ t: 'res', id: 9, reply: { ok: false, error: { code: 'internal' } } });
  });

  it('reads its settings from the environment main sets', () => {
    expect(serviceOptionsFromEnv({ HUYING_DATA_DIR: '/d', HUYING_DATACENTER_URL: 'http://dc', HUYING_SQLITE_BINDING: '/b.node' })).toEqual({
      dataDir: '/d',
      dataCenterUrl: 'http://dc',
      sqliteBinding: '/b.node',
    });
    expect(() => serviceOptionsFromEnv({ HUYING_DATA_DIR: '/d' })).toThrow(/HUYING_DATACENTER_URL/);
  });
});
