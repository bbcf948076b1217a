// ECharts options of the Evaluate view: the confusion matrix heatmap (counts in the cells, colour
// normalised per true row), the predicted-vs-true scatter for regression and the weight
// histogram. Pure builders over data + theme.
import type { ChartOption } from '../../components/echarts'
import { formatMetric } from '../../components/chart-style'
import { chartColors } from '../../styles/theme'
import { normaliseConfusionRows } from './evaluation-report'
import { compactNumber, type Histogram } from './weight-stats'

type Theme = 'light' | 'dark'

function axisStyle(theme: Theme) {
  const c = chartColors(theme)
  return {
    nameTextStyle: { color: c.text, fontSize: 11 },
    axisLine: { lineStyle: { color: c.axis } },
    axisTick: { lineStyle: { color: c.axis } },
    axisLabel: { color: c.text, fontSize: 11, hideOverlap: true },
    splitLine: { lineStyle: { color: c.grid } }
  }
}

function tooltipStyle(theme: Theme) {
  const c = chartColors(theme)
  return { backgroundColor: c.tooltipBg, borderColor: c.tooltipBorder, textStyle: { color: c.tooltipText, fontSize: 12 } }
}

/** Cell colours from the panel background to the accent, per theme. */
const HEAT_RANGE: Record<Theme, [string, string]> = { light: ['#f3f6fb', '#2f6fde'], dark: ['#20252d', '#5b93f0'] }
const HEAT_TEXT: Record<Theme, { low: string; high: string }> = { light: { low: '#1c2128', high: '#ffffff' }, dark: { low: '#e4e7ec', high: '#0d1117' } }

export interface ConfusionLabels {
  predicted: string
  truth: string
  /** Tooltip line; receives {truth}, {predicted}, {count}, {share}. */
  cell: (values: { truth: string; predicted: string; count: number; share: string }) => string
}

/** What every Evaluate chart shares: no animation, the theme's palette, background and text (no palette for the heat map). */
function chartFrame(theme: Theme, palette = true): ChartOption {
  const c = chartColors(theme)
  return { animation: false, ...(palette ? { color: c.palette } : {}), backgroundColor: c.background, textStyle: { color: c.text, fontFamily: 'system-ui, sans-serif' } }
}

/** A compact legend in the chart's top right corner. */
function smallLegend(theme: Theme, right: number): Record<string, unknown> {
  return { top: 2, right, textStyle: { color: chartColors(theme).text, fontSize: 11 }, itemWidth: 12, itemHeight: 8 }
}

/** One heatmap cell: [predicted index, true index, row share, count]. */
type Cell = [number, number, number, number]

export function confusionHeatmapOption(confusion: readonly (readonly number[])[], classes: readonly string[], theme: Theme, labels: ConfusionLabels): ChartOption {
  const c = chartColors(theme)
  const shares = normaliseConfusionRows(confusion)
  const size = confusion.length
  const data: { value: Cell; label: { color: string } }[] = []
  for (let truth = 0; truth < size; truth++) {
    for (let predicted = 0; predicted < size; predicted++) {
      const share = shares[truth][predicted]
      data.push({ value: [predicted, truth, share, confusion[truth][predicted]], label: { color: share > 0.5 ? HEAT_TEXT[theme].high : HEAT_TEXT[theme].low } })
    }
  }
  // Long class names would eat the plot; counts stay readable down to ~24 px cells.
  const maxNameLength = Math.max(1, ...classes.map((name) => name.length))
  const left = Math.min(120, 28 + maxNameLength * 7)
  return {
    ...chartFrame(theme, false),
    grid: { left, right: 16, top: 12, bottom: 64 },
    tooltip: {
      ...tooltipStyle(theme),
      trigger: 'item',
      formatter: (params: unknown) => {
        const [predicted, truth, share, count] = (params as { value: Cell }).value
        return labels.cell({ truth: classes[truth] ?? String(truth), predicted: classes[predicted] ?? String(predicted), count, share: `${(share * 100).toFixed(1)}%` })
      }
    },
    xAxis: { type: 'category', data: [...classes], name: labels.predicted, nameLocation: 'middle', nameGap: 28, splitArea: { show: false }, ...axisStyle(theme), axisLabel: { color: c.text, fontSize: 11, interval: 0, rotate: maxNameLength > 4 && size > 6 ? 30 : 0 } },
    yAxis: { type: 'category', data: [...classes], inverse: true, name: labels.truth, nameLocation: 'middle', nameGap: left - 14, splitArea: { show: false }, ...axisStyle(theme), axisLabel: { color: c.text, fontSize: 11, interval: 0 } },
    visualMap: { show: false, min: 0, max: 1, dimension: 2, inRange: { color: HEAT_RANGE[theme] } },
    series: [
      {
        type: 'heatmap',
        data,
        label: { show: true, fontSize: size > 12 ? 9 : 11, formatter: (params: unknown) => String((params as { value: Cell }).value[3]) },
        itemStyle: { borderColor: theme === 'dark' ? '#1c2027' : '#ffffff', borderWidth: 1 },
        emphasis: { itemStyle: { borderColor: c.tooltipText, borderWidth: 1 } }
      }
    ]
  }
}

export interface ScatterLabels {
  truth: string
  predicted: string
  identity: string
}

/** Predicted against true targets with the y = x line a perfect model would sit on. */
export function regressionScatterOption(truth: readonly number[], predicted: readonly number[], theme: Theme, labels: ScatterLabels): ChartOption {
  const c = chartColors(theme)
  const all = [...truth, ...predicted].filter(Number.isFinite)
  const low = all.length ? Math.min(...all) : 0
  const high = all.length ? Math.max(...all) : 1
  const bounds = niceBounds(low, high)
  return {
    ...chartFrame(theme),
    grid: { left: 56, right: 20, top: 30, bottom: 44 },
    legend: smallLegend(theme, 8),
    tooltip: {
      ...tooltipStyle(theme),
      trigger: 'item',
      formatter: (params: unknown) => {
        const [x, y] = (params as { value: [number, number] }).value
        return `${labels.truth}: ${formatMetric(x)}<br>${labels.predicted}: ${formatMetric(y)}`
      }
    },
    xAxis: { type: 'value', name: labels.truth, nameLocation: 'middle', nameGap: 26, ...bounds, ...axisStyle(theme) },
    yAxis: { type: 'value', name: labels.predicted, nameLocation: 'middle', nameGap: 40, ...bounds, ...axisStyle(theme) },
    series: [
      { type: 'scatter', name: labels.predicted, symbolSize: 5, itemStyle: { opacity: 0.7 }, data: truth.map((x, i) => [x, predicted[i]]) },
      { type: 'line', name: labels.identity, data: [[bounds.min, bounds.min], [bounds.max, bounds.max]], symbol: 'none', silent: true, lineStyle: { type: 'dashed', width: 1, color: c.text }, itemStyle: { color: c.text } }
    ]
  }
}

/**
 * Round axis bounds around [low, high] on a 1-2-5 step grid, so both axes of the scatter share
 * one range and the end labels do not collide with the ticks ECharts picks between them.
 */
export function niceBounds(low: number, high: number, ticks = 5): { min: number; max: number } {
  const span = high - low || Math.abs(high) || 1
  const raw = span / ticks
  const magnitude = 10 ** Math.floor(Math.log10(raw))
  const step = ([1, 2, 5, 10].find((m) => m * magnitude >= raw) ?? 10) * magnitude
  let min = Math.floor(low / step) * step
  let max = Math.ceil(high / step) * step
  if (min === max) {
    min -= step
    max += step
  }
  // Floating steps such as 0.1 * 3 leave 0.30000000000000004 behind.
  return { min: Number(min.toPrecision(12)), max: Number(max.toPrecision(12)) }
}

export interface HistogramLabels {
  value: string
  count: string
}

export function weightHistogramOption(hist: Histogram, theme: Theme, labels: HistogramLabels): ChartOption {
  const centres = hist.counts.map((_, i) => (hist.edges[i] + hist.edges[i + 1]) / 2)
  return {
    ...chartFrame(theme),
    grid: { left: 48, right: 12, top: 12, bottom: 40 },
    tooltip: {
      ...tooltipStyle(theme),
      trigger: 'axis',
      axisPointer: { type: 'shadow' },
      formatter: (params: unknown) => {
        const [item] = params as { dataIndex: number }[]
        const i = item?.dataIndex ?? 0
        return `${labels.value}: ${compactNumber(hist.edges[i])} … ${compactNumber(hist.edges[i + 1])}<br>${labels.count}: ${hist.counts[i]}`
      }
    },
    xAxis: { type: 'category', data: centres.map(compactNumber), name: labels.value, nameLocation: 'middle', nameGap: 26, ...axisStyle(theme), axisTick: { show: false } },
    yAxis: { type: 'value', name: labels.count, minInterval: 1, ...axisStyle(theme) },
    series: [{ type: 'bar', data: hist.counts, barCategoryGap: '8%' }]
  }
}

export interface CurveLabels {
  x: string
  y: string
  curve: string
  /** The reference line: chance for ROC, the positive share for PR. */
  reference: string
  point: string
}

/**
 * A ROC (fpr → tpr) or precision-recall (recall → precision) curve on the unit square, its
 * reference line (the diagonal, or the positives' share for PR) and the point the current
 * threshold reaches, drawn larger so it can be followed as the slider moves.
 */
export function curveOption(curve: readonly [number, number][], point: [number, number] | null, reference: [number, number][], theme: Theme, labels: CurveLabels, step: boolean): ChartOption {
  const c = chartColors(theme)
  const unit = { min: 0, max: 1, interval: 0.2 }
  return {
    ...chartFrame(theme),
    grid: { left: 48, right: 14, top: 28, bottom: 42 },
    legend: smallLegend(theme, 6),
    tooltip: {
      ...tooltipStyle(theme),
      trigger: 'item',
      formatter: (params: unknown) => {
        const [x, y] = (params as { value: [number, number] }).value
        return `${labels.x}: ${x.toFixed(3)}<br>${labels.y}: ${y.toFixed(3)}`
      }
    },
    xAxis: { type: 'value', name: labels.x, nameLocation: 'middle', nameGap: 26, ...unit, ...axisStyle(theme) },
    yAxis: { type: 'value', name: labels.y, nameLocation: 'middle', nameGap: 34, ...unit, ...axisStyle(theme) },
    series: [
      { type: 'line', name: labels.curve, data: curve.map((p) => [...p]), symbol: 'none', step: step ? 'end' : false, lineStyle: { width: 2 } },
      { type: 'line', name: labels.reference, data: reference, symbol: 'none', silent: true, lineStyle: { type: 'dashed', width: 1, color: c.text }, itemStyle: { color: c.text } },
      { type: 'scatter', name: labels.point, data: point ? [[...point]] : [], symbolSize: 12, itemStyle: { color: c.palette[1], borderColor: theme === 'dark' ? '#0d1117' : '#ffffff', borderWidth: 2 }, z: 5 }
    ]
  }
}
