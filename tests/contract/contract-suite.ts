/**
 * ONE contract suite for every transport. Each transport test file calls
 * `defineContractSuite(name, makeClient)`; `makeClient` puts the transport
 * between a fake data service and a typed RpcClient. The suite then proves,
 * the same way for all of them, that:
 *   - every request of the contract round-trips with valid arguments
 *     (sample-args.ts): the handler receives them parsed by the request's
 *     schema, and the result equals the service's own answer and passes the
 *     result schema;
 *   - bad arguments come back as `invalid_args`, unknown names as
 *     `unknown_method`, handler errors as data with the same code, message
 *     and details;
 *   - many requests in flight at once each get exactly one answer;
 *   - pushed events reach every subscriber and stop after unsubscribe.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { HuyingError } from '../../src/core/errors';
import { requests, type EventName, type EventPayload, type RequestName, type RequestResult, type SyncStatus } from '../../src/core/rpc/contract';
import { createFakeService, fakeResults, type FakeService } from '../../src/core/rpc/fake-service';
import type { RpcClient } from '../../src/core/rpc/wire';
import type { Handlers } from '../../src/core/rpc/contract';
import { sampleArgs } from './sample-args';

export interface ContractHarness {
  client: RpcClient;
  close(): Promise<void>;
}

export type MakeClient = (service: FakeService) => Promise<ContractHarness>;

const REQUEST_NAMES = Object.keys(requests) as RequestName[];

/** A sync/status payload distinguishable by its message. */
export function statusWith(message: string): SyncStatus {
  return { ...fakeResults['sync/status'], message };
}

/** Calls a request with its sample arguments (sample-args.ts). */
function invokeWithSample<N extends RequestName>(client: RpcClient, name: N): Promise<RequestResult<N>> {
  return (client.invoke as (n: N, a: unknown) => Promise<RequestResult<N>>)(name, sampleArgs[name]);
}

/**
 * A fake service whose handler for `name` records the arguments it receives
 * and otherwise answers as the default fake does.
 */
function recordingHandler<N extends RequestName>(name: N, received: unknown[]): Partial<Handlers> {
  const fallback = createFakeService().handlers[name] as (a: unknown) => unknown;
  return {
    [name]: (args: unknown) => {
      received.push(args);
      return fallback(args);
    },
  } as Partial<Handlers>;
}

/** Calls the client with a name or arguments outside the contract's types. */
function invokeUntyped(client: RpcClient, name: string, args?: unknown): Promise<unknown> {
  return (client.invoke as (n: string, a?: unknown) => Promise<unknown>)(name, args);
}

async function rejection(promise: Promise<unknown>): Promise<HuyingError> {
  try {
    await promise;
  } catch (err) {
    expect(err).toBeInstanceOf(HuyingError);
    return err as HuyingError;
  }
  throw new Error('expected the call to fail, but it succeeded');
}

/** Collects events of one name; `waitFor(n)` resolves once n have arrived. */
function collect<E extends EventName>(client: RpcClient, name: E) {
  const seen: EventPayload<E>[] = [];
  const waiters: { n: number; resolve: () => void }[] = [];
  const off = client.subscribe(name, (payload) => {
    seen.push(payload);
    for (const w of waiters.filter((w) => seen.length >= w.n)) {
      waiters.splice(waiters.indexOf(w), 1);
      w.resolve();
    }
  });
  return {
    seen,
    off,
    waitFor(n: number, timeoutMs = 5000): Promise<void> {
      if (seen.length >= n) return Promise.resolve();
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`waited ${timeoutMs} ms for ${n} ${name} events, got ${seen.length}`)), timeoutMs);
        waiters.push({
          n,
          resolve: () => {
            clearTimeout(timer);
            resolve();
          },
        });
      });
    },
  };
}

export function defineContractSuite(name: string, makeClient: MakeClient): void {
  describe(`RPC contract over ${name}`, () => {
    let harness: ContractHarness | null = null;
    afterEach(async () => {
      await harness?.close();
      harness = null;
    });
    const open = async (partial?: Partial<Handlers>) => {
      const service = createFakeService(partial);
      harness = await makeClient(service);
      return { service, client: harness.client };
    };

    it.each(REQUEST_NAMES)('%s round-trips with the result the service gave', async (requestName) => {
      const received: unknown[] = [];
      const { service, client } = await open(recordingHandler(requestName, received));
      const viaTransport = await invokeWithSample(client, requestName);
      // the handler got the sample once, parsed by the request's schema (defaults filled in)
      const parsedArgs = requests[requestName].args.parse(sampleArgs[requestName]);
      expect(received).toEqual([parsedArgs]);
      const direct = await (service.handlers[requestName] as (a: unknown) => unknown)(parsedArgs);
      expect(viaTransport).toEqual(direct);
      expect(requests[requestName].result.parse(viaTransport)).toEqual(viaTransport);
    });

    it.each(REQUEST_NAMES)('%s refuses bad arguments with invalid_args', async (requestName) => {
      const { client } = await open();
      // valid arguments plus one unknown key: the unknown key alone is refused
      const err = await rejection(invokeUntyped(client, requestName, { ...sampleArgs[requestName], unexpected: 1 }));
      expect(err.code).toBe('invalid_args');
      expect(err.message).toMatch(/unexpected|unrecognized/i);
      expect((await rejection(invokeUntyped(client, requestName, 42))).code).toBe('invalid_args');
    });

    it('refuses a name outside the contract with unknown_method', async () => {
      const { client } = await open();
      const err = await rejection(invokeUntyped(client, 'grids/delete-everything', {}));
      expect(err.code).toBe('unknown_method');
      expect(err.message).toContain('grids/delete-everything');
      expect((await rejection(invokeUntyped(client, '__proto__', {}))).code).toBe('unknown_method');
    });

    it('carries handler errors as data with the same code, message and details', async () => {
      const { client } = await open({
        'areas/tree': () => {
          throw new HuyingError('not_found', 'no reference data yet', { hint: 'sync first' });
        },
        'grids/geometry': async () => {
          throw new Error('disk on fire');
        },
      });
      const known = await rejection(client.invoke('areas/tree'));
      expect({ code: known.code, message: known.message, details: known.details }).toEqual({
        code: 'not_found',
        message: 'no reference data yet',
        details: { hint: 'sync first' },
      });
      const unknown = await rejection(client.invoke('grids/geometry'));
      expect({ code: unknown.code, message: unknown.message }).toEqual({ code: 'internal', message: 'disk on fire' });
      // the transport survives failures: the next call works
      expect((await client.invoke('app/info')).name).toBe(fakeResults['app/info'].name);
    });

    it('answers many requests in flight at once, each exactly once', async () => {
      let calls = 0;
      const { client } = await open({
        'app/info': async () => {
          const n = calls++;
          // finish out of order
          await new Promise((r) => setTimeout(r, (n * 7) % 13));
          return { ...fakeResults['app/info'], version: `v${n}` };
        },
      });
      const results = await Promise.all(Array.from({ length: 25 }, () => client.invoke('app/info')));
      expect(results.map((r) => r.version).sort()).toEqual(Array.from({ length: 25 }, (_, i) => `v${i}`).sort());
    });

    it('delivers pushed events to every subscriber and stops after unsubscribe', async () => {
      const { service, client } = await open();
      const a = collect(client, 'sync/status');
      const b = collect(client, 'sync/status');
      // a round trip after subscribing: the subscription has reached the far side
      await client.invoke('app/info');

      service.emit('sync/status', statusWith('first'));
      await Promise.all([a.waitFor(1), b.waitFor(1)]);
      expect(a.seen).toEqual([statusWith('first')]);
      expect(b.seen).toEqual([statusWith('first')]);

      a.off();
      await client.invoke('app/info');
      service.emit('sync/status', statusWith('second'));
      await b.waitFor(2);
      expect(b.seen.map((s) => s.message)).toEqual(['first', 'second']);
      expect(a.seen.map((s) => s.message)).toEqual(['first']);

      b.off();
      await client.invoke('app/info');
      const c = collect(client, 'sync/status');
      await client.invoke('app/info');
      service.emit('sync/status', statusWith('third'));
      await c.waitFor(1);
      expect(b.seen.map((s) => s.message)).toEqual(['first', 'second']);
      expect(a.seen).toHaveLength(1);
      c.off();
    });

    it('refuses to subscribe to an event outside the contract', async () => {
      const { client } = await open();
      const subscribe = client.subscribe as (n: string, l: (p: unknown) => void) => () => void;
      expect(() => subscribe('nope/never', () => {})).toThrow(HuyingError);
    });
  });
}
