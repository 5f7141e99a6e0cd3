/**
 * Delays between sync attempts. Retries double from `initialMs` up to `maxMs`
 * with "equal jitter" (half fixed, half random), so a district's worth of
 * desktops that lost the data center together do not all knock again in the
 * same second; a healthy poll is spread ±10 %.
 */
export interface BackoffPolicy {
  initialMs: number;
  maxMs: number;
}

/** `failures` ≥ 1: the number of consecutive failed attempts so far. */
export function retryDelay(failures: number, policy: BackoffPolicy, random: () => number): number {
  const exp = Math.min(policy.maxMs, policy.initialMs * 2 ** Math.max(0, failures - 1));
  return Math.round(exp / 2 + random() * (exp / 2));
}

export function pollDelay(intervalMs: number, random: () => number): number {
  return Math.round(intervalMs * (0.9 + 0.2 * random()));
}

/**
 * The wait after a failed attempt: the usual backoff, or longer when the data center said when to come
 * back (`Retry-After`), but never beyond the policy's cap — a wrong header must not park a desktop for hours.
 */
export function failureDelay(failures: number, policy: BackoffPolicy, random: () => number, retryAfterMs: number | null = null): number {
  const backoff = retryDelay(failures, policy, random);
  return retryAfterMs === null ? backoff : Math.max(backoff, Math.min(retryAfterMs, policy.maxMs));
}
