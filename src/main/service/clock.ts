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

/**
 * A timeout that can stop counting (`pause`) and go on later with the time it had left (`resume`);
 * `clear` ends it for good. The hosts' wait for their embedded data center to get ready, stopped
 * while it migrates its store (src/main/datacenter-host.ts, src/main/web-host/embedded-datacenter.ts).
 */
export function pausableTimeout(ms: number, onExpire: () => void, clock: Clock = systemClock): { pause(): void; resume(): void; clear(): void } {
  let left = ms;
  let since = clock.now();
  let over = false;
  let cancel: (() => void) | null = null;
  const arm = () => {
    since = clock.now();
    cancel = clock.setTimeout(() => {
      over = true;
      cancel = null;
      onExpire();
    }, Math.max(0, left));
  };
  const pause = () => {
    if (!cancel) return;
    cancel();
    cancel = null;
    left -= clock.now() - since;
  };
  arm();
  return {
    pause,
    resume: () => {
      if (!cancel && !over) arm();
    },
    clear: () => {
      over = true;
      pause();
    },
  };
}
