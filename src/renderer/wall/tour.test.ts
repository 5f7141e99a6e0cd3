import { describe, expect, it } from 'vitest';
import { configureTour, createTour, NO_HOLDS, tourStops, tourTick, type TourState } from './tour';

const stops = tourStops(['t1', 't2']);

function ticks(state: TourState, times: number[], holds = NO_HOLDS) {
  const moves: (string | null)[] = [];
  for (const now of times) {
    const r = tourTick(state, now, holds);
    state = r.state;
    moves.push(r.move ? (r.move.kind === 'district' ? 'district' : r.move.code) : null);
  }
  return { state, moves };
}

describe('auto-tour', () => {
  it('visits the district and then each town, one stop per interval, round and round', () => {
    const t = createTour(stops, 10_000, true, 0);
    expect(ticks(t, [5_000, 10_000, 15_000, 20_000, 30_000, 40_000]).moves).toEqual([null, 'district', null, 't1', 't2', 'district']);
  });

  it('does nothing when disabled, and restarts its interval when reconfigured', () => {
    expect(ticks(createTour(stops, 10_000, false, 0), [10_000, 20_000]).moves).toEqual([null, null]);
    const t = configureTour(createTour(stops, 10_000, false, 0), true, 5_000, 12_000);
    expect(ticks(t, [16_000, 17_000]).moves).toEqual([null, 'district']);
  });

  it('holds while an alert is on screen or during playback, then waits a full interval', () => {
    const t = createTour(stops, 10_000, true, 0);
    const held = ticks(t, [10_000, 15_000], { ...NO_HOLDS, alert: true });
    expect(held.moves).toEqual([null, null]);
    // the alert ended at 15 s: nothing until 25 s
    expect(ticks(held.state, [20_000, 24_999, 25_000]).moves).toEqual([null, null, 'district']);
    expect(ticks(t, [10_000], { ...NO_HOLDS, playback: true }).moves).toEqual([null]);
  });

  it('holds a pushed view until its hold ends, and leaves a person alone for a while', () => {
    const t = createTour(stops, 10_000, true, 0);
    expect(ticks(t, [10_000, 59_999, 60_000], { ...NO_HOLDS, holdUntil: 60_000 }).moves).toEqual([null, null, 'district']);
    expect(ticks(t, [10_000, 30_000], { ...NO_HOLDS, interactionUntil: 30_000 }).moves).toEqual([null, 'district']);
  });
});
