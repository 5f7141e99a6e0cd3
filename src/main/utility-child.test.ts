/**
 * The restart loop shared by main's utilityProcess supervisors, with in-memory children and fake timers: only the
 * current child's events count, the backoff grows and starts over after a stable run, the caller may give up, a
 * fork that throws is an exit -1, the ready deadline fires only for a child not ready, stop() ends it all.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { FakeUtilityChild } from './test/fake-utility-child';
import { backoffDelay, superviseUtilityChild, type UtilityChildSupervisionOptions } from './utility-child';

let children: FakeUtilityChild[];
let events: string[];
const supervise = (over: Partial<UtilityChildSupervisionOptions> = {}) =>
  superviseUtilityChild({
    fork: () => {
      const c = new FakeUtilityChild();
      children.push(c);
      return c;
    },
    initialBackoffMs: 1000,
    maxBackoffMs: 4000,
    stableAfterMs: 60_000,
    readyTimeoutMs: 10_000,
    onStarting: () => events.push('starting'),
    onMessage: (m) => events.push(`message ${JSON.stringify(m)}`),
    onForkFailed: (err) => events.push(`fork failed ${(err as Error).message}`),
    onReadyTimeout: (c) => events.push(`not ready ${children.indexOf(c as FakeUtilityChild)}`),
    onExit: (code, ms) => {
      events.push(`exit ${code} restart in ${ms}`);
      return 'restart';
    },
    ...over,
  });

beforeEach(() => {
  vi.useFakeTimers();
  children = [];
  events = [];
});
afterEach(() => {
  vi.useRealTimers();
});

describe('superviseUtilityChild', () => {
  it("forks again after the caller's own delay when it says so, leaving the backoff's count as it was", async () => {
    const decisions: ('restart' | { restartInMs: number })[] = [{ restartInMs: 30_000 }, { restartInMs: 30_000 }, 'restart'];
    const s = supervise({
      onExit: (code, ms) => {
        events.push(`exit ${code} restart in ${ms}`);
        return decisions.shift() ?? 'restart';
      },
    });
    s.start();
    children[0]!.emit('exit', 3);
    await vi.advanceTimersByTimeAsync(29_999);
    expect(children).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(children).toHaveLength(2);
    children[1]!.emit('exit', 3);
    await vi.advanceTimersByTimeAsync(30_000);
    expect(children).toHaveLength(3);
    // the first ordinary exit still waits the first backoff: the caller's delays did not count as attempts
    children[2]!.emit('exit', 1);
    await vi.advanceTimersByTimeAsync(1000);
    expect(children).toHaveLength(4);
    expect(events.filter((e) => e.startsWith('exit'))).toEqual(['exit 3 restart in 1000', 'exit 3 restart in 1000', 'exit 1 restart in 1000']);
    expect(s.restarts).toBe(3);
    s.stop();
  });

  it('forks again after a growing, capped backoff, back to the first delay after a stable run; an old child is not heard', async () => {
    const s = supervise();
    s.start();
    expect(s.child).toBe(children[0]);
    children[0]!.emit('message', { t: 'hello' });
    children[0]!.emit('exit', 1);
    expect(s.child).toBeNull();
    // a late event of the child that exited
    children[0]!.emit('message', { t: 'late' });
    children[0]!.emit('exit', 1);
    await vi.advanceTimersByTimeAsync(999);
    expect(children).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(children).toHaveLength(2);
    children[1]!.emit('exit', 1);
    await vi.advanceTimersByTimeAsync(2000);
    children[2]!.emit('exit', 1);
    await vi.advanceTimersByTimeAsync(4000);
    children[3]!.emit('exit', 1);
    await vi.advanceTimersByTimeAsync(4000);
    expect(s.restarts).toBe(4);
    // ready, but not for long: the backoff goes on
    s.ready();
    await vi.advanceTimersByTimeAsync(59_999);
    children[4]!.emit('exit', 2);
    await vi.advanceTimersByTimeAsync(4000);
    // ready a minute: the next exit is a first failure
    s.ready();
    await vi.advanceTimersByTimeAsync(60_000);
    children[5]!.emit('exit', 3);
    expect(events).toEqual([
      'starting',
      'message {"t":"hello"}',
      'exit 1 restart in 1000',
      'starting',
      'exit 1 restart in 2000',
      'starting',
      'exit 1 restart in 4000',
      'starting',
      'exit 1 restart in 4000',
      'starting',
      'exit 2 restart in 4000',
      'starting',
      'exit 3 restart in 1000',
    ]);
    s.stop();
  });

  it('leaves the child down when the caller gives up, until start() again', async () => {
    const s = supervise({ onExit: (code) => (code === 2 ? 'give-up' : 'restart') });
    s.start();
    children[0]!.emit('exit', 2);
    await vi.advanceTimersByTimeAsync(600_000);
    expect(children).toHaveLength(1);
    expect(s.child).toBeNull();
    expect(s.restarts).toBe(0);
  });

  it('counts a fork that throws as an exit -1, with the backoff', async () => {
    let forks = 0;
    const s = supervise({
      fork: () => {
        if (++forks === 1) throw new Error('no such file');
        const c = new FakeUtilityChild();
        children.push(c);
        return c;
      },
    });
    s.start();
    expect(events).toEqual(['starting', 'fork failed no such file']);
    await vi.advanceTimersByTimeAsync(0);
    expect(events.at(-1)).toBe('exit -1 restart in 1000');
    await vi.advanceTimersByTimeAsync(1000);
    expect(children).toHaveLength(1);
    expect(s.restarts).toBe(1);
    s.stop();
  });

  it('calls the ready deadline only for the current child not ready, and stop() ends restarts and deadline', async () => {
    const s = supervise();
    s.start();
    await vi.advanceTimersByTimeAsync(10_000);
    expect(events.at(-1)).toBe('not ready 0');
    children[0]!.emit('exit', 1);
    await vi.advanceTimersByTimeAsync(1000);
    s.ready();
    await vi.advanceTimersByTimeAsync(10_000);
    expect(events.filter((e) => e.startsWith('not ready'))).toEqual(['not ready 0']);
    // a restart pending and a deadline running: stop() clears both, and the exit that follows is the caller's
    children[1]!.emit('exit', 1);
    expect(s.stop()).toBeNull();
    await vi.advanceTimersByTimeAsync(600_000);
    expect(children).toHaveLength(2);

    const t = supervise();
    t.start();
    const running = children[2]!;
    expect(t.stop()).toBe(running);
    running.emit('exit', 0);
    await vi.advanceTimersByTimeAsync(600_000);
    expect(children).toHaveLength(3);
    expect(events.filter((e) => e.startsWith('not ready') || e === 'exit 0 restart in 1000')).toEqual(['not ready 0']);
  });

  it('computes the backoff: initial · 2^attempt, capped', () => {
    expect([0, 1, 2, 3, 10, 100].map((a) => backoffDelay(a, 500, 30_000))).toEqual([500, 1000, 2000, 4000, 30_000, 30_000]);
  });
});
