/**
 * The live events of the wall as columns (typed arrays), patched in place.
 *
 * `map/events` answers with binary columns; the wall keeps them, grows them by
 * doubling, and applies the answer to `map/events { ids }` after each
 * `events/changed` as a patch: rows are overwritten, appended, or removed by
 * moving the last row into the hole (ids missing from the answer no longer
 * match the filter: closed, merged…). Every patch is logged as row ranges
 * under a new version, so a deck.gl layer that last drew version a can be
 * given exactly the rows that changed up to version b (`_dataDiff`), and
 * regenerates those rows' attributes only — never the whole layer for one
 * event. A full load starts a new era: layers older than it redraw in full.
 *
 * The store also keeps the open and overdue counts per base grid, adjusted
 * row by row, so the grid fill can be patched for the grids a change touched.
 */
import type { EventColumns } from '../../core/rpc/queries';
import { CLOCK_OVERDUE, isOpenCode } from './event-style';

export interface RowRange {
  startRow: number;
  endRow: number;
}

export interface PatchResult {
  added: number;
  updated: number;
  removed: number;
  /** merged row ranges written by this patch */
  rows: RowRange[];
  /** grid indices whose open/overdue counts changed */
  grids: number[];
  /** the latest report time (epoch ms) among the rows written or removed; -Infinity when none */
  newestReportedAt: number;
  /** requested ids neither in the answer nor in the store before (not open, never seen: report time unknown) */
  unknown: number;
}

export interface EventStoreOptions {
  /** number of base grids (indices 0…n-1) */
  gridCount: number;
  /** a grid code → its index, or -1 */
  gridIndexOf: (code: string | null | undefined) => number;
  /** a unit id → its index in the wall's unit table, or -1 */
  unitIndexOf: (id: string | null | undefined) => number;
  /** how many patch versions to remember for `rangesBetween` */
  logSize?: number;
}

const INITIAL_CAPACITY = 1024;

/** Merges overlapping or touching ranges; input need not be sorted. */
export function mergeRanges(ranges: RowRange[]): RowRange[] {
  if (ranges.length <= 1) return ranges.slice();
  const sorted = [...ranges].sort((a, b) => a.startRow - b.startRow);
  const out: RowRange[] = [{ ...sorted[0]! }];
  for (let i = 1; i < sorted.length; i++) {
    const r = sorted[i]!;
    const last = out[out.length - 1]!;
    if (r.startRow <= last.endRow) last.endRow = Math.max(last.endRow, r.endRow);
    else out.push({ ...r });
  }
  return out;
}

export class EventStore {
  length = 0;
  /** bumped by every load and patch */
  version = 0;
  ids: string[] = [];
  positions = new Float32Array(INITIAL_CAPACITY * 2);
  status = new Uint8Array(INITIAL_CAPACITY);
  urgency = new Uint8Array(INITIAL_CAPACITY);
  source = new Uint8Array(INITIAL_CAPACITY);
  clockStatus = new Uint8Array(INITIAL_CAPACITY);
  supervision = new Uint8Array(INITIAL_CAPACITY);
  reportedAt = new Float64Array(INITIAL_CAPACITY);
  deadline = new Float64Array(INITIAL_CAPACITY);
  /** grid index per row, -1 when unknown */
  grid = new Int32Array(INITIAL_CAPACITY);
  /** lead unit index per row, -1 when none */
  unit = new Int32Array(INITIAL_CAPACITY);
  /** per grid: open events, open events with an overdue clock */
  readonly openByGrid: Uint32Array;
  readonly overdueByGrid: Uint32Array;
  /** true when the service sends grid codes (else the grid counts stay empty) */
  hasGridColumn = false;
  hasUnitColumn = false;
  /** the version of the last full load: layers that drew an older one redraw in full */
  fullVersion = 0;

  private readonly index = new Map<string, number>();
  private readonly log: { version: number; rows: RowRange[] }[] = [];
  private readonly logSize: number;

  constructor(private readonly options: EventStoreOptions) {
    this.openByGrid = new Uint32Array(options.gridCount);
    this.overdueByGrid = new Uint32Array(options.gridCount);
    this.logSize = options.logSize ?? 512;
  }

  rowOf(id: string): number {
    return this.index.get(id) ?? -1;
  }

  /** Replaces everything with a full answer of `map/events`. */
  load(cols: EventColumns): void {
    this.ensureCapacity(cols.count);
    this.index.clear();
    this.ids = [];
    this.openByGrid.fill(0);
    this.overdueByGrid.fill(0);
    this.hasGridColumn = cols.gridCodes !== undefined;
    this.hasUnitColumn = cols.leadUnitIds !== undefined;
    this.length = 0;
    for (let j = 0; j < cols.count; j++) {
      const row = this.length++;
      this.writeRow(row, cols, j);
      this.countRow(row, 0, null);
    }
    this.version++;
    this.fullVersion = this.version;
    this.log.length = 0;
  }

  /**
   * Applies the answer to `map/events { ids: requested }`: rows in the answer
   * are written (appended when new), requested ids missing from it are removed.
   */
  patch(cols: EventColumns, requested: readonly string[]): PatchResult {
    const touched: RowRange[] = [];
    const grids = new Set<number>();
    let added = 0;
    let updated = 0;
    let removed = 0;
    let unknown = 0;
    let newestReportedAt = Number.NEGATIVE_INFINITY;
    if (cols.gridCodes !== undefined) this.hasGridColumn = true;
    if (cols.leadUnitIds !== undefined) this.hasUnitColumn = true;
    const answered = new Set<string>();
    this.ensureCapacity(this.length + cols.count);
    for (let j = 0; j < cols.count; j++) {
      const id = cols.ids[j]!;
      answered.add(id);
      let row = this.index.get(id);
      if (row === undefined) {
        row = this.length++;
        added++;
      } else {
        this.countRow(row, -1, grids);
        updated++;
      }
      this.writeRow(row, cols, j);
      this.countRow(row, 0, grids);
      if (this.reportedAt[row]! > newestReportedAt) newestReportedAt = this.reportedAt[row]!;
      touched.push({ startRow: row, endRow: row + 1 });
    }
    for (const id of requested) {
      if (answered.has(id)) continue;
      const row = this.index.get(id);
      if (row === undefined) {
        unknown++;
        continue;
      }
      if (this.reportedAt[row]! > newestReportedAt) newestReportedAt = this.reportedAt[row]!;
      this.removeRow(row, grids);
      removed++;
      // the hole now holds the former last row (or nothing, if it was the last)
      if (row < this.length) touched.push({ startRow: row, endRow: row + 1 });
    }
    const rows = mergeRanges(touched.filter((r) => r.startRow < this.length));
    this.version++;
    this.log.push({ version: this.version, rows });
    if (this.log.length > this.logSize) this.log.shift();
    return { added, updated, removed, rows, grids: [...grids].filter((g) => g >= 0), newestReportedAt, unknown };
  }

  /**
   * The rows written after version `from` up to `to`; null when a layer must
   * redraw in full (a load happened since, or the log no longer reaches back).
   */
  rangesBetween(from: number, to: number): RowRange[] | null {
    if (from < this.fullVersion) return null;
    if (from >= to) return [];
    const first = this.log[0];
    if (!first || first.version > from + 1) return null;
    const out: RowRange[] = [];
    for (const entry of this.log) if (entry.version > from && entry.version <= to) out.push(...entry.rows);
    return mergeRanges(out);
  }

  private ensureCapacity(n: number): void {
    if (n <= this.status.length) return;
    let cap = this.status.length;
    while (cap < n) cap *= 2;
    const grow = <T extends Float32Array | Float64Array | Uint8Array | Int32Array>(a: T, per = 1): T => {
      const b = new (a.constructor as new (n: number) => T)(cap * per);
      b.set(a);
      return b;
    };
    this.positions = grow(this.positions, 2);
    this.status = grow(this.status);
    this.urgency = grow(this.urgency);
    this.source = grow(this.source);
    this.clockStatus = grow(this.clockStatus);
    this.supervision = grow(this.supervision);
    this.reportedAt = grow(this.reportedAt);
    this.deadline = grow(this.deadline);
    this.grid = grow(this.grid);
    this.unit = grow(this.unit);
  }

  private writeRow(row: number, cols: EventColumns, j: number): void {
    const id = cols.ids[j]!;
    this.ids[row] = id;
    this.index.set(id, row);
    this.positions[2 * row] = cols.positions[2 * j]!;
    this.positions[2 * row + 1] = cols.positions[2 * j + 1]!;
    this.status[row] = cols.status[j]!;
    this.urgency[row] = cols.urgency[j]!;
    this.source[row] = cols.source[j]!;
    this.clockStatus[row] = cols.clockStatus[j]!;
    this.supervision[row] = cols.supervisionLevel[j]!;
    this.reportedAt[row] = cols.reportedAt[j]!;
    this.deadline[row] = cols.deadline[j]!;
    this.grid[row] = this.options.gridIndexOf(cols.gridCodes?.[j] ?? null);
    this.unit[row] = this.options.unitIndexOf(cols.leadUnitIds?.[j] ?? null);
  }

  /** Adds (sign 0) or subtracts (sign -1) the row from the grid counts. */
  private countRow(row: number, sign: 0 | -1, grids: Set<number> | null): void {
    const g = this.grid[row]!;
    if (g < 0 || !isOpenCode(this.status[row]!)) return;
    const d = sign === 0 ? 1 : -1;
    this.openByGrid[g] = this.openByGrid[g]! + d;
    if (this.clockStatus[row] === CLOCK_OVERDUE) this.overdueByGrid[g] = this.overdueByGrid[g]! + d;
    grids?.add(g);
  }

  private removeRow(row: number, grids: Set<number>): void {
    this.countRow(row, -1, grids);
    this.index.delete(this.ids[row]!);
    const last = this.length - 1;
    if (row !== last) {
      this.ids[row] = this.ids[last]!;
      this.index.set(this.ids[row], row);
      this.positions[2 * row] = this.positions[2 * last]!;
      this.positions[2 * row + 1] = this.positions[2 * last + 1]!;
      this.status[row] = this.status[last]!;
      this.urgency[row] = this.urgency[last]!;
      this.source[row] = this.source[last]!;
      this.clockStatus[row] = this.clockStatus[last]!;
      this.supervision[row] = this.supervision[last]!;
      this.reportedAt[row] = this.reportedAt[last]!;
      this.deadline[row] = this.deadline[last]!;
      this.grid[row] = this.grid[last]!;
      this.unit[row] = this.unit[last]!;
    }
    this.ids.length = last;
    this.length = last;
  }
}
