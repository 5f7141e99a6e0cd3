import { describe, expect, it } from 'vitest';
import { fetchAfterHeldWrites, MustRefetchError, retryAfterMs, statusError, UnavailableError } from './http';

describe('retryAfterMs', () => {
  const now = Date.parse('2026-11-27T12:00:00Z');
  it('reads delay-seconds and HTTP-dates', () => {
    expect(retryAfterMs('5', now)).toBe(5000);
    expect(retryAfterMs(' 0 ', now)).toBe(0);
    expect(retryAfterMs('Fri, 27 Nov 2026 12:00:30 GMT', now)).toBe(30_000);
    expect(retryAfterMs('Fri, 27 Nov 2026 11:00:00 GMT', now)).toBe(0); // already past
  });
  it('is null when absent or unreadable', () => {
    expect(retryAfterMs(null, now)).toBeNull();
    expect(retryAfterMs('', now)).toBeNull();
    expect(retryAfterMs('-3', now)).toBeNull();
    expect(retryAfterMs('1.5', now)).toBeNull();
    expect(retryAfterMs('soon', now)).toBeNull();
  });
});

describe('statusError', () => {
  it('keeps a 503 answer’s Retry-After and reason', async () => {
    const res = new Response(JSON.stringify({ error: { message: 'too many snapshot exports at once' } }), { status: 503, headers: { 'retry-after': '7' } });
    const err = await statusError(res, '/api/v1/sync/snapshot');
    expect(err).toBeInstanceOf(UnavailableError);
    expect(err).toMatchObject({ status: 503, retryAfterMs: 7000, message: 'HTTP 503 from /api/v1/sync/snapshot: too many snapshot exports at once' });
  });
  it('has no Retry-After when the answer carries none, and sorts 409 apart', async () => {
    expect(await statusError(new Response('busy', { status: 502 }), '/x')).toMatchObject({ status: 502, retryAfterMs: null });
    expect(await statusError(new Response('{}', { status: 409 }), '/x')).toBeInstanceOf(MustRefetchError);
  });
});

describe('fetchAfterHeldWrites', () => {
  const answering = (res: () => Response): typeof fetch => () => Promise.resolve(res());

  it('hands an answer over at once when nothing holds the writes, status, headers and body as they came', async () => {
    const f = fetchAfterHeldWrites(answering(() => new Response('{"ok":true}', { status: 201, statusText: 'Created', headers: { 'retry-after': '3' } })), () => null);
    const res = await f('http://x/');
    expect(res).toMatchObject({ status: 201, statusText: 'Created', ok: true });
    expect(res.headers.get('retry-after')).toBe('3');
    expect(await res.json()).toEqual({ ok: true });
    const empty = await fetchAfterHeldWrites(answering(() => new Response(null, { status: 204 })), () => null)('http://x/');
    expect(empty.status).toBe(204);
    expect(await empty.text()).toBe('');
  });

  it('holds an answer until the writes are free, a hold that begins again included', async () => {
    let hold: Promise<void> | null = null;
    /** a hold from now; its release ends it */
    const begin = () => {
      let resolve: () => void = () => undefined;
      const p = new Promise<void>((r) => (resolve = r));
      hold = p;
      return () => {
        if (hold === p) hold = null;
        resolve();
      };
    };
    const first = begin();
    let handed = false;
    const pending = fetchAfterHeldWrites(answering(() => new Response('body')), () => hold)('http://x/').then((r) => ((handed = true), r));
    await new Promise((r) => setTimeout(r, 10));
    expect(handed).toBe(false);
    const second = begin();
    first();
    await new Promise((r) => setTimeout(r, 10));
    expect(handed).toBe(false);
    second();
    expect(await (await pending).text()).toBe('body');
  });
});
