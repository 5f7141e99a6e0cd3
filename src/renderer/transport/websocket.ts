/**
 * The renderer's WebSocket transport (web host, browser kiosks): the Bridge
 * over ClientFrame/ServerFrame JSON frames on `ws(s)://<host>/rpc`; answers
 * and events holding typed arrays arrive as one binary frame instead
 * (core/rpc/binary.ts) and are decoded into typed-array views.
 *
 * - Reconnects with exponential backoff (with jitter) when the socket drops,
 *   and sends `sub` again for every event that still has listeners.
 * - Requests sent on a socket that drops fail with `unavailable`; requests
 *   made while (re)connecting wait for the socket; every request fails with
 *   `timeout` (or `unavailable` if never sent) after `requestTimeoutMs`.
 * - Errors are data: `invoke` always resolves to a Reply.
 *
 * Written against a minimal WebSocket shape (no DOM types) so the contract
 * tests run it under Node with the `ws` package.
 */
import { RpcErrorSchema, type RpcError } from '../../core/errors';
import { decodeBinary } from '../../core/rpc/binary';
import type { Bridge, ClientFrame, Reply, ServerFrame } from '../../core/rpc/wire';

/** What we use of a browser WebSocket (also satisfied by `ws`). */
export interface WebSocketLike {
  readonly readyState: number;
  /** set to 'arraybuffer' so binary frames arrive as ArrayBuffers (browsers and `ws` both support it) */
  binaryType?: string;
  onopen: ((event: unknown) => void) | null;
  onclose: ((event: unknown) => void) | null;
  onerror: ((event: unknown) => void) | null;
  onmessage: ((event: { data: unknown }) => void) | null;
  send(data: string): void;
  close(code?: number, reason?: string): void;
}
export type WebSocketConstructor = new (url: string) => WebSocketLike;

export type ConnectionState = 'connecting' | 'open' | 'reconnecting' | 'closed';

export interface WebSocketBridgeOptions {
  /** the WebSocket class; default the browser's */
  WebSocket?: WebSocketConstructor;
  /** default 30 s */
  requestTimeoutMs?: number;
  /** first reconnect delay, doubled per failed attempt up to maxBackoffMs; default 250 ms */
  initialBackoffMs?: number;
  /** default 10 s */
  maxBackoffMs?: number;
  /** 0 ≤ x < 1, for jitter; default Math.random */
  random?: () => number;
  /** told about every state change, e.g. for a "reconnecting…" banner */
  onStateChange?: (state: ConnectionState) => void;
}

export interface WebSocketBridge extends Bridge {
  readonly state: ConnectionState;
  /** Closes for good: no reconnect, pending requests fail with `unavailable`. */
  close(): void;
}

const OPEN = 1;

interface Pending {
  frame: Extract<ClientFrame, { t: 'req' }>;
  sent: boolean;
  timer: ReturnType<typeof setTimeout>;
  resolve(reply: Reply): void;
}

/**
 * The ServerFrame schema's check, by hand: it runs for every frame (50 changes a second on a wall
 * are 50 frames), and zod's parse of the envelope was a visible part of the wall's CPU. Same rules:
 * `res` with a non-negative (safe) integer id and a reply `{ ok: true, result }` or `{ ok: false, error }`
 * (the error checked by its schema: a rare path), `evt` with a string name; anything else is null.
 */
export function readServerFrame(raw: unknown): ServerFrame | null {
  if (typeof raw !== 'object' || raw === null) return null;
  const f = raw as { t?: unknown; id?: unknown; reply?: unknown; name?: unknown; payload?: unknown };
  // (as in zod 4, a key of `z.unknown()` must be there, even if undefined)
  if (f.t === 'evt') return typeof f.name === 'string' && 'payload' in f ? { t: 'evt', name: f.name, payload: f.payload } : null;
  if (f.t !== 'res' || typeof f.id !== 'number' || !Number.isSafeInteger(f.id) || f.id < 0) return null;
  const reply = f.reply as { ok?: unknown; result?: unknown; error?: unknown } | null;
  if (typeof reply !== 'object' || reply === null) return null;
  if (reply.ok === true) return 'result' in reply ? { t: 'res', id: f.id, reply: { ok: true, result: reply.result } } : null;
  if (reply.ok !== false) return null;
  const error = RpcErrorSchema.safeParse(reply.error);
  return error.success ? { t: 'res', id: f.id, reply: { ok: false, error: error.data } } : null;
}

function failure(code: RpcError['code'], message: string): Reply {
  return { ok: false, error: { code, message } };
}

export function createWebSocketBridge(url: string, opts: WebSocketBridgeOptions = {}): WebSocketBridge {
  const Ctor = opts.WebSocket ?? (globalThis as { WebSocket?: WebSocketConstructor }).WebSocket;
  if (!Ctor) throw new Error('no WebSocket implementation: pass opts.WebSocket');
  const requestTimeoutMs = opts.requestTimeoutMs ?? 30_000;
  const initialBackoffMs = opts.initialBackoffMs ?? 250;
  const maxBackoffMs = opts.maxBackoffMs ?? 10_000;
  const random = opts.random ?? Math.random;

  let socket: WebSocketLike | null = null;
  let state: ConnectionState = 'connecting';
  let attempt = 0;
  let nextId = 1;
  let reconnectTimer: ReturnType<typeof setTimeout> | undefined;
  const pending = new Map<number, Pending>();
  const listeners = new Map<string, Set<(payload: unknown) => void>>();

  const setState = (next: ConnectionState) => {
    if (state === next) return;
    state = next;
    opts.onStateChange?.(next);
  };

  const send = (frame: ClientFrame): boolean => {
    if (!socket || socket.readyState !== OPEN) return false;
    try {
      socket.send(JSON.stringify(frame));
      return true;
    } catch {
      return false;
    }
  };

  const settle = (id: number, reply: Reply) => {
    const p = pending.get(id);
    if (!p) return;
    clearTimeout(p.timer);
    pending.delete(id);
    p.resolve(reply);
  };

  const onFrame = (data: unknown) => {
    let raw: unknown;
    try {
      if (typeof data === 'string') raw = JSON.parse(data);
      // typed arrays come as one binary frame: JSON header + raw buffers, decoded as views (core/rpc/binary.ts)
      else if (data instanceof ArrayBuffer) raw = decodeBinary(data);
      else if (ArrayBuffer.isView(data)) raw = decodeBinary(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
      else return;
    } catch {
      return;
    }
    const frame = readServerFrame(raw);
    if (!frame) return;
    if (frame.t === 'res') {
      settle(frame.id, frame.reply as Reply);
      return;
    }
    const { name, payload } = frame;
    for (const listener of [...(listeners.get(name) ?? [])]) {
      try {
        listener(payload);
      } catch (err) {
        console.error(`huying: listener for ${name} threw`, err);
      }
    }
  };

  const connect = () => {
    let ws: WebSocketLike;
    try {
      ws = new Ctor(url);
    } catch {
      scheduleReconnect();
      return;
    }
    socket = ws;
    ws.binaryType = 'arraybuffer';
    ws.onopen = () => {
      if (socket !== ws) return;
      attempt = 0;
      setState('open');
      for (const name of listeners.keys()) send({ t: 'sub', name });
      for (const p of pending.values()) {
        if (!p.sent) p.sent = send(p.frame);
      }
    };
    ws.onmessage = (event) => {
      if (socket === ws) onFrame(event.data);
    };
    ws.onerror = () => {
      // 'close' follows; nothing to do here but keep the error from being unhandled
    };
    ws.onclose = () => {
      if (socket !== ws) return;
      socket = null;
      // requests already on the wire will never be answered by this socket
      for (const [id, p] of pending) {
        if (p.sent) settle(id, failure('unavailable', 'the connection to the data service was lost'));
      }
      if (state !== 'closed') scheduleReconnect();
    };
  };

  const scheduleReconnect = () => {
    setState('reconnecting');
    const base = Math.min(maxBackoffMs, initialBackoffMs * 2 ** Math.min(attempt, 20));
    attempt++;
    const delay = base / 2 + (base / 2) * random();
    reconnectTimer = setTimeout(connect, delay);
  };

  connect();

  return {
    get state() {
      return state;
    },
    invoke(name, args) {
      if (state === 'closed') return Promise.resolve(failure('unavailable', 'the connection is closed'));
      return new Promise<Reply>((resolve) => {
        const id = nextId++;
        const timer = setTimeout(() => {
          const p = pending.get(id);
          if (!p) return;
          pending.delete(id);
          resolve(
            p.sent
              ? failure('timeout', `${name} got no answer in ${requestTimeoutMs} ms`)
              : failure('unavailable', `no connection to the data service within ${requestTimeoutMs} ms`),
          );
        }, requestTimeoutMs);
        const p: Pending = { frame: { t: 'req', id, name, args }, sent: false, timer, resolve };
        pending.set(id, p);
        p.sent = send(p.frame);
      });
    },
    subscribe(name, listener) {
      let set = listeners.get(name);
      if (!set) {
        listeners.set(name, (set = new Set()));
        send({ t: 'sub', name });
      }
      const entry = (payload: unknown) => listener(payload);
      set.add(entry);
      return () => {
        if (!set.delete(entry) || set.size > 0) return;
        listeners.delete(name);
        send({ t: 'unsub', name });
      };
    },
    close() {
      if (state === 'closed') return;
      setState('closed');
      clearTimeout(reconnectTimer);
      const ws = socket;
      socket = null;
      ws?.close(1000, 'client closed');
      for (const id of [...pending.keys()]) settle(id, failure('unavailable', 'the connection is closed'));
    },
  };
}
