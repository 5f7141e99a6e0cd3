import { describe, expect, it } from 'vitest';
import { donutOption, hourlyOption, rankedBarOption } from './chart-options';

type Series = { type: string; data: unknown[] }[];

describe('chart options', () => {
  it('ranks bars largest on top (ECharts draws categories bottom-up) and keeps at most `limit`', () => {
    const items = [
      { key: 'a', label: '城市管理', count: 5 },
      { key: 'b', label: '平安建设', count: 12 },
      { key: 'c', label: '治水', count: 1 },
      { key: 'd', label: '消防安全', count: 7, color: '#f00' },
    ];
    const o = rankedBarOption(items, 1, 3) as { yAxis: { data: string[] }; series: Series };
    expect(o.yAxis.data).toEqual(['城市管理', '消防安全', '平安建设']);
    expect((o.series[0]!.data as { value: number }[]).map((d) => d.value)).toEqual([5, 7, 12]);
    expect((o.series[0]!.data[1] as { itemStyle: { color: string } }).itemStyle.color).toBe('#f00');
  });

  it('scales type with the wall', () => {
    const at = (scale: number) => (rankedBarOption([{ key: 'a', label: 'x', count: 1 }], scale) as { yAxis: { axisLabel: { fontSize: number } } }).yAxis.axisLabel.fontSize;
    expect(at(2)).toBe(2 * at(1));
  });

  it('draws today up to the current hour only, and the 7-day mean over the whole day', () => {
    const today = Array.from({ length: 24 }, (_, h) => h);
    const mean = Array.from({ length: 24 }, () => 4);
    const o = hourlyOption(today, mean, { today: '今日', last7: '近7日均值' }, 1, 9) as { series: Series };
    expect(o.series[0]!.data.slice(8, 11)).toEqual([8, 9, null]);
    expect(o.series[1]!.data).toHaveLength(24);
  });

  it('leaves empty sources out of the donut and sorts the rest', () => {
    const o = donutOption(
      [
        { key: 'a', label: 'A', count: 0 },
        { key: 'b', label: 'B', count: 3 },
        { key: 'c', label: 'C', count: 9 },
      ],
      1,
    ) as { series: Series };
    expect(o.series[0]!.data).toEqual([{ name: 'C', value: 9 }, { name: 'B', value: 3 }]);
  });
});
