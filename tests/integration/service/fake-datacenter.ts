/**
 * A stand-in for the data center's reference endpoints, with knobs the real
 * one does not have: swap the data, break a response, count requests, go
 * down and come back on the same port.
 */
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { versionOf, type District } from './fixtures';

type Override = (res: http.ServerResponse) => void;

export interface FakeDataCenter {
  url: string;
  port: number;
  /** requests per path */
  hits: Map<string, number>;
  setData(d: District): void;
  /** answer `path` with `override` instead of the data (until cleared with null) */
  override(path: string, override: Override | null): void;
  /** stop listening (connections refused) */
  down(): Promise<void>;
  /** listen again on the same port */
  up(): Promise<void>;
  close(): Promise<void>;
}

export function sendJson(res: http.ServerResponse, status: number, body: unknown, etag?: string): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...(etag ? { etag: `"${etag}"` } : {}) });
  res.end(text);
}

export async function startFakeDataCenter(initial: District, port = 0): Promise<FakeDataCenter> {
  let data = initial;
  const overrides = new Map<string, Override>();
  const hits = new Map<string, number>();
  const sockets = new Set<Socket>();
  const server = http.createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    hits.set(path, (hits.get(path) ?? 0) + 1);
    const o = overrides.get(path);
    if (o) return o(res);
    switch (path) {
      case '/healthz':
        return sendJson(res, 200, { ok: true, version: data.version });
      case '/api/v1/reference/version':
        return sendJson(res, 200, versionOf(data), data.version);
      case '/api/v1/areas':
        return sendJson(res, 200, { version: data.version, areas: data.areas }, data.version);
      case '/api/v1/grids':
        return sendJson(res, 200, { version: data.version, grids: data.grids }, data.version);
      case '/api/v1/units':
        return sendJson(res, 200, { version: data.version, units: data.units }, data.version);
      default:
        return sendJson(res, 404, { ok: false, error: { code: 'not_found', message: path } });
    }
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  const listen = (p: number) =>
    new Promise<number>((resolve, reject) => {
      server.once('error', reject);
      server.listen(p, '127.0.0.1', () => {
        server.off('error', reject);
        resolve((server.address() as AddressInfo).port);
      });
    });
  const stop = () =>
    new Promise<void>((resolve) => {
      for (const s of sockets) s.destroy();
      server.close(() => resolve());
    });
  const bound = await listen(port);
  return {
    url: `http://127.0.0.1:${bound}`,
    port: bound,
    hits,
    setData: (d) => void (data = d),
    override: (path, o) => void (o ? overrides.set(path, o) : overrides.delete(path)),
    down: stop,
    up: () => listen(bound).then(() => undefined),
    close: () => (server.listening ? stop() : Promise.resolve()),
  };
}

/** A port nobody listens on (bound then released). */
export async function deadPort(): Promise<number> {
  const s = http.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  const port = (s.address() as AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}
