// TensorBoard-style distributions over epochs: for one tensor of one layer (a weight, or the
// layer's outputs on the probe batch), nested bands between the percentiles of each record
// (0–100 %, 6.68–93.32 %, 15.87–84.13 %, 30.85–69.15 %; ±1σ, ±1.5σ, ±2σ of a normal and the whole
// range), darker towards the median, which is drawn as a line. Pure: the panel renders it.
import type { ChartOption } from '../../components/echarts'
import { fade, formatMetric, lineChartBase } from '../../components/chart-style'
import { chartColors } from '../../styles/theme'
import { BAND_PERCENTILES, type DistributionEpoch, type Summary } from '../../../../shared/distributions'

/** Which summary of a layer: one of its weights by name, or its activations. */
export type TensorPick = { kind: 'weight'; name: string } | { kind: 'activations' }

export function summaryOf(record: DistributionEpoch, layer: string, pick: TensorPick): Summary | null {
  const found = record.layers.find((entry) => entry.layer === layer)
  if (!found) return null
  if (pick.kind === 'activations') return found.activations
  return found.weights.find((weight) => weight.name === pick.name)?.summary ?? null
}

/** [epoch, percentiles] of each record that has the tensor. */
export function bandRows(epochs: DistributionEpoch[], layer: string, pick: TensorPick): Array<{ epoch: number; percentiles: number[] }> {
  const rows: Array<{ epoch: number; percentiles: number[] }> = []
  for (const record of epochs) {
    const summary = summaryOf(record, layer, pick)
    if (summary && summary.count > 0) rows.push({ epoch: record.epoch, percentiles: summary.percentiles })
  }
  return rows
}

export interface BandLabels {
  epoch: string
  value: string
  median: string
  /** The tooltip line of a percentile: "{p} %". */
  percentile: (p: string) => string
}

const PAIRS: Array<[number, number]> = [[0, 8], [1, 7], [2, 6], [3, 5]]
const BAND_ALPHA = [0.14, 0.22, 0.32, 0.45]

export function distributionBandsOption(epochs: DistributionEpoch[], layer: string, pick: TensorPick, theme: 'light' | 'dark', labels: BandLabels): ChartOption {
  const rows = bandRows(epochs, layer, pick)
  const colour = chartColors(theme).palette[0]
  const series: unknown[] = []
  PAIRS.forEach(([lo, hi], band) => {
    const stack = `band${band}`
    series.push({ type: 'line', name: `lo${band}`, stack, data: rows.map((row) => [row.epoch, row.percentiles[lo]]), lineStyle: { opacity: 0 }, symbol: 'none', silent: true, tooltip: { show: false } })
    series.push({ type: 'line', name: `hi${band}`, stack, data: rows.map((row) => [row.epoch, row.percentiles[hi] - row.percentiles[lo]]), lineStyle: { opacity: 0 }, symbol: 'none', areaStyle: { color: fade(colour, BAND_ALPHA[band]) }, silent: true })
  })
  series.push({ type: 'line', name: labels.median, data: rows.map((row) => [row.epoch, row.percentiles[4]]), lineStyle: { color: colour, width: 2 }, itemStyle: { color: colour }, symbol: rows.length < 30 ? 'circle' : 'none', symbolSize: 4 })
  const base = lineChartBase({ theme, xName: labels.epoch, yName: labels.value, integerX: true })
  return {
    ...base,
    series,
    tooltip: {
      ...(base.tooltip as object),
      formatter: (params: unknown) => {
        const first = (params as Array<{ dataIndex: number }>)[0]
        const row = rows[first?.dataIndex ?? 0]
        if (!row) return ''
        const lines = BAND_PERCENTILES.map((p, i) => `${labels.percentile(String(p))}: ${formatMetric(row.percentiles[i])}`).reverse()
        return `${labels.epoch} ${row.epoch}<br>${lines.join('<br>')}`
      }
    }
  }
}
