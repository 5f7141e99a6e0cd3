/**
 * Authentication and authorisation of the data center (docs/auth.md): accounts with roles and
 * area scopes, Argon2id passwords, short-lived access tokens with rotating refresh tokens, login
 * throttling, API keys per source system, demo accounts in demo mode only, and the fastify hooks
 * every route module uses.
 *
 * ```ts
 * const auth = await createAuth({ db: store.db, demo: seed === 'demo' });
 * installAuth(app, auth);            // request.actor etc., app.auth, the /api/v1/auth routes
 * app.post('/x', { preHandler: app.auth.requireRole('duty_officer', 'admin') }, (req) => req.actor!);
 * ```
 */
import type { FastifyInstance } from 'fastify';
import { createAuthHooks, type AuthHooks } from './hooks';
import { registerAuthRoutes as registerRoutes } from './routes';
import { createAuthService, type AuthService, type AuthServiceOptions } from './service';

export interface Auth extends AuthHooks {
  service: AuthService;
}

declare module 'fastify' {
  interface FastifyInstance {
    /** the auth hooks and service (installAuth) */
    auth: Auth;
  }
}

export async function createAuth(opts: AuthServiceOptions): Promise<Auth> {
  const service = await createAuthService(opts);
  return { service, ...createAuthHooks(service) };
}

/**
 * Decorates requests (`actor`, `sessionId`, `apiKey`) and the app (`auth`), and adds the global
 * `identify` onRequest hook, so every route registered afterwards sees `request.actor` from its
 * first hook on when the request carries a valid access token. Call it before any route module;
 * then `registerAuthRoutes`.
 */
export function installAuth(app: FastifyInstance, auth: Auth): void {
  app.decorateRequest('actor', null);
  app.decorateRequest('sessionId', null);
  app.decorateRequest('apiKey', null);
  app.decorate('auth', auth);
  app.addHook('onRequest', auth.identify);
}

export { apiKeyOf, bearerToken, createAuthHooks, type AuthHook, type AuthHooks } from './hooks';

/** The auth routes (/api/v1/auth/*, /api/v1/admin/users, /api/v1/admin/api-keys, /api/v1/admin/auth-audit). */
export function registerAuthRoutes(app: FastifyInstance, auth: Auth): void {
  registerRoutes(app, auth.service, auth);
}
export * from './service';
export { DEMO_ACCOUNTS, DEMO_PASSWORD, demoApiKey, seedDemoAuth, type DemoAccount, type DemoAuthOutcome } from './demo';
export { DEFAULT_ARGON2, hashPassword, verifyPassword, checkPasswordPolicy, type Argon2Params } from './password';
export { DEFAULT_THROTTLE, lockoutSeconds, type ThrottlePolicy, type ThrottleRule } from './throttle';
export { TokenError, TOKEN_AUDIENCE, TOKEN_ISSUER } from './tokens';
