import { describe, expect, it } from 'vitest';
import { buildMapModel } from '../map/map-model';
import { fakeDistrict } from '../test/fake-district';
import { GridFillController } from './grid-fill';
import { NONE_COLOR } from './measures';

const { tree, geometry } = fakeDistrict({ towns: 2, villagesPerTown: 2, gridsPerVillage: 3 });
const model = buildMapModel(tree, geometry);

function figures(open: number[]) {
  return { open, overdue: open.map(() => 0), load30d: open.map(() => 0), population: open.map(() => 1000) };
}

describe('GridFillController', () => {
  it('maps each grid to its polygon rows (multi-part grids have several)', () => {
    const c = new GridFillController(model);
    expect(c.gridCount).toBe(12);
    expect(model.gridParts.length).toBe(16);
    // the third grid of each village is a two-part MultiPolygon
    expect(c.partStart[3]! - c.partStart[2]!).toBe(2);
    expect(c.gridOfPart[3]).toBe(2);
  });

  it('colours every grid on reset through the colour key, keeping the data (no re-tessellation)', () => {
    const c = new GridFillController(model);
    const open = new Array(12).fill(0);
    open[5] = 9;
    c.reset('open', figures(open));
    const fill = c.gridFill()!;
    expect(fill.getFillColor(model.gridParts[0]!, { index: 0 })).toEqual(NONE_COLOR);
    const row5 = c.partStart[5]!;
    expect(fill.getFillColor(model.gridParts[row5]!, { index: row5 })).not.toEqual(NONE_COLOR);
    const data = fill.data;
    c.reset('overdue', figures(open));
    const again = c.gridFill()!;
    expect(again.data).toBe(data);
    expect(again.colorKey).not.toBe(fill.colorKey);
    expect(c.reset('town', figures(open)).bins).toEqual([]);
    expect(c.gridFill()).toBeNull();
  });

  it('on a live change recolours only the grids whose bin changed, and diffs exactly their rows', () => {
    const c = new GridFillController(model);
    const open = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11];
    c.reset('open', figures(open));
    const before = c.gridFill()!;
    // grid 2 (two parts) jumps to the top bin, grid 4 changes within its bin, grid 7 is untouched
    open[2] = 50;
    open[4] = 4;
    expect(c.update([2, 4, 7], figures(open))).toEqual([2]);
    const after = c.gridFill()!;
    expect(after).not.toBe(before);
    expect(after.colorKey).toBe(before.colorKey);
    expect(after.dataDiff!(after.data, before.data)).toEqual([{ startRow: c.partStart[2]!, endRow: c.partStart[3]! }]);
    // nothing changed: same fill object, no new data
    expect(c.update([7], figures(open))).toEqual([]);
    expect(c.gridFill()).toBe(after);
  });

  it('sums the rows of several updates since the version a layer last drew', () => {
    const c = new GridFillController(model);
    const open = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11];
    c.reset('open', figures(open));
    const v0 = c.gridFill()!;
    open[0] = 40;
    c.update([0], figures(open));
    open[11] = 0;
    c.update([11], figures(open));
    const v2 = c.gridFill()!;
    expect(v2.dataDiff!(v2.data, v0.data)).toEqual([
      { startRow: c.partStart[0]!, endRow: c.partStart[1]! },
      { startRow: c.partStart[11]!, endRow: c.partStart[12]! },
    ]);
    expect(c.rangesBetween({}, v0.data)).toBeNull();
  });
});
