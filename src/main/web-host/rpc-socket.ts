/**
 * The web host's half of the WebSocket transport: the RPC contract carried as
 * ClientFrame/ServerFrame JSON on `/rpc` of the host's HTTP server.
 *
 * - Upgrades only on `path`, and only for an allowed Origin (default: no
 *   Origin, i.e. not a browser, or the same host as the request — this stops
 *   other web pages from driving the service through a visitor's browser).
 * - Every request goes through `answer()` (schema check, errors as data).
 * - Answers and events holding typed arrays (the map's binary columns) go out
 *   as one binary frame (core/rpc/binary.ts); everything else as JSON text.
 *   A frame that is not JSON or not a ClientFrame never crashes anything: a
 *   `req` whose id we can read is answered with the error; anything else
 *   closes that socket with code 1008 and a reason saying what was wrong.
 * - Subscriptions are per socket (`sub`/`unsub`, idempotent) and removed from
 *   the data service when the socket closes.
 * - `events/changed` goes out at most once per `coalesceMs` per socket: the
 *   first at once, the ones that follow within the gap folded into one frame
 *   (ids merged in order, `all` if any had it, the newest checkpoint) sent at
 *   the gap's end. Every message is a task on the page's main thread (Blink's
 *   dispatch, the transport, the listeners): at 50 changes a second that was
 *   most of a wall's CPU besides the map. Any other frame for the socket sends
 *   the folded one first, so the order of frames is kept.
 * - A ping every `heartbeatMs` drops sockets whose peer has vanished.
 */
import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocket, WebSocketServer, type RawData } from 'ws';
import { formatZodError, toRpcError } from '../../core/errors';
import { encodeBinary } from '../../core/rpc/binary';
import { isEventName, type EventName, type EventPayload } from '../../core/rpc/contract';
import { answer, ClientFrame, type DataServicePort, type ServerFrame } from '../../core/rpc/wire';

export interface RpcSocketOptions {
  /** default '/rpc' */
  path?: string;
  /** default: allow a missing Origin or one whose host equals the request's Host */
  allowOrigin?: (origin: string | undefined) => boolean;
  /** largest frame accepted, in bytes; default 1 MiB */
  maxPayload?: number;
  /** ping interval; 0 turns the heartbeat off; default 30 s */
  heartbeatMs?: number;
  /**
   * `events/changed` at most once per this many ms per socket, the ones in between folded into the
   * next (see above); 0 sends each as it comes; default 50 (a change waits at most that long)
   */
  coalesceMs?: number;
  log?: (message: string) => void;
}

export interface RpcSocketHandle {
  /** Closes every socket (1001), detaches from the server, drops all subscriptions. */
  close(): Promise<void>;
  /** Sockets currently connected. */
  readonly connections: number;
  /**
   * `events/changed` over all sockets: notifications from the service (`in`), frames sent (`out`),
   * and how long the folded ones waited in the host (ms, from the first one folded to the send)
   */
  readonly changed: { in: number; out: number; heldMsMax: number; heldMsSum: number };
}

type Changed = EventPayload<'events/changed'>;

/** Several `events/changed` folded into one: every id once, in the order first said; `all` if any had it; the newest checkpoint. */
export class ChangedFold {
  private readonly ids: string[] = [];
  private readonly seen = new Set<string>();
  private all = false;
  private checkpoint: Changed['checkpoint'] = null;
  add(p: Changed): void {
    for (const id of p.ids) {
      if (this.seen.has(id)) continue;
      this.seen.add(id);
      this.ids.push(id);
    }
    this.all ||= p.all;
    this.checkpoint = p.checkpoint;
  }
  payload(): Changed {
    return { ids: this.ids, all: this.all, checkpoint: this.checkpoint };
  }
}

export function foldChanged(...payloads: Changed[]): Changed {
  const fold = new ChangedFold();
  for (const p of payloads) fold.add(p);
  return fold.payload();
}

/** WebSocket close codes we use (RFC 6455 §7.4.1). */
const CLOSE_GOING_AWAY = 1001;
const CLOSE_UNSUPPORTED = 1003;
const CLOSE_POLICY = 1008;

function sameOrigin(origin: string | undefined, host: string | undefined): boolean {
  if (origin === undefined) return true;
  try {
    return new URL(origin).host === host;
  } catch {
    return false;
  }
}

/** A close reason must fit in 123 bytes of UTF-8. */
function closeReason(text: string): string {
  const bytes = new TextEncoder().encode(text);
  if (bytes.length <= 123) return text;
  return new TextDecoder().decode(bytes.slice(0, 120)).replace(/\uFFFD+$/, '') + '…';
}

function rejectUpgrade(socket: Duplex, status: number, text: string): void {
  socket.end(`HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Type: text/plain\r\nContent-Length: ${Buffer.byteLength(text)}\r\n\r\n${text}`);
}

export function attachRpcSocket(server: Server, port: DataServicePort, opts: RpcSocketOptions = {}): RpcSocketHandle {
  const path = opts.path ?? '/rpc';
  const heartbeatMs = opts.heartbeatMs ?? 30_000;
  const coalesceMs = opts.coalesceMs ?? 50;
  const changed = { in: 0, out: 0, heldMsMax: 0, heldMsSum: 0 };
  const log = opts.log ?? ((message: string) => console.warn(`rpc-socket: ${message}`));
  const wss = new WebSocketServer({ noServer: true, maxPayload: opts.maxPayload ?? 1024 * 1024 });
  const alive = new WeakMap<WebSocket, boolean>();

  const onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    let pathname: string;
    try {
      pathname = new URL(req.url ?? '/', 'http://localhost').pathname;
    } catch {
      pathname = '';
    }
    if (pathname !== path) {
      // another upgrade listener may own this path; if we are the only one, say no
      if (server.listenerCount('upgrade') === 1) rejectUpgrade(socket, 404, 'Not Found');
      return;
    }
    const origin = req.headers.origin;
    const allowed = opts.allowOrigin ? opts.allowOrigin(origin) : sameOrigin(origin, req.headers.host);
    if (!allowed) {
      log(`refused WebSocket from origin ${origin ?? '(none)'}`);
      rejectUpgrade(socket, 403, 'Forbidden');
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req));
  };
  server.on('upgrade', onUpgrade);

  wss.on('connection', (ws: WebSocket) => {
    const subscriptions = new Map<EventName, () => void>();
    alive.set(ws, true);

    // events/changed folded while the gap since the last one runs (null: none waiting)
    let folded: { fold: ChangedFold; since: number } | null = null;
    let lastChangedAt = Number.NEGATIVE_INFINITY;
    let foldTimer: ReturnType<typeof setTimeout> | null = null;
    const sendFolded = () => {
      if (foldTimer) clearTimeout(foldTimer);
      foldTimer = null;
      if (!folded) return;
      const { fold, since } = folded;
      folded = null;
      const payload = fold.payload();
      lastChangedAt = performance.now();
      const held = lastChangedAt - since;
      changed.heldMsSum += held;
      changed.heldMsMax = Math.max(changed.heldMsMax, held);
      changed.out++;
      write({ t: 'evt', name: 'events/changed', payload });
    };
    const sendChanged = (payload: Changed) => {
      changed.in++;
      if (ws.readyState !== WebSocket.OPEN) return;
      const now = performance.now();
      if (folded) {
        folded.fold.add(payload);
        return;
      }
      if (now - lastChangedAt >= coalesceMs) {
        lastChangedAt = now;
        changed.out++;
        write({ t: 'evt', name: 'events/changed', payload });
        return;
      }
      folded = { fold: new ChangedFold(), since: now };
      folded.fold.add(payload);
      foldTimer = setTimeout(sendFolded, lastChangedAt + coalesceMs - now);
    };
    const send = (frame: ServerFrame) => {
      // what was folded went to the service before this frame: it goes out first
      if (folded) sendFolded();
      write(frame);
    };
    const write = (frame: ServerFrame) => {
      if (ws.readyState !== WebSocket.OPEN) return;
      let text: string;
      try {
        // typed arrays (map columns) travel as one binary frame, the rest as JSON text (core/rpc/binary.ts)
        const binary = encodeBinary(frame);
        if (binary) {
          ws.send(binary, { binary: true });
          return;
        }
        text = JSON.stringify(frame);
      } catch (err) {
        // e.g. a BigInt in a result: tell the caller instead of dropping the answer
        if (frame.t !== 'res') return log(`could not encode event ${frame.name}: ${String(err)}`);
        text = JSON.stringify({ t: 'res', id: frame.id, reply: { ok: false, error: toRpcError(err) } } satisfies ServerFrame);
      }
      ws.send(text);
    };

    const refuse = (code: number, reason: string) => {
      log(`closing socket: ${reason}`);
      ws.close(code, closeReason(reason));
    };

    ws.on('pong', () => alive.set(ws, true));
    ws.on('error', (err) => log(`socket error: ${err.message}`));
    ws.on('close', () => {
      for (const off of subscriptions.values()) off();
      subscriptions.clear();
      if (foldTimer) clearTimeout(foldTimer);
      folded = null;
    });

    ws.on('message', (data: RawData, isBinary: boolean) => {
      if (isBinary) return refuse(CLOSE_UNSUPPORTED, 'binary frames are not supported; send JSON text');
      let raw: unknown;
      try {
        raw = JSON.parse(data.toString());
      } catch {
        return refuse(CLOSE_POLICY, 'malformed frame: not JSON');
      }
      const parsed = ClientFrame.safeParse(raw);
      if (!parsed.success) {
        const r = raw as { t?: unknown; id?: unknown; name?: unknown; args?: unknown } | null;
        if (r && typeof r === 'object' && r.t === 'req' && Number.isInteger(r.id) && (r.id as number) >= 0) {
          // an identifiable request: answer it (answer() names what is wrong with it)
          void answer(port.handlers, r.name, r.args).then((reply) => send({ t: 'res', id: r.id as number, reply }));
          return;
        }
        return refuse(CLOSE_POLICY, `malformed frame: ${formatZodError(parsed.error)}`);
      }
      const frame = parsed.data;
      switch (frame.t) {
        case 'req':
          void answer(port.handlers, frame.name, frame.args).then((reply) => send({ t: 'res', id: frame.id, reply }));
          return;
        case 'sub': {
          const name = frame.name;
          if (!isEventName(name)) return refuse(CLOSE_POLICY, `unknown event ${JSON.stringify(name)}`);
          if (subscriptions.has(name)) return;
          subscriptions.set(
            name,
            name === 'events/changed' && coalesceMs > 0
              ? port.subscribe('events/changed', sendChanged)
              : port.subscribe(name, (payload) => send({ t: 'evt', name, payload } as ServerFrame)),
          );
          return;
        }
        case 'unsub': {
          const name = frame.name as EventName;
          subscriptions.get(name)?.();
          subscriptions.delete(name);
          return;
        }
      }
    });
  });

  const heartbeat =
    heartbeatMs > 0
      ? setInterval(() => {
          for (const ws of wss.clients) {
            if (alive.get(ws) === false) {
              ws.terminate();
              continue;
            }
            alive.set(ws, false);
            ws.ping();
          }
        }, heartbeatMs)
      : undefined;
  heartbeat?.unref();

  return {
    get connections() {
      return wss.clients.size;
    },
    get changed() {
      return { ...changed };
    },
    close() {
      server.off('upgrade', onUpgrade);
      clearInterval(heartbeat);
      for (const ws of wss.clients) ws.close(CLOSE_GOING_AWAY, 'server shutting down');
      return new Promise<void>((resolve) => {
        // sockets that do not finish the closing handshake promptly are cut
        const cut = setTimeout(() => {
          for (const ws of wss.clients) ws.terminate();
        }, 1000);
        cut.unref();
        wss.close(() => {
          clearTimeout(cut);
          resolve();
        });
      });
    },
  };
}
