/**
 * The auto-tour: with nobody touching the wall, the map visits the district
 * and then each town in turn, one stop per interval. Anything more important
 * holds it: an alert on screen, a view pushed by a workstation (until its hold
 * ends), playback, and a person using the map (for a minute after their last
 * touch). After an open-ended hold the tour waits one full interval before it
 * moves, so a view never jumps away the moment the hold lifts.
 */

export type TourStop = { kind: 'district' } | { kind: 'town'; code: string };

export interface TourState {
  enabled: boolean;
  intervalMs: number;
  stops: readonly TourStop[];
  /** the stop shown last; -1 before the first move */
  index: number;
  /** when the next move is due */
  nextAt: number;
}

export interface TourHolds {
  alert: boolean;
  playback: boolean;
  /** a pushed view holds until then */
  holdUntil: number | null;
  /** a person touched the map; the tour waits until then */
  interactionUntil: number | null;
}

export const NO_HOLDS: TourHolds = { alert: false, playback: false, holdUntil: null, interactionUntil: null };

/** How long the tour leaves a person alone after their last touch. */
export const INTERACTION_HOLD_MS = 60_000;

export function tourStops(townCodes: readonly string[]): TourStop[] {
  return [{ kind: 'district' }, ...townCodes.map((code) => ({ kind: 'town' as const, code }))];
}

export function createTour(stops: readonly TourStop[], intervalMs: number, enabled: boolean, now: number): TourState {
  return { enabled, intervalMs, stops, index: -1, nextAt: now + intervalMs };
}

export function configureTour(state: TourState, enabled: boolean, intervalMs: number, now: number): TourState {
  if (state.enabled === enabled && state.intervalMs === intervalMs) return state;
  return { ...state, enabled, intervalMs, nextAt: now + intervalMs };
}

/** Advances the tour if a move is due and nothing holds it. */
export function tourTick(state: TourState, now: number, holds: TourHolds): { state: TourState; move: TourStop | null } {
  if (!state.enabled || state.stops.length === 0) return { state, move: null };
  let holdEnd = 0;
  if (holds.holdUntil !== null && holds.holdUntil > now) holdEnd = Math.max(holdEnd, holds.holdUntil);
  if (holds.interactionUntil !== null && holds.interactionUntil > now) holdEnd = Math.max(holdEnd, holds.interactionUntil);
  if (holds.alert || holds.playback) holdEnd = Math.max(holdEnd, now + state.intervalMs);
  if (holdEnd > 0) {
    const nextAt = Math.max(state.nextAt, holdEnd);
    return { state: nextAt === state.nextAt ? state : { ...state, nextAt }, move: null };
  }
  if (now < state.nextAt) return { state, move: null };
  const index = (state.index + 1) % state.stops.length;
  return { state: { ...state, index, nextAt: now + state.intervalMs }, move: state.stops[index]! };
}
