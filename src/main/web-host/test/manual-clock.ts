import type { Clock } from '../../service/clock';

/**
 * A clock whose time moves only by `advance`: the supervisor's ready deadline and stop grace in tests,
 * so that a loaded machine's slow child start-up cannot use up a timeout the test is about (the same
 * clock as src/main/service/clock.test.ts's).
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
