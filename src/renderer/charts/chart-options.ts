/**
 * ECharts options for the control-room panels, built by pure functions so the
 * numbers a chart shows are tested without a canvas: horizontal bars (ranked
 * categories, towns), a donut (sources) and the hourly intake of today against
 * the mean of the last seven days. Sizes follow the wall's scale factor;
 * colours follow the dark theme.
 */
import type { EChartsCoreOption } from './echarts';

export const CHART_THEME = {
  text: '#e8eefb',
  muted: '#8ea2c4',
  line: '#1b2b47',
  accent: '#54d6ff',
  warm: '#ffc440',
  palette: ['#54d6ff', '#38d68a', '#ffc440', '#b28eff', '#ff7a45', '#ff4d6d', '#36cfc9', '#95de64', '#f759ab', '#597ef7', '#ffa940', '#bae637', '#9254de'],
  font: '"Noto Sans CJK SC", "Noto Sans SC", "Source Han Sans SC", "Microsoft YaHei", "PingFang SC", sans-serif',
} as const;

export interface BarItem {
  key: string;
  label: string;
  count: number;
  /** a CSS colour for this bar (towns keep their map colour) */
  color?: string;
}

const px = (base: number, scale: number) => Math.round(base * scale);

/** Ranked horizontal bars, largest on top, at most `limit` of them. */
export function rankedBarOption(items: readonly BarItem[], scale: number, limit = 8): EChartsCoreOption {
  const top = [...items].sort((a, b) => b.count - a.count || a.label.localeCompare(b.label)).slice(0, limit).reverse();
  return {
    animationDuration: 600,
    animationDurationUpdate: 500,
    textStyle: { fontFamily: CHART_THEME.font },
    grid: { left: px(8, scale), right: px(44, scale), top: px(6, scale), bottom: px(4, scale), containLabel: true },
    xAxis: { type: 'value', show: false, max: (v: { max: number }) => Math.max(1, v.max) },
    yAxis: {
      type: 'category',
      data: top.map((i) => i.label),
      axisLine: { show: false },
      axisTick: { show: false },
      axisLabel: { color: CHART_THEME.text, fontSize: px(13, scale), margin: px(8, scale) },
    },
    tooltip: { show: false },
    series: [
      {
        type: 'bar',
        data: top.map((i, k) => ({ value: i.count, itemStyle: { color: i.color ?? CHART_THEME.palette[(top.length - 1 - k) % CHART_THEME.palette.length] } })),
        barWidth: '58%',
        showBackground: true,
        backgroundStyle: { color: 'rgba(84,214,255,0.06)', borderRadius: px(3, scale) },
        itemStyle: { borderRadius: px(3, scale) },
        label: { show: true, position: 'right', color: CHART_THEME.text, fontSize: px(13, scale), fontWeight: 600 },
      },
    ],
  };
}

/** A donut with the share of each item and a legend beside it. */
export function donutOption(items: readonly BarItem[], scale: number): EChartsCoreOption {
  const sorted = [...items].filter((i) => i.count > 0).sort((a, b) => b.count - a.count);
  return {
    animationDuration: 600,
    textStyle: { fontFamily: CHART_THEME.font },
    color: [...CHART_THEME.palette],
    tooltip: { show: false },
    legend: {
      orient: 'vertical',
      right: 0,
      top: 'middle',
      itemWidth: px(10, scale),
      itemHeight: px(10, scale),
      itemGap: px(6, scale),
      textStyle: { color: CHART_THEME.text, fontSize: px(12, scale) },
      formatter: (name: string) => {
        const item = sorted.find((i) => i.label === name);
        return item ? `${name}  ${item.count}` : name;
      },
    },
    series: [
      {
        type: 'pie',
        radius: ['48%', '78%'],
        center: ['28%', '50%'],
        avoidLabelOverlap: true,
        label: { show: false },
        itemStyle: { borderColor: '#0c1729', borderWidth: px(2, scale) },
        data: sorted.map((i) => ({ name: i.label, value: i.count, ...(i.color ? { itemStyle: { color: i.color } } : {}) })),
      },
    ],
  };
}

/**
 * Events reported per hour today (bars, up to the current hour) against the
 * mean of the previous seven days (a line over all 24 hours).
 */
export function hourlyOption(today: readonly number[], last7: readonly number[], labels: { today: string; last7: string }, scale: number, currentHour: number): EChartsCoreOption {
  const hours = Array.from({ length: 24 }, (_, h) => String(h).padStart(2, '0'));
  return {
    animationDuration: 600,
    textStyle: { fontFamily: CHART_THEME.font },
    grid: { left: px(6, scale), right: px(10, scale), top: px(30, scale), bottom: px(4, scale), containLabel: true },
    legend: {
      top: 0,
      right: 0,
      itemWidth: px(14, scale),
      itemHeight: px(8, scale),
      textStyle: { color: CHART_THEME.muted, fontSize: px(12, scale) },
      data: [labels.today, labels.last7],
    },
    tooltip: { show: false },
    xAxis: {
      type: 'category',
      data: hours,
      axisLine: { lineStyle: { color: CHART_THEME.line } },
      axisTick: { show: false },
      axisLabel: { color: CHART_THEME.muted, fontSize: px(11, scale), interval: 3 },
    },
    yAxis: {
      type: 'value',
      splitLine: { lineStyle: { color: CHART_THEME.line } },
      axisLabel: { color: CHART_THEME.muted, fontSize: px(11, scale) },
      minInterval: 1,
    },
    series: [
      {
        name: labels.today,
        type: 'bar',
        data: hours.map((_, h) => (h <= currentHour ? (today[h] ?? 0) : null)),
        itemStyle: { color: CHART_THEME.accent, borderRadius: [px(2, scale), px(2, scale), 0, 0] },
        barWidth: '62%',
      },
      {
        name: labels.last7,
        type: 'line',
        data: hours.map((_, h) => last7[h] ?? 0),
        smooth: true,
        symbol: 'none',
        lineStyle: { color: CHART_THEME.warm, width: px(2.5, scale) },
        areaStyle: { color: 'rgba(255,196,64,0.10)' },
      },
    ],
  };
}
