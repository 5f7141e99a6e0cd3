// @vitest-environment happy-dom
import { cleanup, render } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { EChartsCoreOption } from './echarts';

/** every setOption the charts were given (happy-dom has no canvas: the instance is a stand-in) */
const calls = vi.hoisted(() => ({ setOption: [] as { option: Record<string, unknown>; opts: Record<string, unknown> }[], inits: 0 }));
vi.mock('./echarts', () => ({
  echarts: {
    init: () => {
      calls.inits++;
      return {
        setOption: (option: Record<string, unknown>, opts: Record<string, unknown>) => calls.setOption.push({ option, opts }),
        resize: () => undefined,
        dispose: () => undefined,
      };
    },
  },
}));
const { EChart } = await import('./EChart');

afterEach(() => {
  cleanup();
  calls.setOption.length = 0;
  calls.inits = 0;
});

describe('EChart', () => {
  it('sets an option only when it is a new object, merged and lazily, animating the first appearance only', () => {
    const a: EChartsCoreOption = { series: [{ type: 'bar', data: [1, 2] }] };
    const { rerender } = render(<EChart option={a} />);
    expect(calls.setOption).toHaveLength(1);
    expect(calls.setOption[0]!.option).toEqual({ ...a, animation: true });
    expect(calls.setOption[0]!.opts).toEqual({ notMerge: false, lazyUpdate: true });
    // a re-render with the same option (and one where only `animate` moved) sets nothing
    rerender(<EChart option={a} />);
    rerender(<EChart option={a} animate={false} />);
    expect(calls.setOption).toHaveLength(1);
    // new figures: merged into the chart shown, without a transition
    const b: EChartsCoreOption = { series: [{ type: 'bar', data: [1, 3] }] };
    rerender(<EChart option={b} />);
    expect(calls.setOption).toHaveLength(2);
    expect(calls.setOption[1]!.option).toEqual({ ...b, animation: false });
    expect(calls.setOption[1]!.opts).toEqual({ notMerge: false, lazyUpdate: true });
  });

  it('does not animate at all when told not to (software GL)', () => {
    render(<EChart option={{ series: [] }} animate={false} notMerge />);
    expect(calls.setOption[0]!.option.animation).toBe(false);
    expect(calls.setOption[0]!.opts.notMerge).toBe(true);
  });

  it('gives a new instance (another pixel ratio) the option again, as a first appearance', () => {
    const a: EChartsCoreOption = { series: [] };
    const { rerender } = render(<EChart option={a} devicePixelRatio={1} />);
    rerender(<EChart option={a} devicePixelRatio={2} />);
    expect(calls.inits).toBe(2);
    expect(calls.setOption.map((c) => c.option.animation)).toEqual([true, true]);
  });
});
