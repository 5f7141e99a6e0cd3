import type { Layer } from '@deck.gl/core';
import { describe, expect, it } from 'vitest';
import { fakeDistrict } from '../test/fake-district';
import { buildDistrictLayers, gridFillColor, LAYER_IDS, type DistrictLayerOptions } from './district-layers';
import { buildMapModel, type Label } from './map-model';

const { tree, geometry } = fakeDistrict({ towns: 10, villagesPerTown: 2, gridsPerVillage: 3 });
const model = buildMapModel(tree, geometry);
const base: DistrictLayerOptions = { showVillageLabels: false, selectedTownCode: null, scale: 1 };

const byId = (layers: Layer[]) => new Map(layers.map((l) => [l.id, l]));

describe('district layers', () => {
  it('draws the layers in a fixed order with stable ids', () => {
    const layers = buildDistrictLayers(model, base);
    expect(layers.map((l) => l.id)).toEqual([
      LAYER_IDS.grids,
      LAYER_IDS.villageBoundaries,
      LAYER_IDS.townBoundaries,
      LAYER_IDS.selectedTown,
      LAYER_IDS.districtGlow,
      LAYER_IDS.districtOutline,
      LAYER_IDS.labels,
    ]);
  });

  it('reuses the same data arrays across rebuilds, so deck.gl regenerates nothing', () => {
    const a = byId(buildDistrictLayers(model, base));
    const b = byId(buildDistrictLayers(model, { ...base, selectedTownCode: model.towns[0]!.code }));
    for (const [id, layer] of a) if (id !== LAYER_IDS.selectedTown) expect(b.get(id)!.props.data, id).toBe(layer.props.data);
    const near1 = byId(buildDistrictLayers(model, { ...base, showVillageLabels: true }));
    const near2 = byId(buildDistrictLayers(model, { ...base, showVillageLabels: true }));
    for (const [id, layer] of near1) expect(near2.get(id)!.props.data, id).toBe(layer.props.data);
    const sel1 = byId(buildDistrictLayers(model, { ...base, selectedTownCode: model.towns[2]!.code }));
    const sel2 = byId(buildDistrictLayers(model, { ...base, selectedTownCode: model.towns[2]!.code }));
    expect(sel2.get(LAYER_IDS.selectedTown)!.props.data).toBe(sel1.get(LAYER_IDS.selectedTown)!.props.data);
  });

  it('makes only the grids pickable and feeds them every polygon part', () => {
    const layers = byId(buildDistrictLayers(model, base));
    expect([...layers.values()].filter((l) => l.props.pickable).map((l) => l.id)).toEqual([LAYER_IDS.grids]);
    expect(layers.get(LAYER_IDS.grids)!.props.data).toBe(model.gridParts);
  });

  it('recolours grid fills through an update trigger when a town is selected', () => {
    const town = model.towns[3]!;
    const none = byId(buildDistrictLayers(model, base)).get(LAYER_IDS.grids)!;
    const picked = byId(buildDistrictLayers(model, { ...base, selectedTownCode: town.code })).get(LAYER_IDS.grids)!;
    expect(none.props.updateTriggers).toEqual({ getFillColor: [null] });
    expect(picked.props.updateTriggers).toEqual({ getFillColor: [town.code] });
    const inside = model.gridParts.find((p) => p.grid.townCode === town.code)!;
    const outside = model.gridParts.find((p) => p.grid.townCode !== town.code)!;
    expect(gridFillColor(model, inside, town.code)).toEqual([...town.color, 150]);
    expect(gridFillColor(model, outside, town.code)[3]).toBeLessThan(150);
    const selected = byId(buildDistrictLayers(model, { ...base, selectedTownCode: town.code })).get(LAYER_IDS.selectedTown)!;
    expect(selected.props.visible).toBe(true);
    expect((selected.props.data as { code: string }[]).every((p) => p.code === town.code)).toBe(true);
  });

  it('labels towns always and villages only when asked, with every Chinese glyph in the font atlas', () => {
    const far = byId(buildDistrictLayers(model, base)).get(LAYER_IDS.labels)!;
    const near = byId(buildDistrictLayers(model, { ...base, showVillageLabels: true })).get(LAYER_IDS.labels)!;
    const farData = far.props.data as Label[];
    const nearData = near.props.data as Label[];
    expect(farData.map((l) => l.level)).toEqual(Array(10).fill('town'));
    expect(nearData).toHaveLength(10 + 20);
    expect(nearData.filter((l) => l.level === 'village')).toHaveLength(20);
    const props = near.props as unknown as { characterSet: string[]; fontFamily: string };
    for (const label of nearData) for (const ch of label.text) expect(props.characterSet).toContain(ch);
    expect(props.fontFamily).toMatch(/Noto Sans CJK SC/);
  });

  it('lets towns win label collisions, then larger villages', () => {
    const labels = model.allLabels;
    const towns = labels.filter((l) => l.level === 'town');
    const villages = labels.filter((l) => l.level === 'village');
    expect(towns.every((t) => t.priority === 1000)).toBe(true);
    expect(Math.max(...villages.map((v) => v.priority))).toBeLessThan(1000);
    for (const v of villages) expect(v.priority).toBeGreaterThanOrEqual(-1000);
    const layer = byId(buildDistrictLayers(model, { ...base, showVillageLabels: true })).get(LAYER_IDS.labels)!;
    const props = layer.props as unknown as { collisionGroup: string; getCollisionPriority: (l: Label) => number };
    expect(props.collisionGroup).toBe('labels');
    expect(props.getCollisionPriority(towns[0]!)).toBe(1000);
  });
});
