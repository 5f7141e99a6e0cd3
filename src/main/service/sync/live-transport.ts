/**
 * The two carriers of the live feed: a WebSocket (`/api/v1/sync/live`) and,
 * where a proxy or a firewall refuses upgrades, Server-Sent Events over a
 * plain streaming GET (`/api/v1/sync/changes`). Both hand the sync client one
 * text frame at a time, in order, and report the end of the connection once.
 * Opening resolves when the server has accepted the cursor; a refusal comes
 * back as the error kinds of ./http (409 → must refetch, 401, 404 …).
 */
import WebSocket from 'ws';
import { describeFetchError, statusError, UnavailableError } from './http';

export interface LiveHandlers {
  /** one frame's text (a WebSocket message, or the data of one SSE event) */
  onMessage(text: string): void;
  /** the connection ended (not called after close() by the client) */
  onClose(reason: string): void;
}

export interface LiveConnection {
  kind: 'websocket' | 'sse';
  close(): void;
}

export interface LiveRequest {
  /** the data center's base URL */
  base: URL;
  /** scope, epoch, v, clientId */
  query: Record<string, string>;
  headers: Record<string, string>;
  fetch: typeof fetch;
  openTimeoutMs: number;
}

export type LiveTransport = (req: LiveRequest, handlers: LiveHandlers) => Promise<LiveConnection>;

function urlOf(req: LiveRequest, path: string): URL {
  const url = new URL(path, req.base);
  for (const [k, v] of Object.entries(req.query)) url.searchParams.set(k, v);
  return url;
}

export const webSocketTransport: LiveTransport = (req, handlers) =>
  new Promise((resolve, reject) => {
    const url = urlOf(req, 'api/v1/sync/live');
    url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
    const ws = new WebSocket(url, { headers: req.headers, handshakeTimeout: req.openTimeoutMs, maxPayload: 256 * 1024 * 1024 });
    let open = false;
    let closedByUs = false;
    let ended = false;
    const end = (reason: string) => {
      if (ended || closedByUs) return;
      ended = true;
      handlers.onClose(reason);
    };
    ws.on('unexpected-response', (_req, res) => {
      // turn the refusal into a Response so it is classified like an HTTP answer
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        void statusError(new Response(Buffer.concat(chunks), { status: res.statusCode ?? 500 }), url.pathname).then(reject);
      });
      res.on('error', () => reject(new UnavailableError(`HTTP ${res.statusCode} from ${url.pathname}`, res.statusCode ?? null)));
      ws.terminate();
    });
    ws.on('open', () => {
      open = true;
      resolve({
        kind: 'websocket',
        close() {
          closedByUs = true;
          ws.terminate();
        },
      });
    });
    ws.on('message', (data, isBinary) => {
      if (closedByUs) return;
      handlers.onMessage(isBinary ? Buffer.from(data as Buffer).toString('utf8') : data.toString());
    });
    ws.on('error', (err) => {
      if (!open) reject(new UnavailableError(describeFetchError(err, url.pathname)));
      else end(`websocket error: ${err.message}`);
    });
    ws.on('close', (code, reason) => {
      if (!open) reject(new UnavailableError(`websocket closed before it opened (${code})`));
      else end(`websocket closed (${code}${reason.length ? ` ${reason.toString()}` : ''})`);
    });
  });

export const sseTransport: LiveTransport = async (req, handlers) => {
  const url = urlOf(req, 'api/v1/sync/changes');
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(new DOMException('open timed out', 'TimeoutError')), req.openTimeoutMs);
  let res: Response;
  try {
    res = await req.fetch(url, { headers: { ...req.headers, accept: 'text/event-stream' }, signal: abort.signal });
  } catch (err) {
    throw new UnavailableError(describeFetchError(err, url.pathname));
  } finally {
    clearTimeout(timer);
  }
  if (!res.ok || !res.body) throw await statusError(res, url.pathname);
  let closedByUs = false;
  const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
  void (async () => {
    let buffer = '';
    let data: string[] = [];
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buffer += value;
        let nl: number;
        while ((nl = buffer.indexOf('\n')) >= 0) {
          const line = buffer.slice(0, nl).replace(/\r$/, '');
          buffer = buffer.slice(nl + 1);
          if (line === '') {
            if (data.length > 0 && !closedByUs) handlers.onMessage(data.join('\n'));
            data = [];
          } else if (line.startsWith('data:')) {
            data.push(line.slice(line.startsWith('data: ') ? 6 : 5));
          }
          // `event:`, `id:`, `retry:` and `:` comments carry nothing the frames do not
        }
      }
      if (!closedByUs) handlers.onClose('event stream ended');
    } catch (err) {
      if (!closedByUs) handlers.onClose(`event stream failed: ${err instanceof Error ? err.message : String(err)}`);
    }
  })();
  return {
    kind: 'sse',
    close() {
      closedByUs = true;
      abort.abort();
      void reader.cancel().catch(() => undefined);
    },
  };
};
