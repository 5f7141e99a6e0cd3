/**
 * The wall's charts (ECharts): today's events by category, by town (in the
 * towns' map colours) and by source, and the hourly intake of today against
 * the mean of the last seven days. Options are memoised on the KPI answer, so
 * a re-render with the same figures does not touch the charts.
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
import { useHour } from './use-wall-data';

function Empty({ text }: { text: string }) {
  return <div className="chart-empty">{text}</div>;
}

export function CategoryChart({ kpis, scale, ultrawide, animate }: { kpis: Kpis | null; scale: number; ultrawide: boolean; animate: boolean }) {
  const { t } = useI18n();
  const option = useMemo(() => (kpis ? rankedBarOption(kpis.byCategory, scale, ultrawide ? 10 : 7) : null), [kpis, scale, ultrawide]);
  return (
    <Panel title={t.wall.charts.byCategory} testId="chart-category" className="wall-panel--chart">
      {option && kpis!.byCategory.length ? <EChart option={option} notMerge animate={animate} ariaLabel={t.wall.charts.byCategory} /> : <Empty text={t.wall.charts.empty} />}
    </Panel>
  );
}

export function SourceChart({ kpis, scale, animate }: { kpis: Kpis | null; scale: number; animate: boolean }) {
  const { t } = useI18n();
  const option = useMemo(() => {
    if (!kpis) return null;
    const items: BarItem[] = kpis.bySource.map((s) => ({ key: s.key, label: t.wall.sources[s.key as EventSource] ?? s.label, count: s.count }));
    return donutOption(items, scale);
  }, [kpis, scale, t]);
  return (
    <Panel title={t.wall.charts.bySource} testId="chart-source" className="wall-panel--chart">
      {option && kpis!.bySource.length ? <EChart option={option} notMerge animate={animate} ariaLabel={t.wall.charts.bySource} /> : <Empty text={t.wall.charts.empty} />}
    </Panel>
  );
}

export function TownChart({ kpis, model, scale, animate }: { kpis: Kpis | null; model: MapModel | null; scale: number; animate: boolean }) {
  const { t } = useI18n();
  const option = useMemo(() => {
    if (!kpis) return null;
    const items: BarItem[] = kpis.byTown.map((b) => {
      const town = model?.townByCode.get(b.key);
      return { key: b.key, label: town?.name ?? b.label, count: b.count, ...(town ? { color: rgbToCss(town.color) } : {}) };
    });
    return rankedBarOption(items, scale, 10);
  }, [kpis, model, scale]);
  return (
    <Panel title={t.wall.charts.byTown} testId="chart-town" className="wall-panel--chart wall-panel--tall">
      {option && kpis!.byTown.length ? <EChart option={option} notMerge animate={animate} ariaLabel={t.wall.charts.byTown} /> : <Empty text={t.wall.charts.empty} />}
    </Panel>
  );
}

export function HourlyChart({ kpis, scale, animate }: { kpis: Kpis | null; scale: number; animate: boolean }) {
  const { t } = useI18n();
  // the hour marked on the chart: its own timer, at the turn of the hour
  const hour = useHour();
  const option = useMemo(
    () => (kpis ? hourlyOption(kpis.hourly.today, kpis.hourly.last7Days, { today: t.wall.charts.today, last7: t.wall.charts.last7 }, scale, hour) : null),
    [kpis, scale, hour, t],
  );
  return (
    <Panel title={t.wall.charts.hourly} testId="chart-hourly" className="wall-panel--chart">
      {option ? <EChart option={option} animate={animate} ariaLabel={t.wall.charts.hourly} /> : <Empty text={t.wall.charts.empty} />}
    </Panel>
  );
}
