/** A bare WebSocket client of the /rpc protocol for tests (the `ws` package, no renderer code). */
import WebSocket from 'ws';
import type { ClientFrame, Reply, ServerFrame } from '../../../src/core/index';

export interface RpcTestClient {
  request(name: string, args?: unknown): Promise<Reply>;
  subscribe(name: string): void;
  /** payloads of pushed events, by name */
  events: Map<string, unknown[]>;
  close(): Promise<void>;
}

export async function connectRpc(url: string, origin?: string): Promise<RpcTestClient> {
  const ws = new WebSocket(url, { ...(origin ? { origin } : {}), maxPayload: 256 * 1024 * 1024 });
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
    ws.once('unexpected-response', (_req, res) => reject(new Error(`handshake refused: HTTP ${res.statusCode}`)));
  });
  let nextId = 1;
  const pending = new Map<number, (r: Reply) => void>();
  const events = new Map<string, unknown[]>();
  ws.on('message', (data) => {
    const frame = JSON.parse(data.toString()) as ServerFrame;
    if (frame.t === 'res') pending.get(frame.id)?.(frame.reply as Reply);
    else {
      const list = events.get(frame.name) ?? [];
      list.push(frame.payload);
      events.set(frame.name, list);
    }
  });
  const send = (frame: ClientFrame) => ws.send(JSON.stringify(frame));
  return {
    request(name, args = {}) {
      const id = nextId++;
      return new Promise<Reply>((resolve) => {
        pending.set(id, resolve);
        send({ t: 'req', id, name, args });
      });
    },
    subscribe(name) {
      send({ t: 'sub', name });
    },
    events,
    close: () =>
      new Promise<void>((resolve) => {
        if (ws.readyState === WebSocket.CLOSED) return resolve();
        ws.once('close', () => resolve());
        ws.close();
      }),
  };
}
