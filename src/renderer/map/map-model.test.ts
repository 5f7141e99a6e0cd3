import { describe, expect, it } from 'vitest';
import { AreasTree, GridsGeometry } from '../../core/rpc/contract';
import { fakeDistrict } from '../test/fake-district';
import { buildMapModel, townColorOf } from './map-model';

describe('buildMapModel', () => {
  const { tree, geometry } = fakeDistrict({ towns: 4, villagesPerTown: 3, gridsPerVillage: 2 });

  it('starts from answers that satisfy the contract', () => {
    expect(AreasTree.safeParse(tree).success).toBe(true);
    expect(GridsGeometry.safeParse(geometry).success).toBe(true);
  });

  it('counts towns, villages and grids', () => {
    const model = buildMapModel(tree, geometry);
    expect(model.totals).toEqual({ towns: 4, villages: 12, grids: 24, communityGrids: 12, ruralGrids: 12 });
    expect(model.towns.map((t) => [t.villageCount, t.gridCount])).toEqual([
      [3, 6],
      [3, 6],
      [3, 6],
      [3, 6],
    ]);
  });

  it('splits MultiPolygon grids into parts that point back to their grid', () => {
    const model = buildMapModel(tree, geometry);
    // one of the two grids per village is a two-part MultiPolygon
    expect(model.gridParts).toHaveLength(24 + 12);
    const multi = geometry.grids.find((g) => g.geometry.type === 'MultiPolygon')!;
    expect(model.gridParts.filter((p) => p.grid === multi)).toHaveLength(2);
  });

  it('sorts towns by code and colours every grid by its town', () => {
    const shuffled = { ...tree, district: { ...tree.district, children: [...tree.district.children].reverse() } };
    const model = buildMapModel(shuffled, geometry);
    expect(model.towns.map((t) => t.code)).toEqual([...model.towns.map((t) => t.code)].sort());
    const colours = new Set(model.towns.map((t) => t.color.join(',')));
    expect(colours.size).toBe(4);
    const g = geometry.grids[0]!;
    expect(townColorOf(model, g.townCode)).toEqual(model.townByCode.get(g.townCode)!.color);
  });

  it('derives the district outline from the towns when the service sends none', () => {
    const model = buildMapModel(tree, geometry);
    expect(model.districtPaths).toHaveLength(1);
    const lons = model.districtPaths[0]!.path.map((p) => p[0]);
    const lats = model.districtPaths[0]!.path.map((p) => p[1]);
    expect(Math.min(...lons)).toBeCloseTo(113.0, 9);
    expect(Math.max(...lons)).toBeCloseTo(113.16, 9);
    expect(Math.min(...lats)).toBeCloseTo(23.3, 9);
    expect(Math.max(...lats)).toBeCloseTo(23.5, 9);
  });

  it('builds labels and a character set covering them', () => {
    const model = buildMapModel(tree, geometry);
    expect(model.townLabels.map((l) => l.text)).toEqual(model.towns.map((t) => t.name));
    expect(model.villageLabels).toHaveLength(12);
    for (const label of [...model.townLabels, ...model.villageLabels]) {
      for (const ch of label.text) expect(model.labelCharacters).toContain(ch);
    }
  });
});
