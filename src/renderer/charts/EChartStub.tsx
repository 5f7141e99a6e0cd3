/**
 * Stand-in for EChart in DOM tests: ECharts needs a canvas, which happy-dom
 * does not have. Tests replace the component (via `vi.mock`) and read the
 * option a chart was given from `data-option` (series data as JSON).
 */
import type { EChartProps } from './EChart';

export function EChartStub({ option, testId, ariaLabel }: EChartProps) {
  const series = (option as { series?: { data?: unknown }[] }).series ?? [];
  return <div className="echart" data-testid={testId ?? 'echart'} aria-label={ariaLabel} data-option={JSON.stringify(series.map((s) => s.data ?? null))} />;
}
