/**
 * Signing in through the data service against the real data center
 * (startDataCenter on in-memory PGlite, demo accounts): before sign-in the
 * service replicates only the public reference data; after auth/login the
 * sync client and the outbox pusher carry the Bearer token — the replica
 * follows the real feed (its epoch, not the legacy fallback) —, auth/changed
 * is pushed, a town officer's desktop replicates that town, a restart on the
 * same folder stays signed in, the data center gone leaves the session
 * `offline`, and auth/logout ends it at the data center too.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Session } from '../../../src/core/rpc/session';
import { DEMO_PASSWORD } from '../../../src/datacenter/auth';
import { startDataCenter, type DataCenter } from '../../../src/datacenter/server';
import { openDatabase, type DataCenterDb } from '../../../src/datacenter/store/database';
import { LEGACY_EPOCH } from '../../../src/main/service/sync/sync-client';
import { serviceOn, tempDir, type Harness } from './feed-fixtures';

let dc: DataCenter;
let store: DataCenterDb;
const cleanups: (() => unknown)[] = [];

beforeAll(async () => {
  store = await openDatabase({});
  dc = await startDataCenter({ port: 0, seed: 'demo', database: store, app: { sync: { live: { heartbeatMs: 200, checksumMs: 0 }, hub: { pollMs: 50 } } } });
}, 180_000);
afterAll(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
  await dc?.close();
  await store?.close();
});

const sessions = (h: Harness) => {
  const seen: Session[] = [];
  h.svc.subscribe('auth/changed', (s) => seen.push(s));
  return seen;
};

describe('sign-in through the data service ← real data center', () => {
  let dir: string;
  let h: Harness;

  it('signed out: only the public reference data; auth/session says nobody', async () => {
    dir = tempDir(cleanups, 'huying-session-');
    h = await serviceOn(dc, dir, cleanups, { sync: { pollIntervalMs: 60_000 } });
    await expect.poll(() => h.svc.syncStatus().cursor?.epoch, { timeout: 15_000 }).toBe(LEGACY_EPOCH);
    expect(await h.svc.handlers['auth/session']({})).toEqual({ user: null, offline: false });
  });

  it('auth/login: the officer with role, scope and organisation; the feed follows with the token', async () => {
    const seen = sessions(h);
    const s = await h.svc.handlers['auth/login']({ login: 'duty', password: DEMO_PASSWORD });
    expect(s).toEqual({ user: { id: 'demo-duty', login: 'duty', name: '值班员（演示）', role: 'duty_officer', organisationId: 'district-440114', scope: { level: 'district', code: '440114' } }, offline: false });
    expect(seen).toEqual([s]);
    await expect.poll(() => h.svc.syncStatus().cursor?.epoch, { timeout: 15_000 }).toBe(dc.epoch);
    await expect.poll(() => h.svc.syncStatus().state, { timeout: 15_000 }).toBe('live');
    expect((await h.svc.handlers['units/list']({})).units.length).toBeGreaterThan(27);
    await expect(h.svc.handlers['auth/login']({ login: 'duty', password: 'wrong-password' })).rejects.toMatchObject({ code: 'unauthenticated' });
    expect((await h.svc.handlers['auth/session']({})).user?.id).toBe('demo-duty');
  });

  it('a restart on the same folder stays signed in; with the data center gone the session is offline', async () => {
    await h.svc.close();
    const again = await serviceOn(dc, dir, cleanups, { sync: { pollIntervalMs: 60_000 } });
    expect((await again.svc.handlers['auth/session']({})).user?.id).toBe('demo-duty');
    await expect.poll(() => again.svc.syncStatus().state, { timeout: 15_000 }).toBe('live');
    await again.svc.close();
    const gone = await serviceOn({ url: 'http://127.0.0.1:9' }, dir, cleanups, { sync: { pollIntervalMs: 60_000 } });
    await expect.poll(async () => gone.svc.handlers['auth/session']({}), { timeout: 15_000 }).toMatchObject({ user: { id: 'demo-duty' }, offline: true });
    await gone.svc.close();
    h = await serviceOn(dc, dir, cleanups, { sync: { pollIntervalMs: 60_000 } });
    await expect.poll(async () => h.svc.handlers['auth/session']({}), { timeout: 15_000 }).toMatchObject({ user: { id: 'demo-duty' }, offline: false });
  });

  it('auth/logout signs out here and at the data center (the remembered refresh token no longer works)', async () => {
    const stored = h.svc.replica.sqlite.prepare("SELECT value FROM preferences WHERE key = 'session'").pluck().get() as string;
    const refreshToken = (JSON.parse(stored) as { refreshToken: string }).refreshToken;
    expect(await h.svc.handlers['auth/logout']({})).toEqual({ user: null, offline: false });
    expect(h.svc.replica.sqlite.prepare("SELECT count(*) FROM preferences WHERE key = 'session'").pluck().get()).toBe(0);
    const res = await fetch(new URL('api/v1/auth/refresh', `${dc.url}/`), { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ refreshToken }) });
    expect(res.status).toBe(401);
  });

  it('a town officer’s desktop replicates the officer’s town', async () => {
    const townDir = tempDir(cleanups, 'huying-session-town-');
    const t = await serviceOn(dc, townDir, cleanups, { sync: { pollIntervalMs: 60_000 } });
    const s = await t.svc.handlers['auth/login']({ login: 'town', password: DEMO_PASSWORD });
    expect(s.user?.scope).toEqual({ level: 'town', code: '440114001000' });
    await expect.poll(() => t.svc.syncStatus().scope, { timeout: 15_000 }).toBe('440114001000');
    await expect.poll(() => t.svc.syncStatus().cursor?.epoch, { timeout: 15_000 }).toBe(dc.epoch);
    const towns = t.svc.replica.sqlite.prepare('SELECT DISTINCT town_code FROM grids').pluck().all();
    expect(towns).toEqual(['440114001000']);
  });
});
