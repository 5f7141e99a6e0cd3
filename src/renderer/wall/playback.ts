/**
 * Playback of a past period: where each event was in the five-step loop at
 * any moment, from the times of its state changes (`map/playback`).
 *
 * On the map, playback draws the same points in four layers — waiting, with a
 * unit, handled, just closed — each with a GPU data filter over a [start, end)
 * window of that phase. Moving the clock only changes the filter range (a
 * uniform): no attribute is regenerated while playing, at 1× or at 3600×.
 * Times are seconds from the period's start so float32 keeps them exact.
 */
import type { Playback } from '../../core/rpc/queries';

/** "never" as a filter value: later than any period. */
export const NEVER = 1e9;

export type PlaybackPhase = 'pending' | 'intake' | 'dispatched' | 'handled' | 'closed' | 'gone';

/** How long a closed event stays on the map, fading, in playback. */
export const CLOSED_FADE_MS = 60 * 60_000;

export const PLAYBACK_SPEEDS = [1, 10, 60, 300, 900, 3600] as const;

const sec = (ms: number, fromMs: number) => (Number.isFinite(ms) ? (ms - fromMs) / 1000 : NEVER);

function firstFinite(...xs: number[]): number {
  for (const x of xs) if (Number.isFinite(x)) return x;
  return Number.NaN;
}

/** The phase of event i at time t (epoch ms). */
export function phaseAt(pb: Playback, i: number, t: number, fadeMs = CLOSED_FADE_MS): PlaybackPhase {
  const r = pb.reportedAt[i]!;
  const d = pb.dispatchedAt[i]!;
  const h = pb.handledAt[i]!;
  const c = pb.closedAt[i]!;
  if (!(r <= t)) return 'pending';
  if (Number.isFinite(c) && c <= t) return t < c + fadeMs ? 'closed' : 'gone';
  if (Number.isFinite(h) && h <= t) return 'handled';
  if (Number.isFinite(d) && d <= t) return 'dispatched';
  return 'intake';
}

export function isOpenPhase(p: PlaybackPhase): boolean {
  return p === 'intake' || p === 'dispatched' || p === 'handled';
}

/** Ids of the events open at time t. */
export function openAt(pb: Playback, t: number): string[] {
  const out: string[] = [];
  for (let i = 0; i < pb.count; i++) if (isOpenPhase(phaseAt(pb, i, t))) out.push(pb.ids[i]!);
  return out;
}

export type WindowPhase = 'intake' | 'dispatched' | 'handled' | 'closed';
export const WINDOW_PHASES: readonly WindowPhase[] = ['intake', 'dispatched', 'handled', 'closed'];

/**
 * Per phase, per event, the [start, end) window in seconds from `fromMs`
 * (interleaved, 2 × count), for the layers' data filter. A phase an event
 * skipped (closed without a handled step) gets an empty window.
 */
export function phaseWindows(pb: Playback, fromMs: number, fadeMs = CLOSED_FADE_MS): Record<WindowPhase, Float32Array> {
  const n = pb.count;
  const w: Record<WindowPhase, Float32Array> = {
    intake: new Float32Array(2 * n),
    dispatched: new Float32Array(2 * n),
    handled: new Float32Array(2 * n),
    closed: new Float32Array(2 * n),
  };
  const set = (a: Float32Array, i: number, start: number, end: number) => {
    a[2 * i] = start;
    a[2 * i + 1] = end;
  };
  for (let i = 0; i < n; i++) {
    const r = pb.reportedAt[i]!;
    const d = pb.dispatchedAt[i]!;
    const h = pb.handledAt[i]!;
    const c = pb.closedAt[i]!;
    set(w.intake, i, sec(r, fromMs), sec(firstFinite(d, h, c), fromMs));
    set(w.dispatched, i, Number.isFinite(d) ? sec(d, fromMs) : NEVER, sec(firstFinite(h, c), fromMs));
    set(w.handled, i, Number.isFinite(h) ? sec(h, fromMs) : NEVER, sec(c, fromMs));
    set(w.closed, i, Number.isFinite(c) ? sec(c, fromMs) : NEVER, Number.isFinite(c) ? sec(c + fadeMs, fromMs) : NEVER);
  }
  return w;
}

/** The data-filter range that keeps events whose window holds t: start ≤ t < end. */
export function filterRangeAt(t: number, fromMs: number): [[number, number], [number, number]] {
  const s = (t - fromMs) / 1000;
  return [
    [-NEVER, s],
    [s + 1e-3, 2 * NEVER],
  ];
}

/**
 * The playback clock: simulated time runs at `speed` × real time between
 * `from` and `to`, and stops at `to`. Pure: every call takes the real time.
 */
export class PlaybackClock {
  private anchorReal: number;
  private anchorSim: number;
  playing = false;

  constructor(
    readonly from: number,
    readonly to: number,
    public speed: number,
    realNow: number,
  ) {
    this.anchorReal = realNow;
    this.anchorSim = from;
  }

  now(realNow: number): number {
    if (!this.playing) return this.anchorSim;
    return Math.min(this.to, this.anchorSim + (realNow - this.anchorReal) * this.speed);
  }

  get ended(): boolean {
    return this.anchorSim >= this.to;
  }

  play(realNow: number): void {
    if (this.playing) return;
    if (this.anchorSim >= this.to) this.anchorSim = this.from;
    this.anchorReal = realNow;
    this.playing = true;
  }

  pause(realNow: number): void {
    this.anchorSim = this.now(realNow);
    this.anchorReal = realNow;
    this.playing = false;
  }

  seek(sim: number, realNow: number): void {
    this.anchorSim = Math.max(this.from, Math.min(this.to, sim));
    this.anchorReal = realNow;
  }

  setSpeed(speed: number, realNow: number): void {
    this.anchorSim = this.now(realNow);
    this.anchorReal = realNow;
    this.speed = speed;
  }

  /** Call each frame: pauses at the end of the period. */
  tick(realNow: number): number {
    const t = this.now(realNow);
    if (this.playing && t >= this.to) {
      this.anchorSim = this.to;
      this.anchorReal = realNow;
      this.playing = false;
    }
    return t;
  }
}
