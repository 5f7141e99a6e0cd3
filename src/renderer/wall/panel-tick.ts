/**
 * The tick the wall's panels follow the events by (LiveEvents.tick: the KPI
 * tiles' and the per-grid figures' requests): at most one per gap, and after
 * the map has shown the change that asked for it.
 *
 * A change used to tick at once when the last tick was over a gap ago (every
 * change after a quiet spell): the KPI request went out a millisecond after the
 * patch, while the map's frame with the change was still to come, and its
 * answer re-rendered the tiles around that frame. On the benchmark's software
 * GL the figures' answer took 43–252 ms to come back (answer time, not
 * measured CPU), and the page then spent a render and a repaint of the tiles
 * around the very frame the change was waiting for — the bare deck.gl page,
 * which has no panels, pays none of it. Now the tick waits for the frame
 * that shows the newest change it follows (`drawn`, from the view), at most
 * `frameWaitMs()` (the live feed's wait limit: ~2 frames on a GPU, a frame of
 * the software GL otherwise) so a page whose frames stop (hidden) still
 * updates its panels. The panels' figures come a
 * frame later than the map's, which a wall seen from metres away cannot tell.
 */
import type { Signal } from './use-wall-data';

export interface PanelTickOptions {
  /** at most one tick per this many ms */
  gapMs: number;
  /** the longest a tick waits for the frame showing its change (ms) */
  frameWaitMs: () => number;
  /** monotonic clock in ms (performance.now in the browser) */
  now?: () => number;
}

export class PanelTick {
  private timer: ReturnType<typeof setTimeout> | null = null;
  private last = Number.NEGATIVE_INFINITY;
  /** the newest store version a change brought, and the newest one a drawn frame carried */
  private changedVersion = 0;
  private drawnVersion = 0;
  /** while waiting for a frame: the version it must carry */
  private awaited: number | null = null;
  private readonly now: () => number;

  constructor(
    private readonly signal: Signal<number>,
    private readonly options: PanelTickOptions,
  ) {
    this.now = options.now ?? (() => performance.now());
  }

  /** A change reached the store at `version`: tick once the gap is over and its frame drawn. */
  changed(version: number): void {
    this.changedVersion = Math.max(this.changedVersion, version);
    if (this.timer) return;
    this.timer = setTimeout(() => this.afterGap(), Math.max(0, this.last + this.options.gapMs - this.now()));
  }

  /** The view drew a frame with the store at `version` (or newer). */
  drawn(version: number): void {
    this.drawnVersion = Math.max(this.drawnVersion, version);
    if (this.awaited !== null && this.drawnVersion >= this.awaited) this.fire();
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.awaited = null;
  }

  private afterGap(): void {
    this.timer = null;
    // the newest change now: newer ones while waiting do not hold the tick longer
    if (this.drawnVersion >= this.changedVersion) return this.fire();
    this.awaited = this.changedVersion;
    this.timer = setTimeout(() => this.fire(), Math.max(0, this.options.frameWaitMs()));
  }

  private fire(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.awaited = null;
    this.last = this.now();
    this.signal.set(this.signal.get() + 1);
  }
}
