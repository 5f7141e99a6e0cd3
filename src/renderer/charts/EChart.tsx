/**
 * One ECharts instance in a div: created once per mount, given a new option
 * with `setOption` when it changes (ECharts animates from the old values), and
 * resized with its container. The option is built by pure functions
 * (chart-options.ts) so what a chart shows is tested without a canvas.
 */
import { useEffect, useRef } from 'react';
import { echarts, type EChartsCoreOption } from './echarts';

export interface EChartProps {
  option: EChartsCoreOption;
  /** replace the whole option instead of merging (a chart whose series change) */
  notMerge?: boolean;
  className?: string;
  testId?: string;
  ariaLabel?: string;
  /** device pixels per CSS pixel for the chart's canvas */
  devicePixelRatio?: number;
  /** false: no transitions (software GL, where every animated frame is dear) */
  animate?: boolean;
}

export function EChart({ option, notMerge, className, testId, ariaLabel, devicePixelRatio, animate = true }: EChartProps) {
  const ref = useRef<HTMLDivElement>(null);
  const chartRef = useRef<ReturnType<typeof echarts.init> | null>(null);

  useEffect(() => {
    const el = ref.current!;
    const chart = echarts.init(el, undefined, { renderer: 'canvas', ...(devicePixelRatio ? { devicePixelRatio } : {}) });
    chartRef.current = chart;
    const resize = new ResizeObserver(() => chart.resize());
    resize.observe(el);
    return () => {
      resize.disconnect();
      chart.dispose();
      chartRef.current = null;
    };
  }, [devicePixelRatio]);

  useEffect(() => {
    chartRef.current?.setOption(animate ? option : { ...option, animation: false }, { notMerge: notMerge ?? false, lazyUpdate: true });
  }, [option, notMerge, devicePixelRatio, animate]);

  return <div ref={ref} className={className ?? 'echart'} data-testid={testId} role="img" aria-label={ariaLabel} />;
}
