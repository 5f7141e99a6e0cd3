/**
 * What the sync client and the outbox pusher share about talking HTTP to the
 * data center: the URL base, the bearer token from the credentials port, and
 * errors sorted into the few kinds the callers act on.
 */
import type { AccessTokenSource } from '../auth';

/**
 * The data center could not be reached, or answered 5xx or an unexpected status;
 * `retryAfterMs` is its `Retry-After` when it sent one (a busy snapshot export answers 503 with it).
 */
export class UnavailableError extends Error {
  constructor(
    message: string,
    readonly status: number | null = null,
    readonly retryAfterMs: number | null = null,
  ) {
    super(message);
    this.name = 'UnavailableError';
  }
}
/** The data center answered something the replica must not take. */
export class MalformedError extends Error {
  constructor(
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
    this.name = 'MalformedError';
  }
}
/** 409 or a must_refetch frame: the cursor is from another epoch or older than the retained log. */
export class MustRefetchError extends Error {
  constructor(reason: string) {
    super(reason);
    this.name = 'MustRefetchError';
  }
}
/** 401: the token is missing, expired or revoked. */
export class UnauthenticatedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UnauthenticatedError';
  }
}
/** 404 on a sync endpoint: a data center that predates the sync feed. */
export class NotSupportedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'NotSupportedError';
  }
}

export function baseUrl(url: string): URL {
  return new URL(url.endsWith('/') ? url : `${url}/`);
}

export async function authHeaders(auth: AccessTokenSource | undefined): Promise<{ headers: Record<string, string>; token: string | null }> {
  const token = auth ? await auth.token() : null;
  return { headers: token ? { authorization: `Bearer ${token}` } : {}, token };
}

/** Sorts a non-2xx status into the error kinds above (reads the body for a reason). */
export async function statusError(res: Pick<Response, 'status' | 'text'> & { headers: { get(name: string): string | null } }, what: string): Promise<Error> {
  let reason = '';
  try {
    const text = await res.text();
    const body = JSON.parse(text) as { error?: { message?: string }; reason?: string };
    reason = body.error?.message ?? body.reason ?? '';
  } catch {
    // not JSON: the status says enough
  }
  const msg = `HTTP ${res.status} from ${what}${reason ? `: ${reason}` : ''}`;
  if (res.status === 409) return new MustRefetchError(reason || msg);
  if (res.status === 401) return new UnauthenticatedError(msg);
  if (res.status === 404) return new NotSupportedError(msg);
  if (res.status === 400 || res.status === 422) return new MalformedError(msg);
  return new UnavailableError(msg, res.status, retryAfterMs(res.headers.get('retry-after'), Date.now()));
}

/**
 * A `Retry-After` header in milliseconds from `now`: delay-seconds or an HTTP-date (RFC 9110 §10.2.3);
 * null when absent or unreadable, 0 for a date already past.
 */
export function retryAfterMs(header: string | null, now: number): number | null {
  const value = header?.trim();
  if (!value) return null;
  if (/^\d+$/.test(value)) return Number(value) * 1000;
  const at = Date.parse(value);
  return Number.isNaN(at) || !/[a-z]/i.test(value) ? null : Math.max(0, at - now);
}

export function describeFetchError(err: unknown, what: string): string {
  if (err instanceof Error) {
    if (err.name === 'TimeoutError') return `timed out: ${what}`;
    if (err.name === 'AbortError') return `aborted: ${what}`;
    const cause = (err as { cause?: { code?: string; message?: string } }).cause;
    const detail = cause?.code ?? cause?.message;
    return detail ? `${err.message} (${detail}): ${what}` : `${err.message}: ${what}`;
  }
  return String(err);
}

/**
 * `fetch` whose answers are handed over only when the replica's writes are not held (`held()` null): while a
 * replica image is being switched in, the switch holds the replica's write lock and a write on the service's
 * connection fails at once with SQLITE_BUSY (docs/sync-client.md, "The client, as wired"). The outbox pusher
 * and the session write the replica when an answer comes (an entry marked sent, a refresh token kept); given
 * this fetch, an answer that lands during a switch is read whole and waits for the switch to end. Only for
 * requests whose answers are small: the body is read into memory first.
 */
export function fetchAfterHeldWrites(fetchFn: typeof fetch, held: () => Promise<void> | null): typeof fetch {
  return async (input, init) => {
    const res = await fetchFn(input, init);
    const body = await res.arrayBuffer();
    for (let wait = held(); wait; wait = held()) await wait;
    const empty = body.byteLength === 0 || [101, 204, 205, 304].includes(res.status);
    return new Response(empty ? null : body, { status: res.status, statusText: res.statusText, headers: res.headers });
  };
}
