/**
 * Time as a port, so the sync's polling and backoff can be driven by a fake
 * clock in tests instead of waiting for real seconds.
 */
export interface Clock {
  /** milliseconds since the epoch */
  now(): number;
  /** runs `fn` after `ms`; returns a function that cancels it */
  setTimeout(fn: () => void, ms: number): () => void;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout(fn, ms) {
    const timer = setTimeout(fn, ms);
    // A pending poll must not keep a process alive that is otherwise done.
    timer.unref();
    return () => clearTimeout(timer);
  },
};
