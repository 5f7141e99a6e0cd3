/**
 * Auth of the data center on PGlite and PostgreSQL, through HTTP (fastify inject, so each test
 * can come from its own client address): demo logins per role with the actor they carry, refresh
 * rotation and reuse detection, expiry on a fake clock, logout, throttling per login and per
 * address, role checks on routes, account and API-key administration, API keys per source system
 * on the real intake routes, demo credentials refused outside demo mode, and the CLI that makes
 * the first admin of a production database.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Writable, Readable } from 'node:stream';
import { parseOptions } from '@node-rs/argon2';
import { eq, sql } from 'drizzle-orm';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Role, type Actor } from '../../../src/core';
import { COMMAND_ROLES } from '../../../src/core/workflow/decide';
import { createAuthService, DEMO_ACCOUNTS, DEMO_PASSWORD, demoApiKey, hashPassword, seedDemoAuth, type Argon2Params } from '../../../src/datacenter/auth';
import { runCreateAdmin } from '../../../src/datacenter/auth/create-admin';
import { DEFAULT_THROTTLE, lockedFor, pruneFailures, recordFailure } from '../../../src/datacenter/auth/throttle';
import { buildApp } from '../../../src/datacenter/http/app';
import { createMemoryEventSink } from '../../../src/datacenter/intake/event-sink';
import { createPlacementReferenceCache } from '../../../src/datacenter/intake/reference';
import { registerIntakeRoutes } from '../../../src/datacenter/intake/routes';
import { createIntakeService } from '../../../src/datacenter/intake/service';
import { seedDemo } from '../../../src/datacenter/reference/seed';
import { startDataCenter } from '../../../src/datacenter/server';
import { readSyncHead } from '../../../src/datacenter/sync/state';
import { authAudit, authSessions, loginAttempts, users } from '../../../src/datacenter/store/auth-schema';
import { openDatabase, type DataCenterDb } from '../../../src/datacenter/store/database';
import { intakeQuarantine } from '../../../src/datacenter/store/intake-schema';
import { forEachBackend } from './backends';

/** Argon2id at test cost: the algorithm is the same, the memory is not */
const CHEAP: Argon2Params = { memoryCost: 1024, timeCost: 1, parallelism: 1 };
const START = new Date('2026-03-02T01:00:00.000Z');

interface Tokens {
  accessToken: string;
  refreshToken: string;
  accessTokenExpiresAt: string;
  refreshTokenExpiresAt: string;
  actor: Actor;
}

function claimsOf(token: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString('utf8')) as Record<string, unknown>;
}

forEachBackend('auth', (backend) => {
  let store: DataCenterDb;
  let app: FastifyInstance;
  let now = START;
  const clock = () => now;
  let nextIp = 1;
  /** a fresh client address, so throttling of one test never reaches another */
  const ip = () => `10.1.${Math.floor(nextIp / 250)}.${(nextIp++ % 250) + 1}`;

  const call = (method: 'GET' | 'POST' | 'PATCH' | 'DELETE', url: string, opts: { token?: string; body?: unknown; ip?: string; headers?: Record<string, string> } = {}) =>
    app.inject({
      method,
      url,
      ...(opts.body !== undefined ? { payload: JSON.stringify(opts.body) } : {}),
      headers: { ...(opts.body !== undefined ? { 'content-type': 'application/json' } : {}), ...(opts.token ? { authorization: `Bearer ${opts.token}` } : {}), ...opts.headers },
      remoteAddress: opts.ip ?? ip(),
    });
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- answers of many shapes, checked by the assertions
  type Loose = any;
  const body = (r: LightMyRequestResponse) => r.json() as { ok: boolean; value?: Loose; error?: { code: string; message: string; details?: Loose } };
  const login = async (loginName: string, password = DEMO_PASSWORD, from = ip()): Promise<Tokens> => {
    const r = await call('POST', '/api/v1/auth/login', { body: { login: loginName, password }, ip: from });
    expect(r.statusCode, r.body).toBe(200);
    return body(r).value as Tokens;
  };

  beforeAll(async () => {
    store = await backend.fresh();
    await seedDemo(store.db);
    app = await buildApp({ store, auth: { demo: true, clock, argon2: CHEAP } });
    // a route guarded like the dispatch command: the roles the core's workflow lets dispatch
    const dispatchRoles = COMMAND_ROLES.dispatch.filter((r): r is Role => Role.safeParse(r).success);
    app.post('/test/dispatch', { preHandler: app.auth.requireRole(...dispatchRoles) }, async (request) => ({ ok: true, value: request.actor }));
    // the intake routes with the auth hooks (docs/intake.md): the app's own once the workflow wires them, else wired here the same way
    await app.after();
    if (!app.hasRoute({ method: 'POST', url: '/api/v1/intake/api' })) {
      const sink = createMemoryEventSink({ clock });
      registerIntakeRoutes(app, {
        service: createIntakeService({ db: store.db, sink, reference: createPlacementReferenceCache(store.db, { clock }).get, clock }),
        requireApiKey: (source) => app.auth.requireApiKey(source),
        requireAdmin: app.auth.requireAdmin,
        actorOf: (request) => request.actor?.id ?? null,
      });
    }
    await app.ready();
    const made = await seedDemoAuth(app.auth.service, store.db);
    expect(made.accountsCreated).toEqual(DEMO_ACCOUNTS.map((a) => a.login));
    expect(made.apiKeysCreated).toHaveLength(9);
  });
  afterAll(async () => {
    await app?.close();
  });

  it('migration 0004: the tables refuse what the rules refuse', async () => {
    const row = { id: 'x', login: 'x1', displayName: 'x', role: 'admin' as const, scopeLevel: 'district' as const, scopeCode: '440114', organisationId: 'district-440114', passwordHash: 'h', createdAt: START.toISOString(), updatedAt: START.toISOString(), passwordChangedAt: START.toISOString() };
    await expect(store.db.insert(users).values({ ...row, role: 'king' as never })).rejects.toThrow();
    await expect(store.db.insert(users).values({ ...row, scopeLevel: 'town', scopeCode: '440114' })).rejects.toThrow();
    await expect(store.db.insert(users).values({ ...row, login: 'Upper' })).rejects.toThrow();
    await expect(store.db.insert(authAudit).values({ at: START.toISOString(), kind: 'whatever' as never })).rejects.toThrow();
    expect(await store.db.select().from(users).where(eq(users.id, 'x'))).toEqual([]);
  });

  it('logs in every demo role; the token and /me carry the actor with its scope and organisation', async () => {
    for (const a of DEMO_ACCOUNTS) {
      const t = await login(a.login);
      const me = await call('GET', '/api/v1/auth/me', { token: t.accessToken });
      expect(me.statusCode).toBe(200);
      expect(body(me).value.actor).toEqual(t.actor);
      expect(t.actor).toMatchObject({ id: a.id, role: a.role });
      expect(claimsOf(t.accessToken)).toMatchObject({ sub: a.id, role: a.role, iss: 'huying-datacenter', aud: 'huying', org: t.actor.organisationId, scope: t.actor.scope });
    }
    expect((await login('town')).actor).toMatchObject({ role: 'duty_officer', organisationId: 'town-440114001000', scope: { level: 'town', code: '440114001000' } });
    expect((await login('unit-cg')).actor).toMatchObject({ role: 'unit_operator', organisationId: 'dept-cg', scope: { level: 'district', code: '440114' } });
    expect((await login('ADMIN')).actor.id).toBe('demo-admin'); // logins are case-insensitive
    // 15-minute access, 12-hour refresh
    const t = await login('duty');
    expect(Date.parse(t.accessTokenExpiresAt) - now.getTime()).toBe(15 * 60_000);
    expect(Date.parse(t.refreshTokenExpiresAt) - now.getTime()).toBe(12 * 3_600_000);
  });

  it('stores Argon2id hashes (the production default is m=19 MiB, t=2, p=1)', async () => {
    const [u] = await store.db.select({ hash: users.passwordHash }).from(users).where(eq(users.id, 'demo-admin'));
    expect(u!.hash).toMatch(/^\$argon2id\$v=19\$m=1024,t=1,p=1\$/);
    expect(parseOptions(await hashPassword('x'.repeat(12)))).toMatchObject({ algorithm: 2, memoryCost: 19_456, timeCost: 2, parallelism: 1 });
  });

  it('answers 401 with a stable reason for a missing, forged or malformed token', async () => {
    const none = await call('GET', '/api/v1/auth/me');
    expect(none.statusCode).toBe(401);
    expect(body(none).error).toMatchObject({ code: 'unauthenticated', details: { reason: 'missing_token' } });
    expect(none.headers['www-authenticate']).toBe('Bearer realm="huying"');
    const t = await login('duty');
    const [h, p] = t.accessToken.split('.');
    const forged = `${h}.${Buffer.from(JSON.stringify({ ...claimsOf(t.accessToken), role: 'admin' })).toString('base64url')}.${t.accessToken.split('.')[2]}`;
    for (const token of [forged, 'not-a-jwt', `${h}.${p}.`]) {
      const r = await call('GET', '/api/v1/auth/me', { token });
      expect(r.statusCode).toBe(401);
      expect(body(r).error).toMatchObject({ code: 'unauthenticated', details: { reason: 'invalid_token' } });
    }
  });

  it('refresh rotates the refresh token; presenting a used one revokes the whole session', async () => {
    const first = await login('supervisor');
    const r1 = await call('POST', '/api/v1/auth/refresh', { body: { refreshToken: first.refreshToken } });
    expect(r1.statusCode).toBe(200);
    const second = body(r1).value as Tokens;
    expect(second.refreshToken).not.toBe(first.refreshToken);
    expect(claimsOf(second.accessToken).sid).toBe(claimsOf(first.accessToken).sid);
    expect((await call('GET', '/api/v1/auth/me', { token: second.accessToken })).statusCode).toBe(200);

    // the first token again: a stolen copy or a replay
    const reuse = await call('POST', '/api/v1/auth/refresh', { body: { refreshToken: first.refreshToken } });
    expect(reuse.statusCode).toBe(401);
    expect(body(reuse).error).toMatchObject({ code: 'unauthenticated', details: { reason: 'refresh_token_reused' } });
    // the legitimate holder is out too: the session is revoked
    const after = await call('POST', '/api/v1/auth/refresh', { body: { refreshToken: second.refreshToken } });
    expect(body(after).error?.details).toEqual({ reason: 'session_revoked' });
    const me = await call('GET', '/api/v1/auth/me', { token: second.accessToken });
    expect(me.statusCode).toBe(401);
    expect(body(me).error?.details).toEqual({ reason: 'session_revoked' });
    const [s] = await store.db.select().from(authSessions).where(eq(authSessions.id, String(claimsOf(first.accessToken).sid)));
    expect(s!.revokedReason).toBe('reuse_detected');
    const audit = await store.db.select().from(authAudit).where(eq(authAudit.kind, 'refresh_reuse'));
    expect(audit.some((a) => a.userId === 'demo-supervisor')).toBe(true);

    const unknown = await call('POST', '/api/v1/auth/refresh', { body: { refreshToken: 'hyr_nothing-like-this-exists' } });
    expect(body(unknown).error?.details).toEqual({ reason: 'invalid_refresh_token' });
  });

  it('access tokens expire after 15 minutes and refresh tokens after 12 hours (fake clock)', async () => {
    const t = await login('intake');
    now = new Date(START.getTime() + 14 * 60_000);
    expect((await call('GET', '/api/v1/auth/me', { token: t.accessToken })).statusCode).toBe(200);
    now = new Date(START.getTime() + 16 * 60_000);
    const expired = await call('GET', '/api/v1/auth/me', { token: t.accessToken });
    expect(expired.statusCode).toBe(401);
    expect(body(expired).error?.details).toEqual({ reason: 'token_expired' });
    expect(expired.headers['www-authenticate']).toContain('invalid_token');
    const refreshed = await call('POST', '/api/v1/auth/refresh', { body: { refreshToken: t.refreshToken } });
    expect(refreshed.statusCode).toBe(200);
    const next = body(refreshed).value as Tokens;
    expect((await call('GET', '/api/v1/auth/me', { token: next.accessToken })).statusCode).toBe(200);
    // the rotated refresh token lives 12 h from its own issue
    now = new Date(now.getTime() + 12 * 3_600_000 + 1_000);
    const late = await call('POST', '/api/v1/auth/refresh', { body: { refreshToken: next.refreshToken } });
    expect(late.statusCode).toBe(401);
    expect(body(late).error?.details).toEqual({ reason: 'refresh_token_expired' });
    now = START;
  });

  it('logout ends the session at once, by access token or by refresh token', async () => {
    const t = await login('wall');
    const out = await call('POST', '/api/v1/auth/logout', { token: t.accessToken });
    expect(body(out)).toEqual({ ok: true, value: { revoked: true } });
    expect(body(await call('GET', '/api/v1/auth/me', { token: t.accessToken })).error?.details).toEqual({ reason: 'session_revoked' });
    expect(body(await call('POST', '/api/v1/auth/refresh', { body: { refreshToken: t.refreshToken } })).error?.details).toEqual({ reason: 'session_revoked' });

    const u = await login('wall');
    expect(body(await call('POST', '/api/v1/auth/logout', { body: { refreshToken: u.refreshToken } }))).toEqual({ ok: true, value: { revoked: true } });
    expect((await call('GET', '/api/v1/auth/me', { token: u.accessToken })).statusCode).toBe(401);
    expect((await call('POST', '/api/v1/auth/logout')).statusCode).toBe(401);
  });

  it('throttles one login: 5 failures free, then 429 with Retry-After even for the right password, until the lock ends', async () => {
    const from = ip();
    const attempt = (password: string) => call('POST', '/api/v1/auth/login', { body: { login: 'duty', password }, ip: from });
    for (let i = 0; i < 6; i++) {
      const r = await attempt('wrong password');
      expect(r.statusCode).toBe(401);
      expect(body(r).error?.details).toEqual({ reason: 'bad_credentials' });
    }
    const locked = await attempt(DEMO_PASSWORD);
    expect(locked.statusCode).toBe(429);
    expect(locked.headers['retry-after']).toBe('30');
    expect(body(locked).error).toMatchObject({ code: 'rate_limited', details: { retryAfterSeconds: 30 } });
    // the lock is on the login, not only on this address
    expect((await call('POST', '/api/v1/auth/login', { body: { login: 'duty', password: DEMO_PASSWORD } })).statusCode).toBe(429);
    // the 7th failure doubles it
    now = new Date(START.getTime() + 31_000);
    expect((await attempt('wrong again')).statusCode).toBe(401);
    expect((await attempt(DEMO_PASSWORD)).headers['retry-after']).toBe('60');
    now = new Date(START.getTime() + 92_000);
    expect((await attempt(DEMO_PASSWORD)).statusCode).toBe(200);
    // a success clears the count: five more mistakes cost nothing again
    for (let i = 0; i < 5; i++) expect((await attempt('typo')).statusCode).toBe(401);
    expect((await attempt(DEMO_PASSWORD)).statusCode).toBe(200);
    const kinds = (await store.db.select({ kind: authAudit.kind }).from(authAudit).where(eq(authAudit.login, 'duty'))).map((a) => a.kind);
    expect(kinds).toEqual(expect.arrayContaining(['login_failed', 'login_throttled', 'login_ok']));
    now = START;
  });

  it('throttles an address that sprays many logins; other addresses are unaffected', async () => {
    const from = ip();
    for (let i = 0; i < 31; i++) {
      const r = await call('POST', '/api/v1/auth/login', { body: { login: `nobody-${i}`, password: 'guess' }, ip: from });
      expect(r.statusCode).toBe(401);
    }
    const blocked = await call('POST', '/api/v1/auth/login', { body: { login: 'supervisor', password: DEMO_PASSWORD }, ip: from });
    expect(blocked.statusCode).toBe(429);
    expect(Number(blocked.headers['retry-after'])).toBe(30);
    expect((await call('POST', '/api/v1/auth/login', { body: { login: 'supervisor', password: DEMO_PASSWORD } })).statusCode).toBe(200);
  });

  it('forgets failure counts an hour after the last failure, and prunes them', async () => {
    const key = 'login:forgetful';
    for (let i = 0; i < 6; i++) await recordFailure(store.db, key, DEFAULT_THROTTLE.login, START);
    expect(await lockedFor(store.db, [key], START)).toBe(30);
    const halfHour = new Date(START.getTime() + 30 * 60_000);
    expect(await pruneFailures(store.db, DEFAULT_THROTTLE, halfHour)).toBe(0);
    expect(await recordFailure(store.db, key, DEFAULT_THROTTLE.login, halfHour)).toBe(7);
    const later = new Date(halfHour.getTime() + 61 * 60_000);
    expect(await recordFailure(store.db, key, DEFAULT_THROTTLE.login, later)).toBe(1);
    const muchLater = new Date(later.getTime() + 2 * 3_600_000);
    expect(await pruneFailures(store.db, DEFAULT_THROTTLE, muchLater)).toBeGreaterThanOrEqual(1);
    expect(await store.db.select().from(loginAttempts).where(eq(loginAttempts.key, key))).toEqual([]);
  });

  it('an unknown login and a wrong password look the same', async () => {
    const a = await call('POST', '/api/v1/auth/login', { body: { login: 'no-such-person', password: 'whatever1' } });
    const b = await call('POST', '/api/v1/auth/login', { body: { login: 'admin', password: 'whatever1' } });
    expect([a.statusCode, b.statusCode]).toEqual([401, 401]);
    expect(body(a).error).toEqual(body(b).error);
  });

  it('checks roles on routes: a wall viewer cannot dispatch, admin routes are for admins only', async () => {
    const wall = await login('wall');
    const refused = await call('POST', '/test/dispatch', { token: wall.accessToken, body: {} });
    expect(refused.statusCode).toBe(403);
    expect(body(refused).error).toMatchObject({ code: 'forbidden', details: { role: 'wall_viewer' } });
    for (const who of ['duty', 'admin', 'town']) {
      const t = await login(who);
      const r = await call('POST', '/test/dispatch', { token: t.accessToken, body: {} });
      expect(r.statusCode).toBe(200);
      expect(body(r).value).toEqual(t.actor);
    }
    expect((await call('POST', '/test/dispatch', { body: {} })).statusCode).toBe(401);

    for (const who of ['duty', 'supervisor', 'intake', 'wall', 'unit-cg', 'town']) {
      const t = await login(who);
      expect((await call('GET', '/api/v1/admin/users', { token: t.accessToken })).statusCode, who).toBe(403);
      expect((await call('GET', '/api/v1/admin/quarantine', { token: t.accessToken })).statusCode, who).toBe(403);
      expect((await call('POST', '/api/v1/admin/reference/units', { token: t.accessToken, body: { units: [] } })).statusCode, who).toBe(403);
    }
    const admin = await login('admin');
    expect((await call('GET', '/api/v1/admin/users', { token: admin.accessToken })).statusCode).toBe(200);
    expect((await call('GET', '/api/v1/admin/quarantine', { token: admin.accessToken })).statusCode).toBe(200);
  });

  it('puts the actor on the sync and command routes (their auth seam is request.actor)', async () => {
    expect((await call('POST', '/api/v1/commands', { body: { clientId: 'c1', mutations: [] } })).statusCode).toBe(401);
    const t = await login('duty');
    const r = await call('POST', '/api/v1/commands', { token: t.accessToken, body: { clientId: 'c1', mutations: 'not a list' } });
    expect(r.statusCode).toBe(400);
  });

  it('lets a browser open the live feed with ?access_token= (a WebSocket upgrade cannot carry headers)', async () => {
    const head = await readSyncHead(store.db);
    const live = (token?: string) => `/api/v1/sync/live?scope=district&epoch=${head.epoch}&v=${head.v}${token ? `&access_token=${token}` : ''}`;
    await expect(app.injectWS(live())).rejects.toThrow(/401/);
    await expect(app.injectWS(live('not-a-token'))).rejects.toThrow(/401/);
    const t = await login('wall');
    const ws = await app.injectWS(live(t.accessToken));
    try {
      expect(ws.readyState).toBe(ws.OPEN);
    } finally {
      ws.terminate();
    }
    // a town account may not replicate the whole district
    const town = await login('town');
    await expect(app.injectWS(live(town.accessToken))).rejects.toThrow(/403/);
    // the token as a first message instead: the route checks it itself
    expect(await app.auth.actorFromToken(t.accessToken)).toEqual(t.actor);
    await expect(app.auth.actorFromToken('garbage')).rejects.toMatchObject({ code: 'unauthenticated', details: { reason: 'invalid_token' } });
  });

  it('lets an admin manage accounts: field errors, role and scope edits, disable, password reset', async () => {
    const admin = await login('admin');
    const create = (b: unknown) => call('POST', '/api/v1/admin/users', { token: admin.accessToken, body: b });
    const good = { login: 'Li.Ming', displayName: '李明', role: 'duty_officer', scope: { level: 'town', code: '440114002000' }, organisationId: 'town-440114002000', password: 'a long enough password' };

    const weak = await create({ ...good, password: 'short' });
    expect(weak.statusCode).toBe(400);
    expect(body(weak).error?.details).toEqual([{ field: 'password', message: expect.stringMatching(/at least 10/) }]);
    const unknown = await create({ ...good, scope: { level: 'town', code: '440114999000' }, organisationId: 'dept-nope' });
    expect(body(unknown).error?.details).toEqual([
      { field: 'scope.code', message: 'no area 440114999000' },
      { field: 'organisationId', message: 'no unit dept-nope' },
    ]);
    const wrongLevel = await create({ ...good, scope: { level: 'village', code: '440114002000' } });
    expect(body(wrongLevel).error?.details).toEqual([{ field: 'scope.level', message: 'area 440114002000 is a town, not a village' }]);
    const badRole = await create({ ...good, role: 'emperor' });
    expect(badRole.statusCode).toBe(400);
    expect(body(badRole).error?.details).toEqual([expect.objectContaining({ field: 'role' })]);

    const made = await create(good);
    expect(made.statusCode).toBe(201);
    const user = body(made).value;
    expect(user).toMatchObject({ login: 'li.ming', role: 'duty_officer', scope: { level: 'town', code: '440114002000' }, disabled: false, demo: false });
    expect(user).not.toHaveProperty('passwordHash');
    expect((await create(good)).statusCode).toBe(409);

    const li = await login('li.ming', 'a long enough password');
    expect(li.actor).toMatchObject({ name: '李明', scope: { level: 'town', code: '440114002000' } });

    // a new role takes effect on the next request, without a new login
    const patched = await call('PATCH', `/api/v1/admin/users/${user.id}`, { token: admin.accessToken, body: { role: 'supervisor', scope: { level: 'district', code: '440114' } } });
    expect(body(patched).value).toMatchObject({ role: 'supervisor', scope: { level: 'district', code: '440114' } });
    expect(body(await call('GET', '/api/v1/auth/me', { token: li.accessToken })).value.actor).toMatchObject({ role: 'supervisor', scope: { level: 'district' } });

    // disabled: sessions end, logins refused
    expect(body(await call('PATCH', `/api/v1/admin/users/${user.id}`, { token: admin.accessToken, body: { disabled: true } })).value.disabled).toBe(true);
    expect(body(await call('GET', '/api/v1/auth/me', { token: li.accessToken })).error?.details).toEqual({ reason: 'session_revoked' });
    const refused = await call('POST', '/api/v1/auth/login', { body: { login: 'li.ming', password: 'a long enough password' } });
    expect(body(refused).error?.details).toEqual({ reason: 'account_disabled' });
    await call('PATCH', `/api/v1/admin/users/${user.id}`, { token: admin.accessToken, body: { disabled: false } });

    // reset: the old password and the old sessions stop working
    const before = await login('li.ming', 'a long enough password');
    expect((await call('POST', `/api/v1/admin/users/${user.id}/password`, { token: admin.accessToken, body: { password: 'another long password' } })).statusCode).toBe(200);
    expect((await call('GET', '/api/v1/auth/me', { token: before.accessToken })).statusCode).toBe(401);
    expect((await call('POST', '/api/v1/auth/login', { body: { login: 'li.ming', password: 'a long enough password' } })).statusCode).toBe(401);
    const after = await login('li.ming', 'another long password');
    // own password change
    const changed = await call('POST', '/api/v1/auth/password', { token: after.accessToken, body: { currentPassword: 'another long password', newPassword: 'my very own password' } });
    expect(changed.statusCode).toBe(200);
    await login('li.ming', 'my very own password');

    // an admin cannot lock themself out
    expect((await call('PATCH', '/api/v1/admin/users/demo-admin', { token: admin.accessToken, body: { disabled: true } })).statusCode).toBe(400);
    const list = body(await call('GET', '/api/v1/admin/users', { token: admin.accessToken })).value as { login: string }[];
    expect(list.map((u) => u.login)).toEqual(expect.arrayContaining(['admin', 'li.ming', 'town']));
    const audit = body(await call('GET', `/api/v1/admin/auth-audit?userId=${user.id}`, { token: admin.accessToken })).value as { kind: string; actorId: string | null }[];
    expect(audit.map((a) => a.kind)).toEqual(expect.arrayContaining(['user_created', 'user_updated', 'password_reset', 'password_changed', 'login_ok']));
    expect(audit.find((a) => a.kind === 'password_reset')?.actorId).toBe('demo-admin');
  });

  it('API keys: each belongs to one source system; intake refuses others without quarantining anything', async () => {
    const bad = { externalRef: { system: 'x', id: '1' } }; // no title: a 400 once past auth
    const intake = (source: string, headers: Record<string, string>) => call('POST', `/api/v1/intake/${source}`, { body: bad, headers });
    const quarantined = async () => (await store.db.select({ n: sql<number>`count(*)::int` }).from(intakeQuarantine))[0]!.n;
    const q0 = await quarantined();

    const none = await intake('api', {});
    expect(none.statusCode).toBe(401);
    expect(body(none).error).toMatchObject({ code: 'unauthenticated', details: { reason: 'missing_api_key' } });
    expect((await intake('api', { 'x-api-key': 'hyk_unknown-key-000000' })).statusCode).toBe(401);
    const other = await intake('api', { 'x-api-key': demoApiKey('hotline_12345') });
    expect(other.statusCode).toBe(403);
    expect(body(other).error).toMatchObject({ code: 'forbidden', details: { reason: 'wrong_source', keySource: 'hotline_12345' } });
    expect(await quarantined()).toBe(q0);

    // its own key passes auth; the payload is then judged (and quarantined)
    const own = await intake('api', { 'x-api-key': demoApiKey('api') });
    expect(own.statusCode).toBe(400);
    expect(await quarantined()).toBe(q0 + 1);
    expect((await intake('api', { authorization: `ApiKey ${demoApiKey('api')}` })).statusCode).toBe(400);

    // a key made by an admin: shown once, works, then disabled
    const admin = await login('admin');
    const made = await call('POST', '/api/v1/admin/api-keys', { token: admin.accessToken, body: { source: 'grid_patrol', name: '网格巡查系统' } });
    expect(made.statusCode).toBe(201);
    const { key, apiKey } = body(made).value as { key: string; apiKey: { id: string; keyPrefix: string; scopes: string[] } };
    expect(key).toMatch(/^hyk_[A-Za-z0-9_-]{43}$/);
    expect(apiKey).toMatchObject({ keyPrefix: key.slice(0, 12), scopes: ['intake'] });
    expect(JSON.stringify(body(await call('GET', '/api/v1/admin/api-keys', { token: admin.accessToken })).value)).not.toContain(key);
    expect((await intake('grid_patrol', { 'x-api-key': key })).statusCode).toBe(400);
    expect((await intake('one_key', { 'x-api-key': key })).statusCode).toBe(403);
    expect((await call('POST', `/api/v1/admin/api-keys/${apiKey.id}/disable`, { token: admin.accessToken })).statusCode).toBe(200);
    expect((await intake('grid_patrol', { 'x-api-key': key })).statusCode).toBe(401);
    expect((await call('POST', '/api/v1/admin/api-keys', { token: admin.accessToken, body: { source: 'fax', name: 'x' } })).statusCode).toBe(400);
    const refusals = await store.db.select().from(authAudit).where(eq(authAudit.kind, 'api_key_refused'));
    expect(refusals.length).toBeGreaterThanOrEqual(2);
  });

  it('refuses the demo credentials when the auth service is not in demo mode', async () => {
    const t = await login('admin');
    const prod = await buildApp({ store, auth: { demo: false, clock, argon2: CHEAP } });
    try {
      const r = await prod.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { login: 'admin', password: DEMO_PASSWORD }, remoteAddress: ip() });
      expect(r.statusCode).toBe(401);
      expect((r.json() as { error: { details: unknown } }).error.details).toEqual({ reason: 'bad_credentials' });
      // a token a demo server issued does not open a production server either
      const me = await prod.inject({ method: 'GET', url: '/api/v1/auth/me', headers: { authorization: `Bearer ${t.accessToken}` } });
      expect(me.statusCode).toBe(401);
      expect((me.json() as { error: { details: unknown } }).error.details).toEqual({ reason: 'account_disabled' });
      expect(await prod.auth.service.verifyApiKey(demoApiKey('api'))).toBeNull();
      expect((await prod.auth.service.listUsers()).some((u) => u.demo)).toBe(false);
    } finally {
      await prod.close();
    }
  });

  it('a data center not in demo mode has no demo accounts', async () => {
    const empty = await backend.fresh();
    const dc = await startDataCenter({ database: empty, port: 0, seed: null, auth: { argon2: CHEAP } });
    try {
      const r = await fetch(`${dc.url}/api/v1/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ login: 'admin', password: DEMO_PASSWORD }) });
      expect(r.status).toBe(401);
      expect(await empty.db.select().from(users)).toEqual([]);
    } finally {
      await dc.close();
    }
    // restarting the demo-seeded database without --seed demo: the demo accounts stay shut
    const again = await startDataCenter({ database: store, port: 0, seed: null, auth: { argon2: CHEAP } });
    try {
      const r = await fetch(`${again.url}/api/v1/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ login: 'duty', password: DEMO_PASSWORD }) });
      expect(r.status).toBe(401);
    } finally {
      await again.close();
    }
  });

  it('--create-admin makes the first admin of a production database', async () => {
    let dir: string | null = null;
    const target = backend.kind === 'postgres' ? ['--pg', await backend.freshUrl()] : ['--data', (dir = mkdtempSync(path.join(os.tmpdir(), 'huying-admin-')))];
    const io = () => {
      const out: string[] = [];
      const err: string[] = [];
      const sink = (into: string[]) => new Writable({ write: (c, _e, done) => (into.push(String(c)), done()) });
      return { out, err, io: { stdin: Readable.from(['piped password 123\n']), stdout: sink(out), stderr: sink(err) } };
    };
    try {
      const weak = io();
      expect(await runCreateAdmin(['--create-admin', 'chief', '--district', '440114', ...target], { HUYING_ADMIN_PASSWORD: 'short' }, weak.io)).toBe(1);
      expect(weak.err.join('')).toMatch(/at least 10 characters/);
      const ok = io();
      expect(await runCreateAdmin(['--create-admin', 'chief', '--name', '指挥长', '--district', '440114', ...target], {}, ok.io)).toBe(0);
      expect(JSON.parse(ok.out.join(''))).toMatchObject({ created: { login: 'chief', role: 'admin', scope: { level: 'district', code: '440114' } } });
      const twice = io();
      expect(await runCreateAdmin(['--create-admin', 'chief', '--district', '440114', ...target], { HUYING_ADMIN_PASSWORD: 'another password' }, twice.io)).toBe(1);
      expect(twice.err.join('')).toMatch(/taken/);
      const noDistrict = io();
      expect(await runCreateAdmin(['--create-admin', 'deputy', ...target], { HUYING_ADMIN_PASSWORD: 'another password' }, noDistrict.io)).toBe(1);
      expect(noDistrict.err.join('')).toMatch(/--district/);
      expect(await runCreateAdmin(['--create-admin'], {}, io().io)).toBe(2);

      const db = await openDatabase(target[0] === '--pg' ? { pg: target[1]! } : { dataDir: target[1]! });
      try {
        const service = await createAuthService({ db: db.db, argon2: CHEAP });
        const pair = await service.login({ login: 'chief', password: 'piped password 123' }, { ip: '127.0.0.1' });
        expect(pair.actor).toMatchObject({ name: '指挥长', role: 'admin', organisationId: 'district-440114' });
      } finally {
        await db.close();
      }
    } finally {
      if (dir) rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);
});

describe('the signing key', () => {
  it('is made once per database and shared by every service on it; a configured secret must be long', async () => {
    const store = await openDatabase();
    try {
      const a = await createAuthService({ db: store.db, argon2: CHEAP });
      const b = await createAuthService({ db: store.db, argon2: CHEAP });
      await a.createUser({ login: 'keeper', displayName: 'k', role: 'admin', scope: { level: 'district', code: '440114' }, organisationId: 'district-440114', password: 'keeper password' }, null);
      const pair = await a.login({ login: 'keeper', password: 'keeper password' }, { ip: '1.2.3.4' });
      expect((await b.verifyAccess(pair.accessToken)).actor.id).toBe(pair.actor.id);
      const other = await createAuthService({ db: store.db, argon2: CHEAP, jwtSecret: 'x'.repeat(32) });
      await expect(other.verifyAccess(pair.accessToken)).rejects.toMatchObject({ code: 'unauthenticated' });
      await expect(createAuthService({ db: store.db, jwtSecret: 'too short' })).rejects.toMatchObject({ code: 'invalid_args' });
    } finally {
      await store.close();
    }
  });
});
