/**
 * The grid fill of the wall as a deck.gl partial update: colours per grid in
 * a typed array, and for the grid layer a data array that changes identity
 * only when some grid's colour changed, tagged with a version so `_dataDiff`
 * returns exactly the polygon rows of the grids that changed since the
 * version deck.gl last drew. A new measure or new legend bins recolour
 * everything once through `colorKey` (an update trigger, which regenerates
 * the fill colours only), without touching the tessellated geometry.
 */
import type { GridMeasure } from '../../core/rpc/wall';
import type { GridFill } from '../map/district-layers';
import type { GridPart, MapModel } from '../map/map-model';
import type { Rgba } from '../map/theme';
import { mergeRanges, type RowRange } from './event-store';
import { buildLegend, colorOf, measureValue, type GridFigures, type Legend } from './measures';

type VersionedParts = GridPart[] & { version: number };

export class GridFillController {
  readonly gridCount: number;
  /** parts of grid i are rows partStart[i] … partStart[i+1]-1 of model.gridParts */
  readonly partStart: Int32Array;
  readonly gridOfPart: Int32Array;
  readonly gridIndex: ReadonlyMap<string, number>;
  private readonly colors: Uint8Array;
  private legend: Legend | null = null;
  private measure: GridMeasure = 'town';
  private colorKey = 0;
  private version = 0;
  private readonly log: { version: number; rows: RowRange[] }[] = [];
  private data: VersionedParts;
  private fill: GridFill | null = null;

  constructor(private readonly model: MapModel) {
    const grids = model.grids;
    this.gridCount = grids.length;
    const index = new Map<string, number>();
    grids.forEach((g, i) => index.set(g.code, i));
    this.gridIndex = index;
    const byGrid = new Map<object, number>();
    grids.forEach((g, i) => byGrid.set(g, i));
    this.gridOfPart = new Int32Array(model.gridParts.length);
    this.partStart = new Int32Array(grids.length + 1).fill(-1);
    model.gridParts.forEach((p, row) => {
      const g = byGrid.get(p.grid) ?? index.get(p.grid.code) ?? -1;
      this.gridOfPart[row] = g;
      if (g >= 0 && this.partStart[g] === -1) this.partStart[g] = row;
    });
    this.partStart[grids.length] = model.gridParts.length;
    // grids without parts (no geometry) point at the next grid's first row
    for (let i = grids.length - 1; i >= 0; i--) if (this.partStart[i] === -1) this.partStart[i] = this.partStart[i + 1]!;
    this.colors = new Uint8Array(4 * grids.length);
    this.data = Object.assign(model.gridParts.slice(), { version: 0 });
  }

  get currentLegend(): Legend | null {
    return this.legend;
  }

  /** Recolours every grid (new measure, new bins). Returns the legend used. */
  reset(measure: GridMeasure, figures: GridFigures, legend?: Legend): Legend {
    this.measure = measure;
    const values = new Float64Array(this.gridCount);
    for (let i = 0; i < this.gridCount; i++) values[i] = measureValue(measure, figures, i);
    this.legend = legend ?? buildLegend(measure, values);
    for (let i = 0; i < this.gridCount; i++) this.writeColor(i, colorOf(this.legend, values[i]!));
    // every colour through the update trigger; the data (and its tessellation) stays
    this.colorKey++;
    this.fill = null;
    return this.legend;
  }

  /**
   * Recomputes the colour of the given grids; if any changed, the next
   * `gridFill()` carries only their rows. Returns the grids whose colour changed.
   */
  update(grids: Iterable<number>, figures: GridFigures): number[] {
    if (!this.legend || this.measure === 'town') return [];
    const changed: number[] = [];
    const rows: RowRange[] = [];
    for (const g of grids) {
      if (g < 0 || g >= this.gridCount) continue;
      const c = colorOf(this.legend, measureValue(this.measure, figures, g));
      if (this.sameColor(g, c)) continue;
      this.writeColor(g, c);
      changed.push(g);
      rows.push({ startRow: this.partStart[g]!, endRow: this.partStart[g + 1]! });
    }
    if (changed.length === 0) return changed;
    this.version++;
    this.log.push({ version: this.version, rows: mergeRanges(rows) });
    if (this.log.length > 256) this.log.shift();
    this.data = Object.assign(this.model.gridParts.slice(), { version: this.version });
    this.fill = null;
    return changed;
  }

  colorOfGrid(g: number): Rgba {
    return [this.colors[4 * g]!, this.colors[4 * g + 1]!, this.colors[4 * g + 2]!, this.colors[4 * g + 3]!];
  }

  /** The fill for DistrictMap (same object until something changes); null for town colours. */
  gridFill(): GridFill | null {
    if (this.measure === 'town' || !this.legend) return null;
    if (this.fill) return this.fill;
    const colors = this.colors;
    const gridOfPart = this.gridOfPart;
    this.fill = {
      data: this.data,
      colorKey: `${this.measure}:${this.colorKey}`,
      getFillColor: (_part, { index }) => {
        const g = gridOfPart[index]!;
        return [colors[4 * g]!, colors[4 * g + 1]!, colors[4 * g + 2]!, colors[4 * g + 3]!];
      },
      dataDiff: (newData, oldData) => this.rangesBetween(newData, oldData),
    };
    return this.fill;
  }

  /** Rows changed between two data arrays handed out by this controller; null: all. */
  rangesBetween(newData: unknown, oldData: unknown): RowRange[] | null {
    const n = (newData as Partial<VersionedParts> | undefined)?.version;
    const o = (oldData as Partial<VersionedParts> | undefined)?.version;
    if (typeof n !== 'number' || typeof o !== 'number') return null;
    const first = this.log[0];
    if (o < n && (!first || first.version > o + 1)) return null;
    const out: RowRange[] = [];
    for (const e of this.log) if (e.version > o && e.version <= n) out.push(...e.rows);
    return mergeRanges(out);
  }

  private sameColor(g: number, c: Rgba): boolean {
    const k = 4 * g;
    return this.colors[k] === c[0] && this.colors[k + 1] === c[1] && this.colors[k + 2] === c[2] && this.colors[k + 3] === c[3];
  }

  private writeColor(g: number, c: Rgba): void {
    this.colors.set(c, 4 * g);
  }
}
