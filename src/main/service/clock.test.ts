import { describe, expect, it } from 'vitest';
import { pausableTimeout } from './clock';
import { manualClock } from './test-clock';

describe('pausableTimeout', () => {
  it('does not count while paused and goes on with the time it had left', () => {
    const clock = manualClock();
    let expired = 0;
    const t = pausableTimeout(1000, () => expired++, clock);
    clock.advance(600);
    t.pause();
    clock.advance(60_000);
    expect(expired).toBe(0);
    t.resume();
    clock.advance(399);
    expect(expired).toBe(0);
    clock.advance(1);
    expect(expired).toBe(1);
    // over: a resume after it expired does not start it again
    t.resume();
    clock.advance(10_000);
    expect(expired).toBe(1);
  });

  it('never expires once cleared, even when resumed', () => {
    const clock = manualClock();
    let expired = 0;
    const t = pausableTimeout(1000, () => expired++, clock);
    t.clear();
    t.resume();
    clock.advance(5000);
    expect(expired).toBe(0);
  });
});
