/**
 * ECharts with only the parts the renderer draws (bar, line and pie charts;
 * grid, tooltip, legend and title; the canvas renderer), so the bundle does
 * not carry the whole library. Everything that draws a chart imports
 * `echarts` from here.
 */
import { BarChart, LineChart, PieChart } from 'echarts/charts';
import { GridComponent, LegendComponent, TitleComponent, TooltipComponent } from 'echarts/components';
import * as echarts from 'echarts/core';
import { CanvasRenderer } from 'echarts/renderers';

echarts.use([BarChart, LineChart, PieChart, GridComponent, LegendComponent, TitleComponent, TooltipComponent, CanvasRenderer]);

export { echarts };
export type { EChartsCoreOption } from 'echarts/core';
