/**
 * Access and refresh tokens.
 *
 * - **Access token**: a JWT (HS256, jose) valid for minutes, sent as `Authorization: Bearer …`.
 *   Claims: `sub` (account id), `sid` (session id), `name`, `role`, `org`, `scope`, `iat`, `exp`,
 *   `iss` = `huying-datacenter`, `aud` = `huying`. The server trusts the signature for identity
 *   and checks the session and the account in the database on use (see service.ts), so logout,
 *   a disabled account or a changed role take effect at once, not at expiry.
 * - **Refresh token**: opaque, `hyr_` + 256 random bits (base64url); only its SHA-256 is stored.
 *
 * The HMAC secret is either configured (`jwtSecret`, at least 32 bytes: several data centers
 * behind one name then agree without a database) or made once per database in
 * `auth_signing_keys`, where every data center on the same PostgreSQL finds it. Verification
 * looks the key up by `kid`, so a retired key keeps verifying the tokens it signed.
 */
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { isNull } from 'drizzle-orm';
import { errors as joseErrors, jwtVerify, SignJWT, type JWTPayload } from 'jose';
import { z } from 'zod';
import { AreaScope, HuyingError, Role } from '../../core';
import type { DbOrTx } from '../store/database';
import { authSigningKeys } from '../store/auth-schema';

export const TOKEN_ISSUER = 'huying-datacenter';
export const TOKEN_AUDIENCE = 'huying';
const ALG = 'HS256';
export const CONFIGURED_KID = 'configured';

export const AccessClaims = z.object({
  sub: z.string().min(1),
  sid: z.string().min(1),
  name: z.string(),
  role: Role,
  org: z.string().min(1),
  scope: AreaScope,
  iat: z.number().int(),
  exp: z.number().int(),
});
export type AccessClaims = z.infer<typeof AccessClaims>;

export interface SigningKey {
  kid: string;
  secret: Uint8Array;
}

export interface KeyRing {
  /** the key new tokens are signed with */
  current: SigningKey;
  /** every key that still verifies, by kid */
  byKid: ReadonlyMap<string, Uint8Array>;
}

/** The configured secret, or the database's keys (one is made on first use). */
export async function loadKeyRing(db: DbOrTx, configuredSecret: string | undefined, now: Date): Promise<KeyRing> {
  if (configuredSecret !== undefined) {
    const secret = new TextEncoder().encode(configuredSecret);
    if (secret.length < 32) throw new HuyingError('invalid_args', 'the JWT secret must have at least 32 bytes');
    const key = { kid: CONFIGURED_KID, secret };
    return { current: key, byKid: new Map([[key.kid, key.secret]]) };
  }
  let rows = await db.select().from(authSigningKeys);
  if (!rows.some((r) => r.retiredAt === null)) {
    // two data centers starting together: the first insert wins, both read the same key back
    await db
      .insert(authSigningKeys)
      .values({ kid: `k-${now.toISOString().slice(0, 10)}-${randomUUID().slice(0, 8)}`, secret: randomBytes(32).toString('base64'), createdAt: now.toISOString() })
      .onConflictDoNothing();
    rows = await db.select().from(authSigningKeys).where(isNull(authSigningKeys.retiredAt));
  }
  const active = rows.filter((r) => r.retiredAt === null).sort((a, b) => (a.createdAt < b.createdAt ? -1 : a.createdAt > b.createdAt ? 1 : a.kid < b.kid ? -1 : 1));
  // the oldest active key signs: racing starters that each inserted one still agree
  const current = active[0]!;
  const all = await db.select().from(authSigningKeys);
  return {
    current: { kid: current.kid, secret: Buffer.from(current.secret, 'base64') },
    byKid: new Map(all.map((r) => [r.kid, new Uint8Array(Buffer.from(r.secret, 'base64'))])),
  };
}

export async function signAccessToken(ring: KeyRing, claims: Omit<AccessClaims, 'iat' | 'exp'>, now: Date, ttlSeconds: number): Promise<{ token: string; expiresAt: Date }> {
  const iat = Math.floor(now.getTime() / 1000);
  const exp = iat + ttlSeconds;
  const token = await new SignJWT({ sid: claims.sid, name: claims.name, role: claims.role, org: claims.org, scope: claims.scope } satisfies JWTPayload)
    .setProtectedHeader({ alg: ALG, kid: ring.current.kid, typ: 'JWT' })
    .setSubject(claims.sub)
    .setIssuer(TOKEN_ISSUER)
    .setAudience(TOKEN_AUDIENCE)
    .setIssuedAt(iat)
    .setExpirationTime(exp)
    .sign(ring.current.secret);
  return { token, expiresAt: new Date(exp * 1000) };
}

/** Why a token was refused, in `error.details.reason` of a 401. */
export type TokenProblem = 'missing_token' | 'invalid_token' | 'token_expired';

export class TokenError extends HuyingError {
  constructor(
    readonly reason: TokenProblem | 'session_revoked' | 'session_expired' | 'account_disabled',
    message: string,
  ) {
    super('unauthenticated', message, { reason });
  }
}

/** Verifies signature, issuer, audience and expiry; returns the claims. */
export async function verifyAccessToken(ring: KeyRing, token: string, now: Date): Promise<AccessClaims> {
  let payload: JWTPayload;
  try {
    ({ payload } = await jwtVerify(
      token,
      (header) => {
        const key = header.kid ? ring.byKid.get(header.kid) : undefined;
        if (!key) throw new TokenError('invalid_token', 'the access token was signed with an unknown key');
        return key;
      },
      { algorithms: [ALG], issuer: TOKEN_ISSUER, audience: TOKEN_AUDIENCE, currentDate: now, requiredClaims: ['sub', 'exp', 'iat'] },
    ));
  } catch (err) {
    if (err instanceof TokenError) throw err;
    if (err instanceof joseErrors.JWTExpired) throw new TokenError('token_expired', 'the access token has expired: refresh it');
    throw new TokenError('invalid_token', 'the access token is not valid');
  }
  const claims = AccessClaims.safeParse(payload);
  if (!claims.success) throw new TokenError('invalid_token', 'the access token lacks claims');
  return claims.data;
}

export const REFRESH_TOKEN_PREFIX = 'hyr_';
export const API_KEY_PREFIX = 'hyk_';

export function newRefreshToken(): string {
  return REFRESH_TOKEN_PREFIX + randomBytes(32).toString('base64url');
}

export function newApiKey(): string {
  return API_KEY_PREFIX + randomBytes(32).toString('base64url');
}

/** SHA-256 hex: how refresh tokens and API keys are stored and looked up */
export function tokenHash(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}
