// Shared look of the line charts in both themes: axes, grid, tooltip and legend coloured from
// the theme, no animation (streaming and big series draw at once).
import { chartColors } from '../styles/theme'
import type { ChartOption } from './echarts'

export interface LineChartFrame {
  theme: 'light' | 'dark'
  xName: string
  yName?: string
  legend?: boolean
  logY?: boolean
  dataZoom?: boolean
  /** Whole-number x ticks only (epochs): no 1.2, 1.4, … */
  integerX?: boolean
}

/** `hex` (#rrggbb) at `alpha` opacity, for a fainter twin of a palette colour (raw under smoothed). */
export function fade(hex: string, alpha: number): string {
  const n = Number.parseInt(hex.slice(1, 7), 16)
  return `rgba(${(n >> 16) & 255}, ${(n >> 8) & 255}, ${n & 255}, ${alpha})`
}

export function lineChartBase(frame: LineChartFrame): ChartOption {
  const c = chartColors(frame.theme)
  const axisCommon = {
    nameTextStyle: { color: c.text, fontSize: 11 },
    axisLine: { lineStyle: { color: c.axis } },
    axisTick: { lineStyle: { color: c.axis } },
    axisLabel: { color: c.text, fontSize: 11, hideOverlap: true },
    splitLine: { lineStyle: { color: c.grid } }
  }
  return {
    animation: false,
    color: c.palette,
    backgroundColor: c.background,
    textStyle: { color: c.text, fontFamily: 'system-ui, sans-serif' },
    grid: { left: 52, right: 16, top: frame.legend ? 34 : 16, bottom: frame.dataZoom ? 56 : 36, containLabel: false },
    tooltip: {
      trigger: 'axis',
      backgroundColor: c.tooltipBg,
      borderColor: c.tooltipBorder,
      textStyle: { color: c.tooltipText, fontSize: 12 },
      valueFormatter: (value: unknown) => (typeof value === 'number' ? formatMetric(value) : String(value ?? ''))
    },
    legend: frame.legend ? { top: 4, type: 'scroll', icon: 'roundRect', textStyle: { color: c.text, fontSize: 11 }, itemWidth: 12, itemHeight: 4, pageIconColor: c.text, pageTextStyle: { color: c.text } } : { show: false },
    xAxis: { type: 'value', name: frame.xName, nameLocation: 'middle', nameGap: 24, min: 'dataMin', max: 'dataMax', ...(frame.integerX ? { minInterval: 1 } : {}), ...axisCommon },
    yAxis: { type: frame.logY ? 'log' : 'value', name: frame.yName, nameLocation: 'end', scale: true, ...axisCommon },
    dataZoom: frame.dataZoom ? [{ type: 'inside', xAxisIndex: 0 }, { type: 'slider', xAxisIndex: 0, height: 16, bottom: 8, textStyle: { color: c.text }, borderColor: c.axis }] : []
  }
}

/** Metric values for axes and tooltips: 4 significant digits, exponent form for tiny values. */
export function formatMetric(value: number): string {
  if (!Number.isFinite(value)) return String(value)
  const abs = Math.abs(value)
  if (abs !== 0 && (abs < 1e-3 || abs >= 1e5)) return value.toExponential(2)
  return String(Number(value.toPrecision(4)))
}
