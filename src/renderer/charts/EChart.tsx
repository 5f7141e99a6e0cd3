/**
 * One ECharts instance in a div: created once per mount, given a new option
 * with `setOption` when the option object changes, and resized with its
 * container. The option is built by pure functions (chart-options.ts) so what
 * a chart shows is tested without a canvas.
 *
 * What a setOption costs is the point here: the wall's charts take live
 * figures all day. A chart is set only when its option is a new object (the
 * callers memoise it on the figures it shows), merged into the one shown by
 * default (`notMerge` rebuilt the whole chart model at every update: in
 * bench:wall ~10 ms of main thread a chart), lazily (zrender draws it in its
 * next animation frame, with the page's map), and it animates only its first
 * appearance: later updates change the figures in place — a transition is
 * ~36 zrender frames (each a repaint of the canvas and a composite of the
 * page) for a figure that moves every few seconds.
 */
import { useEffect, useRef } from 'react';
import { echarts, type EChartsCoreOption } from './echarts';

export interface EChartProps {
  option: EChartsCoreOption;
  /** replace the whole option instead of merging (a chart whose components or series change) */
  notMerge?: boolean;
  className?: string;
  testId?: string;
  ariaLabel?: string;
  /** device pixels per CSS pixel for the chart's canvas */
  devicePixelRatio?: number;
  /** false: no animation at all, not even the first appearance (software GL, where every animated frame is dear) */
  animate?: boolean;
}

export function EChart({ option, notMerge, className, testId, ariaLabel, devicePixelRatio, animate = true }: EChartProps) {
  const ref = useRef<HTMLDivElement>(null);
  const chartRef = useRef<ReturnType<typeof echarts.init> | null>(null);
  /** whether the instance has been given an option yet (its first appearance may animate) */
  const shown = useRef(false);
  // read when an option is set, not a reason to set one: a new `animate` alone has nothing to animate
  const animateRef = useRef(animate);
  animateRef.current = animate;

  useEffect(() => {
    const el = ref.current!;
    const chart = echarts.init(el, undefined, { renderer: 'canvas', ...(devicePixelRatio ? { devicePixelRatio } : {}) });
    chartRef.current = chart;
    shown.current = false;
    const resize = new ResizeObserver(() => chart.resize());
    resize.observe(el);
    return () => {
      resize.disconnect();
      chart.dispose();
      chartRef.current = null;
    };
  }, [devicePixelRatio]);

  useEffect(() => {
    const chart = chartRef.current;
    if (!chart) return;
    const animation = animateRef.current && !shown.current;
    shown.current = true;
    chart.setOption({ ...option, animation }, { notMerge: notMerge ?? false, lazyUpdate: true });
  }, [option, notMerge, devicePixelRatio]);

  return <div ref={ref} className={className ?? 'echart'} data-testid={testId} role="img" aria-label={ariaLabel} />;
}
