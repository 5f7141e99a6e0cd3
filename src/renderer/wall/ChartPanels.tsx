/**
 * The wall's charts (ECharts): today's events by category, by town (in the
 * towns' map colours) and by source, and the hourly intake of today against
 * the mean of the last seven days. Each chart's option is memoised on the
 * figures that chart shows (`useStable`), not on the KPI answer: an answer
 * moves with every change of the district (the counts in progress, overdue,
 * the rates), while the charts' breakdowns of today's intake move only when
 * an event comes in — a new answer with the same breakdown sets no option
 * (a setOption is a model update and a canvas redraw, ~10 ms a chart).
 */
import { useMemo } from 'react';
import type { Kpis } from '../../core/rpc/queries';
import type { EventSource } from '../../core/events/types';
import { donutOption, hourlyOption, rankedBarOption, type BarItem } from '../charts/chart-options';
import { EChart } from '../charts/EChart';
import { useI18n } from '../i18n';
import type { MapModel } from '../map/map-model';
import { rgbToCss } from '../map/theme';
import { Panel } from './Panel';
import { useHour, useStable } from './use-wall-data';

function Empty({ text }: { text: string }) {
  return <div className="chart-empty">{text}</div>;
}

export function CategoryChart({ kpis, scale, ultrawide, animate }: { kpis: Kpis | null; scale: number; ultrawide: boolean; animate: boolean }) {
  const { t } = useI18n();
  const items = useStable(kpis?.byCategory ?? null);
  const option = useMemo(() => (items ? rankedBarOption(items, scale, ultrawide ? 10 : 7) : null), [items, scale, ultrawide]);
  return (
    <Panel title={t.wall.charts.byCategory} testId="chart-category" className="wall-panel--chart">
      {option && items!.length ? <EChart option={option} animate={animate} ariaLabel={t.wall.charts.byCategory} /> : <Empty text={t.wall.charts.empty} />}
    </Panel>
  );
}

export function SourceChart({ kpis, scale, animate }: { kpis: Kpis | null; scale: number; animate: boolean }) {
  const { t } = useI18n();
  const bySource = useStable(kpis?.bySource ?? null);
  const option = useMemo(() => {
    if (!bySource) return null;
    const items: BarItem[] = bySource.map((s) => ({ key: s.key, label: t.wall.sources[s.key as EventSource] ?? s.label, count: s.count }));
    return donutOption(items, scale);
  }, [bySource, scale, t]);
  return (
    <Panel title={t.wall.charts.bySource} testId="chart-source" className="wall-panel--chart">
      {option && bySource!.length ? <EChart option={option} animate={animate} ariaLabel={t.wall.charts.bySource} /> : <Empty text={t.wall.charts.empty} />}
    </Panel>
  );
}

export function TownChart({ kpis, model, scale, animate }: { kpis: Kpis | null; model: MapModel | null; scale: number; animate: boolean }) {
  const { t } = useI18n();
  const byTown = useStable(kpis?.byTown ?? null);
  const option = useMemo(() => {
    if (!byTown) return null;
    const items: BarItem[] = byTown.map((b) => {
      const town = model?.townByCode.get(b.key);
      return { key: b.key, label: town?.name ?? b.label, count: b.count, ...(town ? { color: rgbToCss(town.color) } : {}) };
    });
    return rankedBarOption(items, scale, 10);
  }, [byTown, model, scale]);
  return (
    <Panel title={t.wall.charts.byTown} testId="chart-town" className="wall-panel--chart wall-panel--tall">
      {option && byTown!.length ? <EChart option={option} animate={animate} ariaLabel={t.wall.charts.byTown} /> : <Empty text={t.wall.charts.empty} />}
    </Panel>
  );
}

export function HourlyChart({ kpis, scale, animate }: { kpis: Kpis | null; scale: number; animate: boolean }) {
  const { t } = useI18n();
  // the hour marked on the chart: its own timer, at the turn of the hour
  const hour = useHour();
  const hourly = useStable(kpis?.hourly ?? null);
  const option = useMemo(
    () => (hourly ? hourlyOption(hourly.today, hourly.last7Days, { today: t.wall.charts.today, last7: t.wall.charts.last7 }, scale, hour) : null),
    [hourly, scale, hour, t],
  );
  return (
    <Panel title={t.wall.charts.hourly} testId="chart-hourly" className="wall-panel--chart">
      {option ? <EChart option={option} animate={animate} ariaLabel={t.wall.charts.hourly} /> : <Empty text={t.wall.charts.empty} />}
    </Panel>
  );
}
