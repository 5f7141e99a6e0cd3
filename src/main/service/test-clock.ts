import type { Clock } from './clock';

/**
 * A clock whose time moves only by `advance`, for tests of what takes a Clock (clock.test.ts, the web host's
 * child supervisor): a loaded machine's slowness cannot use up a timeout the test is about. Test-only.
 */
export function manualClock(): Clock & { advance(ms: number): void } {
  let now = 0;
  const timers = new Set<{ at: number; fn: () => void }>();
  return {
    now: () => now,
    setTimeout(fn, ms) {
      const t = { at: now + ms, fn };
      timers.add(t);
      return () => void timers.delete(t);
    },
    advance(ms) {
      now += ms;
      for (const t of [...timers].sort((a, b) => a.at - b.at)) {
        if (t.at > now) break;
        timers.delete(t);
        t.fn();
      }
    },
  };
}
