/**
 * The officer's session with the data center, kept by the data service on the
 * renderer's behalf (the renderer never sees a token):
 *
 * - `login` posts to `POST /api/v1/auth/login` and keeps the access token in
 *   memory and the refresh token in a SecretStore (by default the replica's
 *   local preferences), so a restart stays signed in;
 * - `token()` is the AccessTokenSource the sync client and the outbox pusher
 *   call before each request: it refreshes (`POST /api/v1/auth/refresh`) when
 *   the access token is within `refreshMarginMs` of expiring, and a timer
 *   refreshes ahead of time as well. Refreshes are single-flight: the data
 *   center rotates refresh tokens and treats a second use of one as theft
 *   (it ends the session), so two callers must never refresh at once;
 * - the data center unreachable while a session is remembered: the session
 *   stays, marked `offline: true` (the replica still answers, commands queue),
 *   and refreshing is retried with backoff; a 401 on refresh (revoked,
 *   expired, reused) ends the session;
 * - every change of who is signed in, or of `offline`, is pushed as
 *   `auth/changed`.
 */
import { HuyingError, Role, type Actor, type ErrorCode, type SyncScope } from '../../../core/index';
import { SessionUser, type Session } from '../../../core/rpc/session';
import type { AccessTokenSource } from '../auth';
import type { Clock } from '../clock';
import type { Logger } from '../log';
import { retryDelay } from '../sync/backoff';
import { baseUrl, describeFetchError } from '../sync/http';

/** Where the refresh token and the remembered account are kept between runs. */
export interface SecretStore {
  read(): StoredSession | null;
  write(value: StoredSession | null): void;
}

export interface StoredSession {
  user: SessionUser;
  refreshToken: string;
  /** ISO */
  refreshTokenExpiresAt: string;
}

export interface SessionManagerOptions {
  dataCenterUrl: string;
  store: SecretStore;
  fetch: typeof fetch;
  clock: Clock;
  log: Logger;
  random?: () => number;
  /** pushed as `auth/changed` */
  onChange(session: Session): void;
  /** refresh this long before the access token expires; default 60 s */
  refreshMarginMs?: number;
  /** per request; default 15 s */
  requestTimeoutMs?: number;
  /** backoff of refresh retries while offline; defaults 2 s and 60 s */
  retryInitialMs?: number;
  retryMaxMs?: number;
}

/** What login and refresh answer (src/datacenter/auth TokenPair). */
interface TokenPair {
  accessToken: string;
  accessTokenExpiresAt: string;
  refreshToken: string;
  refreshTokenExpiresAt: string;
  actor: Actor;
}

type RefreshOutcome = 'ok' | 'offline' | 'ended';

/** The data center's JSON answers: `{ ok: true, value }` or `{ ok: false, error }`. */
interface Answer {
  ok?: boolean;
  value?: unknown;
  error?: { code?: string; message?: string; details?: unknown };
}

export class SessionManager implements AccessTokenSource {
  private readonly base: URL;
  private user: SessionUser | null = null;
  private refreshToken: { token: string; expiresAt: number } | null = null;
  private access: { token: string; expiresAt: number } | null = null;
  private offline = false;
  private inflight: Promise<RefreshOutcome> | null = null;
  private cancelTimer: (() => void) | null = null;
  private failures = 0;
  private stopped = false;
  private last: string;

  constructor(private readonly o: SessionManagerOptions) {
    this.base = baseUrl(o.dataCenterUrl);
    const stored = safeRead(o.store, o.log);
    if (stored && Date.parse(stored.refreshTokenExpiresAt) > o.clock.now()) {
      this.user = stored.user;
      this.refreshToken = { token: stored.refreshToken, expiresAt: Date.parse(stored.refreshTokenExpiresAt) };
    } else if (stored) {
      o.store.write(null);
    }
    this.last = JSON.stringify(this.session());
  }

  /** Resumes a remembered session: refreshes now, in the background. */
  start(): void {
    if (this.refreshToken) void this.refresh();
  }

  stop(): void {
    this.stopped = true;
    this.cancelTimer?.();
    this.cancelTimer = null;
  }

  session(): Session {
    return { user: this.user, offline: this.user !== null && this.offline };
  }

  /** The signed-in officer (queries: supervised_by_me, saved views), null when nobody. */
  currentUser(): SessionUser | null {
    return this.user;
  }

  async login(login: string, password: string): Promise<Session> {
    const res = await this.post('api/v1/auth/login', { login, password });
    if (!res.ok) throw res.error;
    const pair = res.value as TokenPair;
    const user = userOf(pair.actor, login);
    if (this.refreshToken && this.user?.id !== user.id) await this.revokeQuietly(this.refreshToken.token);
    this.accept(pair, user);
    this.o.log.info({ user: user.id, role: user.role }, 'signed in to the data center');
    return this.session();
  }

  async logout(): Promise<Session> {
    const refresh = this.refreshToken?.token ?? null;
    this.end('signed out');
    if (refresh) await this.revokeQuietly(refresh);
    return this.session();
  }

  // ── AccessTokenSource ───────────────────────────────────────────────────

  async token(): Promise<string | null> {
    if (this.access && this.access.expiresAt - this.margin() > this.o.clock.now()) return this.access.token;
    if (!this.refreshToken) return null;
    await this.refresh();
    // offline: a token that has not expired yet is still worth trying
    return this.access && this.access.expiresAt > this.o.clock.now() ? this.access.token : null;
  }

  invalidate(token: string | null): void {
    if (token !== null && this.access?.token === token) this.access = null;
  }

  // ── internals ───────────────────────────────────────────────────────────

  private margin(): number {
    return this.o.refreshMarginMs ?? 60_000;
  }

  /** Single-flight refresh. */
  private refresh(): Promise<RefreshOutcome> {
    this.inflight ??= this.refreshOnce().finally(() => {
      this.inflight = null;
    });
    return this.inflight;
  }

  private async refreshOnce(): Promise<RefreshOutcome> {
    const current = this.refreshToken;
    if (!current || this.stopped) return 'ended';
    const res = await this.post('api/v1/auth/refresh', { refreshToken: current.token });
    if (this.refreshToken !== current) return this.refreshToken ? 'ok' : 'ended'; // a login or logout happened meanwhile
    if (res.ok) {
      this.failures = 0;
      this.accept(res.value as TokenPair, this.user!);
      return 'ok';
    }
    if (res.error.code === 'unavailable' || res.error.code === 'timeout' || res.error.code === 'internal') {
      this.failures += 1;
      this.offline = true;
      this.announce();
      const delay = retryDelay(this.failures, { initialMs: this.o.retryInitialMs ?? 2_000, maxMs: this.o.retryMaxMs ?? 60_000 }, this.o.random ?? Math.random);
      this.schedule(delay);
      this.o.log.warn({ reason: res.error.message, retryInMs: Math.round(delay) }, 'cannot refresh the session; signed in offline');
      return 'offline';
    }
    this.o.log.warn({ code: res.error.code, reason: res.error.message }, 'the data center ended the session');
    this.end(`refresh refused: ${res.error.code}`);
    return 'ended';
  }

  private accept(pair: TokenPair, user: SessionUser): void {
    const now = this.o.clock.now();
    this.user = user;
    this.access = { token: pair.accessToken, expiresAt: Date.parse(pair.accessTokenExpiresAt) };
    this.refreshToken = { token: pair.refreshToken, expiresAt: Date.parse(pair.refreshTokenExpiresAt) };
    this.offline = false;
    this.o.store.write({ user, refreshToken: pair.refreshToken, refreshTokenExpiresAt: pair.refreshTokenExpiresAt });
    // refresh ahead of expiry, never sooner than in a second
    this.schedule(Math.max(1_000, this.access.expiresAt - this.margin() - now));
    this.announce();
  }

  private end(reason: string): void {
    this.cancelTimer?.();
    this.cancelTimer = null;
    const had = this.user !== null;
    this.user = null;
    this.access = null;
    this.refreshToken = null;
    this.offline = false;
    this.failures = 0;
    this.o.store.write(null);
    if (had) this.o.log.info({ reason }, 'signed out');
    this.announce();
  }

  private schedule(ms: number): void {
    this.cancelTimer?.();
    if (this.stopped) return;
    this.cancelTimer = this.o.clock.setTimeout(() => {
      this.cancelTimer = null;
      void this.refresh();
    }, ms);
  }

  private announce(): void {
    const s = this.session();
    const key = JSON.stringify(s);
    if (key === this.last) return;
    this.last = key;
    this.o.onChange(s);
  }

  private async revokeQuietly(refreshToken: string): Promise<void> {
    const r = await this.post('api/v1/auth/logout', { refreshToken });
    if (!r.ok) this.o.log.warn({ reason: r.error.message }, 'could not revoke the session at the data center; it ends when its refresh token expires');
  }

  /** POST JSON; errors as HuyingError data: unavailable (network, 5xx), unauthenticated, rate_limited, … */
  private async post(path: string, body: unknown): Promise<{ ok: true; value: unknown } | { ok: false; error: HuyingError }> {
    const url = new URL(path, this.base);
    let res: Response;
    try {
      res = await this.o.fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json' },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(this.o.requestTimeoutMs ?? 15_000),
      });
    } catch (err) {
      return { ok: false, error: new HuyingError('unavailable', `cannot reach the data center: ${describeFetchError(err, url.pathname)}`) };
    }
    let json: Answer | null = null;
    try {
      json = (await res.json()) as Answer;
    } catch {
      json = null;
    }
    if (res.ok && json?.ok === true) return { ok: true, value: json.value };
    const code = (json?.error?.code as ErrorCode | undefined) ?? (res.status === 401 ? 'unauthenticated' : res.status === 429 ? 'rate_limited' : 'unavailable');
    const message = json?.error?.message ?? `HTTP ${res.status} from ${url.pathname}`;
    const details = json?.error?.details ?? (res.status === 429 ? { retryAfterSeconds: Number(res.headers.get('retry-after') ?? 0) } : undefined);
    // a 5xx is the data center's trouble, not the officer's: treat like unreachable
    return { ok: false, error: new HuyingError(res.status >= 500 ? 'unavailable' : code, message, details) };
  }
}

function userOf(actor: Actor, login: string): SessionUser {
  const role = Role.safeParse(actor.role);
  if (!role.success) throw new HuyingError('forbidden', `the account has role ${actor.role}, which cannot sign in to a desktop`);
  return SessionUser.parse({
    id: actor.id,
    login: login.normalize('NFKC').trim().toLowerCase(),
    name: actor.name,
    role: role.data,
    organisationId: actor.organisationId,
    scope: actor.scope,
  });
}

function safeRead(store: SecretStore, log: Logger): StoredSession | null {
  try {
    const s = store.read();
    if (!s) return null;
    const user = SessionUser.safeParse(s.user);
    if (!user.success || typeof s.refreshToken !== 'string' || typeof s.refreshTokenExpiresAt !== 'string') return null;
    return { ...s, user: user.data };
  } catch (err) {
    log.warn({ err }, 'could not read the remembered session; signed out');
    return null;
  }
}

/**
 * The sync scope an account is limited to: its town (a village account
 * replicates its town, the smallest scope the feed offers), or null for a
 * district account, which may replicate anything.
 */
export function scopeOfUser(user: SessionUser): SyncScope | null {
  switch (user.scope.level) {
    case 'district':
      return null;
    case 'town':
      return user.scope.code;
    case 'village':
      return `${user.scope.code.slice(0, 9)}000`;
  }
}
