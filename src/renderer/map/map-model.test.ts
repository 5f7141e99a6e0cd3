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

  it('ranks village labels by size: the larger village wins a collision', () => {
    const big = fakeDistrict({ towns: 1, villagesPerTown: 2 });
    // make the first village twice as tall as the second
    const [v1, v2] = big.tree.district.children[0]!.children;
    v1!.bbox = [v1!.bbox[0], v1!.bbox[1], v1!.bbox[2], v1!.bbox[3] + 0.1];
    const model = buildMapModel(big.tree, big.geometry);
    const p = (code: string) => model.allLabels.find((l) => l.code === code)!.priority;
    expect(p(v1!.code)).toBeGreaterThan(p(v2!.code));
  });

  it('builds labels and a character set covering them', () => {
    const model = buildMapModel(tree, geometry);
    expect(model.townLabels.map((l) => l.text)).toEqual(model.towns.map((t) => t.name));
    expect(model.allLabels).toHaveLength(4 + 12);
    expect(model.allLabels.slice(0, 4)).toEqual(model.townLabels);
    for (const label of model.allLabels) {
      for (const ch of label.text) expect(model.labelCharacters).toContain(ch);
    }
  });
});
