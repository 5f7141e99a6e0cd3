import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { PanelTick } from './panel-tick';
import { Signal } from './use-wall-data';

describe('PanelTick', () => {
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance'] });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  const make = (frameWaitMs = 250) => {
    const signal = new Signal(0);
    const tick = new PanelTick(signal, { gapMs: 2000, frameWaitMs: () => frameWaitMs, now: () => performance.now() });
    return { signal, tick };
  };

  it('ticks after the frame that shows the change, not in the same task as the patch', () => {
    const { signal, tick } = make();
    vi.advanceTimersByTime(5000);
    tick.changed(1);
    vi.advanceTimersByTime(0);
    // the gap is long over, but the map has not drawn the change yet: the panels wait
    expect(signal.get()).toBe(0);
    vi.advanceTimersByTime(40);
    expect(signal.get()).toBe(0);
    tick.drawn(1);
    expect(signal.get()).toBe(1);
    // nothing more without another change
    vi.advanceTimersByTime(10_000);
    expect(signal.get()).toBe(1);
  });

  it('ticks at once when the change was drawn before the gap ended', () => {
    const { signal, tick } = make();
    vi.advanceTimersByTime(5000);
    tick.changed(1);
    tick.drawn(1);
    vi.advanceTimersByTime(0);
    expect(signal.get()).toBe(1);
    // the next change within the gap: drawn at once, ticks when the gap is over
    vi.advanceTimersByTime(500);
    tick.changed(2);
    tick.drawn(2);
    vi.advanceTimersByTime(1499);
    expect(signal.get()).toBe(1);
    vi.advanceTimersByTime(1);
    expect(signal.get()).toBe(2);
  });

  it('ticks after the frame wait when no frame comes (a hidden page)', () => {
    const { signal, tick } = make(250);
    vi.advanceTimersByTime(5000);
    tick.changed(1);
    vi.advanceTimersByTime(249);
    expect(signal.get()).toBe(0);
    vi.advanceTimersByTime(1);
    expect(signal.get()).toBe(1);
    // a frame after that changes nothing
    tick.drawn(1);
    expect(signal.get()).toBe(1);
  });

  it('under a stream of changes: at most one tick per gap, each waiting for the version it began with only', () => {
    const { signal, tick } = make(250);
    const at: number[] = [];
    signal.subscribe(() => at.push(performance.now()));
    const start = performance.now();
    // a change every 20 ms for 10 s, each drawn 60 ms after it (a newer change is always undrawn)
    for (let t = 0, v = 1; t < 10_000; t += 20, v++) {
      tick.changed(v);
      const drawnV = v;
      setTimeout(() => tick.drawn(drawnV), 60);
      vi.advanceTimersByTime(20);
    }
    vi.advanceTimersByTime(1000);
    const times = at.map((x) => x - start);
    // the first waits for its frame (60 ms), then one per gap plus the wait for that gap's change (≤ 60 ms)
    expect(times[0]).toBe(60);
    for (let i = 1; i < times.length; i++) {
      const gap = times[i]! - times[i - 1]!;
      expect(gap).toBeGreaterThanOrEqual(2000);
      expect(gap).toBeLessThanOrEqual(2060);
    }
    // 11 s: at 60 ms, then every 2,040–2,060 ms
    expect(times.length).toBe(6);
  });

  it('stop ends any wait', () => {
    const { signal, tick } = make();
    vi.advanceTimersByTime(5000);
    tick.changed(1);
    vi.advanceTimersByTime(0);
    tick.stop();
    tick.drawn(1);
    vi.advanceTimersByTime(5000);
    expect(signal.get()).toBe(0);
  });
});
