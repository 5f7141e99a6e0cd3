/**
 * Screen updates around the map that go out with the map's frames.
 *
 * Every change of the page's DOM (a KPI tile's figure, the link panel's latency) is a frame of the
 * page's own: a main-thread frame (style, layout, paint), a commit and a composite of the whole
 * page. Where the map's frames are cheap that is a few milliseconds; on a wall whose frames take
 * seconds (software GL, a weak GPU) a panel's update that lands between two map frames is a frame
 * of the page the map's next frame then waits behind — the wall benchmark on SwiftShader drew
 * fewer map frames than the bare deck.gl page beside it while spending the same CPU per second.
 *
 * So an update that can wait for the map's frame is handed to `schedule`: when the map has asked
 * for a frame that has not been drawn yet, the update is held and run inside that frame (deck.gl's
 * after-render callback runs in the animation frame, before the page is painted, so the DOM change
 * is painted with the map); when the map is drawing now, or has no frame on its way, it runs at
 * once, as before. At most `maxWaitMs` is held (a hidden page draws no frames). Only the newest
 * update per key is kept: a figure held over a frame shows its newest value, once.
 *
 * On a GPU (frames of 16–42 ms) an update waits a frame at most. Updates that must keep their own
 * time (the clock's seconds, an alert's countdown) do not come here.
 */
export interface FrameSyncOptions {
  /** the longest an update is held for a frame that does not come (ms) */
  maxWaitMs: number;
  /** monotonic clock in ms (performance.now in the browser) */
  now?: () => number;
  setTimer?: (fn: () => void, ms: number) => unknown;
  clearTimer?: (id: unknown) => void;
}

export class FrameSync {
  private readonly pending = new Map<unknown, () => void>();
  /** frames the map asked for and has not drawn yet */
  private awaited = false;
  private drawing = false;
  private timer: unknown = null;
  /** when the frame awaited was first asked for */
  private askedAt = 0;
  private cost = 0;
  private readonly now: () => number;
  private readonly setTimer: (fn: () => void, ms: number) => unknown;
  private readonly clearTimer: (id: unknown) => void;
  /** updates run inside a map frame (held for it, or made while it was drawn), at once, and on the limit (for tests and the benchmark's notes) */
  readonly stats = { inFrame: 0, atOnce: 0, ranOut: 0 };

  constructor(private readonly options: FrameSyncOptions) {
    this.setTimer = options.setTimer ?? ((fn, ms) => setTimeout(fn, ms));
    this.clearTimer = options.clearTimer ?? ((id) => clearTimeout(id as ReturnType<typeof setTimeout>));
    this.now = options.now ?? (() => performance.now());
  }

  /**
   * What a frame of the map takes from being asked for to drawn (ms, a moving average; 0 before the
   * first): tens of ms on a GPU, seconds on software GL. Transitions (the charts') are not worth
   * their frames when it is long.
   */
  get frameMs(): number {
    return this.cost;
  }

  /** whether an update scheduled now would wait for a frame */
  get waiting(): boolean {
    return this.awaited && !this.drawing;
  }

  /** The map asked for a frame (layers handed over, an animation step, a repaint). */
  requested(): void {
    if (!this.awaited) this.askedAt = this.now();
    this.awaited = true;
  }

  /**
   * The map is drawing a frame: `during` (the map's own after-render work) runs first, then every
   * update held for the frame, all before the page paints it.
   */
  frame(during?: () => void): void {
    if (this.awaited) {
      const ms = this.now() - this.askedAt;
      this.cost = this.cost === 0 ? ms : 0.7 * this.cost + 0.3 * ms;
    }
    this.awaited = false;
    this.drawing = true;
    try {
      during?.();
      this.flush('inFrame');
    } finally {
      this.drawing = false;
    }
  }

  /** Runs `update` with the map's next frame if one is on its way, else now; per `key`, the newest only. */
  schedule(key: unknown, update: () => void): void {
    if (!this.waiting) {
      this.pending.delete(key);
      // made while the map draws, it is painted with this frame
      if (this.drawing) this.stats.inFrame++;
      else this.stats.atOnce++;
      update();
      return;
    }
    this.pending.set(key, update);
    if (this.timer === null) {
      this.timer = this.setTimer(() => {
        this.timer = null;
        // the frame is not coming (a hidden page, a frame the map dropped): updates go at once until it asks again
        this.awaited = false;
        this.flush('ranOut');
      }, this.options.maxWaitMs);
    }
  }

  /** drops whatever `key` had pending (its component went away) */
  cancel(key: unknown): void {
    this.pending.delete(key);
  }

  private flush(kind: 'inFrame' | 'ranOut'): void {
    if (this.timer !== null) {
      this.clearTimer(this.timer);
      this.timer = null;
    }
    if (this.pending.size === 0) return;
    const updates = [...this.pending.values()];
    this.pending.clear();
    for (const u of updates) {
      this.stats[kind]++;
      u();
    }
  }
}

/**
 * The page's map frames (the wall has one map): DistrictMap says when it asks for a frame and
 * when it draws one; the wall's panels schedule their updates here. 5 s at most: a frame of
 * software GL under load, and what a hidden page's panels lag by.
 */
export const mapFrameSync = new FrameSync({ maxWaitMs: 5_000 });
