/**
 * What only the WebSocket transport has to get right, beyond the shared
 * contract suite: dropped connections (pending requests fail `unavailable`,
 * the client reconnects and subscribes again), timeouts, malformed frames
 * (answered or closed with a reason, the server keeps serving), Origin and
 * path checks, and subscriptions removed from the service when a socket goes.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { createFakeService, fakeResults, type FakeService } from '../../src/core/rpc/fake-service';
import type { Reply } from '../../src/core/rpc/wire';
import { attachRpcSocket, type RpcSocketHandle, type RpcSocketOptions } from '../../src/main/web-host/rpc-socket';
import {
  createWebSocketBridge,
  type ConnectionState,
  type WebSocketBridge,
  type WebSocketBridgeOptions,
  type WebSocketConstructor,
} from '../../src/renderer/transport/websocket';
import { statusWith } from './contract-suite';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function startServer(service: FakeService, opts: RpcSocketOptions = {}) {
  const server = http.createServer((_req, res) => res.writeHead(404).end());
  let handle: RpcSocketHandle = attachRpcSocket(server, service, { heartbeatMs: 0, log: () => {}, ...opts });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  cleanups.push(async () => {
    await handle.close();
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
  return {
    server,
    port,
    url: `ws://127.0.0.1:${port}/rpc`,
    get handle() {
      return handle;
    },
    /** drops every socket, then serves again on the same port */
    async restart() {
      await handle.close();
      handle = attachRpcSocket(server, service, { heartbeatMs: 0, log: () => {}, ...opts });
    },
  };
}

function bridgeTo(url: string, opts: WebSocketBridgeOptions = {}): WebSocketBridge {
  const bridge = createWebSocketBridge(url, { WebSocket: WebSocket as unknown as WebSocketConstructor, initialBackoffMs: 20, maxBackoffMs: 100, ...opts });
  cleanups.push(() => bridge.close());
  return bridge;
}

async function until(check: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const start = Date.now();
  while (!check()) {
    if (Date.now() - start > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** A raw client, to send what the bridge never would. */
async function rawClient(url: string, headers: Record<string, string> = {}) {
  const ws = new WebSocket(url, { headers });
  const frames: unknown[] = [];
  ws.on('message', (data) => frames.push(JSON.parse(data.toString())));
  const closed = new Promise<{ code: number; reason: string }>((resolve) =>
    ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() })),
  );
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  cleanups.push(() => ws.terminate());
  return { ws, frames, closed };
}

/** Resolves with the HTTP status of a refused upgrade. */
function upgradeStatus(url: string, headers: Record<string, string> = {}): Promise<number> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { headers });
    ws.on('unexpected-response', (_req, res) => {
      resolve(res.statusCode ?? 0);
      ws.terminate();
    });
    ws.on('open', () => {
      ws.terminate();
      reject(new Error('the upgrade was accepted'));
    });
    ws.on('error', () => {});
  });
}

describe('WebSocket transport: connection loss', () => {
  it('fails requests in flight with unavailable when the socket drops, then reconnects and subscribes again', async () => {
    let releaseSlow: (() => void) | undefined;
    const service = createFakeService({
      'areas/tree': () =>
        new Promise((resolve) => {
          releaseSlow = () => resolve(fakeResults['areas/tree']);
        }),
    });
    const srv = await startServer(service);
    const states: ConnectionState[] = [];
    const bridge = bridgeTo(srv.url, { onStateChange: (s) => states.push(s) });
    const events: unknown[] = [];
    bridge.subscribe('sync/status', (p) => events.push(p));
    await bridge.invoke('app/info', {});
    expect(service.listenerCount('sync/status')).toBe(1);

    const inFlight = bridge.invoke('areas/tree', {});
    await until(() => releaseSlow !== undefined, 'the slow request to arrive');
    await srv.restart();
    const reply = await inFlight;
    expect(reply).toMatchObject({ ok: false, error: { code: 'unavailable' } });
    releaseSlow?.(); // the late answer has nowhere to go and must not break anything

    // the bridge comes back by itself and re-subscribes
    const again = await bridge.invoke('app/info', {});
    expect(again).toEqual({ ok: true, result: fakeResults['app/info'] });
    await until(() => service.listenerCount('sync/status') === 1, 're-subscription');
    service.emit('sync/status', statusWith('after reconnect'));
    await until(() => events.length === 1, 'the event after reconnect');
    expect(events).toEqual([statusWith('after reconnect')]);
    expect(states).toEqual(['open', 'reconnecting', 'open']);
  });

  it('keeps requests made while disconnected until the socket is back', async () => {
    const service = createFakeService();
    const srv = await startServer(service);
    const bridge = bridgeTo(srv.url);
    await bridge.invoke('app/info', {});
    await srv.handle.close();
    await until(() => bridge.state === 'reconnecting', 'the drop to be noticed');
    // nothing listens for upgrades now; the request waits
    const waiting = bridge.invoke('sync/status', {});
    await new Promise((r) => setTimeout(r, 100));
    await srv.restart();
    expect(await waiting).toEqual({ ok: true, result: fakeResults['sync/status'] });
  });

  it('fails a request that never reaches a server with unavailable, one that gets no answer with timeout', async () => {
    const nowhere = bridgeTo('ws://127.0.0.1:9/rpc', { requestTimeoutMs: 150 });
    expect(await nowhere.invoke('app/info', {})).toMatchObject({ ok: false, error: { code: 'unavailable' } });

    const service = createFakeService({ 'app/info': () => new Promise(() => {}) });
    const srv = await startServer(service);
    const bridge = bridgeTo(srv.url, { requestTimeoutMs: 150 });
    expect(await bridge.invoke('app/info', {})).toMatchObject({ ok: false, error: { code: 'timeout' } });
    // the connection is still good for the next request
    expect(await bridge.invoke('sync/status', {})).toMatchObject({ ok: true });
  });

  it('after close(), fails pending and new requests and does not reconnect', async () => {
    const service = createFakeService({ 'app/info': () => new Promise(() => {}) });
    const srv = await startServer(service);
    const bridge = bridgeTo(srv.url);
    await bridge.invoke('sync/status', {});
    const pending = bridge.invoke('app/info', {});
    bridge.close();
    expect(await pending).toMatchObject({ ok: false, error: { code: 'unavailable' } });
    expect(await bridge.invoke('sync/status', {})).toMatchObject({ ok: false, error: { code: 'unavailable' } });
    await new Promise((r) => setTimeout(r, 100));
    expect(srv.handle.connections).toBe(0);
    expect(bridge.state).toBe('closed');
  });
});

describe('WebSocket transport: server edge', () => {
  it('answers an identifiable malformed request and closes on other malformed frames, staying up for others', async () => {
    const service = createFakeService();
    const srv = await startServer(service);

    const a = await rawClient(srv.url);
    a.ws.send(JSON.stringify({ t: 'req', id: 5, name: 42 }));
    a.ws.send(JSON.stringify({ t: 'req', id: 6, name: 'app/info', args: { x: 1 } }));
    await until(() => a.frames.length === 2, 'two answers');
    const byId = Object.fromEntries((a.frames as { id: number; reply: Reply }[]).map((f) => [f.id, f.reply]));
    expect(byId[5]).toMatchObject({ ok: false, error: { code: 'unknown_method' } });
    expect(byId[6]).toMatchObject({ ok: false, error: { code: 'invalid_args' } });

    a.ws.send('this is not json');
    expect(await a.closed).toEqual({ code: 1008, reason: 'malformed frame: not JSON' });

    const b = await rawClient(srv.url);
    b.ws.send(JSON.stringify({ t: 'subscribe-everything' }));
    const bClosed = await b.closed;
    expect(bClosed.code).toBe(1008);
    expect(bClosed.reason).toMatch(/^malformed frame: /);

    const c = await rawClient(srv.url);
    c.ws.send(Buffer.from([1, 2, 3]), { binary: true });
    expect((await c.closed).code).toBe(1003);

    const d = await rawClient(srv.url);
    d.ws.send(JSON.stringify({ t: 'sub', name: 'no/such-event' }));
    expect(await d.closed).toEqual({ code: 1008, reason: 'unknown event "no/such-event"' });

    // the server still serves everyone else
    const bridge = bridgeTo(srv.url);
    expect(await bridge.invoke('app/info', {})).toEqual({ ok: true, result: fakeResults['app/info'] });
  });

  it('removes the subscriptions of a socket from the service on unsub and when it closes', async () => {
    const service = createFakeService();
    const srv = await startServer(service);
    const one = await rawClient(srv.url);
    const two = await rawClient(srv.url);
    one.ws.send(JSON.stringify({ t: 'sub', name: 'sync/status' }));
    one.ws.send(JSON.stringify({ t: 'sub', name: 'sync/status' })); // idempotent
    two.ws.send(JSON.stringify({ t: 'sub', name: 'sync/status' }));
    await until(() => service.listenerCount('sync/status') === 2, 'two subscriptions');

    service.emit('sync/status', statusWith('x'));
    await until(() => one.frames.length === 1 && two.frames.length === 1, 'one event each');
    expect(one.frames[0]).toEqual({ t: 'evt', name: 'sync/status', payload: statusWith('x') });

    two.ws.send(JSON.stringify({ t: 'unsub', name: 'sync/status' }));
    await until(() => service.listenerCount('sync/status') === 1, 'unsub');
    one.ws.close();
    await until(() => service.listenerCount('sync/status') === 0, 'cleanup on close');
  });

  it('refuses other origins and other paths, and closes clients with 1001 on close()', async () => {
    const service = createFakeService();
    const srv = await startServer(service);
    expect(await upgradeStatus(srv.url, { Origin: 'http://evil.example' })).toBe(403);
    expect(await upgradeStatus(`ws://127.0.0.1:${srv.port}/elsewhere`)).toBe(404);
    const same = await rawClient(srv.url, { Origin: `http://127.0.0.1:${srv.port}` });
    await srv.handle.close();
    expect((await same.closed).code).toBe(1001);

    const custom = await startServer(createFakeService(), { allowOrigin: (o) => o === 'https://wall.example' });
    expect(await upgradeStatus(custom.url, { Origin: `http://127.0.0.1:${custom.port}` })).toBe(403);
    const ok = await rawClient(custom.url, { Origin: 'https://wall.example' });
    expect(ok.ws.readyState).toBe(WebSocket.OPEN);
  });

  it('leaves upgrades on other paths to another listener', async () => {
    const service = createFakeService();
    const srv = await startServer(service);
    let otherSaw = '';
    srv.server.on('upgrade', (req, socket) => {
      if (req.url === '/other') {
        otherSaw = req.url;
        socket.end('HTTP/1.1 418 Teapot\r\nContent-Length: 0\r\n\r\n');
      }
    });
    expect(await upgradeStatus(`ws://127.0.0.1:${srv.port}/other`)).toBe(418);
    expect(otherSaw).toBe('/other');
    const bridge = bridgeTo(srv.url);
    expect(await bridge.invoke('app/info', {})).toMatchObject({ ok: true });
  });

  it('drops a socket whose peer stops answering pings', async () => {
    const service = createFakeService();
    const srv = await startServer(service, { heartbeatMs: 50 });
    const silent = new WebSocket(srv.url, { autoPong: false });
    cleanups.push(() => silent.terminate());
    const closed = new Promise<void>((resolve) => silent.on('close', () => resolve()));
    await new Promise<void>((resolve) => silent.once('open', () => resolve()));
    silent.send(JSON.stringify({ t: 'sub', name: 'sync/status' }));
    await until(() => service.listenerCount('sync/status') === 1, 'subscription');
    await closed;
    await until(() => service.listenerCount('sync/status') === 0, 'cleanup after the dead peer');
  });
});
