import { describe, expect, it } from 'vitest';
import { FrameGovernor } from './frame-governor';

const feed = (g: FrameGovernor, cost: number, n = 20) => {
  for (let i = 0; i < n; i++) g.record(cost);
};

describe('FrameGovernor', () => {
  it('animates at the target rate when frames are cheap', () => {
    const g = new FrameGovernor(24);
    feed(g, 4);
    expect(g.fps).toBe(24);
    expect(g.intervalMs).toBeCloseTo(1000 / 24);
  });

  it('spends at most a quarter of the time on animation when frames are dear', () => {
    const g = new FrameGovernor(24);
    feed(g, 50);
    expect(g.fps).toBeCloseTo(5, 1);
    feed(g, 1000);
    expect(g.fps).toBeCloseTo(0.25, 2);
    expect(g.fps * g.frameCostMs).toBeLessThanOrEqual(250.5);
  });

  it('never stops altogether, and recovers when frames get cheap again', () => {
    const g = new FrameGovernor(20);
    feed(g, 30_000);
    expect(g.fps).toBe(0.2);
    feed(g, 2, 30);
    expect(g.fps).toBe(20);
  });

  it('ignores nonsense samples', () => {
    const g = new FrameGovernor(24);
    g.record(Number.NaN);
    g.record(-5);
    expect(g.fps).toBe(24);
    expect(g.frameCostMs).toBe(0);
  });
});
