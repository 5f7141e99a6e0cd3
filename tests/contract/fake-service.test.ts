/**
 * The test double that ships with the contract must itself keep the contract:
 * every default answer passes its result schema, partial handlers replace
 * defaults, and emit() checks payloads like the real service's events.
 */
import { describe, expect, it } from 'vitest';
import { requests, type RequestName } from '../../src/core/rpc/contract';
import { createFakeService, fakeResults } from '../../src/core/rpc/fake-service';

const NAMES = Object.keys(requests) as RequestName[];

describe('createFakeService', () => {
  it.each(NAMES)('answers %s with data that passes the result schema', async (name) => {
    const service = createFakeService();
    const result = await (service.handlers[name] as (a: unknown) => unknown)({});
    expect(() => requests[name].result.parse(result)).not.toThrow();
  });

  it('covers every request of the contract', () => {
    expect(Object.keys(createFakeService().handlers).sort()).toEqual([...NAMES].sort());
    expect(Object.keys(fakeResults).sort()).toEqual([...NAMES].sort());
  });

  it('replaces only the handlers given, and hands out copies', async () => {
    const service = createFakeService({ 'app/info': () => ({ ...fakeResults['app/info'], version: '9.9.9' }) });
    expect((await service.handlers['app/info']({})).version).toBe('9.9.9');
    const tree = await service.handlers['areas/tree']({});
    tree.district.name = 'changed';
    expect((await service.handlers['areas/tree']({})).district.name).toBe('花都区');
  });

  it('emits to subscribers until they unsubscribe, and refuses invalid payloads', () => {
    const service = createFakeService();
    const seen: string[] = [];
    const listener = (s: { state: string }) => seen.push(s.state);
    const off1 = service.subscribe('sync/status', listener);
    const off2 = service.subscribe('sync/status', listener);
    expect(service.listenerCount('sync/status')).toBe(2);
    service.emit('sync/status', fakeResults['sync/status']);
    off1();
    service.emit('sync/status', { ...fakeResults['sync/status'], state: 'offline' });
    off2();
    service.emit('sync/status', fakeResults['sync/status']);
    expect(seen).toEqual(['live', 'live', 'offline']);
    expect(service.listenerCount('sync/status')).toBe(0);
    expect(() => service.emit('sync/status', { state: 'sideways' } as never)).toThrow();
  });
});
