// @vitest-environment happy-dom
import { cleanup, render } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { fakeResults } from '../../core/rpc/fake-service';
import type { Kpis } from '../../core/rpc/queries';
import { I18nProvider } from '../i18n';

/** the options the charts were given, by chart (happy-dom has no canvas: the instances are stand-ins) */
const set = vi.hoisted(() => [] as unknown[]);
vi.mock('../charts/echarts', () => ({
  echarts: { init: () => ({ setOption: (option: unknown) => set.push(option), resize: () => undefined, dispose: () => undefined }) },
}));
const { CategoryChart, HourlyChart, SourceChart, TownChart } = await import('./ChartPanels');

afterEach(() => {
  cleanup();
  set.length = 0;
});

function Charts({ kpis }: { kpis: Kpis }) {
  return (
    <I18nProvider locale="zh-CN">
      <CategoryChart kpis={kpis} scale={1} ultrawide={false} animate />
      <SourceChart kpis={kpis} scale={1} animate />
      <TownChart kpis={kpis} model={null} scale={1} animate />
      <HourlyChart kpis={kpis} scale={1} animate />
    </I18nProvider>
  );
}

describe('the wall’s charts', () => {
  const base: Kpis = {
    ...fakeResults['stats/kpis'],
    byCategory: [{ key: '01', label: '城市管理', count: 4 }],
    byTown: [{ key: '440114001000', label: '新华街', count: 4 }],
    bySource: [{ key: 'grid_patrol', label: '网格巡查', count: 4 }],
  };

  it('set no option when an answer moved only figures they do not show', () => {
    const { rerender } = render(<Charts kpis={base} />);
    expect(set).toHaveLength(4);
    // a new answer: events in progress and the checkpoint moved (every change of the district does that),
    // today's intake by category, town, source and hour did not
    rerender(<Charts kpis={{ ...structuredClone(base), inProgress: base.inProgress + 1, checkpoint: base.checkpoint + 7 }} />);
    expect(set).toHaveLength(4);
  });

  it('set the option of the chart whose figures moved, and of that chart only', () => {
    const { rerender } = render(<Charts kpis={base} />);
    const moved = structuredClone(base);
    moved.byCategory[0]!.count = 5;
    rerender(<Charts kpis={moved} />);
    expect(set).toHaveLength(5);
    expect(JSON.stringify(set[4])).toContain('"value":5');
  });
});
