/**
 * The wall's data hooks. A wall runs for days: every request here keeps its
 * last good answer when a refresh fails (a blip must not blank a panel), is
 * refreshed on a timer and, for figures that move with the events, after
 * `events/changed` — throttled so a burst of changes costs one request.
 */
import { useEffect, useMemo, useRef, useState, useSyncExternalStore } from 'react';
import { toRpcError, type RpcError } from '../../core/errors';
import type { RequestArgs, RequestName, RequestResult } from '../../core/rpc/contract';
import type { RpcClient } from '../../core/rpc/wire';
import { mapFrameSync, type FrameSync } from '../map/frame-sync';
import { districtHour, nextDistrictHour } from '../shell/district-time';
import { EventStore } from './event-store';
import { LiveFeed, type FeedChange, type FeedState } from './live-feed';
import { PanelTick } from './panel-tick';
import { wallMetrics, type WallMetrics } from './scale';

export interface Polled<T> {
  data: T | null;
  error: RpcError | null;
  /** performance.now() of the last good answer */
  at: number;
}

export interface PollOptions<T = unknown> {
  /** refresh period; 0: never */
  everyMs?: number;
  /**
   * when the data may have changed (events/changed): a counter (a new value asks, through a
   * re-render of the caller), or a Signal, followed without re-rendering anybody
   */
  trigger?: number | Signal<unknown> | null;
  /** a trigger from a Signal is followed only while this says so (read when it fires) */
  triggerIf?: () => boolean;
  /** at most one request per this many ms after a trigger */
  minGapMs?: number;
  enabled?: boolean;
  /**
   * an answer equal to the one shown (by `equal`) is not passed on: nothing that follows it
   * re-renders (a wall's figures often come back unchanged after a change elsewhere)
   */
  equal?: (a: T, b: T) => boolean;
  /**
   * answers are shown with the map's next frame when one is on its way (frame-sync.ts): a panel's
   * repaint joins the map's frame instead of being a frame of the page's own
   */
  frames?: FrameSync;
}

/** JSON-equal (for small JSON answers: figures, lists; not for binary columns). */
export function sameJson(a: unknown, b: unknown): boolean {
  return a === b || JSON.stringify(a) === JSON.stringify(b);
}

/**
 * `value`, or the value given before while it is equal to it (`sameJson` by default): a memo keyed
 * on the result changes when the content does, not with every new object that holds the same — the
 * part of an answer a panel shows, out of an answer that moved elsewhere.
 */
export function useStable<T>(value: T, equal: (a: T, b: T) => boolean = sameJson): T {
  const kept = useRef(value);
  if (kept.current !== value && !equal(kept.current, value)) kept.current = value;
  return kept.current;
}

/**
 * A request kept current (timer, trigger) in a Signal: the caller does not re-render when an
 * answer arrives; the components that show it subscribe (`useSignal`).
 */
export function usePolledSignal<N extends RequestName>(
  client: RpcClient,
  name: N,
  args: RequestArgs<N>,
  options: PollOptions<RequestResult<N>> = {},
): Signal<Polled<RequestResult<N>>> {
  const signal = useMemo(() => new Signal<Polled<RequestResult<N>>>({ data: null, error: null, at: 0 }), []);
  const argsKey = JSON.stringify(args);
  const { everyMs = 0, trigger = 0, minGapMs = 1000, enabled = true } = options;
  const inFlight = useRef(false);
  const again = useRef(false);
  const lastAt = useRef(0);
  const timer = useRef<ReturnType<typeof setTimeout> | null>(null);
  const fetchRef = useRef<() => void>(() => {});
  const opts = useRef(options);
  opts.current = options;

  useEffect(() => {
    let live = true;
    const run = () => {
      if (!live) return;
      if (inFlight.current) {
        again.current = true;
        return;
      }
      inFlight.current = true;
      lastAt.current = performance.now();
      const invoke = client.invoke as (n: N, a: unknown) => Promise<RequestResult<N>>;
      invoke(name, JSON.parse(argsKey))
        .then(
          (data) => {
            if (!live) return;
            const prev = signal.get();
            const equal = opts.current.equal;
            // the same figures again: keep the object shown (and the error cleared)
            if (prev.data !== null && prev.error === null && equal?.(prev.data, data)) return;
            const show = () => live && signal.set({ data, error: null, at: performance.now() });
            const frames = opts.current.frames;
            if (frames) frames.schedule(signal, show);
            else show();
          },
          (err: unknown) => {
            if (live) signal.set({ ...signal.get(), error: toRpcError(err) });
          },
        )
        .finally(() => {
          inFlight.current = false;
          if (live && again.current) {
            again.current = false;
            fetchRef.current();
          }
        });
    };
    fetchRef.current = () => {
      if (timer.current) return;
      const wait = lastAt.current + minGapMs - performance.now();
      // past the gap: ask in the task that triggered it (a 0 ms timer was a task of its own per
      // request — the panels' tick fires in a timer or in the map's frame already); a trigger while
      // the answer is out asks once more after it (`again`)
      if (wait <= 0) return run();
      timer.current = setTimeout(() => {
        timer.current = null;
        run();
      }, wait);
    };
    if (!enabled) return () => void (live = false);
    run();
    const interval = everyMs > 0 ? setInterval(run, everyMs) : null;
    return () => {
      live = false;
      if (interval) clearInterval(interval);
      if (timer.current) clearTimeout(timer.current);
      timer.current = null;
      opts.current.frames?.cancel(signal);
    };
  }, [client, name, argsKey, everyMs, minGapMs, enabled, signal]);

  // a counter: a new value (after the first) asks again
  const counter = typeof trigger === 'number' ? trigger : null;
  const first = useRef(true);
  useEffect(() => {
    if (first.current) {
      first.current = false;
      return;
    }
    if (enabled && counter !== null) fetchRef.current();
  }, [counter, enabled]);
  // a Signal: followed directly, nobody re-renders for it
  const source = trigger instanceof Signal ? trigger : null;
  useEffect(() => {
    if (!source || !enabled) return;
    return source.subscribe(() => {
      if (opts.current.triggerIf?.() ?? true) fetchRef.current();
    });
  }, [source, enabled]);

  return signal;
}

export function usePolledRequest<N extends RequestName>(client: RpcClient, name: N, args: RequestArgs<N>, options: PollOptions<RequestResult<N>> = {}): Polled<RequestResult<N>> {
  return useSignal(usePolledSignal(client, name, args, options));
}

/** Re-renders every `ms` with the current time (the countdowns, the clock of the tour); `ms` ≤ 0: never. */
export function useNow(ms: number): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    if (ms <= 0) return;
    const id = setInterval(() => setNow(Date.now()), ms);
    return () => clearInterval(id);
  }, [ms]);
  return now;
}

/** The district's hour of the day (see district-time.ts), re-rendering at the turn of each hour only. */
export function useHour(): number {
  const [hour, setHour] = useState(() => districtHour(Date.now()));
  useEffect(() => {
    let id: ReturnType<typeof setTimeout>;
    const arm = () => {
      const now = Date.now();
      id = setTimeout(() => {
        setHour(districtHour(Date.now()));
        arm();
      }, nextDistrictHour(now) - now + 50);
    };
    arm();
    return () => clearTimeout(id);
  }, []);
  return hour;
}

/** The wall's scale and pixel ratio from the window, following resizes. */
export function useWallMetrics(dprOverride: number | null): WallMetrics {
  const read = () => wallMetrics(window.innerWidth, window.innerHeight, window.devicePixelRatio, dprOverride);
  const [m, setM] = useState(read);
  useEffect(() => {
    const on = () => {
      const next = read();
      setM((prev) => (prev.scale === next.scale && prev.kind === next.kind && prev.pixelRatio === next.pixelRatio ? prev : next));
    };
    window.addEventListener('resize', on);
    return () => window.removeEventListener('resize', on);
  }, [dprOverride]);
  return m;
}

/** A changing value other components subscribe to without re-rendering the whole wall. */
export class Signal<T> {
  private readonly listeners = new Set<() => void>();
  constructor(private value: T) {}
  get = () => this.value;
  set(value: T) {
    if (Object.is(value, this.value)) return;
    this.value = value;
    for (const l of [...this.listeners]) l();
  }
  subscribe = (l: () => void) => {
    this.listeners.add(l);
    return () => void this.listeners.delete(l);
  };
}

export function useSignal<T>(signal: Signal<T>): T {
  return useSyncExternalStore(signal.subscribe, signal.get, signal.get);
}

/**
 * A signal's value, re-rendering at most once per `ms` (the first change at once, then the newest
 * at the end of each gap): for a figure that changes faster than anyone reads it. The value shown
 * goes out with the map's next frame when one is on its way (`frames`, frame-sync.ts; the page's
 * map by default), and is rendered in that frame: the value is a store React follows
 * (useSyncExternalStore renders its changes before the page paints), not state of a later task.
 */
export function useSignalEvery<T>(signal: Signal<T>, ms: number, frames: FrameSync | null = mapFrameSync): T {
  const shown = useMemo(() => new Signal(signal.get()), [signal]);
  useEffect(() => {
    let timer: ReturnType<typeof setTimeout> | null = null;
    let last = Number.NEGATIVE_INFINITY;
    const show = () => shown.set(signal.get());
    const flush = () => {
      timer = null;
      last = performance.now();
      if (frames) frames.schedule(shown, show);
      else show();
    };
    show();
    const off = signal.subscribe(() => {
      if (timer) return;
      const wait = last + ms - performance.now();
      // past the gap: now, not on a timer — a change made in the map's frame (the latency of a frame
      // drawn) is then shown in that frame, and one made as the map asks for a frame (the open count
      // of a patch) waits for it, instead of a timer's task after it (a frame of its own)
      if (wait <= 0) flush();
      else timer = setTimeout(flush, wait);
    });
    return () => {
      off();
      if (timer) clearTimeout(timer);
      frames?.cancel(shown);
    };
  }, [signal, ms, shown, frames]);
  return useSignal(shown);
}

/** the longest a patch waits for the frame showing the one before it until a frame was measured (live-feed.ts `frameWaitMs`) */
export const FRAME_WAIT_MS = 250;
/** at most this many measured patch → frame times (live-feed.ts `frameWaitFrames`) */
export const FRAME_WAIT_FRAMES = 2;
/**
 * the most that limit reaches (live-feed.ts `frameWaitMaxMs`): with frames of seconds (software GL)
 * it is a quarter of a frame rather than 250 ms (a patch every 250 ms between them is CPU for patches
 * no frame shows); a hidden page, whose frames stop, climbs to a patch every 2 s
 */
export const FRAME_WAIT_MAX_MS = 2000;

export interface LiveEvents {
  store: EventStore;
  feed: LiveFeed;
  /** the store's version, for the map */
  version: Signal<number>;
  /** bumps at most every `panelGapMs`, after the frame showing the change, for panels that follow the events */
  tick: Signal<number>;
  /** the open events on the map (the store's length): moves only when one opens or closes */
  openCount: Signal<number>;
  state: Signal<FeedState>;
  /** receipt → row written, and receipt → frame drawn (ms), most recent last */
  latency: { apply: number[]; render: number[] };
  lastChange: Signal<FeedChange | null>;
  /** the view drew a frame with the store at this version (the feed's pacing and the panels' tick wait for it) */
  drawn: (version: number) => void;
  panelTick: PanelTick;
}

/**
 * The live events of the wall: an EventStore over the model's grids and the
 * units, kept current by a LiveFeed. Created when the grids and the unit
 * list are known (a new model — playback's old grids do not count — makes a
 * new store).
 */
export function useLiveEvents(
  client: RpcClient,
  grids: readonly { code: string }[] | null,
  unitIds: readonly string[] | null,
  panelGapMs = 500,
): LiveEvents | null {
  const handle = useMemo(() => {
    if (!grids || !unitIds) return null;
    const gridIndex = new Map(grids.map((g, i) => [g.code, i]));
    const unitIndex = new Map(unitIds.map((id, i) => [id, i]));
    const store = new EventStore({
      gridCount: grids.length,
      gridIndexOf: (code) => (code ? (gridIndex.get(code) ?? -1) : -1),
      unitIndexOf: (id) => (id ? (unitIndex.get(id) ?? -1) : -1),
    });
    const version = new Signal(0);
    const tick = new Signal(0);
    const openCount = new Signal(0);
    const state = new Signal<FeedState>('loading');
    const lastChange = new Signal<FeedChange | null>(null);
    const latency = { apply: [] as number[], render: [] as number[] };
    // the panels follow after the frame that shows a change (panel-tick.ts), at most the feed's wait for a frame
    const panelTick = new PanelTick(tick, { gapMs: panelGapMs, frameWaitMs: () => feed.waitLimitMs() });
    const feed: LiveFeed = new LiveFeed(client, store, {
      onChange: (change) => {
        if (change.kind === 'patch') {
          latency.apply.push(change.appliedAt - change.receivedAt);
          if (latency.apply.length > 500) latency.apply.shift();
        }
        lastChange.set(change);
        version.set(store.version);
        openCount.set(store.length);
        panelTick.changed(store.version);
      },
      onState: (s) => state.set(s),
      // one patch per drawn frame when frames are slower than the host's folding (software GL):
      // the view calls feed.drawn; a patch whose frame does not come holds the next one ~2 frames up to
      // 250 ms (33 ms on a GPU), a quarter of a frame when frames take over a second, at most 2 s
      frameWaitMs: FRAME_WAIT_MS,
      frameWaitFrames: FRAME_WAIT_FRAMES,
      frameWaitMaxMs: FRAME_WAIT_MAX_MS,
    });
    const drawn = (v: number) => {
      feed.drawn(v);
      panelTick.drawn(v);
    };
    return { store, feed, version, tick, openCount, state, latency, lastChange, drawn, panelTick };
  }, [client, grids, unitIds, panelGapMs]);

  useEffect(() => {
    if (!handle) return;
    handle.feed.start();
    return () => {
      handle.feed.stop();
      handle.panelTick.stop();
    };
  }, [handle]);
  return handle;
}
