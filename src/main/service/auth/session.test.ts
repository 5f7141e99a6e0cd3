/**
 * The session kept for the renderer, against a scripted data center (fake
 * fetch) on a fake clock: login keeps the tokens and remembers the refresh
 * token, the access token is refreshed ahead of expiry and only once however
 * many callers ask at the same time (rotation: a second use of a refresh
 * token would end the session), an unreachable data center keeps a remembered
 * session as `offline` and retries, a refused refresh ends it, a restart
 * resumes from the stored refresh token, logout revokes, and errors keep
 * their codes.
 */
import { describe, expect, it } from 'vitest';
import type { Session } from '../../../core/rpc/session';
import type { Clock } from '../clock';
import { memorySecretStore } from './secret-store';
import { scopeOfUser, SessionManager, type SecretStore } from './session';

const T0 = Date.parse('2026-11-26T08:00:00.000Z');
const MIN = 60_000;
const actor = { id: 'demo-duty', name: '值班员', role: 'duty_officer', organisationId: 'district-440114', scope: { level: 'district', code: '440114' } };

class FakeClock implements Clock {
  t = T0;
  timers: { at: number; fn: () => void; cancelled: boolean }[] = [];
  now = () => this.t;
  setTimeout = (fn: () => void, ms: number) => {
    const timer = { at: this.t + ms, fn, cancelled: false };
    this.timers.push(timer);
    return () => {
      timer.cancelled = true;
    };
  };
  /** moves time on, firing due timers in order */
  async advance(ms: number): Promise<void> {
    const end = this.t + ms;
    for (;;) {
      const next = this.timers.filter((x) => !x.cancelled && x.at <= end).sort((a, b) => a.at - b.at)[0];
      if (!next) break;
      next.cancelled = true;
      this.t = next.at;
      next.fn();
      await new Promise((r) => setImmediate(r));
    }
    this.t = end;
  }
}

interface Call {
  path: string;
  body: Record<string, unknown>;
}

/** A scripted data center: issues rotating tokens valid 15 min; `down` makes every request fail. */
function fakeDataCenter(clock: FakeClock) {
  const calls: Call[] = [];
  let n = 0;
  const valid = new Set<string>();
  const state = { down: false, refuseRefresh: false, delayMs: 0 };
  const pair = () => {
    n += 1;
    const refreshToken = `r${n}`;
    valid.add(refreshToken);
    return { tokenType: 'Bearer', accessToken: `a${n}`, accessTokenExpiresAt: new Date(clock.t + 15 * MIN).toISOString(), refreshToken, refreshTokenExpiresAt: new Date(clock.t + 12 * 60 * MIN).toISOString(), actor };
  };
  const json = (status: number, body: unknown) => new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });
  const fetchFn = (async (url: URL | string, init?: RequestInit) => {
    const path = new URL(url).pathname;
    const body = JSON.parse(String(init?.body ?? '{}')) as Record<string, unknown>;
    calls.push({ path, body });
    if (state.delayMs) await new Promise((r) => setTimeout(r, state.delayMs));
    if (state.down) throw new TypeError('fetch failed', { cause: { code: 'ECONNREFUSED' } });
    if (path === '/api/v1/auth/login') {
      if (body.password !== 'right') return json(401, { ok: false, error: { code: 'unauthenticated', message: 'wrong login or password', details: { reason: 'bad_credentials' } } });
      if (body.login === 'throttled') return new Response(JSON.stringify({ ok: false, error: { code: 'rate_limited', message: 'slow down' } }), { status: 429, headers: { 'retry-after': '30' } });
      return json(200, { ok: true, value: pair() });
    }
    if (path === '/api/v1/auth/refresh') {
      const token = String(body.refreshToken);
      if (state.refuseRefresh || !valid.has(token)) return json(401, { ok: false, error: { code: 'unauthenticated', message: 'session revoked' } });
      valid.delete(token);
      return json(200, { ok: true, value: pair() });
    }
    if (path === '/api/v1/auth/logout') {
      valid.delete(String(body.refreshToken));
      return json(200, { ok: true, value: { revoked: true } });
    }
    return json(404, {});
  }) as typeof fetch;
  return { calls, state, fetch: fetchFn, valid };
}

const quiet = { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} };

function manager(clock: FakeClock, dc: ReturnType<typeof fakeDataCenter>, store: SecretStore = memorySecretStore()) {
  const changes: Session[] = [];
  const m = new SessionManager({ dataCenterUrl: 'http://dc.test:8701', store, fetch: dc.fetch, clock, log: quiet, random: () => 0.5, onChange: (s) => changes.push(s) });
  return { m, changes, store };
}

describe('SessionManager', () => {
  it('signs in: the user with role, scope and organisation; tokens kept, the refresh token remembered; auth/changed once', async () => {
    const clock = new FakeClock();
    const dc = fakeDataCenter(clock);
    const { m, changes, store } = manager(clock, dc);
    expect(m.session()).toEqual({ user: null, offline: false });
    expect(await m.token()).toBeNull();
    const s = await m.login('Duty', 'right');
    expect(s).toEqual({ user: { id: 'demo-duty', login: 'duty', name: '值班员', role: 'duty_officer', organisationId: 'district-440114', scope: { level: 'district', code: '440114' } }, offline: false });
    expect(changes).toEqual([s]);
    expect(await m.token()).toBe('a1');
    expect(store.read()).toMatchObject({ refreshToken: 'r1', user: { id: 'demo-duty' } });
  });

  it('keeps error codes: wrong password, throttling with its delay, unreachable', async () => {
    const clock = new FakeClock();
    const dc = fakeDataCenter(clock);
    const { m } = manager(clock, dc);
    await expect(m.login('duty', 'wrong')).rejects.toMatchObject({ code: 'unauthenticated', details: { reason: 'bad_credentials' } });
    await expect(m.login('throttled', 'right')).rejects.toMatchObject({ code: 'rate_limited', details: { retryAfterSeconds: 30 } });
    dc.state.down = true;
    await expect(m.login('duty', 'right')).rejects.toMatchObject({ code: 'unavailable' });
    expect(m.session().user).toBeNull();
  });

  it('refreshes ahead of expiry by itself, and once for many callers at the same time', async () => {
    const clock = new FakeClock();
    const dc = fakeDataCenter(clock);
    const { m } = manager(clock, dc);
    await m.login('duty', 'right');
    await clock.advance(14 * MIN); // 1 minute before expiry: the timer refreshed
    expect(dc.calls.filter((c) => c.path === '/api/v1/auth/refresh')).toHaveLength(1);
    expect(await m.token()).toBe('a2');
    // the access token is refused (revoked elsewhere): every caller waits on ONE refresh
    m.invalidate('a2');
    dc.state.delayMs = 20;
    const tokens = await Promise.all([m.token(), m.token(), m.token(), m.token()]);
    expect(tokens).toEqual(['a3', 'a3', 'a3', 'a3']);
    expect(dc.calls.filter((c) => c.path === '/api/v1/auth/refresh')).toHaveLength(2);
  });

  it('offline: a remembered session stays, marked offline, and is refreshed once the data center answers again', async () => {
    const clock = new FakeClock();
    const dc = fakeDataCenter(clock);
    const { m, changes } = manager(clock, dc);
    await m.login('duty', 'right');
    dc.state.down = true;
    await clock.advance(16 * MIN);
    expect(m.session()).toMatchObject({ user: { id: 'demo-duty' }, offline: true });
    expect(changes.at(-1)).toMatchObject({ offline: true });
    expect(await m.token()).toBeNull(); // expired, and no new one to be had
    dc.state.down = false;
    await clock.advance(5 * MIN); // the retry timer
    expect(m.session()).toMatchObject({ user: { id: 'demo-duty' }, offline: false });
    expect(await m.token()).toMatch(/^a\d+$/);
  });

  it('a refused refresh (revoked, expired, reused) ends the session and forgets it', async () => {
    const clock = new FakeClock();
    const dc = fakeDataCenter(clock);
    const { m, changes, store } = manager(clock, dc);
    await m.login('duty', 'right');
    dc.state.refuseRefresh = true;
    await clock.advance(15 * MIN);
    expect(m.session()).toEqual({ user: null, offline: false });
    expect(changes.at(-1)).toEqual({ user: null, offline: false });
    expect(store.read()).toBeNull();
    expect(await m.token()).toBeNull();
  });

  it('a restart resumes from the stored refresh token; an expired one is forgotten', async () => {
    const clock = new FakeClock();
    const dc = fakeDataCenter(clock);
    const store = memorySecretStore();
    const first = manager(clock, dc, store);
    await first.m.login('duty', 'right');
    first.m.stop();
    const second = manager(clock, dc, store);
    expect(second.m.session().user?.id).toBe('demo-duty');
    second.m.start();
    expect(await second.m.token()).toBe('a2');
    second.m.stop();
    clock.t += 13 * 60 * MIN;
    const third = manager(clock, dc, store);
    expect(third.m.session().user).toBeNull();
    expect(store.read()).toBeNull();
  });

  it('logout signs out here and revokes at the data center', async () => {
    const clock = new FakeClock();
    const dc = fakeDataCenter(clock);
    const { m, store } = manager(clock, dc);
    await m.login('duty', 'right');
    expect(await m.logout()).toEqual({ user: null, offline: false });
    expect(dc.calls.at(-1)).toEqual({ path: '/api/v1/auth/logout', body: { refreshToken: 'r1' } });
    expect(dc.valid.has('r1')).toBe(false);
    expect(store.read()).toBeNull();
  });

  it('a town or village account replicates its town', () => {
    const base = { id: 'u', login: 'u', name: 'u', role: 'duty_officer' as const, organisationId: 'o' };
    expect(scopeOfUser({ ...base, scope: { level: 'district', code: '440114' } })).toBeNull();
    expect(scopeOfUser({ ...base, scope: { level: 'town', code: '440114001000' } })).toBe('440114001000');
    expect(scopeOfUser({ ...base, scope: { level: 'village', code: '440114001002' } })).toBe('440114001000');
  });
});
