import { describe, expect, it } from 'vitest';
import type { WallAlert } from '../../core/rpc/wall';
import { alertView, initialAlerts, pendingAlerts, stepAlerts, type AlertMachine } from './alerts';

const T0 = Date.parse('2024-05-01T08:00:00Z');
const iso = (ms: number) => new Date(ms).toISOString();

function alert(id: string, raisedAt: number, acked: number | null = null): WallAlert {
  return {
    id,
    kind: 'one_key',
    eventId: `ev-${id}`,
    caseNo: null,
    title: `求助 ${id}`,
    address: null,
    location: [113.2, 23.4],
    townCode: null,
    gridCode: null,
    raisedAt: iso(raisedAt),
    respondBy: iso(raisedAt + 180_000),
    ackedAt: acked === null ? null : iso(acked),
    ackedBy: acked === null ? null : { id: 'u1', name: '张敏' },
  };
}

function run(m: AlertMachine, ...inputs: Parameters<typeof stepAlerts>[1][]) {
  const effects = [];
  for (const input of inputs) {
    const r = stepAlerts(m, input);
    m = r.machine;
    effects.push(r.effects);
  }
  return { m, effects };
}

describe('alert takeover', () => {
  it('a new alert takes over: fly there once, sound at once', () => {
    const { m, effects } = run(initialAlerts, { type: 'alerts', alerts: [alert('a', T0)], now: T0 + 1000 });
    expect(m.phase).toBe('takeover');
    expect(effects[0]).toEqual({ flyTo: expect.objectContaining({ id: 'a' }), sound: true });
    const v = alertView(m, T0 + 61_000);
    expect(v.alert?.id).toBe('a');
    expect(v.remainingMs).toBe(119_000);
  });

  it('repeats the sound every 30 s while nobody acknowledges, without flying again', () => {
    const { effects } = run(
      initialAlerts,
      { type: 'alerts', alerts: [alert('a', T0)], now: T0 },
      { type: 'tick', now: T0 + 10_000 },
      { type: 'tick', now: T0 + 30_000 },
      { type: 'tick', now: T0 + 31_000 },
      { type: 'alerts', alerts: [alert('a', T0)], now: T0 + 45_000 },
    );
    expect(effects.map((e) => e.sound)).toEqual([true, false, true, false, false]);
    expect(effects.slice(1).every((e) => e.flyTo === null)).toBe(true);
  });

  it('keeps the same machine for a tick that changes nothing (the wall does not re-render for it)', () => {
    // idle: the clock ticks every second all day long
    expect(stepAlerts(initialAlerts, { type: 'tick', now: T0 }).machine).toBe(initialAlerts);
    // a takeover between sounds: same machine; at the repeat: a new one (lastSoundAt moves)
    const shown = run(initialAlerts, { type: 'alerts', alerts: [alert('a', T0)], now: T0 }).m;
    expect(stepAlerts(shown, { type: 'tick', now: T0 + 10_000 }).machine).toBe(shown);
    const repeat = stepAlerts(shown, { type: 'tick', now: T0 + 30_000 });
    expect(repeat.machine).not.toBe(shown);
    expect(repeat.machine.lastSoundAt).toBe(T0 + 30_000);
    // acknowledged, within its hold: same machine; after it: idle
    const acked = stepAlerts(shown, { type: 'alerts', alerts: [alert('a', T0, T0 + 40_000)], now: T0 + 40_000 }).machine;
    expect(acked.phase).toBe('acknowledged');
    expect(stepAlerts(acked, { type: 'tick', now: T0 + 41_000 }).machine).toBe(acked);
    const after = stepAlerts(acked, { type: 'tick', now: T0 + 60_000 }).machine;
    expect(after.phase).toBe('idle');
    expect(stepAlerts(after, { type: 'tick', now: T0 + 61_000 }).machine).toBe(after);
  });

  it('stays until acknowledged, then names who acknowledged it, then clears', () => {
    const { m } = run(
      initialAlerts,
      { type: 'alerts', alerts: [alert('a', T0)], now: T0 },
      { type: 'tick', now: T0 + 600_000 },
    );
    expect(alertView(m, T0 + 600_000).phase).toBe('takeover');
    expect(alertView(m, T0 + 600_000).remainingMs).toBeLessThan(0);
    const acked = run(m, { type: 'alerts', alerts: [alert('a', T0, T0 + 601_000)], now: T0 + 601_500 }).m;
    expect(acked.phase).toBe('acknowledged');
    expect(acked.current?.ackedBy?.name).toBe('张敏');
    expect(run(acked, { type: 'tick', now: T0 + 605_000 }).m.phase).toBe('acknowledged');
    expect(run(acked, { type: 'tick', now: T0 + 610_000 }).m.phase).toBe('idle');
  });

  it('shows the newest of several, flies on to the next one when it is acknowledged', () => {
    const both = [alert('old', T0), alert('new', T0 + 5000)];
    const first = run(initialAlerts, { type: 'alerts', alerts: both, now: T0 + 6000 });
    expect(first.m.current?.id).toBe('new');
    expect(alertView(first.m, T0 + 6000).waiting).toBe(1);
    const next = run(first.m, { type: 'alerts', alerts: [alert('old', T0), alert('new', T0 + 5000, T0 + 7000)], now: T0 + 8000 });
    expect(next.m.current?.id).toBe('old');
    expect(next.effects[0]!.flyTo?.id).toBe('old');
    expect(next.effects[0]!.sound).toBe(true);
  });

  it('ends the takeover when the alert is withdrawn, and ignores acknowledged alerts never shown', () => {
    const shown = run(initialAlerts, { type: 'alerts', alerts: [alert('a', T0)], now: T0 });
    expect(run(shown.m, { type: 'alerts', alerts: [], now: T0 + 1000 }).m.phase).toBe('idle');
    const stale = run(initialAlerts, { type: 'alerts', alerts: [alert('b', T0, T0 + 100)], now: T0 + 200 });
    expect(stale.m.phase).toBe('idle');
    expect(stale.effects[0]).toEqual({ flyTo: null, sound: false });
  });

  it('orders pending alerts newest first', () => {
    expect(pendingAlerts([alert('x', T0), alert('y', T0 + 1), alert('z', T0 + 2, T0 + 3)]).map((a) => a.id)).toEqual(['y', 'x']);
  });
});
