/**
 * The auth service: logins, token rotation, sessions, accounts and API keys, behind one object
 * that the fastify hooks (hooks.ts) and routes (routes.ts) call. No HTTP here, so the CLI and
 * tests use it directly.
 *
 * Decisions worth knowing:
 * - The access token proves identity; the actor a request is decided for (role, scope,
 *   organisation) is read from the account row when the token is used, together with the session,
 *   so a revoked session, a disabled account or a changed role take effect at once. The lookup
 *   is one primary-key join, cached per session for `principalCacheMs` (default 5 s; cleared
 *   in this process whenever an admin or a logout changes something), which bounds the staleness
 *   another data center on the same PostgreSQL can see.
 * - Refresh tokens rotate; a used one presented again revokes the session (reuse detection). Two
 *   refreshes racing with the same token are serialised by a row lock, and the loser counts as
 *   reuse: clients must refresh from one place (the desktop's data service does).
 * - Unknown logins cost the same Argon2id verification as known ones (a dummy hash), so response
 *   time does not tell which logins exist.
 * - Accounts and API keys made by the demo seed (`demo = true`) are refused unless this service
 *   runs in demo mode.
 */
import { randomUUID } from 'node:crypto';
import { and, desc, eq, inArray, lt, sql } from 'drizzle-orm';
import { z } from 'zod';
import { AreaScope, HuyingError, Role, type Actor } from '../../core';
import { IntakeSourceName } from '../intake/draft';
import type { Db, DbOrTx } from '../store/database';
import { API_KEY_SCOPES, apiKeys, authAudit, authSessions, refreshTokens, users, type ApiKeyScope, type AuthAuditKind } from '../store/auth-schema';
import { areas, units } from '../store/schema';
import { checkPasswordPolicy, DEFAULT_ARGON2, hashPassword, needsRehash, verifyPassword, type Argon2Params } from './password';
import { clearFailures, DEFAULT_THROTTLE, ipKey, lockedFor, loginKey, pruneFailures, recordFailure, type ThrottlePolicy } from './throttle';
import { loadKeyRing, newApiKey, newRefreshToken, signAccessToken, TokenError, tokenHash, verifyAccessToken, type KeyRing } from './tokens';

export interface AuthServiceOptions {
  db: Db;
  /** accept the demo seed's accounts and keys (only when the data center runs with --seed demo) */
  demo?: boolean;
  clock?: () => Date;
  /** HMAC secret for access tokens (≥ 32 bytes); default: a key made once and kept in the database */
  jwtSecret?: string;
  /** default 900 (15 min) */
  accessTtlSeconds?: number;
  /** lifetime of each refresh token, renewed by every refresh; default 43,200 (12 h) */
  refreshTtlSeconds?: number;
  /** no refresh beyond this age of the session; default 7 days */
  sessionMaxSeconds?: number;
  argon2?: Argon2Params;
  throttle?: ThrottlePolicy;
  /** how long a checked session/account is trusted without asking the database again; default 5000 */
  principalCacheMs?: number;
}

export interface RequestContext {
  ip?: string | null;
  userAgent?: string | null;
}

/** What login and refresh answer. */
export interface TokenPair {
  tokenType: 'Bearer';
  accessToken: string;
  accessTokenExpiresAt: string;
  refreshToken: string;
  refreshTokenExpiresAt: string;
  actor: Actor;
}

/** The caller behind a verified access token. */
export interface Principal {
  actor: Actor;
  sessionId: string;
  /** when the access token expires */
  expiresAt: Date;
}

/** A source system behind a verified API key. */
export interface ApiKeyPrincipal {
  id: string;
  source: string;
  name: string;
  scopes: ApiKeyScope[];
}

export const LoginInput = z.object({
  login: z.string().trim().min(1).max(64),
  password: z.string().min(1).max(1000),
});
export type LoginInput = z.infer<typeof LoginInput>;

const LoginName = z
  .string()
  .trim()
  .transform((s) => normaliseLogin(s))
  .pipe(z.string().regex(/^[\p{L}\p{N}][\p{L}\p{N}._@-]{1,63}$/u, 'letters, digits and . _ @ - (2 to 64, starting with a letter or digit)'));

export const CreateUserInput = z
  .object({
    login: LoginName,
    displayName: z.string().trim().min(1).max(100),
    role: Role,
    scope: AreaScope,
    organisationId: z.string().trim().min(1).max(100),
    password: z.string().min(1).max(1000),
  })
  .strict();
export type CreateUserInput = z.input<typeof CreateUserInput>;

export const UpdateUserInput = z
  .object({
    displayName: z.string().trim().min(1).max(100).optional(),
    role: Role.optional(),
    scope: AreaScope.optional(),
    organisationId: z.string().trim().min(1).max(100).optional(),
    disabled: z.boolean().optional(),
  })
  .strict();
export type UpdateUserInput = z.input<typeof UpdateUserInput>;

export const ChangePasswordInput = z.object({ currentPassword: z.string().min(1).max(1000), newPassword: z.string().min(1).max(1000) }).strict();

export const CreateApiKeyInput = z
  .object({
    source: IntakeSourceName,
    name: z.string().trim().min(1).max(100),
    scopes: z.array(z.enum(API_KEY_SCOPES)).min(1).default(['intake']),
  })
  .strict();
export type CreateApiKeyInput = z.input<typeof CreateApiKeyInput>;

/** An account as the admin API shows it (never the hash). */
export interface UserView {
  id: string;
  login: string;
  displayName: string;
  role: Role;
  scope: AreaScope;
  organisationId: string;
  disabled: boolean;
  demo: boolean;
  createdAt: string;
  updatedAt: string;
  passwordChangedAt: string;
}

export interface ApiKeyView {
  id: string;
  source: string;
  name: string;
  keyPrefix: string;
  scopes: ApiKeyScope[];
  demo: boolean;
  createdAt: string;
  createdBy: string | null;
  lastUsedAt: string | null;
  disabledAt: string | null;
}

export interface AuthAuditView {
  id: number;
  at: string;
  kind: AuthAuditKind;
  userId: string | null;
  login: string | null;
  actorId: string | null;
  ip: string | null;
  detail: Record<string, unknown> | null;
}

/** lower-case NFKC: `Admin` and `ａｄｍｉｎ` are the same login */
export function normaliseLogin(login: string): string {
  return login.normalize('NFKC').trim().toLowerCase();
}

const unauthenticated = (reason: string, message: string) => new HuyingError('unauthenticated', message, { reason });

type UserRow = typeof users.$inferSelect;

/** timestamps leave as ISO 8601 (the database gives `2026-01-01 08:00:00+00`) */
function iso(value: string): string;
function iso(value: string | null): string | null;
function iso(value: string | null): string | null {
  return value === null ? null : new Date(value).toISOString();
}

export function actorOfUser(u: Pick<UserRow, 'id' | 'displayName' | 'role' | 'organisationId' | 'scopeLevel' | 'scopeCode'>): Actor {
  return { id: u.id, name: u.displayName, role: u.role, organisationId: u.organisationId, scope: { level: u.scopeLevel, code: u.scopeCode } as AreaScope };
}

function userView(u: UserRow): UserView {
  return {
    id: u.id,
    login: u.login,
    displayName: u.displayName,
    role: u.role,
    scope: { level: u.scopeLevel, code: u.scopeCode } as AreaScope,
    organisationId: u.organisationId,
    disabled: u.disabled,
    demo: u.demo,
    createdAt: iso(u.createdAt),
    updatedAt: iso(u.updatedAt),
    passwordChangedAt: iso(u.passwordChangedAt),
  };
}

function apiKeyView(k: typeof apiKeys.$inferSelect): ApiKeyView {
  return {
    id: k.id,
    source: k.source,
    name: k.name,
    keyPrefix: k.keyPrefix,
    scopes: k.scopes,
    demo: k.demo,
    createdAt: iso(k.createdAt),
    createdBy: k.createdBy,
    lastUsedAt: iso(k.lastUsedAt),
    disabledAt: iso(k.disabledAt),
  };
}

function parse<T extends z.ZodType>(schema: T, input: unknown): z.output<T> {
  const parsed = schema.safeParse(input);
  if (!parsed.success) throw parsed.error;
  return parsed.data;
}

export type AuthService = ReturnType<typeof createAuthService> extends Promise<infer S> ? S : never;

export async function createAuthService(opts: AuthServiceOptions) {
  const { db } = opts;
  const clock = opts.clock ?? (() => new Date());
  const demoMode = opts.demo ?? false;
  const accessTtl = opts.accessTtlSeconds ?? 15 * 60;
  const refreshTtl = opts.refreshTtlSeconds ?? 12 * 3600;
  const sessionMax = opts.sessionMaxSeconds ?? 7 * 86_400;
  const argon2 = opts.argon2 ?? DEFAULT_ARGON2;
  const throttle = opts.throttle ?? DEFAULT_THROTTLE;
  const cacheMs = opts.principalCacheMs ?? 5_000;

  const ring: KeyRing = await loadKeyRing(db, opts.jwtSecret, clock());
  let dummyHash: Promise<string> | null = null;
  let failuresSincePrune = 0;
  const dummy = () => (dummyHash ??= hashPassword(randomUUID(), argon2));

  /** session id → the account and session as last read */
  const principals = new Map<string, { at: number; actor: Actor; ok: true } | { at: number; ok: false; error: TokenError }>();
  /** key hash → key row as last read */
  const keyCache = new Map<string, { at: number; row: typeof apiKeys.$inferSelect | null }>();
  const keyUsedWritten = new Map<string, number>();
  const KEY_CACHE_MS = 10_000;
  const KEY_USED_EVERY_MS = 60_000;

  const invalidate = () => {
    principals.clear();
    keyCache.clear();
  };
  /** the caches hold what callers present (unknown keys too): bounded, so garbage cannot grow them */
  const MAX_CACHED = 10_000;
  const remember = <V>(map: Map<string, V>, key: string, value: V) => {
    if (map.size >= MAX_CACHED) map.clear();
    map.set(key, value);
  };

  async function audit(
    tx: DbOrTx,
    kind: AuthAuditKind,
    entry: { userId?: string | null; login?: string | null; actorId?: string | null; ip?: string | null; detail?: Record<string, unknown> },
  ): Promise<void> {
    await tx.insert(authAudit).values({
      at: clock().toISOString(),
      kind,
      userId: entry.userId ?? null,
      login: entry.login ?? null,
      actorId: entry.actorId ?? null,
      ip: entry.ip ?? null,
      detail: entry.detail ?? null,
    });
  }

  /** Session + first refresh token + access token for an account, inside `tx`. */
  async function openSession(tx: DbOrTx, user: UserRow, ctx: RequestContext): Promise<{ pair: TokenPair; sessionId: string }> {
    const now = clock();
    const sessionId = randomUUID();
    await tx.insert(authSessions).values({
      id: sessionId,
      userId: user.id,
      createdAt: now.toISOString(),
      lastRefreshedAt: now.toISOString(),
      expiresAt: new Date(now.getTime() + sessionMax * 1000).toISOString(),
      ip: ctx.ip ?? null,
      userAgent: ctx.userAgent?.slice(0, 300) ?? null,
    });
    return { pair: await issue(tx, user, sessionId, now, new Date(now.getTime() + sessionMax * 1000)), sessionId };
  }

  async function issue(tx: DbOrTx, user: UserRow, sessionId: string, now: Date, sessionExpires: Date): Promise<TokenPair> {
    const refreshToken = newRefreshToken();
    const refreshExpires = new Date(Math.min(now.getTime() + refreshTtl * 1000, sessionExpires.getTime()));
    await tx.insert(refreshTokens).values({ tokenHash: tokenHash(refreshToken), sessionId, issuedAt: now.toISOString(), expiresAt: refreshExpires.toISOString() });
    const actor = actorOfUser(user);
    const access = await signAccessToken(ring, { sub: user.id, sid: sessionId, name: actor.name, role: user.role, org: user.organisationId, scope: actor.scope }, now, accessTtl);
    return {
      tokenType: 'Bearer',
      accessToken: access.token,
      accessTokenExpiresAt: access.expiresAt.toISOString(),
      refreshToken,
      refreshTokenExpiresAt: refreshExpires.toISOString(),
      actor,
    };
  }

  async function revokeSessions(tx: DbOrTx, where: { sessionId?: string; userId?: string }, reason: string): Promise<number> {
    const cond = where.sessionId ? eq(authSessions.id, where.sessionId) : eq(authSessions.userId, where.userId!);
    const rows = await tx
      .update(authSessions)
      .set({ revokedAt: clock().toISOString(), revokedReason: reason })
      .where(and(cond, sql`${authSessions.revokedAt} is null`))
      .returning({ id: authSessions.id });
    invalidate();
    return rows.length;
  }

  async function findUserByLogin(login: string): Promise<UserRow | null> {
    const [u] = await db.select().from(users).where(eq(users.login, login));
    if (!u) return null;
    if (u.demo && !demoMode) return null;
    return u;
  }

  /** Scope and organisation must name what the reference data holds (when any is loaded). */
  async function checkScopeAndOrganisation(tx: DbOrTx, scope: AreaScope | undefined, organisationId: string | undefined): Promise<void> {
    const problems: { field: string; message: string }[] = [];
    if (scope) {
      const [known] = await tx.select({ n: sql<number>`count(*)::int` }).from(areas);
      if ((known?.n ?? 0) > 0) {
        const [a] = await tx.select({ level: areas.level }).from(areas).where(eq(areas.code, scope.code));
        if (!a) problems.push({ field: 'scope.code', message: `no area ${scope.code}` });
        else if (a.level !== scope.level) problems.push({ field: 'scope.level', message: `area ${scope.code} is a ${a.level}, not a ${scope.level}` });
      }
    }
    if (organisationId !== undefined) {
      const [known] = await tx.select({ n: sql<number>`count(*)::int` }).from(units);
      if ((known?.n ?? 0) > 0) {
        const [u] = await tx.select({ id: units.id }).from(units).where(eq(units.id, organisationId));
        if (!u) problems.push({ field: 'organisationId', message: `no unit ${organisationId}` });
      }
    }
    if (problems.length > 0) throw new HuyingError('invalid_args', problems.map((p) => `${p.field}: ${p.message}`).join('; '), problems);
  }

  async function userById(tx: DbOrTx, id: string): Promise<UserRow> {
    const [u] = await tx.select().from(users).where(eq(users.id, id));
    if (!u) throw new HuyingError('not_found', `no account ${id}`);
    return u;
  }

  const service = {
    demoMode,
    clock,
    /** drops every cached session and key check of this process */
    invalidate,

    async login(input: unknown, ctx: RequestContext = {}): Promise<TokenPair> {
      const { login: typed, password } = parse(LoginInput, input);
      const login = normaliseLogin(typed);
      const ip = ctx.ip ?? 'unknown';
      const now = clock();
      const wait = await lockedFor(db, [loginKey(login), ipKey(ip)], now);
      if (wait > 0) {
        await audit(db, 'login_throttled', { login, ip, detail: { retryAfterSeconds: wait } });
        throw new HuyingError('rate_limited', `too many failed logins: try again in ${wait} s`, { retryAfterSeconds: wait });
      }
      const user = await findUserByLogin(login);
      const ok = await verifyPassword(user?.passwordHash ?? (await dummy()), password);
      if (!user || !ok) {
        const failures = await recordFailure(db, loginKey(login), throttle.login, now);
        await recordFailure(db, ipKey(ip), throttle.ip, now);
        // random logins would otherwise leave a row each behind for good
        if (++failuresSincePrune >= 256) {
          failuresSincePrune = 0;
          await pruneFailures(db, throttle, now);
        }
        await audit(db, 'login_failed', { userId: user?.id ?? null, login, ip, detail: { reason: user ? 'wrong_password' : 'unknown_login', failures } });
        throw unauthenticated('bad_credentials', 'wrong login or password');
      }
      if (user.disabled) {
        await audit(db, 'login_failed', { userId: user.id, login, ip, detail: { reason: 'disabled' } });
        throw unauthenticated('account_disabled', 'this account is disabled');
      }
      await clearFailures(db, loginKey(login));
      if (needsRehash(user.passwordHash, argon2)) {
        await db.update(users).set({ passwordHash: await hashPassword(password, argon2) }).where(eq(users.id, user.id));
      }
      return db.transaction(async (tx) => {
        const { pair, sessionId } = await openSession(tx, user, ctx);
        await audit(tx, 'login_ok', { userId: user.id, login, ip, detail: { sessionId } });
        return pair;
      });
    },

    async refresh(refreshToken: unknown, ctx: RequestContext = {}): Promise<TokenPair> {
      if (typeof refreshToken !== 'string' || refreshToken.length < 10 || refreshToken.length > 200) {
        throw unauthenticated('invalid_refresh_token', 'a refresh token is required');
      }
      const hash = tokenHash(refreshToken);
      // the reuse branch revokes and commits, then refuses: errors are returned, not thrown, inside
      const outcome = await db.transaction(async (tx): Promise<{ ok: true; pair: TokenPair } | { ok: false; error: HuyingError }> => {
        const now = clock();
        const [row] = await tx
          .select({ token: refreshTokens, session: authSessions })
          .from(refreshTokens)
          .innerJoin(authSessions, eq(authSessions.id, refreshTokens.sessionId))
          .where(eq(refreshTokens.tokenHash, hash))
          .for('update');
        if (!row) return { ok: false, error: unauthenticated('invalid_refresh_token', 'unknown refresh token') };
        const { token, session } = row;
        if (session.revokedAt) return { ok: false, error: unauthenticated('session_revoked', 'this session has ended: log in again') };
        if (token.usedAt) {
          await revokeSessions(tx, { sessionId: session.id }, 'reuse_detected');
          await audit(tx, 'refresh_reuse', { userId: session.userId, ip: ctx.ip ?? null, detail: { sessionId: session.id, usedAt: token.usedAt } });
          return { ok: false, error: unauthenticated('refresh_token_reused', 'this refresh token was already used: the session is revoked, log in again') };
        }
        if (new Date(token.expiresAt) <= now || new Date(session.expiresAt) <= now) {
          return { ok: false, error: unauthenticated('refresh_token_expired', 'the refresh token has expired: log in again') };
        }
        const user = await userById(tx, session.userId);
        if (user.disabled || (user.demo && !demoMode)) {
          await revokeSessions(tx, { sessionId: session.id }, 'disabled');
          return { ok: false, error: unauthenticated('account_disabled', 'this account is disabled') };
        }
        await tx.update(refreshTokens).set({ usedAt: now.toISOString() }).where(eq(refreshTokens.tokenHash, hash));
        await tx.update(authSessions).set({ lastRefreshedAt: now.toISOString() }).where(eq(authSessions.id, session.id));
        const pair = await issue(tx, user, session.id, now, new Date(session.expiresAt));
        await audit(tx, 'refresh', { userId: user.id, ip: ctx.ip ?? null, detail: { sessionId: session.id } });
        return { ok: true, pair };
      });
      if (!outcome.ok) throw outcome.error;
      return outcome.pair;
    },

    /** Ends a session, by the access token's session or by a refresh token; true when one was open. */
    async logout(by: { sessionId?: string; refreshToken?: string }, ctx: RequestContext = {}): Promise<boolean> {
      let sessionId = by.sessionId;
      if (!sessionId && by.refreshToken) {
        const [row] = await db.select({ sessionId: refreshTokens.sessionId }).from(refreshTokens).where(eq(refreshTokens.tokenHash, tokenHash(by.refreshToken)));
        sessionId = row?.sessionId;
      }
      if (!sessionId) return false;
      return db.transaction(async (tx) => {
        const [s] = await tx.select({ userId: authSessions.userId }).from(authSessions).where(eq(authSessions.id, sessionId));
        const n = await revokeSessions(tx, { sessionId }, 'logout');
        if (n > 0) await audit(tx, 'logout', { userId: s?.userId ?? null, ip: ctx.ip ?? null, detail: { sessionId } });
        return n > 0;
      });
    },

    /** The caller of an access token, checked against its session and account. Throws 401 errors. */
    async verifyAccess(token: string): Promise<Principal> {
      const now = clock();
      const claims = await verifyAccessToken(ring, token, now);
      const expiresAt = new Date(claims.exp * 1000);
      const cached = principals.get(claims.sid);
      if (cached && Date.now() - cached.at < cacheMs) {
        if (!cached.ok) throw cached.error;
        if (cached.actor.id === claims.sub) return { actor: cached.actor, sessionId: claims.sid, expiresAt };
      }
      const [row] = await db
        .select({ user: users, revokedAt: authSessions.revokedAt, sessionExpiresAt: authSessions.expiresAt })
        .from(authSessions)
        .innerJoin(users, eq(users.id, authSessions.userId))
        .where(and(eq(authSessions.id, claims.sid), eq(users.id, claims.sub)));
      let error: TokenError | null = null;
      if (!row) error = new TokenError('invalid_token', 'the access token names no session');
      else if (row.revokedAt) error = new TokenError('session_revoked', 'this session has ended: log in again');
      else if (new Date(row.sessionExpiresAt) <= now) error = new TokenError('session_expired', 'this session has expired: log in again');
      else if (row.user.disabled || (row.user.demo && !demoMode)) error = new TokenError('account_disabled', 'this account is disabled');
      if (error || !row) {
        remember(principals, claims.sid, { at: Date.now(), ok: false as const, error: error! });
        throw error!;
      }
      const actor = actorOfUser(row.user);
      remember(principals, claims.sid, { at: Date.now(), ok: true as const, actor });
      return { actor, sessionId: claims.sid, expiresAt };
    },

    /** The actor of an access token (for the WebSocket, which cannot send headers from browsers). */
    async actorFromToken(token: string): Promise<Actor> {
      return (await service.verifyAccess(token)).actor;
    },

    /** The source system of an API key, or null for an unknown or disabled key. */
    async verifyApiKey(key: string): Promise<ApiKeyPrincipal | null> {
      if (key.length < 8 || key.length > 200) return null;
      const hash = tokenHash(key);
      let hit = keyCache.get(hash);
      if (!hit || Date.now() - hit.at >= KEY_CACHE_MS) {
        const [row] = await db.select().from(apiKeys).where(eq(apiKeys.keyHash, hash));
        hit = { at: Date.now(), row: row ?? null };
        remember(keyCache, hash, hit);
      }
      const row = hit.row;
      if (!row || row.disabledAt || (row.demo && !demoMode)) return null;
      // last use is bookkeeping: at most one write per key per minute keeps intake fast
      const last = keyUsedWritten.get(row.id) ?? 0;
      if (Date.now() - last >= KEY_USED_EVERY_MS) {
        remember(keyUsedWritten, row.id, Date.now());
        await db.update(apiKeys).set({ lastUsedAt: clock().toISOString() }).where(eq(apiKeys.id, row.id));
      }
      return { id: row.id, source: row.source, name: row.name, scopes: row.scopes };
    },

    async auditApiKeyRefused(detail: Record<string, unknown>, ip: string | null): Promise<void> {
      await audit(db, 'api_key_refused', { ip, detail });
    },

    async changeOwnPassword(actor: Actor, input: unknown, ctx: RequestContext = {}): Promise<void> {
      const body = parse(ChangePasswordInput, input);
      const user = await userById(db, actor.id);
      if (!(await verifyPassword(user.passwordHash, body.currentPassword))) {
        throw new HuyingError('forbidden', 'the current password is wrong', [{ field: 'currentPassword', message: 'wrong password' }]);
      }
      checkPasswordPolicy(body.newPassword, user.login, 'newPassword');
      const hash = await hashPassword(body.newPassword, argon2);
      await db.transaction(async (tx) => {
        const now = clock().toISOString();
        await tx.update(users).set({ passwordHash: hash, passwordChangedAt: now, updatedAt: now }).where(eq(users.id, user.id));
        await audit(tx, 'password_changed', { userId: user.id, actorId: actor.id, ip: ctx.ip ?? null });
      });
    },

    // ---- accounts (admin) ------------------------------------------------------------------

    async listUsers(): Promise<UserView[]> {
      const rows = await db.select().from(users).orderBy(sql`${users.login} collate "C"`);
      return rows.filter((u) => demoMode || !u.demo).map(userView);
    },

    async getUser(id: string): Promise<UserView> {
      return userView(await userById(db, id));
    },

    /** Makes an account; `opts.demo` marks the demo seed's accounts (refused outside demo mode). */
    async createUser(input: CreateUserInput, by: Actor | null, opts: { demo?: boolean; id?: string } = {}): Promise<UserView> {
      const u = parse(CreateUserInput, input);
      checkPasswordPolicy(u.password, u.login);
      await checkScopeAndOrganisation(db, u.scope, u.organisationId);
      const hash = await hashPassword(u.password, argon2);
      return db.transaction(async (tx) => {
        const now = clock().toISOString();
        const [row] = await tx
          .insert(users)
          .values({
            id: opts.id ?? randomUUID(),
            login: u.login,
            displayName: u.displayName,
            role: u.role,
            scopeLevel: u.scope.level,
            scopeCode: u.scope.code,
            organisationId: u.organisationId,
            passwordHash: hash,
            demo: opts.demo ?? false,
            createdAt: now,
            updatedAt: now,
            passwordChangedAt: now,
          })
          .onConflictDoNothing()
          .returning();
        if (!row) throw new HuyingError('conflict', `the login ${u.login} is taken`, [{ field: 'login', message: 'already taken' }]);
        await audit(tx, 'user_created', { userId: row.id, login: row.login, actorId: by?.id ?? null, detail: { role: row.role, scope: { level: row.scopeLevel, code: row.scopeCode } } });
        return userView(row);
      });
    },

    /** Edits an account; disabling it (or changing its role, scope or organisation) ends its sessions. */
    async updateUser(id: string, input: UpdateUserInput, by: Actor): Promise<UserView> {
      const patch = parse(UpdateUserInput, input);
      await checkScopeAndOrganisation(db, patch.scope, patch.organisationId);
      if (patch.disabled === true && id === by.id) throw new HuyingError('invalid_args', 'an admin cannot disable their own account', [{ field: 'disabled', message: 'own account' }]);
      if (patch.role !== undefined && patch.role !== 'admin' && id === by.id) {
        throw new HuyingError('invalid_args', 'an admin cannot take the admin role from their own account', [{ field: 'role', message: 'own account' }]);
      }
      return db.transaction(async (tx) => {
        const before = await userById(tx, id);
        const now = clock().toISOString();
        const [row] = await tx
          .update(users)
          .set({
            ...(patch.displayName !== undefined ? { displayName: patch.displayName } : {}),
            ...(patch.role !== undefined ? { role: patch.role } : {}),
            ...(patch.scope !== undefined ? { scopeLevel: patch.scope.level, scopeCode: patch.scope.code } : {}),
            ...(patch.organisationId !== undefined ? { organisationId: patch.organisationId } : {}),
            ...(patch.disabled !== undefined ? { disabled: patch.disabled } : {}),
            updatedAt: now,
          })
          .where(eq(users.id, id))
          .returning();
        if (patch.disabled === true && !before.disabled) await revokeSessions(tx, { userId: id }, 'disabled');
        invalidate();
        await audit(tx, 'user_updated', { userId: id, login: before.login, actorId: by.id, detail: { changes: patch } });
        return userView(row!);
      });
    },

    /** Sets a new password (admin); every session of the account ends. */
    async resetPassword(id: string, password: unknown, by: Actor | null): Promise<void> {
      if (typeof password !== 'string') throw new HuyingError('invalid_args', 'password: required', [{ field: 'password', message: 'required' }]);
      const user = await userById(db, id);
      checkPasswordPolicy(password, user.login);
      const hash = await hashPassword(password, argon2);
      await db.transaction(async (tx) => {
        const now = clock().toISOString();
        await tx.update(users).set({ passwordHash: hash, passwordChangedAt: now, updatedAt: now }).where(eq(users.id, id));
        await revokeSessions(tx, { userId: id }, 'password_reset');
        await audit(tx, 'password_reset', { userId: id, login: user.login, actorId: by?.id ?? null });
      });
      await clearFailures(db, loginKey(user.login));
    },

    // ---- API keys (admin) ------------------------------------------------------------------

    async listApiKeys(): Promise<ApiKeyView[]> {
      const rows = await db.select().from(apiKeys).orderBy(sql`${apiKeys.source} collate "C"`, apiKeys.createdAt);
      return rows.filter((k) => demoMode || !k.demo).map(apiKeyView);
    },

    /** Makes a key for a source system; the key itself is in the answer once and never again. */
    async createApiKey(input: CreateApiKeyInput, by: Actor | null, opts: { demo?: boolean; key?: string; id?: string } = {}): Promise<{ key: string; apiKey: ApiKeyView }> {
      const k = parse(CreateApiKeyInput, input);
      const key = opts.key ?? newApiKey();
      return db.transaction(async (tx) => {
        const [row] = await tx
          .insert(apiKeys)
          .values({
            id: opts.id ?? randomUUID(),
            keyHash: tokenHash(key),
            keyPrefix: key.slice(0, 12),
            source: k.source,
            name: k.name,
            scopes: [...new Set(k.scopes)],
            demo: opts.demo ?? false,
            createdAt: clock().toISOString(),
            createdBy: by?.id ?? null,
          })
          .onConflictDoNothing()
          .returning();
        if (!row) throw new HuyingError('conflict', 'that key exists already');
        await audit(tx, 'api_key_created', { actorId: by?.id ?? null, detail: { apiKeyId: row.id, source: row.source, name: row.name } });
        return { key, apiKey: apiKeyView(row) };
      });
    },

    async disableApiKey(id: string, by: Actor): Promise<ApiKeyView> {
      return db.transaction(async (tx) => {
        const [row] = await tx
          .update(apiKeys)
          .set({ disabledAt: sql`coalesce(${apiKeys.disabledAt}, ${clock().toISOString()}::timestamptz)` })
          .where(eq(apiKeys.id, id))
          .returning();
        if (!row) throw new HuyingError('not_found', `no API key ${id}`);
        invalidate();
        await audit(tx, 'api_key_disabled', { actorId: by.id, detail: { apiKeyId: id, source: row.source } });
        return apiKeyView(row);
      });
    },

    // ---- audit -----------------------------------------------------------------------------

    async listAudit(q: { limit?: number; before?: number; userId?: string; kinds?: AuthAuditKind[] } = {}): Promise<AuthAuditView[]> {
      const conds = [
        q.before !== undefined ? lt(authAudit.id, q.before) : undefined,
        q.userId !== undefined ? eq(authAudit.userId, q.userId) : undefined,
        q.kinds && q.kinds.length > 0 ? inArray(authAudit.kind, q.kinds) : undefined,
      ].filter((c) => c !== undefined);
      const rows = await db
        .select()
        .from(authAudit)
        .where(conds.length > 0 ? and(...conds) : undefined)
        .orderBy(desc(authAudit.id))
        .limit(Math.min(q.limit ?? 100, 1000));
      return rows.map((r) => ({ id: r.id, at: iso(r.at), kind: r.kind, userId: r.userId, login: r.login, actorId: r.actorId, ip: r.ip, detail: r.detail }));
    },
  };
  return service;
}
