import type { Layer } from '@deck.gl/core';
import { describe, expect, it } from 'vitest';
import { fakeDistrict } from '../test/fake-district';
import { buildDistrictLayers, gridFillColor, LAYER_IDS, type DistrictLayerOptions } from './district-layers';
import { buildMapModel } from './map-model';

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
      LAYER_IDS.villageLabels,
      LAYER_IDS.townLabels,
    ]);
  });

  it('reuses the same data arrays across rebuilds, so deck.gl regenerates nothing', () => {
    const a = byId(buildDistrictLayers(model, base));
    const b = byId(buildDistrictLayers(model, { ...base, showVillageLabels: true }));
    for (const [id, layer] of a) expect(b.get(id)!.props.data, id).toBe(layer.props.data);
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

  it('shows village labels only when asked, with every Chinese glyph in the font atlas', () => {
    const far = byId(buildDistrictLayers(model, base));
    const near = byId(buildDistrictLayers(model, { ...base, showVillageLabels: true }));
    expect(far.get(LAYER_IDS.villageLabels)!.props.visible).toBe(false);
    expect(near.get(LAYER_IDS.villageLabels)!.props.visible).toBe(true);
    expect(far.get(LAYER_IDS.townLabels)!.props.visible).toBe(true);
    for (const id of [LAYER_IDS.townLabels, LAYER_IDS.villageLabels]) {
      const props = far.get(id)!.props as unknown as { characterSet: string[]; fontFamily: string; data: { text: string }[] };
      for (const label of props.data) for (const ch of label.text) expect(props.characterSet).toContain(ch);
      expect(props.fontFamily).toMatch(/Noto Sans CJK SC/);
    }
  });
});
