import { describe, expect, it } from 'vitest';
import { fakeResults } from '../../core/rpc/fake-service';
import { createI18n } from '../i18n';
import { buildMapModel } from '../map/map-model';
import { fakeDistrict } from '../test/fake-district';
import { eventDetailCard, gridCard, hexagonCard, moduleCard, workerCard } from './cards';

const { tree, geometry } = fakeDistrict({ towns: 1, villagesPerTown: 1, gridsPerVillage: 2 });
const model = buildMapModel(tree, geometry);
const zh = createI18n('zh-CN');
const en = createI18n('en');

describe('map cards', () => {
  it('words an event from its detail: case number, category, source, lead unit', () => {
    const detail = { ...fakeResults['events/detail'], event: { ...fakeResults['events/detail'].event, workflow: { ...fakeResults['events/detail'].event.workflow, leadUnitId: 'dept-cg' } } };
    const units = new Map(fakeResults['units/list'].units.map((u) => [u.id, u]));
    const card = eventDetailCard(detail, units, model, zh, (code) => (code === '04' ? '城市管理' : undefined));
    expect(card.title).toBe('道路积水');
    expect(card.subtitle).toBe('待受理/派遣');
    const rows = Object.fromEntries(card.rows.map((r) => [r.label, r.value]));
    expect(rows['编号']).toBe('HD202401010001');
    expect(rows['类别']).toBe('城市管理');
    expect(rows['来源']).toBe('网格巡查');
    expect(rows['主办单位']).toBe('城管局');
  });

  it('words a grid with the value of the measure in force', () => {
    const grid = model.grids[0]!;
    const card = gridCard(grid, model, 'open', 3, en);
    expect(card.rows.at(-1)).toEqual({ label: 'Open events', value: '3' });
    expect(gridCard(grid, model, 'per_thousand', Number.NaN, en).rows.at(-1)!.value).toBe('no population data');
    expect(gridCard(grid, model, 'town', null, en).rows.some((r) => r.label === 'Open events')).toBe(false);
  });

  it('words workers, module features and hexagons', () => {
    const w = fakeResults['map/workers'].workers[0]!;
    expect(workerCard(w, model, zh).subtitle).toBe('在岗');
    const f = fakeResults['map/modules'].features[1]!;
    const m = moduleCard(f, model, zh);
    expect(m.subtitle).toBe('河段');
    expect(m.rows).toContainEqual({ label: '河长', value: '王强' });
    expect(hexagonCard(12.4, en).title).toBe('12 events');
  });
});
