// @vitest-environment happy-dom
import { act, renderHook } from '@testing-library/react';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { FrameSync } from '../map/frame-sync';
import type { RpcClient } from '../../core/rpc/wire';
import { Signal, useHour, usePolledSignal, useSignalEvery, useStable } from './use-wall-data';

describe('useSignalEvery', () => {
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance', 'Date'] });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('passes the first value on at once, then at most one value per gap, the newest at its end', () => {
    const signal = new Signal('a');
    const rerender = ({ v }: { v: string }) => act(() => signal.set(v));
    const { result } = renderHook(() => useSignalEvery(signal, 10_000));
    expect(result.current).toBe('a');
    // the first change goes through at once, however soon after the page opened (a chart's first figures)
    act(() => vi.advanceTimersByTime(300));
    rerender({ v: 'b' });
    act(() => vi.advanceTimersByTime(0));
    expect(result.current).toBe('b');
    // then changes every 2 s: nothing shown until the gap is over, and then the newest
    for (const v of ['c', 'd', 'e', 'f']) {
      act(() => vi.advanceTimersByTime(2_000));
      rerender({ v });
      expect(result.current).toBe('b');
    }
    act(() => vi.advanceTimersByTime(2_000));
    expect(result.current).toBe('f');
    rerender({ v: 'g' });
    act(() => vi.advanceTimersByTime(9_000));
    expect(result.current).toBe('f');
    act(() => vi.advanceTimersByTime(1_000));
    expect(result.current).toBe('g');
  });

  it("shows a value with the map's next frame when the map has one on its way, and renders it in that frame", () => {
    const frames = new FrameSync({ maxWaitMs: 5_000 });
    const signal = new Signal(1);
    const { result } = renderHook(() => useSignalEvery(signal, 1_000, frames));
    act(() => vi.advanceTimersByTime(1_000));
    // no frame coming: at once, as without frames
    act(() => signal.set(2));
    act(() => vi.advanceTimersByTime(0));
    expect(result.current).toBe(2);
    // the map asked for a frame (a patch handed over): the next value waits for it, past its gap
    frames.requested();
    act(() => signal.set(3));
    act(() => vi.advanceTimersByTime(3_000));
    expect(result.current).toBe(2);
    act(() => frames.frame());
    expect(result.current).toBe(3);
    expect(frames.stats.inFrame).toBe(1);
    // past the gap, a change made while the map draws (the latency of the frame) shows in that frame
    act(() => vi.advanceTimersByTime(1_000));
    frames.requested();
    act(() => frames.frame(() => signal.set(4)));
    expect(result.current).toBe(4);
    // and one made once the map asked for its next frame (a patch's open count) waits for that frame
    act(() => vi.advanceTimersByTime(1_000));
    frames.requested();
    act(() => signal.set(5));
    expect(result.current).toBe(4);
    act(() => frames.frame());
    expect(result.current).toBe(5);
    // a frame that never comes (a hidden page): shown after the limit
    frames.requested();
    act(() => vi.advanceTimersByTime(1_000));
    act(() => signal.set(6));
    act(() => vi.advanceTimersByTime(1_000));
    expect(result.current).toBe(5);
    act(() => vi.advanceTimersByTime(5_000));
    expect(result.current).toBe(6);
  });
});

describe('useStable', () => {
  it('keeps the value given before while a new one is equal to it, and takes one that differs', () => {
    const first = { counts: [1, 2] };
    const { result, rerender } = renderHook(({ v }) => useStable(v), { initialProps: { v: first } });
    expect(result.current).toBe(first);
    rerender({ v: { counts: [1, 2] } });
    expect(result.current).toBe(first);
    const moved = { counts: [1, 3] };
    rerender({ v: moved });
    expect(result.current).toBe(moved);
    rerender({ v: { counts: [1, 3] } });
    expect(result.current).toBe(moved);
  });
});

describe('usePolledSignal', () => {
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'performance', 'Date'] });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('asks at once, in the trigger’s own task, once the gap is over; within it, at its end', async () => {
    const asked: number[] = [];
    const client = {
      invoke: () => {
        asked.push(performance.now());
        return Promise.resolve({ n: asked.length });
      },
      subscribe: () => () => undefined,
    } as unknown as RpcClient;
    const trigger = new Signal(0);
    renderHook(() => usePolledSignal(client, 'stats/kpis', { period: 'today' }, { trigger, minGapMs: 2_000 }));
    expect(asked).toHaveLength(1);
    await act(async () => {
      await vi.advanceTimersByTimeAsync(5_000);
    });
    // past the gap: the request goes out before the trigger returns, with no timer in between
    trigger.set(1);
    expect(asked).toHaveLength(2);
    await act(async () => {
      await vi.advanceTimersByTimeAsync(500);
    });
    // within the gap: at its end
    trigger.set(2);
    expect(asked).toHaveLength(2);
    await act(async () => {
      await vi.advanceTimersByTimeAsync(1_500);
    });
    expect(asked).toHaveLength(3);
    expect(asked[2]! - asked[1]!).toBe(2_000);
  });
});

describe('useHour', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it("is the district's hour, and turns at the district's next hour", () => {
    // 16:17 Saturday UTC is 00:17 Sunday in Huadu: the wall's current hour is 0, whatever the machine's zone
    vi.useFakeTimers({ now: Date.parse('2026-11-28T16:17:00Z'), toFake: ['setTimeout', 'clearTimeout', 'Date'] });
    const { result, unmount } = renderHook(() => useHour());
    expect(result.current).toBe(0);
    act(() => vi.advanceTimersByTime(42 * 60_000));
    expect(result.current).toBe(0);
    act(() => vi.advanceTimersByTime(60_000 + 50)); // the hook wakes 50 ms past the hour
    expect(result.current).toBe(1);
    act(() => vi.advanceTimersByTime(22 * 3_600_000));
    expect(result.current).toBe(23);
    act(() => vi.advanceTimersByTime(3_600_000));
    expect(result.current).toBe(0);
    unmount();
  });
});
