import { describe, expect, it } from 'vitest';
import type { Playback } from '../../core/rpc/queries';
import { CLOSED_FADE_MS, filterRangeAt, NEVER, openAt, phaseAt, phaseWindows, PlaybackClock, WINDOW_PHASES } from './playback';

const H = 3_600_000;
const FROM = Date.parse('2024-05-01T00:00:00Z');
const N = Number.NaN;

/** a: closed by now (open yesterday 02:00–10:00); b: never dispatched; c: closed without a handled step */
const pb: Playback = {
  from: new Date(FROM).toISOString(),
  to: new Date(FROM + 24 * H).toISOString(),
  count: 3,
  ids: ['a', 'b', 'c'],
  positions: new Float32Array([113, 23, 113.1, 23.1, 113.2, 23.2]),
  urgency: new Uint8Array(3),
  reportedAt: new Float64Array([FROM + 2 * H, FROM + 5 * H, FROM + 1 * H]),
  dispatchedAt: new Float64Array([FROM + 3 * H, N, FROM + 2 * H]),
  handledAt: new Float64Array([FROM + 8 * H, N, N]),
  closedAt: new Float64Array([FROM + 10 * H, N, FROM + 4 * H]),
  geometryAsOf: '2024-05-01',
};

describe('playback phases', () => {
  it('walks an event through its states at their times', () => {
    expect(phaseAt(pb, 0, FROM + 1 * H)).toBe('pending');
    expect(phaseAt(pb, 0, FROM + 2.5 * H)).toBe('intake');
    expect(phaseAt(pb, 0, FROM + 5 * H)).toBe('dispatched');
    expect(phaseAt(pb, 0, FROM + 9 * H)).toBe('handled');
    expect(phaseAt(pb, 0, FROM + 10.5 * H)).toBe('closed');
    expect(phaseAt(pb, 0, FROM + 10 * H + CLOSED_FADE_MS)).toBe('gone');
    expect(phaseAt(pb, 1, FROM + 20 * H)).toBe('intake');
  });

  it('shows an event that is closed now as open at its past time', () => {
    expect(openAt(pb, FROM + 6 * H)).toEqual(['a', 'b']);
    expect(openAt(pb, FROM + 1.5 * H)).toEqual(['c']);
    expect(openAt(pb, FROM + 12 * H)).toEqual(['b']);
  });

  it('gives the GPU filter windows that agree with phaseAt at every hour', () => {
    const w = phaseWindows(pb, FROM);
    for (let t = FROM; t <= FROM + 24 * H; t += H / 2) {
      const [[lo0, hi0], [lo1, hi1]] = filterRangeAt(t, FROM);
      for (let i = 0; i < pb.count; i++) {
        const phase = phaseAt(pb, i, t);
        for (const p of WINDOW_PHASES) {
          const start = w[p][2 * i]!;
          const end = w[p][2 * i + 1]!;
          const shown = start >= lo0 && start <= hi0 && end >= lo1 && end <= hi1;
          expect(shown, `${pb.ids[i]} ${p} at +${(t - FROM) / H}h`).toBe(phase === p);
        }
      }
    }
    // a skipped phase has an empty window; never = NEVER
    expect(w.handled[2 * 2]).toBe(NEVER);
    expect(w.dispatched[2 * 1]).toBe(NEVER);
  });
});

describe('playback clock', () => {
  it('runs at speed × real time, pauses, seeks and stops at the end', () => {
    const c = new PlaybackClock(FROM, FROM + 24 * H, 3600, 0);
    expect(c.now(1000)).toBe(FROM);
    c.play(0);
    expect(c.now(1000)).toBe(FROM + H);
    c.pause(2000);
    expect(c.now(10_000)).toBe(FROM + 2 * H);
    c.setSpeed(60, 10_000);
    c.play(10_000);
    expect(c.now(70_000)).toBe(FROM + 3 * H);
    c.seek(FROM + 23.9 * H, 70_000);
    expect(c.tick(80_000)).toBe(FROM + 24 * H);
    expect(c.playing).toBe(false);
    c.play(90_000);
    expect(c.now(90_000)).toBe(FROM);
  });
});
