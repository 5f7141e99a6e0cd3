/**
 * Operations of auth (src/datacenter/auth/routes.ts, docs/auth.md): tokens for people, and the
 * admin routes for accounts, API keys and the auth audit.
 */
import { z } from 'zod';
import { AuditQuery, LogoutBody, RefreshBody, ResetPasswordBody } from '../../auth/routes';
import { ChangePasswordInput, CreateApiKeyInput, CreateUserInput, LoginInput, UpdateUserInput } from '../../auth/service';
import { ApiKeyViewSchema, AuthAuditViewSchema, CreatedApiKey, Me, TokenPairSchema, UserViewSchema } from './shapes';
import type { OperationSpec, ParamSpec } from './spec';

const ADMIN = { kind: 'account', roles: ['admin'] } as const;

const userId: Record<string, ParamSpec> = { id: { schema: z.string().min(1), description: 'The account id.' } };
const keyId: Record<string, ParamSpec> = { id: { schema: z.string().min(1), description: 'The API key id (not the key).' } };

const tokens = { name: 'TokenPair', schema: TokenPairSchema };

export function authOperations(): OperationSpec[] {
  return [
    {
      method: 'post',
      path: '/api/v1/auth/login',
      operationId: 'login',
      tags: ['auth'],
      summary: 'Log in with a login and a password',
      description:
        'Answers a short-lived access token (JWT, 15 min) and a rotating refresh token (12 h) with the actor the account acts as. An unknown login and a wrong password get the same 401 after the same work. Throttled per login and per address: 429 with `Retry-After` while locked.',
      access: { kind: 'public' },
      body: { content: { 'application/json': { name: 'LoginInput', schema: LoginInput } } },
      responses: { '200': { description: 'Logged in.', ok: tokens, headers: ['Cache-Control'] } },
      errors: [400, 401, 429],
    },
    {
      method: 'post',
      path: '/api/v1/auth/refresh',
      operationId: 'refreshTokens',
      tags: ['auth'],
      summary: 'Trade a refresh token for the next tokens',
      description: 'The presented refresh token is spent; presenting a spent one again revokes the whole session (reuse detection).',
      access: { kind: 'public' },
      body: { content: { 'application/json': { name: 'RefreshBody', schema: RefreshBody } } },
      responses: { '200': { description: 'The next tokens.', ok: tokens, headers: ['Cache-Control'] } },
      errors: [400, 401],
    },
    {
      method: 'post',
      path: '/api/v1/auth/logout',
      operationId: 'logout',
      tags: ['auth'],
      summary: 'End a session',
      description: 'Ends the access token\'s session, or the session of the refresh token in the body; its access and refresh tokens stop working at once.',
      access: { kind: 'accountOrRefreshToken' },
      body: { required: false, content: { 'application/json': { name: 'LogoutBody', schema: LogoutBody } } },
      responses: { '200': { description: 'Whether a session was revoked.', ok: { name: 'LogoutResult', schema: z.object({ revoked: z.boolean() }) }, headers: ['Cache-Control'] } },
      errors: [400, 401],
    },
    {
      method: 'get',
      path: '/api/v1/auth/me',
      operationId: 'getMe',
      tags: ['auth'],
      summary: 'The actor and account behind the access token',
      access: { kind: 'account' },
      responses: { '200': { description: 'Who is signed in.', ok: { name: 'Me', schema: Me }, headers: ['Cache-Control'] } },
      errors: [401],
    },
    {
      method: 'post',
      path: '/api/v1/auth/password',
      operationId: 'changeOwnPassword',
      tags: ['auth'],
      summary: 'Change one\'s own password',
      description: 'Policy: 10 to 200 characters (NFKC), not the login. A wrong current password is 403 `forbidden` with the field named.',
      access: { kind: 'account' },
      body: { content: { 'application/json': { name: 'ChangePasswordInput', schema: ChangePasswordInput } } },
      responses: { '200': { description: 'Changed.', ok: { name: 'PasswordChanged', schema: z.object({ changed: z.literal(true) }) } } },
      errors: [400, 401, 403],
    },
    // ---- admin ----------------------------------------------------------------------------
    {
      method: 'get',
      path: '/api/v1/admin/users',
      operationId: 'listUsers',
      tags: ['admin'],
      summary: 'List accounts',
      description: 'Accounts with role, area scope and organisation; never password hashes.',
      access: ADMIN,
      responses: { '200': { description: 'Every account.', ok: { name: 'UserList', schema: z.array(UserViewSchema) } } },
      errors: [401, 403],
    },
    {
      method: 'post',
      path: '/api/v1/admin/users',
      operationId: 'createUser',
      tags: ['admin'],
      summary: 'Create an account',
      description: 'An unknown area or unit, or a weak password, is 400 with the field named; a login that is taken is 409.',
      access: ADMIN,
      body: { content: { 'application/json': { name: 'CreateUserInput', schema: CreateUserInput } } },
      responses: { '201': { description: 'The new account.', ok: { name: 'UserView', schema: UserViewSchema } } },
      errors: [400, 401, 403, 409],
    },
    {
      method: 'get',
      path: '/api/v1/admin/users/{id}',
      operationId: 'getUser',
      tags: ['admin'],
      summary: 'Read an account',
      access: ADMIN,
      pathParams: userId,
      responses: { '200': { description: 'The account.', ok: { name: 'UserView', schema: UserViewSchema } } },
      errors: [401, 403, 404],
    },
    {
      method: 'patch',
      path: '/api/v1/admin/users/{id}',
      operationId: 'updateUser',
      tags: ['admin'],
      summary: 'Edit an account (also disable it)',
      description: 'Role and scope changes apply to the account\'s next request; disabling ends its sessions.',
      access: ADMIN,
      pathParams: userId,
      body: { content: { 'application/json': { name: 'UpdateUserInput', schema: UpdateUserInput } } },
      responses: { '200': { description: 'The account as it is now.', ok: { name: 'UserView', schema: UserViewSchema } } },
      errors: [400, 401, 403, 404],
    },
    {
      method: 'post',
      path: '/api/v1/admin/users/{id}/password',
      operationId: 'resetUserPassword',
      tags: ['admin'],
      summary: 'Reset an account\'s password',
      description: 'Every session of the account ends.',
      access: ADMIN,
      pathParams: userId,
      body: { content: { 'application/json': { name: 'ResetPasswordBody', schema: ResetPasswordBody } } },
      responses: { '200': { description: 'Reset.', ok: { name: 'PasswordReset', schema: z.object({ reset: z.literal(true) }) } } },
      errors: [400, 401, 403, 404],
    },
    {
      method: 'get',
      path: '/api/v1/admin/api-keys',
      operationId: 'listApiKeys',
      tags: ['admin'],
      summary: 'List API keys of source systems',
      description: 'Prefix, source, scopes and last use of every key; never the key itself.',
      access: ADMIN,
      responses: { '200': { description: 'Every key.', ok: { name: 'ApiKeyList', schema: z.array(ApiKeyViewSchema) } } },
      errors: [401, 403],
    },
    {
      method: 'post',
      path: '/api/v1/admin/api-keys',
      operationId: 'createApiKey',
      tags: ['admin'],
      summary: 'Create an API key for a source system',
      description: 'The key is in the answer this once (stored as a hash). A source may hold several keys, so a key can be rotated without a gap.',
      access: ADMIN,
      body: { content: { 'application/json': { name: 'CreateApiKeyInput', schema: CreateApiKeyInput } } },
      responses: { '201': { description: 'The key and its record.', ok: { name: 'CreatedApiKey', schema: CreatedApiKey }, headers: ['Cache-Control'] } },
      errors: [400, 401, 403],
    },
    {
      method: 'post',
      path: '/api/v1/admin/api-keys/{id}/disable',
      operationId: 'disableApiKey',
      tags: ['admin'],
      summary: 'Disable an API key',
      description: 'The key stops working (within 10 s on other data centers sharing the database).',
      access: ADMIN,
      pathParams: keyId,
      responses: { '200': { description: 'The key\'s record.', ok: { name: 'ApiKeyView', schema: ApiKeyViewSchema } } },
      errors: [401, 403, 404],
    },
    {
      method: 'get',
      path: '/api/v1/admin/auth-audit',
      operationId: 'listAuthAudit',
      tags: ['admin'],
      summary: 'The auth audit, newest first',
      access: ADMIN,
      query: {
        schema: AuditQuery,
        descriptions: { limit: 'Rows per page.', before: 'Only rows with a smaller id (the last id of the previous page).', userId: 'Only this account.', kind: 'Only this kind of entry.' },
      },
      responses: { '200': { description: 'Audit rows.', ok: { name: 'AuthAuditList', schema: z.array(AuthAuditViewSchema) } } },
      errors: [400, 401, 403],
    },
  ];
}
