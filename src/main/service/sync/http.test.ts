import { describe, expect, it } from 'vitest';
import { MustRefetchError, retryAfterMs, statusError, UnavailableError } from './http';

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
