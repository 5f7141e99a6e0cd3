/**
 * HTTP routes of auth (docs/auth.md):
 *
 * - `POST /api/v1/auth/login` `{ login, password }` → tokens; 401 wrong login or password,
 *   429 with `Retry-After` while throttled;
 * - `POST /api/v1/auth/refresh` `{ refreshToken }` → the next tokens (the old refresh token is
 *   spent; presenting it again ends the session);
 * - `POST /api/v1/auth/logout` — the Bearer token's session, or `{ refreshToken }`'s;
 * - `GET /api/v1/auth/me` — the actor and account behind the access token;
 * - `POST /api/v1/auth/password` `{ currentPassword, newPassword }`;
 * - admin only: `/api/v1/admin/users` (list, create, read, edit incl. disable, reset password),
 *   `/api/v1/admin/api-keys` (list, create — the key is shown once —, disable) and
 *   `/api/v1/admin/auth-audit`.
 *
 * Answers are `{ ok: true, value }`; errors `{ ok: false, error: { code, message, details } }`
 * through the app's error handler. Token answers are `Cache-Control: no-store`.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { HuyingError } from '../../core';
import { AUTH_AUDIT_KINDS } from '../store/auth-schema';
import type { AuthHooks } from './hooks';
import { CreateApiKeyInput, CreateUserInput, UpdateUserInput, type AuthService, type RequestContext } from './service';

const ctxOf = (request: FastifyRequest): RequestContext => ({ ip: request.ip, userAgent: request.headers['user-agent'] ?? null });

export const RefreshBody = z.object({ refreshToken: z.string() }).strict();
export const LogoutBody = z.object({ refreshToken: z.string().optional() }).strict();
export const AuditQuery = z.object({
  limit: z.coerce.number().int().min(1).max(1000).optional(),
  before: z.coerce.number().int().positive().optional(),
  userId: z.string().min(1).optional(),
  kind: z.enum(AUTH_AUDIT_KINDS).optional(),
});
export const ResetPasswordBody = z.object({ password: z.string() }).strict();

function noStore(reply: FastifyReply): void {
  reply.header('cache-control', 'no-store');
  reply.header('pragma', 'no-cache');
}

export function registerAuthRoutes(app: FastifyInstance, service: AuthService, hooks: AuthHooks): void {
  app.post('/api/v1/auth/login', async (request, reply) => {
    noStore(reply);
    try {
      return { ok: true, value: await service.login(request.body ?? {}, ctxOf(request)) };
    } catch (err) {
      if (err instanceof HuyingError && err.code === 'rate_limited') {
        reply.header('retry-after', String((err.details as { retryAfterSeconds: number }).retryAfterSeconds));
      }
      throw err;
    }
  });

  app.post('/api/v1/auth/refresh', async (request, reply) => {
    noStore(reply);
    const body = RefreshBody.parse(request.body ?? {});
    return { ok: true, value: await service.refresh(body.refreshToken, ctxOf(request)) };
  });

  app.post('/api/v1/auth/logout', async (request, reply) => {
    noStore(reply);
    const body = LogoutBody.parse(request.body ?? {});
    if (body.refreshToken !== undefined) return { ok: true, value: { revoked: await service.logout({ refreshToken: body.refreshToken }, ctxOf(request)) } };
    await hooks.authenticate.call(app, request, reply);
    return { ok: true, value: { revoked: await service.logout({ sessionId: request.sessionId! }, ctxOf(request)) } };
  });

  app.get('/api/v1/auth/me', { preHandler: hooks.authenticate }, async (request, reply) => {
    noStore(reply);
    const actor = request.actor!;
    const user = await service.getUser(actor.id);
    return { ok: true, value: { actor, login: user.login, sessionId: request.sessionId, demo: user.demo } };
  });

  app.post('/api/v1/auth/password', { preHandler: hooks.authenticate }, async (request) => {
    await service.changeOwnPassword(request.actor!, request.body ?? {}, ctxOf(request));
    return { ok: true, value: { changed: true } };
  });

  // ---- admin --------------------------------------------------------------------------------
  const admin = { preHandler: hooks.requireAdmin };

  app.get('/api/v1/admin/users', admin, async () => ({ ok: true, value: await service.listUsers() }));

  app.post('/api/v1/admin/users', admin, async (request, reply) => {
    const user = await service.createUser(CreateUserInput.parse(request.body ?? {}), request.actor);
    return reply.code(201).send({ ok: true, value: user });
  });

  app.get<{ Params: { id: string } }>('/api/v1/admin/users/:id', admin, async (request) => ({ ok: true, value: await service.getUser(request.params.id) }));

  app.patch<{ Params: { id: string } }>('/api/v1/admin/users/:id', admin, async (request) => ({
    ok: true,
    value: await service.updateUser(request.params.id, UpdateUserInput.parse(request.body ?? {}), request.actor!),
  }));

  app.post<{ Params: { id: string } }>('/api/v1/admin/users/:id/password', admin, async (request) => {
    const body = ResetPasswordBody.parse(request.body ?? {});
    await service.resetPassword(request.params.id, body.password, request.actor);
    return { ok: true, value: { reset: true } };
  });

  app.get('/api/v1/admin/api-keys', admin, async () => ({ ok: true, value: await service.listApiKeys() }));

  app.post('/api/v1/admin/api-keys', admin, async (request, reply) => {
    noStore(reply);
    const made = await service.createApiKey(CreateApiKeyInput.parse(request.body ?? {}), request.actor);
    return reply.code(201).send({ ok: true, value: made });
  });

  app.post<{ Params: { id: string } }>('/api/v1/admin/api-keys/:id/disable', admin, async (request) => ({
    ok: true,
    value: await service.disableApiKey(request.params.id, request.actor!),
  }));

  app.get('/api/v1/admin/auth-audit', admin, async (request) => {
    const q = AuditQuery.parse(request.query ?? {});
    return {
      ok: true,
      value: await service.listAudit({
        ...(q.limit !== undefined ? { limit: q.limit } : {}),
        ...(q.before !== undefined ? { before: q.before } : {}),
        ...(q.userId !== undefined ? { userId: q.userId } : {}),
        ...(q.kind !== undefined ? { kinds: [q.kind] } : {}),
      }),
    };
  });
}
