/**
 * The fastify side of auth: hooks every route module puts in front of its handlers.
 *
 * - `authenticate` — `Authorization: Bearer <access token>` → `request.actor` (the `Actor` every
 *   command is decided for) and `request.sessionId`; 401 `unauthenticated` otherwise, with
 *   `details.reason` (`missing_token`, `invalid_token`, `token_expired`, `session_revoked`,
 *   `session_expired`, `account_disabled`) and a `WWW-Authenticate` header.
 * - `requireRole(...roles)` — authenticates when not done yet, then 403 `forbidden` for other roles.
 * - `requireAdmin` — `requireRole('admin')`.
 * - `requireApiKey(source)` — a source system's key (`X-Api-Key`, `Authorization: ApiKey …`, or
 *   for Open311 `api_key` in the query or body) → `request.apiKey`; 401 for a missing, unknown or
 *   disabled key, 403 for a key of another source system or without the scope.
 * - `authenticateWebSocket` — like `authenticate`, but also takes `?access_token=` (browsers
 *   cannot set headers on a WebSocket); `actorFromToken(token)` checks a token sent as the first
 *   message instead.
 *
 * Every hook is a single async preHandler, so it fits `{ preHandler: hook }` and the intake's
 * `requireApiKey` / `requireAdmin` options alike.
 */
import type { FastifyReply, FastifyRequest, preHandlerAsyncHookHandler } from 'fastify';
import { HuyingError, type Actor, type Role } from '../../core';
import { open311ApiKey } from '../intake/open311-routes';
import type { ApiKeyScope } from '../store/auth-schema';
import type { ApiKeyPrincipal, AuthService } from './service';
import { API_KEY_PREFIX, TokenError } from './tokens';

declare module 'fastify' {
  interface FastifyRequest {
    /** the account this request acts for; set by the auth hooks, null before or without them */
    actor: Actor | null;
    /** the access token's session; set with `actor` */
    sessionId: string | null;
    /** the source system whose API key came with the request; set by `requireApiKey` */
    apiKey: ApiKeyPrincipal | null;
  }
}

export type AuthHook = preHandlerAsyncHookHandler;

export interface AuthHooks {
  /**
   * Global, never refuses: puts `request.actor` on every request that carries a valid access token
   * (Bearer, or `?access_token=` on a WebSocket upgrade). installAuth adds it to the whole app as
   * an onRequest hook, so the actor is there for every later hook (the sync feed checks it in
   * preValidation, before the WebSocket upgrade).
   */
  identify: (request: FastifyRequest) => Promise<void>;
  authenticate: AuthHook;
  requireRole(...roles: Role[]): AuthHook;
  requireAdmin: AuthHook;
  requireApiKey(source: string, scope?: ApiKeyScope): AuthHook;
  authenticateWebSocket: AuthHook;
  /** the actor of an access token (verified, session and account checked); throws a 401 HuyingError */
  actorFromToken(token: string): Promise<Actor>;
  /** the actor the hooks put on the request, or null */
  actorOf(request: FastifyRequest): Actor | null;
}

const REALM = 'Bearer realm="huying"';

/** The token of `Authorization: Bearer …`, null when absent. */
export function bearerToken(request: FastifyRequest): string | null {
  const h = request.headers.authorization;
  if (typeof h !== 'string') return null;
  const m = /^Bearer\s+(\S+)\s*$/i.exec(h);
  return m ? m[1]! : null;
}

/** An API key from `X-Api-Key`, `Authorization: ApiKey …` or `Authorization: Bearer hyk_…`. */
export function apiKeyOf(request: FastifyRequest, source: string): string | null {
  const x = request.headers['x-api-key'];
  if (typeof x === 'string' && x.trim() !== '') return x.trim();
  const h = request.headers.authorization;
  if (typeof h === 'string') {
    const m = /^(ApiKey|Bearer)\s+(\S+)\s*$/i.exec(h);
    if (m) return m[2]!;
  }
  // Open311 GeoReport v2 sends `api_key` as a parameter
  if (source === 'open311') return open311ApiKey(request);
  return null;
}

function challenge(reply: FastifyReply, err: unknown): never {
  if (err instanceof HuyingError && err.code === 'unauthenticated') {
    const reason = (err.details as { reason?: string } | undefined)?.reason;
    reply.header('www-authenticate', reason === 'missing_token' ? REALM : `${REALM}, error="invalid_token"`);
  }
  throw err;
}

const isWebSocketUpgrade = (request: FastifyRequest) => String(request.headers.upgrade ?? '').toLowerCase() === 'websocket';

/** the access token of a request: Bearer (not an API key), or `?access_token=` where allowed */
function accessTokenOf(request: FastifyRequest, allowQuery: boolean): string | null {
  const bearer = bearerToken(request);
  if (bearer && !bearer.startsWith(API_KEY_PREFIX)) return bearer;
  if (allowQuery) {
    const q = (request.query ?? {}) as Record<string, unknown>;
    if (typeof q.access_token === 'string' && q.access_token !== '') return q.access_token;
  }
  return null;
}

export function createAuthHooks(service: AuthService): AuthHooks {
  /** why `identify` could not identify a request that carried a token */
  const refused = new WeakMap<FastifyRequest, unknown>();

  const identify = async (request: FastifyRequest): Promise<void> => {
    if (request.actor || refused.has(request)) return;
    const token = accessTokenOf(request, isWebSocketUpgrade(request));
    if (!token) return;
    try {
      const p = await service.verifyAccess(token);
      request.actor = p.actor;
      request.sessionId = p.sessionId;
    } catch (err) {
      refused.set(request, err);
    }
  };

  async function authenticateWith(request: FastifyRequest, reply: FastifyReply, allowQuery: boolean): Promise<void> {
    if (request.actor) return;
    if (refused.has(request)) challenge(reply, refused.get(request));
    const token = accessTokenOf(request, allowQuery);
    if (!token) challenge(reply, new TokenError('missing_token', 'log in first: this needs an access token (Authorization: Bearer …)'));
    try {
      const p = await service.verifyAccess(token);
      request.actor = p.actor;
      request.sessionId = p.sessionId;
    } catch (err) {
      challenge(reply, err);
    }
  }

  const authenticate: AuthHook = async (request, reply) => authenticateWith(request, reply, false);

  const requireRole = (...roles: Role[]): AuthHook => {
    const allowed = new Set<string>(roles);
    return async (request, reply) => {
      await authenticateWith(request, reply, false);
      const actor = request.actor!;
      if (!allowed.has(actor.role)) {
        throw new HuyingError('forbidden', `role ${actor.role} may not do this (needs ${roles.join(' or ')})`, { role: actor.role, allowed: roles });
      }
    };
  };

  const requireApiKey = (source: string, scope: ApiKeyScope = 'intake'): AuthHook => {
    return async (request, reply) => {
      const key = apiKeyOf(request, source);
      if (!key) {
        reply.header('www-authenticate', 'ApiKey realm="huying"');
        throw new HuyingError('unauthenticated', `source system ${source} must send its API key (X-Api-Key)`, { reason: 'missing_api_key' });
      }
      const principal = await service.verifyApiKey(key);
      if (!principal) {
        reply.header('www-authenticate', 'ApiKey realm="huying", error="invalid_key"');
        throw new HuyingError('unauthenticated', 'unknown or disabled API key', { reason: 'invalid_api_key' });
      }
      if (principal.source !== source) {
        await service.auditApiKeyRefused({ apiKeyId: principal.id, keySource: principal.source, route: source, scope }, request.ip);
        throw new HuyingError('forbidden', `this API key belongs to ${principal.source}, not to ${source}`, { reason: 'wrong_source', keySource: principal.source });
      }
      if (!principal.scopes.includes(scope)) {
        await service.auditApiKeyRefused({ apiKeyId: principal.id, keySource: principal.source, route: source, scope }, request.ip);
        throw new HuyingError('forbidden', `this API key lacks the scope ${scope}`, { reason: 'missing_scope', scope });
      }
      request.apiKey = principal;
    };
  };

  return {
    identify,
    authenticate,
    requireRole,
    requireAdmin: requireRole('admin'),
    requireApiKey,
    authenticateWebSocket: async (request, reply) => authenticateWith(request, reply, true),
    actorFromToken: (token) => service.actorFromToken(token),
    actorOf: (request) => request.actor ?? null,
  };
}
