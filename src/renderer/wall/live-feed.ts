/**
 * Keeps the EventStore in step with the replica: one full `map/events` load,
 * then for every `events/changed` a `map/events { ids }` for just those ids,
 * applied as a patch. Ids that arrive while a patch is in flight are gathered
 * and sent together when it returns, so a burst of 50 changes a second costs a
 * handful of requests. `all: true` (after a snapshot) reloads everything.
 *
 * With `frameWaitMs`, patches are paced to the frames that show them: after a
 * patch, the next request waits until the view says (`drawn`) that a frame
 * carried it, or `frameWaitMs` passed (frames may stop: a hidden page). Each
 * patch costs a request, its answer and a re-render of the map's layers; when
 * answers come back faster than frames are drawn (software GL: a frame every
 * few seconds, while the host folds changes every 50 ms) every events/changed
 * made its own patch — 20–27 a second in the wall benchmark's bad rounds, all
 * but the last of each frame never seen. When frames come faster than answers
 * (a GPU wall) nothing waits.
 *
 * With `frameWaitFrames` too, the limit follows the frames: the feed measures
 * how long a patch waits for a drawn frame (from the oldest patch no frame has
 * shown yet to the frame that shows it; the median of the last few, F) and
 * waits at most `frameWaitFrames` × F up to `frameWaitMs`, or a quarter of F
 * when that is more, within [`frameWaitMinMs`, `frameWaitMaxMs`]. On a GPU (F ~16
 * ms) a patch whose frame does not come holds the next one ~33 ms, not 250; on
 * llvmpipe (F 0.1–1 s) as before, up to 250 ms, the next request overlapping
 * the frame (waiting for the frame itself would add a frame to every change's
 * way under load); on software GL with frames of seconds a quarter of a frame
 * (up to `frameWaitMaxMs`): a few patches a frame, where a patch every 250 ms
 * made up to twenty, all but the last unseen. When frames stop (a hidden page)
 * the limit grows with them: at least a quarter of the time the oldest patch
 * no frame has shown has waited, up to `frameWaitMaxMs`.
 *
 * It measures what the wall benchmark reports: the time from an id reaching
 * the renderer to its row being written (`applyMs`), which the view completes
 * with the time to the next drawn frame.
 */
import { toRpcError, type RpcError } from '../../core/errors';
import type { EventPayload } from '../../core/rpc/contract';
import type { EventFilterInput } from '../../core/rpc/queries';
import type { RpcClient } from '../../core/rpc/wire';
import type { EventStore, PatchResult } from './event-store';

export type FeedState = 'loading' | 'live' | 'unavailable';

export interface FeedChange {
  kind: 'load' | 'patch';
  patch: PatchResult | null;
  /** the ids a patch asked for (the events that changed); empty for a load */
  ids: readonly string[];
  /** earliest arrival (performance.now) of the ids this change applied */
  receivedAt: number;
  appliedAt: number;
}

export interface LiveFeedOptions {
  filter?: EventFilterInput;
  onChange: (change: FeedChange) => void;
  onState?: (state: FeedState, error: RpcError | null) => void;
  /** monotonic clock in ms (performance.now in the browser) */
  now?: () => number;
  /** retry of the full load while the service cannot answer */
  retryMs?: number;
  /** most ids per request (the contract allows 5000) */
  batch?: number;
  /**
   * after a patch, the next one waits for a frame drawn with it (`drawn`), at most this long (ms);
   * 0 or unset: the next request as soon as the last answer is in
   */
  frameWaitMs?: number;
  /**
   * with frameWaitMs: wait at most this many measured patch → frame times (the median of the last
   * few) up to frameWaitMs, or a quarter of one when that is more (frames slower than 4 × frameWaitMs),
   * and at least a quarter of the time the oldest undrawn patch has waited (frames stopped); within
   * [`frameWaitMinMs`, `frameWaitMaxMs`]; frameWaitMs until a frame was measured; unset: always frameWaitMs
   */
  frameWaitFrames?: number;
  /** the least wait when it follows the frames (ms), default 33 (two frames at 60 Hz) */
  frameWaitMinMs?: number;
  /** the most wait when it follows the frames (ms), default frameWaitMs */
  frameWaitMaxMs?: number;
}

/** how many patch → frame times the scaled wait looks at */
const FRAME_SAMPLES = 8;
/** beyond frameWaitMs, the share of a frame (or of the undrawn patch's wait) the limit is */
const SLOW_FRAME_SHARE = 0.25;
/** the most patches remembered as not yet drawn (a hidden page patches without frames) */
const UNDRAWN_MAX = 32;

export class LiveFeed {
  state: FeedState = 'loading';
  error: RpcError | null = null;
  /** ids seen in `events/changed` and when they first arrived */
  private readonly pending = new Map<string, number>();
  private needFull = true;
  private inFlight = false;
  private stopped = false;
  private unsubscribe: (() => void) | null = null;
  private retry: ReturnType<typeof setTimeout> | null = null;
  /** the store version the last patch left, and the newest one a drawn frame carried */
  private patchedVersion = 0;
  private drawnVersion = 0;
  /** the patch version the last wait for a frame was for */
  private waitedVersion = 0;
  /** the patches no drawn frame has shown yet: their store version and when they were written (now()), oldest first */
  private readonly undrawn: { version: number; at: number }[] = [];
  /** the last patch → frame drawn times (ms), oldest first */
  private readonly frameTimes: number[] = [];
  /** ends the wait for a frame (drawn, the wait's limit, stop) */
  private frameWaitEnd: (() => void) | null = null;
  private readonly now: () => number;
  /**
   * requests and patches made; `frameWaits`: waits for a patch's frame begun, `frameWaitsRanOut`: of
   * them, ended by their limit rather than by the frame (or a reload, or stop)
   */
  readonly stats = { loads: 0, patches: 0, requests: 0, idsApplied: 0, lastApplyMs: 0, frameWaits: 0, frameWaitsRanOut: 0 };

  constructor(
    private readonly client: RpcClient,
    private readonly store: EventStore,
    private readonly options: LiveFeedOptions,
  ) {
    this.now = options.now ?? (() => performance.now());
  }

  start(): void {
    this.unsubscribe = this.client.subscribe('events/changed', (p) => this.onChanged(p));
    void this.pump();
  }

  stop(): void {
    this.stopped = true;
    this.unsubscribe?.();
    if (this.retry) clearTimeout(this.retry);
    this.frameWaitEnd?.();
  }

  /** The view drew a frame with the store at `version` (or newer). */
  drawn(version: number): void {
    if (version <= this.drawnVersion) return;
    this.drawnVersion = version;
    // the oldest patch this frame shows: how long it waited for it
    let shown = 0;
    while (shown < this.undrawn.length && this.undrawn[shown]!.version <= version) shown++;
    if (shown > 0) {
      this.measured(this.now() - this.undrawn[0]!.at);
      this.undrawn.splice(0, shown);
    }
    if (this.drawnVersion < this.patchedVersion) return;
    this.frameWaitEnd?.();
  }

  private measured(ms: number): void {
    this.frameTimes.push(ms);
    if (this.frameTimes.length > FRAME_SAMPLES) this.frameTimes.shift();
  }

  /**
   * The longest the next patch waits for the frame of the last one (ms): `frameWaitMs`, or with
   * `frameWaitFrames` as the options say (LiveFeedOptions.frameWaitFrames).
   */
  waitLimitMs(): number {
    const initial = this.options.frameWaitMs ?? 0;
    const frames = this.options.frameWaitFrames;
    if (initial <= 0 || !frames) return initial;
    let limit = initial;
    if (this.frameTimes.length > 0) {
      const sorted = [...this.frameTimes].sort((a, b) => a - b);
      const median = sorted[Math.floor(sorted.length / 2)]!;
      // fast frames: a few of them (a GPU: 33 ms); slow ones: up to frameWaitMs, then a quarter of a
      // frame (the next patch's request overlaps the frame: a few patches a frame, not one per 250 ms)
      limit = Math.max(Math.min(frames * median, initial), median * SLOW_FRAME_SHARE);
    }
    // frames stopped (a hidden page): the oldest patch no frame shows has waited this long
    const oldest = this.undrawn[0];
    if (oldest) limit = Math.max(limit, (this.now() - oldest.at) * SLOW_FRAME_SHARE);
    return Math.min(this.options.frameWaitMaxMs ?? initial, Math.max(this.options.frameWaitMinMs ?? 33, limit));
  }

  /** Waits, after a patch, for a frame drawn with it, at most `frameWaitMs`. */
  private waitForFrame(): Promise<void> | null {
    const limit = this.waitLimitMs();
    // once per patch: after the limit the next request goes whether or not a frame came
    if (limit <= 0 || this.drawnVersion >= this.patchedVersion || this.waitedVersion === this.patchedVersion) return null;
    this.waitedVersion = this.patchedVersion;
    this.stats.frameWaits++;
    return new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        this.stats.frameWaitsRanOut++;
        this.frameWaitEnd?.();
      }, limit);
      this.frameWaitEnd = () => {
        clearTimeout(timer);
        this.frameWaitEnd = null;
        resolve();
      };
    });
  }

  onChanged(payload: EventPayload<'events/changed'>): void {
    if (payload.all) {
      this.needFull = true;
      this.pending.clear();
      this.frameWaitEnd?.(); // a reload does not wait for the last patch's frame
    } else {
      const t = this.now();
      for (const id of payload.ids) if (!this.pending.has(id)) this.pending.set(id, t);
    }
    void this.pump();
  }

  private setState(state: FeedState, error: RpcError | null) {
    this.state = state;
    this.error = error;
    this.options.onState?.(state, error);
  }

  private async pump(): Promise<void> {
    if (this.inFlight || this.stopped) return;
    this.inFlight = true;
    try {
      while (!this.stopped && (this.needFull || this.pending.size > 0)) {
        if (this.needFull) {
          await this.loadAll();
          continue;
        }
        const wait = this.waitForFrame();
        if (wait) {
          await wait;
          continue; // a snapshot or stop may have come meanwhile
        }
        await this.patchSome();
      }
    } catch (err) {
      this.setState('unavailable', toRpcError(err));
      this.needFull = true;
      if (!this.stopped) this.retry = setTimeout(() => void this.pump(), this.options.retryMs ?? 15_000);
    } finally {
      this.inFlight = false;
    }
  }

  private async loadAll(): Promise<void> {
    const receivedAt = this.now();
    this.needFull = false;
    this.pending.clear();
    this.stats.requests++;
    const cols = await this.client.invoke('map/events', { filter: this.options.filter ?? { queue: 'all', openOnly: true } });
    if (this.stopped) return;
    this.store.load(cols);
    this.stats.loads++;
    if (this.state !== 'live') this.setState('live', null);
    this.options.onChange({ kind: 'load', patch: null, ids: [], receivedAt, appliedAt: this.now() });
  }

  private async patchSome(): Promise<void> {
    const batch = this.options.batch ?? 2000;
    const ids: string[] = [];
    let receivedAt = Number.POSITIVE_INFINITY;
    for (const [id, t] of this.pending) {
      ids.push(id);
      receivedAt = Math.min(receivedAt, t);
      this.pending.delete(id);
      if (ids.length >= batch) break;
    }
    this.stats.requests++;
    const cols = await this.client.invoke('map/events', { ids, ...(this.options.filter ? { filter: this.options.filter } : {}) });
    if (this.stopped || this.needFull) return;
    const patch = this.store.patch(cols, ids);
    const appliedAt = this.now();
    if (this.store.version > this.patchedVersion) {
      // full (frames stopped): the newest gives way (the oldest is what the next frame measures)
      if (this.undrawn.length >= UNDRAWN_MAX) this.undrawn.pop();
      this.undrawn.push({ version: this.store.version, at: appliedAt });
    }
    this.patchedVersion = this.store.version;
    this.stats.patches++;
    this.stats.idsApplied += ids.length;
    this.stats.lastApplyMs = appliedAt - receivedAt;
    this.options.onChange({ kind: 'patch', patch, ids, receivedAt, appliedAt });
  }
}
