/**
 * Windowed fetching for a virtualized queue: the table says which rows it
 * renders, and only the pages (of `pageSize` rows, fetched with
 * `events/list` offset/limit) covering that range plus one page either side
 * are kept; pages farther away are dropped, so 10,000 rows never sit in memory
 * or in the DOM. A live refresh re-reads the kept pages in place — the rows
 * change under an unchanged scroll position — and a new filter starts a new
 * generation whose answers cannot be overwritten by the old one's.
 *
 * A new filter keeps showing the previous rows until its first answer arrives
 * (then swaps them in one go): the table does not flash empty or "loading"
 * between two queues, and the browser builds the rows once instead of tearing
 * them down, drawing placeholders and building them again.
 */
import type { EventRow } from '../../core/rpc/queries';

export type PageFetch = (offset: number, limit: number) => Promise<{ total: number; rows: EventRow[] }>;

export interface RowWindowOptions {
  pageSize?: number;
  /** pages kept beyond the rendered range on each side */
  keepPages?: number;
  /** called after every change of rows or total */
  onChange?: () => void;
  /** a failed page (shown as still loading; the next range or refresh asks again) */
  onError?: (err: unknown) => void;
}

export class RowWindow {
  readonly pageSize: number;
  private readonly keepPages: number;
  private fetchPage: PageFetch;
  private pages = new Map<number, EventRow[]>();
  /** the previous filter's rows and total, shown until the new filter's first answer */
  private stale: { pages: Map<number, EventRow[]>; total: number | null } | null = null;
  private inFlight = new Map<number, number>();
  private generation = 0;
  private range: [number, number] = [0, 0];
  private _total: number | null = null;
  /** how many page requests were made (for tests and the benchmark) */
  requests = 0;

  constructor(
    fetch: PageFetch,
    private readonly opts: RowWindowOptions = {},
  ) {
    this.fetchPage = fetch;
    this.pageSize = opts.pageSize ?? 100;
    this.keepPages = opts.keepPages ?? 1;
  }

  /** rows matching, null before the first answer */
  get total(): number | null {
    return this.stale ? this.stale.total : this._total;
  }

  get(index: number): EventRow | undefined {
    return (this.stale?.pages ?? this.pages).get(Math.floor(index / this.pageSize))?.[index % this.pageSize];
  }

  /** index of a row shown, by id */
  indexOf(id: string): number | null {
    for (const [page, rows] of this.stale?.pages ?? this.pages) {
      const i = rows.findIndex((r) => r.id === id);
      if (i >= 0) return page * this.pageSize + i;
    }
    return null;
  }

  loadedPages(): number[] {
    return [...this.pages.keys()].sort((a, b) => a - b);
  }

  loadedRowCount(): number {
    let n = 0;
    for (const rows of this.pages.values()) n += rows.length;
    return n;
  }

  /** The table renders [start, end] (inclusive): fetch what is missing, drop what is far. */
  setRange(start: number, end: number): Promise<void> {
    this.range = [Math.max(0, start), Math.max(start, end)];
    this.evict();
    return this.fill();
  }

  /** Re-read every kept page (after `events/changed`); rows stay shown until their new version arrives. */
  refresh(): Promise<void> {
    const wanted = new Set([...this.wantedPages(), ...this.pages.keys()]);
    return Promise.all([...wanted].map((p) => this.load(p, true))).then(() => undefined);
  }

  /** A new filter or order: forget everything and fetch the current range anew. */
  reset(fetch?: PageFetch): Promise<void> {
    if (fetch) this.fetchPage = fetch;
    this.generation++;
    // what is on screen stays until the first answer (a reset during a reset keeps the older rows)
    this.stale ??= { pages: this.pages, total: this._total };
    this.pages = new Map();
    this.inFlight.clear();
    this._total = null;
    return this.fill();
  }

  private wantedPages(): number[] {
    const first = Math.floor(this.range[0] / this.pageSize);
    const last = Math.floor(this.range[1] / this.pageSize);
    const maxPage = this._total === null ? last : Math.max(0, Math.ceil(this._total / this.pageSize) - 1);
    const out: number[] = [];
    for (let p = first; p <= Math.min(last, maxPage); p++) out.push(p);
    return out;
  }

  private evict(): void {
    const first = Math.floor(this.range[0] / this.pageSize) - this.keepPages;
    const last = Math.floor(this.range[1] / this.pageSize) + this.keepPages;
    let dropped = false;
    for (const p of [...this.pages.keys()]) {
      if (p < first || p > last) {
        this.pages.delete(p);
        dropped = true;
      }
    }
    if (dropped) this.opts.onChange?.();
  }

  private fill(): Promise<void> {
    return Promise.all(this.wantedPages().map((p) => this.load(p, false))).then(() => undefined);
  }

  private async load(page: number, force: boolean): Promise<void> {
    if (!force && (this.pages.has(page) || this.inFlight.get(page) === this.generation)) return;
    const generation = this.generation;
    this.inFlight.set(page, generation);
    this.requests++;
    try {
      const answer = await this.fetchPage(page * this.pageSize, this.pageSize);
      if (generation !== this.generation) return;
      this.stale = null;
      this._total = answer.total;
      const first = Math.floor(this.range[0] / this.pageSize) - this.keepPages;
      const last = Math.floor(this.range[1] / this.pageSize) + this.keepPages;
      // a page the officer scrolled away from while it loaded is not kept
      if (page >= first && page <= last) this.pages.set(page, answer.rows);
      // the total shrank under a kept page
      for (const p of [...this.pages.keys()]) if (p * this.pageSize >= answer.total) this.pages.delete(p);
      this.opts.onChange?.();
      // the first answer tells the total: fetch pages of the range the total now allows
      if (!force) await this.fill();
    } catch (err) {
      if (generation === this.generation) {
        // a failed first answer: stop showing the previous filter's rows as if they were this one's
        if (this.stale) {
          this.stale = null;
          this.opts.onChange?.();
        }
        this.opts.onError?.(err);
      }
    } finally {
      if (this.inFlight.get(page) === generation) this.inFlight.delete(page);
    }
  }
}
