/**
 * Keeps per-frame animation (pulses, alert rings) from starving everything
 * else on a slow GPU. Each animated frame redraws the whole map: a few
 * milliseconds on a graphics card, most of a second on software GL, where
 * 24 animated frames a second would leave the main thread no time for the
 * data that should reach the screen.
 *
 * The governor learns what a frame costs (from the animation step that asks
 * for it to the frame drawn, and how late the next step's timer fires — the
 * GPU's share of a frame shows up there) and paces the animation so that it
 * takes at most `share` of the time: 24 fps on a GPU, a frame every few
 * seconds when frames are dear (never below `minFps`). Software GL is not
 * animated at all (DistrictMap).
 */
export class FrameGovernor {
  private cost = 0;
  private current: number;

  constructor(
    readonly targetFps: number,
    private readonly share = 0.25,
    private readonly minFps = 0.2,
  ) {
    this.current = targetFps;
  }

  get fps(): number {
    return this.current;
  }

  /** the wait between animated frames, in ms */
  get intervalMs(): number {
    return 1000 / this.current;
  }

  /** the average cost of a frame so far (ms), 0 before the first */
  get frameCostMs(): number {
    return this.cost;
  }

  /** how long one animated frame took, from the request to the frame drawn */
  record(costMs: number): void {
    if (!(costMs >= 0) || !Number.isFinite(costMs)) return;
    // a moving average that follows a change of load within a few frames
    this.cost = this.cost === 0 ? costMs : 0.7 * this.cost + 0.3 * costMs;
    const affordable = (this.share * 1000) / Math.max(1, this.cost);
    this.current = Math.max(this.minFps, Math.min(this.targetFps, affordable));
  }
}
