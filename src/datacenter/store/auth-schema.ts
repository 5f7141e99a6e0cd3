/**
 * The auth tables of the data center (drizzle pg-core). None of them is replicated to desktops:
 * they hold password hashes, token hashes and who-logged-in-when, which stay on the server.
 *
 * - `users`: accounts with a role (src/core/workflow/roles.ts `Role`), an area scope
 *   (district / town / village code) and the organisation (unit id) they act for. Passwords are
 *   Argon2id PHC strings (src/datacenter/auth/password.ts). `demo` marks the accounts the demo
 *   seed made: the auth service refuses them unless the data center runs in demo mode, so a
 *   database that was once seeded for a demo never lets `admin / huying-demo` into production.
 * - `auth_sessions` + `refresh_tokens`: a session is one login (the "family" of its refresh
 *   tokens). Refresh tokens are opaque, stored as SHA-256 hashes, and rotate: each refresh marks
 *   the presented token used and issues the next. A used token presented again is a stolen copy
 *   or a replay, so the whole session is revoked (reuse detection). Access tokens carry the
 *   session id, so revoking a session also stops its access tokens at once.
 * - `login_attempts`: failure counters per login and per client address, with the lockout they
 *   earned (exponential, capped); the row is updated atomically, so concurrent guesses count.
 * - `api_keys`: one row per key; each key belongs to exactly one source system (an intake
 *   source name) and carries scopes. Keys are 256-bit random strings, so a SHA-256 hash is as
 *   good as a slow hash here and costs microseconds per intake request.
 * - `auth_signing_keys`: HMAC secrets for access tokens, made once per database (several data
 *   centers on one PostgreSQL share them), with a `kid` so a key can be rotated.
 * - `auth_audit`: append-only record of logins, failures, lockouts, token reuse and account/key
 *   administration. Nothing updates or deletes it.
 *
 * Enumerations are `text` + CHECK, like the rest of the store (a later migration can widen them).
 */
import { sql } from 'drizzle-orm';
import { bigserial, boolean, check, index, integer, jsonb, pgTable, text, timestamp, uniqueIndex } from 'drizzle-orm/pg-core';

export const ROLE_VALUES = ['admin', 'supervisor', 'duty_officer', 'intake_agent', 'wall_viewer', 'unit_operator'] as const;
export const SCOPE_LEVELS = ['district', 'town', 'village'] as const;
export const API_KEY_SCOPES = ['intake'] as const;
export type ApiKeyScope = (typeof API_KEY_SCOPES)[number];

export const AUTH_AUDIT_KINDS = [
  'login_ok',
  'login_failed',
  'login_throttled',
  'refresh',
  'refresh_reuse',
  'logout',
  'password_changed',
  'user_created',
  'user_updated',
  'password_reset',
  'api_key_created',
  'api_key_disabled',
  'api_key_refused',
] as const;
export type AuthAuditKind = (typeof AUTH_AUDIT_KINDS)[number];

const ts = (name: string) => timestamp(name, { withTimezone: true, mode: 'string' });
const inList = (values: readonly string[]) => sql.raw(values.map((v) => `'${v}'`).join(', '));

/** 账号 accounts */
export const users = pgTable(
  'users',
  {
    id: text('id').primaryKey(),
    /** what the person types, stored lower-case (NFKC); unique */
    login: text('login').notNull(),
    displayName: text('display_name').notNull(),
    role: text('role', { enum: ROLE_VALUES }).notNull(),
    scopeLevel: text('scope_level', { enum: SCOPE_LEVELS }).notNull(),
    /** 6-digit district code or 12-digit town/village code */
    scopeCode: text('scope_code').notNull(),
    /** the unit the person acts for, e.g. `dept-cg`, `town-440114001000`, `district-440114` */
    organisationId: text('organisation_id').notNull(),
    /** Argon2id PHC string */
    passwordHash: text('password_hash').notNull(),
    disabled: boolean('disabled').notNull().default(false),
    /** made by the demo seed: refused unless the data center runs in demo mode */
    demo: boolean('demo').notNull().default(false),
    createdAt: ts('created_at').notNull(),
    updatedAt: ts('updated_at').notNull(),
    passwordChangedAt: ts('password_changed_at').notNull(),
  },
  (t) => [
    uniqueIndex('users_login_key').on(t.login),
    check('users_role_values', sql`${t.role} in (${inList(ROLE_VALUES)})`),
    check('users_scope_level_values', sql`${t.scopeLevel} in (${inList(SCOPE_LEVELS)})`),
    check(
      'users_scope_code_format',
      sql`(${t.scopeLevel} = 'district' and ${t.scopeCode} ~ '^[0-9]{6}$') or (${t.scopeLevel} <> 'district' and ${t.scopeCode} ~ '^[0-9]{12}$')`,
    ),
    check('users_login_format', sql`${t.login} = lower(${t.login}) and length(${t.login}) between 2 and 64`),
  ],
);

/** One login: the family of its rotating refresh tokens. */
export const authSessions = pgTable(
  'auth_sessions',
  {
    id: text('id').primaryKey(),
    userId: text('user_id')
      .notNull()
      .references(() => users.id),
    createdAt: ts('created_at').notNull(),
    lastRefreshedAt: ts('last_refreshed_at').notNull(),
    /** no refresh after this, whatever the tokens say (absolute session lifetime) */
    expiresAt: ts('expires_at').notNull(),
    revokedAt: ts('revoked_at'),
    /** logout, reuse_detected, password_reset, disabled, … */
    revokedReason: text('revoked_reason'),
    ip: text('ip'),
    userAgent: text('user_agent'),
  },
  (t) => [index('auth_sessions_user_id_idx').on(t.userId), check('auth_sessions_revoked_with_reason', sql`(${t.revokedAt} is null) = (${t.revokedReason} is null)`)],
);

export const refreshTokens = pgTable(
  'refresh_tokens',
  {
    /** SHA-256 (hex) of the opaque token; the token itself is never stored */
    tokenHash: text('token_hash').primaryKey(),
    sessionId: text('session_id')
      .notNull()
      .references(() => authSessions.id),
    issuedAt: ts('issued_at').notNull(),
    expiresAt: ts('expires_at').notNull(),
    /** set when the token was exchanged for the next one; presenting it again revokes the session */
    usedAt: ts('used_at'),
  },
  (t) => [index('refresh_tokens_session_id_idx').on(t.sessionId)],
);

/** Failure counters for login throttling; `key` is `login:<login>` or `ip:<address>`. */
export const loginAttempts = pgTable('login_attempts', {
  key: text('key').primaryKey(),
  failures: integer('failures').notNull(),
  firstFailureAt: ts('first_failure_at').notNull(),
  lastFailureAt: ts('last_failure_at').notNull(),
  /** no password is even checked for this key before then */
  lockedUntil: ts('locked_until'),
});

/** API keys of source systems */
export const apiKeys = pgTable(
  'api_keys',
  {
    id: text('id').primaryKey(),
    /** SHA-256 (hex) of the key */
    keyHash: text('key_hash').notNull(),
    /** the first characters of the key, to recognise it in lists and logs */
    keyPrefix: text('key_prefix').notNull(),
    /** the intake source system the key belongs to (`hotline_12345`, `open311`, …) */
    source: text('source').notNull(),
    name: text('name').notNull(),
    scopes: jsonb('scopes').$type<ApiKeyScope[]>().notNull(),
    demo: boolean('demo').notNull().default(false),
    createdAt: ts('created_at').notNull(),
    createdBy: text('created_by'),
    lastUsedAt: ts('last_used_at'),
    disabledAt: ts('disabled_at'),
  },
  (t) => [uniqueIndex('api_keys_key_hash_key').on(t.keyHash), index('api_keys_source_idx').on(t.source)],
);

/** HMAC secrets that sign access tokens (HS256) */
export const authSigningKeys = pgTable('auth_signing_keys', {
  kid: text('kid').primaryKey(),
  /** base64 of 32 random bytes */
  secret: text('secret').notNull(),
  createdAt: ts('created_at').notNull(),
  /** no longer used to sign; still accepted until the tokens it signed have expired */
  retiredAt: ts('retired_at'),
});

/** append-only: logins, failures, lockouts, token reuse, account and key administration */
export const authAudit = pgTable(
  'auth_audit',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    at: ts('at').notNull(),
    kind: text('kind', { enum: AUTH_AUDIT_KINDS }).notNull(),
    /** the account concerned (null for an unknown login) */
    userId: text('user_id'),
    /** the login as typed (normalised), for failures of unknown logins */
    login: text('login'),
    /** who did it, when an admin acted on someone else */
    actorId: text('actor_id'),
    ip: text('ip'),
    detail: jsonb('detail').$type<Record<string, unknown>>(),
  },
  (t) => [
    index('auth_audit_at_idx').on(t.at),
    index('auth_audit_user_id_idx').on(t.userId),
    check('auth_audit_kind_values', sql`${t.kind} in (${inList(AUTH_AUDIT_KINDS)})`),
  ],
);
