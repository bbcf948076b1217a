// The Compare view's pure logic: which metric charts to draw from N runs' series, the series
// ECharts gets for them (tuned for big data), and the parallel-coordinates option.
import type { RunDetail, RunSeries } from '../../../../shared/run'
import { formatDiffValue, lastAndBest, type DiffRow } from '../../../../shared/compare'

export type ValueMode = 'last' | 'best'

/** Chart order: validation metrics first (what runs are judged by), then training, then per-batch, then lr and test. */
export function metricOrder(name: string): number {
  if (name.startsWith('val_')) return name === 'val_loss' ? 1 : 0
  if (name.startsWith('test_')) return 6
  if (name === 'lr' || name === 'batch/lr') return 5
  if (name.startsWith('batch/')) return name === 'batch/loss' ? 3 : 4
  return name === 'loss' ? 2.5 : 2
}

/** Every metric name that any of the series has, ordered for display; per-batch names only when asked. */
export function metricNames(series: readonly RunSeries[], includeBatch: boolean): string[] {
  const names = new Set<string>()
  for (const s of series) for (const name of Object.keys(s)) if (includeBatch || !name.startsWith('batch/')) names.add(name)
  return [...names].filter((name) => !name.startsWith('test_')).sort((a, b) => metricOrder(a) - metricOrder(b) || a.localeCompare(b))
}

/** Per-batch series are indexed by step; the rest by epoch. */
export function xFieldOf(name: string): 'step' | 'epoch' {
  return name.startsWith('batch/') ? 'step' : 'epoch'
}

/** Line series for one metric chart: one per run, [x, y] pairs, with the options that keep 10 × 10 000 points fast. */
export function metricChartSeries(name: string, runs: readonly { label: string; series: RunSeries }[]): object[] {
  const field = xFieldOf(name)
  return runs.map(({ label, series }) => {
    const s = series[name]
    const data: [number, number][] = []
    if (s) for (let i = 0; i < s.value.length; i++) data.push([s[field][i], s.value[i]])
    const big = data.length > 2000
    return {
      type: 'line',
      name: label,
      data,
      showSymbol: !big && data.length < 60,
      symbolSize: 4,
      animation: false,
      sampling: 'lttb',
      large: big,
      largeThreshold: 2000,
      progressive: big ? 5000 : 0,
      lineStyle: { width: big ? 1.2 : 1.8 },
      emphasis: { disabled: big }
    }
  })
}

/** The value of a metric for a run: its last, or its best by the metric's goal. */
export function metricValue(series: RunSeries, name: string, mode: ValueMode): number | null {
  const s = series[name]
  if (!s) return null
  const { last, best } = lastAndBest(name.replace(/^batch\//, ''), s.value)
  return mode === 'last' ? last : best
}

/** Unique legend names: the run name, with the id's tail when two runs share one. */
export function runLabels(runs: readonly Pick<RunDetail, 'id' | 'name'>[]): string[] {
  const counts = new Map<string, number>()
  for (const run of runs) counts.set(run.name, (counts.get(run.name) ?? 0) + 1)
  return runs.map((run) => ((counts.get(run.name) ?? 0) > 1 ? `${run.name} (${run.id.slice(-6)})` : run.name))
}

export interface ParallelAxis {
  key: string
  type: 'value' | 'category'
  categories?: string[]
}

/**
 * Axes of the parallel-coordinates chart: the hyperparameters that differ between the runs
 * (numbers as value axes, anything else as categories), at most `maxAxes`, then the metric.
 */
export function parallelAxes(rows: readonly DiffRow[], metric: string, maxAxes = 8): ParallelAxis[] {
  const axes: ParallelAxis[] = []
  const candidates = rows.filter((row) => row.differs)
  // Training keys first: they are what people sweep; architecture keys after.
  candidates.sort((a, b) => (a.section === b.section ? 0 : a.section === 'training' ? -1 : 1))
  for (const row of candidates) {
    if (axes.length >= maxAxes) break
    const numeric = row.values.every((value) => value === null || typeof value === 'number')
    if (numeric) axes.push({ key: row.key, type: 'value' })
    else axes.push({ key: row.key, type: 'category', categories: [...new Set(row.values.map(formatDiffValue))] })
  }
  axes.push({ key: metric, type: 'value' })
  return axes
}

/** One line of the parallel chart per run: its value on every axis (null when missing). */
export function parallelRows(rows: readonly DiffRow[], axes: readonly ParallelAxis[], metricValues: readonly (number | null)[]): (number | string | null)[][] {
  return metricValues.map((metricValue, runIndex) =>
    axes.map((axis, axisIndex) => {
      if (axisIndex === axes.length - 1) return metricValue
      const row = rows.find((r) => r.key === axis.key)
      const value = row ? row.values[runIndex] : null
      if (axis.type === 'category') return formatDiffValue(value)
      return typeof value === 'number' ? value : null
    })
  )
}
