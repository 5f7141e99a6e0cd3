import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { FrameSync } from './frame-sync';

describe('FrameSync', () => {
  beforeEach(() => void vi.useFakeTimers());
  afterEach(() => void vi.useRealTimers());

  it('runs an update at once when the map has no frame on its way', () => {
    const sync = new FrameSync({ maxWaitMs: 5000 });
    const shown: number[] = [];
    sync.schedule('a', () => shown.push(1));
    expect(shown).toEqual([1]);
    sync.requested();
    sync.frame();
    sync.schedule('a', () => shown.push(2));
    expect(shown).toEqual([1, 2]);
    expect(sync.stats).toEqual({ inFrame: 0, atOnce: 2, ranOut: 0 });
  });

  it('holds an update for the frame the map asked for, and runs it inside that frame after the map', () => {
    const sync = new FrameSync({ maxWaitMs: 5000 });
    const order: string[] = [];
    sync.requested();
    sync.schedule('kpis', () => order.push('kpis'));
    vi.advanceTimersByTime(3000);
    expect(order).toEqual([]);
    sync.frame(() => order.push('map'));
    expect(order).toEqual(['map', 'kpis']);
    expect(sync.stats.inFrame).toBe(1);
    // nothing left for the limit to run
    vi.advanceTimersByTime(5000);
    expect(order).toEqual(['map', 'kpis']);
  });

  it('keeps the newest update per key, and each key once', () => {
    const sync = new FrameSync({ maxWaitMs: 5000 });
    const shown: string[] = [];
    sync.requested();
    sync.schedule('latency', () => shown.push('latency 1'));
    sync.schedule('open', () => shown.push('open 1'));
    sync.schedule('latency', () => shown.push('latency 2'));
    sync.frame();
    expect(shown).toEqual(['latency 2', 'open 1']);
  });

  it('runs at once what is scheduled while the map draws (an update its frame set off)', () => {
    const sync = new FrameSync({ maxWaitMs: 5000 });
    const shown: string[] = [];
    sync.requested();
    sync.frame(() => {
      // the map asks for its next frame while drawing this one; the update still goes with this one
      sync.requested();
      sync.schedule('latency', () => shown.push('latency'));
    });
    expect(shown).toEqual(['latency']);
    expect(sync.stats.inFrame).toBe(1);
    // the frame asked for during the draw is awaited now
    expect(sync.waiting).toBe(true);
  });

  it('does not hold longer than the limit when the frame does not come (a hidden page)', () => {
    const sync = new FrameSync({ maxWaitMs: 2000 });
    const shown: string[] = [];
    sync.requested();
    sync.schedule('a', () => shown.push('a'));
    vi.advanceTimersByTime(1999);
    expect(shown).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(shown).toEqual(['a']);
    expect(sync.stats.ranOut).toBe(1);
    // that frame is given up: the next update goes at once, until the map asks for a frame again
    sync.schedule('b', () => shown.push('b'));
    expect(shown).toEqual(['a', 'b']);
    sync.requested();
    sync.schedule('c', () => shown.push('c'));
    expect(shown).toEqual(['a', 'b']);
    sync.frame();
    expect(shown).toEqual(['a', 'b', 'c']);
  });

  it('drops a cancelled update', () => {
    const sync = new FrameSync({ maxWaitMs: 2000 });
    const shown: string[] = [];
    sync.requested();
    sync.schedule('a', () => shown.push('a'));
    sync.cancel('a');
    sync.frame();
    vi.advanceTimersByTime(5000);
    expect(shown).toEqual([]);
  });

  it('measures what a frame takes from being asked for to drawn', () => {
    let t = 0;
    const sync = new FrameSync({ maxWaitMs: 5000, now: () => t });
    expect(sync.frameMs).toBe(0);
    sync.requested();
    t = 40;
    // asked again before it is drawn: the frame is timed from the first ask
    sync.requested();
    t = 2000;
    sync.frame();
    expect(sync.frameMs).toBe(2000);
    // a frame nobody asked for (a camera move) is not timed
    t = 9000;
    sync.frame();
    expect(sync.frameMs).toBe(2000);
    for (let i = 0; i < 20; i++) {
      sync.requested();
      t += 20;
      sync.frame();
    }
    expect(sync.frameMs).toBeLessThan(25);
  });
});
