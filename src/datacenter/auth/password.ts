/**
 * Password hashing with Argon2id (RFC 9106), the memory-hard function OWASP recommends: a GPU or
 * ASIC guessing passwords needs the full memory per guess, which is what makes it expensive.
 *
 * Default parameters: m = 19 MiB, t = 2 passes, p = 1 lane, 16-byte random salt, 32-byte output
 * — OWASP's first Argon2id configuration. About 80 ms per hash on the 2-core reference machine,
 * run on libuv's thread pool (@node-rs/argon2 is asynchronous), so logins do not block the
 * event loop. Hashes are PHC strings (`$argon2id$v=19$m=19456,t=2,p=1$salt$hash`) that carry their
 * parameters: raising them later needs no migration; a login with an older hash re-hashes
 * (`needsRehash`).
 *
 * Tests lower the cost (`AuthOptions.argon2`); production never should.
 */
import { hash, parseOptions, verify } from '@node-rs/argon2';
import { HuyingError } from '../../core';

export interface Argon2Params {
  /** KiB of memory per hash */
  memoryCost: number;
  /** passes over the memory */
  timeCost: number;
  parallelism: number;
}

export const DEFAULT_ARGON2: Readonly<Argon2Params> = { memoryCost: 19_456, timeCost: 2, parallelism: 1 };

/** Argon2id, as the numeric value of @node-rs/argon2's const enum (isolatedModules cannot read const enums) */
const ARGON2ID = 2;

export async function hashPassword(password: string, params: Argon2Params = DEFAULT_ARGON2): Promise<string> {
  return hash(password.normalize('NFKC'), { algorithm: ARGON2ID, ...params });
}

/** False for a wrong password and for a hash that is not a valid PHC string. */
export async function verifyPassword(phc: string, password: string): Promise<boolean> {
  try {
    return await verify(phc, password.normalize('NFKC'));
  } catch {
    return false;
  }
}

/** True when the stored hash was made with other parameters than the current ones. */
export function needsRehash(phc: string, params: Argon2Params = DEFAULT_ARGON2): boolean {
  try {
    const o = parseOptions(phc);
    return o.algorithm !== ARGON2ID || o.memoryCost !== params.memoryCost || o.timeCost !== params.timeCost || o.parallelism !== params.parallelism;
  } catch {
    return true;
  }
}

export const PASSWORD_MIN_LENGTH = 10;
export const PASSWORD_MAX_LENGTH = 200;

/**
 * The password policy for accounts made or reset through the API and the CLI: length is what
 * matters (NIST SP 800-63B), so no composition rules; not the login itself.
 */
export function checkPasswordPolicy(password: string, login: string, field = 'password'): void {
  const problems: string[] = [];
  const length = [...password.normalize('NFKC')].length;
  if (length < PASSWORD_MIN_LENGTH) problems.push(`must have at least ${PASSWORD_MIN_LENGTH} characters`);
  if (length > PASSWORD_MAX_LENGTH) problems.push(`must have at most ${PASSWORD_MAX_LENGTH} characters`);
  if (password.trim().toLowerCase() === login.trim().toLowerCase()) problems.push('must not be the login');
  if (problems.length > 0) {
    throw new HuyingError('invalid_args', `the password ${problems.join(' and ')}`, problems.map((message) => ({ field, message })));
  }
}
