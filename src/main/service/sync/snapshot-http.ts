/**
 * The snapshot's GET. A snapshot's body is hundreds of megabytes (~2.2 KB
 * an event), and the runtime's `fetch` (undici) hands it over as a web
 * stream: its HTTP parser runs in WebAssembly, each chunk is copied out of
 * it, through a Node stream and into a web ReadableStream — ~1 s of the data
 * service's CPU per 200,000 events, on the thread that also stages and swaps
 * (docs/sync-client.md, "The snapshot's body without web streams").
 * `nodeSnapshotGet` reads it with node:http(s) instead: Node's native HTTP
 * parser, the socket's buffers handed over as they come.
 *
 * The sync client takes either (`SyncClientOptions.snapshotGet`): by default
 * node:http when its `fetch` is the runtime's own, else the injected `fetch`
 * (`fetchSnapshotGet`), so a host or test that injects `fetch` still sees the
 * snapshot request go through it. Both answer with what the snapshot reads of
 * a response (`SnapshotResponse`, a subset of fetch's Response): status,
 * headers (Retry-After, ./http.ts statusError), the body as text for an error
 * status, or as a byte stream. Unlike fetch, node:http does not follow
 * redirects: a 3xx is an unexpected status (the data center sends none).
 */
import http from 'node:http';
import https from 'node:https';
import type { Readable } from 'node:stream';

/** What the snapshot reads of an HTTP response; fetch's Response has it all. */
export interface SnapshotResponse {
  readonly ok: boolean;
  readonly status: number;
  readonly headers: { get(name: string): string | null };
  /** the body as bytes: a web stream (fetch) or a Node stream (node:http) */
  readonly body: ReadableStream<Uint8Array> | Readable | null;
  /** the whole body as UTF-8 text (an error status's reason) */
  text(): Promise<string>;
}

export interface SnapshotRequest {
  headers: Record<string, string>;
  /** aborts the request and, once it answered, its body */
  signal: AbortSignal;
}

export type SnapshotGet = (url: URL, init: SnapshotRequest) => Promise<SnapshotResponse>;

/** The snapshot GET through an injected fetch. */
export function fetchSnapshotGet(fetchFn: typeof fetch): SnapshotGet {
  return (url, init) => fetchFn(url, { headers: init.headers, signal: init.signal });
}

/**
 * The snapshot GET through node:http(s). Rejects like fetch when the request fails before an answer
 * (with the signal's reason when aborted); once it answered, an abort destroys the body with the
 * signal's reason, so a pending read rejects at once.
 */
export const nodeSnapshotGet: SnapshotGet = (url, init) =>
  new Promise<SnapshotResponse>((resolve, reject) => {
    const { signal } = init;
    if (signal.aborted) {
      reject(abortReason(signal));
      return;
    }
    const get = url.protocol === 'https:' ? https.get : url.protocol === 'http:' ? http.get : null;
    if (!get) {
      reject(new TypeError(`cannot GET ${url.protocol} URLs`));
      return;
    }
    let settled = false;
    const req = get(url, { headers: init.headers }, (res) => {
      settled = true;
      signal.removeEventListener('abort', onAbort);
      const stop = () => res.destroy(abortReason(signal));
      signal.addEventListener('abort', stop, { once: true });
      res.once('close', () => signal.removeEventListener('abort', stop));
      resolve(new NodeSnapshotResponse(res));
    });
    const onAbort = () => req.destroy(abortReason(signal));
    signal.addEventListener('abort', onAbort, { once: true });
    req.on('error', (err) => {
      signal.removeEventListener('abort', onAbort);
      if (!settled) reject(signal.aborted ? abortReason(signal) : new TypeError('request failed', { cause: err }));
    });
  });

function abortReason(signal: AbortSignal): Error {
  const reason: unknown = signal.reason;
  return reason instanceof Error ? reason : new DOMException('This operation was aborted', 'AbortError');
}

class NodeSnapshotResponse implements SnapshotResponse {
  readonly ok: boolean;
  readonly status: number;
  readonly headers: { get(name: string): string | null };

  constructor(readonly body: http.IncomingMessage) {
    this.status = body.statusCode ?? 0;
    this.ok = this.status >= 200 && this.status < 300;
    const raw = body.headers;
    this.headers = {
      get: (name) => {
        const value = raw[name.toLowerCase()];
        return value === undefined ? null : Array.isArray(value) ? value.join(', ') : value;
      },
    };
  }

  async text(): Promise<string> {
    const chunks: Buffer[] = [];
    for await (const chunk of this.body) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks).toString('utf8');
  }
}
