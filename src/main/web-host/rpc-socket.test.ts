/**
 * The RPC socket's folding of `events/changed` (one frame per gap instead of one per change): what a
 * page receives, in what order, and that nothing said changed is lost. Transport behaviour shared with
 * Electron IPC is in tests/contract.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { createFakeService, fakeResults, type FakeService } from '../../core/rpc/fake-service';
import { attachRpcSocket, foldChanged, type RpcSocketOptions } from './rpc-socket';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function start(service: FakeService, opts: RpcSocketOptions) {
  const server = http.createServer((_req, res) => res.writeHead(404).end());
  const handle = attachRpcSocket(server, service, { heartbeatMs: 0, log: () => {}, ...opts });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanups.push(async () => {
    await handle.close();
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
  const ws = new WebSocket(`ws://127.0.0.1:${(server.address() as AddressInfo).port}/rpc`);
  const frames: { t: string; name?: string; id?: number; payload?: unknown; at: number }[] = [];
  ws.on('message', (data) => frames.push({ ...(JSON.parse(data.toString()) as object), at: performance.now() } as (typeof frames)[number]));
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  cleanups.push(() => ws.terminate());
  const subscribe = async (name: string) => {
    const before = service.listenerCount(name as never);
    ws.send(JSON.stringify({ t: 'sub', name }));
    await until(() => service.listenerCount(name as never) > before, `the subscription to ${name}`);
  };
  return { handle, ws, frames, subscribe };
}

async function until(check: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const start = Date.now();
  while (!check()) {
    if (Date.now() - start > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const cp = (v: number) => ({ epoch: 'e', v });
const changedFrames = (frames: { name?: string; payload?: unknown }[]) =>
  frames.filter((f) => f.name === 'events/changed').map((f) => f.payload as { ids: string[]; all: boolean; checkpoint: { v: number } | null });

describe('foldChanged', () => {
  it('keeps every id once in the order first said, all if either had it, and the newer checkpoint', () => {
    expect(foldChanged({ ids: ['a', 'b'], all: false, checkpoint: cp(1) }, { ids: ['b', 'c', 'a', 'd'], all: false, checkpoint: cp(2) })).toEqual({
      ids: ['a', 'b', 'c', 'd'],
      all: false,
      checkpoint: cp(2),
    });
    expect(foldChanged({ ids: ['a'], all: true, checkpoint: cp(1) }, { ids: [], all: false, checkpoint: cp(3) })).toEqual({ ids: ['a'], all: true, checkpoint: cp(3) });
    expect(foldChanged({ ids: [], all: false, checkpoint: null }, { ids: ['x'], all: true, checkpoint: null })).toEqual({ ids: ['x'], all: true, checkpoint: null });
    expect(
      foldChanged({ ids: ['a'], all: false, checkpoint: cp(1) }, { ids: ['b', 'a'], all: true, checkpoint: cp(2) }, { ids: ['c', 'b'], all: false, checkpoint: cp(3) }),
    ).toEqual({ ids: ['a', 'b', 'c'], all: true, checkpoint: cp(3) });
  });
});

describe('rpc socket: events/changed folded per gap', () => {
  it('sends the first change at once and folds the ones within the gap into one frame at its end', async () => {
    const service = createFakeService();
    const { handle, frames, subscribe } = await start(service, { coalesceMs: 300 });
    await subscribe('events/changed');
    const t0 = performance.now();
    service.emit('events/changed', { ids: ['e1'], all: false, checkpoint: cp(1) });
    await until(() => changedFrames(frames).length === 1, 'the first change');
    // the first one did not wait for the gap
    expect(frames[0]!.at - t0).toBeLessThan(250);
    // (an id said again is sent once)
    for (let i = 2; i <= 6; i++) service.emit('events/changed', { ids: i === 2 ? ['e2'] : [`e${i}`, 'e2'], all: false, checkpoint: cp(i) });
    await until(() => changedFrames(frames).length === 2, 'the folded changes');
    expect(changedFrames(frames)[1]).toEqual({ ids: ['e2', 'e3', 'e4', 'e5', 'e6'], all: false, checkpoint: cp(6) });
    // …sent when the gap since the first ended, not before
    expect(frames[1]!.at - frames[0]!.at).toBeGreaterThanOrEqual(290);
    await sleep(400);
    expect(changedFrames(frames)).toHaveLength(2);
    expect(handle.changed).toMatchObject({ in: 6, out: 2 });
    expect(handle.changed.heldMsMax).toBeGreaterThan(0);
    expect(handle.changed.heldMsMax).toBeLessThan(1000);
    // a change after a quiet spell goes at once again
    const t1 = performance.now();
    service.emit('events/changed', { ids: ['e7'], all: true, checkpoint: cp(7) });
    await until(() => changedFrames(frames).length === 3, 'the change after the gap');
    expect(frames[2]!.at - t1).toBeLessThan(250);
    expect(changedFrames(frames)[2]).toEqual({ ids: ['e7'], all: true, checkpoint: cp(7) });
  });

  it('sends what is folded before any other frame, so frames keep the order the service made them in', async () => {
    const service = createFakeService();
    const { ws, frames, subscribe } = await start(service, { coalesceMs: 5_000 });
    await subscribe('events/changed');
    await subscribe('sync/status');
    service.emit('events/changed', { ids: ['a'], all: false, checkpoint: cp(1) });
    service.emit('events/changed', { ids: ['b'], all: false, checkpoint: cp(2) });
    service.emit('events/changed', { ids: ['c'], all: false, checkpoint: cp(3) });
    service.emit('sync/status', { ...fakeResults['sync/status'], message: 'after the changes' });
    await until(() => frames.length === 3, 'three frames');
    expect(frames.map((f) => f.name)).toEqual(['events/changed', 'events/changed', 'sync/status']);
    expect(changedFrames(frames)[1]).toEqual({ ids: ['b', 'c'], all: false, checkpoint: cp(3) });
    // an answer too: the change folded before it reaches the page before it
    service.emit('events/changed', { ids: ['d'], all: false, checkpoint: cp(4) });
    ws.send(JSON.stringify({ t: 'req', id: 1, name: 'app/info', args: {} }));
    await until(() => frames.length === 5, 'the answer');
    expect(frames.slice(3).map((f) => f.t)).toEqual(['evt', 'res']);
    expect(changedFrames(frames)[2]).toEqual({ ids: ['d'], all: false, checkpoint: cp(4) });
  });

  it('with coalesceMs 0 sends one frame per change', async () => {
    const service = createFakeService();
    const { frames, subscribe } = await start(service, { coalesceMs: 0 });
    await subscribe('events/changed');
    for (let i = 1; i <= 4; i++) service.emit('events/changed', { ids: [`e${i}`], all: false, checkpoint: cp(i) });
    await until(() => changedFrames(frames).length === 4, 'four frames');
    expect(changedFrames(frames).map((p) => p.ids)).toEqual([['e1'], ['e2'], ['e3'], ['e4']]);
  });

  it('drops what is folded when the socket closes, and leaves no timer behind', async () => {
    const service = createFakeService();
    const { ws, subscribe } = await start(service, { coalesceMs: 200 });
    await subscribe('events/changed');
    service.emit('events/changed', { ids: ['a'], all: false, checkpoint: cp(1) });
    service.emit('events/changed', { ids: ['b'], all: false, checkpoint: cp(2) });
    ws.close();
    await until(() => service.listenerCount('events/changed') === 0, 'the subscription removed');
    // the timer would now send on a closed socket; it must not throw (an unhandled error fails the run)
    await sleep(300);
  });
});
