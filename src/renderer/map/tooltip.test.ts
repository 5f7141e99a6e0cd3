import { describe, expect, it } from 'vitest';
import { createI18n } from '../i18n';
import { fakeDistrict } from '../test/fake-district';
import { buildMapModel } from './map-model';
import { gridTooltip } from './tooltip';

describe('grid tooltip', () => {
  const { tree, geometry } = fakeDistrict();
  const model = buildMapModel(tree, geometry);
  const withWorker = geometry.grids.find((g) => g.workers.length > 0)!;
  const withoutWorker = geometry.grids.find((g) => g.workers.length === 0)!;

  it('names the grid, its village and town, and its workers with phone numbers (zh-CN)', () => {
    const tip = gridTooltip(withWorker, model, createI18n('zh-CN'));
    expect(tip.title).toBe(withWorker.name);
    expect(tip.subtitle).toBe('社区网格');
    expect(tip.rows).toEqual([
      { label: '网格编码', value: withWorker.code },
      { label: '网格名称', value: withWorker.name },
      { label: '村居', value: model.villageByCode.get(withWorker.villageCode)!.name },
      { label: '镇街', value: model.townByCode.get(withWorker.townCode)!.name },
    ]);
    expect(tip.workersLabel).toBe('网格员');
    expect(tip.workers).toEqual([`${withWorker.workers[0]!.name} ${withWorker.workers[0]!.phone}`]);
  });

  it('says so when no grid worker is assigned, in English too', () => {
    const tip = gridTooltip(withoutWorker, model, createI18n('en'));
    expect(tip.rows.map((r) => r.label)).toEqual(['Grid code', 'Grid name', 'Village', 'Town']);
    expect(tip.workers).toEqual(['No grid worker assigned']);
  });

  it('falls back to codes when the grid points at an unknown area', () => {
    const orphan = { ...withWorker, villageCode: '440114999999', townCode: '440114999000' };
    const tip = gridTooltip(orphan, model, createI18n('zh-CN'));
    expect(tip.rows[2]!.value).toBe('440114999999');
    expect(tip.rows[3]!.value).toBe('440114999000');
  });
});
