// The learning-rate finder's plot: loss per step (faint) and its smoothed curve against the rate
// on a log x axis, with the suggested rate and the smoothed minimum marked by vertical lines.
import type { ChartOption } from '../../components/echarts'
import { fade, lineChartBase } from '../../components/chart-style'
import { chartColors } from '../../styles/theme'
import type { LrFinderAnswer } from '../../../../shared/lr-finder'

export interface LrChartLabels {
  lr: string
  loss: string
  raw: string
  smoothed: string
  suggestion: string
  minimum: string
}

/** A rate for people: 3 significant digits, exponent form below 0.01 (1.68e-3). */
export function rateText(lr: number): string {
  if (!Number.isFinite(lr)) return String(lr)
  return lr < 0.01 ? lr.toExponential(2).replace(/\.?0+e/, 'e') : String(Number(lr.toPrecision(3)))
}

export function lrFinderOption(result: LrFinderAnswer, theme: 'light' | 'dark', labels: LrChartLabels): ChartOption {
  const c = chartColors(theme)
  const base = lineChartBase({ theme, xName: labels.lr, yName: labels.loss, legend: true })
  // The loss axis up to a little above the start: the blow-up past 4× the minimum would flatten the curve.
  const first = result.points[0]?.smoothed ?? 1
  const low = Math.min(...result.points.map((point) => point.smoothed))
  const top = Math.max(first, low) * 1.5
  // One mark line per series (the suggestion on the raw loss, the minimum on the smoothed one), each
  // as a segment from the lowest plotted loss to the axis top: ECharts 6 drops some `xAxis` marks on
  // a log axis (1e-3 ≤ x < 5e-3 vanished), a pair of coordinates always draws.
  const bottom = Math.min(...result.points.map((point) => Math.min(point.loss, point.smoothed)))
  const yTop = Number(top.toPrecision(2))
  const segment = (x: number, style: object, label: object) => [{ coord: [x, bottom], lineStyle: style, label }, { coord: [x, yTop] }]
  const marks: unknown[] = []
  const minMarks: unknown[] = []
  if (result.suggestion) {
    marks.push(segment(result.suggestion.lr, { color: c.palette[2], width: 2, type: 'solid' }, { formatter: `${labels.suggestion} ${rateText(result.suggestion.lr)}`, color: c.palette[2], position: 'insideEndTop' }))
    minMarks.push(segment(result.suggestion.min_lr, { color: c.palette[1], type: 'dashed' }, { formatter: `${labels.minimum} ${rateText(result.suggestion.min_lr)}`, color: c.palette[1], position: 'insideEndBottom' }))
  }
  return {
    ...base,
    xAxis: { ...(base.xAxis as object), type: 'log', min: result.start, max: result.end, axisLabel: { ...((base.xAxis as { axisLabel?: object }).axisLabel ?? {}), formatter: (value: number) => rateText(value) } },
    yAxis: { ...(base.yAxis as object), max: yTop, scale: true },
    series: [
      { type: 'line', name: labels.raw, data: result.points.map((point) => [point.lr, point.loss]), symbol: 'none', lineStyle: { color: fade(c.palette[0], 0.35), width: 1 }, itemStyle: { color: fade(c.palette[0], 0.35) }, markLine: { symbol: 'none', silent: true, data: marks } },
      { type: 'line', name: labels.smoothed, data: result.points.map((point) => [point.lr, point.smoothed]), symbol: 'none', lineStyle: { color: c.palette[0], width: 2 }, itemStyle: { color: c.palette[0] }, markLine: { symbol: 'none', silent: true, data: minMarks } }
    ]
  }
}
