/**
 * Login throttling, per login and per client address.
 *
 * Each key (`login:<login>`, `ip:<address>`) counts failed logins. The first `free` failures
 * cost nothing (people mistype); every further failure locks the key for
 * `base · 2^(failures − free − 1)` seconds, capped at `max`. While a key is locked, logins on it
 * are answered 429 with `Retry-After` and the password is not even checked, so a lockout cannot
 * be used to keep guessing. A success clears the login's counter (not the address's, or one
 * valid account would reset an attacker's budget); counters of either kind are forgotten after
 * `window` seconds without a failure.
 *
 * Per login it stops guessing one account (5 free, then 30 s, 1 min, 2 min, … 15 min); per
 * address it stops spraying many accounts from one machine (30 free, same ladder), while an
 * office behind one NAT address still has room for typos.
 *
 * The counters live in the database (`login_attempts`), updated with one atomic upsert, so
 * concurrent guesses all count and several data centers on one PostgreSQL share them.
 */
import { inArray, sql } from 'drizzle-orm';
import type { DbOrTx } from '../store/database';
import { loginAttempts } from '../store/auth-schema';

export interface ThrottleRule {
  /** failures allowed before the first lockout */
  free: number;
  /** seconds of the first lockout */
  baseSeconds: number;
  /** longest lockout */
  maxSeconds: number;
  /** a counter is forgotten this long after its last failure */
  windowSeconds: number;
}

export interface ThrottlePolicy {
  login: ThrottleRule;
  ip: ThrottleRule;
}

export const DEFAULT_THROTTLE: ThrottlePolicy = {
  login: { free: 5, baseSeconds: 30, maxSeconds: 15 * 60, windowSeconds: 60 * 60 },
  ip: { free: 30, baseSeconds: 30, maxSeconds: 15 * 60, windowSeconds: 60 * 60 },
};

/** Seconds of lockout earned by the `failures`-th consecutive failure. */
export function lockoutSeconds(failures: number, rule: ThrottleRule): number {
  if (failures <= rule.free) return 0;
  const exponent = Math.min(failures - rule.free - 1, 30);
  return Math.min(rule.maxSeconds, rule.baseSeconds * 2 ** exponent);
}

export const loginKey = (login: string) => `login:${login}`;
export const ipKey = (ip: string) => `ip:${ip}`;

/** The longest lock in force on any of the keys, in whole seconds (0 when none). */
export async function lockedFor(db: DbOrTx, keys: readonly string[], now: Date): Promise<number> {
  const rows = await db.select({ lockedUntil: loginAttempts.lockedUntil }).from(loginAttempts).where(inArray(loginAttempts.key, [...keys]));
  let longest = 0;
  for (const r of rows) {
    if (!r.lockedUntil) continue;
    const ms = new Date(r.lockedUntil).getTime() - now.getTime();
    if (ms > 0) longest = Math.max(longest, Math.ceil(ms / 1000));
  }
  return longest;
}

/** Counts a failure on a key and sets the lockout it earned; returns the new count. */
export async function recordFailure(db: DbOrTx, key: string, rule: ThrottleRule, now: Date): Promise<number> {
  const at = now.toISOString();
  const forgetBefore = new Date(now.getTime() - rule.windowSeconds * 1000).toISOString();
  const [row] = await db
    .insert(loginAttempts)
    .values({ key, failures: 1, firstFailureAt: at, lastFailureAt: at })
    .onConflictDoUpdate({
      target: loginAttempts.key,
      set: {
        failures: sql`case when ${loginAttempts.lastFailureAt} < ${forgetBefore} then 1 else ${loginAttempts.failures} + 1 end`,
        firstFailureAt: sql`case when ${loginAttempts.lastFailureAt} < ${forgetBefore} then ${at}::timestamptz else ${loginAttempts.firstFailureAt} end`,
        lastFailureAt: at,
        lockedUntil: null,
      },
    })
    .returning({ failures: loginAttempts.failures });
  const failures = row!.failures;
  const lock = lockoutSeconds(failures, rule);
  if (lock > 0) {
    await db
      .update(loginAttempts)
      .set({ lockedUntil: new Date(now.getTime() + lock * 1000).toISOString() })
      .where(sql`${loginAttempts.key} = ${key}`);
  }
  return failures;
}

/** Deletes counters that are forgotten anyway (no failure within the longest window, no lock in force). */
export async function pruneFailures(db: DbOrTx, policy: ThrottlePolicy, now: Date): Promise<number> {
  const window = Math.max(policy.login.windowSeconds, policy.ip.windowSeconds);
  const before = new Date(now.getTime() - window * 1000).toISOString();
  const gone = await db
    .delete(loginAttempts)
    .where(sql`${loginAttempts.lastFailureAt} < ${before} and (${loginAttempts.lockedUntil} is null or ${loginAttempts.lockedUntil} < ${now.toISOString()})`)
    .returning({ key: loginAttempts.key });
  return gone.length;
}

export async function clearFailures(db: DbOrTx, key: string): Promise<void> {
  await db.delete(loginAttempts).where(sql`${loginAttempts.key} = ${key}`);
}
